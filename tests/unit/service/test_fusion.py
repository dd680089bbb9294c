"""The hybrid score: z-scored dense and lexical lists in a convex combination (service.query.retrieval.fuse)."""

import pytest

from service.query.retrieval import fuse, rrf


def ranked(scores: dict[str, float]) -> list[str]:
    return [cid for cid, _ in sorted(scores.items(), key=lambda kv: kv[1], reverse=True)]


def test_a_passage_both_lists_put_first_comes_first():
    dense = [("a", 0.91), ("b", 0.85), ("c", 0.84)]
    lexical = [("a", 12.0), ("c", 7.0), ("d", 3.0)]
    assert ranked(fuse(dense, lexical, 0.5))[0] == "a"


def test_a_list_sure_of_its_answer_outweighs_one_that_is_not():
    # Lexical finds "x" far ahead of the rest; dense barely separates its candidates. Rank fusion would tie
    # "x" with dense's first; the scores say lexical is the one that knows.
    dense = [("y", 0.801), ("x", 0.800), ("z", 0.799), ("w", 0.798)]
    lexical = [("x", 30.0), ("w", 2.0), ("y", 1.9), ("z", 1.8)]
    assert ranked(fuse(dense, lexical, 0.5))[0] == "x"
    assert ranked(rrf([dense, lexical]))[0] in ("x", "y")


def test_the_weight_moves_the_balance_and_an_empty_list_leaves_the_other():
    dense = [("d", 0.9), ("l", 0.7), ("o", 0.6)]
    lexical = [("l", 9.0), ("d", 3.0), ("o", 2.0)]
    assert ranked(fuse(dense, lexical, 1.0))[0] == "d"
    assert ranked(fuse(dense, lexical, 0.0))[0] == "l"
    assert ranked(fuse(dense, [], 0.5)) == ["d", "l", "o"]
    assert ranked(fuse([], lexical, 0.5)) == ["l", "d", "o"]


def test_a_passage_one_list_lacks_gets_that_lists_floor():
    dense = [("a", 0.9), ("b", 0.5)]
    lexical = [("c", 5.0), ("b", 1.0)]
    fused = fuse(dense, lexical, 0.5)
    assert set(fused) == {"a", "b", "c"}
    assert fused["a"] == pytest.approx(fused["c"])  # each first in its own list, floor in the other


def test_rank_fusion_weights_its_lists():
    fused = rrf([[("a", 0.0), ("b", 0.0)], [("b", 0.0)]], k=15, weights=(2.0, 1.0))
    assert fused["a"] == pytest.approx(2 / 16) and fused["b"] == pytest.approx(2 / 17 + 1 / 16)
