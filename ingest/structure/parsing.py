"""Structure of a Swedish audit report: sections, headings, tables, lists, footnotes, the table of contents,
the cover and page debris, and the part of the report (ingest/structure/parts.py) each belongs to.

The parser never rewrites the text: every block and section is a [char_start, char_end) span into
the normalized document text, so a chunk or a citation can be cut out and highlighted exactly.
"""

import re
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Literal

from ingest.language.lexicon import heading_joiners, month_alternation, page_words
from ingest.language.sentences import split_sentences
from ingest.structure.parts import CONTENTS, COVER, MISSIV, SUMMARY, PartTracker, heading_part, is_part_word, reads_as_missiv

# "cover": the lines a report opens with (firm, title, date, authors); "debris": page numbers left in the text.
# Neither carries a statement an answer could quote, so neither has units.
BlockKind = Literal["heading", "paragraph", "table", "list", "footnote", "toc", "cover", "debris"]
UNQUOTABLE = frozenset({"heading", "debris"})


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
    # The part of the report (parts.py): "syfte", "iakttagelser" …; "" where no heading names one.
    part: str = ""

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
    # The part of the report: its section's, or the front matter's ("omslag", "innehåll", "missiv").
    part: str = ""


@dataclass(frozen=True)
class ParsedDocument:
    text: str
    blocks: tuple[Block, ...]
    sections: tuple[Section, ...] = field(default_factory=tuple)

    def span(self, start: int, end: int) -> str:
        return self.text[start:end]

    @property
    def parts(self) -> tuple[str, ...]:
        """The parts of the report that were found, in reading order (ingest/structure/parts.py)."""
        return tuple(dict.fromkeys(b.part for b in self.blocks if b.part))


@dataclass(frozen=True)
class _Line:
    start: int
    end: int
    text: str
    # A page number standing alone on the line ("(3)", "Sida 3", "2 av 14"): read as a blank line.
    debris: bool = False
    # A page number that opens the line ("3 1 Sammanfattning …" in transcripts that run a page into one line).
    page_prefix: tuple[int, int] | None = None

    @property
    def blank(self) -> bool:
        return self.debris or not self.text.strip()


_MARKDOWN_HEADING = re.compile(r"^(#{1,6})\s+(.+)$")
_NUMBERED = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,4})\.?\s+(\S.{1,220})$")
_APPENDIX = re.compile(r"^(Bilaga\s+\d+)\s*[:.–-]?\s*(.*)$")
# A chapter numbered in Roman numerals ("II. Iakttagelser"): a top-level heading that plain subheadings nest under.
_ROMAN = re.compile(r"^[IVX]{1,4}\.\s+[A-ZÅÄÖ]\S*(?:\s+\S+){0,9}$")
_TOC_TITLE = re.compile(r"^innehåll(sförteckning)?$", re.IGNORECASE)
# A whole table of contents on one line, as transcripts run it: "Innehåll 1. Sammanfattning 1 2. Bakgrund 2 …".
_TOC_LINE = re.compile(r"^innehåll(?:sförteckning)?\b[\s:]*(\S.*)$", re.IGNORECASE)
# No entry of a table of contents holds a full date: on a line the transcript ran on past the contents, a date opens
# what followed them (a signature, "2017-03-13 Bo Rehnberg Projekt- och uppdragsledare").
_FULL_DATE = re.compile(rf"\s(?=(?:19|20)\d\d-\d\d-\d\d\b|\d{{1,2}} (?:{month_alternation()}) (?:19|20)\d\d\b)", re.IGNORECASE)
# An entry's page number: after a tab, dot leaders ("…", "....2") or, on a short line, a space.
_TOC_ENTRY = re.compile(r"(\t\s*\d+\s*$)|((\.{2,}|…)\s*\d*\s*$)|^\|")
_PAGE_REFERENCE = re.compile(r"(?:\.{2,}|…)\s*\d{1,3}\b|\s\d{1,3}$")
_BULLET = re.compile(r"^\s*([-–•▶►*]|\d+[.)])\s+")
_FOOTNOTE = re.compile(r"^[¹²³⁴⁵⁶⁷⁸⁹⁰]+\s")
_EMPHASIS = re.compile(r"^[*_]+|[*_]+$")
_VERDICT_WORDS = re.compile(r"uppfyll", re.IGNORECASE)


def _lines(text: str) -> list[_Line]:
    raws = text.split("\n")
    running = _running_lines(raws)
    lines, pos = [], 0
    for raw in raws:
        debris = raw in running or "\t" not in raw and bool(_PAGE_NUMBER.match(raw))
        lines.append(_Line(pos, pos + len(raw), raw, debris=debris))
        pos += len(raw) + 1
    return _with_page_prefixes(lines)


# A running header or footer is a line, not a page of text.
_RUNNING_MAX_WORDS = 20


def _running_lines(raws: list[str]) -> set[str]:
    """Running headers and footers: a line with a page number ("Borås Stad | Uppföljning | Sida 3 av 9") that the
    report prints on several pages, the same but for its numbers."""
    paged = [raw for raw in raws if _PAGE_CUE.search(raw) and _word_count(raw) <= _RUNNING_MAX_WORDS]
    recurring = Counter(re.sub(r"\d+", "#", raw.strip()) for raw in paged)
    return {raw for raw in paged if recurring[re.sub(r"\d+", "#", raw.strip())] > 1}


_WORDS_BEFORE, _WORDS_OF = (f"(?:{'|'.join(words)})" for words in page_words())
_PAGE_NUMBER = re.compile(
    rf"^\s*(?:\(\d{{1,3}}\)|\d{{1,3}}(?:\s*\(\d{{1,3}}\))?|[-–]\s*\d{{1,3}}\s*[-–]"
    rf"|{_WORDS_BEFORE}\.?\s*\d{{1,3}}(?:\s*(?:{_WORDS_OF}|/)\s*\d{{1,3}})?|\d{{1,3}}\s*(?:{_WORDS_OF}|/)\s*\d{{1,3}})\s*$",
    re.IGNORECASE,
)
# A page number inside a line: "Sida 3 av 9", "page 3".
_PAGE_CUE = re.compile(rf"\b{_WORDS_BEFORE}\.?\s*\d{{1,3}}\b", re.IGNORECASE)
_LEADING_NUMBER = re.compile(r"^(\d{1,3}) (?=\S)")
# A page run into one line is longer than any heading (a numbered heading has at most 30 words).
_PAGE_LINE_WORDS = 30
# The page numbers start on one of the report's first lines, at most at this page (a cover without a number).
_PAGE_PREFIX_START_LINES = 3


def _with_page_prefixes(lines: list[_Line]) -> list[_Line]:
    """Lines that open with page numbers in turn (1, 2, 3 …; 2, 3 … where the cover page has none), from one of
    the report's first lines on and one of them a whole page of text, lose that number to a page prefix:
    transcripts that run each page into one line start it with its page number. Numbered headings
    ("1 Inledning", "2 Syfte") count up the same way but are short."""
    opening = [i for i, line in enumerate(lines) if not line.blank][:_PAGE_PREFIX_START_LINES]
    numbered = [(i, m) for i in opening if (m := _LEADING_NUMBER.match(lines[i].text))]
    if not numbered or int(numbered[0][1].group(1)) > _PAGE_PREFIX_START_LINES:
        return lines
    expected, found = int(numbered[0][1].group(1)), []
    for index in range(numbered[0][0], len(lines)):
        match = _LEADING_NUMBER.match(lines[index].text)
        if match and int(match.group(1)) == expected:
            found.append(index)
            expected += 1
    if len(found) < 2 or not any(_word_count(lines[i].text) > _PAGE_LINE_WORDS for i in found):
        return lines
    for index in found:
        line = lines[index]
        cut = _LEADING_NUMBER.match(line.text).end()
        lines[index] = _Line(line.start + cut, line.end, line.text[cut:], page_prefix=(line.start, line.start + cut - 1))
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


# A heading straight above its paragraph is short: longer lines there are the paragraph's own first line.
_TIGHT_MAX_WORDS = 6


def _body_line(text: str) -> bool:
    """A line that starts running text: a capital, not a list item or a table row."""
    stripped = text.strip()
    return stripped[:1].isupper() and not _BULLET.match(text) and not _is_table_row(text)


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
        stack: list[tuple[int, str, bool, bool]] = []  # (level, label, is_plain, is_run_in) of open headings
        last_number: tuple[int, ...] | None = None
        current: Section | None = None
        first_content = next((i for i, ln in enumerate(lines) if not ln.blank), 0)
        # The report's own list of its headings: a line the table of contents names is a heading wherever it stands.
        contents: set[str] = set()
        after_heading = False

        parts = PartTracker()

        def open_section(number: str | None, title: str, level: int | None, start: int, run_in: bool = False) -> Section:
            nonlocal current
            plain = level is None
            if stack and stack[-1][3] and not number:
                # A run-in heading ("Bedömning: …") heads only its own paragraphs: the next plain heading is its parent's sibling.
                stack.pop()
            if run_in:
                level = stack[-1][0] + 1 if stack else 1
            elif plain:
                # A plain short-line heading nests under the structural heading it appears in
                # ("Kommunstyrelsen" inside 3.2.1) instead of closing it, and follows a plain sibling.
                level = 1 if not stack else stack[-1][0] if stack[-1][2] else stack[-1][0] + 1
            while stack and stack[-1][0] >= level:
                stack.pop()
            parent = next((s.part for s in reversed(sections) if s.path == tuple(e[1] for e in stack)), "") if stack else ""
            label = f"{number} {title}" if number else title
            stack.append((level, label, plain, run_in))
            if current is not None:
                sections[-1] = _close(sections[-1], start)
            numbers = [e[1].split(" ", 1)[0] for e in stack if re.match(r"\d", e[1])]
            anchor = numbers[-1] if numbers else title
            part = parts.section_part(title, parent)
            current = Section(number, title, level, tuple(e[1] for e in stack), start, len(text), anchor, part)
            sections.append(current)
            return current

        i = 0
        while i < len(lines):
            line = lines[i]
            if line.page_prefix is not None:
                blocks.append(Block("debris", *line.page_prefix, current, ()))
                lines[i] = line = replace(line, page_prefix=None)
            if line.blank:
                if line.debris:
                    blocks.append(Block("debris", line.start, line.end, current, ()))
                i += 1
                continue
            if _toc_line(line.text):
                after_heading = False
                ran_on = _FULL_DATE.search(line.text)
                if ran_on is None:
                    blocks.append(Block("toc", line.start, line.end, current, (), part=CONTENTS))
                    i += 1
                    continue
                # The contents end before the date; what follows is read as a line of its own.
                blocks.append(Block("toc", line.start, line.start + ran_on.start(), current, (), part=CONTENTS))
                lines[i] = replace(line, start=line.start + ran_on.end(), text=line.text[ran_on.end() :])
                continue
            prev_line = _neighbour(lines, i, -1)
            next_line = _neighbour(lines, i, +1)
            alone = _alone(lines, i)
            prev_is_first = prev_line is not None and prev_line.start == lines[first_content].start
            # Headings stacked without a blank line between them ("2. Inledning" over "2.1. Bakgrund") each open one.
            # So does a heading straight below a list's last item.
            opens_block = i == 0 or lines[i - 1].blank or after_heading or (bool(_BULLET.match(lines[i - 1].text)) and not _BULLET.match(line.text))
            ends_sentence = not opens_block and _heading_after_sentence(lines[i - 1].text, line.text)
            heading = self._heading(line, prev_line, next_line, alone, last_number, prev_is_first, opens_block, ends_sentence)
            if heading is None and opens_block and _title_key(line.text) in contents:
                heading = _listed_heading(line.text, last_number)
            after_heading = heading is not None
            if heading is not None:
                number, title, level = heading
                if _TOC_TITLE.match(title):
                    i = self._skip_toc(lines, i, blocks, current, contents)
                    after_heading = False
                    continue
                if number:
                    last_number = tuple(int(n) for n in number.split("."))
                section = open_section(number, title, level, line.start)
                blocks.append(Block("heading", line.start, line.end, section, ((line.start, line.end),), part=section.part))
                i += 1
                continue
            inline = _inline_heading(line.text, last_number)
            if inline is not None:
                # The heading becomes a block of its own and the rest of the line the body that follows it.
                number, title, length, body = inline
                if number:
                    last_number = tuple(int(n) for n in number.split("."))
                level = len(number.split(".")) if number else None
                section = open_section(number, title.rstrip(":").rstrip(), level, line.start, run_in=not number)
                blocks.append(Block("heading", line.start, line.start + length, section, ((line.start, line.start + length),), part=section.part))
                lines[i] = _Line(line.start + body, line.end, line.text[body:])
                continue
            i = self._read_block(lines, i, text, blocks, current)
        if sections:
            sections[-1] = _close(sections[-1], len(text))
        return ParsedDocument(text=text, blocks=_front_matter(text, blocks), sections=tuple(sections))

    def _heading(self, line, prev_line, next_line, alone, last_number, prev_is_first, opens_block, ends_sentence) -> tuple[str | None, str, int | None] | None:
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
        if _is_table_row(line.text):
            return None
        if not alone:
            return self._tight_heading(line, next_line, opens_block, ends_sentence, last_number)
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
        if _APPENDIX.match(stripped) or _ROMAN.match(stripped):
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
            and (not prev_is_title_line or prev_is_first or heading_part(stripped) == SUMMARY)
        ):
            return None, stripped, None
        return None

    def _tight_heading(self, line, next_line, opens_block, ends_sentence, last_number) -> tuple[str | None, str, int | None] | None:
        """A heading printed straight above its first paragraph, as text taken from a PDF often has it: a short line
        that opens a block, ends in no punctuation and is either the next numbered heading ("3.2 Avtalsdatabas") or
        names a part of the genre ("Bakgrund", "Svar på revisionsfrågorna"). Other short lines above a paragraph
        are wrapped sentences or list items, so they stay text. Text without blank lines also runs a subsection's
        heading on straight below the previous paragraph's last sentence ("… budgeten." over "3.2 Organisation"):
        a numbered subsection that follows the last heading's number is a heading there too, where a wrapped line
        would continue an unfinished sentence."""
        if next_line is None or next_line.start != line.end + 1:
            return None
        if not opens_block and not (ends_sentence and last_number is not None):
            return None
        stripped = _clean_title(line.text)
        if _TOC_TITLE.match(stripped) and _is_toc_entry(next_line.text):
            return None, stripped, 1
        if not _is_short_line(stripped) or "|" in stripped or re.search(r"[.,;:?!]$", stripped) or _VERDICT_WORDS.search(stripped):
            return None
        numbered = _NUMBERED.match(stripped)
        if numbered:
            number = numbered.group(1).rstrip(".")
            parts = tuple(int(n) for n in number.split("."))
            title = _clean_title(numbered.group(2))
            # A top-level number above a paragraph is as often a numbered list item; only a part's name makes it a heading.
            nameable = "." in number or heading_part(title) is not None
            below = _body_line(next_line.text) or bool(_BULLET.match(next_line.text)) or _child_heading(next_line.text, number)
            if nameable and below and title[:1].isupper() and _word_count(title) <= _TIGHT_MAX_WORDS and _is_successor(last_number, parts):
                return number, title, len(parts)
            return None
        # A part's name may stand above its list too ("Revisionsfrågor" over "1. Finns det …?").
        above_text = _body_line(next_line.text) or bool(_BULLET.match(next_line.text))
        if above_text and stripped[:1].isupper() and _word_count(stripped) <= _TIGHT_MAX_WORDS and heading_part(stripped) is not None:
            return None, stripped, None
        return None

    def _skip_toc(self, lines: list[_Line], i: int, blocks: list[Block], section: Section | None, contents: set[str]) -> int:
        start = lines[i].start
        end = lines[i].end
        j = i + 1
        # An entry without a page number is a title the report repeats as a heading further on; the first title
        # met a second time is that heading, and the contents end before it.
        repeated = Counter(_title_key(ln.text) for ln in lines if not ln.blank)
        seen: set[str] = set()
        while j < len(lines):
            if lines[j].blank:
                j += 1
                continue
            key = _title_key(lines[j].text)
            unnumbered = bool(key) and key not in seen and _is_short_line(lines[j].text) and repeated[key] > 1
            if not (_is_toc_entry(lines[j].text) or unnumbered):
                break
            seen.add(key)
            contents.add(_title_key(_PAGE_REFERENCE.sub("", lines[j].text.rstrip())))
            end = lines[j].end
            j += 1
        blocks.append(Block("toc", start, end, section, (), part=CONTENTS))
        return j

    def _read_block(self, lines: list[_Line], i: int, text: str, blocks: list[Block], section: Section | None) -> int:
        part = section.part if section else ""
        first = lines[i]
        if _FOOTNOTE.match(first.text):
            blocks.append(Block("footnote", first.start, first.end, section, ((first.start, first.end),), part=part))
            return i + 1
        if _is_table_row(first.text):
            j = i
            while j < len(lines) and not lines[j].blank and _is_table_row(lines[j].text):
                j += 1
            rows = tuple((ln.start, ln.end) for ln in lines[i:j] if not re.fullmatch(r"[|\-\s:]+", ln.text))
            header = _table_header(text, rows)
            blocks.append(Block("table", first.start, lines[j - 1].end, section, rows, header=header, part=part))
            return j
        if _BULLET.match(first.text):
            j, items = i, []
            while j < len(lines) and not lines[j].blank and not _is_table_row(lines[j].text):
                if items and _subsection_number(lines[j].text):
                    break  # "2.4 Metod" straight below the last item: the next heading, not the item's second line
                if _BULLET.match(lines[j].text) or not items:
                    items.append([lines[j].start, lines[j].end])
                else:
                    items[-1][1] = lines[j].end
                j += 1
            units = tuple(u for s, e in items for u in _sentence_units(text, s, e))
            blocks.append(Block("list", first.start, lines[j - 1].end, section, units, part=part))
            return j
        j = i + 1
        while j < len(lines) and not lines[j].blank and not _is_table_row(lines[j].text) and not _BULLET.match(lines[j].text):
            if _starts_block(lines[j]) or _heading_after_sentence(lines[j - 1].text, lines[j].text):
                break
            j += 1
        start, end = first.start, lines[j - 1].end
        continuation = bool(blocks) and first.text.lstrip()[:1].islower()
        blocks.append(Block("paragraph", start, end, section, tuple(_sentence_units(text, start, end)), continuation=continuation, part=part))
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
    return replace(section, char_end=end)


def _starts_block(line: _Line) -> bool:
    """A line that opens a block of its own even without a blank line before it: a new page, a table of
    contents or a part's heading run into its first sentence."""
    return line.page_prefix is not None or _toc_line(line.text) or _inline_heading(line.text, None) is not None


def _toc_line(text: str) -> bool:
    match = _TOC_LINE.match(text.strip())
    if not match:
        return False
    entries = match.group(1)
    part_words = sum(is_part_word(w) for w in re.findall(r"[^\W\d_]+", entries))
    return part_words >= 3 or len(_PAGE_REFERENCE.findall(entries)) >= 2


def _subsection_number(text: str) -> bool:
    """Whether a line opens with a subsection's number ("2.4 Metod", "2.4. Metod"), which no list item's text does."""
    numbered = _NUMBERED.match(text.strip())
    return numbered is not None and "." in numbered.group(1).rstrip(".")


def _heading_after_sentence(previous: str, text: str) -> bool:
    """Whether a line may be a numbered heading run on below a paragraph without a blank line: the paragraph's last
    sentence is finished, and the line is short, ends in no punctuation and is numbered as a subsection or names a
    part of the genre ("2 Inledning"; a top-level number is as often a list item's)."""
    stripped = text.strip()
    if not previous.rstrip().endswith((".", "?", "!")) or not _is_short_line(stripped) or re.search(r"[.,;:?!]$", stripped):
        return False
    numbered = _NUMBERED.match(stripped)
    return numbered is not None and ("." in numbered.group(1).rstrip(".") or heading_part(numbered.group(2)) is not None)


def _child_heading(text: str, number: str) -> bool:
    """Whether a line is the first heading numbered under `number` ("2.1 Bakgrund" under "2 Inledning")."""
    numbered = _NUMBERED.match(text.strip())
    return numbered is not None and numbered.group(1).rstrip(".") == f"{number}.1"


def _listed_heading(text: str, last_number: tuple[int, ...] | None) -> tuple[str | None, str, int | None] | None:
    """(number, title, level) of a line the table of contents lists; a number out of sequence makes it a list item."""
    stripped = _clean_title(text)
    if not _is_short_line(stripped) or re.search(r"[.,;:?!]$", stripped):
        return None
    numbered = _NUMBERED.match(stripped)
    if numbered is None:
        return None, stripped, None
    number = numbered.group(1).rstrip(".")
    parts = tuple(int(n) for n in number.split("."))
    return (number, _clean_title(numbered.group(2)), len(parts)) if _is_successor(last_number, parts) else None


def _title_key(text: str) -> str:
    """A heading as a table of contents and the heading itself both write it: no numbering, dots or page number."""
    return " ".join(_clean_title(re.sub(r"^\W*(?:\d{1,2}(?:\.\d{1,2})*|[IVX]{1,4})?\.?\s*", "", text)).casefold().split())


def _is_toc_entry(text: str) -> bool:
    """An entry of a table of contents: a title and its page number ("Bakgrund 5", "2.1. Bakgrund ...3")."""
    if _TOC_ENTRY.search(text):
        return True
    stripped = text.strip()
    return bool(re.search(r"\D\s\d{1,3}$", stripped)) and _word_count(stripped) <= 30 and not re.search(r"[.:;]\s\d{1,3}$", stripped)


_INLINE_NUMBER = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,4})\.?\s+")
_INLINE_MAX_WORDS = 7
# What an inline heading needs after it to be one: a body of its own, not a title that wraps.
_INLINE_MIN_BODY_WORDS = 8


def _inline_heading(text: str, last_number: tuple[int, ...] | None) -> tuple[str, str, int, int] | None:
    """(number, title, length of the heading, where the body starts) when a line opens with a part's heading run
    into its first sentence ("1. Sammanfattning De förtroendevalda revisorerna …"), else None.

    The heading is the numbering and the words up to the last part word before a word that starts a sentence
    (capitalized); "Syftet med granskningen är att bedöma om Kommunstyrelsen …" has none such and is no heading."""
    if _is_table_row(text):
        return None
    number_match = _INLINE_NUMBER.match(text)
    number = number_match.group(1) if number_match else ""
    if number and last_number is not None and not _is_successor(last_number, tuple(int(n) for n in number.split("."))):
        return None
    offset = number_match.end() if number_match else 0
    words = list(re.finditer(r"\S+", text[offset:]))
    if not words or not words[0].group(0)[:1].isupper() or not is_part_word(words[0].group(0)):
        return None
    for k, word in enumerate(words[: _INLINE_MAX_WORDS + 1]):
        token = word.group(0)
        if k and token[:1].isupper():
            if not is_part_word(words[k - 1].group(0)) or len(words) - k < _INLINE_MIN_BODY_WORDS:
                return None
            end = offset + words[k - 1].end()
            return number, text[offset:end], end, offset + word.start()
        if k and not (re.fullmatch(r"[^\W\d_]+", token) and (is_part_word(token) or token in heading_joiners())):
            return None
    return None


def _front_matter(text: str, blocks: list[Block]) -> tuple[Block, ...]:
    """Blocks with the report's front matter marked: the cover (the short lines a report opens with, before its
    table of contents, its first part or its first running text) and a covering letter (missiv) before the first
    part. The cover is kept in the text and its lines stay quotable units: it answers who wrote the report, when
    and for which firm, and nothing else (retrieval ranks it only for such questions)."""
    out = list(blocks)
    for i, block in enumerate(out):
        if block.kind == "toc" or block.part or _is_body(text, block):
            break
        if block.kind == "paragraph":
            out[i] = replace(block, kind="cover", part=COVER)
    # The letter stands before the report's first heading and its table of contents.
    leading = []
    for i, block in enumerate(out):
        if block.section is not None or block.kind == "toc":
            break
        if block.kind in ("paragraph", "list", "table"):
            leading.append(i)
    if leading and reads_as_missiv(" ".join(text[out[i].char_start : out[i].char_end] for i in leading)):
        for i in leading:
            out[i] = replace(out[i], part=MISSIV)
    # Short lines in a covering letter are its address, its signature and the report's own cover after it
    # ("Granskning av bygglov / Timrå kommun / PwC, november 2020"): cover lines, quoted only as a cover is.
    for i, block in enumerate(out):
        lines = text[block.char_start : block.char_end]
        if block.part == MISSIV and block.kind == "paragraph" and not _is_body(text, block) and re.search(r"[^\W\d_]", lines):
            out[i] = replace(block, kind="cover", part=COVER)
    return tuple(out)


def _is_body(text: str, block: Block) -> bool:
    """Running text: a list, or a paragraph of whole sentences; a cover's lines (a title, a name, a date) end
    without a full stop."""
    if block.kind == "list":
        return True
    if block.kind != "paragraph":
        return False
    body = text[block.char_start : block.char_end]
    return len(split_sentences(body)) >= 2 or body.rstrip()[-1:] in ".!?"
