"""Structure of a Swedish audit report: sections, headings, tables, lists, footnotes and the table of contents.

The parser never rewrites the text: every block and section is a [char_start, char_end) span into
the normalized document text, so a chunk or a citation can be cut out and highlighted exactly.
"""

import re
from dataclasses import dataclass, field
from typing import Literal

from ingest.language.sentences import split_sentences

BlockKind = Literal["heading", "paragraph", "table", "list", "footnote", "toc"]


@dataclass(frozen=True)
class Section:
    number: str | None
    title: str
    level: int
    path: tuple[str, ...]
    char_start: int
    char_end: int
    # What a citation names: the nearest numbered heading ("2.6.4"), else the title.
    anchor: str = ""

    @property
    def label(self) -> str:
        return f"{self.number} {self.title}" if self.number else self.title

    @property
    def heading_path(self) -> str:
        return " > ".join(self.path)


@dataclass(frozen=True)
class Block:
    kind: BlockKind
    char_start: int
    char_end: int
    section: Section | None
    # Units are the pieces a chunk may be cut between: sentences, list items or table rows.
    units: tuple[tuple[int, int], ...]
    # A table's header row, repeated for context when a long table is split over chunks.
    header: tuple[int, int] | None = None
    # Text that a page break tore off the previous block (it starts in lower case).
    continuation: bool = False


@dataclass(frozen=True)
class ParsedDocument:
    text: str
    blocks: tuple[Block, ...]
    sections: tuple[Section, ...] = field(default_factory=tuple)

    def span(self, start: int, end: int) -> str:
        return self.text[start:end]


@dataclass(frozen=True)
class _Line:
    start: int
    end: int
    text: str

    @property
    def blank(self) -> bool:
        return not self.text.strip()


_MARKDOWN_HEADING = re.compile(r"^(#{1,6})\s+(.+)$")
_NUMBERED = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,4})\.?\s+(\S.{1,220})$")
_APPENDIX = re.compile(r"^(Bilaga\s+\d+)\s*[:.–-]?\s*(.*)$")
_TOC_TITLE = re.compile(r"^innehåll(sförteckning)?$", re.IGNORECASE)
_TOC_ENTRY = re.compile(r"(\t\s*\d+\s*$)|(\.{4,}\s*\d*\s*$)|^\|")
_BULLET = re.compile(r"^\s*([-–•▶►*]|\d+[.)])\s+")
_FOOTNOTE = re.compile(r"^[¹²³⁴⁵⁶⁷⁸⁹⁰]+\s")
_EMPHASIS = re.compile(r"^[*_]+|[*_]+$")
_VERDICT_WORDS = re.compile(r"uppfyll", re.IGNORECASE)


def _lines(text: str) -> list[_Line]:
    lines, pos = [], 0
    for raw in text.split("\n"):
        lines.append(_Line(pos, pos + len(raw), raw))
        pos += len(raw) + 1
    return lines


def _clean_title(title: str) -> str:
    title = _EMPHASIS.sub("", title.strip()).strip()
    return re.sub(r"\s*\.{3,}\s*\d*$", "", title).strip()


def _is_successor(previous: tuple[int, ...] | None, candidate: tuple[int, ...]) -> bool:
    """Whether a numbered heading can follow the previous one, so numbered lists are not taken for headings."""
    if previous is None:
        return True
    # A child, possibly skipping levels (2.1 -> 2.1.1.1), always starts at 1.
    if candidate[: len(previous)] == previous and all(n == 1 for n in candidate[len(previous) :]):
        return len(candidate) > len(previous)
    for depth in range(1, len(previous) + 1):
        if candidate[: depth - 1] == previous[: depth - 1] and len(candidate) >= depth:
            if candidate[depth - 1] == previous[depth - 1] + 1 and all(n == 1 for n in candidate[depth:]):
                return True
    return False


def _is_table_row(text: str) -> bool:
    return "\t" in text or text.lstrip().startswith("|")


def _is_short_line(text: str) -> bool:
    stripped = text.strip()
    return 0 < len(stripped) <= 70 and not _is_table_row(text)


def _word_count(text: str) -> int:
    return len(text.split())


class ReportParser:
    """Turns normalized report text into sections and blocks."""

    def run(self, text: str) -> ParsedDocument:
        lines = _lines(text)
        blocks: list[Block] = []
        sections: list[Section] = []
        stack: list[tuple[int, str, bool]] = []  # (level, label, is_plain) of open headings
        last_number: tuple[int, ...] | None = None
        current: Section | None = None
        first_content = next((i for i, ln in enumerate(lines) if not ln.blank), 0)

        def open_section(number: str | None, title: str, level: int | None, start: int) -> Section:
            nonlocal current
            plain = level is None
            if plain:
                # A plain short-line heading nests under the structural heading it appears in
                # ("Kommunstyrelsen" inside 3.2.1) instead of closing it, and follows a plain sibling.
                level = 1 if not stack else stack[-1][0] if stack[-1][2] else stack[-1][0] + 1
            while stack and stack[-1][0] >= level:
                stack.pop()
            label = f"{number} {title}" if number else title
            stack.append((level, label, plain))
            if current is not None:
                sections[-1] = _close(sections[-1], start)
            numbers = [lbl.split(" ", 1)[0] for _, lbl, _ in stack if re.match(r"\d", lbl)]
            anchor = numbers[-1] if numbers else title
            current = Section(number, title, level, tuple(lbl for _, lbl, _ in stack), start, len(text), anchor)
            sections.append(current)
            return current

        i = 0
        while i < len(lines):
            line = lines[i]
            if line.blank:
                i += 1
                continue
            prev_line = _neighbour(lines, i, -1)
            next_line = _neighbour(lines, i, +1)
            alone = _alone(lines, i)
            prev_is_first = prev_line is not None and prev_line.start == lines[first_content].start
            heading = self._heading(line, prev_line, next_line, alone, last_number, prev_is_first)
            if heading is not None:
                number, title, level = heading
                if _TOC_TITLE.match(title):
                    i = self._skip_toc(lines, i, blocks, current)
                    continue
                if number:
                    last_number = tuple(int(n) for n in number.split("."))
                section = open_section(number, title, level, line.start)
                blocks.append(Block("heading", line.start, line.end, section, ((line.start, line.end),)))
                i += 1
                continue
            i = self._read_block(lines, i, text, blocks, current)
        if sections:
            sections[-1] = _close(sections[-1], len(text))
        return ParsedDocument(text=text, blocks=tuple(blocks), sections=tuple(sections))

    def _heading(self, line, prev_line, next_line, alone, last_number, prev_is_first) -> tuple[str | None, str, int | None] | None:
        """(number, title, level) of a heading line; level None for a plain short line nested under the current heading."""
        raw = line.text.strip()
        markdown = _MARKDOWN_HEADING.match(raw)
        if markdown:
            inner = _clean_title(markdown.group(2))
            numbered = _NUMBERED.match(inner)
            if numbered:
                number = numbered.group(1).rstrip(".")
                return number, _clean_title(numbered.group(2)), number.count(".") + 1
            return None, inner, len(markdown.group(1))
        if not alone or _is_table_row(line.text):
            return None
        stripped = _clean_title(raw)
        numbered = _NUMBERED.match(stripped)
        if numbered and not _BULLET.match(raw[len(numbered.group(1)) :] or ""):
            number = numbered.group(1).rstrip(".")
            parts = tuple(int(n) for n in number.split("."))
            title = _clean_title(numbered.group(2))
            plausible = title[:1].isupper() and _word_count(title) <= 30 and (last_number or parts[0] <= 9)
            if plausible and _is_successor(last_number, parts):
                return number, title, len(parts)
            return None
        appendix = _APPENDIX.match(stripped)
        if appendix:
            return None, stripped, 1
        if _TOC_TITLE.match(stripped):
            return None, stripped, 1
        next_is_body = next_line is not None and (
            _word_count(next_line.text) >= 10 or next_line.text.rstrip().endswith(":") or _is_table_row(next_line.text) or bool(_BULLET.match(next_line.text))
        )
        prev_is_title_line = prev_line is not None and _is_short_line(prev_line.text) and not prev_line.text.rstrip().endswith(":")
        if (
            _is_short_line(raw)
            and _word_count(stripped) <= 8
            and stripped[:1].isupper()
            and not re.search(r"[.,;:?!]$", stripped)
            and not _VERDICT_WORDS.search(stripped)
            and next_is_body
            and (not prev_is_title_line or prev_is_first)
        ):
            return None, stripped, None
        return None

    def _skip_toc(self, lines: list[_Line], i: int, blocks: list[Block], section: Section | None) -> int:
        start = lines[i].start
        end = lines[i].end
        j = i + 1
        while j < len(lines):
            if lines[j].blank:
                j += 1
                continue
            if not _TOC_ENTRY.search(lines[j].text):
                break
            end = lines[j].end
            j += 1
        blocks.append(Block("toc", start, end, section, ()))
        return j

    def _read_block(self, lines: list[_Line], i: int, text: str, blocks: list[Block], section: Section | None) -> int:
        first = lines[i]
        if _FOOTNOTE.match(first.text):
            blocks.append(Block("footnote", first.start, first.end, section, ((first.start, first.end),)))
            return i + 1
        if _is_table_row(first.text):
            j = i
            while j < len(lines) and not lines[j].blank and _is_table_row(lines[j].text):
                j += 1
            rows = tuple((ln.start, ln.end) for ln in lines[i:j] if not re.fullmatch(r"[|\-\s:]+", ln.text))
            header = _table_header(text, rows)
            blocks.append(Block("table", first.start, lines[j - 1].end, section, rows, header=header))
            return j
        if _BULLET.match(first.text):
            j, items = i, []
            while j < len(lines) and not lines[j].blank and not _is_table_row(lines[j].text):
                if _BULLET.match(lines[j].text) or not items:
                    items.append([lines[j].start, lines[j].end])
                else:
                    items[-1][1] = lines[j].end
                j += 1
            units = tuple(u for s, e in items for u in _sentence_units(text, s, e))
            blocks.append(Block("list", first.start, lines[j - 1].end, section, units))
            return j
        j = i
        while j < len(lines) and not lines[j].blank and not _is_table_row(lines[j].text) and not _BULLET.match(lines[j].text):
            j += 1
        j = max(j, i + 1)
        start, end = first.start, lines[j - 1].end
        continuation = bool(blocks) and first.text.lstrip()[:1].islower()
        blocks.append(Block("paragraph", start, end, section, tuple(_sentence_units(text, start, end)), continuation=continuation))
        return j


def _sentence_units(text: str, start: int, end: int) -> list[tuple[int, int]]:
    return split_sentences(text, start, end) or [(start, end)]


def _table_header(text: str, rows: tuple[tuple[int, int], ...]) -> tuple[int, int] | None:
    if not rows:
        return None
    # A second header row starts with an empty cell (the appendix tables' year sub-header).
    if len(rows) > 2 and text[rows[1][0] : rows[1][1]].startswith("\t"):
        return rows[0][0], rows[1][1]
    return rows[0]


def _neighbour(lines: list[_Line], i: int, step: int) -> _Line | None:
    j = i + step
    while 0 <= j < len(lines):
        if not lines[j].blank:
            return lines[j]
        j += step
    return None


def _alone(lines: list[_Line], i: int) -> bool:
    before = i == 0 or lines[i - 1].blank
    after = i + 1 >= len(lines) or lines[i + 1].blank
    return before and after


def _close(section: Section, end: int) -> Section:
    return Section(section.number, section.title, section.level, section.path, section.char_start, end, section.anchor)
