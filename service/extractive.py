"""The default answerer: picks the report sentences that answer the question and cites each one.

No generative model: every word of an answer's evidence is a verbatim quote. Sentences are scored
with their embeddings stored at ingest (no embedding per request), lexical overlap with the question,
and cues for the type of answer asked for; a calibrated evidence threshold decides `grounded`.
"""

import math
import re
from collections import Counter
from dataclasses import dataclass

from ingest.lexical import SwedishAnalyzer
from ingest.store import VectorStore
from service.answering import Answer, AnswerRequest, Citation, CorpusSummary, refusal

_NUMBER = re.compile(r"\d")
_AMOUNT = re.compile(r"\d[\d  ,.]*\s*(kr|kronor|mnkr|tkr|mkr|miljoner|procent|%)", re.IGNORECASE)
_DATE = re.compile(
    r"\b(19|20)\d\d(-\d\d-\d\d)?\b|\b\d{1,2} (januari|februari|mars|april|maj|juni|juli|augusti|september|oktober|november|december)\b",
    re.IGNORECASE,
)
_NAME = re.compile(r"\b[A-ZÅÄÖ][a-zåäöé]+ [A-ZÅÄÖ][a-zåäöé]+\b")
# Who did something: a person's name or an audit firm.
_AGENT = re.compile(r"\b[A-ZÅÄÖ][a-zåäöé]+ [A-ZÅÄÖ][a-zåäöé]+\b|\b(KPMG|PwC|EY|Deloitte|BDO|Grant Thornton)\b")
# Question words and words every report shares: they say nothing about which sentence answers.
_QUESTION_WORDS = frozenset(
    """vad vilka vilken vilket hur när var vem varför finns fanns många mycket står enligt rapporten rapport
    granskningen granskning revisorerna kommun kommunen kommunens what which how when who where why does did
    the report audit municipality""".split()
)


@dataclass(frozen=True)
class Thresholds:
    """Evidence needed to answer; tuned on the dev set (see evals/) so unanswerable questions are refused."""

    min_similarity: float = 0.80
    min_overlap: float = 0.15
    strong_similarity: float = 0.835
    # English questions share no words with Swedish reports: similarity alone must carry them.
    cross_language_similarity: float = 0.80


class ExtractiveAnswerer:
    name = "extractive"

    def __init__(
        self,
        store: VectorStore,
        summary: CorpusSummary,
        chunk_texts: list[str],
        thresholds: Thresholds = Thresholds(),
        chunks_considered: int = 6,
        max_sentences: int = 3,
    ) -> None:
        if chunks_considered < 1 or max_sentences < 1:
            raise ValueError("chunks_considered and max_sentences must be positive")
        self.store = store
        self.summary = summary
        self.thresholds = thresholds
        self.chunks_considered = chunks_considered
        self.max_sentences = max_sentences
        self._analyzer = SwedishAnalyzer()
        # Rare words decide which sentence answers; "integration" is in every chunk of these reports.
        frequency = Counter(stem for text in chunk_texts for stem in set(self._analyzer(text)))
        total = max(len(chunk_texts), 1)
        self._idf = {stem: math.log(1 + total / count) for stem, count in frequency.items()}
        self._unseen_idf = math.log(1 + total)

    def _overlap(self, question_stems: set[str], sentence: str) -> float:
        """IDF-weighted share of the question's stems found in the sentence; a shared 5-letter prefix counts."""
        if not question_stems:
            return 0.0
        stems = set(self._analyzer(sentence))
        weights = {q: self._idf.get(q, self._unseen_idf) for q in question_stems}
        found = sum(w for q, w in weights.items() if q in stems or any(_related(q, s) for s in stems))
        return found / sum(weights.values())

    def _content_stems(self, question: str, exclude: tuple[str, ...]) -> set[str]:
        skip = {w.lower() for w in exclude} | _QUESTION_WORDS
        words = [w for w in re.findall(r"[^\W\d_]+", question.lower()) if w not in skip and w.rstrip("s") not in skip]
        return set(self._analyzer(" ".join(words)))

    def run(self, request: AnswerRequest) -> Answer:
        hits = request.hits[: self.chunks_considered]
        if not hits:
            return refusal("frågan", self.summary, evidence={"reason": "no_hits"})
        vectors = self.store.unit_vectors([h.record for h in hits])
        question_stems = self._content_stems(request.question, request.analysis.municipalities)
        candidates = []
        for rank, hit in enumerate(hits):
            units = vectors.get(hit.record.chunk.chunk_id)
            if units is None:
                continue
            similarities = units.vectors @ request.query_vector
            text = hit.record.chunk.text
            base = hit.record.chunk.char_start
            for (start, end), similarity in zip(_quote_windows(text, base, units.spans), similarities):
                sentence = text[start - base : end - base]
                overlap = self._overlap(question_stems, sentence)
                cue = _cue_bonus(request.analysis.answer_type, sentence)
                score = float(similarity) + 0.25 * overlap + 0.04 * cue + 0.02 / (rank + 1)
                candidates.append((score, float(similarity), overlap, hit, start, end))
        if not candidates:
            return refusal("frågan", self.summary, evidence={"reason": "no_units"})
        candidates.sort(key=lambda c: c[0], reverse=True)
        best_score, best_similarity, best_overlap = candidates[0][:3]
        evidence = {"similarity": round(best_similarity, 4), "overlap": round(best_overlap, 4), "score": round(best_score, 4)}
        if not self._supported(best_similarity, best_overlap, request):
            return refusal("frågan", self.summary, evidence=evidence)
        limit = self.max_sentences + (2 if request.analysis.answer_type == "list" else 0)
        chosen = []
        for c in candidates:
            if c[0] < best_score - 0.035 or len(chosen) >= limit:
                break
            document_id = c[3].record.chunk.document_id
            # Windows overlap where a lead takes in its list: each stretch of text is quoted once.
            if not any(o[3].record.chunk.document_id == document_id and c[4] < o[5] and o[4] < c[5] for o in chosen):
                chosen.append(c)
        if not _has_asked_for_fact(request.analysis.answer_type, chosen, request.analysis.language):
            # A question for a figure or a date answered without one would only look like an answer.
            return refusal("frågan", self.summary, reason="rapporterna anger inte den uppgiften", evidence={**evidence, "reason": "no_fact"})
        return self._compose(chosen, evidence)

    def _supported(self, similarity: float, overlap: float, request: AnswerRequest) -> bool:
        t = self.thresholds
        if request.analysis.language != "sv":
            return similarity >= t.cross_language_similarity
        return similarity >= t.strong_similarity or (similarity >= t.min_similarity and overlap >= t.min_overlap)

    def _compose(self, chosen: list, evidence: dict) -> Answer:
        # Report order reads better than score order, and keeps one citation per chunk.
        chosen.sort(key=lambda c: (c[3].record.chunk.document_id, c[4]))
        numbers: dict[str, int] = {}
        citations: list[Citation] = []
        lines: list[str] = []
        for _, _, _, hit, start, end in chosen:
            record = hit.record
            chunk_id = record.chunk.chunk_id
            if chunk_id not in numbers:
                numbers[chunk_id] = len(numbers) + 1
                citations.append(Citation(numbers[chunk_id], record, start, end))
            else:
                # Widen the chunk's quote to cover every sentence taken from it.
                index = numbers[chunk_id] - 1
                old = citations[index]
                citations[index] = Citation(old.n, record, min(old.quote_start, start), max(old.quote_end, end))
            sentence = " ".join(record.chunk.text[start - record.chunk.char_start : end - record.chunk.char_start].split())
            origin = f"{record.metadata.municipality} {record.metadata.year}, avsnitt {record.chunk.section}"
            lines.append(f"{origin}: {sentence} [{numbers[chunk_id]}]")
        return Answer(text="\n".join(lines), grounded=True, citations=tuple(citations), evidence=evidence)


def _cue_bonus(answer_type: str, sentence: str) -> float:
    if answer_type == "count":
        return 1.0 if _NUMBER.search(sentence) else 0.0
    if answer_type == "amount":
        return 1.0 if _AMOUNT.search(sentence) else 0.3 if _NUMBER.search(sentence) else 0.0
    if answer_type == "date":
        return 1.0 if _DATE.search(sentence) else 0.0
    if answer_type == "name":
        return 1.0 if _NAME.search(sentence) else 0.0
    if answer_type == "person":
        return 1.0 if _AGENT.search(sentence) else 0.0
    return 0.0


_MONTHS = "januari|februari|mars|april|maj|juni|juli|augusti|september|oktober|november|december"
# A count or an amount: a number that is no year, no day of a date and no abbreviated year ("-04").
_COUNT = re.compile(
    rf"(?<![-\d])\b(?!(?:19|20)\d\d\b)\d[\d  ]*(?:,\d+)?\b(?!\s+(?:{_MONTHS}))"
    r"|\b(två|tre|fyra|fem|sex|sju|åtta|nio|tio|elva|tolv|hundra|tusen)\b",
    re.IGNORECASE,
)
# The sentence carrying the fact must also be about what was asked, not just hold a number.
_FACT_OVERLAP = 0.25


def _has_asked_for_fact(answer_type: str, chosen: list, language: str) -> bool:
    """Whether a chosen sentence holds the kind of fact asked for (a figure: in a sentence on the subject)."""
    pattern = {"count": _COUNT, "amount": _COUNT, "date": _DATE, "name": _NAME}.get(answer_type)
    if pattern is None:
        return True
    min_overlap = _FACT_OVERLAP if answer_type in ("count", "amount") and language == "sv" else 0.0
    for _, _, overlap, hit, start, end in chosen:
        chunk = hit.record.chunk
        if overlap >= min_overlap and pattern.search(chunk.text[start - chunk.char_start : end - chunk.char_start]):
            return True
    return False


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


def _is_item(unit: str, gap: str) -> bool:
    """Whether a unit is an item of the list a lead introduces: marked as one, or a short line of the same block."""
    if "\t" in unit or unit.startswith("#"):
        return False  # a table row or a heading ends the list
    return bool(re.match(r"[-–•▶*]|\d+[.)]\s", unit)) or (len(unit.split()) <= 12 and gap.count("\n") < 2)


def _related(a: str, b: str) -> bool:
    """Stems of one word family: "utfört"/"utför", "samordning"/"samordn"."""
    shorter, longer = sorted((a, b), key=len)
    return len(shorter) >= 5 and longer.startswith(shorter[:5]) and len(longer) - len(shorter) <= 3
