"""Equivalent terms of municipal administration ("HVB" and "hem för vård eller boende", "försörjningsstöd"
and "ekonomiskt bistånd"): a question in one form finds passages written in the other.

BM25 only matches the form written, and the embedding model knows few Swedish abbreviations. The list
(`data/termer.txt`) holds established equivalences of the field, not paraphrases; the genre's English terms
(`data/lexicon.toml`, `[english_terms]`) join them so that an English question meets the Swedish words.
"""

import re
from dataclasses import dataclass
from importlib import resources

from ingest.language.lexicon import lexicon


@dataclass(frozen=True)
class _Form:
    text: str
    pattern: re.Pattern


def _form(text: str, inflected: bool = False) -> _Form:
    abbreviation = any(c.isupper() for c in text)
    body = re.escape(text) if not abbreviation else f"(?:{re.escape(text)}|{re.escape(text.upper())})"
    # A Swedish word of the genre matches with its endings ("kontrollmålen").
    ending = r"\w*" if inflected else ""
    return _Form(text, re.compile(rf"(?<![\w-]){body}{ending}(?![\w])", 0 if abbreviation else re.IGNORECASE))


class TermExpander:
    """Appends to a query the other forms of each term it contains."""

    def __init__(self, groups: list[list[str]], translations: list[dict[str, list[str]]] = ()) -> None:
        """`groups`: forms matched as written; `translations`: {"en": [...], "sv": [...]}, Swedish forms inflected; with
        "one_way", an English form holds a Swedish word ("personal" in "personal data"), and a Swedish text gains none."""
        for group in (*groups, *([*g["en"], *g["sv"]] for g in translations)):
            if len(group) < 2 or any(not form for form in group):
                raise ValueError(f"en termgrupp behöver minst två former: {group}")
        self.groups = [[_form(form) for form in group] for group in groups]
        self.translations = [([_form(f) for f in g["en"]], [_form(f, inflected=True) for f in g["sv"]]) for g in translations]
        self._one_way = [bool(g.get("one_way")) for g in translations]

    @classmethod
    def bundled(cls) -> "TermExpander":
        text = resources.files("ingest.language").joinpath("data/termer.txt").read_text(encoding="utf-8")
        lines = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
        return cls([[form.strip() for form in line.split(" = ")] for line in lines], lexicon()["english_terms"]["groups"])

    def in_swedish(self, query: str, longest: bool = False) -> list[str]:
        """The Swedish forms of the genre's English terms in `query` ("Red Cross" -> "Röda korset"), none of its own.
        With `longest`, a term inside a longer one is read as part of it: "data protection officer" is a
        "dataskyddsombud", not "dataskydd" too."""
        found: dict[str, None] = {}
        for _, swedish in self._translated(query, longest):
            found.update((form.text, None) for form in swedish if not form.pattern.search(query))
        return list(found)

    def term_at(self, query: str, start: int) -> tuple[int, str] | None:
        """Where the genre's English term that begins at `start` in `query` ends, with its first Swedish form (the
        longest there: "control objectives" -> "kontrollmål"), or None where no term begins there."""
        for (begin, end), swedish in self._translated(query, longest=True):
            if begin == start:
                return end, swedish[0].text
        return None

    def untranslated(self, query: str) -> str:
        """`query` without the genre's English terms it holds (the longest where they overlap)."""
        kept, end = [], 0
        for (start, stop), _ in sorted(self._translated(query, longest=True), key=lambda found: found[0]):
            kept.append(query[end:start])
            end = max(end, stop)
        return " ".join([*kept, query[end:]])

    def _translated(self, query: str, longest: bool) -> list[tuple[tuple[int, int], list[_Form]]]:
        """Where each English term of the genre stands in `query`, with its Swedish forms, in the glossary's order."""
        found = [
            ((m.start(), m.end()), swedish)
            for english, swedish in self.translations
            for form in english
            for m in form.pattern.finditer(query)
        ]
        if not longest:
            return found
        return [(span, swedish) for span, swedish in found if not any(_inside(span, other) for other, _ in found)]

    def expand(self, query: str, translate: bool = True) -> str:
        """`query` with the other forms of its terms; `translate=False` keeps to one language."""
        extra = [
            other.text
            for group in self.groups
            if any(form.pattern.search(query) for form in group)
            for other in group
            if not other.pattern.search(query)
        ]
        # Across languages only: a Swedish text gains the English terms, an English one the Swedish terms.
        translated: dict[str, None] = {}
        for (english, swedish), one_way in zip(self.translations, self._one_way) if translate else ():
            for present, other in ((english, swedish), *(() if one_way else ((swedish, english),))):
                if any(form.pattern.search(query) for form in present):
                    translated.update((form.text, None) for form in other if not form.pattern.search(query))
        extra += [term for term in translated if term not in extra]
        return f"{query} {' '.join(extra)}" if extra else query


def _inside(span: tuple[int, int], other: tuple[int, int]) -> bool:
    """Whether `span` lies within a longer `other`."""
    return other[0] <= span[0] and span[1] <= other[1] and other != span
