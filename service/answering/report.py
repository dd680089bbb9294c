"""Questions about a report itself (its date, who wrote it, which firm audited, which report is oldest, what its
cover states about it) answered from the catalog's metadata or the report's labelled lines, each value cited where
the report's text states it.

Retrieval is weak at these: a dateline ("Kalmar 17 februari 2016") or a signature is a short line that
shares no words with "Vilket datum har förstudien?". The metadata holds the value (from the corpus
manifest or inferred at ingest), and the answer only states a value it can cite: a value the text does not
contain leaves the question to retrieval.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from ingest.documents.metadata import DocumentMetadata
from ingest.index.catalog import ChunkRecord
from ingest.language.lexicon import document_facts, firms, months
from ingest.language.sentences import split_sentences
from ingest.language.terms import TermExpander
from ingest.language.words import same_family
from ingest.structure.parts import COVER
from service.answering.base import Answer, AnswerRequest, Citations, Page, Paged
from service.answering.wording import Wording
from service.query.report_questions import Asked
from service.query.retrieval import CorpusView

# A firm is best cited where the report says it did the audit, not where it is merely named.
_CONDUCTED = re.compile(r"genomfört|utfört|granskning|rapport", re.IGNORECASE)
_DID_AUDIT = re.compile(r"\b(?:har|hade)\s+\S+\s+(?:granskat|genomfört|utfört)|\bpå uppdrag av\b|\bgranskats av\b", re.IGNORECASE)
_MONTH_NAMES = tuple(months())
_QUOTABLE_COVER_CHARS = 300
# Where the subject of "Vilka rapporter handlar om …?" begins.
_ABOUT = re.compile(
    r"\b(?:handlar|handlade|gäller|gällde|behandlar|avser|granskat|granskade|granskats|granskades|are|were|is|audited|reviewed|examined)"
    r"\s+(?:om\s+|about\s+|on\s+)?",
    re.IGNORECASE,
)


def _paged(items: Sequence, page: Page) -> tuple[Sequence, Paged | None]:
    """`Paged.of` for a list over more reports than a page; a list that fits on one is set out whole whatever the
    offset, as before lists were paged."""
    return (items, None) if len(items) <= page.limit else Paged.of(items, page)


@dataclass(frozen=True)
class _Stated:
    """A metadata value and the span of the report's text that states it."""

    value: str
    start: int
    end: int


class ReportAnswerer:
    name = "report"

    def __init__(self, view: CorpusView, terms: TermExpander | None = None) -> None:
        self.view = view
        self.chunks: dict[str, list[ChunkRecord]] = view.in_text_order
        self._places = Citations(self.chunks)  # only its lookup of the chunk holding a span
        # An English question's subject in the reports' Swedish terms ("crisis preparedness" -> "krisberedskap").
        self.terms = terms

    def run(self, request: AnswerRequest) -> Answer | None:
        asked = request.analysis.report
        if asked is None:
            return None
        documents = self.view.listed(request.filters)
        cite = Citations(self.chunks)
        w = request.wording
        paged = None
        if asked == "oldest":
            lines, paged = self._oldest(documents, cite, request.page, w)
        elif asked == "by_firm":
            lines, paged = self._by_firm(request.question, documents, cite, request.page, w)
        elif asked == "about":
            lines, paged = self._about(request, documents, cite, request.page, w)
        elif asked == "count":
            # Every report counts; one whose title its text does not state is listed by its metadata, uncited. More
            # than a page of them are counted, and the page's listed.
            shown, paged = _paged(documents, request.page)
            listed = [self._line("title", d, cite, w) or f"{self._label(d, w)}" for d in shown]
            lines = [w.report_count[len(documents) != 1].format(n=len(documents)), *listed] if documents else []
        else:
            # A fact of each report ("Vem skrev rapporterna?"): more than a page of reports are set out a page at a
            # time, each listed where its text states the fact.
            shown, paged = _paged(documents, request.page)
            lines = [line for d in shown if (line := self._line(asked, d, cite, w))]
        if not cite.cited:
            # A page past the last, or one whose reports state none of it, says where the list ends, as a findings
            # list does; an answer that fits on one page and cites nothing is left to retrieval, as before.
            return Answer(paged.describe(w), grounded=False, answerer=self.name, evidence={"asked": asked}, page=paged) if paged else None
        if paged:
            lines.append(paged.describe(w))
        return Answer(
            "\n".join(lines), grounded=True, citations=tuple(cite.cited), answerer=self.name, evidence={"asked": asked}, page=paged,
        )

    def _meta(self, document_id: str) -> DocumentMetadata:
        return self.chunks[document_id][0].metadata

    def _label(self, document_id: str, w: Wording) -> str:
        meta = self._meta(document_id)
        name = meta.municipality or document_id
        place = f"{name} ({meta.year})" if meta.year else name
        return f"{place}, {w.quoted(meta.title)}" if meta.title else place

    def _line(self, asked: Asked, document_id: str, cite: Citations, w: Wording) -> str | None:
        meta = self._meta(document_id)
        label = self._label(document_id, w)
        if asked in document_facts():
            stated = self._fact(document_id, asked)
            noun = w.fact_nouns.get(asked, document_facts()[asked].noun)
            return f"{label}: {w.fact.format(noun=noun, value=stated.value)} {self._mark(document_id, stated, cite)}" if stated else None
        if asked == "title":
            title = meta.title or ""
            # The title as the cover prints it, which may break it over lines or add the municipality.
            stated = self._find(document_id, title, r"\s+".join(re.escape(word) for word in title.split())) if title else None
            place = label.removesuffix(f", {w.quoted(title)}")
            return w.titled.format(place=place, title=w.quoted(title), mark=self._mark(document_id, stated, cite)) if stated else None
        if asked == "date":
            stated = self._date(document_id)
            return w.dated.format(label=label, date=w.date(stated.value), mark=self._mark(document_id, stated, cite)) if stated else None
        authors = [s for name in (meta.auditor or "").split(",") if (s := self._find(document_id, name.strip()))]
        firm = self._firm(document_id)
        if asked == "firm" and not firm:
            return None  # which firm is asked, and the report names none that the catalog knows
        if asked in ("conductor", "firm") and firm:
            by = f"{firm.value} {self._mark(document_id, firm, cite)}"
            if authors:
                by += " (" + ", ".join(f"{a.value} {self._mark(document_id, a, cite)}" for a in authors) + ")"
            return f"{label}: {w.conducted_by.format(by=by)}"
        if authors:
            names = ", ".join(f"{a.value} {self._mark(document_id, a, cite)}" for a in authors)
            if asked == "conductor":
                return f"{label}: {w.no_firm_written_by.format(names=names)}"
            line = f"{label}: {w.written_by.format(names=names)}"
            return line + (f", {firm.value} {self._mark(document_id, firm, cite)}" if firm else "")
        cover = self._cover(document_id) if asked == "author" else None
        if cover is not None:
            # Covers name the authors, but no name list says which words are names: the cover is quoted instead.
            quoted = w.quoted(" ".join(cover.value.split()))
            line = f"{label}: {w.no_authors_cover.format(cover=quoted, mark=cite.mark(document_id, cover.start, cover.end))}"
        elif firm:
            line = f"{label}: {w.no_authors}"
        else:
            return None
        # Cited after the cover: the numbers follow the order of the answer's text.
        return line + (w.and_conducted_by.format(by=f"{firm.value} {self._mark(document_id, firm, cite)}") if firm else "")

    def _by_firm(self, question: str, documents: Sequence[str], cite: Citations, page: Page, w: Wording) -> tuple[list[str], Paged | None]:
        """The reports the firms the question names made, each cited where the report names its firm. Which firm made
        a report is its metadata's (`documents_by_firm`); more than a page of a firm's reports are counted by it, and
        the page's set out, those of them whose text names the firm, as always."""
        asked = [name for name, pattern in firms().items() if re.search(pattern, question, re.IGNORECASE)]
        lines, pages = [], []
        for name in asked:
            made_by = {d for firm, ds in self.view.documents_by_firm.items() if firm == name or re.search(firms()[name], firm) for d in ds}
            by = [d for d in documents if d in made_by]
            shown, paged = _paged(by, page)
            made = [(d, firm) for d in shown if (firm := self._firm(d))]
            if made:
                lines.append(w.reports_by_firm.format(firm=name, n=len(by) if paged else len(made)))
                lines += [f"- {self._label(d, w)} {self._mark(d, firm, cite)}" for d, firm in made]
            pages += [paged] if paged else []
        # Where several firms are asked for, the page is that of the longest list.
        return lines, max(pages, key=lambda p: p.total, default=None)

    def _about(self, request: AnswerRequest, documents: Sequence[str], cite: Citations, page: Page, w: Wording) -> tuple[list[str], Paged | None]:
        """The reports whose titles name the subject asked about, each cited where its text first names it. The
        titles are looked up by word (`_titled`), not read one by one; more than a page of reports are counted by
        their titles, and the page's set out: those of them whose text names the subject, as always."""
        parts = _ABOUT.split(request.question, maxsplit=1)
        if len(parts) < 2:
            return [], None  # "Vilka kommuner har granskats?" names no subject
        subject = parts[1]
        # An English question's subject in the reports' Swedish terms ("crisis preparedness" -> "krisberedskap").
        translated = self.terms.expand(subject)[len(subject) :] if self.terms and request.analysis.language == "en" else ""
        words = re.findall(r"[^\W\d_]{4,}", f"{subject} {translated}".casefold())
        named = self._titled(words, documents)
        titled = self.view.in_listing_order(named)
        shown, paged = _paged(titled, page)
        lines = []
        for document_id in shown:
            word = named[document_id]
            stated = self._find(document_id, word, rf"\b{re.escape(word[:5])}\w*")
            if stated is not None:
                lines.append(f"- {self._label(document_id, w)} {self._mark(document_id, stated, cite)}")
        count = len(titled) if paged else len(lines)
        return ([w.reports_about.format(subject=subject.strip(" ?."), n=count), *lines] if lines else []), paged

    def _titled(self, words: list[str], documents: Sequence[str]) -> dict[str, str]:
        """The documents (of `documents`) whose title has a word of the family of one of `words`, each with the first
        of `words` that it has: found through the view's index of title words, so a question costs the distinct
        title words and the reports found, not a pass over every title."""
        index = self.view.title_words
        named: dict[str, str] = {}
        for word in words:
            for title_word, holders in index.items():
                if word == title_word or same_family(word, title_word, min_prefix=5, max_extra=3):
                    for document_id in holders:
                        named.setdefault(document_id, word)
        if len(documents) < len(self.view.listing_order):
            scope = set(documents)
            return {d: word for d, word in named.items() if d in scope}
        return named

    def _cover(self, document_id: str) -> _Stated | None:
        """A report's cover, when it is short enough to quote whole (title, municipality, date, names)."""
        record = next((r for r in self.chunks.get(document_id, []) if r.chunk.part == COVER), None)
        if record is None or len(record.chunk.text) > _QUOTABLE_COVER_CHARS:
            return None
        return _Stated(record.chunk.text, record.chunk.char_start, record.chunk.char_end)

    @cached_property
    def _dates(self) -> dict[str, tuple[str, str, _Stated]]:
        """Each live report whose text states its date: (the date, the report, where). Each report's text is searched
        for its date once per view, on the first question that needs it, not at every question."""
        return {d: (stated.value, d, stated) for d in self.view.listing_order if (stated := self._date(d))}

    @cached_property
    def _by_date(self) -> list[tuple[str, str, _Stated]]:
        return sorted(self._dates.values())

    def _oldest(self, documents: Sequence[str], cite: Citations, page: Page, w: Wording) -> tuple[list[str], Paged | None]:
        """The oldest and the newest report, and (a page of them at a time) those between, each by the date its text
        states."""
        # `documents` are some of the view's (a filter's) or all of them.
        every = len(documents) == len(self.view.listing_order)
        dated = self._by_date if every else sorted(self._dates[d] for d in documents if d in self._dates)
        if len(dated) < 2:
            return [], None
        lines = [
            template.format(label=self._label(d, w), date=w.date(value), mark=self._mark(d, stated, cite))
            for template, (value, d, stated) in ((w.oldest, dated[0]), (w.newest, dated[-1]))
        ]
        shown, paged = _paged(dated[1:-1], page)
        if shown:
            between = ", ".join(f"{self._label(d, w)} {w.date(value)} {self._mark(d, stated, cite)}" for value, d, stated in shown)
            lines.append(w.between.format(items=between))
        return lines, paged

    def _date(self, document_id: str) -> _Stated | None:
        iso = self._meta(document_id).date
        if not iso or not re.fullmatch(r"\d{4}-\d\d-\d\d", iso):
            return self._cover_month(document_id)
        year, month, day = (int(part) for part in iso.split("-"))
        pattern = rf"\b{iso}\b|\b0?{day} {_MONTH_NAMES[month - 1]} {year}\b"
        return self._find(document_id, iso, pattern)

    def _cover_month(self, document_id: str) -> _Stated | None:
        """The month and year a cover is dated by ("Augusti 2010", "Genomförd på uppdrag av revisorerna mars 2020"),
        as the genre often dates a report; only the cover's, since the body names months of events."""
        year = self._meta(document_id).year
        pattern = re.compile(rf"\b({'|'.join(_MONTH_NAMES)})\s+((?:19|20)\d\d)\b", re.IGNORECASE)
        for record in self.chunks.get(document_id, []):
            if record.chunk.part != COVER:
                continue
            for match in pattern.finditer(record.chunk.text):
                if year is None or int(match.group(2)) == year:
                    value = f"{match.group(2)}-{_MONTH_NAMES.index(match.group(1).lower()) + 1:02d}"
                    start = record.chunk.char_start + match.start()
                    return _Stated(value, start, start + len(match.group()))
        return None

    def _firm(self, document_id: str) -> _Stated | None:
        firm = self._meta(document_id).firm
        if not firm:
            return None
        # "Stadsrevisionen Göteborg" in a manifest is stated in the text as "Stadsrevisionen".
        pattern = firms().get(firm) or next((p for p in firms().values() if re.search(p, firm)), re.escape(firm))
        found = self._every(document_id, firm, pattern)
        # Best where a sentence says the firm did the audit ("På uppdrag av revisorerna har KPMG granskat …"), then
        # where it names the report or the audit (a cover's "Revisionsrapport … KPMG AB"), then its first mention.
        for cue in (_DID_AUDIT, _CONDUCTED):
            stated = next((s for s in found if cue.search(self._sentence_text(document_id, s))), None)
            if stated is not None:
                return stated
        return found[0] if found else None

    def _fact(self, document_id: str, name: str) -> _Stated | None:
        """The first line where the report states a fact about itself ("Antal sidor: 11"), and the value it gives."""
        for record in self.chunks.get(document_id, []):
            for match in document_facts()[name].stated.finditer(record.chunk.text):
                value = next(g for g in match.groups() if g)
                start = record.chunk.char_start + match.start()
                return _Stated(" ".join(value.split()), start, start + len(match.group()))
        return None

    def _find(self, document_id: str, value: str, pattern: str | None = None) -> _Stated | None:
        return next(iter(self._every(document_id, value, pattern)), None) if value else None

    def _every(self, document_id: str, value: str, pattern: str | None = None) -> list[_Stated]:
        compiled = re.compile(pattern or rf"\b{re.escape(value)}\b", re.IGNORECASE)
        found: dict[int, _Stated] = {}
        for record in self.chunks.get(document_id, []):
            base = record.chunk.char_start
            for match in compiled.finditer(record.chunk.text):
                found.setdefault(base + match.start(), _Stated(value, base + match.start(), base + match.end()))
        return [found[start] for start in sorted(found)]

    def _sentence(self, document_id: str, stated: _Stated) -> tuple[int, int]:
        """The sentence, or line, around a stated value: the quote that shows it in context."""
        chunk = self._places.holder(document_id, stated.start, stated.end).chunk
        text, at, end = chunk.text, stated.start - chunk.char_start, stated.end - chunk.char_start
        line_start = text.rfind("\n", 0, at) + 1
        line_end = text.find("\n", end)
        line_end = len(text) if line_end < 0 else line_end
        start, stop = at, end
        for s, e in split_sentences(text, line_start, line_end):
            if s <= at < e:
                start, stop = s, max(e, end)
                break
        return chunk.char_start + start, chunk.char_start + stop

    def _sentence_text(self, document_id: str, stated: _Stated) -> str:
        start, end = self._sentence(document_id, stated)
        chunk = self._places.holder(document_id, start, end).chunk
        return chunk.text[start - chunk.char_start : end - chunk.char_start]

    def _mark(self, document_id: str, stated: _Stated, cite: Citations) -> str:
        return cite.mark(document_id, *self._sentence(document_id, stated))
