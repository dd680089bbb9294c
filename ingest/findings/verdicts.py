"""Verdict normalization: what a phrase says about whether a kontrollmål is met.

- "uppfyllt": "uppfyllt", "helt uppfyllt", and "i huvudsak / i allt väsentligt / huvudsakligen / i stort
  sett uppfyllt" — reports use these as the positive grade, never as a fourth one between the others.
- "delvis uppfyllt": "delvis", "till viss del", "till del", "i viss mån", "inte/ej helt", "inte fullt ut".
- "ej uppfyllt": "ej", "inte" or "icke" next to the verdict word ("inte uppfyllt", "uppfylls inte").
- None with a note: "ej bedömt", "kan inte bedömas", "har inte kunnat bedömas" and the like.
"""

import re
from dataclasses import dataclass

from ingest.findings.model import Verdict
from ingest.findings.text import plain_text


@dataclass(frozen=True)
class VerdictReading:
    verdict: Verdict | None
    # False when the report says the kontrollmål could not be (or was not) assessed.
    assessed: bool = True


_FULFIL = re.compile(r"\buppfyll(?:t|d|da|des|s|ts|er)\b")
# "Ej bedömt", "kan inte bedömas", "har inte kunnat bedömas", "går inte att bedöma", "ej bedömningsbart".
_NOT_ASSESSED = re.compile(
    r"\b(?:ej|inte|icke) (?:har )?(?:kunnat |gått att |möjligt att |att )?bedöm(?:t|ts|d|as|a)\b|\b(?:ej|inte) bedömningsbar"
)
_PARTIAL = re.compile(
    r"\bdelvis\b|\btill (?:viss )?del\b|\bi viss mån\b|\bi vissa delar\b|\b(?:inte|ej|icke) (?:helt|fullt ut|fullständigt)\b"
)
_NEGATION = re.compile(r"\b(?:ej|inte|icke)\b")
# Clause boundaries: a negation beyond them belongs to another statement ("..., men inte ...").
_CLAUSE_END = re.compile(r"[,;:.!?]|\b(?:men|då|eftersom|medan|samt|och)\b")


def read_verdict(text: str) -> VerdictReading | None:
    """The normalized verdict a phrase states, or None when it states none (see the module docstring)."""
    plain = plain_text(text).casefold()
    if _NOT_ASSESSED.search(plain):
        return VerdictReading(None, assessed=False)
    match = _FULFIL.search(plain)
    if match is None:
        return None
    before = re.split(r"[,;:]", plain[: match.start()])[-1].split()[-4:]
    after_text = plain[match.end() :]
    cut = _CLAUSE_END.search(after_text)
    after = (after_text[: cut.start()] if cut else after_text).split()[:4]
    # Only the words next to the verdict word: a "delvis" or "inte" elsewhere in the sentence is about something else.
    window = " ".join(before + ["uppfyll"] + after)
    if _PARTIAL.search(window):
        return VerdictReading("delvis uppfyllt")
    if _NEGATION.search(window):
        return VerdictReading("ej uppfyllt")
    return VerdictReading("uppfyllt")


SHORT_WORDS = 6


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
