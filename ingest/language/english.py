"""Whether a question is written in English (answers are then framed in English around the Swedish quotes)."""

import re
from functools import lru_cache

from ingest.language.lexicon import lexicon

_WORD = re.compile(r"[a-zåäö]+")


@lru_cache
def _words() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    table = lexicon()["english"]
    return frozenset(table["function_words"]), frozenset(table["question_starts"]), frozenset(table["swedish_words"])


@lru_cache
def _english_terms() -> re.Pattern:
    """The genre's English terms that are no Swedish term too ("budget", "policy" are both)."""
    groups = lexicon()["english_terms"]["groups"]
    swedish = {form.casefold() for group in groups for form in group["sv"]}
    forms = sorted({form.casefold() for group in groups for form in group["en"]} - swedish, key=len, reverse=True)
    return re.compile(rf"(?<![\w-])(?:{'|'.join(re.escape(f) for f in forms)})(?![\w-])")


def is_english(text: str) -> bool:
    """Two English function words, or an English question word or request first: Swedish shares neither. Hurried
    typing without either ("recommendations hultsfred") is English by a term of the genre in English, with no
    Swedish word beside it."""
    function_words, starts, swedish = _words()
    lower = text.lower()
    words = _WORD.findall(lower)
    if sum(w in function_words for w in words) >= 2 or bool(words and words[0] in starts):
        return True
    return not any(w in swedish for w in words) and bool(_english_terms().search(lower))
