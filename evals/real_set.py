"""The real-report set: reports by other firms, ingested IN PLACE into a throwaway home and asked through the app.

The reports live outside the repository (settings.real_reports_dir, AUDITQA_REAL_REPORTS_DIR); nothing of
their text is copied into the project. Their `manifest.toml` (`[[report]]`: file, municipality, year, title,
firm …) is mapped here to the pipeline's manifest format (`[[document]]` keyed by document_id, bare
municipality names as in corpus/manifest.toml) and handed to `Ingestor.run_files`. The home is a temporary
folder (or one the caller names), never the user's AUDITQA_HOME, with its own embedded Chroma.
"""

import logging
import tempfile
import time
import unicodedata
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

from evals import answer_eval, retrieval_eval
from evals.dataset import REAL_PATH, EvalItem, RealReportsError, read_real_manifest
from evals.splits import Splits
from ingest.config import Settings

log = logging.getLogger(__name__)

COLLECTION_PREFIX = "auditqa-real-eval"


def real_reports_dir(settings: Settings) -> Path:
    """The real reports' folder, from AUDITQA_REAL_REPORTS_DIR: outside the repository, so nothing guesses where it is."""
    if settings.real_reports_dir is None:
        raise RealReportsError(
            "the real-report set is not configured: set AUDITQA_REAL_REPORTS_DIR to its folder (.ci/run sets ../shared/data/real-reports)"
        )
    folder = Path(settings.real_reports_dir)
    if not folder.is_dir():
        raise RealReportsError(f"AUDITQA_REAL_REPORTS_DIR={folder} is not a folder; point it at ../shared/data/real-reports")
    return folder


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text.lower()) if not unicodedata.combining(c))


def bare_municipality(name: str, document_id: str) -> str:
    """'Falkenbergs kommun' -> 'Falkenberg', 'Göteborgs Stad' -> 'Göteborg', 'Hällefors kommun' -> 'Hällefors'.

    The genitive -s is dropped only when the file's slug (its first word) says so: Hällefors keeps its s."""
    words = name.split()
    if len(words) > 1 and words[-1].lower() in ("kommun", "stad", "kommuns", "stads"):
        words = words[:-1]
    bare = " ".join(words)
    slug = document_id.split("-")[0]
    if bare.endswith("s") and _fold(bare) != slug and _fold(bare[:-1]) == slug:
        bare = bare[:-1]
    return bare


def pipeline_manifest(folder: Path) -> tuple[list[Path], dict[str, dict]]:
    """The report files (only those the manifest lists: not README.md) and their metadata as `ingest` reads it."""
    paths, manifest = [], {}
    for entry in read_real_manifest(folder):
        path = folder / entry["file"]
        document_id = path.stem
        meta: dict = {"document_id": document_id, "title": entry.get("title") or None}
        if entry.get("municipality"):
            meta["municipality"] = bare_municipality(entry["municipality"], document_id)
        if isinstance(entry.get("year"), int):
            meta["year"] = entry["year"]
        if entry.get("firm"):  # empty = the excerpt names none; leave it to the pipeline, as for any report
            meta["firm"] = entry["firm"]
        paths.append(path)
        manifest[document_id] = {k: v for k, v in meta.items() if v is not None}
    return paths, manifest


def real_settings(settings: Settings, home: Path, folder: Path) -> Settings:
    """The user's settings with a home of their own: embedded Chroma under `home`, a collection prefix of its own."""
    return settings.model_copy(update={"home": home, "corpus_dir": folder, "chroma_url": None, "collection_prefix": COLLECTION_PREFIX})


@contextmanager
def _home(home: Path | None):
    if home is not None:
        home.mkdir(parents=True, exist_ok=True)
        yield home
        return
    with tempfile.TemporaryDirectory(prefix="auditqa-real-eval-", ignore_cleanup_errors=True) as tmp:
        yield Path(tmp)


def run_real(
    settings: Settings,
    embedder,
    items: list[EvalItem],
    splits: Splits,
    progress: Callable[[str], None],
    *,
    home: Path | None = None,
    item_details: Callable | None = None,
) -> dict:
    """Ingest the real reports into a home of their own, rank and ask every item through the app, score both parts."""

    from ingest.pipeline import Ingestor, document_id_for

    folder = real_reports_dir(settings)
    paths, manifest = pipeline_manifest(folder)
    for path in paths:
        if document_id_for(path) != path.stem:
            raise RealReportsError(f"{path.name}: the pipeline would call it '{document_id_for(path)}', not its file stem")
    phases: dict[str, float] = {}

    def phase(name: str, started: float) -> None:
        phases[name] = round(time.perf_counter() - started, 2)
        progress(f"  {name}: {phases[name]:.1f} s")

    with _home(home) as where:
        own = real_settings(settings, where, folder)
        started = time.perf_counter()
        ingest = Ingestor(own, embedder).run_files(paths, manifest=manifest)
        if ingest.failed:
            raise RealReportsError("ingest of the real reports failed: " + "; ".join(f"{n}: {m}" for n, m in ingest.failed))
        phase(f"real: ingest {len(paths)} reports in place", started)
        with answer_eval.in_process_client(own, embedder) as client:
            rankings, records, latencies = answer_eval.rank_and_ask(
                client, items, phase, lambda ids: RealReportsError(f"the real-report index lacks documents the set cites: {', '.join(ids)}"),
                prefix="real: ",
            )
            chunks = len(client.app.state.qa.retriever.view.records)

    part_of = {item.id: splits.real_part(item) for item in items}
    summary, scores = answer_eval.score_answers(items, records)
    by_mode = {mode: {r.item_id: r for r in rs} for mode, rs in rankings.items()}
    hf = rankings["hybrid+filters"]
    details = item_details(items, {r.item_id: r for r in records}, {s.item_id: s for s in scores}, by_mode, None) if item_details else []
    for detail in details:
        detail["part"] = part_of[detail["id"]]
    return {
        "answers": summary,
        "parts": answer_eval.part_summaries(items, scores, part_of),
        "retrieval": {mode: retrieval_eval.summarize(rs) for mode, rs in rankings.items()},
        "retrieval_parts": {part: retrieval_eval.summarize([r for r in hf if part_of[r.item_id] == part]) for part in ("tune", "heldout")},
        "latency": {"/v1/ask": answer_eval.latency_summary(latencies)},
        "items": details,
        "phases_s": phases,
        "set": {
            "path": str(REAL_PATH), "folder": str(folder), "items": len(items), "answerable": sum(i.answerable for i in items),
            "reports": {"tune": list(splits.real_tune), "heldout": list(splits.real_heldout)},
            "n_by_part": {part: sum(1 for p in part_of.values() if p == part) for part in ("tune", "heldout")},
            "chunks": chunks, "ingest": ingest.summary(),
            "metadata": manifest,
        },
    }
