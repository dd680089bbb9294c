"""Report metadata: read from the corpus manifest, or inferred from the text of a report that has no entry."""

import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

from ingest.language.lexicon import author_titles, firms, months, part_headings, swedish_municipalities

MANIFEST_NAME = "manifest.toml"
INFERABLE = ("municipality", "year", "date", "title", "firm")
# Stored for a document without access groups (Chroma keeps no empty list): every caller may see it.
PUBLIC = "*"
_GROUP_NAME = re.compile(r"^[\w.-]{1,64}$")

MONTHS = months()
FIRMS = firms()
_MUNICIPALITY = re.compile(
    r"\b([A-ZÅÄÖ][a-zåäöé]+(?:-[A-ZÅÄÖ][a-zåäöé]+)?)s? kommun\b|\b[Kk]ommun ([A-ZÅÄÖ][a-zåäöé]+)\b"
)
_ISO_DATE = re.compile(r"\b((?:19|20)\d\d)-(\d\d)-(\d\d)\b")
_TEXT_DATE = re.compile(r"\b(\d{1,2}) (" + "|".join(MONTHS) + r") ((?:19|20)\d\d)\b", re.IGNORECASE)
# A signature's "name" that is a place or a body ("Kalmar Kommun", "Revisorerna Kungsbacka").
_PLACE_WORDS = frozenset({"kommun", "stad", "län", "region", "ab"})
_MONTH_YEAR = re.compile(r"\b(" + "|".join(MONTHS) + r") ((?:19|20)\d\d)\b", re.IGNORECASE)
# How far into a report its cover, and from its end its signature, may lie.
_EDGE_CHARS = 1500
_PARAGRAPH = re.compile(r"\S(?:.|\n(?!\s*\n))*")
# A paragraph of running text, not a signature's place, date, name or title.
_RUNNING_WORDS = 12
# A date a covering letter asks a reply by ("svar senast den 30 november 2020") is no date of the report.
_DEADLINE = re.compile(r"\b(?:senast|före|innan|till och med|t\.o\.m\.?|by|before|no later than)(?:\s+den)?\s*$", re.IGNORECASE)
# A place and a date opening a line: the genre's dateline ("Falun den 21 augusti 2020", "Stockholm 2017-03-13").
_DATELINE = re.compile(r"^\s*(?:[A-ZÅÄÖ][\wåäö-]+\s+)?(?:den\s+)?(?:\d{1,2}\s+[a-zåäö]+\s+(?:19|20)\d\d|(?:19|20)\d\d-\d\d-\d\d)\b")
# A line that opens a part of the report ("Innehållsförteckning", "1. Sammanfattning"): the cover ends before it.
_PART_LINE = re.compile(
    r"^[ \t]*(?:\(?\d{1,3}\)?\.?[ \t]+)?(?:\d{1,2}(?:\.\d{1,2})*\.?[ \t]+)?(" + "|".join(["innehåll", *(w for ws in part_headings().values() for w in ws)]) + r")",
    re.IGNORECASE | re.MULTILINE,
)


class ManifestError(Exception):
    """The corpus manifest cannot be read."""


class AccessGroupError(ValueError):
    """Access groups that are not a list of names (letters, digits, '_', '-', '.'; at most 64 characters)."""


def access_groups(value: object) -> tuple[str, ...]:
    """A document's (or a key's) access groups, given as a list or as names separated by ',' or '+', as the sorted,
    distinct, case-folded names; () for none, which makes a document public. A lone "*" says public explicitly."""
    if value is None:
        return ()
    if isinstance(value, str):
        names = re.split(r"[,+]", value)
    elif isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        names = list(value)
    else:
        raise AccessGroupError(f"väntade en lista med gruppnamn, fick {value!r:.60}")
    names = [n.strip().casefold() for n in names if n.strip()]
    if names == [PUBLIC]:
        return ()
    for name in names:
        if not _GROUP_NAME.match(name):
            raise AccessGroupError(
                f"ogiltigt gruppnamn '{name[:70]}': bara bokstäver, siffror, '_', '-' och '.', högst 64 tecken"
            )
    return tuple(sorted(set(names)))


@dataclass(frozen=True)
class DocumentMetadata:
    document_id: str
    municipality: str | None = None
    year: int | None = None
    date: str | None = None
    title: str | None = None
    auditor: str | None = None
    firm: str | None = None
    source_file: str | None = None
    # Who may see the document: callers whose key has one of these groups; () = everyone (see access_groups()).
    access_groups: tuple[str, ...] = ()
    # Fields that were inferred from the text rather than given, and those that could not be inferred.
    inferred: tuple[str, ...] = field(default=())
    missing: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def read_manifest(folder: Path) -> dict[str, dict]:
    path = folder / MANIFEST_NAME
    if not path.exists():
        return {}
    try:
        entries = tomllib.loads(path.read_text(encoding="utf-8")).get("document", [])
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"'{path}' är inte giltig TOML: {exc}") from exc
    known = {f.name for f in fields(DocumentMetadata)} - {"inferred", "missing"}
    result = {}
    for entry in entries:
        if "document_id" not in entry:
            raise ManifestError(f"en post i '{path}' saknar document_id: {entry}")
        values = {k: v for k, v in entry.items() if k in known}
        if "access_groups" in values:
            try:
                values["access_groups"] = access_groups(values["access_groups"])
            except AccessGroupError as exc:
                raise ManifestError(f"'{path}', {entry['document_id']}: access_groups: {exc}") from exc
        result[entry["document_id"]] = values
    return result


def infer_metadata(document_id: str, text: str) -> dict:
    """Best-effort fields from a report's own text; absent keys could not be inferred."""
    head = text[:4000]
    found: dict = {}
    municipality = _municipality(head, text) or _municipality(text, text)
    if municipality:
        found["municipality"] = municipality
    date = _date(text)
    if date:
        found["date"] = date
        found["year"] = int(date[:4])
    else:
        month_year = _MONTH_YEAR.search(head)
        if month_year:
            found["year"] = int(month_year.group(2))
    for firm, pattern in FIRMS.items():
        if re.search(pattern, text):
            found["firm"] = firm
            break
    title = _title(head)
    if title:
        found["title"] = title
    authors = _authors(head) or _authors(text[-_SIGNATURE_CHARS:])
    if authors:
        found["auditor"] = ", ".join(authors)
    return found


def resolve_metadata(document_id: str, text: str, manifest: dict[str, dict], source_file: str) -> DocumentMetadata:
    given = dict(manifest.get(document_id, {}))
    given.setdefault("source_file", source_file)
    given["access_groups"] = access_groups(given.get("access_groups"))
    inferred = {k: v for k, v in infer_metadata(document_id, text).items() if given.get(k) is None}
    if given.get("year") is not None and str(inferred.get("date", "")).split("-")[0] not in ("", str(given["year"])):
        del inferred["date"]  # a date of another year than the curator's is a date the report mentions, not its own
    values = {**inferred, **given, "document_id": document_id}
    # A manifest entry is the curator's word: a field left out there (no firm named) is not "missing".
    # Access groups alone say nothing about the metadata.
    curated = any(k != "access_groups" for k in manifest.get(document_id, {}))
    missing = () if curated else tuple(k for k in INFERABLE if values.get(k) is None)
    return DocumentMetadata(**values, inferred=tuple(sorted(inferred)), missing=missing)


# Where a report is signed: its cover (the head) or its last lines.
_SIGNATURE_CHARS = 1500
_NAME = r"[A-ZÅÄÖÉ][a-zåäöéü]+(?:-[A-ZÅÄÖÉ][a-zåäöéü]+)?"
# "Lena Holm, certifierad kommunal revisor" on one line, or the name alone with its title on the next.
_SIGNED = re.compile(rf"^\s*({_NAME}(?: {_NAME}){{1,2}})\s*(?:,\s*|\n\s*)([^\n]{{3,60}})$", re.MULTILINE)


def _authors(text: str) -> list[str]:
    """The names that sign the text, each beside a title of the genre ([author_titles])."""
    names = []
    for signed in _SIGNED.finditer(text):
        name, title = signed.group(1), signed.group(2).casefold()
        if any(t in title for t in author_titles()) and name.split()[-1].casefold() not in _PLACE_WORDS and name not in names:
            names.append(name)
    return names


def _municipality(text: str, full_text: str) -> str | None:
    counts: dict[str, int] = {}
    for match in _MUNICIPALITY.finditer(text):
        name = match.group(1) or match.group(2)
        if name.lower() in {"varje", "denna", "vår", "hela", "egen", "samma", "annan", "berörd"}:
            continue
        # "Hultsfreds kommun" is genitive, "Borås kommun" is not: trust the bare form only if the text uses it.
        if name.endswith("s") and (name[:-1] in swedish_municipalities() or re.search(rf"\b{re.escape(name[:-1])}\b", full_text)):
            name = name[:-1]
        counts[name] = counts.get(name, 0) + 1
    return max(counts, key=counts.get) if counts else None


def _date(text: str) -> str | None:
    """The report's own date. The genre dates a report on its cover (before its first part) and in a dateline or
    signature at its end ("Kalmar 17 februari 2016"); a date within a sentence of running text is of something
    the report tells about ("GDPR började gälla 2018-05-25")."""
    opening = _PART_LINE.search(text)
    cover_end = min(opening.start() if opening else _EDGE_CHARS, _EDGE_CHARS)
    found = []
    for paragraph in _PARAGRAPH.finditer(text):
        body = paragraph.group()
        # A signature block runs on after its dateline ("Falun den 21 augusti 2020 KPMG AB Sara Lind, …").
        if paragraph.start() >= cover_end and len(body.split()) >= _RUNNING_WORDS and not _DATELINE.match(body):
            continue
        base = paragraph.start()
        found += [(base + m.start(), f"{m.group(3)}-{MONTHS[m.group(2).lower()]:02d}-{int(m.group(1)):02d}") for m in _TEXT_DATE.finditer(body) if not _DEADLINE.search(body[: m.start()])]
        found += [
            (base + m.start(), m.group(0)) for m in _ISO_DATE.finditer(body)
            if 1 <= int(m.group(2)) <= 12 and 1 <= int(m.group(3)) <= 31 and not _DEADLINE.search(body[: m.start()])
        ]
    found.sort()
    head = [f for f in found if f[0] < cover_end]
    tail = [f for f in found if f[0] > len(text) - _EDGE_CHARS]
    return (tail[-1] if tail else head[0] if head else (None, None))[1]


def _title(head: str) -> str | None:
    for line in head.splitlines():
        stripped = line.strip().strip("#* ")
        if re.match(r"^(Granskning|Uppföljning|Revisionsrapport:|Förstudie|Fördjupad granskning)\b", stripped):
            if 3 <= len(stripped.split()) <= 20:
                return stripped
    return None
