"""The default answerer: picks the report sentences that answer the question and cites each one.

No generative model: every word of an answer's evidence is a verbatim quote. Sentences are scored
with their embeddings stored at ingest (no embedding per request), lexical overlap with the question,
and cues for the type of answer asked for; a calibrated evidence threshold decides `grounded`.
"""

import bisect
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
import Stemmer

from ingest.config import Settings
from ingest.index.catalog import ChunkRecord
from ingest.index.lexical import CompoundSplitter, SwedishAnalyzer
from ingest.index.vectors import VectorStore
from ingest.language.lexicon import (
    asked_parts,
    authorship_pattern,
    causal_pattern,
    definite_endings,
    firm_pattern,
    lexicon,
    measure_pattern,
    month_alternation,
    negations,
    part_headings,
    person_roles,
)
from ingest.language.ordinals import numbered_headings
from ingest.language.terms import TermExpander
from ingest.language.words import particle_joined, same_family, shared_prefix
from ingest.structure.chunking import Chunk, table_cells, unit_contexts
from ingest.structure.parts import COVER, PURPOSE
from service.answering.base import Answer, AnswerRequest, Citation, CorpusSummary, refusal
from service.answering.wording import Wording

_NUMBER = re.compile(r"\d")
_AMOUNT = re.compile(r"\d[\d  ,.]*\s*(kr|kronor|mnkr|tkr|mkr|miljoner|procent|%)", re.IGNORECASE)
_DATE = re.compile(
    rf"\b(19|20)\d\d(-\d\d-\d\d)?\b|\b\d{{1,2}} ({month_alternation()})\b"
    # Older reports write "18/12-06" and "januari -07".
    rf"|\b\d{{1,2}}/\d{{1,2}}-\d\d\b|\b({month_alternation()}) -\d\d\b",
    re.IGNORECASE,
)
_NAME = re.compile(r"\b[A-ZÅÄÖ][a-zåäöé]+ [A-ZÅÄÖ][a-zåäöé]+\b")
# Audit firms and offices that do municipal audits in Sweden.
_FIRM = firm_pattern()
# What a report's cover answers: who wrote it, when, and for which firm.
COVER_ANSWERS = frozenset({"date", "person", "firm", "name"})
# A dateline opens a letter or a signature: a place and a date, or a date and a name. It answers when and who only.
# A sentence may open with a date too ("Den 12 mars 2019 beslutade …"): after a preposition it is no place.
_NOT_PLACES = "(?:Den|Under|Efter|Före|Sedan|Från|Till|Per|Vid|Fram|Senast|Mellan|Redan)"
_DATELINE = re.compile(
    rf"^(?!{_NOT_PLACES}\b)[A-ZÅÄÖ][\w-]+,?\s+(?:den\s+)?\d{{1,2}}\s+(?i:{month_alternation()})\s+(?:19|20)\d\d\b"
    rf"|^(?!{_NOT_PLACES}\b)[A-ZÅÄÖ][\w-]+,?\s+(?i:{month_alternation()})\s+(?:19|20)\d\d\W*$|^(?:19|20)\d\d-\d\d-\d\d\s+[A-ZÅÄÖ]"
)
_CAUSAL = causal_pattern()
# "Rädda Barnen, Svenska kyrkan, ABF samt Tjetjenska föreningen", or a lead and its list: what "vilka" asks for.
_ENUMERATION = re.compile(r"\w+(?: \w+){0,3}, \w+(?: \w+){0,3},? (?:och|samt|eller) \w|:\s*\n\s*[-–•▶*]")
# A sentence that introduces examples and names some: "Några av de insatser som finns … är syverkstad och ett snickeri."
_EXAMPLES = re.compile(r"\b(?:[Nn]ågra av|[Bb]land annat|[Ee]xempelvis|[Tt]ill exempel|[Bb]l\.a\.|[Tt]\.ex\.)\s.{0,80}\b(?:och|samt)\s\w")
# A sentence that goes on with the same list: "Det finns också städ, kök samt ett café."
_LIST_GOES_ON = re.compile(r"(?:Det finns (?:också|även)|Dessutom|Därutöver|Vidare finns)\b")
_TOTAL_ROW = re.compile(r"\b(?:Summa|Totalt|Total)\b")
# How far below the best sentence a sentence that names the items may score and still be added to a list answer.
_ENUMERATION_MARGIN = 0.1
# Who did something: a person's name or an audit firm.
_AGENT = re.compile(f"{_NAME.pattern}|{_FIRM.pattern}")
# Question words and words every report shares: they say nothing about which sentence answers.
_QUESTION_WORDS = frozenset(
    """vad vilka vilken vilket hur när var vem varför finns fanns många mycket står enligt rapporten rapport
    granskningen granskning granska granskat granskade granskas granskats revisorerna kommun kommunen kommunens
    gjordes gjorde gjort görs
    what which how when who where why does did
    the report audit municipality""".split()
)

_SETTING = Settings.model_fields


@dataclass(frozen=True)
class _Candidate:
    """A quotable window of a retrieved chunk and how well it answers."""

    score: float
    similarity: float
    overlap: float
    record: ChunkRecord
    start: int
    end: int
    # A table row's title and header rows (ingest.structure.chunking.unit_contexts), else "".
    context: str

    @property
    def document_id(self) -> str:
        return self.record.chunk.document_id

    @property
    def text(self) -> str:
        chunk = self.record.chunk
        return chunk.text[self.start - chunk.char_start : self.end - chunk.char_start]


@dataclass(frozen=True)
class Thresholds:
    """Evidence needed to answer; tuned on the dev set (see evals/) so unanswerable questions are refused.

    The values are settings (`AUDITQA_ANSWER_*`, with their reasons); the defaults are the settings' defaults.
    """

    min_similarity: float = _SETTING["answer_min_similarity"].default
    min_overlap: float = _SETTING["answer_min_overlap"].default
    strong_similarity: float = _SETTING["answer_strong_similarity"].default
    relaxed_similarity: float = _SETTING["answer_relaxed_similarity"].default
    strong_overlap: float = _SETTING["answer_strong_overlap"].default
    cross_language_similarity: float = _SETTING["answer_cross_language_similarity"].default
    cross_language_gap: float = _SETTING["answer_cross_language_gap"].default

    @classmethod
    def from_settings(cls, settings: Settings) -> "Thresholds":
        return cls(
            settings.answer_min_similarity, settings.answer_min_overlap, settings.answer_strong_similarity,
            settings.answer_relaxed_similarity, settings.answer_strong_overlap, settings.answer_cross_language_similarity,
            settings.answer_cross_language_gap,
        )


class ExtractiveAnswerer:
    name = "extractive"

    def __init__(
        self,
        store: VectorStore,
        summary: CorpusSummary,
        chunk_frequencies: Mapping[str, int],
        chunks: int,
        thresholds: Thresholds = Thresholds(),
        chunks_considered: int = 6,
        max_sentences: int = 3,
        terms: TermExpander | None = None,
    ) -> None:
        if chunks_considered < 1 or max_sentences < 1:
            raise ValueError("chunks_considered and max_sentences must be positive")
        self.store = store
        self.summary = summary
        self.thresholds = thresholds
        self.chunks_considered = chunks_considered
        self.max_sentences = max_sentences
        # A sentence that writes "svenska för invandrare" answers a question about "SFI".
        self.terms = terms
        self._analyzer = SwedishAnalyzer()
        self._question_stems = set(self._analyzer(" ".join(_QUESTION_WORDS)))
        # Rare words decide which sentence answers; "integration" is in every chunk of these reports. The frequencies
        # are the chunks' (ingest.index.lexical.LexicalIndex.text_stem_frequencies) of each stem, over `chunks` chunks.
        total = max(chunks, 1)
        self._idf = {stem: math.log(1 + total / count) for stem, count in chunk_frequencies.items()}
        self._splitter = CompoundSplitter(self._idf)
        self._vocabulary = sorted(self._idf)
        self._stemmer = Stemmer.Stemmer("swedish")
        self._unseen_idf = math.log(1 + total)
        self._typical_idf = _typical_idf(self._idf, chunk_frequencies) if self._idf else self._unseen_idf

    def _overlap(self, question_stems: set[str], sentence: str, unread: float = 0.0) -> float:
        """IDF-weighted share of the question's stems found in the sentence; a shared 5-letter prefix counts, and so
        does a compound that begins or ends with the stem ("informationssäkerhetspolicy" for "informationssäkerhet").
        `unread` weighs the question's words no sentence can be searched for (an English question's words the glossary
        does not give in Swedish): a sentence lacks them as it lacks a Swedish question's words it does not use."""
        if not question_stems:
            return 0.0
        stems = set(self._analyzer(sentence))
        weights = {q: self._idf.get(q, self._unseen_idf) for q in question_stems}
        found = sum(w for q, w in weights.items() if q in stems or any(self._family(q, s) or in_compound(q, s) for s in stems))
        return found / (sum(weights.values()) + unread)

    def _family(self, a: str, b: str) -> bool:
        """Stems of one word family ("utfört"/"utför", "bedömd"/"bedömning"); not two compounds of a preposition
        ("underskott"/"underlag" share "under", "efterlevnad"/"efterfrågan" "efter")."""
        if not _related(a, b):
            return False
        shorter = min(a, b, key=len)
        shared = shared_prefix(a, b)
        return shared == len(shorter) or not self._analyzer.stopword(a[:shared])

    def content_stems(self, question: str, exclude: tuple[str, ...]) -> set[str]:
        """The stems of the words a question asks about: not its question words, not the places it names."""
        # By stem too: "granskningarna" and "rapporterna" are the same non-words as "granskningen" and "rapport".
        words = self._content_words(question, exclude)
        stems = {self._indefinite(stem) for stem in self._analyzer(" ".join(words))}
        return (stems | self._particle_verbs(" ".join(words))) - self._question_stems

    def _indefinite(self, stem: str) -> str:
        """A stem the reports use in its indefinite form: the stemmer keeps the definite ending of "dataskyddet",
        which the reports write in "dataskyddsförordningen"."""
        if stem in self._idf:
            return stem
        for ending in definite_endings():
            base = stem[: -len(ending)]
            if stem.endswith(ending) and len(base) >= _FAMILY_PREFIX and self._used(base):
                return base
        return stem

    def _particle_verbs(self, text: str) -> set[str]:
        """A verb with its particle as the report's noun writes them: "följdes upp" -> "uppföljd", which is of the
        family of "uppföljningen"; only a noun the reports use, since a joined word of no report would weigh as the
        rarest word of all."""
        return {stem for stem in self._stemmer.stemWords(particle_joined(text)) if self._used(stem[:_FAMILY_PREFIX])}

    def _used(self, prefix: str) -> bool:
        """Whether a stem of the reports begins with `prefix`."""
        at = bisect.bisect_left(self._vocabulary, prefix)
        return at < len(self._vocabulary) and self._vocabulary[at].startswith(prefix)

    @staticmethod
    def _content_words(question: str, exclude: tuple[str, ...]) -> list[str]:
        skip = {w.lower() for w in exclude} | _QUESTION_WORDS
        asked = measure_pattern().sub(" ", question.lower())
        return [w for w in re.findall(r"[^\W\d_]+", asked) if w not in skip and w.rstrip("s") not in skip]

    def _unmentioned(self, question: str, exclude: tuple[str, ...]) -> bool:
        """Whether the question asks about a word no report uses, nor its parts ("bostadssituationen" is mentioned
        where the reports write "bostad" and "situation")."""
        words = self._analyzer.words(" ".join(self._content_words(question, exclude)))
        return any(
            stem not in self._idf and stem not in self._question_stems and not self._splitter.parts(word) and self._indefinite(stem) == stem
            for word, stem in zip(words, self._stemmer.stemWords(words))
        )

    def _unused_compound(self, request: AnswerRequest) -> list[str]:
        """The parts of a Swedish question's compound that no report uses whole ("ransomware", "attack" of
        "ransomwareattack"), as a sentence's text would hold them, or none."""
        analysis = request.analysis
        if analysis.language != "sv" or analysis.answer_type in COVER_ANSWERS:
            return []  # who and when are answered by a name or a date, which no part of the compound need stand beside
        places = tuple(m.casefold() for m in analysis.municipalities)
        # "Vilka revisionsbyråer …?" asks for members of a kind, which the reports name by their own names ("KPMG").
        asked = _ASKED_NOUN.match(request.question.strip())
        kind = asked.group(1).casefold() if asked else ""
        words = self._analyzer.words(" ".join(self._content_words(request.question, analysis.municipalities)))
        for word, stem in zip(words, self._stemmer.stemWords(words)):
            parts = self._splitter.parts(word)
            if parts and not word.startswith(places) and word != kind and stem not in self._idf and self._indefinite(stem) == stem and stem not in self._question_stems:
                # Each part as a sentence may write it inside its own compound: its stem, or the word where the stem is short.
                return [stem if len(stem) >= _COMPOUND_PART else part for part, stem in zip(parts[:2], self._stemmer.stemWords(parts[:2]))]
        return []

    def _nowhere(self, word: str, exclude: tuple[str, ...]) -> bool:
        """Whether no report uses the word, nor its parts, nor compounds of it ("adress" is used in "besöksadress")."""
        if not self._unmentioned(word, exclude):
            return False
        stems = set(self._analyzer(word))
        return not any(len(q) >= _COMPOUND_PART and s != q and (s.startswith(q) or s.endswith(q)) for q in stems for s in self._idf)

    def shares_stem(self, stems: set[str], text: str) -> bool:
        """Whether the text has one of the stems, or a word of its family."""
        return any(q == s or _related(q, s) for s in set(self._analyzer(text)) for q in stems)

    def run(self, request: AnswerRequest) -> Answer:
        w = request.wording
        # A chunk that only asks (a list of kontrollmål or revisionsfrågor) has nothing to answer with: the chunks
        # considered are those that state something.
        cover_answers = request.analysis.answer_type in COVER_ANSWERS
        # The Syfte part may state the purpose only as the revisionsfråga, which still answers a purpose question.
        purpose = request.analysis.answer_type == "purpose"
        asked = request.analysis.findings
        # "Hur bedöms hemtjänsten?", "Bedöms avtalstroheten som tillräcklig?": a verdict asked for in other words.
        verdict_asked = not purpose and asked is not None and asked.implicit and asked.assessed
        hits = [
            h for h in request.hits
            if (_states_something(h.record.chunk) or purpose and h.record.chunk.part == PURPOSE) and (cover_answers or h.record.chunk.part != COVER)
        ]
        # The cover, offered after the ranked chunks for a question it answers, is considered with the best of them.
        considered = self.chunks_considered
        if request.analysis.across_reports:
            # Across reports the hits take each report's best passage in turn: every report's best is considered, not
            # only those of the first few reports.
            considered = max(considered, len({h.record.chunk.document_id for h in hits}))
        covers = [h for h in hits[considered:] if cover_answers and h.record.chunk.part == COVER]
        hits = hits[:considered] + covers
        if not hits:
            return refusal(w.this_question, self.summary, w, evidence={"reason": "no_hits"})
        vectors = self.store.unit_vectors([h.record for h in hits])
        question_stems, unknown, read = self._reading(request)
        # An English question's similarity to a Swedish sentence is lower than its Swedish twin's by about this much.
        shift = self.thresholds.cross_language_gap if request.analysis.language != "sv" else 0.0
        # "Vem är uppdragsgivare …?" asks for a part of the frame, stated by its formula, not for an office's holder.
        role = self._role_stems(request) if request.analysis.answer_type in ("person", "name") and request.analysis.asked_part is None else set()
        ordinal = request.analysis.ordinal
        # A year the question names ("Vilken förändring år 2010 …") marks the sentences about it.
        years = request.analysis.mentioned_years
        wants_total = request.analysis.wants_total
        asks_for_questions = purpose or bool(_ABOUT_QUESTIONS.search(request.question))
        asked_part = request.analysis.asked_part
        candidates = []
        for rank, hit in enumerate(hits):
            units = vectors.get(hit.record.chunk.chunk_id)
            if units is None:
                continue
            text = hit.record.chunk.text
            base = hit.record.chunk.char_start
            similarities = _with_short_leads(text, base, units.spans, units.vectors @ request.query_vector)
            windows = _quote_windows(text, base, units.spans)
            headings = numbered_headings(text, ordinal)
            for unit, (start, end), similarity, context in zip(units.spans, windows, similarities, unit_contexts(hit.record.chunk)):
                sentence = text[start - base : end - base]
                states_purpose = purpose and hit.record.chunk.part == PURPOSE
                if _DATELINE.match(sentence) and request.analysis.answer_type not in COVER_ANSWERS:
                    continue  # a letter's or a signature's place and date ("Nacka den 12 september 2016 Eva Strand, …")
                if _heading_like(sentence):
                    continue  # a heading or letterhead in capitals, run into the text of a scanned letter
                if table_cells(sentence) and not any(table_cells(line) for line in context.splitlines()):
                    continue  # a table's header row: its labels, no statement
                # The missiv states on whose commission the audit was made, as much as who made it.
                states_asked = asked_part is not None and asked_part not in part_headings() and bool(asked_parts()[asked_part].stated.search(sentence))
                if hit.record.chunk.part == COVER and not states_asked and not cover_may_answer(request, bool(role) and names_role(role, set(self._analyzer(sentence)))):
                    continue
                lead = text[unit[0] - base : unit[1] - base].rstrip().endswith(":")
                if _asks(sentence) and not states_purpose and not (lead and asks_for_questions):
                    # A question is no answer; a lead that lists questions answers only what was asked (a question
                    # about the audit's questions or its purpose), and so does the revisionsfråga under Syfte.
                    continue
                if verdict_asked and _COMMISSION.search(sentence):
                    continue  # what the auditors set out to assess ("Syftet är att bedöma om …") states no verdict
                heading = next((h for h in reversed(headings) if h.start < start - base), None)
                if heading is not None and heading.number != ordinal.number:
                    continue  # under the heading of another one of the numbered things asked about
                # A table row is matched with its header and title, as it was embedded; anything under the
                # numbered heading asked about with that heading too.
                # "Åtgärds katalog 1" is what the question calls "första åtgärdskatalog".
                qualifier = ordinal.phrase if heading else ""
                matched = f"{qualifier}\n{context}\n{sentence}"
                # Word overlap stays within Swedish: an English question's words are the glossary's Swedish terms
                # (_reading), and its words the glossary does not give weigh as words the sentence lacks.
                overlap = self._overlap(question_stems, self.terms.expand(matched, translate=False) if self.terms else matched, unknown)
                cue = _cue_bonus(request.analysis.answer_type, sentence, hit.record.chunk.part) + (1 if heading else 0)
                cue += 1 if any(year in sentence for year in years) else 0
                # The part asked for: under its heading, and more so in the words that state it ("Vi har intervjuat …"
                # under "Avgränsning och metod" for how the audit was done).
                cue += _CUE_WEIGHTS["part"] * _in_part(hit.record.chunk, asked_part) + (asked_part is not None and bool(asked_parts()[asked_part].stated.search(sentence)))
                cue += 1 if wants_total and _TOTAL_ROW.search(sentence) else 0
                similarity = float(similarity) + shift
                score = similarity + 0.25 * overlap + 0.04 * cue + 0.02 / (rank + 1)
                candidates.append(_Candidate(score, similarity, overlap, hit.record, start, end, context))
        places = {m.casefold() for m in request.analysis.municipalities}
        # Names in the question other than the municipality asked about ("Hultsfreds" included).
        names = [n.casefold() for n in request.analysis.capitalized if n.casefold() not in places and n.casefold()[:-1] not in places]
        if request.analysis.across_reports:
            # "Which reports mention X?" is answered by the reports' sentences on X, not by ones that read alike;
            # a name in the question ("KPMG", "Röda korset") must be in the sentence.
            # An English question's X is the Swedish term it translates to ("Red Cross" -> "Röda korset"), or a word it
            # takes from the reports themselves.
            asked = self._as_the_reports_write(request) if request.analysis.language == "en" else None
            candidates = [
                c for c in candidates
                if (c.overlap >= self.thresholds.strong_overlap and (not names or any(n in c.text.casefold() for n in names)))
                or bool(asked) and self._overlap(asked, c.text) >= self.thresholds.strong_overlap
            ]
        if purpose:
            # The genre states its purpose in one place (a Syfte section, "Granskningen syftar till …"); where the
            # report has it, that is the answer, not another body's purpose that shares the word "syfte".
            stated = [c for c in candidates if c.record.chunk.part == PURPOSE or _PURPOSE.search(c.text)]
            candidates = stated or candidates
        if asked_part is not None:
            # A part of the report's frame ("Vilka intervjuades?", "Vilka revisionskriterier …?") is answered from
            # that part, not by what shares the question's topic; a report that has it nowhere does not say.
            # Under the part's heading first: a sentence elsewhere that only uses its words ("Kompletteringen omfattade
            # åren …" for what the audit covered) answers only where the report has no such heading.
            under = [c for c in candidates if _in_part(c.record.chunk, asked_part)]
            candidates = under or [c for c in candidates if _states_part(c.record.chunk, c.text, asked_part)]
            if not candidates:
                return refusal(w.this_question, self.summary, w, reason=w.unmentioned, evidence={"reason": "no_part"})
        if not candidates:
            return refusal(w.this_question, self.summary, w, evidence={"reason": "no_units"})
        candidates.sort(key=lambda c: c.score, reverse=True)
        best = candidates[0]
        best_score, best_similarity, best_overlap = best.score, best.similarity, best.overlap
        evidence = {"similarity": round(best_similarity, 4), "overlap": round(best_overlap, 4), "score": round(best_score, 4)}
        # The audit's statement of purpose shares the question's subject, not its words ("syftet" / "syftar").
        # A Syfte section is the purpose by the report's own structure, however its sentence reads.
        stated_purpose = purpose and (best.record.chunk.part == PURPOSE or _PURPOSE.search(best.text) and best_similarity >= self.thresholds.relaxed_similarity)
        # Likewise the part asked for, by the heading it stands under, or in the words that state it and alike.
        # A part with no heading of its own is stated by its formula alone, which every candidate left has.
        stated_part = asked_part is not None and (
            _in_part(best.record.chunk, asked_part) or asked_part not in part_headings() or best_similarity >= self.thresholds.relaxed_similarity
        )
        if not (self._supported(best_similarity, best_overlap, request, read) or stated_purpose or stated_part):
            return refusal(w.this_question, self.summary, w, evidence=evidence)
        asked = self._asked_noun(request)
        # "Which grade …", "Does Kalmar have a handbook …": "which" asks for one or many, as "vilket" or "vilka" does not.
        asks_thing = ("general",) if request.analysis.language == "sv" else ("general", "list", "yesno")
        general = request.analysis.answer_type in asks_thing and not _answered_by_form(request) and not firm_pattern().search(request.question)
        if general and asked and self._nowhere(asked, request.analysis.municipalities):
            # "Vilket betyg fick …?": what is asked for is a thing no report speaks of, whatever else the question shares.
            # Not a firm, a date, a person or a figure: those are recognised by their form, whatever the question calls them.
            # An English question's noun is read in the glossary's Swedish; one the glossary cannot read is looked
            # for as written ("handbook"), and where no report uses it either the question is not read: it is refused
            # rather than answered by similarity alone.
            return refusal(w.this_question, self.summary, w, reason=w.unmentioned, evidence={**evidence, "reason": "unmentioned"})
        unread = self._unused_compound(request)
        if unread and not _FIRM.search(best.text) and not any(part in best.text.casefold() for part in unread):
            # "Vad kostar en ransomwareattack?": a compound no report uses, answered by a sentence with neither of its
            # parts, is answered about something else (what a home care service cost). A firm is recognised by its
            # name, whatever compound the question calls firms by ("revisionsbyråerna").
            return refusal(w.this_question, self.summary, w, reason=w.unmentioned, evidence={**evidence, "reason": "unmentioned"})
        if read and not unknown and question_stems and best_overlap == 0 and not _answered_by_form(request) and asked_part is None:
            # The best sentence has none of the question's words (an English question's in the glossary's Swedish, where
            # the glossary gives every word it asks with: one term of a longer question may only name the report's subject):
            # what merely reads alike (a sentence on the data protection regulation for "dataskyddsombud", the audit's
            # method for "Vilka åtgärder har Nacka vidtagit sedan granskningen?") is no answer. A date, a firm or who
            # made the report is recognised by its form, the method or the criteria asked for by their part.
            return refusal(w.this_question, self.summary, w, reason=w.unmentioned, evidence={**evidence, "reason": "unmentioned"})
        limit = self.max_sentences + (2 if request.analysis.answer_type == "list" else 0)
        chosen = []
        for c in candidates:
            if c.score < best_score - 0.035 or len(chosen) >= limit:
                break
            # Windows overlap where a lead takes in its list, and a summary repeats a later paragraph word for
            # word or nearly: each statement is quoted once.
            if not any(
                o.document_id == c.document_id and (c.start < o.end and o.start < c.end or _same_statement(o.text, c.text))
                for o in chosen
            ):
                chosen.append(c)
        chosen = [_narrowed(c, names) for c in chosen]
        if (request.analysis.second_ask or request.analysis.answer_type in ("reason", "example")) and chosen:
            chosen[0] = _with_next_sentence(chosen[0], request.analysis.answer_type)
        chosen += self._enumeration(candidates, chosen, request)
        chosen += self._other_reports(candidates, chosen, request)
        measured = _measured(self._measured_word(request, asked), self._analyzer)
        naming = [c for c in chosen if names_role(role, set(self._analyzer(c.text)))] if role else chosen
        if not naming or held_by_person(role) and not any(_NAME.search(c.text) for c in naming):
            # "Vem är socialnämndens ordförande?" answered by sentences about the board that name no chair, or by one
            # that names the office and not who holds it ("intervjuer med socialchefen").
            return refusal(w.this_question, self.summary, w, reason=w.unmentioned, evidence={**evidence, "reason": "no_role"})
        holder = request.analysis.opinion_holder
        if holder and not any(names_role(set(self._analyzer(holder)), set(self._analyzer(c.text))) for c in chosen):
            # "Vad tyckte hyresgästerna …?" answered by what the auditors found would put words in their mouths.
            return refusal(w.this_question, self.summary, w, reason=w.no_opinion.format(holder=holder), evidence={**evidence, "reason": "no_holder"})
        share = bool(_SHARE.search(request.question))
        cost = bool(_COST.search(request.question))
        if not _has_asked_for_fact(request.analysis.answer_type, chosen, request.analysis.language, measured, share, cost):
            # The sentence that restates the topic ("Granskningen har genomförts genom intervjuer med bygglovschefen och
            # handläggare") may read closest to "Hur lång tid tog det att handlägga bygglov?"; the one that holds the
            # figure, nearly as close, is the answer.
            chosen = [
                c for c in candidates
                if request.analysis.answer_type in _FIGURES and c.score >= best_score - _FACT_MARGIN and _has_asked_for_fact(request.analysis.answer_type, [c], request.analysis.language, measured, share, cost)
            ][: self.max_sentences]
        if not chosen:
            # A question for a figure or a date answered without one would only look like an answer.
            return refusal(w.this_question, self.summary, w, reason=w.unmentioned, evidence={**evidence, "reason": "no_fact"})
        return self._compose(chosen, evidence, w)

    def _enumeration(self, candidates: list["_Candidate"], chosen: list["_Candidate"], request: AnswerRequest) -> list["_Candidate"]:
        """A "vilka" question answered by sentences that only say there are several ("Avdelningen har en mängd
        verksamhet …") also gets the best sentence that names them ("… syverkstad och ett snickeri. Det finns
        också städ, kök samt ett café."), when it is nearly as good."""
        if request.analysis.answer_type != "list" or any(_ENUMERATION.search(c.text) for c in chosen):
            return []
        floor = chosen[0].score - _ENUMERATION_MARGIN
        best = next(
            (c for c in candidates if c.score >= floor and (_ENUMERATION.search(c.text) or _EXAMPLES.search(c.text)) and c not in chosen),
            None,
        )
        if best is None or not self._supported(best.similarity, best.overlap, request, self._reading(request)[2]):
            return []
        return [_with_next_sentence(best, "list")]

    def _other_reports(self, candidates: list["_Candidate"], chosen: list["_Candidate"], request: AnswerRequest) -> list["_Candidate"]:
        """For a question about several municipalities, or across reports, the best sentence of each one the
        answer lacks when it would answer on its own."""
        analysis = request.analysis
        if len(request.filters.municipality) >= 2:
            group, groups = (lambda c: c.record.metadata.municipality), request.filters.municipality
        elif analysis.across_reports:
            group, groups = (lambda c: c.document_id), tuple(dict.fromkeys(c.document_id for c in candidates))
        else:
            return []
        covered = {group(c) for c in chosen}
        added = []
        for name in groups:
            best = next((c for c in candidates if group(c) == name), None)
            if name not in covered and best is not None and self._supported(best.similarity, best.overlap, request, self._reading(request)[2]):
                added.append(best)
        return added

    def _asked_noun(self, request: AnswerRequest) -> str | None:
        """The noun a question asks for ("betyg" in "Vilket betyg fick …?"); an English question's in the Swedish the
        glossary reads it as ("control objectives" -> "kontrollmål"), or as written where the glossary has no term for
        it ("dentists"). None where the question asks for no noun, or names a place, a name or an asking word."""
        question = request.question.strip()
        if request.analysis.language == "sv":
            head = _ASKED_NOUN.match(question) or _WHAT_IS.match(question)
            return head.group(1) if head else None
        return english_asked_noun(question, (*request.analysis.capitalized, *request.analysis.municipalities), self.terms)

    @staticmethod
    def _measured_word(request: AnswerRequest, asked: str | None) -> str | None:
        """What a figure is asked of: the question reader's word for a Swedish question, the asked noun of an English
        question for a count or an amount ("How many dentists …" as "Hur många tandläkare …")."""
        if request.analysis.language == "sv":
            return request.analysis.measured_word
        return asked if request.analysis.answer_type in ("count", "amount") and asked else None

    def _supported(self, similarity: float, overlap: float, request: AnswerRequest, read: bool) -> bool:
        """Whether a sentence supports an answer: similar enough and sharing enough of the question's words. An English
        question's similarity comes shifted onto the Swedish scale (Thresholds.cross_language_gap) and its words are the
        glossary's Swedish ones: similarity alone supports it at the cross-language similarity, and where the glossary
        reads it, shared words support it as they support a Swedish question."""
        t = self.thresholds
        shared = (similarity >= t.min_similarity and overlap >= t.min_overlap) or (similarity >= t.relaxed_similarity and overlap >= t.strong_overlap)
        if request.analysis.language != "sv":
            return similarity - t.cross_language_gap >= t.cross_language_similarity or read and shared
        return similarity >= t.strong_similarity or shared

    def _role_stems(self, request: AnswerRequest) -> set[str]:
        """The stems of the role a who-question names ("ordförande"; an English one by its Swedish term), which
        the answer must name; none for questions about who made the report (the cover names them by form)."""
        if request.analysis.language == "sv":
            if _answered_by_form(request):
                return set()
            role = _asked_role(request.question, request.analysis.municipalities)
            return set(self._analyzer(role)) if role else set()
        english = _ROLE_EN.match(request.question.strip())
        if english is None or self.terms is None or authorship_pattern().search(request.question):
            return set()
        swedish = self.terms.expand(english.group(1))[len(english.group(1)) :]
        return set(self._analyzer(swedish)) if swedish else set()

    def _as_the_reports_write(self, request: AnswerRequest) -> set[str]:
        """An English question's subject in the reports' words: the stems of the Swedish genre terms its words translate
        to, and of the names and Swedish words it takes from the reports ("Arbetsförmedlingen", "SFI", "nyanlända");
        not its English words, whose stems may be a Swedish word's ("service" in "serviceenheten")."""
        places = request.analysis.municipalities
        swedish = " ".join(self.terms.in_swedish(request.question, longest=True)) if self.terms else ""
        taken = " ".join((*request.analysis.capitalized, *re.findall(r"\w*[åäöÅÄÖ]\w*", request.question)))
        own = {stem for stem in self.content_stems(taken, places) if stem in self._idf}
        return (self.content_stems(swedish, places) if swedish else set()) | own

    def _reading(self, request: AnswerRequest) -> tuple[set[str], float, bool]:
        """The question's stems as the reports write them, the weight of its words they cannot be given in, and whether
        the stems read the question (carry _READ_SHARE of its weight). A Swedish question's are its own content
        words; an English one's the Swedish terms the glossary gives for its genre terms and the names and Swedish words
        it takes from the reports, with the IDF of a typical word of the reports for each other word it asks with
        ("appointed" in "Has a data protection officer been appointed?")."""
        places = request.analysis.municipalities
        if request.analysis.language == "sv" or self.terms is None:
            return self.content_stems(request.question, places), 0.0, request.analysis.language == "sv"
        # "auditors" is "revisor", of the family of the words every report shares ("revisorerna"), which a Swedish
        # question's reading leaves out.
        stems = {q for q in self._as_the_reports_write(request) if not any(_related(q, w) for w in self._question_stems)}
        if not stems:
            return set(), 0.0, False
        taken = {w.casefold() for w in (*request.analysis.capitalized, *places)}
        rest = [
            w for w in self._content_words(self.terms.untranslated(request.question), places)
            if w not in _english_words() and w not in taken and not re.search(r"[åäö]", w) and len(w) > 2
        ]
        unread = len(rest) * self._typical_idf
        weight = sum(self._idf.get(q, self._unseen_idf) for q in stems)
        return stems, unread, weight >= _READ_SHARE * (weight + unread)

    def _compose(self, chosen: list["_Candidate"], evidence: dict, w: Wording) -> Answer:
        # Report order reads better than score order, and keeps one citation per chunk.
        chosen.sort(key=lambda c: (c.document_id, c.start))
        numbers: dict[str, int] = {}
        citations: list[Citation] = []
        lines: list[str] = []
        for c in chosen:
            record = c.record
            chunk_id = record.chunk.chunk_id
            if chunk_id not in numbers:
                numbers[chunk_id] = len(numbers) + 1
                citations.append(Citation(numbers[chunk_id], record, c.start, c.end))
            else:
                # Widen the chunk's quote to cover every sentence taken from it.
                index = numbers[chunk_id] - 1
                old = citations[index]
                citations[index] = Citation(old.n, record, min(old.quote_start, c.start), max(old.quote_end, c.end))
            report = " ".join(str(v) for v in (record.metadata.municipality, record.metadata.year) if v)
            origin = ", ".join(p for p in (report, w.passage_place(record.chunk.section, record.chunk.part)) if p)
            lines.append(f"{origin}: {_readable(c.text, c.context)} [{numbers[chunk_id]}]")
        return Answer(text="\n".join(lines), grounded=True, citations=tuple(citations), evidence=evidence)


_MONTHS = month_alternation()
# A count or an amount: a number that is no year, no day of a date and no abbreviated year ("-04").
_COUNT = re.compile(
    rf"(?<![-\d])\b(?!(?:19|20)\d\d\b)\d[\d  ]*(?:,\d+)?\b(?!\s+(?:{_MONTHS}))"
    r"|\b(två|tre|fyra|fem|sex|sju|åtta|nio|tio|elva|tolv|hundra|tusen)\b",
    re.IGNORECASE,
)
# What a sentence holding the kind of answer asked for contains.
# The audit's own purpose, not another's ("Förordningen syftar till …"): the genre's sentence that answers outright.
_PURPOSE = re.compile(
    r"\b(?:granskning|revision|förstudie|uppdrag|studie)\w*\s+(?:\w+\s+)?(?:syftar|syftade|syftat|har till syfte|avser att)\b"
    r"|\bsyftet (?:med|för) (?:granskning|revision|förstudie|uppdrag|denna|vår)\w*|\b(?:granskningens|revisionens|uppdragets) syfte\b"
    r"|^syftet (?:är|var) att\b",
    re.IGNORECASE,
)
_DEFICIENCY = re.compile(
    r"\bsaknas\b|\bsaknar\b|\binte finns\b|\bfinns inte\b|\bbrist\w*|\botillräcklig\w*|\binte i tillräcklig\b|\binte (?:har )?säkerställ\w*"
    r"|\bbehöver (?:förbättras|utvecklas|tydliggöras|stärkas|ses över)\b|\binte (?:är|har varit) (?:tillräcklig|ändamålsenlig)\w*",
    re.IGNORECASE,
)
# A length of time: "23 veckor", "tio veckor", "två månader", "ett år".
_DURATION = re.compile(
    r"\b(?:\d+(?:,\d+)?|en|ett|två|tre|fyra|fem|sex|sju|åtta|nio|tio|elva|tolv|femton|tjugo|trettio)\s+(?:arbets|kalender)?"
    r"(?:dag(?:ar)?|veck(?:a|or)|månad(?:er)?|år|timm(?:e|ar)|minut(?:er)?|days?|weeks?|months?|years?|hours?)\b",
    re.IGNORECASE,
)
_EXAMPLE = re.compile(r"\bett exempel\b|\bexempel på\b|\bexempelvis\b|\btill exempel\b|\bbland annat\b|\bt\.\s?ex\.", re.IGNORECASE)
_ANSWER_CUES = {
    # The genre writes small counts in words ("tre bolagsstyrelser och en nämnd").
    "purpose": _PURPOSE, "deficiency": _DEFICIENCY, "example": _EXAMPLE, "count": _COUNT, "duration": _DURATION, "date": _DATE, "name": _NAME, "person": _AGENT, "firm": _FIRM, "list": _ENUMERATION, "reason": _CAUSAL,
}


# The genre states these in sentences of their own, which answer outright whatever else a nearby sentence
# shares with the question: the audit's purpose, what it found wanting, the example it gives.
_CUE_WEIGHTS = {"purpose": 4.0, "deficiency": 2.0, "example": 2.0, "part": 2.0}


# The commission sentence restates the topic ("På uppdrag av revisorerna har PwC granskat hur nämnden planerar
# …"), so it reads like any question about the report; it answers only who audited what and why.
_COMMISSION = re.compile(
    r"\bpå uppdrag av\b|\b(?:har|fått) (?:\w+ )?i uppdrag\b|\bgett (?:\w+ )?i uppdrag\b|\buppdrag åt\b|" + _PURPOSE.pattern, re.IGNORECASE
)
_ANSWERED_ELSEWHERE = frozenset({"deficiency", "example", "reason", "count", "duration", "amount", "date", "list"})


# A stem shorter than this is too common a word part to be found inside a compound.
_COMPOUND_PART = 4
# "Vilket betyg …", "Hur många invånare …": the noun a question asks for.
_ASKED_NOUN = re.compile(r"^(?:vilken|vilket|vilka|hur många|hur mycket)\s+([^\W\d_]{3,})\b", re.IGNORECASE)
# "Vad är Sveriges BNP?": the one thing a what-is question names, after an optional genitive, at its end.
_WHAT_IS = re.compile(r"^vad\s+(?:är|var|blev)\s+(?:[^\W\d_]+s\s+)?([^\W\d_]{2,})\s*\??$", re.IGNORECASE)
# "Vem är socialnämndens ordförande …?", "Vad heter kommunchefen?": the role a question asks the holder of, after an
# optional genitive.
_ROLE = re.compile(
    r"^(?:vem\s+(?:är|var|blev|har varit)|vad\s+heter)\s+(?:[^\W\d_]+s\s+)?((?:[^\W\d_]+-)?[^\W\d_]{4,}|vd(?=\W|$))", re.IGNORECASE
)


_ROLE_EN = re.compile(r"^who (?:is|was|were) (?:the )?([a-z]{4,}(?: of)?)\b", re.IGNORECASE)


def cover_may_answer(request: AnswerRequest, names_asked_role: bool) -> bool:
    """Whether a cover line may answer: for when the report is dated, which firm made it and who made it; for anyone
    else only where the line names the role asked about ("Karl Öberg, ordförande"). A cover's names are its
    authors', no answer to who holds an office it does not name."""
    if request.analysis.answer_type in ("date", "firm") or authorship_pattern().search(request.question):
        return True
    return names_asked_role


def _typical_idf(idf: Mapping[str, float], chunk_frequencies: Mapping[str, int]) -> float:
    """The IDF of a typical word of the reports' running text: the median over every stem's chunks, not over the
    vocabulary, where the rare stems of one passage outnumber the rest."""
    ranked = sorted(idf, key=idf.__getitem__)
    half, seen = sum(chunk_frequencies[s] for s in ranked) / 2, 0
    for stem in ranked:
        seen += chunk_frequencies[stem]
        if seen >= half:
            return idf[stem]
    return idf[ranked[-1]]


@lru_cache
def _english_words() -> frozenset[str]:
    """English words that ask rather than name what is asked about: function words, question words, auxiliaries, the
    words of a quantity or of what a report says, and ordinals (read as such by the question reader)."""
    table = lexicon()["english"]
    return frozenset((*table["function_words"], *table["question_starts"], *table["asking_words"], *lexicon()["ordinals"]["en"]))


@lru_cache
def _english_asked() -> tuple[re.Pattern, ...]:
    return tuple(re.compile(p, re.IGNORECASE) for p in lexicon()["english"]["asked_noun"])


def english_asked_noun(question: str, names: tuple[str, ...], terms: TermExpander | None) -> str | None:
    """The noun an English question asks for, in the glossary's Swedish where it has a term for it, else as written;
    None where it asks for none, or for a place or a name of `names`, an asking word or a count too general to name one.
    Of glossary terms in a row the last is the noun: "building permit cases" asks for "ärende", as "bygglovsärenden" does."""
    found = next((m for m in (p.search(question) for p in _english_asked()) if m), None)
    skipped = _english_words() | {w.casefold() for w in names} | set(lexicon()["english"]["general_measures"])
    if found is None or found.group(1).casefold() in skipped:
        return None
    swedish, at = None, found.start(1)
    while terms and (term := terms.term_at(question, at)):
        at, swedish = term[0] + 1, term[1]
    return swedish or found.group(1)


@lru_cache
def _offices() -> tuple[str, ...]:
    return tuple(Stemmer.Stemmer("swedish").stemWords(list(person_roles())))


def held_by_person(role: set[str]) -> bool:
    """Whether a role's stems name an office a person holds ("socialchef", "ordförande"), not a body ("socialnämnd")."""
    return any(r.endswith(o) for r in role for o in _offices())


def names_role(role: set[str], stems: set[str]) -> bool:
    """Whether a text's stems name the role: its stem in full, inflected or compounded ("ordförande", "ordföranden",
    "kommunchefen"); a word that only begins alike ("kommunal" for "kommunchef") names another thing."""
    return any(s.startswith(q) or q.startswith(s) and len(s) >= _COMPOUND_PART for s in stems for q in role)


def _asked_role(question: str, municipalities: tuple[str, ...]) -> str | None:
    """The role a who-question names, which its answer must name too; not a place ("Vem är Kalmars …" names one)."""
    found = _ROLE.match(question.strip())
    if found is None or found.group(1).casefold() in {m.casefold() for m in municipalities}:
        return None
    return found.group(1)


def _answered_by_form(request: AnswerRequest) -> bool:
    """Whether the answer is recognised by its form rather than by the question's words: a date, a purpose, a firm,
    the names on a cover for who made the report."""
    analysis = request.analysis
    if analysis.answer_type in ("date", "purpose", "firm"):
        return True
    return analysis.answer_type in ("person", "name") and bool(authorship_pattern().search(request.question))


def _in_part(chunk: Chunk, part: str | None) -> bool:
    """Whether a chunk stands under a heading that names the part of the report asked for ("Vilka intervjuades?": the
    metod, under "2.4 Avgränsning och metod")."""
    return part is not None and chunk.stands_under(part)


def _states_part(chunk: Chunk, sentence: str, part: str | None) -> bool:
    """Whether a sentence gives the part of the report asked for: under its heading, or in the words that state it
    ("Vi har intervjuat …" the method, wherever it stands)."""
    return part is not None and (_in_part(chunk, part) or bool(asked_parts()[part].stated.search(sentence)))


def _cue_bonus(answer_type: str, sentence: str, part: str | None = None) -> float:
    if answer_type in _ANSWERED_ELSEWHERE and _COMMISSION.search(sentence):
        return -2.0
    if answer_type == "purpose" and part == PURPOSE:
        return _CUE_WEIGHTS["purpose"]  # the report's Syfte section: its purpose, or the revisionsfråga that states it
    if answer_type == "amount":
        # Any figure is a weak sign of an amount; a figure with its unit a strong one.
        return 1.0 if _AMOUNT.search(sentence) else 0.3 if _NUMBER.search(sentence) else 0.0
    cue = _ANSWER_CUES.get(answer_type)
    return _CUE_WEIGHTS.get(answer_type, 1.0) if cue is not None and cue.search(sentence) else 0.0


# An English question is read in the glossary's Swedish terms where they carry this share of its words' weight: then it
# is held to the Swedish rules of overlap; below it, too little of what it asks is known to refuse on its words.
_READ_SHARE = 1 / 3
# The sentence carrying the fact must also be about what was asked, not just hold a number.
_FACT_OVERLAP = 0.25
# How far below the best sentence one that holds the figure asked for may score and still answer; a name is no
# figure: a cover's names are no answer to "Vilket signalsystem …?" however near it scores.
_FACT_MARGIN = 0.1
_FIGURES = frozenset({"count", "duration", "amount"})
# A share ("Hur stor andel …?") is answered by a percentage.
_SHARE = re.compile(r"\b(?:andel(?:en)?|procent|hur stor del|what share|what proportion|what percentage)\b", re.IGNORECASE)
_PERCENT = re.compile(r"\d\s?%|\d\s+procent\b|\bper ?cent\b", re.IGNORECASE)
# The genre also states a share as a count of a whole ("i 11 av 40 stickprov", "Av 14 projekt hade 9 …", "tio av elva
# sammanträden") or in words ("hälften", "var tredje"): the quote answers, the reader need not be told a percentage.
_SMALL_NUMBER = r"(?:\d+|en|ett|två|tre|fyra|fem|sex|sju|åtta|nio|tio|elva|tolv)"
_PART_OF_WHOLE = re.compile(
    rf"\b{_SMALL_NUMBER}\s+av\s+(?:de\s+|dessa\s+)?{_SMALL_NUMBER}\b|\bav\s+(?:de\s+)?\d+\b[^.]{{0,80}}?\b{_SMALL_NUMBER}\b(?!\s*procent)"
    r"|\b(?:hälften|en (?:tredjedel|fjärdedel|femtedel)|två tredjedelar|tre fjärdedelar|var (?:annan|tredje|fjärde|femte|tionde))\b",
    re.IGNORECASE,
)
_SHARE_FORM = re.compile(f"{_PERCENT.pattern}|{_PART_OF_WHOLE.pattern}", re.IGNORECASE)
_SHARE_OVERLAP = 0.1
# What something costs is asked in kronor; the genre states it with the currency or its abbreviations.
# Only the verb asks it: "… för ökade kostnader …" names costs to ask something else of them.
_COST = re.compile(r"\bkost(?:ar|ade|at)\b|\b(?:did|does|do|will) (?:\w+ ){0,6}cost\b", re.IGNORECASE)
_MONEY = re.compile(r"\d[\d  ,.]*\s*(?:kr|kronor|mnkr|tkr|mkr|mdkr|msek|sek|miljoner|miljarder|tusen)\b|\bkronor\b", re.IGNORECASE)


def _has_asked_for_fact(
    answer_type: str, chosen: list["_Candidate"], language: str, measured: "_Measure | None" = None, share: bool = False, cost: bool = False
) -> bool:
    """Whether a chosen sentence holds the kind of fact asked for (a figure: in a sentence on the subject,
    and one that names what the question counts or measures, so that "Hur hög var arbetslösheten?" is not
    answered by another figure that merely shares the question's other words). A `share` asked for is a
    percentage or a count of a whole, which shows the fact by its form: the sentence need share less of the
    question's words. A `cost` asked for is a sum of money, not any figure ("4,2 procent" is no price). An English
    question's overlap is that of its Swedish reading, where the words the glossary cannot give weigh as words the
    sentence lacks: where it names no noun of the figure ("How many live in …"), the overlap is all that shows the
    sentence on its subject; where it names one, the sentence must name it, and its other words may be the
    glossary's less often than a Swedish twin's are the report's ("decided" for "avgjordes")."""
    pattern = {"count": _COUNT, "duration": _DURATION, "amount": _COUNT, "date": _DATE, "name": _NAME, "firm": _FIRM}.get(answer_type)
    if pattern is None:
        return True
    min_overlap = _FACT_OVERLAP if answer_type in _FIGURES and (language == "sv" or measured is None) else 0.0
    if share and answer_type in ("count", "amount"):
        pattern, min_overlap = _SHARE_FORM, _SHARE_OVERLAP
    elif cost and answer_type == "amount":
        pattern = _MONEY
    return any(
        # A table row's figures have their unit in its header ("tkr") or title: any figure of a row is an amount.
        c.overlap >= min_overlap and (pattern.search(c.text) or cost and bool(c.context) and _COUNT.search(c.text))
        and (measured is None or measured.named_in(f"{c.context}\n{c.text}"))
        # A table row's number counts what its header names; a sentence's must stand by the word it counts.
        and (measured is None or answer_type != "count" or c.context or measured.counted_in(c.text))
        for c in chosen
    )


@dataclass(frozen=True)
class _Measure:
    """What a figure is asked of: "arbetslösheten" in "Hur hög var arbetslösheten?"."""

    word: str
    stem: str

    def named_in(self, text: str) -> bool:
        text = text.casefold()
        return self.stem in text or any(self._names(w) for w in re.findall(r"[^\W\d_]+", text))

    def counted_in(self, text: str) -> bool:
        """Whether a number in the sentence counts what was asked: "sex ramavtal", "antalet ramavtal var 12", and
        not "sex kontrollmål … kommunens ramavtal"."""
        words = re.findall(r"[\w,%]+", text.casefold())
        # "Antalet brukare har ökat med 14 procent": a share is no count of them.
        numbers = [i for i, w in enumerate(words) if _COUNT.fullmatch(w.rstrip(",")) and words[i + 1 : i + 2] not in (["procent"], ["%"])]
        named = [i for i, w in enumerate(words) if self._names(w.rstrip(","))]
        # "antalet tjänster, som …, uppgår till 21,85": the sentence states the number of them, however far on.
        counted = [i for i in named if any(w.rstrip(",") in ("antal", "antalet") for w in words[max(0, i - 2) : i])]
        return any(0 < n - i <= _COUNTED_AFTER or 0 < i - n <= _COUNTED_BEFORE for i in named for n in numbers) or any(
            n > i for i in counted for n in numbers
        )

    def _names(self, word: str) -> bool:
        # The word's family ("arbetslöshet", "arbetslösa"), or the head of the compound ("platser" for "praktikplatser").
        return self.stem in word or len(word) >= 5 and self.word.endswith(word)


# How near a number must stand to the word it counts: "sex (granskade) ramavtal", "antalet ramavtal uppgick till 12".
_COUNTED_BEFORE = 3
_COUNTED_AFTER = 5


def _measured(word: str | None, analyzer: SwedishAnalyzer) -> _Measure | None:
    if word is None:
        return None
    stems = analyzer(word)
    # Snowball keeps "ensamkommand", "arbetslös": a 5-letter start is enough to find the word family.
    return _Measure(word, stems[0][: max(5, len(stems[0]) - 1)]) if stems else None


def _readable(quote: str, context: str) -> str:
    """The quote on one line; a table row with its header's labels: "Anslag: 9 072; Utnyttjat: 10 812"."""
    cells = table_cells(quote)
    header = next((table_cells(line) for line in context.splitlines() if table_cells(line)), None)
    if len(cells) < 2 or not header or len(header) != len(cells):
        return " ".join(quote.split())
    pairs = [f"{label.strip()}: {value.strip()}" if label.strip() else value.strip() for label, value in zip(header, cells) if value.strip()]
    return "; ".join(pairs)


# How many following units a unit may take in: the list it introduces, the rest of its sentence.
_MAX_CONTINUATION = 6


def _quote_windows(text: str, base: int, spans: tuple[tuple[int, int], ...]) -> list[tuple[int, int]]:
    """Each unit's quotable span.

    Runs of very short units (a signature: date, name, title) quote together, and a unit that is not a
    whole statement on its own runs on: a lead ending in ':' through the list it introduces, a sentence
    broken at a page end through its end. Quoting "Målbilden beskrivs som:" alone would answer nothing.
    """
    units = [text[s - base : e - base] for s, e in spans]
    short = [len(u.split()) <= 4 for u in units]
    windows = list(spans)
    i = 0
    while i < len(spans):
        j = i
        while j + 1 < len(spans) and short[j] and short[j + 1]:
            j += 1
        if j > i:
            windows[i : j + 1] = [(spans[i][0], spans[j][1])] * (j - i + 1)
        i = j + 1
    for i, unit in enumerate(units):
        lead = unit.rstrip().endswith(":")
        end = i
        # A lead takes in the items of its list; a unit that starts in lower case continues the one before
        # it (a sentence broken at a page end, "eller KPMG, …" after a contact line). A bullet that lacks a
        # full stop is whole: the next bullet does not continue it.
        while end + 1 < len(units) and end - i < _MAX_CONTINUATION:
            following = units[end + 1]
            gap = text[spans[end][1] - base : spans[end + 1][0] - base]
            if not (following[:1].islower() or lead and _is_item(following, gap)):
                break
            end += 1
        if end > i:
            windows[i] = (windows[i][0], max(windows[i][1], spans[end][1]))
    return windows


# A lead this short ("Målbilden beskrivs som:") names a list but not what it belongs to.
_SHORT_LEAD_WORDS = 6


def _with_short_leads(text: str, base: int, spans: tuple[tuple[int, int], ...], similarities: np.ndarray) -> np.ndarray:
    """Similarities where a short lead that goes on, on the same line, from a sentence ("I februari 2015 beslutar
    kommunfullmäktige om ett åtgärdsprogram. Målbilden beskrivs som:") is as near the question as that sentence:
    its words alone are too few to embed what its list is about."""
    out = similarities.copy()
    for i in range(1, len(spans)):
        lead = text[spans[i][0] - base : spans[i][1] - base].rstrip()
        gap = text[spans[i - 1][1] - base : spans[i][0] - base]
        if lead.endswith(":") and len(lead.split()) <= _SHORT_LEAD_WORDS and "\n" not in gap:
            out[i] = max(out[i], similarities[i - 1])
    return out


def _with_next_sentence(candidate: _Candidate, answer_type: str) -> _Candidate:
    """A sentence taken on to the next one of its paragraph when that one holds the kind of fact asked for:
    for a two-part question "Målet är att 90 % skall vara nöjda." and "Målresultatet är 2016 82 %." (the second
    shares no word with "vad blev utfallet"); for a list, the sentence that goes on with it ("Det finns också …");
    for a "varför", the sentence that gives the reason for the claim ("… Detta beror på att …"); for an example,
    the sentence that gives it ("… behöver förbättras. Ett exempel är att …")."""
    if answer_type == "reason" and _CAUSAL.search(candidate.text) or answer_type == "example" and _EXAMPLE.search(candidate.text):
        return candidate  # the claim and its reason (or example) in one sentence
    pattern = {"count": _COUNT, "amount": _COUNT, "date": _DATE, "list": _LIST_GOES_ON, "reason": _CAUSAL, "example": _EXAMPLE}.get(answer_type)
    if pattern is None and _COUNT.search(candidate.text):
        pattern = _COUNT  # a figure, and the next figure beside it: a target and its outcome
    chunk = candidate.record.chunk
    following = next(((a, b) for a, b in chunk.units if a >= candidate.end), None)
    if pattern is None or following is None:
        return candidate
    gap = chunk.text[candidate.end - chunk.char_start : following[0] - chunk.char_start]
    sentence = chunk.text[following[0] - chunk.char_start : following[1] - chunk.char_start]
    # A list goes on only in a sentence that says so at its start; a figure may stand anywhere in it.
    found = pattern.match(sentence) if answer_type == "list" else pattern.search(sentence)
    if "\n\n" in gap or gap.strip() or table_cells(sentence) or not found:
        return candidate
    return replace(candidate, end=following[1])


def _narrowed(candidate: _Candidate, names: list[str]) -> _Candidate:
    """A lead quoted with its list, narrowed to the items that name what the question names: "Vem på KPMG kan
    man kontakta?" quotes "eller KPMG, Liz Gard, tel …", not the chair of the audit committee listed above it."""
    if not names:
        return candidate
    chunk = candidate.record.chunk
    units = [(a, b) for a, b in chunk.units if candidate.start <= a and b <= candidate.end]
    naming = [(a, b) for a, b in units if any(n in chunk.text[a - chunk.char_start : b - chunk.char_start].casefold() for n in names)]
    if len(units) < 2 or not naming or len(naming) == len(units):
        return candidate
    return replace(candidate, start=naming[0][0], end=naming[-1][1])


def _is_item(unit: str, gap: str) -> bool:
    """Whether a unit is an item of the list a lead introduces: marked as one, or a short line of the same block."""
    if table_cells(unit) or unit.startswith("#"):
        return False  # a table row or a heading ends the list
    return bool(re.match(r"[-–•▶*]|\d+[.)]\s", unit)) or (len(unit.split()) <= 12 and gap.count("\n") < 2)


# A question about what the audit asked ("Vilka frågor skulle granskningen besvara?", "Vad undersöktes?").
_ABOUT_QUESTIONS = re.compile(r"fråg|question|undersök|granskades|inriktning|besvara|examined|investigat", re.IGNORECASE)


def _heading_like(text: str) -> bool:
    """Capitals and debris rather than a sentence: "1 t v HARRYDA … GRANSKNING AV KOMMUNENS DELÅRSBOKSLUT 2015"."""
    stripped = text.rstrip()
    words = re.findall(r"[^\W\d_]{2,}", stripped)
    # Words in capitals long enough not to be abbreviations ("SFI", "KS" stand in running text).
    capitals = sum(w.isupper() and len(w) >= 4 for w in words)
    return bool(words) and not table_cells(stripped) and not stripped.endswith((".", "!", "?", ":")) and capitals >= max(2, 0.3 * len(words))


def _asks(text: str) -> bool:
    """A question, not a statement: the audit's questions and kontrollmål share the words of what a user asks
    about the same subject, but answer nothing."""
    return text.rstrip().endswith("?")


def _states_something(chunk: Chunk) -> bool:
    return any(not _asks(chunk.text[s - chunk.char_start : e - chunk.char_start]) for s, e in chunk.units)


# Share of words two sentences must have in common to be one statement told twice ("Vi rekommenderar att
# nämnden …" in the summary and "Vi rekommenderar därför att nämnden …" under Rekommendationer).
_SAME_STATEMENT = 0.9


def _same_statement(a: str, b: str) -> bool:
    """Whether two sentences say the same thing in (nearly) the same words, case and punctuation aside."""
    words_a, words_b = re.findall(r"\w+", a.casefold()), re.findall(r"\w+", b.casefold())
    if words_a == words_b:
        return True
    set_a, set_b = set(words_a), set(words_b)
    if (set_a ^ set_b) & negations():
        return False
    return min(len(words_a), len(words_b)) >= 6 and len(set_a & set_b) >= _SAME_STATEMENT * max(len(set_a), len(set_b))


# Words of one family share this many leading letters ("uppföljd", "uppföljning").
_FAMILY_PREFIX = 6
# A stem shorter than this is found inside too many unrelated words to count as a compound's part.
_COMPOUND_STEM = 6


def in_compound(stem: str, word: str) -> bool:
    """Whether a word is a compound that begins or ends with the stem: "bygglov" in "bygglovshandläggningen"."""
    return len(stem) >= _COMPOUND_STEM and len(word) > len(stem) and (word.startswith(stem) or word.endswith(stem))


def _related(a: str, b: str) -> bool:
    """Stems of one word family: "utfört"/"utför", "samordning"/"samordn"."""
    return same_family(a, b, min_prefix=5, max_extra=3)

