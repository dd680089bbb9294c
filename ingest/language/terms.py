"""Equivalent terms of municipal administration ("HVB" and "hem för vård eller boende", "försörjningsstöd"
and "ekonomiskt bistånd"): a question in one form finds passages written in the other.

BM25 only matches the form written, and the embedding model knows few Swedish abbreviations. The list
(`service/data/termer.txt`) holds established equivalences of the field, not paraphrases.
"""

import re
from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True)
class _Form:
    text: str
    pattern: re.Pattern


def _form(text: str) -> _Form:
    abbreviation = any(c.isupper() for c in text)
    body = re.escape(text) if not abbreviation else f"(?:{re.escape(text)}|{re.escape(text.upper())})"
    return _Form(text, re.compile(rf"(?<![\w-]){body}(?![\w])", 0 if abbreviation else re.IGNORECASE))


class TermExpander:
    """Appends to a query the other forms of each term it contains."""

    def __init__(self, groups: list[list[str]]) -> None:
        for group in groups:
            if len(group) < 2 or any(not form for form in group):
                raise ValueError(f"en termgrupp behöver minst två former: {group}")
        self.groups = [[_form(form) for form in group] for group in groups]

    @classmethod
    def bundled(cls) -> "TermExpander":
        text = resources.files("ingest.language").joinpath("data/termer.txt").read_text(encoding="utf-8")
        lines = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
        return cls([[form.strip() for form in line.split(" = ")] for line in lines])

    def expand(self, query: str) -> str:
        extra = [
            other.text
            for group in self.groups
            if any(form.pattern.search(query) for form in group)
            for other in group
            if not other.pattern.search(query)
        ]
        return f"{query} {' '.join(extra)}" if extra else query
