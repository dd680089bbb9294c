"""Swedish sentence boundaries as character spans, so a quote can always be cut from the source text."""

import re

# Swedish abbreviations that end in a period but do not end a sentence.
_ABBREVIATIONS = frozenset(
    """bl.a t.ex m.fl m.m s.k dvs d.v.s ca enl resp jfr kap nr st tel t.o.m fr.o.m p.g.a o.s.v etc
    f.d f.n ang bet inkl exkl milj mkr mnkr tkr kr proc vs mfl tex osv pga ev t.ex.""".split()
)
_END = re.compile(r"[.!?…]+[\"”’)]*(?=\s+[\"“”'(]?[A-ZÅÄÖÉ0-9•▶-])")
_LAST_TOKEN = re.compile(r"(\S+)$")
# A heading in capitals run into the text after it, as scanned letters print it ("GRANSKNING AV KOMMUNENS
# DELÅRSBOKSLUT 2015 Vid sitt möte …"): the sentence starts at the first word after the capitals.
_CAPITALS_RUN_IN = re.compile(r"(?:\b[A-ZÅÄÖ]{2,}\b[ \t]+){3,}(?:(?:19|20)\d\d[ \t]+)?(?=[A-ZÅÄÖ][a-zåäöé])")


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Spans [s, e) of the sentences in text[start:end], trimmed of surrounding whitespace."""
    end = len(text) if end is None else end
    segment = text[start:end]
    spans: list[tuple[int, int]] = []
    cursor = 0
    for match in _END.finditer(segment):
        token = _LAST_TOKEN.search(segment[cursor : match.end()])
        word = token.group(1).lower().rstrip(".!?…\"”’)") if token else ""
        # A number before the period is a list's or a heading's ("3. Iakttagelser"), except a year, which often ends
        # a sentence ("Planen antogs 2017. Den har …").
        numbered = re.fullmatch(r"\d+(\.\d+)*", word) and not re.fullmatch(r"(?:19|20)\d\d", word)
        if word in _ABBREVIATIONS or numbered or len(word) == 1:
            continue
        spans.append((cursor, match.end()))
        cursor = match.end()
    spans.append((cursor, len(segment)))
    spans = [piece for s, e in spans for piece in _after_run_in_headings(segment, s, e)]
    result = []
    for s, e in spans:
        piece = segment[s:e]
        lead = len(piece) - len(piece.lstrip())
        trail = len(piece) - len(piece.rstrip())
        if e - trail > s + lead:
            result.append((start + s + lead, start + e - trail))
    return result


def _after_run_in_headings(segment: str, s: int, e: int) -> list[tuple[int, int]]:
    cuts = [m.end() for m in _CAPITALS_RUN_IN.finditer(segment, s, e)]
    bounds = [s, *cuts, e]
    return [(a, b) for a, b in zip(bounds, bounds[1:]) if b > a]
