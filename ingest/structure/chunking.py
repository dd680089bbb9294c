"""Section-aware chunking: blocks of a parsed report -> retrieval chunks of about 120-250 words.

A chunk never crosses a section boundary, never cuts a sentence, list item or table row, and its
text is always the exact span text[char_start:char_end] of the normalized document.
"""

import hashlib
import re
from dataclasses import dataclass

from ingest.documents.metadata import DocumentMetadata
from ingest.structure.parsing import UNQUOTABLE, Block, ParsedDocument, Section
from ingest.structure.parts import COVER, heading_names

# The bounds every index was built with before they became settings (see `Ingestor.content_hash`).
DEFAULT_MIN_WORDS, DEFAULT_MAX_WORDS = 120, 250


# Slots: a server holds one of these for every live chunk (170,000 at 10,000 reports), a dictionary each without them.
@dataclass(frozen=True, slots=True)
class Chunk:
    chunk_id: str
    document_id: str
    char_start: int
    char_end: int
    text: str
    section: str
    heading_path: str
    kind: str
    # Heading path (and a split table's header row) that the chunk text alone would lose.
    context: str
    # Spans of the sentences, list items and table rows in the chunk: the answer's quotable units.
    units: tuple[tuple[int, int], ...]
    page: int | None = None
    # The part of the report (ingest/structure/parts.py): "sammanfattning", "syfte", "iakttagelser" …, "omslag"
    # for the cover (quoted only for who wrote the report, when, and for which firm).
    part: str = ""

    def stands_under(self, part: str) -> bool:
        """Whether the chunk's own heading names the part: "2.4 Avgränsning och metod" names both avgränsning and
        metod, whatever part the parser gave the section by its first word."""
        return heading_names(self.heading_path.split(" > ")[-1], part)

    @property
    def quotable(self) -> bool:
        """Whether it holds a statement an answer to any question could quote. Retrieval ranks only such chunks: the
        cover (names, dates, a firm) would take the place of a passage that answers; it joins only for who/when."""
        return bool(self.units) and self.part != COVER


def table_cells(row: str) -> list[str]:
    """The cells of a table row, tab-separated or written with pipes ("| Styrning | Gul |"); none for other text."""
    if "\t" in row:
        return row.split("\t")
    stripped = row.strip()
    if stripped.startswith("|") and stripped.count("|") >= 2:
        return stripped.strip("|").split("|")
    return []


def unit_contexts(chunk: Chunk) -> list[str]:
    """Per unit, what it needs to be read alone: a table row its table's title and header rows, else nothing.

    "1 Socialsekreterare 7 2016- 9 072 10 812" only answers "what was the anslag?" beside the header
    "Plan Åtgärd Tj. Period Anslag Utnyttjat" and the title "Bilaga 4: Åtgärdsplan socialnämnden".
    """
    lines = chunk.context.splitlines()
    title = lines[0].split(" > ")[-1] if lines else ""
    # A table split over chunks carries its header in the context.
    header = [lines[-1]] if len(lines) > 1 and table_cells(lines[-1]) else []
    rows = len(header)  # rows of the current table seen so far
    contexts = []
    for start, end in chunk.units:
        unit = chunk.text[start - chunk.char_start : end - chunk.char_start]
        if not table_cells(unit):
            rows = 0
            contexts.append("")
            continue
        if rows == 0:
            header = [unit]
        elif rows == 1 and unit.startswith("\t"):
            header.append(unit)  # a second header row: the years under "Anslag" and "Utnyttjat"
        rows += 1
        contexts.append("\n".join(p for p in (title, *header) if p and p != unit))
    return contexts


def chunk_id_for(document_id: str, start: int, end: int, text: str) -> str:
    return hashlib.sha256(f"{document_id}\x00{start}\x00{end}\x00{text}".encode()).hexdigest()[:24]


_WORD = re.compile(r"[^\W_]{2,}")


def _words(text: str) -> int:
    return len(text.split())


class _Draft:
    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.units: list[tuple[int, int]] = []
        self.words = 0
        self.split_table: Block | None = None
        # The part of the text blocks in it (headings and page debris go with whatever part follows them).
        self.part: str | None = None

    @property
    def empty(self) -> bool:
        return not self.blocks

    @property
    def complete(self) -> bool:
        """Whether it makes a chunk of its own: it has statements to quote, or it is the cover."""
        return bool(self.units) or any(b.kind == "cover" for b in self.blocks)

    def add(self, block: Block, units: list[tuple[int, int]], text: str) -> None:
        if not self.blocks or self.blocks[-1] is not block:
            self.blocks.append(block)
        # A heading, a cover line or a page number belongs to the chunk's text but is no statement an answer
        # could quote.
        if block.kind not in UNQUOTABLE:
            self.units.extend(units)
        if block.kind not in ("heading", "debris"):
            self.part = block.part
        self.words += sum(_words(text[s:e]) for s, e in units)


class SectionChunker:
    """Packs a document's blocks into chunks; `min_words`/`max_words` bound a chunk's body."""

    def __init__(self, min_words: int = DEFAULT_MIN_WORDS, max_words: int = DEFAULT_MAX_WORDS) -> None:
        if not 0 < min_words <= max_words:
            raise ValueError(f"need 0 < min_words <= max_words, got {min_words}, {max_words}")
        self.min_words = min_words
        self.max_words = max_words

    def run(self, document_id: str, parsed: ParsedDocument) -> list[Chunk]:
        text = parsed.text
        chunks: list[Chunk] = []
        draft = _Draft()
        section: Section | None = None

        def flush() -> None:
            # A heading with no body of its own stays with the first chunk of the next section.
            nonlocal draft
            if draft.complete:
                chunks.append(self._make(document_id, text, draft))
                draft = _Draft()

        for block in parsed.blocks:
            if block.kind == "toc":
                # The table of contents is not indexed, and no chunk runs across it; a title before it goes with it.
                flush()
                draft = _Draft()
                continue
            if block.kind == "debris" and draft.empty:
                continue  # a page number opens no chunk
            new_part = block.kind not in ("heading", "debris") and draft.part is not None and block.part != draft.part
            if block.section is not section or new_part:
                flush()
                section = block.section
            block_words = sum(_words(text[s:e]) for s, e in block.units)
            if block.continuation or draft.words + block_words <= self.max_words:
                draft.add(block, list(block.units), text)
                continue
            if draft.words >= self.min_words and block_words <= self.max_words:
                flush()
                draft.add(block, list(block.units), text)
                continue
            for unit in block.units:
                unit_words = _words(text[unit[0] : unit[1]])
                if draft.words + unit_words > self.max_words and draft.units:
                    flush()
                    if block.kind == "table":
                        draft.split_table = block
                draft.add(block, [unit], text)
        flush()
        return self._absorb_fragments(document_id, text, chunks)

    def _absorb_fragments(self, document_id: str, text: str, chunks: list[Chunk]) -> list[Chunk]:
        """Tiny leftovers (a table's sum row) join the chunk before them; text-less debris goes."""
        merged: list[Chunk] = []
        for chunk in chunks:
            if not _WORD.search(chunk.text):
                continue
            tiny = _words(chunk.text) < self.min_words // 4
            if tiny and merged and (merged[-1].section, merged[-1].part) == (chunk.section, chunk.part):
                if _words(merged[-1].text) + _words(chunk.text) <= self.max_words + self.min_words // 4:
                    merged[-1] = self._join(document_id, text, merged[-1], chunk)
                    continue
            merged.append(chunk)
        return merged

    @staticmethod
    def _join(document_id: str, text: str, first: Chunk, second: Chunk) -> Chunk:
        return _chunk(
            document_id, text, first.char_start, second.char_end,
            section=first.section, heading_path=first.heading_path,
            kind="table" if "table" in (first.kind, second.kind) else "text",
            context=first.context, units=first.units + second.units, part=first.part,
        )

    def _make(self, document_id: str, text: str, draft: _Draft) -> Chunk:
        first = draft.blocks[0]
        start = first.char_start if first.kind in UNQUOTABLE else draft.units[0][0]
        end = max([u[1] for u in draft.units[-1:]] + [b.char_end for b in draft.blocks if b.kind == "cover"])
        section = draft.blocks[-1].section
        heading_path = section.heading_path if section else ""
        context = heading_path
        table = draft.split_table
        if table is not None and table.header and table.header[1] <= start:
            context = f"{heading_path}\n{text[table.header[0] : table.header[1]]}"
        return _chunk(
            document_id, text, start, end,
            section=section.anchor if section else "", heading_path=heading_path,
            kind="table" if any(b.kind == "table" for b in draft.blocks) else "text",
            context=context, units=tuple(draft.units), part=draft.part or (section.part if section else ""),
        )


def _chunk(document_id: str, text: str, start: int, end: int, **fields) -> Chunk:
    body = text[start:end]
    return Chunk(chunk_id=chunk_id_for(document_id, start, end, body), document_id=document_id,
                 char_start=start, char_end=end, text=body, **fields)


def embedding_text(chunk: Chunk, metadata: DocumentMetadata) -> str:
    """What is embedded and BM25-indexed for a chunk: the text plus the context it would otherwise lose."""
    return "\n".join(p for p in (document_line(metadata), chunk.context, chunk.text) if p)


def document_line(metadata: DocumentMetadata) -> str:
    """The line `embedding_text` puts before every chunk of a document: its title, municipality and year."""
    origin = " ".join(str(p) for p in (metadata.municipality and f"{metadata.municipality} kommun", metadata.year) if p)
    return f"{metadata.title or ''} {origin}".strip()
