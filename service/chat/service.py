"""Asking within a conversation: resolve the follow-up against the earlier turns, answer it, remember the turn."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from service.answering.qa import QAResult, QAService
from service.answering.wording import wording_for
from service.chat.clarify import clarification
from service.chat.store import ConversationNotFoundError, ConversationStore, ConversationSummary, Turn
from service.query.analysis import analyze_question, check_question
from service.query.followups import FollowUpResolver
from service.query.retrieval import Filters


@dataclass(frozen=True)
class ChatResult:
    result: QAResult
    question: str
    resolved_question: str
    conversation_id: str | None  # None: the question was not kept
    turn: int | None = None  # the kept turn's number in its conversation


def resolver_for(qa: QAService) -> FollowUpResolver:
    view = qa.retriever.view
    return FollowUpResolver(view.municipalities, view.years, qa.settings.max_question_chars)


def resolve_all(qa: QAService, questions: Sequence[str]) -> list[str]:
    """A stateless conversation (the user turns a client sends): each turn resolved against the ones before."""
    resolver = resolver_for(qa)
    resolved: list[str] = []
    for question in questions:
        resolved.append(resolver.resolve(resolved, qa.readable(question)))
    return resolved


def resolve_history(qa: QAService, questions: Sequence[str]) -> tuple[str, str]:
    """The last question of a stateless conversation and its resolved form."""
    return questions[-1], resolve_all(qa, questions)[-1]


class ChatService:
    """`QAService.ask` within a conversation: resolve the follow-up, answer it, remember the turn."""

    def __init__(self, qa: QAService, store: ConversationStore, owner: str = "") -> None:
        self.qa = qa
        self.store = store
        self.owner = owner

    def ask(
        self, question: str, conversation_id: str | None = None, filters: Filters = Filters(), top_k: int | None = None, keep: bool = False,
        offset: int = 0, limit: int | None = None,
    ) -> ChatResult:
        """Answers `question`; kept as a turn only when asked to (`keep`, or a `conversation_id`).

        A `conversation_id` this owner has continues that conversation; any other (unknown, expired, another
        caller's) starts a new one under an id the server makes, so a client can never choose or join an id.
        """
        question = check_question(question, self.qa.settings.max_question_chars)
        # A follow-up is resolved against the last turn: the others, their answers and citations, are not read.
        last = self.store.last_turn(conversation_id, self.owner) if conversation_id else None
        if last is None:
            conversation_id = uuid.uuid4().hex if keep or conversation_id else None
        resolver = resolver_for(self.qa)
        readable = self.qa.readable(question)
        if last is None and resolver.needs_context(readable):
            result = self._clarify(readable, resolver.named(readable), filters)
            resolved = question
        else:
            resolved = resolver.within(resolver.resolve([last] if last else [], readable), readable, filters.municipality)
            result = self.qa.ask(resolved, filters, top_k, offset, limit)
        seq = None
        if conversation_id is not None:
            answer = result.answer
            documents = tuple(dict.fromkeys(c.record.chunk.document_id for c in answer.citations))
            citations = tuple(c.as_dict() for c in answer.citations)
            turn = Turn(question, resolved, answer.text, answer.grounded, documents, citations=citations, answerer=answer.answerer)
            seq = self.store.append(conversation_id, turn, self.owner)
        return ChatResult(result, question, resolved, conversation_id, seq)

    def conversations(self) -> list[ConversationSummary]:
        return self.store.conversations(self.owner)

    def turns(self, conversation_id: str) -> list[Turn]:
        """The kept turns of one of the caller's conversations; raises ConversationNotFoundError for any other id."""
        turns = self.store.history(conversation_id, self.owner)
        if not turns:
            raise ConversationNotFoundError(f"Samtalet '{conversation_id}' finns inte (okänt, utgånget eller någon annans).")
        return turns

    def rename(self, conversation_id: str, title: str) -> None:
        self.store.rename(conversation_id, title, self.owner)

    def forget(self, conversation_id: str) -> None:
        self.store.delete(conversation_id, self.owner)

    def turn(self, conversation_id: str, seq: int) -> Turn:
        found = next((t for t in self.turns(conversation_id) if t.seq == seq), None)
        if found is None:
            raise ConversationNotFoundError(f"Samtalet '{conversation_id}' har ingen fråga nummer {seq}.")
        return found

    def _clarify(self, question: str, named: list[str], filters: Filters) -> QAResult:
        self.qa.retriever.validate(filters)
        view = self.qa.retriever.view
        analysis = analyze_question(question, view.municipalities, view.years)
        answer = clarification(question, named, list(self.qa.summary().reports), filters, wording_for(analysis.language))
        return QAResult(answer, analysis, filters)

    def ask_stateless(self, questions: Sequence[str], filters: Filters = Filters(), top_k: int | None = None) -> ChatResult:
        """The last of a client's user turns answered, resolved against the ones before (the OpenAI route, the CLI's
        chat); a bare follow-up with nothing before it is answered with a clarification, as in a kept conversation."""
        resolver = resolver_for(self.qa)
        if len(questions) == 1 and resolver.needs_context(readable := self.qa.readable(questions[0])):
            return ChatResult(self._clarify(readable, resolver.named(readable), filters), questions[0], questions[0], None)
        question, resolved = resolve_history(self.qa, questions)
        resolved = resolver.within(resolved, self.qa.readable(question), filters.municipality)
        return ChatResult(self.qa.ask(resolved, filters, top_k), question, resolved, None)
