"""The text of a chat completion: the answer, a "Källor" ("Sources") list that quotes each citation, its length in tokens, and
the cut a client's `max_tokens` asks for.

There is no generative model, so no tokenizer either; tokens are counted by one simple rule: a run of letters and
digits is one token, and so is every other character that is not white space ("Alvesta (2018)" is 4 tokens).
The answer is extractive, so a cut never breaks a quote: it falls after the last whole sentence or line that fits
together with the Källor lines of the citations it keeps, and keeps at least the first cited sentence; only when
not even that fits is the text cut at the token limit.
"""

import re
from dataclasses import dataclass

from service.answering.wording import SWEDISH, Wording
from service.api.schemas import CitationOut
from service.api.streaming import answer_pieces

_TOKEN = re.compile(r"\w+|[^\w\s]")
# A quote longer than this many words is shown as its opening and closing words around an ellipsis.
QUOTE_HEAD_WORDS = 20
QUOTE_TAIL_WORDS = 8


def count_tokens(text: str) -> int:
    return len(_TOKEN.findall(text))


def _first_tokens(text: str, limit: int) -> str:
    tokens = list(_TOKEN.finditer(text))
    return text if len(tokens) <= limit else text[: tokens[limit - 1].end()]


def shown_quote(quote: str) -> str:
    """The quote on one line (white space runs shown as one space); a long one as its first and last words around
    " … ", each part word for word as the report has it."""
    words = quote.split()
    if len(words) <= QUOTE_HEAD_WORDS + QUOTE_TAIL_WORDS:
        return " ".join(words)
    return " ".join(words[:QUOTE_HEAD_WORDS]) + " … " + " ".join(words[-QUOTE_TAIL_WORDS:])


def _labels(citations: list[CitationOut]) -> dict[int, str]:
    """"Alvesta 2018" for each cited report; the title too where two cited reports share municipality and year,
    the title alone where either is unknown."""
    short = {c.n: " ".join(str(v) for v in (c.municipality, c.year) if v) for c in citations}
    documents: dict[str, set[str]] = {}
    for c in citations:
        documents.setdefault(short[c.n], set()).add(c.document_id)
    labels = {}
    for c in citations:
        title = c.title or c.document_id
        if c.municipality is None or c.year is None:
            labels[c.n] = title
        else:
            labels[c.n] = short[c.n] if len(documents[short[c.n]]) == 1 else f"{title} ({short[c.n]})"
    return labels


def sources_text(citations: list[CitationOut], w: Wording = SWEDISH) -> str:
    """The "Källor" list: one line per citation, `[n] Alvesta 2018, avsnitt 3.3, s. 12: ”quote”`; in English
    `Sources:` and `[n] Alvesta 2018, section 3.3, p. 12: "quote"` (the quote as the report has it)."""
    if not citations:
        return ""
    labels = _labels(citations)
    lines = []
    for c in citations:
        place = w.passage_place(c.section, c.part or "")
        line = f"[{c.n}] {labels[c.n]}" + (f", {place}" if place else "") + (f", {w.page.format(c.page)}" if c.page is not None else "")
        lines.append(f"{line}: {w.quoted(shown_quote(c.quote))}")
    return f"{w.sources}\n" + "\n".join(lines)


@dataclass(frozen=True)
class CompletionText:
    answer: str
    sources: str  # the Källor list of the citations kept, or ""
    citations: list[CitationOut]  # those the answer still refers to
    cut: bool  # shortened to max_tokens

    @property
    def content(self) -> str:
        return self.answer + (f"\n\n{self.sources}" if self.sources else "")


def _kept(text: str, citations: list[CitationOut]) -> list[CitationOut]:
    return [c for c in citations if f"[{c.n}]" in text]


def completion_text(answer: str, citations: list[CitationOut], max_tokens: int | None = None, w: Wording = SWEDISH) -> CompletionText:
    """The answer and its sources (worded as `w`), cut to `max_tokens` (None: whole) as the module says."""
    whole = CompletionText(answer, sources_text(citations, w), citations, False)
    if max_tokens is None or count_tokens(whole.content) <= max_tokens:
        return whole
    pieces = answer_pieces(answer)
    for end in range(len(pieces) - 1, 0, -1):
        text = "".join(pieces[:end]).rstrip()
        kept = _kept(text, citations)
        if citations and not kept:
            break  # shorter prefixes lose the first cited sentence too
        candidate = CompletionText(text, sources_text(kept, w), kept, True)
        if count_tokens(candidate.content) <= max_tokens:
            return candidate
    text = _first_tokens(answer, max_tokens)
    return CompletionText(text, "", _kept(text, citations), True)
