"""Where a report states its overall assessment, and how the sentence that states it opens.

The genre's headings, openers and announcing sentences are data (`data/lexicon.toml` [overall_assessment]);
this module compiles them once and answers three questions: what part of the report a heading opens (the
assessment itself, a summary, the cover letter), whether a paragraph opens with such a heading run into its
text (flattened PDFs: "3 1. Sammanfattning På uppdrag av …"), and whether a sentence opens the assessment.
"""

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from ingest.language.lexicon import lexicon, template_pattern

Part = Literal["overall", "summary", "cover"]
Opener = Literal["opener", "plain"]
# How much a part of the report is trusted to hold the overall assessment: its own heading first.
PART_RANK: dict[Part | None, int] = {"overall": 0, "summary": 1, "cover": 2, None: 3}


@lru_cache
def _data() -> dict:
    return lexicon()["overall_assessment"]


@lru_cache
def _titles() -> tuple[tuple[str, Part], ...]:
    data = _data()
    titles = [(t, "overall") for t in data["titles"]] + [(t, "summary") for t in data["summary_titles"]]
    titles += [(t, "cover") for t in data["cover_letter_titles"]]
    return tuple(sorted(titles, key=lambda t: -len(t[0])))


@lru_cache
def _templates(key: str) -> tuple[re.Pattern, ...]:
    classes = {"auditors": _data()["auditors"], "overall": _data()["overall"]}
    return tuple(template_pattern(t, classes) for t in _data()[key])


def heading_part(title: str) -> Part | None:
    """The part a heading opens: "Sammanfattning och revisionell bedömning" -> overall (its own heading wins)."""
    folded = title.casefold()
    found = [part for phrase, part in _titles() if re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", folded)]
    return min(found, key=PART_RANK.__getitem__) if found else None


# A flattened heading: a page number, a section number, then the title ("3 1. Sammanfattning", "(3) Sammanfattning").
_NUMBERS = re.compile(r"^(?:\(?\d{1,3}\)?\s+)?(?:\d{1,2}(?:\.\d{1,2})*\.?\s+)?")
# After the title: the text's first word, capitalized, or the end of a heading that stands alone. After a
# numbered title a few more title words in lower case may come first ("3 1. Sammanfattande bedömning och
# rekommendationer Sollentuna …"); without a number only in a heading that stands alone, as in running text
# they are prose ("Slutsatser om … presenteras …").
_TEXT_STARTS = re.compile(r"\s+(?=[A-ZÅÄÖ0-9])|(?:\s+[a-zåäö][\w-]*){0,4}\s*$")
_NUMBERED_TITLE_TAIL = re.compile(r"(?:\s+[a-zåäö][\w-]*){0,4}?(?:\s+(?=[A-ZÅÄÖ0-9])|\s*$)")


@dataclass(frozen=True)
class RunIn:
    part: Part
    title: str
    # Where the paragraph's own text starts, after the heading (relative to the paragraph).
    body: int


def run_in_heading(text: str) -> RunIn | None:
    """A heading this paragraph opens with, run into its text or standing alone ("1. Sammanfattning")."""
    numbers = _NUMBERS.match(text)
    head = text[numbers.end() :]
    folded = head.casefold()
    for phrase, part in _titles():
        if folded.startswith(phrase) and not folded[len(phrase) : len(phrase) + 1].isalnum():
            tail = (_NUMBERED_TITLE_TAIL if numbers.group().strip() else _TEXT_STARTS).match(head, len(phrase))
            if tail:
                return RunIn(part, head[: tail.end()].strip(), numbers.end() + tail.end())
    return None


def opener(sentence: str) -> Opener | None:
    """"opener" for a sentence that states the overall assessment wherever it stands ("Vår samlade bedömning är
    att …"), "plain" for one that does so only in the assessment's part of the report ("Vi bedömer att …")."""
    folded = " ".join(sentence.casefold().split())
    if any(p.match(folded) for p in _templates("openers")):
        return "opener"
    if any(p.match(folded) for p in _templates("plain_openers")):
        return "plain"
    return None


def announces(text: str) -> bool:
    """Whether text announces the assessment that follows it ("… leder till följande samlade bedömning")."""
    folded = " ".join(text.casefold().split())
    return any(p.match(folded) for p in _templates("leads"))
