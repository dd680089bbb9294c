"""The verdict scale: how far a phrase says a kontrollmål, a revisionsfråga or the audit as a whole is met.

Reports grade on one ordinal scale, fully > mainly > partly > not, in the words `data/lexicon.toml`
[verdicts] lists. Three readers, by where the grade stands:

- a kontrollmål statement, graded beside its verdict word ("Kontrollmålet är i allt väsentligt uppfyllt",
  "uppfylls inte", "Ej uppfyllt"); the verdict word alone is the full grade;
- a label, a whole table cell or verdict line ("Ja", "Delvis", "Gul", "I huvudsak uppfyllt", "Bedömning: Nej");
- an assessment sentence, graded in the clause after its assessing verb ("Vi bedömer att nämnden till viss
  del har säkerställt …", "Enligt vår bedömning har nämnden inte …"); without a grade word it grades nothing.

"Ej bedömt", "kan inte bedömas" and the like read as not assessed: no grade, and a note on the finding.
"""

import re
from dataclasses import dataclass
from functools import lru_cache

from ingest.findings.model import Level, Verdict
from ingest.findings.text import plain_text
from ingest.language.lexicon import lexicon, phrase_pattern

_VERDICT_OF: dict[Level, Verdict] = {"fully": "uppfyllt", "mainly": "uppfyllt", "partly": "delvis uppfyllt", "not": "ej uppfyllt"}
# Where phrases of different levels are equally long in one window, the more reserved grade is the one meant
# ("delvis" beside a stray "inte": partly).
_PRECEDENCE: tuple[Level, ...] = ("partly", "mainly", "not", "fully")

SHORT_WORDS = 6
_WINDOW_WORDS = 4
_CLAUSE_WORDS = 12


@dataclass(frozen=True)
class VerdictReading:
    level: Level | None
    # The report's own words for the grade, as it writes them ("i allt väsentligt uppfyllt", "Delvis", "till viss del").
    text: str | None = None
    # False when the report says the kontrollmål could not be (or was not) assessed.
    assessed: bool = True

    @property
    def verdict(self) -> Verdict | None:
        return _VERDICT_OF[self.level] if self.level else None


# --- the lexicon, compiled once ------------------------------------------------------------------------

@lru_cache
def _data() -> dict:
    return lexicon()["verdicts"]


@lru_cache
def _grades(with_fully: bool) -> tuple[re.Pattern, dict[str, Level]]:
    levels = {p: level for level, phrases in _data()["grades"].items() if with_fully or level != "fully" for p in phrases}
    return phrase_pattern(list(levels)), levels


@lru_cache
def _labels() -> dict[str, Level]:
    return {p: level for level, phrases in _data()["labels"].items() for p in phrases}


@lru_cache
def _pattern(key: str) -> re.Pattern:
    return phrase_pattern(_data()[key])


@lru_cache
def verdict_column() -> re.Pattern:
    """A table column or a line label that holds verdicts ("Bedömning", "Svar", "Status")."""
    return re.compile("|".join(rf"\b{re.escape(t)}" for t in _data()["columns"]["titles"]))


# --- reading -------------------------------------------------------------------------------------------

def _lowered(text: str) -> tuple[str, str]:
    # str.lower keeps the length of Swedish text, so a match in the lowered text cuts the report's own words.
    plain = plain_text(text)
    return plain, plain.lower()


def _not_assessed(plain: str, lowered: str) -> VerdictReading | None:
    found = _pattern("not_assessed").search(lowered)
    return VerdictReading(None, plain[found.start() : found.end()], assessed=False) if found else None


def _best_grade(lowered: str, start: int, end: int, with_fully: bool) -> re.Match | None:
    """The grade phrase in lowered[start:end]: the longest, then by precedence; a negation before a shortcoming
    ("inte några brister") grades nothing."""
    pattern, levels = _grades(with_fully)
    found = []
    for match in pattern.finditer(lowered, start, end):
        level = levels[" ".join(match.group().split())]
        if level == "not" and _pattern("shortcomings").search(lowered, match.end(), end):
            continue
        found.append((-len(match.group().split()), _PRECEDENCE.index(level), match.start(), match))
    return min(found, key=lambda f: f[:3])[3] if found else None


def _level(match: re.Match, with_fully: bool = True) -> Level:
    return _grades(with_fully)[1][" ".join(match.group().split())]


_BEFORE_CUT = re.compile(r"[,;:]")
# Clause boundaries after the verdict word: a negation beyond them belongs to another statement ("…, men inte …").
_CLAUSE_END = re.compile(r"[,;:.!?]|\b(?:men|då|eftersom|medan|samt|och)\b")


def read_verdict(text: str) -> VerdictReading | None:
    """The grade a kontrollmål statement gives beside its verdict word, or None when it has no verdict word."""
    plain, lowered = _lowered(text)
    not_assessed = _not_assessed(plain, lowered)
    if not_assessed:
        return not_assessed
    word = _pattern("fulfilled").search(lowered)
    if word is None:
        return None
    # Only the words next to the verdict word: a "delvis" or "inte" elsewhere in the sentence is about something else.
    clause_start = max((m.end() for m in _BEFORE_CUT.finditer(lowered, 0, word.start())), default=0)
    before = list(re.finditer(r"\S+", lowered[clause_start : word.start()]))[-_WINDOW_WORDS:]
    start = clause_start + before[0].start() if before else word.start()
    cut = _CLAUSE_END.search(lowered, word.end())
    after = list(re.finditer(r"\S+", lowered[word.end() : cut.start() if cut else len(lowered)]))[:_WINDOW_WORDS]
    end = word.end() + after[-1].end() if after else word.end()
    grade = _best_grade(lowered, start, end, with_fully=True)
    if grade is None:
        return VerdictReading("fully", plain[word.start() : word.end()])
    return VerdictReading(_level(grade), plain[min(grade.start(), word.start()) : max(grade.end(), word.end())])


_LABEL_PREFIX = re.compile(r"^(?P<label>[^\W\d_]+(?: [^\W\d_]+)?)\s*:\s*")
_CELL_END = re.compile(r"^\s*(?:[.,;:!–-]|$)")


def read_label(text: str, labelled: bool = False) -> VerdictReading | None:
    """The grade of a table cell or verdict line that opens with one ("Ja", "Delvis.", "Gul – rutiner saknas",
    "Delvis uppfyllt", "Ej bedömt", "Bedömning: Delvis"), or None. `labelled`: only a line that says it is
    a verdict ("Bedömning: …", "Svar: …"), as running text must to be read so."""
    plain, lowered = _lowered(text)
    offset = 0
    prefix = _LABEL_PREFIX.match(lowered)
    if prefix and verdict_column().match(prefix.group("label")):
        offset = prefix.end()
    elif labelled:
        return None
    head = lowered[offset:]
    not_assessed = _pattern("not_assessed").match(head)
    if not_assessed and _CELL_END.match(head[not_assessed.end() :]):
        return VerdictReading(None, plain[offset : offset + not_assessed.end()], assessed=False)
    label = re.match(r"[^\W\d_]+", head)
    if label and label.group() in _labels() and _CELL_END.match(head[label.end() :]):
        return VerdictReading(_labels()[label.group()], plain[offset : offset + label.end()])
    pattern, levels = _grades(with_fully=True)
    grade = pattern.match(head)
    rest = head[grade.end() :] if grade else ""
    if grade and _CELL_END.match(rest):
        return VerdictReading(levels[" ".join(grade.group().split())], plain[offset : offset + grade.end()])
    # "Delvis uppfyllt", "I huvudsak uppfyllt", "Uppfyllt i allt väsentligt": a verdict word among the first
    # words, with the grade right after it; what follows is the motivation ("Delvis uppfyllt Enligt vår …").
    words = list(re.finditer(r"\S+", head))[:SHORT_WORDS]
    verdict_word = _pattern("fulfilled").search(head, 0, words[-1].end()) if words else None
    if verdict_word is None:
        return None
    end = verdict_word.end()
    gap = re.match(r"\s+", head[end:])
    after = pattern.match(head, end + gap.end()) if gap else None
    return read_verdict(plain[offset : offset + (after.end() if after else end)])


def read_grade(sentence: str) -> VerdictReading | None:
    """The grade an assessment sentence gives in the clause after its assessing verb, or None when it gives none.

    "Vi bedömer att nämnden till viss del har säkerställt …" -> partly, "till viss del"; "Enligt vår bedömning
    har nämnden inte säkerställt …" -> not. "Helt" grades only beside a verdict word (see read_verdict)."""
    plain, lowered = _lowered(sentence)
    if plain.endswith("?") or _not_assessed(plain, lowered):
        return None
    verb = _pattern("assessing").search(lowered)
    if verb is None:
        return None
    base = verb.end()
    words = list(re.finditer(r"[^\s,;:]+|[,;:]", lowered[base:]))
    # The assessed clause: right after the verb ("Enligt vår bedömning har nämnden inte …"), else after the "att"
    # that follows it ("bedömer dock att …", "bedömning efter granskningen är att …").
    complementizer = next((i for i, w in enumerate(words[:5]) if w.group() == "att"), None)
    starts = [0] if complementizer is None else [0, complementizer + 1]
    for start in starts:
        clause = []
        for w in words[start : start + _CLAUSE_WORDS]:
            if w.group() in _CLAUSE_BREAKS:
                break
            clause.append(w)
        grade = _best_grade(lowered, base + clause[0].start(), base + clause[-1].end(), with_fully=False) if clause else None
        if grade is not None:
            return VerdictReading(_level(grade, with_fully=False), plain[grade.start() : grade.end()])
    return None


# Words that end the assessed clause: what follows is a reason or a subordinate statement, not the grade.
_CLAUSE_BREAKS = frozenset({",", ";", ":", "att", "som", "men", "eftersom", "då", "när", "vilket", "därför", "samtidigt"})


def statement_reading(sentence: str) -> VerdictReading | None:
    """A verdict stated about a kontrollmål: the sentence names it, or is a bare verdict line ("Delvis uppfyllt.")."""
    plain = plain_text(sentence)
    if plain.endswith("?"):
        return None
    reading = read_verdict(plain)
    if reading is None:
        return None
    if "kontrollmål" in plain.casefold() or len(plain.split()) <= SHORT_WORDS:
        return reading
    return None



def assesses(sentence: str) -> bool:
    """Whether a sentence assesses ("Vi bedömer …", "Vår bedömning är …"), graded or not."""
    return bool(_pattern("assessing").search(plain_text(sentence).lower()))


def read_opening_grade(sentence: str) -> VerdictReading | None:
    """The grade among a sentence's first words: the next item of an enumerated assessment ("… leder till
    bedömningen att X i allt väsentligt har … . Y i allt väsentligt har …")."""
    plain, lowered = _lowered(sentence)
    words = list(re.finditer(r"\S+", lowered))[:SHORT_WORDS]
    if not words or plain.endswith("?"):
        return None
    grade = _best_grade(lowered, 0, words[-1].end(), with_fully=False)
    return VerdictReading(_level(grade, with_fully=False), plain[grade.start() : grade.end()]) if grade else None
