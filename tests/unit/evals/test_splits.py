"""Fast tests of the fixed tuning / held-out splits (evals/splits.toml): shape, stratification, and that they never change."""

import math
import os
from collections import Counter
from pathlib import Path

import pytest

from evals.dataset import EvalItem, GoldPassage, load_items, load_real_items, read_real_manifest, real_texts
from evals.runner import flat_metrics, selected_sets
from evals.splits import SPLITS_PATH, SplitsError, check_dev, check_real, load_splits

SHARED_REAL = Path(os.environ.get("AUDITQA_REAL_REPORTS_DIR") or Path(__file__).resolve().parents[4] / "shared" / "data" / "real-reports")
needs_shared = pytest.mark.skipif(not (SHARED_REAL / "manifest.toml").is_file(), reason=f"the real reports are not at {SHARED_REAL}")

# The split is fixed once (2026-12-01). This digest changes with any edit of the split itself: DO NOT update it to
# make the test pass; an edited split voids every held-out figure measured so far.
PINNED_DIGEST = "432dbbae58b879b5270dc516fce650078509d806"


def test_the_split_file_is_the_one_fixed_on_2026_12_01():
    assert load_splits().digest() == PINNED_DIGEST, f"{SPLITS_PATH.name} changed: the splits are fixed once and never edited"


def test_real_reports_split_by_report_11_to_6():
    splits = load_splits()
    assert len(splits.real_tune) == 11 and len(splits.real_heldout) == 6
    assert not set(splits.real_tune) & set(splits.real_heldout)


def test_dev_split_about_100_to_40_and_stratified_by_kind():
    splits, items = load_splits(), load_items()
    check_dev(splits, items)
    assert len(splits.dev_heldout) == 40
    kinds = Counter(i.kind for i in items)
    held = Counter(i.kind for i in items if splits.dev_part(i) == "heldout")
    for kind, n in kinds.items():
        share = n * 40 / len(items)
        assert math.floor(share) <= held[kind] <= math.ceil(share), f"{kind}: {held[kind]} of {n} held out"


def _item(item_id: str, *documents: str) -> EvalItem:
    gold = tuple(GoldPassage(d, "q", 0, 1) for d in documents)
    return EvalItem(item_id, "fact" if gold else "scope", ("?",), bool(gold), gold, ((".",),) if gold else (), ())


def test_an_item_belongs_to_the_part_of_its_reports():
    splits = load_splits()
    tune, held = splits.real_tune[0], splits.real_heldout[0]
    assert splits.real_part(_item("a", tune)) == "tune" and splits.real_part(_item("b", held, held)) == "heldout"
    with pytest.raises(SplitsError, match="both parts"):
        splits.real_part(_item("c", tune, held))
    listed = sorted(splits.real_heldout_unanswerable)[0]
    assert splits.real_part(_item(listed)) == "heldout" and splits.real_part(_item("real-unlisted-01")) == "tune"


def test_check_real_rejects_a_report_without_a_part():
    splits = load_splits()
    with pytest.raises(SplitsError, match="unassigned"):
        check_real(splits, [], [*splits.real_tune, *splits.real_heldout, "new-report"])


@needs_shared
def test_the_real_split_fits_the_reports_and_mixes_firms():
    splits, items = load_splits(), load_real_items(SHARED_REAL)
    check_real(splits, items, real_texts(SHARED_REAL))
    firms = {entry["file"].removesuffix(".txt"): entry.get("firm", "").split(" ")[0] for entry in read_real_manifest(SHARED_REAL)}
    for part in (splits.real_tune, splits.real_heldout):
        assert len({firms[r] for r in part if firms[r]}) >= 3, "each part needs several firms"
    parts = Counter(splits.real_part(i) for i in items)
    assert parts["heldout"] >= 50 and parts["tune"] >= 100
    refusals = Counter(splits.real_part(i) for i in items if not i.answerable)
    assert refusals["heldout"] >= 8 and refusals["tune"] >= 8


def test_selected_sets():
    assert selected_sets("all") == ("dev", "swefaq", "real")
    assert selected_sets("dev+swefaq") == ("dev", "swefaq") and selected_sets("real") == ("real",)
    for bad in ("bogus", "dev+dev", "dev+", "all+real"):
        with pytest.raises(ValueError):
            selected_sets(bad)


def test_flat_metrics_name_every_part_of_both_sets():
    part = {"key_fact_accuracy": 0.5, "forbidden_rate": 0.0, "citation_precision": 0.9, "citation_recall": 0.8,
            "refusal_precision": 0.4, "refusal_recall": 0.6}
    gap = dict.fromkeys(part, 0.1)
    summary = {"n": 1, "recall@5": 1.0}
    report = {
        "splits": {s: {"tune": part, "heldout": part, "gap": gap, "n": {"tune": 1, "heldout": 1}} for s in ("dev", "real")},
        "real": {"answers": part, "retrieval": {"hybrid+filters": summary}, "retrieval_parts": {"tune": summary, "heldout": summary}},
    }
    flat = flat_metrics(report)
    assert flat["answers.real.heldout.key_fact_accuracy"] == 0.5 and flat["answers.dev.gap.refusal_recall"] == 0.1
    assert flat["answers.real.citation_recall"] == 0.8 and flat["retrieval.real.heldout.hybrid+filters.recall@5"] == 1.0


def test_swefaq_is_split_by_its_own_dev_and_test_files(tmp_path):
    import json

    from evals.swefaq import load_swefaq

    for split, questions in (("dev", ["Hur söker jag?", "Vad kostar det?"]), ("test", ["När öppnar ni?"])):
        rows = [{"question": q, "candidate_answers": [f"svar {q}", "annat"], "label": 0} for q in questions]
        (tmp_path / f"swefaq_{split}.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    data = load_swefaq(tmp_path)
    assert data.parts == ["tune", "tune", "heldout"]
    assert len(data.documents) == 4 and data.gold == [0, 2, 3]
