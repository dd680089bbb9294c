"""The answer layer: answer types, the refusal, and the router that asks each answerer in turn."""

from dataclasses import dataclass, field, replace
from typing import Protocol

import numpy as np

from ingest.index.catalog import ChunkRecord
from service.answering.wording import Wording, wording_for
from service.query.analysis import QuestionAnalysis
from service.query.retrieval import Filters, ScoredChunk


@dataclass(frozen=True)
class Citation:
    n: int
    record: ChunkRecord
    # The supporting span, in document offsets; always inside the chunk.
    quote_start: int
    quote_end: int

    @property
    def quote(self) -> str:
        chunk = self.record.chunk
        return chunk.text[self.quote_start - chunk.char_start : self.quote_end - chunk.char_start]

    def as_dict(self) -> dict:
        """The citation as the API shows it (CitationOut's fields); also what a kept turn stores, so a reopened
        conversation shows the same sources."""
        chunk, meta = self.record.chunk, self.record.metadata
        return {
            "n": self.n, "document_id": chunk.document_id, "title": meta.title, "municipality": meta.municipality, "year": meta.year,
            "section": chunk.section, "part": chunk.part or None, "page": self.record.page_at(self.quote_start),
            "char_start": chunk.char_start, "char_end": chunk.char_end, "text": chunk.text,
            "quote": self.quote, "quote_start": self.quote_start, "quote_end": self.quote_end,
        }


class Citations:
    """Numbers the passages one answer cites, each span cited in the live chunk that holds it."""

    def __init__(self, chunks: dict[str, list[ChunkRecord]]) -> None:
        self.chunks = chunks  # per document, in text order
        self.cited: list[Citation] = []
        self._numbers: dict[tuple[str, int, int], int] = {}

    def holder(self, document_id: str, start: int, end: int) -> ChunkRecord | None:
        records = self.chunks.get(document_id, [])
        inside = next((r for r in records if r.chunk.char_start <= start and end <= r.chunk.char_end), None)
        return inside or next((r for r in records if r.chunk.char_start <= start < r.chunk.char_end), None)

    def mark(self, document_id: str, start: int, end: int) -> str:
        """"[n]" for the span (a repeated span keeps its number), or "" when no live chunk holds it."""
        record = self.holder(document_id, start, end)
        if record is None:
            return ""
        end = min(end, record.chunk.char_end)  # a span that runs into the next chunk is quoted up to its end
        key = (record.chunk.chunk_id, start, end)
        if key not in self._numbers:
            self._numbers[key] = len(self._numbers) + 1
            self.cited.append(Citation(self._numbers[key], record, start, end))
        return f"[{self._numbers[key]}]"


@dataclass(frozen=True)
class Page:
    """Which reports a list answer over many reports sets out in full (`limit` of them from `offset`, in the
    answer's order); the others are counted, not listed, so an answer's size does not grow with the corpus."""

    offset: int = 0
    limit: int = 20


@dataclass(frozen=True)
class Paged:
    """Where an answer's page lies among the `total` reports it covers."""

    offset: int
    limit: int
    total: int

    @property
    def next_offset(self) -> int | None:
        return self.offset + self.limit if self.offset + self.limit < self.total else None

    def describe(self, w: Wording) -> str:
        """The line that ends a paged answer: which reports it shows and how to ask for the next ones."""
        if self.offset >= self.total:
            return w.no_more_reports.format(total=self.total)
        shown = w.showing.format(first=self.offset + 1, last=min(self.offset + self.limit, self.total), total=self.total)
        return w.next_page.format(shown=shown, offset=self.next_offset) if self.next_offset is not None else f"{shown}."

    @staticmethod
    def of(items: list, page: Page) -> tuple[list, "Paged | None"]:
        """The items of the page, and where it lies; None when every item fits on the first page."""
        if page.offset == 0 and len(items) <= page.limit:
            return items, None
        return items[page.offset : page.offset + page.limit], Paged(page.offset, page.limit, len(items))


@dataclass(frozen=True)
class Answer:
    text: str
    grounded: bool
    citations: tuple[Citation, ...] = ()
    answerer: str = "extractive"
    evidence: dict = field(default_factory=dict)
    # Set when the answer sets out one page of the reports it covers.
    page: Paged | None = None


@dataclass(frozen=True)
class AnswerRequest:
    question: str
    analysis: QuestionAnalysis
    filters: Filters
    hits: tuple[ScoredChunk, ...]
    query_vector: np.ndarray
    page: Page = Page()

    @property
    def wording(self) -> Wording:
        """How the answer is worded: in the question's language."""
        return wording_for(self.analysis.language)


class Answerer(Protocol):
    """Answers the request, or returns None to leave it to the next answerer."""

    name: str

    def run(self, request: AnswerRequest) -> Answer | None: ...


# Reports a refusal names one by one; beyond this many it counts them.
_NAMED_REPORTS = 20


@dataclass(frozen=True)
class CorpusSummary:
    """What the reports cover, named in every refusal so the user knows what can be asked."""

    reports: tuple[tuple[str, int | None, str], ...]  # (municipality, year, title)

    def describe(self, w: Wording) -> str:
        if not self.reports:
            return w.no_reports
        if len(self.reports) > _NAMED_REPORTS:
            # Named one by one, a refusal would grow with the corpus.
            places = len({m for m, _, _ in self.reports})
            years = sorted(y for _, y, _ in self.reports if y)
            span = f", {years[0]}–{years[-1]}" if years else ""
            return w.corpus_count.format(reports=len(self.reports), places=places, span=span)
        items = [f"{m} ({y}): {t}" if y else f"{m}: {t}" for m, y, t in self.reports]
        return w.corpus_list.format(items="; ".join(items))


def out_of_scope(kind: str, summary: CorpusSummary, w: Wording) -> Answer:
    """A short, friendly refusal that says what the service can answer instead (see QuestionAnalysis.out_of_scope)."""
    text = f"{w.out_of_scope[kind]}. {w.what_to_ask}. {summary.describe(w)}"
    return Answer(text=text, grounded=False, answerer="refusal", evidence={"reason": f"out_of_scope:{kind}"})


def framed(answer: Answer, w: Wording) -> Answer:
    """A grounded answer under the language's lead line ("According to the reports (quoted in Swedish):")."""
    return replace(answer, text=f"{w.lead}\n{answer.text}") if answer.grounded and w.lead else answer


def refusal(topic: str, summary: CorpusSummary, w: Wording, reason: str = "", evidence: dict | None = None) -> Answer:
    """"I find no support …" for `topic` (none: the question), why, and what the reports cover."""
    text = f"{w.refusal_text(topic, reason)}. {summary.describe(w)}"
    return Answer(text=text, grounded=False, answerer="refusal", evidence=evidence or {})


def filter_excludes(analysis: QuestionAnalysis, filters: Filters) -> Answer | None:
    """The answer when the question names only municipalities the explicit filter leaves out: say so, rather than
    answer about the filter's municipality as if it were the one asked about. None when nothing conflicts."""
    named = (*analysis.municipalities, *analysis.unknown_municipalities)
    if not filters.municipality or not named or any(m in filters.municipality for m in named):
        return None
    w = wording_for(analysis.language)
    asked, allowed = w.conjunction.join(named), w.conjunction.join(filters.municipality)
    if analysis.municipalities:
        advice = w.choose_in_filter.format(choices=w.either.join(analysis.municipalities), asked=asked, allowed=allowed)
    else:
        advice = w.none_loaded_in_filter.format(asked=asked, allowed=allowed)
    text = f"{w.filter_excludes.format(asked=asked, allowed=allowed)} {advice}"
    return Answer(text=text, grounded=False, answerer="refusal", evidence={"reason": "filter_excludes", "asked": list(named)})
