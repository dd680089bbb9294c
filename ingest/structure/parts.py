"""The report model: which part of a Swedish municipal audit report a heading or a stretch of text belongs to.

Every firm writes the same genre: a cover or a covering letter (missiv), a table of contents, Sammanfattning,
Inledning (bakgrund, syfte, revisionsfrågor or kontrollmål, revisionskriterier, avgränsning, metod), Iakttagelser
and Bedömning per question, Slutsatser, Rekommendationer, Bilagor. Firms number these differently or not at all,
merge some and leave others out, so a part is read from the words of its heading (`lexicon.toml` [parts]) and,
where no heading names one, from the part the heading sits in or from what the text says.
"""

import re

from ingest.language.lexicon import missiv_cues, part_headings

# What the genre's front matter is called where a chunk or a block needs a part name.
COVER = "omslag"
CONTENTS = "innehåll"
MISSIV = "missiv"
SUMMARY = "sammanfattning"
PURPOSE = "syfte"
CONCLUSIONS = "slutsatser"
RECOMMENDATIONS = "rekommendationer"
# Parts whose subsections stay in them: "Bedömningar mot revisionsfrågor" under Sammanfattning is summary. Only
# recommendations are recommendations wherever they stand ("1.2 Rekommendationer" in a summary).
_ENCLOSING = frozenset({SUMMARY, MISSIV, "bilagor"})
# Once the report has presented what it found, a "Sammanfattande bedömning" concludes it.
_FINDINGS = frozenset({"iakttagelser", "bedömning"})

_NUMBERING = re.compile(r"^(?:\d{1,2}(?:\.\d{1,2})*|[IVX]{1,4})\.?\s+")
_WORD = re.compile(r"[^\W\d_]+")


# A short heading may name its part after a word of its own ("Vår bedömning", "Övergripande bedömning"); a longer
# one only in its first word, so the audit question "Har analys och uppföljning genomförts …?" names none.
_SHORT_HEADING_WORDS = 3


def heading_part(title: str) -> str | None:
    """The part a heading's own words name, or None: "2.2 Syfte och revisionsfrågor" -> "syfte"."""
    words = _WORD.findall(_NUMBERING.sub("", title.strip()).casefold())
    named = words if len(words) <= _SHORT_HEADING_WORDS else words[:1]
    return next((part for word in named if (part := _part_of_word(word)) is not None), None)


def heading_names(title: str, part: str) -> bool:
    """Whether any word of a heading names the part: "2.4 Avgränsning och metod" names both avgränsning and metod."""
    return any(_part_of_word(word) == part for word in _WORD.findall(_NUMBERING.sub("", title.strip()).casefold()))


def _part_of_word(word: str) -> str | None:
    return next((part for part, starts in part_headings().items() if word.startswith(starts)), None)


def is_part_word(word: str) -> bool:
    return _part_of_word(word.casefold()) is not None


class PartTracker:
    """Assigns each section of one report its part as the parser opens them in order."""

    def __init__(self) -> None:
        self.findings_seen = False

    def section_part(self, title: str, parent: str) -> str:
        """The part of a section titled `title` inside a section of part `parent` ("" outside any)."""
        own = heading_part(title)
        part = parent if own is None or parent in _ENCLOSING and own != RECOMMENDATIONS else own
        if part == SUMMARY and self.findings_seen and parent != SUMMARY:
            part = CONCLUSIONS
        self.findings_seen = self.findings_seen or part in _FINDINGS
        return part


def reads_as_missiv(text: str) -> bool:
    """Whether text before a report's first part is a covering letter: two of the genre's letter phrases in it."""
    folded = text.casefold()
    return sum(cue in folded for cue in missiv_cues()) >= 2
