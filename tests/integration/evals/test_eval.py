"""CI gate: the full evaluation (dev set ours vs baseline, and SweFAQ) against evals/thresholds.toml.

Uses the session's corpus index and API client, so the corpus is ingested once per test run.
"""

import json
import os
from pathlib import Path

import pytest

from evals.gates import load_gates
from evals.report import summary_text
from evals.runner import run_eval

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def eval_report(api_client, corpus_settings, tmp_path_factory):
    # AUDITQA_EVAL_REPORT_DIR keeps the report somewhere stable (CI artifacts); default: a tmp folder.
    chosen = os.environ.get("AUDITQA_EVAL_REPORT_DIR")
    out = Path(chosen) if chosen else tmp_path_factory.mktemp("eval-report")
    report = run_eval("all", corpus_settings, out, client=api_client, progress=print)
    print(summary_text(report))
    return report


def test_eval_writes_self_contained_reports(eval_report):
    files = eval_report["meta"]["files"]
    for kind in ("md", "json", "html"):
        with open(files[kind], encoding="utf-8") as handle:
            assert handle.read().strip(), f"report.{kind} is empty"
    with open(files["html"], encoding="utf-8") as handle:
        page = handle.read()
    assert "<svg" in page and "<script src" not in page and "<link " not in page, "report.html must be self-contained"
    with open(files["json"], encoding="utf-8") as handle:
        assert json.load(handle)["metrics"]


def test_eval_covers_every_mode_and_the_baseline(eval_report):
    assert set(eval_report["retrieval"]["ours"]) == {"lexical", "dense", "hybrid", "hybrid+filters"}
    assert eval_report["retrieval"]["baseline"]["n"] == eval_report["retrieval"]["ours"]["hybrid"]["n"] > 0
    assert eval_report["swefaq"]["n_documents"] == 219 and eval_report["swefaq"]["n_questions"] == 219
    assert eval_report["latency"]["/v1/ask"]["n"] >= len(eval_report["items"])


def test_eval_meets_every_threshold(eval_report):
    gates = {g["metric"]: g for g in eval_report["gates"]}
    assert set(gates) == {g.metric for g in load_gates()}, "every gate must be measured by the full eval"
    failed = []
    for g in gates.values():
        op = "<=" if g["lower_is_better"] else ">="
        if not g["passed"]:
            measured = "n/a" if g["measured"] is None else f"{g['measured']:.3f}"
            failed.append(f"{g['metric']}: measured {measured}, threshold {op} {g['threshold']:.3f}")
    assert not failed, "eval below thresholds (evals/thresholds.toml):\n" + "\n".join(failed) + f"\nreport: {eval_report['meta']['files']['html']}"
