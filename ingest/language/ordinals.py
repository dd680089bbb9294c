"""Ordinals in questions matched to the numbered headings of the reports.

"den andra åtgärdskatalogen" is what Hultsfred's report heads "Åtgärds katalog 2, år 2017-2020": neither
the stemmer nor the embedding ties "andra" to "2", and both catalogues share every other word, so
retrieval and answering mixed their figures up.
"""

import re
from dataclasses import dataclass

from ingest.language.lexicon import ordinals

_ORDINALS = ordinals()
# "den andra åtgärdskatalogen", "Hultsfreds första åtgärdskatalog"; a bare "andra" means "other".
_ASKED = re.compile(rf"\b(?:den|det|de|the|[^\W\d_]+s|[^\W\d_]+'s)\s+({'|'.join(_ORDINALS)})\s+([^\W\d_]+)", re.IGNORECASE)
# "Åtgärds katalog 2, år 2017-2020", "Bilaga 3": a short line of words and a number.
_NUMBERED_HEADING = re.compile(r"(?m)^([^\W\d_][^\W\d_ ]*(?: [^\W\d_]+){0,3}) (\d|I{1,3}|IV)\b(?:,[^\n.]{0,30})?$")
_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4}


@dataclass(frozen=True)
class Ordinal:
    number: int
    noun: str  # "åtgärdskatalogen"
    phrase: str  # "andra åtgärdskatalogen", the question's own words


@dataclass(frozen=True)
class Heading:
    start: int  # offsets in the text searched
    end: int
    number: int


def asked_ordinal(question: str) -> Ordinal | None:
    found = _ASKED.search(question)
    if found is None:
        return None
    return Ordinal(_ORDINALS[found.group(1).lower()], found.group(2).lower(), f"{found.group(1)} {found.group(2)}")


def numbered_headings(text: str, ordinal: Ordinal | None) -> list[Heading]:
    """The headings in `text` that number the kind of thing the question asks about, in text order."""
    if ordinal is None:
        return []
    found = []
    for heading in _NUMBERED_HEADING.finditer(text):
        words = heading.group(1).lower().replace(" ", "")
        # "Åtgärds katalog" is "åtgärdskatalog(en)": the heading's words, less an ending, start the noun.
        if len(words) >= 6 and ordinal.noun.startswith(words[: max(6, len(words) - 2)]):
            number = heading.group(2)
            found.append(Heading(heading.start(), heading.end(), int(number) if number.isdigit() else _ROMAN[number]))
    return found
