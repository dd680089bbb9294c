"""Asking within a conversation: resolve the follow-up against the earlier turns, answer it, remember the turn."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from service.answering.qa import QAResult, QAService
from service.chat.clarify import clarification
from service.chat.store import ConversationStore, Turn
from service.query.analysis import analyze_question, check_question
from service.query.followups import FollowUpResolver
from service.query.retrieval import Filters


@dataclass(frozen=True)
class ChatResult:
    result: QAResult
    question: str
    resolved_question: str
    conversation_id: str | None  # None: the question was not kept


def resolver_for(qa: QAService) -> FollowUpResolver:
    view = qa.retriever.view
    return FollowUpResolver(view.municipalities, view.years, qa.settings.max_question_chars)


def resolve_history(qa: QAService, questions: Sequence[str]) -> tuple[str, str]:
    """A stateless conversation (the user turns a client sends): each turn resolved against the ones before.

    Returns the last question and its resolved form.
    """
    resolver = resolver_for(qa)
    resolved: list[str] = []
    for question in questions:
        resolved.append(resolver.resolve(resolved, qa.readable(question)))
    return questions[-1], resolved[-1]


class ChatService:
    """`QAService.ask` within a conversation: resolve the follow-up, answer it, remember the turn."""

    def __init__(self, qa: QAService, store: ConversationStore, owner: str = "") -> None:
        self.qa = qa
        self.store = store
        self.owner = owner

    def ask(
        self, question: str, conversation_id: str | None = None, filters: Filters = Filters(), top_k: int | None = None, keep: bool = False
    ) -> ChatResult:
        """Answers `question`; kept as a turn only when asked to (`keep`, or a `conversation_id`).

        A `conversation_id` this owner has continues that conversation; any other (unknown, expired, another
        caller's) starts a new one under an id the server makes, so a client can never choose or join an id.
        """
        question = check_question(question, self.qa.settings.max_question_chars)
        history = self.store.history(conversation_id, self.owner) if conversation_id else []
        if not history:
            conversation_id = uuid.uuid4().hex if keep or conversation_id else None
        resolver = resolver_for(self.qa)
        readable = self.qa.readable(question)
        if not history and resolver.needs_context(readable):
            result = self._clarify(readable, resolver.named(readable), filters)
            resolved = question
        else:
            resolved = resolver.within(resolver.resolve(history, readable), readable, filters.municipality)
            result = self.qa.ask(resolved, filters, top_k)
        if conversation_id is not None:
            answer = result.answer
            documents = tuple(dict.fromkeys(c.record.chunk.document_id for c in answer.citations))
            self.store.append(conversation_id, Turn(question, resolved, answer.text, answer.grounded, documents), self.owner)
        return ChatResult(result, question, resolved, conversation_id)

    def _clarify(self, question: str, named: list[str], filters: Filters) -> QAResult:
        self.qa.retriever.validate(filters)
        view = self.qa.retriever.view
        answer = clarification(question, named, list(self.qa.summary().reports), filters)
        return QAResult(answer, analyze_question(question, view.municipalities, view.years), filters)

    def ask_stateless(self, questions: Sequence[str], filters: Filters = Filters(), top_k: int | None = None) -> ChatResult:
        question, resolved = resolve_history(self.qa, questions)
        return ChatResult(self.qa.ask(resolved, filters, top_k), question, resolved, None)
