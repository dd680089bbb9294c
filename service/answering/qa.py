"""Question answering end to end: validate, analyse, route to an answerer, fall back to retrieval."""

import copy
import re
import threading
from dataclasses import dataclass, replace
from difflib import get_close_matches
from typing import get_args

import numpy as np

from ingest.config import Settings
from ingest.embedding import Embedder
from ingest.findings.model import VERDICTS, Finding, Kind
from ingest.index.catalog import DocumentRecord
from ingest.index.findings_store import FindingsStore
from ingest.language.lexicon import asked_parts, firms, one_report_pattern, part_headings
from ingest.language.ordinals import Ordinal, numbered_headings
from ingest.structure.parts import COVER, PURPOSE, SUMMARY
from service.answering.base import Answer, Answerer, AnswerRequest, CorpusSummary, Page, filter_excludes, framed, out_of_scope, refusal
from service.answering.extractive import COVER_ANSWERS, ExtractiveAnswerer, Thresholds, in_compound
from service.answering.findings import FindingsAnswerer
from service.answering.report import ReportAnswerer
from service.answering.wording import wording_for
from service.query.analysis import QuestionAnalysis, analyze_question, check_question, swedish_municipalities
from service.query.repair import QuestionRepair
from service.query.retrieval import EVERYTHING, Access, CorpusView, Filters, HybridRetriever, Mode, ScoredChunk, UnknownFilterError

# A 404 for an unknown document names the known ones up to this many (else the ids most like the one asked for).
KNOWN_DOCUMENTS_NAMED = 20
# The findings and report answerers run before the question is embedded: they read neither hits nor the query vector.
_NOT_EMBEDDED = np.empty(0, dtype=np.float32)


class DocumentNotFoundError(Exception):
    """No live document has this id."""


@dataclass(frozen=True)
class QAResult:
    answer: Answer
    analysis: QuestionAnalysis
    filters: Filters


class QAService:
    """Holds the loaded components; built once in the app's lifespan (or by the CLI)."""

    def __init__(self, settings: Settings, embedder: Embedder, retriever: HybridRetriever | None = None, answerers: list[Answerer] | None = None) -> None:
        self.settings = settings
        self.embedder = embedder
        self.retriever = retriever or HybridRetriever(settings, embedder)
        self._extra_answerers = answerers or []
        self.extractive: ExtractiveAnswerer | None = None
        self.findings_store: FindingsStore | None = None
        self.findings_answerer: FindingsAnswerer | None = None
        self.report_answerer: ReportAnswerer | None = None
        self._summary = CorpusSummary(())
        self.access = EVERYTHING
        # One reload at a time (a job's, and one a request started for another process's change): a slower reload
        # that began earlier must not replace a newer view.
        self._reload_lock = threading.Lock()
        # The services made visible_to each caller's access, for the view they were cut from.
        self._visible: tuple[CorpusView | None, dict[Access, "QAService"]] = (None, {})

    def visible_to(self, access: Access) -> "QAService":
        """This service as a caller with `access` may use it: a copy whose retriever, answerers, corpus summary,
        documents and findings know only the documents the caller may see (so a report it may not see is never
        ranked, quoted, listed, counted or named, and its municipality is as unknown as any without reports).
        Made once per access and live view, when first asked for."""
        if access.everything or access == self.access:
            return self
        if not self.access.everything:
            raise RuntimeError("a QA service made visible_to one caller is not made visible to another")
        view = self.retriever.view
        cache = self._visible
        if cache[0] is not view:
            cache = self._visible = (view, {})
        scoped = cache[1].get(access)
        if scoped is None:
            scoped = copy.copy(self)
            scoped.access = access
            scoped.retriever = self.retriever.visible_to(access)
            scoped._visible = (None, {})
            if scoped.ready:
                scoped._rebuild_answerers()
            cache[1][access] = scoped
        return scoped

    def warm_up(self) -> None:
        self.retriever.warm_up()
        self._rebuild_answerers()

    def reload(self, if_changed: bool = False) -> None:
        """A new view of what is live, and the answerers over it; with `if_changed`, only if the catalog moved on."""
        if not self.access.everything:
            raise RuntimeError("a QA service made visible_to a caller is not reloaded; reload the one it came from")
        with self._reload_lock:
            if self.retriever.reload(if_changed):
                self._rebuild_answerers()

    def _rebuild_answerers(self) -> None:
        summary = self._summary = self._read_summary()
        view = self.retriever.view
        self.extractive = ExtractiveAnswerer(
            self.retriever.store, summary, view.lexical.text_stem_frequencies(view.records.values()), len(view.records),
            Thresholds.from_settings(self.settings), terms=self.retriever.terms,
        )
        self.findings_store = FindingsStore(self.settings.catalog_path)
        self.findings_answerer = FindingsAnswerer(
            self.findings_store, self.retriever.view, summary, self.retriever.catalog.document_text, terms=self.retriever.terms
        )
        self.report_answerer = ReportAnswerer(self.retriever.view, terms=self.retriever.terms)
        self.repair = QuestionRepair(
            (*swedish_municipalities(), *self.retriever.view.municipalities),
            # Added up from each report's counts, kept with the lexical index by ingest, not read from every text.
            view.lexical.surface_counts(view.records.values()),
        )

    @property
    def ready(self) -> bool:
        return self.retriever.ready

    def documents(self, offset: int, limit: int) -> tuple[list[DocumentRecord], int]:
        """`limit` of the live documents the caller may see, by id, from `offset`, and how many there are: the page's
        ids from the view (the caller's, sorted once per view), their rows read by key, so that a page costs its own
        documents, not every one's. A document deleted since the view was built is left out of its page."""
        ids = self.retriever.view.document_ids
        return [d for d in self.retriever.catalog.documents(ids[offset : offset + limit]) if self.access.admits(d.metadata)], len(ids)

    def summary(self) -> CorpusSummary:
        """What the live reports the caller may see cover; read once per view, not on every refusal."""
        return self._summary

    def _read_summary(self) -> CorpusSummary:
        """From the documents the view was read with (the caller's only), not a second read of every document."""
        reports = sorted(
            {(m.municipality or d, m.year, m.title or d) for d, m in self.retriever.view.document_metadata.items() if self.access.admits(m)},
            key=lambda r: (r[0], r[1] or 0),
        )
        return CorpusSummary(tuple(reports))

    def document(self, document_id: str) -> tuple[DocumentRecord, str]:
        """A document and its text, read by key; one the caller may not see is as unknown as one that does not exist."""
        record = self.retriever.catalog.document(document_id)
        if record is None or not self.access.admits(record.metadata):
            raise DocumentNotFoundError(f"Dokumentet '{document_id}' finns inte. {self._known_documents(document_id)}")
        return record, self.retriever.catalog.document_text(document_id) or ""

    def _known_documents(self, document_id: str) -> str:
        """What a 404 names: every document the caller may see where they are few, else how many and the ids like the
        one asked for (the list itself is GET /v1/documents, paged)."""
        known = self.retriever.view.document_ids
        if len(known) <= KNOWN_DOCUMENTS_NAMED:
            return f"Kända dokument: {', '.join(known)}"
        similar = [d for d in known if document_id in d][:5] or get_close_matches(document_id, known, n=5)
        return f"{len(known)} dokument finns (GET /v1/documents listar dem)" + (f"; liknande id: {', '.join(similar)}" if similar else "")

    def search(self, query: str, top_k: int = 10, filters: Filters = Filters(), mode: Mode = "hybrid") -> list[ScoredChunk]:
        query = check_question(query, self.settings.max_question_chars)
        self.retriever.validate(filters)
        return self.retriever.run(query, top_k, filters, mode)

    def effective_filters(self, question: str, analysis: QuestionAnalysis, explicit: Filters) -> Filters:
        """Explicit filters win; otherwise a municipality or year named in the question restricts retrieval, and the
        subject it names to one of that municipality's reports."""
        if explicit:
            return explicit
        years = analysis.years
        if analysis.municipalities and years:
            # A year beside a municipality is usually the year of an event, not of the report.
            by_municipality = self.retriever.view.years_by_municipality
            municipality_years = {y for m in analysis.municipalities for y in by_municipality.get(m, ())}
            years = tuple(y for y in years if y in municipality_years)
        filters = self._titled(question, analysis, Filters(municipality=analysis.municipalities, year=years))
        return filters or self._by_firm(question)

    def _by_firm(self, question: str) -> Filters:
        """The reports of the firm a question names, where it names no municipality ("Vad rekommenderar KPMG?")."""
        named = [pattern for pattern in firms().values() if re.search(pattern, question)]
        if not named:
            return Filters()
        view = self.retriever.view
        made = {d for firm, documents in view.documents_by_firm.items() if any(re.search(p, firm) for p in named) for d in documents}
        if not made:
            return Filters()
        # A report whose metadata names no firm may be the named firm's: it stays in.
        return Filters(document_id=tuple(sorted(made | view.documents_without_firm)))

    def _titled(self, question: str, analysis: QuestionAnalysis, filters: Filters) -> Filters:
        """One report, where the question names its subject and no other report's title has it: one of a
        municipality's several ("Sammanfatta rapporten om elevhälsan i Halmstad"), or, where the question names no
        municipality but points at one report, one of all ("När är rapporten om hemtjänsten daterad?")."""
        if filters.year or self.extractive is None:
            return filters
        by_municipality = self.retriever.view.titles_by_municipality
        if not filters.municipality and one_report_pattern().search(question):
            titles = {d: title for named in by_municipality.values() for d, title in named.items()}
        elif len(filters.municipality) == 1:
            titles = by_municipality.get(filters.municipality[0], {})
            if len(titles) < 2:
                return filters
        else:
            return filters
        asked = self.extractive.content_stems(question, analysis.municipalities)
        named = [d for d, title in titles.items() if self.extractive.shares_stem(asked, title) or _in_compound(asked, title)]
        return replace(filters, document_id=(named[0],)) if len(named) == 1 else filters

    def readable(self, question: str) -> str:
        """The question checked and repaired (names, diacritics, abbreviations) as every reader takes it."""
        return self.repair.run(check_question(question, self.settings.max_question_chars))

    def ask(
        self, question: str, filters: Filters = Filters(), top_k: int | None = None, offset: int = 0, limit: int | None = None
    ) -> QAResult:
        """`offset` and `limit` page a list answer over many reports (see Page); `limit` defaults to answer_page_reports."""
        question = self.readable(question)
        self.retriever.validate(filters)
        view = self.retriever.view
        analysis = analyze_question(question, view.municipalities, view.years)
        effective = self.effective_filters(question, analysis, filters)
        page = Page(offset, limit or self.settings.answer_page_reports)
        answer = framed(self._answer(question, analysis, effective, filters, top_k, page), wording_for(analysis.language))
        return QAResult(answer, analysis, effective)

    def _answer(
        self, question: str, analysis: QuestionAnalysis, effective: Filters, filters: Filters, top_k: int | None, page: Page
    ) -> Answer:
        w = wording_for(analysis.language)
        if analysis.out_of_scope:
            return out_of_scope(analysis.out_of_scope, self.summary(), w)
        if analysis.unknown_municipalities and not analysis.municipalities and not filters.municipality:
            names = ", ".join(analysis.unknown_municipalities)
            return refusal(
                w.question_on.format(topic=names), self.summary(), w,
                reason=w.no_reports_from.format(names=names), evidence={"reason": "unknown_municipality"},
            )
        excluded = filter_excludes(analysis, filters)
        if excluded:
            return excluded
        request = AnswerRequest(question, analysis, effective, (), _NOT_EMBEDDED, page)
        for answerer in (self.findings_answerer, self.report_answerer):
            answer = answerer.run(request)
            if answer is not None:
                return answer
        query_vector = self.embedder.embed_query(question)
        hits = self.retrieve(question, top_k or self.settings.answer_top_k, effective, query_vector, analysis)
        request = replace(request, hits=tuple(hits), query_vector=query_vector)
        for answerer in self._extra_answerers:
            answer = answerer.run(request)
            if answer is not None:
                return answer
        return self.extractive.run(request)

    def retrieve(self, question: str, top_k: int, filters: Filters, query_vector: np.ndarray, analysis: QuestionAnalysis) -> list[ScoredChunk]:
        """The chunks /v1/ask answers from; for several municipalities ("i Alvesta respektive Hultsfred") taken in
        turn from each one's own ranking, and for a question across reports ("I vilka kommuner nämns …?") in turn
        from the rankings of the reports matching best (one retrieval for them all), so that the report matching
        best does not crowd out the others."""
        covers = self._covers(analysis, filters)
        evidence = self.findings_answerer.evidence_chunks(analysis.findings, filters) + self._numbered_sections(analysis.ordinal, filters) + covers
        if len(filters.municipality) >= 2:
            # As many retrievals as municipalities the question names: each is searched in full.
            parts = [replace(filters, municipality=(m,)) for m in filters.municipality]
            rankings = [self.retriever.run(question, top_k, part, "hybrid", query_vector=query_vector, evidence=evidence) for part in parts]
            # Municipalities whose reports state what a findings question asks about go first; the others only fill in.
            stated = set(evidence)
            rankings.sort(key=lambda ranking: not any(h.record.chunk.chunk_id in stated for h in ranking))
        elif analysis.across_reports and not filters:
            rankings = self.retriever.run_per_document(
                question, top_k, filters, self.settings.across_reports_documents, query_vector=query_vector, evidence=evidence
            )
        else:
            hits = self.retriever.run(question, top_k, filters, "hybrid", query_vector=query_vector, evidence=evidence)
            if analysis.answer_type not in COVER_ANSWERS:
                return hits
            # The cover answers who and when though it reads like no passage: a report longer than top_k chunks would
            # rank it out of the fused list, so it is always offered, after the ranked chunks.
            present = {h.record.chunk.chunk_id for h in hits}
            records = self.retriever.view.records
            return hits + [ScoredChunk(records[cid], 0.0) for cid in covers if cid not in present and cid in records]
        merged: dict[str, ScoredChunk] = {}
        for rank in range(top_k):
            for ranking in rankings:
                if rank < len(ranking):
                    merged.setdefault(ranking[rank].record.chunk.chunk_id, ranking[rank])
        return list(merged.values())[: max(top_k, len(rankings))]

    def _covers(self, analysis: QuestionAnalysis, filters: Filters) -> list[str]:
        """The cover chunks of the reports asked about, for a question the cover answers (who wrote it, when, which
        firm): retrieval leaves covers out otherwise. Likewise the Syfte part for a question for the purpose: it
        may state it only as its revisionsfråga, which reads like no answer; and the part of the frame asked for."""
        if not (filters.municipality or filters.document_id):
            return []
        if analysis.asked_part is not None:
            # The frame asked for ("Vilka intervjuades?"): the chunks under its heading, and the summary, which often
            # states what was audited and how ("… genomfört en granskning av socialnämnden", "Som underlag har vi …").
            # A part the genre gives no heading of its own (who commissioned the audit) is offered where it is stated.
            asked = analysis.asked_part
            headless = asked not in part_headings()
            return [
                r.chunk.chunk_id for r in self.retriever.records_in(filters)
                if r.chunk.units and (r.chunk.stands_under(asked) or r.chunk.part == SUMMARY or headless and asked_parts()[asked].stated.search(r.chunk.text))
            ]
        part = COVER if analysis.answer_type in COVER_ANSWERS else PURPOSE if analysis.answer_type == "purpose" else None
        if part is None:
            return []
        return [r.chunk.chunk_id for r in self.retriever.records_in(filters) if r.chunk.part == part and r.chunk.units]

    def _numbered_sections(self, ordinal: Ordinal | None, filters: Filters) -> list[str]:
        """Chunks holding the numbered heading an ordinal in the question asks about ("den andra
        åtgärdskatalogen" -> "Åtgärds katalog 2"): neither ranking ties "andra" to "2"."""
        if ordinal is None:
            return []
        return [
            r.chunk.chunk_id for r in self.retriever.records_in(filters)
            if any(h.number == ordinal.number for h in numbered_headings(r.chunk.text, ordinal))
        ]

    def findings(self, municipality: str | None = None, verdict: str | None = None, document_id: str | None = None, kind: str | None = None) -> list[Finding]:
        """Findings of the live reports; a value no report has raises UnknownFilterError naming the valid ones."""
        self._check_findings_filters(municipality, verdict, document_id, kind)
        found = self.findings_store.query(municipality, verdict, document_id, kind)
        # live_hashes holds only the documents the caller may see.
        live = self.retriever.view.live_hashes
        return [f for f in found if f.document_id in live]

    def findings_page(
        self, municipality: str | None, verdict: str | None, document_id: str | None, kind: str | None, offset: int, limit: int
    ) -> tuple[list[Finding], int]:
        """`limit` of `findings` from `offset`, and how many there are: counted and cut in SQL where every report with
        findings is one this view holds (the usual case), so a page reads its own findings, not every report's; else
        (a caller who may not see some, a report being switched) all read and cut here."""
        if not self.findings_answerer.sees_every_report():
            found = self.findings(municipality, verdict, document_id, kind)
            return found[offset : offset + limit], len(found)
        self._check_findings_filters(municipality, verdict, document_id, kind)
        return self.findings_store.page(municipality, verdict, document_id, kind, offset, limit)

    def _check_findings_filters(self, municipality: str | None, verdict: str | None, document_id: str | None, kind: str | None) -> None:
        view = self.retriever.view
        for name, value, valid in (
            ("municipality", municipality, view.municipalities),
            ("verdict", verdict, VERDICTS),
            ("document_id", document_id, view.document_ids),
            ("kind", kind, get_args(Kind)),
        ):
            if value is not None and value not in valid:
                raise UnknownFilterError(name, [value], list(valid))

    def findings_summary(self) -> list[dict]:
        live = self.retriever.view.live_hashes
        return [entry for entry in self.findings_store.summary() if entry["document_id"] in live]


def _in_compound(stems: set[str], title: str) -> bool:
    """Whether a title word is a compound of an asked stem: "bygglov" in "bygglovshandläggningen"."""
    words = re.findall(r"[^\W\d_]+", title.casefold())
    return any(in_compound(stem, w) for stem in stems for w in words)
