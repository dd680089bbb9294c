"""Hurried typing made readable before a question is read: names, diacritics and abbreviations as the reports write them.

Staff type "vilka kontrollmal bedomdes ej uppfyllda alvesta" or "rek ks hultsfred". Every later reader
(municipality filters, findings cues, BM25) matches the reports' own spelling, so the question is repaired
first, and the repaired form is what "Tolkad som" shows:
- a municipality name in any case, without its diacritics or with a genitive s ("umea", "kalmars") is written
  as the name is; names that are also ordinary words ("vara", "mark") are left as typed;
- a word typed without diacritics is restored when the reports (or the genre's own short words in
  lexicon.toml) write it with them, unless the reports also use the word as typed;
- the field's abbreviations ("rek", "ks", "kf") are written out.
"""

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from functools import lru_cache

from ingest.language.english import is_english
from ingest.language.lexicon import lexicon
from service.query.analysis import AMBIGUOUS_NAMES

_WORD = re.compile(r"[^\W\d_]+")
# Names shorter than this are repaired only where the question marks them as a place.
_MIN_NAME = 5


def fold(text: str) -> str:
    """Lower case without diacritics, one character for each character, so offsets carry over."""
    out = []
    for ch in text:
        base = unicodedata.normalize("NFD", ch)[0]
        low = base.lower()
        out.append(low if len(low) == 1 else base)
    return "".join(out)


_AMBIGUOUS = frozenset(fold(n) for n in AMBIGUOUS_NAMES)
_PREPOSITIONS = r"(?:i|for|av|fran|in|om|at|of)"


def _alternation(names: dict[str, str]) -> str:
    return "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))


@lru_cache
def _tables() -> tuple[dict[str, str], dict[str, str]]:
    table = lexicon()
    # An exonym is written out like an abbreviation: both are another way to write a word the reports use.
    return {**table["abbreviations"], **table["exonyms"]}, dict(table["undiacritized"])


def _styled(word: str, like: str) -> str:
    return word[:1].upper() + word[1:] if like[:1].isupper() else word


class QuestionRepair:
    def __init__(self, municipalities: Iterable[str], vocabulary: Mapping[str, int]) -> None:
        """`vocabulary`: how often the reports write each word, as written, in the order the words first occur (a
        tie between two spellings of one word goes to the one the reports use first)."""
        names: dict[str, str] = {}
        short: dict[str, str] = {}
        for name in municipalities:
            folded = fold(name)
            if folded not in _AMBIGUOUS:
                (names if len(folded) >= _MIN_NAME else short).setdefault(folded, name)
        self._names = {**short, **names}
        self._name_patterns = [
            re.compile(rf"(?<![\w-])()({_alternation(names)})(s?)(?![\w-])") if names else None,
            # A short name ("umea") only after a preposition, before "kommun" or as the question's last word, where
            # hurried typing puts the place ("vad rekommenderar kpmg umea"): elsewhere it is too often another word.
            re.compile(
                rf"(?<![\w-])({_PREPOSITIONS}\s+)({_alternation(short)})(s?)(?![\w-])|(?<![\w-])()({_alternation(short)})(s?)(?=\s+kommun)"
                rf"|(?<![\w-])()({_alternation(short)})(s?)(?=\s*[?.!]*\s*$)"
            )
            if short else None,
        ]
        # "kalmarrapporten", "umeagranskningen": the place run into the report noun, as the language compounds it,
        # written as the reports write the place ("Kalmarrapporten", which the question reader takes as Kalmar's report).
        self._compounded = re.compile(rf"(?<![\w-])({_alternation(self._names)})(?=(?:revisions)?(?:rapport|granskning)\w*)")
        # Counted by lower-case form: one lower() per distinct word, not per occurrence (start-up), in first-seen order.
        words: Counter = Counter()
        for word, n in vocabulary.items():
            words[word.lower()] += n
        self._known = frozenset(words)
        restored: dict[str, Counter] = {}
        for word, n in words.items():
            folded = fold(word)
            if folded != word:
                restored.setdefault(folded, Counter())[word] += n
        self._restored = {folded: forms.most_common(1)[0][0] for folded, forms in restored.items()}

    def run(self, question: str) -> str:
        english = is_english(question)
        question = self._names_written_out(question)
        abbreviations, undiacritized = _tables()

        def word(match: re.Match) -> str:
            typed = match.group(0)
            low = typed.lower()
            if low in abbreviations:
                return abbreviations[low]
            if english or low in self._known or fold(low) != low:
                return typed
            found = undiacritized.get(low) or self._restored.get(low)
            return _styled(found, typed) if found else typed

        return _WORD.sub(word, question)

    def _names_written_out(self, question: str) -> str:
        if self._names:
            pieces, cursor = [], 0
            for match in self._compounded.finditer(fold(question)):
                pieces += [question[cursor : match.start()], self._names[match.group(1)]]
                cursor = match.end()
            question = "".join(pieces) + question[cursor:]
        for pattern in self._name_patterns:
            if pattern is None:
                continue
            pieces, cursor = [], 0
            for match in pattern.finditer(fold(question)):
                groups = match.groups()
                lead, name, genitive = next(groups[i : i + 3] for i in range(0, len(groups), 3) if groups[i + 1] is not None)
                start = match.start() + len(lead)
                pieces += [question[cursor:start], self._names[name] + genitive]
                cursor = match.end()
            question = "".join(pieces) + question[cursor:]
        return question
