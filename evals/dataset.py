"""The dev set: load `evals/dev.jsonl` into typed items and validate it against the corpus, loudly."""

import json
import re
from dataclasses import dataclass
from pathlib import Path

from ingest.config import PROJECT_ROOT
from ingest.documents.loading import LoadError, load_document

DEV_PATH = Path(__file__).resolve().parent / "dev.jsonl"
CORPUS_DIR = PROJECT_ROOT / "corpus"
KINDS = (
    "fact", "number", "date", "list", "verdict", "verdict_cross", "table", "cross_document",
    "unanswerable", "multi_turn", "english", "paraphrase",
)
_FIELDS = {"id", "kind", "question", "turns", "answerable", "gold", "must_contain", "must_not_contain", "notes"}


class DatasetError(ValueError):
    """The eval set is malformed; the message names the file, line and item."""


@dataclass(frozen=True)
class GoldPassage:
    document_id: str
    quote: str


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


def _parse(raw: dict, texts: dict[str, str]) -> EvalItem:
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
    gold = []
    for g in gold_raw:
        if not isinstance(g, dict) or not isinstance(g.get("document_id"), str) or not isinstance(g.get("quote"), str) or not g["quote"].strip():
            raise ValueError(f"gold passage {g!r} needs a document_id and a non-empty quote")
        text = texts.get(g["document_id"])
        if text is None:
            raise ValueError(f"gold document '{g['document_id']}' is not in the corpus ({', '.join(sorted(texts))})")
        if g["quote"] not in text:
            raise ValueError(f"gold quote {g['quote']!r} is not a substring of {g['document_id']}'s normalized text")
        gold.append(GoldPassage(g["document_id"], g["quote"]))
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
    texts = corpus_texts(corpus_dir)
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
            items.append(_parse(raw, texts))
        except ValueError as exc:
            raise _fail(path, number, item_id, str(exc)) from exc
    if not items:
        raise DatasetError(f"{path} holds no items")
    return items
