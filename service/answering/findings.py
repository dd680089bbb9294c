"""Findings questions answered from the findings extracted at ingest instead of from retrieved passages.

"Which kontrollmål were not met?" needs every such kontrollmål and the verdict the report states; retrieval
returns the few passages that read most like the question, which can miss items or quote a summary table
that contradicts the assessment. So these questions are read off the findings data: complete lists, one
line per item, each cited to the passage its finding rests on. Anything else returns None and goes on to
retrieval and the extractive answerer.
"""

import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import get_args

from ingest.documents.metadata import DocumentMetadata
from ingest.findings.model import ASSESSED, NO_ASSESSMENTS, NOTE_NO_VERDICT, UNREAD, Finding, FindingSource, Kind, Status, Verdict
from ingest.index.catalog import ChunkRecord
from ingest.index.findings_store import FindingCounts, FindingsStore, KindFindings
from ingest.index.lexical import SwedishAnalyzer
from ingest.language.lexicon import causal_pattern, firm_pattern, verb_particles
from ingest.language.sentences import split_sentences
from ingest.language.terms import TermExpander
from ingest.language.words import particle_joined, same_family
from service.answering.base import Answer, AnswerRequest, Citations, CorpusSummary, Page, Paged, refusal
from service.answering.wording import Forms, Wording, first_sentences, flexible_pattern, numbered_section
from service.query.findings_questions import Comparison, FindingsQuestion
from service.query.retrieval import CorpusView, Filters

# --- matching a kontrollmål by its wording ---------------------------------------------------------------

# Words that say what is asked, not which kontrollmål: they must not count as overlap.
_NOT_TOPIC = re.compile(
    r"^(?:kontrollmål\w*|kontrollfråg\w*|bedöm\w*|uppfyll\w*|revisor\w*|revision\w*|gransk\w*|rapport\w*|kommun(?:en|ens|er|erna)?"
    r"|vad|vilk\w*|hur|blev|fick|gav|gavs|delvis|helt|ej|inte|icke|enligt|control|objectives?|audit\w*|assess\w*|judged|rated"
    r"|was|were|is|are|the|this|that|how|what|which|did|does|do|met|not|fulfilled|partly|partially|in|of|on|about|for|by"
    r"|tyck\w*|ans[åe]g?\w*|think|om|av|med|till|på|för|i|inom|kring|sin|sitt|sina|dess|deras|its|their)$"
)
_CLEAR_LEAD = 0.1
# How much of a topic a finding's wording must cover to be about it, across the reports.
_TOPIC_COVERAGE = 0.6
_GRADED_KINDS = frozenset({"kontrollmal", "revisionsfraga"})
# The words of asking what the auditors found wanting, which name no subject of it.
_SHORTCOMING_WORDS = re.compile(
    r"\b(?:brist\w*|svaghet\w*|förbättringsområd\w*|kritik\w*|kritiser\w*|påpekande\w*|påtala\w*|fann|finns|fanns|funnit|hittade?|hittat"
    r"|upptäck\w*|identifier\w*|konstater\w*|fungerar|fungerade|dåligt|sämst|några|något|någon|det|har|hade|mot|de|dem"
    # "Vad är skälet till att Sandviken fick kritik?": the reasons, which a shortcoming's lines give, are no topic.
    r"|skäl\w*|anledning\w*|orsak\w*|varför|motiver\w*|till|att|vad|är|var|fick|får"
    r"|shortcomings?|weakness\w*|deficienc\w*|criticism\w*|wrong|went|found|identified|there|any)\b",
    re.IGNORECASE,
)
# The words of asking for recommendations, which name no topic of them.
_RECOMMENDING = re.compile(
    r"\b(?:rekommend\w*|förslag\w*|bör|borde|ska|skulle|göra|lämna\w*|gavs|ges|fått|får|ta del)\b", re.IGNORECASE
)
# Shorter stems ("ta", "ge") are verbs of any sentence.
_TOPIC_STEM = 4


def _stems_match(a: str, b: str) -> bool:
    # Snowball leaves "samordning" and "samordn(as)" apart; a shared stem start of 4+ letters joins them.
    return same_family(a, b, min_prefix=4, min_share=1.0)


class _GoalMatcher:
    def __init__(self, analyzer: SwedishAnalyzer, municipalities: tuple[str, ...]) -> None:
        self.analyzer = analyzer
        self.names = {m.casefold() for m in municipalities}

    def topic(self, question: str) -> list[str]:
        words = [
            w for w in re.findall(r"[^\W\d_]+", question.casefold())
            if not _NOT_TOPIC.match(w) and w not in self.names and w.removesuffix("s") not in self.names
        ]
        text = " ".join(words)
        # A verb with its particle is one thing asked about: "följa upp" is "uppfölj", not also any "följa".
        joined = particle_joined(text)
        particles = tuple(verb_particles().values())
        verbs = set(self.analyzer(" ".join(j[len(p) :] for j in joined for p in particles if j.startswith(p))))
        return [t for t in dict.fromkeys(self.analyzer(" ".join([text, *joined]))) if t not in verbs]

    def covering(self, topic: list[str], goals: list[Finding], min_coverage: float, min_words: int = 1) -> list[tuple[float, Finding]]:
        """The findings whose wording covers at least `min_coverage` of the topic, with how much."""
        scored = []
        for goal in goals:
            stems = set(self.analyzer(" ".join([goal.text, *particle_joined(goal.text)])))
            matched = [t for t in topic if any(_stems_match(t, s) for s in stems)]
            coverage = len(matched) / len(topic)
            if coverage >= min_coverage and len(matched) >= min_words:
                scored.append((coverage, goal))
        return scored

    def best(self, topic: list[str], goals: list[Finding], min_coverage: float, min_words: int) -> list[Finding]:
        """The kontrollmål whose wording covers most of the topic; several when none clearly leads."""
        scored = self.covering(topic, goals, min_coverage, min_words)
        if not scored:
            return []
        top = max(coverage for coverage, _ in scored)
        return [goal for coverage, goal in scored if coverage >= top - _CLEAR_LEAD]


# --- citations ------------------------------------------------------------------------------------------

class _Citations(Citations):
    """Citations of findings: a finding's span is cited in the live chunk that holds it."""

    def source(self, document_id: str, source: FindingSource) -> str:
        return self.mark(document_id, source.char_start, source.char_end)

    def together(self, document_id: str, sources: list[FindingSource]) -> str:
        """One citation per chunk for sources that belong together, such as the items of one list."""
        spans: dict[str, tuple[int, int]] = {}
        for s in sources:
            record = self.holder(document_id, s.char_start, s.char_end)
            if record is not None:
                start, end = spans.get(record.chunk.chunk_id, (s.char_start, s.char_end))
                spans[record.chunk.chunk_id] = (min(start, s.char_start), max(end, s.char_end))
        return "".join(self.mark(document_id, start, end) for start, end in sorted(spans.values()))

    def sentence(self, document_id: str, sentence: str, near: FindingSource) -> str | None:
        """Cite a sentence of a finding's motivation where the report has it, searching the chunk of `near` first."""
        pattern = flexible_pattern(sentence)
        first = self.holder(document_id, near.char_start, near.char_end)
        for record in sorted(self.chunks.get(document_id, []), key=lambda r: r is not first):
            found = pattern.search(record.chunk.text)
            if found:
                base = record.chunk.char_start
                return self.mark(document_id, base + found.start(), base + found.end())
        return None


# --- the answerer ---------------------------------------------------------------------------------------

# What the genre says someone should do, where it recommends without the word ("Kommunstyrelsen bör tydliggöra …").
_SHOULD = re.compile(r"\bbör\b", re.IGNORECASE)
# The words a report uses for a kind of finding when it states one in running text.
_KIND_WORDS: dict[Kind, re.Pattern] = {
    "rekommendation": re.compile(r"\brekommend|\bförslag till åtgärd", re.IGNORECASE),
    "revisionsfraga": re.compile(r"\brevisionsfråg|\bgranskningsfråg|\bfrågeställning", re.IGNORECASE),
}


_CAUSAL = causal_pattern()
# How far into what follows a finding its reason is looked for.
_REASON_SENTENCES = 4
# How many graded kontrollmål a summary lists before it says how many more there are.
_SUMMARY_GOALS = 8


# The levels of an item the audit found wanting.
_WANTING = frozenset({"partly", "not"})
# The genre's verdicts from the harshest to the mildest.
_VERDICT_ORDER = ("ej uppfyllt", "delvis uppfyllt", "uppfyllt")


class FindingsAnswerer:
    name = "findings"

    def __init__(
        self, store: FindingsStore, view: CorpusView, summary: CorpusSummary, document_text: Callable[[str], str | None],
        terms: TermExpander | None = None,
    ) -> None:
        self.store = store
        # An English question's subject in the reports' Swedish terms, to compare with the kontrollmål's wording.
        self.terms = terms
        self.summary = summary
        self.document_text = document_text  # the whole text, front matter included
        self.view = view
        self.chunks: dict[str, list[ChunkRecord]] = view.in_text_order
        self.matcher = _GoalMatcher(SwedishAnalyzer(), view.municipalities)
        # What is derived from every report's findings, and the findings' stamp it was derived at (see _scope).
        self._kept: tuple[int | None, dict] = (None, {})
        self._keeping = threading.Lock()

    def run(self, request: AnswerRequest) -> Answer | None:
        asked = request.analysis.findings
        if asked is None or request.analysis.opinion_holder:
            # "Vad tyckte kommunstyrelsen om rekommendationerna?" asks for someone else's view of them, which the
            # findings do not hold; retrieval looks for a passage that gives it.
            return None
        kept = self._kept_now()
        documents, statuses, found = self._scope(request.filters, asked.kind, kept)
        if not documents:
            return None
        if asked.kind == "kontrollmal":
            def states() -> _States:
                return _States({d: _state(statuses[d], found.unfound(d), asked.assessed) for d in documents})

            states = _keep(kept, ("states", asked.assessed), states) if not request.filters else states()
            return self._kontrollmal(asked, request, documents, found, states)
        if asked.implicit and not found.having():
            return None
        w = request.wording
        if asked.summary:
            return self._summary(documents, found, request.page, w)
        if asked.shortcomings:
            return self._shortcomings(request, documents, found, w, kept if not request.filters else {})
        if asked.comparison in ("most", "fewest"):
            return self._counted(asked.kind, asked.comparison, documents, found, request.page, w)
        if asked.kind == "rekommendation" and not request.filters and request.analysis.language == "sv":
            picked = self._on_topic(request.question, documents, found)
            if picked is not None:
                if not any(picked.values()):
                    return None  # no report recommends that: retrieval may find it said in other words
                documents = [d for d in documents if picked[d]]
                found = KindFindings.given(asked.kind, {d: picked[d] for d in documents})
        if asked.kind == "revisionsfraga" and asked.single and not asked.number and len(documents) == 1:
            # "Vad svarade revisorerna på revisionsfrågan om investeringsprojekten?": the one question it is about.
            topic = self.matcher.topic(self._in_swedish(request))
            matched = self.matcher.best(topic, found[documents[0]], 0.5, 1) if topic else []
            if matched:
                return self._about(matched, found[documents[0]], w)
        if asked.kind == "revisionsfraga" and (asked.verdict or asked.number):
            picked = self._picked_questions(asked, documents, found)
            if picked is not None and not any(picked.values()) and asked.verdict and all(f.verdict for d in documents for f in found[d]):
                # Every question has its answer read and none is the one asked for: say so, with the answers given.
                listing = self._listing(asked.kind, documents, found, w, answers=True, page=request.page)
                if listing is not None and listing.grounded:
                    return replace(listing, text=f"{w.no_question_answered.format(verdict=w.quoted(asked.verdict))}\n\n{listing.text}")
            if picked is None or not any(picked.values()):
                return None
            documents = [d for d in documents if picked[d]]
            found = KindFindings.given(asked.kind, {d: picked[d] for d in documents})
        return self._listing(
            asked.kind, documents, found, w, answers=asked.assessed, page=request.page, reasons=request.analysis.answer_type == "reason",
            should=asked.kind == "rekommendation" and not _KIND_WORDS["rekommendation"].search(request.question),
        )

    def _kept_now(self) -> dict:
        """What was kept from every report's findings, while they have not changed since (one read of the stamp)."""
        stamp = self.store.stamp()
        with self._keeping:
            if self._kept[0] != stamp:
                self._kept = (stamp, {})
            return self._kept[1]

    def sees_every_report(self) -> bool:
        """Whether every report with findings is live in this view (the caller's): then the findings of the store are
        those the caller may read, and can be paged in SQL. Kept while the findings stay as they are."""
        kept = self._kept_now()
        statuses = _keep(kept, "statuses", self.store.statuses)
        return _keep(kept, "every report seen", lambda: all(d in self.view.live_hashes for d in statuses))

    def stated(self, documents: Sequence[str]) -> set[tuple[Kind, str | None]]:
        """What these reports' findings state: (kind, verdict) for each verdict found, None for a finding without one,
        and (kind, None) for each kind they have; counted for these reports only (by key), none read."""
        pairs: set[tuple[Kind, str | None]] = set()
        for kind in get_args(Kind):
            for counts in self.store.counts(kind, documents).values():
                pairs |= {(kind, None), *((kind, verdict) for verdict in counts.verdicts)}
        return pairs

    def stated_by_municipality(self) -> dict[str, set[tuple[Kind, str | None]]]:
        """What each municipality's reports' findings state (as `stated`), for the municipalities with a report that
        assesses kontrollmål, in the order of the first such report by id; derived from the counts over every report
        once while the findings stay as they are."""
        kept = self._kept_now()

        def derive() -> dict[str, set[tuple[Kind, str | None]]]:
            counted = [(kind, self._scope(Filters(), kind, kept)[2]) for kind in get_args(Kind)]
            places: dict[str, set[tuple[Kind, str | None]]] = {}
            stating: dict[str, set[tuple[Kind, str | None]]] = {}
            for document_id in self.view.document_ids:  # by id, as the findings are read
                meta = self.view.document_metadata.get(document_id)
                if meta is None or not meta.municipality:
                    continue
                pairs = stating.setdefault(meta.municipality, set())
                for kind, found in counted:
                    if found.count(document_id):
                        pairs |= {(kind, None), *((kind, verdict) for verdict in found.tally([document_id]))}
                        if kind == "kontrollmal":
                            places.setdefault(meta.municipality, pairs)
            return places

        return _keep(kept, "stated by municipality", derive)

    def _scope(self, filters: Filters, kind: Kind, kept: dict) -> tuple[list[str], dict[str, Status], KindFindings]:
        """The reports in scope whose findings were extracted (an index built before findings existed has none), in
        the order answers list them; every report's findings status; and the findings of `kind` of those in scope,
        counted, and read in full only for the reports an answer sets out. The statuses, and for a question over every
        report its reports and their counts, are kept (`kept`) while this view and the findings stay as they are: a
        list question over thousands of reports counts and orders them once, not at every question."""
        statuses = _keep(kept, "statuses", self.store.statuses)
        if filters:
            documents = [d for d in self.view.listed(filters) if d in statuses]
            return documents, statuses, self.store.of_kind(kind, documents)
        documents = _keep(kept, "documents", lambda: [d for d in self.view.listing_order if d in statuses])
        counted = _keep(kept, ("counted", kind), lambda: self.store.of_kind(kind, documents, every=True))
        return documents, statuses, counted.fresh()

    def _summary(self, documents: list[str], found: KindFindings, page: Page, w: Wording) -> Answer | None:
        """A report in brief: its overall assessment and its recommendations, each cited. A report that states
        neither is left to retrieval (its text may still say what it concluded)."""
        recommendations = self._recommendations(documents)
        graded = self._graded(documents)
        with_gist = [d for d in documents if found[d] or recommendations[d] or graded[d]]
        if not with_gist:
            return None
        cite = _Citations(self.chunks)
        shown, paged = Paged.of(with_gist, page)
        blocks = []
        for document_id in shown:
            lines = [w.in_summary.format(label=self._label(document_id)), *self._headed(found[document_id], cite, w)]
            goals = graded[document_id]
            if goals:
                kind = goals[0].kind
                lines.append(w.assessment_per.format(noun=w.noun(kind), tally=self._tally(goals, w)))
                lines += [self._goal_line(g, cite, goals, w) for g in goals[:_SUMMARY_GOALS]]
                if len(goals) > _SUMMARY_GOALS:
                    lines.append(w.and_more.format(n=len(goals) - _SUMMARY_GOALS))
            lines += self._headed(recommendations[document_id], cite, w, counted=True)
            blocks.append("\n".join(lines))
        without = [d for d in documents if d not in with_gist]
        if without:
            blocks.append(self._say(w.neither_assessment_nor_recommendations, without, page, w))
        return self._paged_answer(blocks, "\n\n", cite, paged, {"kind": "summary"}, w)

    def _shortcomings(self, request: AnswerRequest, documents: list[str], found: KindFindings, w: Wording, kept: dict) -> Answer | None:
        """What the auditors found wanting in a report as a whole ("Vilka brister fann revisorerna i Falun?"): its
        overall assessment and the kontrollmål or revisionsfrågor it grades partly or not met, each with the reason
        it gives, cited; where it grades none so, what it recommends. A question about something narrower than the
        report's subject ("… i avtalsdatabasen?"), or about reports that find nothing wanting in their findings, is
        left to retrieval, which finds the sentences that say it. Which reports find something wanting is kept
        (`kept`) while the findings stay as they are, as for a list over every report."""
        topic = self.matcher.topic(_SHORTCOMING_WORDS.sub(" ", self._in_swedish(request)))
        if len(documents) != 1 and topic:
            return self._shortcomings_on(topic, documents, found, request.page, w, kept)
        if topic:
            title = set(self.matcher.analyzer(self._meta(documents[0]).title or ""))
            narrower = [t for t in topic if not any(_stems_match(t, s) for s in title)]
            if narrower:
                # A part of the subject that one graded item is about answers with that item's verdict, met or not.
                goals = self._graded(documents)[documents[0]]
                matched = self.matcher.best(narrower, goals, 0.6, 1)
                return self._about(matched, goals, w) if matched else None
        shown_documents = _keep(kept, "wanting", lambda: self._wanting(documents, found))
        if not shown_documents:
            return None
        cite = _Citations(self.chunks)
        shown, paged = Paged.of(shown_documents, request.page)
        found.read(shown)
        graded = self._graded(shown)
        recommendations = self._recommendations(shown)
        blocks = []
        for document_id in shown:
            goals = graded[document_id]
            lines = [w.shortcomings_of.format(label=self._label(document_id)), *self._headed(found[document_id], cite, w)]
            items = [g for g in goals if g.level in _WANTING]
            if items:
                lines.append(w.below_fully.format(n=len(items), count=w.count_of(len(goals), items[0].kind)))
            for goal in items:
                lines.append(self._goal_line(goal, cite, goals, w))
                motivation = self._motivation(goal, cite, w, reason=True)
                if motivation:
                    lines.append(f"  {motivation}")
            if not items:
                lines += self._headed(recommendations[document_id], cite, w, counted=True)
            blocks.append("\n".join(lines))
        return self._paged_answer(blocks, "\n\n", cite, paged, {"kind": "shortcomings"}, w)

    def _shortcomings_on(self, topic: list[str], documents: list[str], found: KindFindings, page: Page, w: Wording, kept: dict) -> Answer | None:
        """Across the reports, what they found wanting on one topic ("Vilka kommuner fick kritik för sin interna
        kontroll?"): in each report that finds something wanting, the overall assessments and the graded items below
        fully whose wording covers the topic, each cited. None where no report's findings word it: retrieval may find
        it said in other words. A report that assesses the topic as sufficient is no answer, however well it matches."""
        wanting = _keep(kept, "wanting", lambda: self._wanting(documents, found))
        found.read(wanting)
        graded = self._graded(wanting)
        matched: dict[str, list[Finding]] = {}
        for document_id in wanting:
            said = [f for f in (*found[document_id], *graded[document_id]) if f.level in _WANTING]
            hits = self.matcher.best(topic, said, _TOPIC_COVERAGE, 1)
            if hits:
                matched[document_id] = hits
        if not matched:
            return None
        cite = _Citations(self.chunks)
        shown, paged = Paged.of(list(matched), page)
        blocks = []
        for document_id in shown:
            lines = [w.shortcomings_of.format(label=self._label(document_id))]
            for finding in matched[document_id]:
                if finding.kind in _GRADED_KINDS:
                    lines.append(self._goal_line(finding, cite, graded[document_id], w))
                    motivation = self._motivation(finding, cite, w, reason=True)
                    lines += [f"  {motivation}"] if motivation else []
                else:
                    lines += self._headed([finding], cite, w)
            blocks.append("\n".join(lines))
        return self._paged_answer(blocks, "\n\n", cite, paged, {"kind": "shortcomings", "topic": " ".join(topic)}, w)

    def _wanting(self, documents: list[str], found: KindFindings) -> list[str]:
        """The reports that find something wanting: items graded partly or not met, or an overall assessment that is,
        or one only mainly met with recommendations (what it then recommends is what it found lacking)."""
        found.read(documents)
        graded = self._graded(documents)
        recommended = {f.document_id for f in self.store.query(kind="rekommendation", documents=documents)}
        wanting = []
        for document_id in documents:
            levels = {f.level for f in found[document_id]}
            if any(g.level in _WANTING for g in graded[document_id]) or levels & _WANTING or "mainly" in levels and document_id in recommended:
                wanting.append(document_id)
        return wanting

    def _recommendations(self, documents: list[str]) -> dict[str, list[Finding]]:
        recommendations: dict[str, list[Finding]] = {d: [] for d in documents}
        for finding in self.store.query(kind="rekommendation", documents=documents):
            recommendations[finding.document_id].append(finding)
        return recommendations

    def _headed(self, findings: list[Finding], cite: "_Citations", w: Wording, counted: bool = False) -> list[str]:
        """One report's findings of a kind under their heading ("Revisionell bedömning:", and `counted` in the plural
        for several: "Rekommendationer:"), one cited line each; none, nothing."""
        if not findings:
            return []
        return [f"{w.heading(findings[0].kind, len(findings) if counted else 1)}:", *(self._item_line(f, cite, w) for f in findings)]

    def _paged_answer(self, parts: list[str], separator: str, cite: "_Citations", paged: Paged | None, evidence: dict, w: Wording) -> Answer:
        """An answer over reports that may be paged: its parts, then how to page on."""
        if paged:
            parts.append(paged.describe(w))
        return Answer(
            separator.join(parts), grounded=bool(cite.cited), citations=tuple(cite.cited), answerer=self.name, evidence=evidence, page=paged,
        )

    def _graded(self, documents: list[str]) -> dict[str, list[Finding]]:
        """Each report's main findings: its kontrollmål, else its revisionsfrågor, where the report grades them."""
        graded: dict[str, list[Finding]] = {d: [] for d in documents}
        for kind in ("kontrollmal", "revisionsfraga"):
            of_kind: dict[str, list[Finding]] = {}
            for finding in self.store.query(kind=kind, documents=documents):
                of_kind.setdefault(finding.document_id, []).append(finding)
            for document_id, goals in of_kind.items():
                if not graded[document_id] and any(g.verdict for g in goals):
                    graded[document_id] = goals
        return graded

    def evidence_chunks(self, asked: FindingsQuestion | None, filters: Filters) -> list[str]:
        """The chunks that state what a findings question asks about, for retrieval to rank as a third list.

        Verdict questions want the passages that give that verdict ("Vilka kommuner fick kontrollmål bedömda som
        delvis uppfyllda?"): words such as "bedömning" and "kontrollmål" fill summary tables and introductions
        too, so lexical and dense ranking alone place the verdict sentences below them.
        """
        if asked is None:
            return []
        places = _Citations(self.chunks)
        found: list[str] = []
        scope = self.view.documents_in(filters) if filters else None
        for finding in self.store.query(kind=asked.kind, documents=scope):
            records = self.chunks.get(finding.document_id)
            if not records or not filters.admits(records[0]):
                continue
            sources = [s for s in finding.sources if asked.verdict is None or s.verdict == asked.verdict]
            if asked.kind == "kontrollmal" and asked.verdict is None and finding.listed:
                sources.insert(0, finding.listed)
            for source in sources:
                record = places.holder(finding.document_id, source.char_start, source.char_end)
                if record is not None and record.chunk.chunk_id not in found:
                    found.append(record.chunk.chunk_id)
        return found

    def _in_swedish(self, request: AnswerRequest) -> str:
        """The question as the matcher compares it: an English one by the Swedish terms of its words."""
        question = request.question
        if request.analysis.language != "en" or self.terms is None:
            return question
        return self.terms.expand(question)[len(question) :]

    def _meta(self, document_id: str) -> DocumentMetadata:
        return self.chunks[document_id][0].metadata

    def _label(self, document_id: str) -> str:
        meta = self._meta(document_id)
        name = meta.municipality or meta.title or document_id
        return f"{name} ({meta.year})" if meta.year else name

    # -- kontrollmål

    def _kontrollmal(
        self, asked: FindingsQuestion, request: AnswerRequest, documents: list[str], found: KindFindings, states: "_States"
    ) -> Answer | None:
        w = request.wording
        if asked.comparison is not None:
            assessed = states.listed(ASSESSED)
            if len(assessed) >= 2:
                return self._comparison(asked.comparison, documents, assessed, found, states, request.page, w)
            graded = {g.verdict for d in assessed for g in found[d] if g.verdict}
            if len(assessed) == 1 and asked.comparison in ("harshest", "mildest") and graded:
                # "Vilket kontrollmål i Hultsfred bedömdes sämst?": within one report, those of its harshest verdict.
                pick = min if asked.comparison == "harshest" else max
                asked = replace(asked, comparison=None, verdict=pick(graded, key=_VERDICT_ORDER.index))
        if asked.single or asked.implicit:
            goals = [f for d in documents for f in found[d]]
            if not goals and asked.implicit:
                # A report that poses graded revisionsfrågor instead of kontrollmål is asked about them in the same words.
                goals = [f for f in self.store.query(kind="revisionsfraga", documents=documents) if f.verdict]
            topic = self.matcher.topic(self._in_swedish(request))
            if asked.number is not None:
                # The list of one report numbers its items; several reports' lists number none together.
                listed = goals if len(documents) == 1 else []
                matched = [listed[asked.number - 1]] if 1 <= asked.number <= len(listed) else []
            elif asked.sections:
                matched = [g for g in goals if g.section in asked.sections]
            elif topic:
                # Without a kontrollmål word in the question, only a close match makes it one.
                # An English question's subject comes as the few Swedish terms its words translate to.
                words = 1 if request.analysis.language == "en" else 2
                matched = self.matcher.best(topic, goals, *((0.6, words) if asked.implicit else (0.5, 1)))
            else:
                matched = []
            if matched:
                # A verdict the extractor could not find is no answer, nor a reason it holds none of: retrieval
                # quotes the passage instead.
                unreasoned = request.analysis.answer_type == "reason" and not any(g.motivation for g in matched)
                return None if unreasoned or any(g.note == NOTE_NO_VERDICT for g in matched) else self._about(matched, goals, w)
            wants_one = bool(topic or asked.sections or asked.number) or asked.verdict is None and asked.implicit
            none_assessed = len(states.listed(NO_ASSESSMENTS)) == len(documents)
            if asked.implicit and len(documents) == 1:
                # "lomma fastighetsunderhåll bedömning" of a report without kontrollmål, or one whose kontrollmål none
                # matched: its assessment is the overall one, when that is about what the question names (an English
                # question's words cannot be compared with the Swedish text).
                overall = self.store.query(document_id=documents[0], kind="revisionell_bedomning")
                subject = [w for w in topic if not firm_pattern().fullmatch(w.upper())]
                if goals:
                    # Beside graded kontrollmål or revisionsfrågor, the overall assessment answers only for the report's
                    # whole subject ("Hur bedöms upphandlingen i Växjö?" of "Granskning av upphandling och avtalstrohet"),
                    # not for a part of it that none of them matched ("… kontinuiteten i hemtjänsten?").
                    title = set(self.matcher.analyzer(self._meta(documents[0]).title or ""))
                    whole = bool(subject) and all(any(_stems_match(t, s) for s in title) for t in subject)
                else:
                    whole = request.analysis.language == "en" or not subject or bool(self.matcher.best(subject, overall, 0.5, 1))
                if overall and whole:
                    return self._listing(
                        "revisionell_bedomning", documents, KindFindings.given("revisionell_bedomning", {documents[0]: overall}), w,
                        reasons=request.analysis.answer_type == "reason",
                    )
            if wants_one and (asked.implicit or not none_assessed):
                return None  # a kontrollmål the findings do not hold; retrieval may still find the passage
        cite = _Citations(self.chunks)
        paged = None
        if len(documents) == 1:
            document_id = documents[0]
            if states[document_id] == NO_ASSESSMENTS:
                return self._no_assessments(document_id, cite, w)
            if states[document_id] == UNREAD:
                return None  # verdicts in a form the findings do not hold; retrieval quotes them
            text = self._verdict_block(
                document_id, found[document_id], asked.verdict, cite, w, asked.assessed, reasons=request.analysis.answer_type == "reason"
            )
        else:
            text, paged = self._verdict_overview(documents, found, asked.verdict, states, cite, request.page, w, asked.assessed)
        return Answer(
            text, grounded=bool(cite.cited), citations=tuple(cite.cited), answerer=self.name,
            evidence={"kind": "kontrollmal", "verdict": asked.verdict}, page=paged,
        )

    def _verdict_phrase(self, goal: Finding, cite: _Citations, w: Wording, every_source: bool = False) -> str:
        """"ej uppfyllt (avsnitt 2.6.4) [1]", or both verdicts of a kontrollmål the report assesses inconsistently.

        `every_source` also cites the summary that repeats a consistent verdict: worth it for one kontrollmål,
        noise in a list of nine.
        """
        if not goal.sources:
            return w.note(goal.note)
        primary = goal.sources[0]
        if goal.verdict is None:
            # The note says why: "Ej bedömt" in the report, or no verdict found for it.
            return f"{w.note(goal.note)} {cite.source(goal.document_id, primary)}"
        if not goal.inconsistent:
            stated = goal.sources if every_source else [primary]
            places = w.also_in.join(w.place(goal, s) for s in stated)
            marks = "".join(cite.source(goal.document_id, s) for s in stated)
            return f"{w.stated_verdict(goal.verdict, goal.verdict_text)} ({places}) {marks}"
        others = [s for s in goal.sources[1:] if s.verdict != primary.verdict]
        parts = [w.inconsistent_first.format(verdict=w.stated_verdict(goal.verdict, goal.verdict_text), place=w.section_label(primary.section))]
        parts += [
            w.inconsistent_other.format(verdict=w.stated_verdict(other.verdict, other.verdict_text) if other.verdict else w.not_assessed, place=w.place(goal, other))
            for other in others
        ]
        marks = "".join(cite.source(goal.document_id, s) for s in [primary, *others])
        return w.inconsistent_joiner.join(parts) + f" {marks}"

    def _goal_line(self, goal: Finding, cite: _Citations, goals: list[Finding], w: Wording, lead: str = "") -> str:
        number = f"{goal.section} " if _own_number(goal, goals) else ""
        return f"- {lead}{number}{goal.text} – {self._verdict_phrase(goal, cite, w)}"

    def _tally(self, goals: list[Finding], w: Wording) -> str:
        return w.tally(FindingCounts.of(goals).verdicts)

    def _verdict_block(
        self, document_id: str, goals: list[Finding], verdict: Verdict | None, cite: _Citations, w: Wording, verdicts: bool = True,
        reasons: bool = False,
    ) -> str:
        """The kontrollmål of one report with their verdicts, those given `verdict`, or (`verdicts` False: the
        question asks only which they were) the list the introduction gives, cited once; with `reasons`, each
        graded one with the reason the report gives for its verdict."""
        label = self._label(document_id)
        listed = [g.listed for g in goals if g.listed]
        if verdict is None and not verdicts and len(listed) == len(goals):
            where = w.listed_in.format(place=w.section_label(listed[0].section), marks=cite.together(document_id, listed))
            header = f"{label} – {w.count_of(len(goals), 'kontrollmal')}, {where}:"
            return "\n".join([header] + [f"- {f'{g.section} ' if _own_number(g, goals) else ''}{g.text}" for g in goals])
        if verdict is None:
            header = f"{label} – {w.count_of(len(goals), 'kontrollmal')}: {self._tally(goals, w)}"
            if listed:
                header += "; " + w.listed_in.format(place=w.section_label(listed[0].section), marks=cite.together(document_id, listed))
            return "\n".join([header] + [self._goal_line(g, cite, goals, w) for g in goals])
        items = [g for g in goals if g.verdict == verdict]
        # A kontrollmål given this verdict in one place and another verdict elsewhere in the report.
        elsewhere = [g for g in goals if g.verdict != verdict and any(s.verdict == verdict for s in g.sources)]
        if items:
            lines = [
                w.assessed_as[len(items) != 1].format(label=label, count=w.count_of(len(items), "kontrollmal"), verdict=w.verdict_words(verdict, len(items)))
            ]
            for goal in items:
                lines.append(self._goal_line(goal, cite, goals, w))
                motivation = self._motivation(goal, cite, w, reason=True) if reasons else None
                if motivation:
                    lines.append(f"  {motivation}")
        else:
            # The verdicts the report does give show that the answer "none" rests on a complete reading.
            lines = [w.none_assessed_as.format(verdict=w.verdict_words(verdict, 2), label=label)]
            lines += [self._goal_line(g, cite, goals, w) for g in goals if g not in elsewhere]
        if elsewhere:
            lines.append(w.assessed_differently[len(elsewhere) != 1].format(count=w.count_of(len(elsewhere), "kontrollmal")))
            lines += [self._goal_line(g, cite, goals, w) for g in elsewhere]
        return "\n".join(lines)

    def _verdict_overview(
        self, documents: list[str], found: KindFindings, verdict: Verdict | None, states: "_States",
        cite: _Citations, page: Page, w: Wording, verdicts: bool = True,
    ) -> tuple[str, Paged | None]:
        """The kontrollmål of several reports; beyond a page of reports, counted, and the page's reports set out. Over
        every report, what it counts is derived once (see _scope); what it sets out is the page."""
        assessed = states.listed(ASSESSED)
        blocks = []
        if verdict is not None:
            hits = states.remember(("hits", verdict), lambda: [d for d in assessed if found.count_of(d, verdict)])
            shown, paged = Paged.of(hits or assessed, page)
            # Few reports without the verdict are named briefly (listing their verdicts would only bury the answer);
            # many are counted.
            brief = len(assessed) <= page.limit
            found.read(assessed if brief else shown)
            several = w.verdict_words(verdict, 2)
            if hits and paged:
                given = states.remember(("given", verdict), lambda: sum(found.count_of(d, verdict) for d in hits))
                blocks.append(w.assessed_as_in_reports[given != 1].format(
                    count=w.count_of(given, "kontrollmal"), verdict=w.verdict_words(verdict, given), n=len(hits), of=len(assessed),
                ))
            elif hits:
                blocks.append(w.assessed_as_in.format(verdict=several, names=w.joined_names([self._label(d) for d in hits])))
            else:
                blocks.append(w.none_assessed_in_any.format(verdict=several))
            # The page's reports in the order of `assessed` (of which `shown` is a slice); a brief answer also names the rest.
            on_page, hit = set(shown), set(hits)
            for document_id in assessed if brief else shown:
                if document_id in on_page:
                    blocks.append(self._verdict_block(document_id, found[document_id], verdict, cite, w))
                elif hits and document_id not in hit:
                    blocks.append(w.report_none_assessed_as.format(label=self._label(document_id), verdict=several, tally=self._tally(found[document_id], w)))
            if hits and not brief and len(assessed) > len(hits):
                others = len(assessed) - len(hits)
                blocks.append(w.others_none_assessed_as[others != 1].format(n=others, verdict=several))
        else:
            shown, paged = Paged.of(assessed, page)
            found.read(shown)
            if paged:
                tally = states.remember("tally", lambda: found.tally(assessed))
                blocks.append(w.reports_assess.format(n=len(assessed), count=w.count_of(sum(tally.values()), "kontrollmal"), tally=w.tally(tally)))
            blocks += [self._verdict_block(d, found[d], None, cite, w, verdicts) for d in shown]
        blocks += self._not_assessed_lines(documents, states, w, page)
        if paged:
            blocks.append(paged.describe(w))
        return "\n\n".join(blocks), paged

    def _not_assessed_lines(self, documents: list[str], states: "_States", w: Wording, page: Page = Page()) -> list[str]:
        """What the reports without readable kontrollmål do: assess none, or assess in a form the findings do not hold."""
        lines = []
        for state, says in ((NO_ASSESSMENTS, w.assesses_no_goals), (UNREAD, w.unread_goals)):
            listed = states.listed(state)
            if listed:
                lines.append(self._say((f"{{reports}} {says[0]}.", f"{{reports}} {says[1]}."), listed, page, w))
        return lines

    def _named(self, documents: list[str], page: Page) -> list[str]:
        """These reports' labels for `_reports`; more than a page of them are only counted, so none is labelled."""
        return documents if len(documents) > page.limit else [self._label(d) for d in documents]

    def _say(self, forms: Forms, documents: list[str], page: Page, w: Wording, **values: str) -> str:
        """A sentence about these reports, in the form for one report or for several."""
        return forms[len(documents) != 1].format(reports=_reports(self._named(documents, page), page, w), **values)

    def _counted(self, kind: Kind, comparison: Comparison, documents: list[str], found: KindFindings, page: Page, w: Wording) -> Answer | None:
        """The report that gives the most (fewest) recommendations or revisionsfrågor, with each report's count, cited
        where it lists them; a report that gives none is named apart (an excerpt may leave them out)."""
        counts = found.remember("counts", lambda: {d: found.count(d) for d in documents if found.count(d)})
        if len(counts) < 2:
            return None  # nothing to compare: retrieval may still find what the question asks
        best = (min if comparison == "fewest" else max)(counts.values())
        winners = [d for d in counts if counts[d] == best]
        phrase = w.counted_most[comparison].format(plural=w.noun(kind, 2))
        cite = _Citations(self.chunks)
        names = _reports(self._named(winners, page), page, w, bare=True)
        lines = [w.compared["had"].format(names=names, what=phrase) + (f"{w.tied}." if len(winners) > 1 else ".")]
        ranked = found.remember(("ranked", comparison), lambda: sorted(counts, key=lambda d: (-counts[d] if comparison == "most" else counts[d])))
        shown, paged = Paged.of(ranked, page)
        found.read(shown)
        for document_id in shown:
            sources = [f.sources[0] for f in found[document_id] if f.sources]
            lines.append(f"{self._label(document_id)}: {w.count_of(counts[document_id], kind)} {cite.together(document_id, sources)}".rstrip())
        without = found.remember("without", lambda: [d for d in documents if d not in counts])
        if without:
            lines.append(self._say(w.states_none, without, page, w, noun=w.noun(kind)))
        return self._paged_answer(lines, "\n", cite, paged, {"kind": kind, "comparison": comparison}, w)

    def _comparison(
        self, comparison: Comparison, documents: list[str], assessed: list[str], found: KindFindings, states: "_States",
        page: Page, w: Wording,
    ) -> Answer:
        """The report that had the most (fewest) kontrollmål, or the harshest (mildest) verdicts, against the others:
        cited where each report lists its kontrollmål or states the verdicts that decide the comparison."""
        cite = _Citations(self.chunks)

        def share(document_id: str, verdict: str) -> float:
            return found.count_of(document_id, verdict) / found.count(document_id)

        def compared() -> list[str]:
            """The reports that win the comparison, from the counts (the same numbers as the findings read in full)."""
            if comparison in ("most", "fewest"):
                key = {d: found.count(d) for d in assessed}
            elif comparison == "harshest":
                key = {d: (share(d, "ej uppfyllt"), share(d, "ej uppfyllt") + share(d, "delvis uppfyllt")) for d in assessed}
            else:
                key = {d: (share(d, "uppfyllt"), -share(d, "ej uppfyllt")) for d in assessed}
            best = (min if comparison == "fewest" else max)(key.values())
            return [d for d in assessed if key[d] == best]

        winners = states.remember(("compared", comparison), compared)
        # What decides: the lists of kontrollmål for a count, the verdicts of the kind compared for the rest.
        decisive = {"harshest": "ej uppfyllt", "mildest": "uppfyllt"}.get(comparison)
        names = _reports(self._named(winners, page), page, w, bare=True)
        lead = w.compared["got" if decisive else "had"].format(names=names, what=w.comparisons[comparison])
        lines = [lead + (f"{w.tied}." if len(winners) > 1 else ".")]
        won = set(winners)
        shown, paged = Paged.of(states.remember(("ranked", comparison), lambda: sorted(assessed, key=lambda d: d not in won)), page)
        found.read(shown)
        for document_id in shown:
            goals = found[document_id]
            line = f"{self._label(document_id)}: {w.count_of(len(goals), 'kontrollmal')} – {self._tally(goals, w)}"
            deciding = [g for g in goals if g.verdict == decisive and g.sources] if document_id in won else []
            if deciding:
                marks = "".join(cite.source(document_id, g.sources[0]) for g in deciding)
                # The verdict as the report labels it ("Ej uppfyllt"), then the kontrollmål it was given to.
                line += f"; {w.verdict_words(decisive)}: {', '.join(g.section for g in deciding)} {marks}"
            else:
                listed = [g.listed for g in goals if g.listed]
                if listed:
                    line += "; " + w.listed_in.format(place=w.section_label(listed[0].section), marks=cite.together(document_id, listed))
            lines.append(line)
        lines += self._not_assessed_lines(documents, states, w, page)
        if paged:
            lines.append(paged.describe(w))
        return Answer(
            "\n".join(lines), grounded=bool(cite.cited), citations=tuple(cite.cited), answerer=self.name,
            evidence={"kind": "kontrollmal", "comparison": comparison}, page=paged,
        )

    def _no_assessments(self, document_id: str, cite: _Citations, w: Wording) -> Answer:
        """A report without verdicts (a pre-study, a reply): say so, and show what it does ask and conclude."""
        label = self._label(document_id)
        own = self.store.query(document_id=document_id)
        questions = [f for f in own if f.kind == "revisionsfraga"]
        recommendations = [f for f in own if f.kind == "rekommendation"]
        text = w.no_goals_in_report.format(label=label)
        lines = []
        if questions:
            # The questions stand together in one list: cited as one passage, not once per line.
            sources = [f.sources[0] for f in questions if f.sources]
            sections = {f.section for f in questions}
            where = f" ({w.section_label(questions[0].section)})" if len(sections) == 1 else ""
            text += w.poses.format(count=w.count_of(len(questions), "revisionsfraga"), where=where, marks=cite.together(document_id, sources)).replace(" :", ":")
            lines += [f"- {f.text}" + ("" if where else f" ({w.section_label(f.section)})") for f in questions]
        else:
            text += "."
        if recommendations:
            lines.append(w.reports_recommendations.format(noun=w.noun("rekommendation", len(recommendations))))
            lines += [self._item_line(f, cite, w) for f in recommendations]
        return Answer(
            "\n".join([text, *lines]), grounded=bool(cite.cited), citations=tuple(cite.cited), answerer=self.name,
            evidence={"kind": "kontrollmal", "status": NO_ASSESSMENTS},
        )

    def _about(self, goals: list[Finding], every: list[Finding], w: Wording) -> Answer:
        cite = _Citations(self.chunks)
        if len(goals) == 1:
            goal = goals[0]
            number = f" {goal.section}" if _own_number(goal, every) else ""
            # A report that poses revisionsfrågor and no kontrollmål is asked about its questions by the same words.
            noun = w.noun(goal.kind)
            lines = [f"{self._label(goal.document_id)}, {noun}{number} {w.quoted(goal.text)} – {self._verdict_phrase(goal, cite, w, every_source=True)}"]
            if goal.inconsistent:
                lines.append(w.not_consistent["kontrollmal" if goal.kind == "kontrollmal" else "revisionsfraga"])
            motivation = self._motivation(goal, cite, w)
            if motivation:
                lines.append(motivation)
        else:
            lines = [w.fits_several.format(plural=w.noun(goals[0].kind, 2))]
            lines += [self._goal_line(g, cite, every, w, lead=f"{self._label(g.document_id)}, ") for g in goals]
        return Answer("\n".join(lines), grounded=bool(cite.cited), citations=tuple(cite.cited), answerer=self.name, evidence={"kind": "kontrollmal", "matched": len(goals)})

    # -- recommendations, revisionsfrågor, revisionell bedömning

    def _item_line(self, finding: Finding, cite: _Citations, w: Wording, answers: bool = False) -> str:
        """One finding, cited where it stands; a revisionsfråga cited where it is posed, and with `answers` also
        with the answer the report gives it, cited there."""
        answer = next((s for s in finding.sources if s.level), None) if finding.kind == "revisionsfraga" else None
        posed = [s for s in finding.sources if s.level is None or finding.kind != "revisionsfraga"] or finding.sources
        marks = cite.source(finding.document_id, posed[0]) if posed else ""
        line = f"- {finding.text} ({w.section_label(finding.section)}) {marks}".rstrip()
        if answers and answer is not None:
            verdict = w.stated_verdict(answer.verdict, answer.verdict_text)
            line += w.answer.format(verdict=verdict, place=w.section_label(answer.section), mark=cite.source(finding.document_id, answer))
        return line

    def _motivation(self, finding: Finding, cite: _Citations, w: Wording, reason: bool = False) -> str | None:
        """"Motivering: …", cited: the opening of what the report says after a finding, or for a question for the
        reason (`reason`) its first sentence that gives one ("Skälet är att …", "… eftersom …") where it has one."""
        if not finding.motivation or not finding.sources:
            return None
        opening = first_sentences(finding.motivation)
        if reason:
            paragraph = finding.motivation.split("\n\n")[0]
            causal = [paragraph[a:b] for a, b in split_sentences(paragraph)[:_REASON_SENTENCES] if _CAUSAL.search(paragraph[a:b])]
            opening = causal[:1] or opening
        cited = [f"{s} {mark}" for s in opening if (mark := cite.sentence(finding.document_id, s, finding.sources[0]))]
        return w.motivation + " ".join(cited) if cited else None

    def _listing(
        self, kind: Kind, documents: list[str], found: KindFindings, w: Wording, answers: bool = False, page: Page = Page(),
        reasons: bool = False, should: bool = False,
    ) -> Answer | None:
        singular, plural = w.noun(kind), w.noun(kind, 2)
        with_items = found.having()
        if not with_items and any(self._names_kind(d, kind) or should and _SHOULD.search(self._text(d)) for d in documents):
            # The text speaks of them though none was extracted ("KPMG rekommenderar därför att …" in running
            # text), or the question asks what someone should do and the text says what someone "bör" do: a
            # passage may still answer, so retrieval gets the question rather than a "none".
            return None
        if not with_items:
            place = _reports([self._label(d) for d in documents], page, w, bare=True)
            reason = w.states_none_reason[len(documents) != 1].format(noun=singular)
            if any(self._named_in_front_matter(d, kind) for d in documents):
                reason = w.front_matter_only.format(noun=singular, plural=plural)
            return refusal(
                w.question_about.format(topic=plural, place=place), self.summary, w, reason=reason, evidence={"reason": "no_findings", "kind": kind}
            )
        cite = _Citations(self.chunks)
        shown, paged = Paged.of(with_items, page)
        found.read(shown)
        blocks = []
        if paged:
            total = found.remember("total", lambda: sum(found.count(d) for d in with_items))
            blocks.append(w.counted_in_reports.format(count=w.count_of(total, kind), n=len(with_items)))
        for document_id in shown:
            items = found[document_id]
            what = w.count_of(len(items), kind) if kind != "revisionell_bedomning" else singular
            lines = [w.of_kind.format(label=self._label(document_id), what=what)]
            for finding in items:
                lines.append(self._item_line(finding, cite, w, answers))
                motivation = self._motivation(finding, cite, w, reason=True) if reasons else None
                if motivation:
                    lines.append(f"  {motivation}")
            if kind == "revisionell_bedomning":
                # A section "Slutsats och rekommendationer" concludes with what it recommends.
                sections = {f.section for f in items}
                concluding = [f for f in self.store.query(document_id=document_id, kind="rekommendation") if f.section in sections]
                if concluding:
                    lines.append(w.sections_recommendations.format(noun=w.noun("rekommendation", len(concluding))))
                    lines += [self._item_line(f, cite, w) for f in concluding]
            blocks.append("\n".join(lines))
        without = found.remember("lacking", lambda: [d for d in documents if not found.count(d)])
        if without:
            blocks.append(self._say(w.states_none, without, page, w, noun=singular))
        if paged:
            blocks.append(paged.describe(w))
        return Answer(
            "\n\n".join(blocks), grounded=bool(cite.cited), citations=tuple(cite.cited), answerer=self.name, evidence={"kind": kind},
            page=paged,
        )

    def _on_topic(self, question: str, documents: list[str], found: KindFindings) -> dict[str, list[Finding]] | None:
        """Over every report, the recommendations on what the question names ("Vilka kommuner fick rekommendationen att
        ta fram rutiner?"), or None where it names nothing but recommendations."""
        # A particle alone ("fram" of "ta fram") says nothing of the topic; the verb it joins ("framta") does.
        particles = set(verb_particles())
        topic = [t for t in self.matcher.topic(_RECOMMENDING.sub(" ", question)) if len(t) >= _TOPIC_STEM and t not in particles]
        if not topic:
            return None
        found.read(documents)
        # Most of what it names: "att följa upp avtalstroheten" is not any recommendation to follow something up.
        return {d: [f for _, f in self.matcher.covering(topic, found[d], _TOPIC_COVERAGE)] for d in documents}

    @staticmethod
    def _picked_questions(asked: FindingsQuestion, documents: list[str], found: Mapping[str, list[Finding]]) -> dict[str, list[Finding]] | None:
        """The revisionsfrågor a question picks by verdict or by number, or None where the findings cannot say: the
        number of one report's question (the list of several reports numbers none), or a verdict no report has
        read for any of its questions (retrieval may find the answers in the text)."""
        if asked.number is not None:
            if len(documents) != 1 or not 1 <= asked.number <= len(found[documents[0]]):
                return None
            found = {documents[0]: [found[documents[0]][asked.number - 1]]}
        if asked.verdict is not None:
            if not any(f.verdict for items in found.values() for f in items):
                return None
            found = {d: [f for f in items if f.verdict == asked.verdict] for d, items in found.items()}
        return found

    def _text(self, document_id: str) -> str:
        return "\n".join(r.chunk.text for r in self.chunks.get(document_id, []))

    def _names_kind(self, document_id: str, kind: Kind) -> bool:
        """Whether a report's text uses the word for this kind of finding anywhere ("rekommenderar", "revisionsfråga")."""
        cue = _KIND_WORDS.get(kind)
        if cue is None:
            return False
        return any(cue.search(r.chunk.text) for r in self.chunks.get(document_id, []))

    def _named_in_front_matter(self, document_id: str, kind: Kind) -> bool:
        """Whether only the cover or the table of contents uses the kind's word (an excerpt, or a report whose
        contents list the revisionsfrågor as headings): "the report states none" would then be false."""
        cue = _KIND_WORDS.get(kind)
        return cue is not None and bool(cue.search(self.document_text(document_id) or ""))


def _reports(labels: list[str], page: Page, w: Wording, bare: bool = False) -> str:
    """Reports named ("Rapporterna från Alvesta (2018) och Umeå (2018)"; `bare`: the names alone), or, more than a
    page of them, counted ("212 rapporter"): a sentence about reports must not grow with the corpus."""
    if len(labels) > page.limit:
        return w.reports_counted.format(n=len(labels))
    if bare:
        return w.joined_names(labels)
    return w.reports_from[len(labels) != 1].format(names=w.joined_names(labels))


class _States(dict):
    """Each report's status for one question (document id -> Status), and what an answer derives from them and the
    counts (the reports of a status, those given a verdict), derived once: over every report, the states are kept
    while the findings stay as they are (FindingsAnswerer._scope), and so is what they remember."""

    def __init__(self, states: dict[str, Status]) -> None:
        super().__init__(states)
        self._derived: dict = {}

    def listed(self, state: Status) -> list[str]:
        """The reports of this status, in the answer's order."""
        return self.remember(("listed", state), lambda: [d for d, s in self.items() if s == state])

    def remember(self, key, derive: Callable[[], object]):
        return _keep(self._derived, key, derive)


def _keep(kept: dict, key, derive: Callable[[], object]):
    """`derive()`, computed once per `kept` (two requests at once may both compute it: the same value)."""
    if key not in kept:
        kept[key] = derive()
    return kept[key]


def _state(status: Status, unfound: int, assessed: bool) -> Status:
    """A report's status for one question: one that assesses kontrollmål but whose verdict for one of them was not
    found (`unfound` of them) is unread for a question about verdicts (an answer from the rest would pass off a guess)."""
    if status == ASSESSED and assessed and unfound:
        return UNREAD
    return status


def _own_number(goal: Finding, goals: list[Finding]) -> bool:
    """Whether a kontrollmål's section number is its own: not the number of a summary table that grades several."""
    return numbered_section(goal.section) and not any(
        g is not goal and g.document_id == goal.document_id and g.section == goal.section for g in goals
    )
