"""Fast unit tests of the eval metrics, the dataset validation and the gates (no model, no index)."""

import json
import math

import pytest

from evals.answer_eval import AnswerRecord, score_answers
from evals.dataset import DEV_PATH, DatasetError, EvalItem, GoldPassage, load_items
from evals.gates import Gate, check, load_gates, suggested_lines
from evals.metrics import (
    Gold,
    Retrieved,
    all_gold_at,
    citation_hits,
    covers,
    fact_matches,
    forbidden_matches,
    hit_at,
    missing_facts,
    ndcg_at,
    percentile,
    rank_metrics,
    reciprocal_rank,
    refusal_scores,
    relevance,
)
from evals.swefaq import score as swefaq_score

GOLD = [Gold("a", "Vi bedömer kontrollmålet som Ej uppfyllt."), Gold("b", "Revisionens ordförande Johnny Sandström")]


def chunk(doc: str, text: str) -> Retrieved:
    return Retrieved(doc, text)


RELEVANT_A = chunk("a", "Inledning.\nVi  bedömer kontrollmålet\nsom Ej uppfyllt. Mer text.")
RELEVANT_B = chunk("b", "... Revisionens ordförande Johnny Sandström, tel 090-...")
OTHER = chunk("a", "Något helt annat.")
WRONG_DOC = chunk("c", "Vi bedömer kontrollmålet som Ej uppfyllt.")


def test_coverage_normalizes_whitespace_and_needs_the_same_document():
    assert covers(RELEVANT_A, GOLD[0])
    assert not covers(WRONG_DOC, GOLD[0])
    assert not covers(chunk("a", "Vi bedömer kontrollmålet som"), GOLD[0])  # a partial quote is not covered
    assert covers(chunk("x", "rad\tett\t 12"), Gold("x", "rad ett 12"))  # tabs are whitespace


def test_hit_mrr_and_all_gold_on_hand_made_ranking():
    rel = relevance([OTHER, WRONG_DOC, RELEVANT_B, OTHER, RELEVANT_A], GOLD)
    assert [bool(r) for r in rel] == [False, False, True, False, True]
    assert hit_at(rel, 1) == 0.0 and hit_at(rel, 2) == 0.0 and hit_at(rel, 3) == 1.0
    assert reciprocal_rank(rel, 10) == pytest.approx(1 / 3)
    assert reciprocal_rank(rel, 2) == 0.0
    assert all_gold_at(rel, 2, 4) == 0.0 and all_gold_at(rel, 2, 5) == 1.0
    assert reciprocal_rank([], 10) == 0.0 and hit_at([], 5) == 0.0


def test_ndcg_binary_with_ideal_from_the_whole_index():
    rel = relevance([OTHER, RELEVANT_A, RELEVANT_B], GOLD)
    expected = (1 / math.log2(3) + 1 / math.log2(4)) / (1 + 1 / math.log2(3))
    assert ndcg_at(rel, n_relevant=2, k=10) == pytest.approx(expected)
    assert ndcg_at(relevance([RELEVANT_A, RELEVANT_B], GOLD), 2) == pytest.approx(1.0)
    # a third relevant chunk that was not retrieved lowers the score
    assert ndcg_at(relevance([RELEVANT_A, RELEVANT_B], GOLD), 3) < 1.0
    assert ndcg_at(relevance([OTHER], GOLD), 0) == 0.0


def test_rank_metrics_keys():
    metrics = rank_metrics(relevance([RELEVANT_A], GOLD), n_gold=2, n_relevant=2)
    assert metrics["recall@1"] == 1.0 and metrics["mrr@10"] == 1.0 and metrics["all_gold@10"] == 0.0
    assert set(metrics) == {"recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10", "all_gold@10"}


def test_key_facts_and_forbidden_are_case_insensitive_regexes():
    answer = "Alvesta 2018: Vi bedömer kontrollmålet som EJ UPPFYLLT. Kostnaden var 374 880 kronor."
    assert fact_matches(answer, [r"\bej uppfyllt", r"\binte uppfyllt"])
    assert fact_matches(answer, [r"374\s?880"])
    assert not fact_matches(answer, ["delvis uppfyllt"])
    assert missing_facts(answer, [["ej uppfyllt"], ["Röda korset"], ["kronor", "kr"]]) == [("Röda korset",)]
    assert forbidden_matches(answer, ["delvis uppfyllt", "374"]) == ["374"]


def test_citation_hits_precision_and_recall_counts():
    good, covered = citation_hits([RELEVANT_A, OTHER, RELEVANT_A], GOLD)
    assert (good, covered) == (2, 1)
    assert citation_hits([], GOLD) == (0, 0)


def _item(item_id: str, kind: str, answerable: bool = True, forbidden: tuple[str, ...] = ()) -> EvalItem:
    if not answerable:
        return EvalItem(item_id, "unanswerable", ("Hur många flyktingar tog Göteborg emot?",), False, (), (), ())
    return EvalItem(
        item_id, kind, ("Hur bedömdes kontrollmålet?",), True,
        (GoldPassage("a", GOLD[0].quote),), ((r"\bej uppfyllt",),), forbidden,
    )


def test_answer_scores_overall_and_per_kind():
    items = [_item("v1", "verdict", forbidden=("delvis",)), _item("v2", "verdict"), _item("f1", "fact"), _item("u1", "unanswerable", False), _item("u2", "unanswerable", False)]
    records = [
        AnswerRecord("v1", "Vi bedömer kontrollmålet som Ej uppfyllt. [1]", True, [RELEVANT_A, OTHER]),
        AnswerRecord("v2", "Delvis uppfyllt. [1]", True, [OTHER]),
        # a refusal never counts as a correct answer, even if its text happens to match a fact
        AnswerRecord("f1", "Jag hittar inget stöd ... ej uppfyllt", False, []),
        AnswerRecord("u1", "Jag hittar inget stöd i rapporterna.", False, []),
        AnswerRecord("u2", "Göteborg tog emot 2 000.", True, [OTHER]),
    ]
    summary, scores = score_answers(items, records)
    assert summary["key_fact_accuracy"] == pytest.approx(1 / 3)
    assert summary["citation_precision"] == pytest.approx(1 / 3)  # 1 good of 3 citations on answerable items
    assert summary["citation_recall"] == pytest.approx(1 / 3)  # 1 of 3 gold passages covered
    assert summary["refusal_precision"] == pytest.approx(1 / 2)  # f1 was wrongly refused
    assert summary["refusal_recall"] == pytest.approx(1 / 2)  # u2 was answered
    assert summary["forbidden_rate"] == 0.0  # only v1 has a forbidden list, and its answer is clean
    assert summary["by_kind"]["verdict"]["key_fact_accuracy"] == pytest.approx(0.5)
    by_id = {s.item_id: s for s in scores}
    assert by_id["f1"].refusal_error == "refused an answerable question"
    assert by_id["u2"].refusal_error == "answered an unanswerable question"
    assert by_id["v2"].missing == [(r"\bej uppfyllt",)] and by_id["v2"].failed
    assert not by_id["v1"].failed


def test_refusal_scores_without_refusals_are_not_available():
    scores = refusal_scores([False, False], [True, False])
    assert scores["refusal_precision"] is None and scores["refusal_recall"] == 0.0


def test_percentile_interpolates():
    assert percentile([10, 20, 30, 40], 50) == pytest.approx(25)
    assert percentile([5], 95) == 5
    assert percentile([], 50) is None


def test_swefaq_score():
    result = swefaq_score([[3, 1, 2], [0], [9, 8, 7, 6, 5, 4]], [1, 0, 2])
    assert result["recall@1"] == pytest.approx(1 / 3)
    assert result["recall@5"] == pytest.approx(2 / 3)
    assert result["mrr@10"] == pytest.approx((0.5 + 1.0 + 0.0) / 3)


def test_gates_check_thresholds_and_distance_to_target():
    gates = [
        Gate("a", threshold=0.8, target=0.9),
        Gate("b", threshold=0.5, target_relative_to="ref", target_delta=0.2),
        Gate("c", threshold=0.1, lower_is_better=True),
        Gate("d", threshold=0.8),
        Gate("missing", threshold=0.1),
    ]
    results = {r.metric: r for r in check(gates, {"a": 0.85, "b": 0.6, "ref": 0.5, "c": 0.05, "d": 0.82})}
    assert results["a"].passed and results["a"].target_met is False and results["a"].distance_to_target == pytest.approx(0.05)
    assert results["b"].target == pytest.approx(0.7) and results["b"].distance_to_target == pytest.approx(0.1)
    assert results["c"].passed and results["d"].passed
    assert not results["missing"].passed
    assert "measured 0.850" in results["a"].message()
    lines = "\n".join(suggested_lines(list(results.values())))
    # a, b and c are looser than measured -/+ 0.03; d is within the margin; missing was not measured
    assert 'gates."a"]\nthreshold = 0.83' in lines and 'gates."b"]\nthreshold = 0.58' in lines
    assert 'gates."c"]\nthreshold = 0.07' in lines
    assert '"d"' not in lines and '"missing"' not in lines


def test_thresholds_file_parses():
    gates = load_gates()
    assert gates, "evals/thresholds.toml defines no gates"
    assert all(0.0 <= g.threshold <= 1.0 for g in gates)


def test_dev_set_validates():
    items = load_items()
    assert len(items) == len({i.id for i in items}) >= 100
    assert any(i.multi_turn for i in items) and any(not i.answerable for i in items)


def _write(tmp_path, rows: list[dict]):
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return path


def _row(**overrides) -> dict:
    row = {
        "id": "x-01", "kind": "fact", "question": "Vem?", "answerable": True,
        "gold": [{"document_id": "umea-2018-integrationsarbetet", "quote": "Revisionens ordförande Johnny Sandström, tel"}],
        "must_contain": [["Sandström"]], "must_not_contain": [],
    }
    row.update(overrides)
    return row


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([_row(), _row()], "duplicate id"),
        ([_row(gold=[{"document_id": "umea-2018-integrationsarbetet", "quote": "Johnny Sandström ringer"}])], "not a substring"),
        ([_row(gold=[{"document_id": "nowhere", "quote": "x"}])], "not in the corpus"),
        ([_row(must_contain=[["(unclosed"]])], "does not compile"),
        ([_row(must_not_contain=["[a-"])], "does not compile"),
        ([_row(kind="trivia")], "kind"),
        ([_row(turns=["a", "b"])], "exactly one of"),
    ],
)
def test_dataset_validation_names_the_item(tmp_path, rows, message):
    with pytest.raises(DatasetError) as error:
        load_items(_write(tmp_path, rows))
    assert message in str(error.value)
    assert "x-01" in str(error.value)


def test_dev_path_is_the_bundled_set():
    assert DEV_PATH.name == "dev.jsonl" and DEV_PATH.is_file()


def test_count_relevant_counts_chunks_covering_the_first_gold_passage():
    from evals.retrieval_eval import count_relevant

    item = _item("v1", "verdict")
    assert count_relevant([RELEVANT_A, OTHER, RELEVANT_A, WRONG_DOC], item) == 2
