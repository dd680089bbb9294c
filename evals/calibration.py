"""The refusal curve: how the extractive answerer's evidence threshold trades refusing for answering.

The extractive answerer answers only above an evidence threshold (`Thresholds`: the similarity a sentence
needs, a little less where the word overlap is strong). `python -m evals.calibration` moves all of its
similarity thresholds together by a margin and asks every item of the dev and real-report sets again
through the app, each loaded once; the structured answerers and the scope refusals do not depend on it.
The threshold is chosen on the TUNE parts only; the held-out parts are printed beside it to show whether
the choice generalizes, never to choose. Writes `evals/reports/calibration.json` and prints the table the
docs/evaluation.md shows. Needs the dev index in AUDITQA_HOME (`auditqa eval --set dev` builds it) and
AUDITQA_REAL_REPORTS_DIR.
"""

import json
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from evals import answer_eval
from evals.dataset import load_items, load_real_items
from evals.real_set import pipeline_manifest, real_reports_dir, real_settings
from evals.runner import REPORTS_DIR, api_client
from evals.splits import load_splits
from ingest.config import get_settings

MARGINS = (-0.06, -0.04, -0.02, 0.0, 0.02, 0.04)
KEYS = ("key_fact_accuracy", "refusal_precision", "refusal_recall")


def _shifted(base, margin: float):
    return replace(
        base,
        min_similarity=base.min_similarity + margin,
        strong_similarity=base.strong_similarity + margin,
        relaxed_similarity=base.relaxed_similarity + margin,
        cross_language_similarity=base.cross_language_similarity + margin,
    )


def curve(client, items, part_of: dict[str, str]) -> dict[float, dict]:
    """margin -> {tune: {...}, heldout: {...}} for the items asked through `client`'s app."""
    extractive = client.app.state.qa.extractive
    base = extractive.thresholds
    out = {}
    try:
        for margin in MARGINS:
            extractive.thresholds = _shifted(base, margin)
            records, _ = answer_eval.ask_all(client, items)
            _, scores = answer_eval.score_answers(items, records)
            parts = answer_eval.part_summaries(items, scores, part_of)
            out[margin] = {part: {k: parts[part][k] for k in KEYS} for part in ("tune", "heldout")}
    finally:
        extractive.thresholds = base
    return out


def main() -> int:
    from ingest.pipeline import Ingestor

    settings = get_settings()
    splits = load_splits()
    dev = load_items()
    with api_client(settings) as client:
        dev_curve = curve(client, dev, {i.id: splits.dev_part(i) for i in dev})
        embedder = client.app.state.qa.embedder
    folder = real_reports_dir(settings)
    real = load_real_items(folder)
    with tempfile.TemporaryDirectory(prefix="auditqa-calibration-") as tmp:
        own = real_settings(settings, Path(tmp), folder)
        paths, manifest = pipeline_manifest(folder)
        Ingestor(own, embedder).run_files(paths, manifest=manifest)
        with answer_eval.in_process_client(own, embedder) as client:
            real_curve = curve(client, real, {i.id: splits.real_part(i) for i in real})
    result = {"margins": list(MARGINS), "dev": {str(m): v for m, v in dev_curve.items()}, "real": {str(m): v for m, v in real_curve.items()}}
    REPORTS_DIR.mkdir(parents=True, exist_ok=True)
    (REPORTS_DIR / "calibration.json").write_text(json.dumps(result, indent=2))
    print("| margin | dev tune facts / ref.P / ref.R | real tune facts / ref.P / ref.R | dev held-out | real held-out |")
    print("|---|---|---|---|---|")
    for m in MARGINS:
        cells = [" / ".join(f"{c[part][k]:.3f}" if c[part][k] is not None else "—" for k in KEYS)
                 for c, part in ((dev_curve[m], "tune"), (real_curve[m], "tune"), (dev_curve[m], "heldout"), (real_curve[m], "heldout"))]
        print(f"| {m:+.2f} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
