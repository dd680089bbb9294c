"""PDF reports -> normalized text with page spans, laid out the way ReportParser reads the .txt reports.

pdfplumber (on pdfminer.six) rather than pypdf: on reports rendered from the corpus, pdfplumber returns a ruled table
cell by cell with the wrapped lines of a cell kept together, where pypdf runs the cells into one another (plain
mode) or interleaves the lines of neighbouring cells (layout mode); its word boxes also carry the positions and
fonts that paragraph, column and header detection need. It is slower (about 0.13 s a page against 0.01 s).

Per page: words and ruled tables are read; running headers and footers are dropped (lines at the top or bottom
that recur, digits aside, on at least half the pages); a two-column region is read column by column; lines are
joined into paragraphs by vertical gaps, font changes and sentence ends, with words hyphenated at line ends joined.
"""

import logging
import math
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pdfplumber
from pdfminer.pdfdocument import PDFPasswordIncorrect
from pdfminer.psexceptions import PSException
from pdfplumber.utils.exceptions import PdfminerException

from ingest.documents.loading import DocumentLimits, DocumentTooLargeError, LoadedDocument, LoadError, PageSpan, normalize_text, swedish_number

log = logging.getLogger(__name__)

# Gaps measured in multiples of the font size.
_CELL_GAP = 1.5  # wider than any justified word space: a tab stop, a table cell or a column gutter
_WORD_GAP = 0.2  # letters closer than this are one word, in files that position words instead of typing spaces
_PARAGRAPH_GAP = 0.4  # extra space between lines, over the document's normal leading, that ends a paragraph

_BOLD = re.compile(r"bold|black|heavy|semibold|demi", re.IGNORECASE)
_LIST_LABEL = re.compile(r"^(\d{1,2}(\.\d{1,2}){0,4}\.?|[a-z]\)|\d{1,2}\))$")
_BULLET_GLYPHS = {"•", "●", "▪", "■", "◦", "➢", "►", "▶", "✓", "□"}
# Also dashes in running text: a bullet only when a tab stop, wider than a space, follows.
_DASH_BULLETS = {"-", "–", "*"}
_SENTENCE_END = re.compile(r"[.!?:]$")
_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
# An elided compound ("barn- och utbildningsnämnden") keeps its hyphen and space when wrapped after it.
_CONJUNCTIONS = {"och", "eller", "samt", "respektive", "resp", "som", "liksom"}


@dataclass(frozen=True)
class _Word:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    bold: bool


@dataclass
class _Line:
    words: list[_Word]
    top: float = field(init=False)
    bottom: float = field(init=False)
    size: float = field(init=False)
    bold: bool = field(init=False)
    cells: list[list[_Word]] = field(init=False)

    def __post_init__(self):
        self.words.sort(key=lambda w: w.x0)
        self.top = min(w.top for w in self.words)
        self.bottom = max(w.bottom for w in self.words)
        weights = Counter()
        for w in self.words:
            weights[w.size] += len(w.text)
        self.size = weights.most_common(1)[0][0]
        self.bold = sum(len(w.text) for w in self.words if w.bold) * 2 > sum(len(w.text) for w in self.words)
        self.cells = self._split_cells()

    @property
    def x0(self) -> float:
        return self.words[0].x0

    @property
    def x1(self) -> float:
        return max(w.x1 for w in self.words)

    @property
    def extents(self) -> list[tuple[float, float]]:
        return [(cell[0].x0, max(w.x1 for w in cell)) for cell in self.cells]

    @property
    def is_row(self) -> bool:
        return len(self.cells) > 1

    @property
    def is_list_item(self) -> bool:
        if len(self.words) < 2:
            return False
        first, second = self.words[0], self.words[1]
        if first.text in _DASH_BULLETS:
            return second.x0 - first.x1 > 0.5 * self.size
        return _bullet(first.text) is not None or bool(_LIST_LABEL.match(first.text))

    def _split_cells(self) -> list[list[_Word]]:
        gaps = [b.x0 - a.x1 for a, b in zip(self.words, self.words[1:])]
        spaces = [g for g in gaps if g > 0.1 * self.size]  # not a footnote mark set against its word
        # Justification widens every space of a line alike; a tab stop or cell boundary is wider than the rest.
        threshold = max(_CELL_GAP * self.size, 2 * min(spaces)) if len(spaces) > 1 else _CELL_GAP * self.size
        cells = [[self.words[0]]]
        for gap, word in zip(gaps, self.words[1:]):
            if gap > threshold:
                cells.append([word])
            else:
                cells[-1].append(word)
        # A bullet or a heading number is followed by a tab stop, which is not a table cell.
        if len(cells) > 1 and len(cells[0]) == 1 and self.is_list_item:
            cells[:2] = [cells[0] + cells[1]]
        return cells

    def text(self) -> str:
        return "\t".join(self._cell_text(cell) for cell in self.cells)

    def _cell_text(self, cell: list[_Word]) -> str:
        out = ""
        for i, word in enumerate(cell):
            text = word.text
            if i == 0 and self.is_list_item and word is self.words[0]:
                text = _bullet(text) or text
            if _is_superscript(word, self):
                # A raised small number is a footnote mark: the parser knows footnotes by ¹²³.
                out += text.translate(_SUPERSCRIPT) + (" " if i == 0 else "")
                continue
            out += ("" if not out or out.endswith(" ") else " ") + text
        return out

    def part(self, keep) -> "_Line | None":
        words = [w for w in self.words if keep(w)]
        return _Line(words) if words else None


@dataclass(frozen=True)
class _Table:
    top: float
    bottom: float
    rows: tuple[str, ...]


@dataclass
class _Page:
    lines: list[_Line]
    tables: list[_Table]
    has_images: bool


def _bullet(token: str) -> str | None:
    if token in _BULLET_GLYPHS or token in _DASH_BULLETS:
        return token
    # Symbol and Wingdings bullets come out as private-use code points.
    if len(token) == 1 and "\ue000" <= token <= "\uf8ff":
        return "•"
    return None


def _is_superscript(word: _Word, line: _Line) -> bool:
    return (
        word.text.isdigit()
        and word.size < 0.85 * line.size
        and word.bottom < line.bottom - 0.15 * line.size
    )


def load_pdf(path: Path, limits: DocumentLimits = DocumentLimits()) -> LoadedDocument:
    try:
        with pdfplumber.open(path) as pdf:
            # Counted from the page tree before any page is read: a page costs about 0.13 s.
            if len(pdf.pages) > limits.max_pdf_pages:
                raise DocumentTooLargeError(
                    f"'{path.name}' har {swedish_number(len(pdf.pages))} sidor; gränsen är {swedish_number(limits.max_pdf_pages)} "
                    "sidor (inställningen AUDITQA_MAX_PDF_PAGES)"
                )
            pages = [_read_page(page) for page in pdf.pages]
    except PdfminerException as exc:
        if exc.args and isinstance(exc.args[0], PDFPasswordIncorrect):
            raise LoadError(f"'{path.name}' är lösenordsskyddad och kan inte läsas") from exc
        raise LoadError(f"'{path.name}' kunde inte läsas som PDF ({exc})") from exc
    except (PSException, ValueError, KeyError, TypeError) as exc:
        # pdfminer meets a malformed file with its own errors or with whatever its parsing trips over.
        raise LoadError(f"'{path.name}' kunde inte läsas som PDF ({exc})") from exc
    _drop_running_lines(pages)
    _refuse_scans(path, pages)
    leading = _normal_leading(pages)
    texts = [_page_text(page, leading) for page in pages]
    return _assemble(path, texts)


def _read_page(page) -> _Page:
    tables, boxes = [], []
    for found in page.find_tables():
        rows = found.extract()
        # A lone frame (a box around a paragraph, a page border) is a rule, not a table.
        if max((len(r) for r in rows), default=0) < 2:
            continue
        text_rows = tuple(
            "\t".join(_join_wrapped((cell or "").replace("\t", " ").split("\n")) for cell in row)
            for row in rows
            if any(cell and cell.strip() for cell in row)
        )
        # Ruled lines with no text in them (a form, a scan's drawn grid) are drawing, not a table with text.
        if not text_rows:
            continue
        _, top, _, bottom = found.bbox
        tables.append(_Table(top, bottom, text_rows))
        boxes.append(found.bbox)
    words = []
    for raw in page.extract_words(extra_attrs=["fontname", "size"], x_tolerance_ratio=_WORD_GAP):
        center_x, center_y = (raw["x0"] + raw["x1"]) / 2, (raw["top"] + raw["bottom"]) / 2
        # Vertical margin text (a registration number up the edge) is not part of the reading flow.
        if not raw["upright"] or any(b[0] <= center_x <= b[2] and b[1] <= center_y <= b[3] for b in boxes):
            continue
        words.append(_Word(raw["text"], raw["x0"], raw["x1"], raw["top"], raw["bottom"], round(raw["size"], 1),
                           bool(_BOLD.search(raw["fontname"]))))
    has_images = bool(page.images)
    page.close()
    return _Page(_group_lines(words), tables, has_images)


def _group_lines(words: list[_Word]) -> list[_Line]:
    """Words whose boxes overlap vertically by half the smaller height share a line (superscripts included)."""
    groups: list[list[_Word]] = []
    for word in sorted(words, key=lambda w: (w.top, w.x0)):
        for group in reversed(groups[-3:]):
            top, bottom = min(w.top for w in group), max(w.bottom for w in group)
            overlap = min(bottom, word.bottom) - max(top, word.top)
            if overlap >= 0.5 * min(bottom - top, word.bottom - word.top):
                group.append(word)
                break
        else:
            groups.append([word])
    return sorted((_Line(g) for g in groups), key=lambda ln: ln.top)


def _running_key(line: _Line) -> str:
    return re.sub(r"\s+", " ", re.sub(r"\d+", "#", line.text())).strip().casefold()


def _drop_running_lines(pages: list[_Page]) -> None:
    """Remove headers and footers: top or bottom lines repeated, digits aside, on at least half the pages."""
    with_text = [p for p in pages if p.lines]
    if len(with_text) < 2:
        return
    counts = Counter()
    for page in with_text:
        counts.update({_running_key(ln) for ln in page.lines[:2] + page.lines[-2:]})
    threshold = max(2, math.ceil(len(with_text) / 2))
    running = {key for key, n in counts.items() if n >= threshold}
    for page in with_text:
        edge = page.lines[:2] + page.lines[-2:]
        page.lines = [ln for ln in page.lines if not (any(ln is e for e in edge) and _running_key(ln) in running)]


def _refuse_scans(path: Path, pages: list[_Page]) -> None:
    scanned = [i for i, p in enumerate(pages, 1) if not p.lines and not p.tables and p.has_images]
    if not any(p.lines or p.tables for p in pages):
        raise LoadError(f"'{path.name}' saknar textlager och behöver OCR innan den kan läsas in")
    if len(scanned) * 2 > len(pages):
        raise LoadError(
            f"'{path.name}': {len(scanned)} av {len(pages)} sidor saknar textlager och behöver OCR "
            "innan filen kan läsas in"
        )
    if scanned:
        log.warning("%s: pages %s are images without a text layer and are left out", path.name, scanned)


def _normal_leading(pages: list[_Page]) -> float:
    """The usual gap between two lines of one paragraph, in points: the median over all neighbouring lines."""
    gaps = [
        b.top - a.bottom
        for page in pages
        for a, b in zip(page.lines, page.lines[1:])
        if 0 <= b.top - a.bottom < 1.5 * a.size
    ]
    return statistics.median(gaps) if gaps else 0.0


def _gutter(lines: list[_Line]) -> tuple[float, float] | None:
    """(x of a column gutter, where the right column starts): a gap in many lines, with running text either side."""
    if len(lines) < 6:
        return None
    left, right = min(ln.x0 for ln in lines), max(ln.x1 for ln in lines)
    extents = [ln.extents for ln in lines]
    best, best_xs = 0, []
    for step in range(int(0.3 * (right - left)), int(0.7 * (right - left)) + 1):
        x = left + step
        both = sum(
            1
            for cells in extents
            if not any(a < x < b for a, b in cells) and cells[0][0] < x < cells[-1][1]
        )
        if both > best:
            best, best_xs = both, [x]
        elif both == best and best:
            best_xs.append(x)
    if best < 3:
        return None
    x = best_xs[len(best_xs) // 2]
    split = [ln for ln in lines if ln.x0 < x < ln.x1 and not any(a < x < b for a, b in ln.extents)]
    left_words = [len([w for w in ln.words if w.x1 <= x]) for ln in split]
    right_words = [len([w for w in ln.words if w.x0 >= x]) for ln in split]
    # Running text on both sides; a table of figures or a table of contents has a few words a side.
    if statistics.mean(left_words) < 4 or statistics.mean(right_words) < 4:
        return None
    return x, statistics.median(min(w.x0 for w in ln.words if w.x0 >= x) for ln in split)


def _reading_order(page: _Page) -> list[_Line | _Table]:
    """Lines and tables top to bottom; where a gutter splits a run of lines, the left column comes first.

    A line or table across the gutter ends the run. So does a line only right of it that does not start where the
    right column does (a right-aligned date, a page number), which would otherwise be read after the left column.
    """
    columns = _gutter(page.lines)
    items: list[_Line | _Table] = sorted([*page.lines, *page.tables], key=lambda item: item.top)
    if columns is None:
        return items
    gutter, right_start = columns
    ordered: list[_Line | _Table] = []
    left: list[_Line] = []
    right: list[_Line] = []
    for item in items:
        if isinstance(item, _Line) and not any(a < gutter < b for a, b in item.extents):
            left_part = item.part(lambda w: w.x1 <= gutter)
            right_part = item.part(lambda w: w.x0 >= gutter)
            if left_part is not None or abs(right_part.x0 - right_start) <= 2 * item.size:
                left += [left_part] if left_part is not None else []
                right += [right_part] if right_part is not None else []
                continue
        ordered += left + right + [item]
        left, right = [], []
    return ordered + left + right


def _page_text(page: _Page, leading: float) -> str:
    blocks: list[list[str]] = []
    previous: _Line | None = None
    block_right = 0.0
    for item in _reading_order(page):
        if isinstance(item, _Table):
            blocks.append(list(item.rows))
            previous = None
            continue
        relation = _relation(previous, item, leading, block_right)
        if relation == "block":
            blocks.append([item.text()])
            block_right = item.x1
        elif relation == "line":
            blocks[-1].append(item.text())
            block_right = max(block_right, item.x1)
        else:
            blocks[-1][-1] = _join_wrapped([blocks[-1][-1], item.text()])
            block_right = max(block_right, item.x1)
        previous = item
    return "\n\n".join("\n".join(lines) for lines in blocks if lines)


def _relation(previous: _Line | None, line: _Line, leading: float, block_right: float) -> str:
    """How a line continues the one before it: a new block, a new line in the block, or the same line."""
    if previous is None:
        return "block"
    gap = line.top - previous.bottom
    if gap > leading + _PARAGRAPH_GAP * previous.size or gap < -previous.size:
        return "block"
    if abs(line.size - previous.size) > 0.6 or line.bold != previous.bold:
        return "block"
    if line.is_row and not previous.is_row and line.text()[:1].islower():
        return "join"  # a wrapped table-of-contents title whose page number sits on its last line
    if line.is_row or previous.is_row or line.is_list_item:
        return "line"
    width = block_right - min(previous.x0, line.x0)
    ends_short = previous.x1 < block_right - 0.3 * width
    if ends_short and _SENTENCE_END.search(previous.words[-1].text) and line.words[0].text[:1].isupper():
        return "block"  # paragraphs set without spacing: the last line stops short at a full stop
    return "join"


def _join_wrapped(lines: list[str]) -> str:
    """Lines of one paragraph or cell as one line, with words hyphenated at a line end put back together."""
    out = ""
    for line in (ln.strip() for ln in lines):
        if not line:
            continue
        if not out:
            out = line
        elif out.endswith("\u00ad"):
            out = out[:-1] + line
        elif out.endswith("-") and len(out) > 1 and out[-2].isalnum():
            first = line.split(maxsplit=1)[0].rstrip(".,").casefold()
            if first in _CONJUNCTIONS:
                out = f"{out} {line}"
            elif out[-2].islower() and line[:1].islower():
                out = out[:-1] + line
            else:
                out += line  # "IFO-verksamheten", "2016-2018": the hyphen is part of the word
        else:
            out = f"{out} {line}"
    return out


def _assemble(path: Path, texts: list[str]) -> LoadedDocument:
    """Pages joined by a blank line, which counts to the page before it; a page without text gets an empty span."""
    spans: list[list[int]] = []
    text, last = "", None
    for number, raw in enumerate(texts, 1):
        page = normalize_text(raw) if raw.strip() else ""
        if page and last is not None:
            text += "\n"
            spans[last][2] += 1
        spans.append([number, len(text), len(text) + len(page)])
        if page:
            last = len(spans) - 1
        text += page
    return LoadedDocument(source=path, text=text, pages=tuple(PageSpan(n, s, e) for n, s, e in spans))
