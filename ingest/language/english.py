"""Whether a question is written in English (answers are then framed in English around the Swedish quotes)."""

import re
from functools import lru_cache

from ingest.language.lexicon import lexicon

_WORD = re.compile(r"[a-zåäö]+")


@lru_cache
def _words() -> tuple[frozenset[str], frozenset[str]]:
    table = lexicon()["english"]
    return frozenset(table["function_words"]), frozenset(table["question_starts"])


def is_english(text: str) -> bool:
    """Two English function words, or an English question word first: Swedish shares neither."""
    function_words, starts = _words()
    words = _WORD.findall(text.lower())
    return sum(w in function_words for w in words) >= 2 or bool(words and words[0] in starts)
