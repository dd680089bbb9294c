"""The wording of a finding as the reports write it, made comparable: emphasis marks, bullets and layout removed
(HTML went at normalization, ingest/documents/markup.py)."""

import re
from difflib import SequenceMatcher

from ingest.language.words import same_family

_TAG = re.compile(r"<[^>]{1,40}>")
_EMPHASIS = re.compile(r"(?<!\w)[*_]{1,3}|[*_]{1,3}(?!\w)")
LIST_MARKERS = re.compile(r"^(?:[ \t]*(?:[-–•▶►*]|\d{1,2}[.)])[ \t]+)+")
_LEADER_DOTS = re.compile(r"\s*\.{3,}\s*$")
_KM_PREFIX = re.compile(r"^(?:kontrollmål|kontrollfråga)(?:\s*\d+)?\s*[:.–-]\s*", re.IGNORECASE)


def plain_text(text: str) -> str:
    """Text without stray emphasis marks, bullets and layout whitespace."""
    text = _EMPHASIS.sub("", text)
    text = "\n".join(LIST_MARKERS.sub("", line) for line in text.split("\n"))
    text = re.sub(r"(?<=[a-zåäö])-\n(?=[a-zåäö])", "", text)
    return re.sub(r"\s+", " ", text).strip()


def clean_question(text: str) -> str:
    text = _LEADER_DOTS.sub("", plain_text(text))
    return _KM_PREFIX.sub("", text).strip()


def normalized_wording(text: str) -> str:
    return " ".join(re.findall(r"[^\W_]+", clean_question(text).casefold()))


def similarity(a: str, b: str) -> float:
    """How alike two wordings of one question are: the better of character and word overlap, 0..1."""
    na, nb = normalized_wording(a), normalized_wording(b)
    if not na or not nb:
        return 0.0
    wa, wb = set(na.split()), set(nb.split())
    dice = 2 * len(wa & wb) / (len(wa) + len(wb))
    return max(SequenceMatcher(None, na, nb).ratio(), dice)


def coverage(question: str, answer: str) -> float:
    """How much of a question a sentence answers: the share of the question's longer words (5+ letters, so
    hardly a function word) that the sentence has in some form ("tillräckligt" / "tillräckliga"), 0..1."""
    asked = set(re.findall(r"[^\W\d_]{5,}", question.lower()))
    said = set(re.findall(r"[^\W\d_]+", answer.lower()))
    if not asked:
        return 0.0
    return sum(any(same_family(w, s, min_prefix=5, min_share=0.7) for s in said) for w in asked) / len(asked)


def join_paragraphs(pieces: list[tuple[str, bool]]) -> str | None:
    """Paragraph texts joined into one; a piece a page break tore off (continuation) is glued back on."""
    out = ""
    for text, continuation in pieces:
        text = plain_text(text)
        if not text:
            continue
        if out and continuation:
            if re.search(r"[a-zåäö]-$", out) and not re.match(r"(och|eller|samt|respektive)\b", text):
                out = out[:-1] + text
            else:
                out = f"{out} {text}"
        else:
            out = f"{out}\n\n{text}" if out else text
    return out or None


def trimmed_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
