"""The reviewed language data (`data/lexicon.toml`), loaded once and handed out as plain Python values."""

import re
import tomllib
from functools import lru_cache
from importlib import resources
from typing import Any


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
def ordinals() -> dict[str, int]:
    """Ordinal word -> its number, Swedish and English ("andra" -> 2, "second" -> 2)."""
    table = lexicon()["ordinals"]
    return {word: n for words in (table["sv"], table["en"]) for n, word in enumerate(words, start=1)}


@lru_cache
def last_words() -> tuple[str, ...]:
    return tuple(lexicon()["ordinals"]["last"])


@lru_cache
def part_headings() -> dict[str, tuple[str, ...]]:
    """Report part -> the word starts of the headings that name it, in the genre's order."""
    return {part: tuple(words) for part, words in lexicon()["parts"]["headings"].items()}


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
