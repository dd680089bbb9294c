"""The reviewed language data (`data/lexicon.toml`), loaded once and handed out as plain Python values."""

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class DocumentFact:
    """A fact a report states about itself: what an answer calls it, how a question asks for it, what the question
    must name for it to be the report's, and how the text states it (the value in the first group that matched)."""

    noun: str
    asked: re.Pattern
    of: re.Pattern
    stated: re.Pattern


@lru_cache
def lexicon() -> dict[str, Any]:
    return tomllib.loads(resources.files("ingest.language").joinpath("data/lexicon.toml").read_text(encoding="utf-8"))


@lru_cache
def months() -> dict[str, int]:
    """Swedish month name -> month number."""
    return {name: number for number, name in enumerate(lexicon()["months"], start=1)}


def month_alternation() -> str:
    """The month names as a regular-expression alternation ("januari|februari|…")."""
    return "|".join(months())


@lru_cache
def swedish_municipalities() -> tuple[str, ...]:
    """Sweden's 290 municipalities (data/kommuner.txt)."""
    text = resources.files("ingest.language").joinpath("data/kommuner.txt").read_text(encoding="utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


@lru_cache
def _own_genitives() -> frozenset[str]:
    own = {w.casefold() for w in lexicon()["recommendations"]["own_genitives"]}
    return frozenset(own | {form for m in swedish_municipalities() for form in (m.casefold(), m.casefold() + "s")})


def others_recommendations(text: str) -> bool:
    """Whether "rekommendation…" follows a genitive that names someone else than the auditors, the report, a firm
    or a municipality: "RKR:s rekommendationer" are a norm the report checks against, not recommendations it makes."""
    for match in re.finditer(lexicon()["recommendations"]["genitive"], text):
        word = match.group().strip()
        if word.casefold() not in _own_genitives() and not firm_pattern().match(word):
            return True
    return False


@lru_cache
def negations() -> frozenset[str]:
    return frozenset(lexicon()["negations"])


@lru_cache
def superscript_units() -> frozenset[str]:
    return frozenset(lexicon()["superscript_units"])


@lru_cache
def firms() -> dict[str, str]:
    """Firm name -> the regular expression its mentions match."""
    return dict(lexicon()["firms"])


@lru_cache
def firm_pattern() -> re.Pattern:
    """Any firm's mention."""
    return re.compile("|".join(f"(?:{p})" for p in firms().values()))


@lru_cache
def causal_pattern() -> re.Pattern:
    """A sentence that gives a reason ("eftersom", "på grund av", "vilket innebär")."""
    return re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(c) for c in lexicon()["causal_cues"]) + r")(?![\w-])", re.IGNORECASE)


@lru_cache
def measure_pattern() -> re.Pattern:
    """The words that ask for a measure ("hur lång tid tog det"), which the answer's form answers."""
    return re.compile(phrase_pattern(lexicon()["measure_phrases"]).pattern, re.IGNORECASE)


@lru_cache
def authorship_pattern() -> re.Pattern:
    """A question about who made the report ("Vem står som författare …", "Vem var projektledare …")."""
    return re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(c) for c in lexicon()["authorship_cues"]) + ")", re.IGNORECASE)


@lru_cache
def author_titles() -> tuple[str, ...]:
    return tuple(lexicon()["author_titles"])


def item_nouns() -> dict[str, str]:
    """A list's item noun in the plural -> one item, definite ("revisionsfrågor" -> "revisionsfrågan")."""
    return dict(lexicon()["item_nouns"])


def definite_endings() -> tuple[str, ...]:
    return tuple(lexicon()["definite_endings"])


def word_forms() -> dict[str, str]:
    return dict(lexicon()["word_forms"])


def verb_particles() -> dict[str, str]:
    return dict(lexicon()["verb_particles"])


def interrogatives() -> frozenset[str]:
    return frozenset(lexicon()["interrogatives"])


def person_roles() -> tuple[str, ...]:
    return tuple(lexicon()["person_roles"])


@lru_cache
def one_report_pattern() -> re.Pattern:
    """A question that points at one report by a definite noun ("rapporten om …", "the report on …")."""
    return re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(n) for n in lexicon()["one_report_nouns"]) + r")(?![\w-])", re.IGNORECASE)


@lru_cache
def opinion_holder_pattern() -> re.Pattern:
    """"Vad tyckte hyresgästerna …": group 1 is whose view is asked for."""
    verbs = "|".join(re.escape(v) for v in lexicon()["opinion_verbs"])
    return re.compile(rf"\b(?:vad|hur)\s+(?:{verbs})\s+(?:de\s+)?([^\W\d_]+)", re.IGNORECASE)


@lru_cache
def grade_phrases(level: str) -> tuple[str, ...]:
    """The genre's words for one grade of its ordinal scale ("partly": "delvis", "i begränsad omfattning" …)."""
    return tuple(lexicon()["verdicts"]["grades"][level])


@lru_cache
def english_verdicts() -> dict[str, str]:
    """The grades an English question asks for ("partly", "not", "fully"), each as one alternation of its patterns."""
    return {grade: "|".join(f"(?:{p})" for p in patterns) for grade, patterns in lexicon()["english"]["verdicts"].items()}


@lru_cache
def ordinals() -> dict[str, int]:
    """Ordinal word -> its number, Swedish and English ("andra" -> 2, "second" -> 2)."""
    table = lexicon()["ordinals"]
    return {word: n for words in (table["sv"], table["en"]) for n, word in enumerate(words, start=1)}


@lru_cache
def last_words() -> tuple[str, ...]:
    return tuple(lexicon()["ordinals"]["last"])


def phrase_pattern(phrases: list[str]) -> re.Pattern:
    """Any of the phrases as whole words, the longest first so "inte helt" is read before "inte"; any
    whitespace between their words."""
    ordered = sorted(set(phrases), key=lambda p: (-len(p.split()), -len(p)))
    return re.compile("|".join(r"(?<!\w)" + _words(p) + r"(?!\w)" for p in ordered))


def _words(phrase: str) -> str:
    return r"\s+".join(map(re.escape, phrase.split()))


_PREAMBLE_WORDS = 40
_GAP_WORDS = 4


def template_pattern(template: str, classes: dict[str, list[str]]) -> re.Pattern:
    """A sentence-start pattern from the lexicon's template notation: words match whole, a word ending in *
    is a stem, {name} is any phrase of classes[name], "…" first is a preamble and elsewhere a gap of a few words.

    "{auditors} … {overall} … bedömning* … att" reads "Vår samlade bedömning är att" and "Vi gör den
    sammanfattande bedömningen att"."""
    def word(token: str) -> str:
        if token.startswith("{") and token.endswith("}"):
            alternatives = sorted(classes[token[1:-1]], key=len, reverse=True)
            return "(?:" + "|".join(map(_words, alternatives)) + r")(?!\w)"
        return re.escape(token[:-1]) + r"\w*" if token.endswith("*") else re.escape(token) + r"(?!\w)"

    parts = []
    for i, token in enumerate(template.split()):
        if token == "…":
            parts.append(rf"(?:\S+[\s,]+){{0,{_PREAMBLE_WORDS if i == 0 else _GAP_WORDS}}}?")
        else:
            parts.append(word(token) + r"[\s,]*")
    return re.compile("^" + "".join(parts))


@lru_cache
def part_headings() -> dict[str, tuple[str, ...]]:
    """Report part -> the word starts of the headings that name it, in the genre's order."""
    return {part: tuple(words) for part, words in lexicon()["parts"]["headings"].items()}


@dataclass(frozen=True)
class AskedPart:
    """A part of the report's frame as questions ask for it and as sentences state it."""

    question: re.Pattern
    stated: re.Pattern


@lru_cache
def asked_parts() -> dict[str, AskedPart]:
    """Report part -> how a question asks for it ("Vilka intervjuades?" asks for the metod) and how a sentence states
    it ("Vi har intervjuat …"), in the genre's order."""
    return {
        part: AskedPart(*(re.compile("|".join(cues[key]), re.IGNORECASE) for key in ("question", "stated")))
        for part, cues in lexicon()["parts"]["asked"].items()
    }


@lru_cache
def heading_joiners() -> frozenset[str]:
    return frozenset(lexicon()["parts"]["heading_joiners"])


@lru_cache
def missiv_cues() -> tuple[str, ...]:
    return tuple(lexicon()["parts"]["missiv_cues"])


@lru_cache
def page_words() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(the words before a page number, "sida"; the words between it and the page count, "av")."""
    table = lexicon()["pages"]
    return tuple(table["words"]), tuple(table["of"])


@lru_cache
def document_facts() -> dict[str, DocumentFact]:
    """A fact a report states about itself ("pages", "reference" …), by name."""
    return {
        name: DocumentFact(fact["noun"], *(re.compile(fact[key], re.IGNORECASE) for key in ("asked", "of", "stated")))
        for name, fact in lexicon()["document_facts"].items()
    }
