"""The fixed tuning / held-out splits of evals/splits.toml, and the check that they fit the eval sets.

Real reports are split by report: an answerable item belongs to the part of its gold reports (which must all
lie in one part); a refusal (no gold) is held-out when `real.heldout_unanswerable` lists it, else tune. The
dev set is split by item: `dev.heldout` lists the held-out ids; every other item is tune.
"""

import hashlib
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from evals.dataset import DatasetError, EvalItem

SPLITS_PATH = Path(__file__).resolve().parent / "splits.toml"
PARTS = ("tune", "heldout")


class SplitsError(DatasetError):
    """splits.toml is malformed or does not fit the eval sets."""


@dataclass(frozen=True)
class Splits:
    real_tune: tuple[str, ...]
    real_heldout: tuple[str, ...]
    real_heldout_unanswerable: frozenset[str]
    dev_heldout: frozenset[str]

    def dev_part(self, item: EvalItem) -> str:
        return "heldout" if item.id in self.dev_heldout else "tune"

    def real_part(self, item: EvalItem) -> str:
        if not item.gold:
            return "heldout" if item.id in self.real_heldout_unanswerable else "tune"
        parts = {"heldout" if g.document_id in self.real_heldout else "tune" for g in item.gold}
        if len(parts) != 1:
            raise SplitsError(f"real item '{item.id}' cites reports of both parts; an item's gold must lie in one part")
        return parts.pop()

    def digest(self) -> str:
        """sha1 over the split itself (not the file's comments): pinned by a unit test so that no edit goes unnoticed."""
        canon = "|".join([",".join(sorted(self.real_tune)), ",".join(sorted(self.real_heldout)),
                          ",".join(sorted(self.real_heldout_unanswerable)), ",".join(sorted(self.dev_heldout))])
        return hashlib.sha1(canon.encode()).hexdigest()


def _ids(raw: dict, section: str, key: str) -> list[str]:
    value = (raw.get(section) or {}).get(key)
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise SplitsError(f"{SPLITS_PATH.name}: [{section}] {key} must be a list of ids")
    if len(set(value)) != len(value):
        raise SplitsError(f"{SPLITS_PATH.name}: [{section}] {key} lists an id twice")
    return value


def load_splits(path: Path = SPLITS_PATH) -> Splits:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SplitsError(f"cannot read {path}: {exc}") from exc
    tune, heldout = _ids(raw, "real", "tune"), _ids(raw, "real", "heldout")
    both = set(tune) & set(heldout)
    if both:
        raise SplitsError(f"{path.name}: reports in both real parts: {', '.join(sorted(both))}")
    return Splits(
        tuple(tune), tuple(heldout), frozenset(_ids(raw, "real", "heldout_unanswerable")), frozenset(_ids(raw, "dev", "heldout")),
    )


def check_dev(splits: Splits, items: Sequence[EvalItem]) -> None:
    unknown = splits.dev_heldout - {i.id for i in items}
    if unknown:
        raise SplitsError(f"{SPLITS_PATH.name}: [dev] heldout lists ids that dev.jsonl lacks: {', '.join(sorted(unknown))}")


def check_real(splits: Splits, items: Sequence[EvalItem], report_ids: Iterable[str]) -> None:
    """Both parts together are exactly the manifest's reports; listed refusals exist; every item has one part."""
    reports, listed = set(report_ids), set(splits.real_tune) | set(splits.real_heldout)
    if listed != reports:
        missing, extra = sorted(reports - listed), sorted(listed - reports)
        raise SplitsError(f"{SPLITS_PATH.name}: [real] parts do not match the real reports (unassigned: {missing}; unknown: {extra})")
    refusals = {i.id for i in items if not i.gold}
    wrong = splits.real_heldout_unanswerable - refusals
    if wrong:
        raise SplitsError(f"{SPLITS_PATH.name}: [real] heldout_unanswerable lists ids that are not gold-less items of the set: {', '.join(sorted(wrong))}")
    for item in items:
        splits.real_part(item)


def partition(items: Sequence[EvalItem], part_of) -> dict[str, list[EvalItem]]:
    out: dict[str, list[EvalItem]] = {part: [] for part in PARTS}
    for item in items:
        out[part_of(item)].append(item)
    return out
