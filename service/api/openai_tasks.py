"""Chat front-ends' housekeeping requests: Open WebUI and LibreChat ask the chat model itself for a conversation's
title, its tags, follow-up questions and search queries. There is no generative model here, so they are answered
from the conversation's questions and the loaded reports, in the form the prompt asks for (the JSON object it
names, else plain text), in the conversation's language, and never with a grounded answer.

The prompts are recognised by the phrases in TASKS; a front-end that words them differently is one more row.
"""

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from service.answering.qa import QAService
from service.chat.service import resolve_all
from service.query.analysis import QuestionAnalysis, analyze_question
from service.query.retrieval import Filters

TaskName = Literal["queries", "title", "tags", "follow_ups"]


@dataclass(frozen=True)
class Task:
    name: TaskName
    # The prompt is this task when every pattern of one group is found in it.
    groups: tuple[tuple[str, ...], ...]

    def asked_by(self, prompt: str) -> bool:
        return any(all(re.search(p, prompt, re.IGNORECASE | re.DOTALL) for p in group) for group in self.groups)


# First match wins: a follow-up or tags prompt may say "title" nowhere, but a title prompt's examples could say "tags".
TASKS: tuple[Task, ...] = (
    Task("queries", (
        # Open WebUI's DEFAULT_QUERY_GENERATION_PROMPT_TEMPLATE: "Analyze the chat history to determine the necessity of
        # generating search queries …", answered as { "queries": [...] } (web search and its own knowledge retrieval).
        (r"generat\w* (?:\S+ ){0,6}search queries", r"chat history|conversation"),
        (r'\{\s*"queries"\s*:',),
    )),
    Task("follow_ups", (
        (r"follow[- ]up questions", r"chat history|conversation"),  # Open WebUI: "Suggest 3-5 relevant follow-up questions …"
        (r'"follow_ups"',),
    )),
    Task("tags", (
        (r"\btags\b.{0,80}categoriz", r"chat history|conversation"),  # Open WebUI: "Generate 1-3 broad tags categorizing …"
        (r'\{\s*"tags"\s*:',),
    )),
    Task("title", (
        (r"\b(generate|create|write|provide)\b.{0,20}\bconcise\b.{0,40}\btitle\b", r"chat history|conversation"),  # Open WebUI, LibreChat
        (r"\bconcise title\b.{0,60}conversation that starts with",),  # LibreChat's assistants endpoint
        (r"analyze this conversation and provide", r"\btitle\b"),  # LibreChat's agents
    )),
)

# Where a prompt quotes the conversation: Open WebUI's <chat_history> block, else the whole prompt.
_HISTORY = re.compile(r"<chat_history>(.*?)</chat_history>", re.DOTALL | re.IGNORECASE)
# Speaker labels opening a line of a quoted conversation: "USER:" (Open WebUI), "User:"/"AI:" and "||>User:" (LibreChat).
_SPEAKER = re.compile(r"^[ \t]*(?:\|\|>)?(user|assistant|ai|response|system)[ \t]*:[ \t]*", re.IGNORECASE | re.MULTILINE)

# Words a title leaves out: question words, pronouns, prepositions, quantities and the commonest verbs.
FUNCTION_WORDS = frozenset("""
vad vilka vilken vilket hur när var varför vem vems som i på av för till med om och eller att det den de en ett är
blev blir har hade fanns finns kan ska skulle gavs gav fick får man vi ni jag du detta dessa deras dess sin sina
sitt kommun kommunen kommunens rapporten rapporter granskningen revisionen mest flest under efter inom mellan ut
många mycket tog emot gjorde gör görs sker skedde står stod säger sa nämns
which what how when where why who were was the a an in of for to and or is are did do does given by about
""".split())
MAX_TITLE_TOPIC_WORDS = 3
MAX_FOLLOW_UPS = 5


@dataclass(frozen=True)
class Wording:
    """What the replies say in one language: front-ends show titles, tags and follow-ups as the user's own."""

    kind_topics: dict[str, str]
    verdicts: dict[str, str]
    topic_with_verdict: str  # "{verdict}" and "{topic}", in the language's order
    broad_tag: str
    default_title: str
    place: str  # "{topic} i {places}"
    both: str  # "Alvesta och Hultsfred"
    and_others: str  # "Alvesta m.fl."
    # What the loaded reports answer of a municipality, most telling first, each asked only where the municipality's
    # findings include one of its (kind, verdict) pairs (verdict None: any). Every one is answered by the findings
    # answerer in this language (tested).
    follow_ups: tuple[tuple[tuple[tuple[str, str | None], ...], str], ...]
    comparison: str | None  # across the reports; None where the language has no wording the service answers


SWEDISH = Wording(
    kind_topics={"kontrollmal": "kontrollmål", "rekommendation": "rekommendationer", "revisionsfraga": "revisionsfrågor", "revisionell_bedomning": "sammanfattande bedömning"},
    verdicts={"uppfyllt": "uppfyllda", "delvis uppfyllt": "delvis uppfyllda", "ej uppfyllt": "ej uppfyllda"},
    topic_with_verdict="{verdict} {topic}",
    broad_tag="Kommunal revision",
    default_title="Frågor om revisionsrapporterna",
    place="{topic} i {places}",
    both="{0} och {1}",
    and_others="{0} m.fl.",
    follow_ups=(
        ((("kontrollmal", "ej uppfyllt"),), "Vilka kontrollmål bedömdes ej uppfyllda i {m}?"),
        ((("rekommendation", None),), "Vilka rekommendationer gavs i {m}?"),
        ((("kontrollmal", None),), "Hur bedömdes kontrollmålen i {m}?"),
        ((("revisionell_bedomning", None), ("rekommendation", None)), "Sammanfatta granskningen i {m}"),
        ((("revisionsfraga", None),), "Hur besvarades revisionsfrågorna i {m}?"),
        ((("kontrollmal", "delvis uppfyllt"),), "Vilka kontrollmål bedömdes delvis uppfyllda i {m}?"),
    ),
    comparison="Vilken kommun fick den mest kritiska bedömningen?",
)
ENGLISH = Wording(
    kind_topics={"kontrollmal": "control objectives", "rekommendation": "recommendations", "revisionsfraga": "audit questions", "revisionell_bedomning": "overall assessment"},
    verdicts={"uppfyllt": "met", "delvis uppfyllt": "partly met", "ej uppfyllt": "not met"},
    topic_with_verdict="{topic} {verdict}",
    broad_tag="Municipal audit",
    default_title="Questions about the audit reports",
    place="{topic} in {places}",
    both="{0} and {1}",
    and_others="{0} and others",
    follow_ups=(
        ((("kontrollmal", "ej uppfyllt"),), "Which control objectives were not met in {m}?"),
        ((("rekommendation", None),), "Which recommendations were given in {m}?"),
        ((("kontrollmal", None),), "How were the control objectives assessed in {m}?"),
        ((("revisionell_bedomning", None), ("rekommendation", None)), "Summarise the audit in {m}"),
        ((("revisionsfraga", None),), "How were the audit questions answered in {m}?"),
        ((("kontrollmal", "delvis uppfyllt"),), "Which control objectives were partly met in {m}?"),
    ),
    comparison=None,  # the comparisons are read from Swedish wording only ("Vilken kommun fick den mest kritiska …")
)


def _prompt(messages: Sequence[tuple[str, str]]) -> str:
    """Where a front-end puts its instructions: the system messages and the last message."""
    return "\n".join(text for _, text in (*(m for m in messages[:-1] if m[0] in ("system", "developer")), messages[-1]))


def recognise(messages: Sequence[tuple[str, str]]) -> TaskName | None:
    """The task a request asks for, or None for a question to answer."""
    prompt = _prompt(messages)
    return next((task.name for task in TASKS if task.asked_by(prompt)), None)


def conversation(messages: Sequence[tuple[str, str]]) -> list[str]:
    """The user's questions in the conversation the prompt quotes, else in the messages before it."""
    prompt = messages[-1][1]
    block = _HISTORY.search(prompt)
    quoted = block.group(1) if block else prompt
    parts = _SPEAKER.split(quoted)
    questions = [parts[i + 1].strip().strip('"').strip() for i in range(1, len(parts) - 1, 2) if parts[i].lower() == "user"]
    if not questions:
        questions = [text.strip() for role, text in messages[:-1] if role == "user"]
    return [q for q in questions if q]


def wording(analyses: list[tuple[QuestionAnalysis, str]]) -> Wording:
    """The conversation's language: English when most of its questions are, else Swedish (the service's own)."""
    english = sum(analysis.language == "en" for analysis, _ in analyses)
    return ENGLISH if english * 2 > len(analyses) else SWEDISH


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _topic(words: Wording, analysis: QuestionAnalysis, question: str) -> str:
    """What a question is about, in a few words: the findings it asks for, else its first content words."""
    if analysis.findings is not None:
        topic = words.kind_topics[analysis.findings.kind]
        verdict = analysis.findings.verdict
        return words.topic_with_verdict.format(topic=topic, verdict=words.verdicts[verdict]) if verdict else topic
    names = {w.lower() for m in analysis.municipalities for w in m.split()}
    found = [w for w in re.findall(r"[^\W\d_]+", question) if w.lower() not in FUNCTION_WORDS and w.lower() not in names]
    return " ".join(w if w.isupper() else w.lower() for w in found[:MAX_TITLE_TOPIC_WORDS])


def _places(words: Wording, analysis: QuestionAnalysis) -> str:
    names = analysis.municipalities
    if len(names) > 2:
        return words.and_others.format(names[0])
    return words.both.format(*names) if len(names) == 2 else "".join(names)


def title(words: Wording, analyses: list[tuple[QuestionAnalysis, str]]) -> str:
    """From the conversation's first question: its topic and the municipalities it names ("Ej uppfyllda kontrollmål i Alvesta")."""
    if not analyses:
        return words.default_title
    analysis, question = analyses[0]
    topic, places = _topic(words, analysis, question), _places(words, analysis)
    text = words.place.format(topic=topic, places=places) if topic and places else topic or places
    return _capitalised(text) if text else words.default_title


def tags(words: Wording, analyses: list[tuple[QuestionAnalysis, str]]) -> list[str]:
    """The field, the municipalities the conversation names and the findings it asks about."""
    found = [words.broad_tag]
    for analysis, _ in analyses:
        found += analysis.municipalities
        if analysis.findings is not None:
            found.append(_capitalised(words.kind_topics[analysis.findings.kind]))
    return list(dict.fromkeys(found))


def follow_ups(qa: QAService, words: Wording, analyses: list[tuple[QuestionAnalysis, str]]) -> list[str]:
    """Questions the loaded reports answer: about the municipality the conversation is on (the latest named), else
    about the reports that have findings; none the conversation has asked already."""
    named = [m for analysis, _ in reversed(analyses) for m in analysis.municipalities]
    answerer = qa.findings_answerer
    if named:
        # The named municipality's reports' findings, counted by key: not every report's.
        stated = {named[0]: answerer.stated(qa.retriever.view.listed(Filters(municipality=(named[0],))))}
    else:
        stated = answerer.stated_by_municipality()  # kept while the findings stay as they are
    asked = {" ".join(q.lower().rstrip("?").split()) for _, q in analyses}
    suggestions = []
    for requirements, question in words.follow_ups:
        for municipality, have in stated.items():
            if any(pair in have for pair in requirements):
                suggestions.append(question.format(m=municipality))
    if not named and len(stated) > 1 and words.comparison:
        suggestions.insert(1, words.comparison)
    fresh = [q for q in dict.fromkeys(suggestions) if " ".join(q.lower().rstrip("?").split()) not in asked]
    return fresh[:MAX_FOLLOW_UPS]


def queries(resolved: list[str]) -> list[str]:
    """What to search for: the latest question made self-contained ("Och i Hultsfred?" → "Vilka rekommendationer gavs
    i Hultsfred?"); none without a question, as the prompt asks when nothing is to be searched."""
    return resolved[-1:]


def reply(qa: QAService, messages: Sequence[tuple[str, str]]) -> str | None:
    """The reply to a front-end's task in the form its prompt asks for; None when the request is a question."""
    task = recognise(messages)
    if task is None:
        return None
    max_chars = qa.settings.max_question_chars
    questions = [q[:max_chars] for q in conversation(messages)]
    view = qa.retriever.view
    resolved = resolve_all(qa, questions) if questions else []
    analyses = [(analyze_question(q, view.municipalities, view.years), q) for q in resolved]
    words = wording(analyses)
    value: str | list[str]
    if task == "queries":
        value = queries(resolved)
    elif task == "title":
        value = title(words, analyses)
    elif task == "tags":
        value = tags(words, analyses)
    else:
        value = follow_ups(qa, words, analyses)
    if f'"{task}"' in _prompt(messages):
        return json.dumps({task: value}, ensure_ascii=False)
    return value if isinstance(value, str) else "\n".join(value)
