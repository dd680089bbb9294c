"""The eval sets: load `evals/dev.jsonl` (gold as quotes into corpus/) and `evals/real_reports.jsonl` (gold as
character spans into the real reports, read in place) into typed items, and validate them loudly."""

import json
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ingest.config import PROJECT_ROOT
from ingest.documents.loading import LoadError, load_document, normalize_text

DEV_PATH = Path(__file__).resolve().parent / "dev.jsonl"
REAL_PATH = Path(__file__).resolve().parent / "real_reports.jsonl"
CORPUS_DIR = PROJECT_ROOT / "corpus"
REAL_MANIFEST = "manifest.toml"
KINDS = (
    "fact", "number", "date", "list", "verdict", "verdict_cross", "table", "cross_document",
    "unanswerable", "multi_turn", "english", "paraphrase", "scope", "hurried",
)
SPAN_WORDS = (5, 30)  # a gold span of the real set is one line of 5-30 words
COPIED_WORDS = 7  # a question, note or regex that shares this many consecutive words with a real report copies it
FACT_WORDS = 5  # a must_contain / must_not_contain regex of the real set names a fact: at most this many words
_FIELDS = {"id", "kind", "question", "turns", "answerable", "gold", "must_contain", "must_not_contain", "notes", "review"}


class DatasetError(ValueError):
    """The eval set is malformed; the message names the file, line and item."""


class RealReportsError(DatasetError):
    """The real-report folder is not configured, missing or malformed (one line, like SweFAQError)."""


@dataclass(frozen=True)
class GoldPassage:
    document_id: str
    quote: str  # dev: as written in dev.jsonl; real: resolved from the span at run time
    char_start: int | None = None  # real set only: offsets into the file as read with Path.read_text
    char_end: int | None = None


@dataclass(frozen=True)
class EvalItem:
    id: str
    kind: str
    turns: tuple[str, ...]  # a single-turn item has one turn
    answerable: bool
    gold: tuple[GoldPassage, ...]
    must_contain: tuple[tuple[str, ...], ...]  # facts; each a tuple of alternative regexes
    must_not_contain: tuple[str, ...]
    notes: str = ""
    # An item someone must finish before it is scored (a 👎 exported from the UI's feedback): no gold or facts yet.
    review: bool = False

    @property
    def question(self) -> str:
        """The question that retrieval and the gold refer to: the last turn."""
        return self.turns[-1]

    @property
    def multi_turn(self) -> bool:
        return len(self.turns) > 1


def _fail(path: Path, line: int, item_id: str | None, message: str) -> DatasetError:
    where = f"{path.name}:{line}" + (f" (item '{item_id}')" if item_id else "")
    return DatasetError(f"{where}: {message}")


def _strings(value, what: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ValueError(f"{what} must be a list of non-empty strings, got {value!r}")
    return value


def _compile(pattern: str, what: str) -> None:
    try:
        re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise ValueError(f"{what}: regex {pattern!r} does not compile: {exc}") from exc


def _quote_gold(texts: dict[str, str]) -> Callable[[object], GoldPassage]:
    """dev.jsonl: {"document_id", "quote"}, the quote an exact substring of the normalized document."""

    def resolve(g) -> GoldPassage:
        if not isinstance(g, dict) or not isinstance(g.get("document_id"), str) or not isinstance(g.get("quote"), str) or not g["quote"].strip():
            raise ValueError(f"gold passage {g!r} needs a document_id and a non-empty quote")
        text = texts.get(g["document_id"])
        if text is None:
            raise ValueError(f"gold document '{g['document_id']}' is not in the corpus ({', '.join(sorted(texts))})")
        if g["quote"] not in text:
            raise ValueError(f"gold quote {g['quote']!r} is not a substring of {g['document_id']}'s normalized text")
        return GoldPassage(g["document_id"], g["quote"])

    return resolve


def _span_gold(raw_texts: dict[str, str], normalized: dict[str, str]) -> Callable[[object], GoldPassage]:
    """real_reports.jsonl: {"document_id", "char_start", "char_end"} into the file as read; never a quote."""

    def resolve(g) -> GoldPassage:
        if not isinstance(g, dict) or set(g) != {"document_id", "char_start", "char_end"}:
            raise ValueError(f"gold passage {g!r} needs exactly document_id, char_start and char_end (no quotes in this set)")
        doc, start, end = g["document_id"], g["char_start"], g["char_end"]
        text = raw_texts.get(doc) if isinstance(doc, str) else None
        if text is None:
            raise ValueError(f"gold document {doc!r} is not one of the real reports ({', '.join(sorted(raw_texts))})")
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end)) or not 0 <= start < end <= len(text):
            raise ValueError(f"gold span {start!r}-{end!r} does not lie inside {doc} (0-{len(text)})")
        quote = text[start:end]
        if "\n" in quote or "\r" in quote:
            raise ValueError(f"gold span {start}-{end} of {doc} crosses a line break")
        if quote != quote.strip() or (start > 0 and text[start - 1].isalnum()) or (end < len(text) and text[end].isalnum()):
            raise ValueError(f"gold span {start}-{end} of {doc} does not start and end on word boundaries")
        words = len(quote.split())
        if not SPAN_WORDS[0] <= words <= SPAN_WORDS[1]:
            raise ValueError(f"gold span {start}-{end} of {doc} has {words} words; spans have {SPAN_WORDS[0]}-{SPAN_WORDS[1]}")
        if " ".join(quote.split()) not in normalized[doc]:
            raise ValueError(f"gold span {start}-{end} of {doc} is not in the document's normalized text (what chunks hold)")
        return GoldPassage(doc, quote, start, end)

    return resolve


def _parse(raw: dict, resolve_gold: Callable[[object], GoldPassage]) -> EvalItem:
    unknown = set(raw) - _FIELDS
    if unknown:
        raise ValueError(f"unknown fields {sorted(unknown)}")
    kind = raw.get("kind")
    if kind not in KINDS:
        raise ValueError(f"kind {kind!r} is not one of {', '.join(KINDS)}")
    if ("question" in raw) == ("turns" in raw):
        raise ValueError("needs exactly one of 'question' and 'turns'")
    turns = _strings(raw["turns"], "turns") if "turns" in raw else _strings([raw["question"]], "question")
    answerable = raw.get("answerable")
    if not isinstance(answerable, bool):
        raise ValueError(f"'answerable' must be true or false, got {answerable!r}")
    gold_raw = raw.get("gold", [])
    if not isinstance(gold_raw, list):
        raise ValueError("'gold' must be a list")
    gold = [resolve_gold(g) for g in gold_raw]
    facts_raw = raw.get("must_contain", [])
    if not isinstance(facts_raw, list):
        raise ValueError("'must_contain' must be a list of facts")
    facts = []
    for fact in facts_raw:
        alternatives = _strings(fact, "each must_contain fact")
        for pattern in alternatives:
            _compile(pattern, "must_contain")
        facts.append(tuple(alternatives))
    forbidden = _strings(raw.get("must_not_contain") or [], "must_not_contain")
    for pattern in forbidden:
        _compile(pattern, "must_not_contain")
    review = raw.get("review", False)
    if not isinstance(review, bool):
        raise ValueError(f"'review' must be true or false, got {review!r}")
    if review:
        return EvalItem(
            id=raw["id"], kind=kind, turns=tuple(turns), answerable=answerable, gold=tuple(gold),
            must_contain=tuple(facts), must_not_contain=tuple(forbidden), notes=raw.get("notes", "") or "", review=True,
        )
    if answerable and not gold:
        raise ValueError("an answerable item needs at least one gold passage")
    if answerable and not facts:
        raise ValueError("an answerable item needs at least one must_contain fact")
    if not answerable and (gold or facts):
        raise ValueError("an unanswerable item must have empty gold and must_contain")
    return EvalItem(
        id=raw["id"], kind=kind, turns=tuple(turns), answerable=answerable, gold=tuple(gold),
        must_contain=tuple(facts), must_not_contain=tuple(forbidden), notes=raw.get("notes", "") or "",
    )


def corpus_texts(corpus_dir: Path = CORPUS_DIR) -> dict[str, str]:
    """document_id -> normalized text (the text every chunk and citation offset refers to)."""
    texts = {}
    for path in sorted(corpus_dir.iterdir()):
        if path.suffix.lower() in (".txt", ".md"):
            try:
                texts[path.stem] = load_document(path).text
            except LoadError as exc:
                raise DatasetError(f"corpus file {path} cannot be loaded: {exc}") from exc
    return texts


def load_items(path: Path = DEV_PATH, corpus_dir: Path = CORPUS_DIR) -> list[EvalItem]:
    """Parse and validate every line; the first problem raises DatasetError naming the line and item."""
    return _load(path, _quote_gold(corpus_texts(corpus_dir)))


def _load(path: Path, resolve_gold: Callable[[object], GoldPassage], check: Callable[[EvalItem], None] | None = None) -> list[EvalItem]:
    items: list[EvalItem] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            raise _fail(path, number, None, f"not valid JSON: {exc}") from exc
        item_id = raw.get("id") if isinstance(raw, dict) else None
        if not isinstance(item_id, str) or not item_id:
            raise _fail(path, number, None, "every item needs a non-empty string 'id'")
        if item_id in seen:
            raise _fail(path, number, item_id, f"duplicate id (first on line {seen[item_id]})")
        seen[item_id] = number
        try:
            item = _parse(raw, resolve_gold)
            if check:
                check(item)
            items.append(item)
        except ValueError as exc:
            raise _fail(path, number, item_id, str(exc)) from exc
    if not items:
        raise DatasetError(f"{path} holds no items")
    return items


# ---------------------------------------------------------------------------------------------- the real set


def read_real_manifest(folder: Path) -> list[dict]:
    """The `[[report]]` entries of the real-report folder's manifest.toml (file, municipality, year, title, firm …)."""
    path = folder / REAL_MANIFEST
    if not folder.is_dir():
        raise RealReportsError(f"the real-report folder {folder} does not exist; set AUDITQA_REAL_REPORTS_DIR to ../shared/data/real-reports")
    if not path.is_file():
        raise RealReportsError(f"{folder} holds no {REAL_MANIFEST}; AUDITQA_REAL_REPORTS_DIR must point at the real-report folder")
    try:
        entries = tomllib.loads(path.read_text(encoding="utf-8")).get("report", [])
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise RealReportsError(f"cannot read {path}: {exc}") from exc
    for entry in entries:
        if not isinstance(entry.get("file"), str) or not (folder / entry["file"]).is_file():
            raise RealReportsError(f"{path}: entry {entry.get('file')!r} names no file in {folder}")
    if not entries:
        raise RealReportsError(f"{path} lists no [[report]]")
    return entries


def real_texts(folder: Path) -> dict[str, str]:
    """document_id (file stem) -> the file's text as read with Path.read_text, for every report in the manifest."""
    return {Path(e["file"]).stem: (folder / e["file"]).read_text(encoding="utf-8") for e in read_real_manifest(folder)}


def _shingles(text: str, n: int = COPIED_WORDS) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text.lower())
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def _real_check(raw_texts: dict[str, str]) -> Callable[[EvalItem], None]:
    """Item rules of the real set beyond the schema: facts are short and found at the gold; nothing is copied."""
    report_shingles: set[tuple[str, ...]] = set().union(*(_shingles(t) for t in raw_texts.values()))

    def line_at(g: GoldPassage, cells: int = 0) -> str:
        """The line holding the span; for a table row, also the next `cells` non-empty lines (the row's cells)."""
        text = raw_texts[g.document_id]
        start = text.rfind("\n", 0, g.char_start) + 1
        end = text.find("\n", g.char_end)
        following = [line for line in text[end:].splitlines() if line.strip()][:cells] if end >= 0 else []
        return "\n".join([text[start : end if end >= 0 else len(text)], *following])

    def check(item: EvalItem) -> None:
        for pattern in [p for fact in item.must_contain for p in fact] + list(item.must_not_contain):
            if len(pattern.split()) > FACT_WORDS:
                raise ValueError(f"regex {pattern!r} is longer than {FACT_WORDS} words: facts only, never passages of the reports")
        gold_lines = [line_at(g, 2 if item.kind == "table" else 0) for g in item.gold]
        for fact in item.must_contain:
            if not any(re.search(p, line, re.IGNORECASE) for p in fact for line in gold_lines):
                raise ValueError(f"must_contain fact {list(fact)!r} matches none of the lines that hold the gold spans")
        for where, text in [("question", t) for t in item.turns] + [("notes", item.notes)]:
            copied = _shingles(text) & report_shingles
            if copied:
                raise ValueError(f"the {where} repeats {COPIED_WORDS} consecutive words of a real report ({' '.join(sorted(copied)[0])!r}); write it in your own words")

    return check


def load_real_items(folder: Path, path: Path = REAL_PATH) -> list[EvalItem]:
    """The real set with every gold span resolved to its text from the reports in `folder` (read in place) and checked:
    inside the file, on one line, 5-30 words on word boundaries, present in the normalized text that chunks hold;
    every answerable item has gold and facts that its gold lines contain."""
    raw_texts = real_texts(folder)
    try:
        normalized = {doc: " ".join(normalize_text(text).split()) for doc, text in raw_texts.items()}
    except LoadError as exc:  # pragma: no cover - normalize_text does not raise today
        raise RealReportsError(str(exc)) from exc
    return _load(path, _span_gold(raw_texts, normalized), _real_check(raw_texts))
