"""DOCX reports -> normalized text with page spans, one line per paragraph and per table row.

A DOCX has no fixed pages. A page starts where the file says one does: a hard page break (w:br w:type="page"),
a paragraph with pageBreakBefore, a section break that starts a new page, or a w:lastRenderedPageBreak, the mark
Word leaves where its layout broke a page when it last saved the file. Word writes such a mark right after a hard
break too, so a break opens a new page only once text has been written on the current one.
"""

import re
from dataclasses import dataclass
from pathlib import Path
from zipfile import BadZipFile, ZipFile

from docx import Document
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml.ns import qn
from docx.oxml.parser import parse_xml
from lxml.etree import XMLSyntaxError

from ingest.documents.loading import DocumentLimits, DocumentTooLargeError, LoadedDocument, LoadError, PageSpan, normalize_text, swedish_number

# Marks a page start in the text until normalization is done; XML cannot carry U+FFFF, so no document has it.
_PAGE_MARK = "\uffff"
_HEADING_STYLE = re.compile(r"^(heading|rubrik)\s*\d", re.IGNORECASE)
_LEADING_NUMBER_TAB = re.compile(r"^(\d{1,2}(?:\.\d{1,2})*\.?)\t+")
_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_BREAK = object()  # a page break among a paragraph's text pieces

_W = {name: qn(f"w:{name}") for name in (
    "p", "r", "t", "tab", "br", "cr", "noBreakHyphen", "lastRenderedPageBreak", "footnoteReference", "tbl", "tr",
    "tc", "sdt", "sdtContent", "customXml", "del", "moveFrom", "pPr", "pStyle", "numPr", "numId", "ilvl",
    "pageBreakBefore", "sectPr", "type", "val", "outlineLvl", "gridSpan", "tcPr", "footnote", "id", "style",
    "styleId", "name", "basedOn", "default", "abstractNum", "abstractNumId", "num", "lvl", "start", "numFmt",
    "lvlText", "isLgl", "lvlOverride", "startOverride",
)}


def load_docx(path: Path, limits: DocumentLimits = DocumentLimits()) -> LoadedDocument:
    try:
        _check_unpacked_size(path, limits.max_extracted_bytes)
        document = Document(str(path))
    except (PackageNotFoundError, BadZipFile, KeyError, ValueError, XMLSyntaxError) as exc:
        raise LoadError(f"'{path.name}' kunde inte läsas som Word-dokument (.docx): {exc}") from exc
    writer = _Writer(_Styles(document), _Numbering(document), _footnotes(document), _section_starts(document))
    writer.read(document.element.body)
    raw = writer.text()
    if not raw.replace(_PAGE_MARK, "").strip():
        raise LoadError(f"'{path.name}' innehåller ingen text")
    pieces = normalize_text(raw).split(_PAGE_MARK)
    starts, offset = [0], 0
    for piece in pieces[:-1]:
        offset += len(piece)
        starts.append(offset)
    text = "".join(pieces)
    ends = starts[1:] + [len(text)]
    return LoadedDocument(path, text, tuple(PageSpan(n, s, e) for n, (s, e) in enumerate(zip(starts, ends), 1)))


def _check_unpacked_size(path: Path, limit: int) -> None:
    """Refuse a zip bomb before python-docx unpacks it. The sizes the zip directory declares are checked first; then
    every part is inflated and counted, a block at a time and never more than `limit` bytes, since a forged directory
    can declare less than a part holds (zipfile stops reading a part at its declared size, so what python-docx reads
    afterwards is bounded by what was counted here)."""
    with ZipFile(path) as archive:
        members = archive.infolist()
        declared = sum(m.file_size for m in members)
        if declared > limit:
            raise _unpacks_too_large(path, declared, limit)
        total = 0
        for member in members:
            with archive.open(member) as part:
                while block := part.read(min(1 << 20, limit + 1 - total)):
                    total += len(block)
                    if total > limit:
                        raise _unpacks_too_large(path, total, limit, at_least=True)


def _unpacks_too_large(path: Path, size: int, limit: int, at_least: bool = False) -> DocumentTooLargeError:
    amount = f"{'mer än ' if at_least else ''}{swedish_number(round(size / 1e6, 1))} MB"
    return DocumentTooLargeError(
        f"'{path.name}' packas upp till {amount}; gränsen är {swedish_number(limit / 1e6)} MB uppackat "
        "(inställningen AUDITQA_MAX_EXTRACTED_MB)"
    )


def _val(element, child: str) -> str | None:
    found = element.find(_W[child]) if element is not None else None
    return None if found is None else found.get(_W["val"])


def _break_before(ppr) -> bool | None:
    """pageBreakBefore as set on a paragraph or style: None where it is not set, so a style can inherit it."""
    found = ppr.find(_W["pageBreakBefore"]) if ppr is not None else None
    return None if found is None else found.get(_W["val"]) not in ("0", "false", "off")


def _split_mark(line: str) -> tuple[str, str]:
    """A line's leading page mark apart from its text, so labels go after the mark and the page starts at the line."""
    return (_PAGE_MARK, line[1:]) if line.startswith(_PAGE_MARK) else ("", line)


@dataclass(frozen=True)
class _Style:
    name: str
    based_on: str | None
    num_id: str | None
    ilvl: int | None
    outline: bool
    break_before: bool | None


class _Styles:
    """Paragraph styles by id, with numbering and heading-ness inherited through basedOn."""

    def __init__(self, document):
        self._styles: dict[str, _Style] = {}
        self.default: str | None = None
        for style in document.styles.element.iter(_W["style"]):
            style_id = style.get(_W["styleId"])
            ppr = style.find(_W["pPr"])
            numpr = ppr.find(_W["numPr"]) if ppr is not None else None
            ilvl = _val(numpr, "ilvl")
            outline = _val(ppr, "outlineLvl")
            self._styles[style_id] = _Style(
                _val(style, "name") or style_id, _val(style, "basedOn"), _val(numpr, "numId"),
                int(ilvl) if ilvl is not None else None, outline is not None and int(outline) < 9, _break_before(ppr),
            )
            if style.get(_W["type"]) == "paragraph" and style.get(_W["default"]) in ("1", "true"):
                self.default = style_id

    def chain(self, style_id: str | None):
        seen = set()
        while style_id in self._styles and style_id not in seen:
            seen.add(style_id)
            yield self._styles[style_id]
            style_id = self._styles[style_id].based_on

    def is_heading(self, style_id: str | None) -> bool:
        return any(_HEADING_STYLE.match(s.name) or s.outline for s in self.chain(style_id))

    def break_before(self, style_id: str | None) -> bool:
        return next((s.break_before for s in self.chain(style_id) if s.break_before is not None), False)

    def numbering(self, style_id: str | None) -> tuple[str | None, int | None]:
        num_id = next((s.num_id for s in self.chain(style_id) if s.num_id is not None), None)
        ilvl = next((s.ilvl for s in self.chain(style_id) if s.ilvl is not None), None)
        return num_id, ilvl


@dataclass(frozen=True)
class _Level:
    fmt: str
    text: str
    start: int
    style: str | None
    legal: bool


class _Numbering:
    """Word's automatic list and heading numbers ("2.1.", "•"), which are not in the paragraph text."""

    def __init__(self, document):
        self._abstract: dict[str, dict[int, _Level]] = {}
        self._nums: dict[str, tuple[str, dict[int, int]]] = {}
        self._counters: dict[str, list[int | None]] = {}
        self._used: set[str] = set()
        try:
            root = document.part.part_related_by(RT.NUMBERING).element
        except KeyError:
            return
        for abstract in root.iter(_W["abstractNum"]):
            levels = {}
            for lvl in abstract.iter(_W["lvl"]):
                start = _val(lvl, "start")
                levels[int(lvl.get(_W["ilvl"]) or 0)] = _Level(
                    _val(lvl, "numFmt") or "decimal", _val(lvl, "lvlText") or "", int(start) if start else 1,
                    _val(lvl, "pStyle"), lvl.find(_W["isLgl"]) is not None,
                )
            self._abstract[abstract.get(_W["abstractNumId"])] = levels
        for num in root.iter(_W["num"]):
            overrides = {}
            for override in num.iter(_W["lvlOverride"]):
                start = _val(override, "startOverride")
                if start is not None:
                    overrides[int(override.get(_W["ilvl"]))] = int(start)
            self._nums[num.get(_W["numId"])] = (_val(num, "abstractNumId"), overrides)

    def label(self, num_id: str | None, ilvl: int | None, style_id: str | None) -> tuple[str, int] | None:
        """(label, level) for a numbered paragraph; a bullet's label is "•"."""
        if num_id is None or num_id == "0" or num_id not in self._nums:
            return None
        abstract_id, overrides = self._nums[num_id]
        levels = self._abstract.get(abstract_id)
        if not levels:
            return None
        if ilvl is None:
            ilvl = next((i for i, lvl in levels.items() if lvl.style == style_id), 0)
        if ilvl not in levels:
            return None
        counters = self._counters.setdefault(abstract_id, [None] * 9)
        if num_id not in self._used:
            # A list restarted in Word is a new num with a startOverride on the shared abstract list.
            self._used.add(num_id)
            for level, start in overrides.items():
                counters[level] = start - 1
        level = levels[ilvl]
        counters[ilvl] = level.start if counters[ilvl] is None else counters[ilvl] + 1
        counters[ilvl + 1 :] = [None] * (8 - ilvl)
        if level.fmt == "bullet":
            return "•", ilvl

        def number(match: re.Match) -> str:
            index = int(match.group(1)) - 1
            shown = levels.get(index, level)
            value = counters[index] if counters[index] is not None else shown.start
            return _format_number(value, "decimal" if level.legal else shown.fmt)

        return re.sub(r"%([1-9])", number, level.text).strip(), ilvl


def _format_number(value: int, fmt: str) -> str:
    if fmt in ("lowerLetter", "upperLetter"):
        letter = chr(ord("a") + (value - 1) % 26) * ((value - 1) // 26 + 1)
        return letter.upper() if fmt == "upperLetter" else letter
    if fmt in ("lowerRoman", "upperRoman"):
        roman = _roman(value)
        return roman.lower() if fmt == "lowerRoman" else roman
    if fmt == "none":
        return ""
    if fmt == "decimalZero":
        return f"{value:02d}"
    return str(value)


def _roman(value: int) -> str:
    out = ""
    for amount, digits in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"),
                           (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        count, value = divmod(value, amount)
        out += digits * count
    return out


def _footnotes(document) -> dict[str, list]:
    """Footnote id -> its paragraphs; the separator notes Word keeps in the same part have negative or 0 ids."""
    try:
        part = document.part.part_related_by(RT.FOOTNOTES)
    except KeyError:
        return {}
    root = getattr(part, "element", None)
    if root is None:
        root = parse_xml(part.blob)
    return {
        note.get(_W["id"]): list(note.iter(_W["p"]))
        for note in root.iter(_W["footnote"])
        if note.get(_W["id"]) and int(note.get(_W["id"])) > 0
    }


def _section_starts(document) -> list[bool]:
    """For each section after the first, whether it starts on a new page (Word's default) rather than continuously."""
    body = document.element.body
    sections = [ppr.find(_W["sectPr"]) for ppr in body.iter(_W["pPr"]) if ppr.find(_W["sectPr"]) is not None]
    final = body.find(_W["sectPr"])
    if final is not None:
        sections.append(final)
    return [_val(s, "type") not in ("continuous", "nextColumn") for s in sections[1:]]


class _Writer:
    """Paragraphs and tables in reading order -> blocks of lines, with a page mark where each new page's text starts."""

    def __init__(self, styles: _Styles, numbering: _Numbering, footnotes: dict[str, list], section_starts: list[bool]):
        self.styles = styles
        self.numbering = numbering
        self.footnotes = footnotes
        self.section_starts = section_starts
        self.sections_seen = 0
        self.footnote_count = 0
        self._blocks: list[list[str]] = []
        self._group: str | None = None
        self._page_has_text = False
        self._page_pending = False

    def text(self) -> str:
        return "\n\n".join("\n".join(lines) for lines in self._blocks) + "\n"

    def read(self, container) -> None:
        for child in container:
            if child.tag == _W["p"]:
                self.paragraph(child)
            elif child.tag == _W["tbl"]:
                self.table(child)
            elif child.tag in (_W["sdt"], _W["sdtContent"], _W["customXml"]):
                self.read(child)  # content controls (a Word table of contents) wrap ordinary paragraphs

    def page_break(self) -> None:
        if self._page_has_text:
            self._page_pending = True

    def _line(self, pieces: list) -> str:
        """Text pieces with page breaks among them -> one line, the page mark placed before the next page's text."""
        out = ""
        for piece in pieces:
            if piece is _BREAK:
                self.page_break()
                continue
            if not piece.strip():
                out += piece
                continue
            if self._page_pending:
                lead = len(piece) - len(piece.lstrip())
                piece = piece[:lead] + _PAGE_MARK + piece[lead:]
                self._page_pending = False
            self._page_has_text = True
            out += piece
        return out.strip()

    def paragraph(self, p) -> None:
        ppr = p.find(_W["pPr"])
        style_id = _val(ppr, "pStyle") or self.styles.default
        own_break = _break_before(ppr)
        if own_break or (own_break is None and self.styles.break_before(style_id)):
            self.page_break()
        notes: list = []
        mark, line = _split_mark(self._line(self._pieces(p, notes)))
        line = _LEADING_NUMBER_TAB.sub(r"\1 ", line)
        if line:
            self._emit(mark, line, ppr, style_id)
        self._footnotes(notes)
        if ppr is not None and ppr.find(_W["sectPr"]) is not None:
            if self.sections_seen < len(self.section_starts) and self.section_starts[self.sections_seen]:
                self.page_break()
            self.sections_seen += 1

    def _emit(self, mark: str, line: str, ppr, style_id: str | None) -> None:
        numpr = ppr.find(_W["numPr"]) if ppr is not None else None
        style_num, style_ilvl = self.styles.numbering(style_id)
        own_ilvl = _val(numpr, "ilvl")
        label = self.numbering.label(
            _val(numpr, "numId") or style_num, int(own_ilvl) if own_ilvl is not None else style_ilvl, style_id
        )
        heading = self.styles.is_heading(style_id) or (ppr is not None and ppr.find(_W["outlineLvl"]) is not None)
        if heading:
            text = f"{label[0]} {line}" if label and label[0] != "•" else line
            self._add(mark + text.replace("\t", " "), None)
        elif label is not None:
            self._add(mark + "  " * label[1] + f"{label[0]} " + line.replace("\t", " "), "list")
        else:
            # Tab-aligned lines (a table of contents, figures set with tab stops) are rows of one table.
            self._add(mark + line, "rows" if "\t" in line else None)

    def _add(self, line: str, group: str | None) -> None:
        """A line as a block of its own, or appended to the block before when both are list items or both rows."""
        if group is not None and group == self._group:
            self._blocks[-1].append(line)
        else:
            self._blocks.append([line])
        self._group = group

    def _footnotes(self, notes: list) -> None:
        """Footnotes follow the paragraph or table that cites them, as the "¹ text" lines of the .txt reports."""
        for paragraphs in notes:
            self.footnote_count += 1
            mark, text = _split_mark(" ".join(ln for ln in (self._line(self._pieces(p, [])) for p in paragraphs) if ln))
            self._add(f"{mark}{str(self.footnote_count).translate(_SUPERSCRIPT)} {text}".strip(), None)

    def _pieces(self, p, notes: list) -> list:
        """A paragraph's text pieces and page breaks; each footnote it cites is added to notes, its number left."""
        pieces: list = []
        for run in _runs(p):
            for child in run:
                tag = child.tag
                if tag == _W["t"]:
                    pieces.append(child.text or "")
                elif tag == _W["tab"]:
                    pieces.append("\t")
                elif tag == _W["br"]:
                    pieces.append(_BREAK if child.get(_W["type"]) == "page" else " ")
                elif tag == _W["cr"]:
                    pieces.append(" ")
                elif tag == _W["noBreakHyphen"]:
                    pieces.append("-")
                elif tag == _W["lastRenderedPageBreak"]:
                    pieces.append(_BREAK)
                elif tag == _W["footnoteReference"] and child.get(_W["id"]) in self.footnotes:
                    notes.append(self.footnotes[child.get(_W["id"])])
                    pieces.append(str(self.footnote_count + len(notes)).translate(_SUPERSCRIPT))
        return pieces

    def table(self, tbl) -> None:
        cells = [list(_children(tr, _W["tc"])) for tr in _children(tbl, _W["tr"])]
        if max((len(c) for c in cells), default=0) < 2:
            # A one-column table is a frame around ordinary paragraphs (a summary box), not a table.
            for row in cells:
                for tc in row:
                    self.read(tc)
            return
        lines, notes = [], []
        for row in cells:
            texts = []
            for tc in row:
                parts = [self._line(self._pieces(p, notes)) for p in tc.iter(_W["p"])]
                texts.append(" ".join(part.replace("\t", " ") for part in parts if part))
                span = _val(tc.find(_W["tcPr"]), "gridSpan")
                texts += [""] * (int(span) - 1 if span else 0)  # keep columns under their headers
            if any(texts):
                lines.append("\t".join(texts))
        if lines:
            self._blocks.append(lines)
            self._group = "table"
        self._footnotes(notes)


def _children(element, tag: str):
    """Direct children with a tag, looking through content controls that may wrap rows or cells."""
    for child in element:
        if child.tag == tag:
            yield child
        elif child.tag in (_W["sdt"], _W["sdtContent"], _W["customXml"]):
            yield from _children(child, tag)


def _runs(element):
    """The runs of a paragraph in order, through hyperlinks, fields, insertions and content controls; not deletions."""
    for child in element:
        if child.tag == _W["r"]:
            yield child
        elif child.tag not in (_W["del"], _W["moveFrom"], _W["pPr"]):
            yield from _runs(child)
