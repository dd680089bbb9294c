"""How answers are worded in Swedish: nouns and their plurals, verdict words, where in the report."""

import re

from ingest.findings.model import Finding, FindingSource, Kind
from ingest.language.sentences import split_sentences

PLURAL_VERDICT = {"uppfyllt": "uppfyllda", "delvis uppfyllt": "delvis uppfyllda", "ej uppfyllt": "ej uppfyllda"}
NOUNS: dict[Kind, tuple[str, str]] = {
    "kontrollmal": ("kontrollmål", "kontrollmål"),
    "rekommendation": ("rekommendation", "rekommendationer"),
    "revisionsfraga": ("revisionsfråga", "revisionsfrågor"),
    "revisionell_bedomning": ("revisionell bedömning", "revisionella bedömningar"),
}
NOT_ASSESSED = "ej bedömt"


def verdict_words(verdict: str, n: int) -> str:
    return PLURAL_VERDICT.get(verdict, verdict) if n != 1 else verdict


def stated_verdict(verdict: str | None, words: str | None) -> str:
    """The verdict, with the report's own words where they say more: "delvis uppfyllt, i rapportens ord ”till viss del”"."""
    if not words or " ".join(re.findall(r"\w+", words.lower())) == verdict:
        return verdict or NOT_ASSESSED
    return f"{verdict}, i rapportens ord ”{words}”" if verdict else f"”{words}”"


def count_of(n: int, kind: Kind) -> str:
    singular, plural = NOUNS[kind]
    return f"{n} {singular if n == 1 else plural}"


def numbered_section(section: str) -> bool:
    return bool(re.fullmatch(r"\d+(?:\.\d+)*", section))


def section_label(section: str) -> str:
    if not section:
        return "rapporten"
    return f"avsnitt {section}" if numbered_section(section) else f"avsnittet ”{section}”"


def passage_place(section: str, part: str = "") -> str:
    """Where a cited passage stands: "avsnitt 2.6.4", else the part of the report ("missiv", "omslag"), else ""
    (a label without a name, "avsnitt :", tells the reader nothing)."""
    return f"avsnitt {section}" if section else part


def place(goal: Finding, source: FindingSource) -> str:
    # A source outside the kontrollmål's own section is a summary that restates the verdict.
    own = source.section == goal.section or source.section.startswith(goal.section + ".")
    return section_label(source.section) if own else f"sammanställningen i {section_label(source.section)}"


def joined_names(labels: list[str]) -> str:
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " och " + labels[-1]


def first_sentences(text: str, enough: int = 80) -> list[str]:
    """The motivation's opening: its first sentence, and the next one too when the first is short."""
    paragraph = text.split("\n\n")[0].strip()
    sentences = [paragraph[s:e] for s, e in split_sentences(paragraph)] or [paragraph]
    return sentences[:2] if len(sentences[0]) < enough else sentences[:1]


def flexible_pattern(sentence: str) -> re.Pattern:
    """A pattern for a sentence as the report's text has it: emphasis marks, bullets and line breaks between its words."""
    tokens = re.findall(r"[^\W_]+|[^\w\s]", sentence)
    return re.compile(r"(?:\s|[*_]|-\n)*".join(re.escape(t) for t in tokens))
