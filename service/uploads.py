"""What an uploaded file must be before it is queued: a safe name, a size within the limit, a type read from its content."""

import re
import unicodedata
from pathlib import Path

from ingest.documents.loading import SUPPORTED_SUFFIXES, sniff_type
from service.jobs import FileTooLargeError, InvalidFileNameError, UnreadableDocumentError, UnsupportedFileTypeError

MAX_NAME_CHARS = 120
_NOT_ALLOWED = re.compile(r"[^A-Za-z0-9åäöÅÄÖ._-]+")
ACCEPTED_TYPES = "PDF (.pdf), Word (.docx), Markdown (.md) och text (.txt)"
_EXTENSION = re.compile(r"\.(?=[a-z0-9]{0,4}[a-z])[a-z0-9]{1,5}")


def megabytes(size: float) -> str:
    """Swedish decimal notation: 51,3."""
    text = f"{size:.1f}" if size >= 10 else f"{size:.2f}" if size >= 0.1 else f"{size:.3g}"
    return text.replace(".", ",")


def sanitize_filename(raw: str | None) -> str:
    """A safe name to store an upload under: directories stripped, only [A-Za-z0-9åäöÅÄÖ._-], no leading dots."""
    name = unicodedata.normalize("NFC", raw or "")
    name = re.split(r"[\\/]", name)[-1].strip()
    name = re.sub(r"-{2,}", "-", _NOT_ALLOWED.sub("-", name)).strip(".-_")
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    stem = stem.rstrip(".-_")[:MAX_NAME_CHARS].rstrip(".-_")
    if not stem:
        raise InvalidFileNameError(
            f"Filnamnet '{raw}' går inte att använda: det måste innehålla bokstäver eller siffror "
            "(tillåtna tecken: A–Ö, a–ö, 0–9, punkt, bindestreck och understreck)."
        )
    return f"{stem}.{suffix}" if suffix else stem


def judge_type(data: bytes, name: str) -> tuple[str, str]:
    """(type, stored name): the type found in the content; the name gets that type's extension when it lies."""
    if not data.strip():
        raise UnreadableDocumentError(f"Filen '{name}' är tom.")
    kind = sniff_type(data) or _legacy_text(data)
    if kind is None:
        raise UnsupportedFileTypeError(
            f"Filen '{name}' är ingen rapport i ett format som kan läsas in (typen bedöms efter innehållet, inte "
            f"efter filändelsen). Godkända typer: {ACCEPTED_TYPES}."
        )
    path = Path(name)
    given = path.suffix.lower()
    if kind in ("txt", "md") and given in (".txt", ".md"):
        suffix = given  # one loader reads both; keep what the author called it
    else:
        suffix = f".{kind}"
    # "rapport.png" holding a PDF becomes "rapport.pdf"; "rapport-2019.06" keeps its ".06", which is no extension.
    stem = path.stem if given in SUPPORTED_SUFFIXES or _EXTENSION.fullmatch(given) else name
    return kind, f"{stem}{suffix}"


def _legacy_text(data: bytes) -> str | None:
    """Plain text from older Windows tools (cp1252), which the text loader reads but `sniff_type` does not take."""
    if b"\x00" in data:
        return None
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return None
    controls = sum(1 for c in text if ord(c) < 32 and c not in "\t\n\r\f")
    return "txt" if controls == 0 and text.strip() else None


def too_large(name: str | None, size: int, limit_mb: float) -> FileTooLargeError:
    what = f"Filen '{name}'" if name else "Uppladdningen"
    return FileTooLargeError(
        f"{what} är {megabytes(size / 1e6)} MB; den största fil som tas emot är {f'{limit_mb:g}'.replace('.', ',')} MB "
        "(inställningen AUDITQA_MAX_UPLOAD_MB)."
    )
