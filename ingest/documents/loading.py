"""Loaders: a report file on disk -> its normalized text, with page spans where the format has pages."""

import importlib
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from ingest.documents.markup import strip_markup


class LoadError(Exception):
    """A file that cannot be read as a report."""


class DocumentTooLargeError(LoadError):
    """A file whose content exceeds a limit of `DocumentLimits` (unpacked size, pages, text, chunks)."""


@dataclass(frozen=True)
class DocumentLimits:
    """How much one file may unpack to; the defaults are the settings' defaults (AUDITQA_MAX_*)."""

    max_extracted_bytes: int = 100_000_000
    max_text_chars: int = 2_000_000
    max_pdf_pages: int = 1000

    @classmethod
    def from_settings(cls, settings) -> "DocumentLimits":
        return cls(int(settings.max_extracted_mb * 1e6), settings.max_text_chars, settings.max_pdf_pages)


def swedish_number(value: float) -> str:
    """1 234 567 and 2,5: how a limit or size is quoted in a message."""
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
    return text.replace(",", " ").replace(".", ",")


@dataclass(frozen=True)
class PageSpan:
    number: int
    char_start: int
    char_end: int


@dataclass(frozen=True)
class LoadedDocument:
    source: Path
    text: str
    pages: tuple[PageSpan, ...] = field(default_factory=tuple)

    def page_at(self, offset: int) -> int | None:
        for page in self.pages:
            if page.char_start <= offset < page.char_end:
                return page.number
        return None


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\ufeff]")
_SPACES = str.maketrans({"\u00a0": " ", "\u2007": " ", "\u202f": " ", "\u2009": " "})
_TRAILING_SPACES = re.compile(r" +(?=\n)")
_BLANK_RUNS = re.compile(r"\n{4,}")


def normalize_text(raw: str) -> str:
    """The one normalization every offset refers to; citations highlight into this text."""
    text = unicodedata.normalize("NFC", raw).replace("\r\n", "\n").replace("\r", "\n")
    # Markup goes first: "&nbsp;" becomes a space that the next step evens out like any other.
    text = _CONTROL.sub("", strip_markup(text).translate(_SPACES))
    # Trailing tabs carry table structure (empty cells), so only trailing spaces go.
    text = _TRAILING_SPACES.sub("", text)
    return _BLANK_RUNS.sub("\n\n\n", text).strip("\n") + "\n"


def _load_text(path: Path, limits: DocumentLimits) -> LoadedDocument:
    # A character is at most four bytes: a file larger than that holds more text than allowed, and is not read.
    if path.stat().st_size > 4 * limits.max_text_chars:
        raise too_much_text(path, path.stat().st_size, limits, at_least=True)
    data = path.read_bytes()
    try:
        raw = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Older reports come out of Windows tools in cp1252.
        raw = data.decode("cp1252", errors="replace")
    text = normalize_text(raw)
    if not text.strip():
        raise LoadError(f"'{path.name}' innehåller ingen text")
    return LoadedDocument(source=path, text=text)


def _on_use(module: str, name: str):
    """A loader imported when first called: the PDF and DOCX loaders build on this module's types, and their
    libraries take a fifth of a second to import."""

    def load(path: Path, limits: DocumentLimits) -> LoadedDocument:
        return getattr(importlib.import_module(module), name)(path, limits)

    return load


LOADERS = {
    ".txt": _load_text,
    ".md": _load_text,
    ".pdf": _on_use("ingest.documents.pdf_loading", "load_pdf"),
    ".docx": _on_use("ingest.documents.docx_loading", "load_docx"),
}
SUPPORTED_SUFFIXES = tuple(sorted(LOADERS))


def load_document(path: Path, limits: DocumentLimits = DocumentLimits()) -> LoadedDocument:
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        raise LoadError(
            f"filtypen '{path.suffix}' stöds inte ({path.name}); tillåtna: {', '.join(SUPPORTED_SUFFIXES)}"
        )
    loaded = loader(path, limits)
    if len(loaded.text) > limits.max_text_chars:
        raise too_much_text(path, len(loaded.text), limits)
    return loaded


def too_much_text(path: Path, chars: int, limits: DocumentLimits, at_least: bool = False) -> DocumentTooLargeError:
    amount = f"minst {swedish_number(chars // 4)}" if at_least else swedish_number(chars)
    return DocumentTooLargeError(
        f"'{path.name}' ger {amount} tecken text; gränsen är {swedish_number(limits.max_text_chars)} tecken "
        "(inställningen AUDITQA_MAX_TEXT_CHARS)"
    )


_MARKDOWN_SIGNS = re.compile(r"^(#{1,6} \S|\|?\s*:?-{3,}:?\s*\|)", re.MULTILINE)


def sniff_type(data: bytes) -> str | None:
    """'pdf', 'docx', 'md' or 'txt' judged by content, for uploads whose file name may lie; None if none of these."""
    text = _as_text(data)
    header = data.find(b"%PDF-", 0, 1024)
    # Readers accept junk before the header within the first kilobyte; a text that merely quotes one is no PDF.
    if header == 0 or (header > 0 and text is None):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                return "docx" if "word/document.xml" in archive.namelist() else None
        except zipfile.BadZipFile:
            return None
    if text is None or not text.strip():
        return None
    return "md" if _MARKDOWN_SIGNS.search(text) else "txt"


def _as_text(data: bytes) -> str | None:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    # Valid UTF-8 with NUL bytes in it is a binary format, not a report typed as text.
    return None if "\x00" in text else text
