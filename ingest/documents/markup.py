"""Markup that exporters and web transcripts leave in a report's text, removed before anything is measured.

Reports reach us through HTML pages, Markdown conversions and Word or PDF exports, and each leaves its own
debris in the text: tags and entities (`<p>`, `<br>`, `&amp;`, `&nbsp;`), Markdown emphasis (`**x**`,
`*x*`, `__x__`) and footnote markers glued to the word they annotate ("kontrollen3", "kontrollen¹"). None of
it is the report's wording, and a quote that carries it reads as noise. It goes at normalization, before
any offset is taken, so chunks, quotes and page spans all point into the clean text.

What stays: Markdown headings (`#`, the parser reads them), list bullets, table pipes and tabs, numbers that
stand as words ("§ 7", "2018", "28 933"), a footnote's own text ("¹ KF § 16/2015-02-23", which starts its
line) and units written with a superscript ("1 200 m²").
"""

import html
import re

from ingest.language.lexicon import superscript_units

_ENTITY = re.compile(r"&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_TAG = re.compile(r"</?([A-Za-z][A-Za-z0-9]{0,9})(?:\s[^<>]*)?/?>")
# A footnote reference set as HTML: the number goes with its tags.
_FOOTNOTE_TAG = re.compile(r"<sup>\s*\d{1,3}\s*</sup>", re.IGNORECASE)
# Tags inside running text: removing one joins what it separated ("<b>1.</b> Inledning", "Upp<i>fyllt</i>").
# Any other tag (p, br, div, li, td …) separates words, so where it stood between two of them a space does.
_INLINE_TAGS = frozenset("a abbr b big em font i mark s small span strike strong sub sup u".split())
# Emphasis opens after a space or punctuation and before a non-space, and closes the same way: a bullet
# ("* punkt") or a product ("3 * 4") is no emphasis.
_EMPHASIS = re.compile(r"(?<![\w*])(\*{1,3}|_{2,3})(?=[^\s*_])([^\n]*?[^\s*_])\1(?![\w*])")
# Glued to a letter, a figure or closing punctuation; at a line's start it opens the footnote's own text.
_SUPERSCRIPT_MARK = re.compile(r"(?<=[^\W_]|[.,;:!?)\]”\"'’])[⁰¹²³⁴⁵⁶⁷⁸⁹]+")
# A plain digit glued to a lower-case word in running text, where a transcript lost the superscript ("i
# kontrollen3 Nästa"). Four letters at least and a word in lower case only, so "m2", "K3", "CO2" and "Agenda2030"
# keep their digits; after another word of the line, so a code alone on its line ("febks18") keeps them; only
# before a space, an end or closing punctuation, so an e-mail address "anna1@…" keeps its digit.
_DIGIT_MARK = re.compile(r"(?<=\S )\b([^\W\d_]{4,})(\d{1,2})(?=[.,;:!?)”\"]*(?:\s|$))")
_UNIT_BEFORE = re.compile(r"(?:^|[\s\d])([^\W\d_]{1,3})$")


def strip_markup(text: str) -> str:
    """The text without tags, entities, emphasis marks and glued footnote markers."""
    text = _unescape(text)
    text = _FOOTNOTE_TAG.sub("", text)
    text = _TAG.sub(_tag_replacement, text)
    text = _EMPHASIS.sub(r"\2", text)
    text = _SUPERSCRIPT_MARK.sub(_superscript_replacement, text)
    return _DIGIT_MARK.sub(lambda m: m.group(1) if m.group(1).islower() else m.group(0), text)


def _unescape(text: str) -> str:
    # A transcript escaped twice ("&amp;nbsp;") is unescaped until nothing changes, so normalizing is idempotent.
    for _ in range(3):
        unescaped = _ENTITY.sub(lambda m: html.unescape(m.group(0)), text)
        if unescaped == text:
            break
        text = unescaped
    return text


def _tag_replacement(match: re.Match) -> str:
    if match.group(1).lower() in _INLINE_TAGS:
        return ""
    before = match.string[match.start() - 1 : match.start()]
    after = match.string[match.end() : match.end() + 1]
    return " " if before and after and not before.isspace() and not after.isspace() and after != "<" else ""


def _superscript_replacement(match: re.Match) -> str:
    unit = _UNIT_BEFORE.search(match.string, max(0, match.start() - 4), match.start())
    return match.group(0) if unit and unit.group(1) in superscript_units() else ""
