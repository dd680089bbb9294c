"""Bounded work and faults with the real app, Chroma (embedded) and SQLite: a full job queue is 429, jobs can be
cancelled and time out with the old version live, queries beyond the concurrency limit are a fast 503, a full disk is
named, a damaged catalog is one line at start-up, and an interrupted delete is finished at the next start."""

import errno
import os
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from fixtures.fake_embedder import FakeEmbedder
from fixtures.homes import FIXTURE_REPORTS, make_settings

from ingest.config import PROJECT_ROOT
from ingest.index import database
from ingest.index.catalog import Catalog
from ingest.index.database import DatabaseCorruptError, check_intact
from ingest.index.vectors import VectorStore
from ingest.pipeline import Ingestor
from service import cli
from service.api.app import create_app

VAXJO = FIXTURE_REPORTS / "vaxjo-2019-forstudie-ensamkommande.txt"
SKELLEFTEA = FIXTURE_REPORTS / "skelleftea-2020-integrationsarbete.txt"
LJUNGBY = FIXTURE_REPORTS / "ljungby-2021-mottagande-nyanlanda.md"


class GatedEmbedder(FakeEmbedder):
    """The fake embedder, made to wait at a gate while `hold` is set: a job or a query that stays busy on demand."""

    def __init__(self) -> None:
        self.hold = threading.Event()
        self.entered = threading.Event()
        self._open = threading.Event()
        self._open.set()

    def close_gate(self) -> None:
        self._open.clear()
        self.entered.clear()

    def open_gate(self) -> None:
        self._open.set()

    def _wait(self) -> None:
        self.entered.set()
        assert self._open.wait(30), "the test never opened the gate"

    def embed_passages(self, texts):
        self._wait()
        return super().embed_passages(texts)

    def embed_query(self, text):
        if self.hold.is_set():
            self._wait()
        return super().embed_query(text)


def upload(client, path: Path, wait: bool = False, data: bytes | None = None, replace: bool = False):
    params = {k: "true" for k, on in (("wait", wait), ("replace", replace)) if on}
    return client.post("/v1/documents", params=params, files={"file": (path.name, data if data is not None else path.read_bytes(), "text/plain")})


def finished(client, job_id: str, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/v1/jobs/{job_id}").json()
        if job["status"] not in ("queued", "running"):
            return job
        time.sleep(0.05)
    pytest.fail(f"job {job_id} did not finish")


def listed(client) -> set[str]:
    return {d["document_id"] for d in client.get("/v1/documents").json()["documents"]}


def test_a_full_queue_is_429_and_jobs_can_be_cancelled(tmp_path):
    embedder = GatedEmbedder()
    settings = make_settings(tmp_path / "home", max_queued_jobs=1, retry_after_s=7)
    with TestClient(create_app(settings, embedder)) as client:
        embedder.close_gate()
        running = upload(client, VAXJO).json()
        assert embedder.entered.wait(10)  # the first job is embedding, held at the gate
        queued = upload(client, SKELLEFTEA).json()
        refused = upload(client, LJUNGBY)
        assert refused.status_code == 429 and refused.headers["Retry-After"] == "7"
        assert "AUDITQA_MAX_QUEUED_JOBS" in refused.json()["detail"] and "1" in refused.json()["detail"]
        assert not any((settings.uploads_path / ".incoming").glob(f"*/{LJUNGBY.name}"))

        cancelled = client.delete(f"/v1/jobs/{queued['job_id']}")
        assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
        assert client.delete(f"/v1/jobs/{running['job_id']}").status_code == 200
        embedder.open_gate()
        job = finished(client, running["job_id"])
        assert job["status"] == "cancelled" and job["error"]["status_code"] == 409 and "avbröts" in job["error"]["detail"]
        assert listed(client) == set()
        assert not (settings.uploads_path / VAXJO.name).exists()
        assert list((settings.uploads_path / ".incoming").iterdir()) == []
        again = client.delete(f"/v1/jobs/{running['job_id']}")
        assert again.status_code == 409 and "redan avslutat" in again.json()["detail"]
        assert upload(client, LJUNGBY, wait=True).status_code == 201


def test_a_job_past_its_time_limit_fails_and_the_old_version_stays_live(tmp_path):
    settings = make_settings(tmp_path / "home", job_timeout_s=0.3)
    slow = GatedEmbedder()
    with TestClient(create_app(settings, slow)) as client:
        assert upload(client, VAXJO, wait=True).status_code == 201
        before = client.get(f"/v1/documents/{VAXJO.stem}").json()["text"]
        slow.close_gate()
        threading.Timer(1.0, slow.open_gate).start()  # the embedding takes a second, past the 0.3 s limit
        response = upload(client, VAXJO, wait=True, data=VAXJO.read_bytes() + "\nEtt nytt stycke om ensamkommande.\n".encode(), replace=True)
        assert response.status_code == 503 and "AUDITQA_JOB_TIMEOUT_S" in response.json()["detail"]
        assert client.get(f"/v1/documents/{VAXJO.stem}").json()["text"] == before
        assert (settings.uploads_path / VAXJO.name).read_bytes() == VAXJO.read_bytes()
        hits = client.post("/v1/search", json={"query": "ensamkommande", "filters": {"document_id": [VAXJO.stem]}}).json()["results"]
        assert hits


def test_shutdown_cancels_a_running_job_at_its_next_stage_and_restores_its_file(tmp_path):
    embedder = GatedEmbedder()
    settings = make_settings(tmp_path / "home")
    with TestClient(create_app(settings, embedder)) as client:
        assert upload(client, VAXJO, wait=True).status_code == 201
        live_hash = Catalog(settings.catalog_path).content_hash(VAXJO.stem)
        embedder.close_gate()
        job = upload(client, VAXJO, data=VAXJO.read_bytes() + b"\nEtt nytt stycke.\n", replace=True).json()
        assert embedder.entered.wait(10)
        threading.Timer(0.5, embedder.open_gate).start()  # the embedding group finishes while the app shuts down
        runner = client.app.state.jobs
    # Leaving the client ran the lifespan's shutdown: the job stopped at the boundary after that group.
    stopped = runner.get(job["job_id"])
    assert stopped.status == "cancelled" and "stängdes" in str(stopped.exception)
    assert Catalog(settings.catalog_path).content_hash(VAXJO.stem) == live_hash
    assert [p.name for p in settings.uploads_path.iterdir() if p.is_file()] == [VAXJO.name]
    assert (settings.uploads_path / VAXJO.name).read_bytes() == VAXJO.read_bytes()
    assert list((settings.uploads_path / ".incoming").iterdir()) == []


def test_start_up_puts_right_the_files_a_killed_job_left(tmp_path):
    settings = make_settings(tmp_path / "home")
    uploads = settings.uploads_path
    uploads.mkdir(parents=True)
    live_file = uploads / VAXJO.name
    live_file.write_bytes(VAXJO.read_bytes())
    Ingestor(settings, FakeEmbedder()).run_files([live_file])
    # A replace killed while embedding: the new file in uploads/, the live version's file in its staging folder.
    previous = uploads / ".incoming" / "job-1" / "previous" / VAXJO.name
    previous.parent.mkdir(parents=True)
    live_file.replace(previous)
    live_file.write_bytes(VAXJO.read_bytes() + b"\nEn ny version som aldrig blev aktiv.\n")
    # A new document killed mid-ingest, and a replacement of another type (the live version is the .txt).
    (uploads / SKELLEFTEA.name).write_bytes(SKELLEFTEA.read_bytes())
    (uploads / f"{VAXJO.stem}.md").write_bytes(b"# En ersattning som aldrig blev aktiv\n")
    queued = uploads / ".incoming" / "job-2" / LJUNGBY.name  # queued, never started: left to clean_stale_staging
    queued.parent.mkdir(parents=True)
    queued.write_bytes(LJUNGBY.read_bytes())

    with TestClient(create_app(settings, FakeEmbedder())) as client:
        assert listed(client) == {VAXJO.stem}
    assert sorted(p.name for p in uploads.iterdir() if p.is_file()) == [VAXJO.name]
    assert live_file.read_bytes() == VAXJO.read_bytes()
    assert sorted(p.name for p in (uploads / ".incoming").iterdir()) == ["job-2"]


def test_queries_beyond_the_limit_are_refused_fast_with_503(tmp_path):
    embedder = GatedEmbedder()
    settings = make_settings(tmp_path / "home", max_concurrent_queries=1, query_queue_timeout_s=0.2, retry_after_s=3)
    Ingestor(settings, FakeEmbedder()).run_files([VAXJO])
    with TestClient(create_app(settings, embedder)) as client:
        embedder.close_gate()
        embedder.hold.set()
        first: list = []
        busy = threading.Thread(target=lambda: first.append(client.post("/v1/search", json={"query": "ensamkommande"})))
        busy.start()
        assert embedder.entered.wait(10)
        try:
            for path, body in (("/v1/search", {"query": "ensamkommande"}), ("/v1/ask", {"question": "Vad bedömde revisorerna?"}),
                               ("/v1/chat/completions", {"model": "auditqa-extractive", "messages": [{"role": "user", "content": "Vad?"}]})):
                started = time.monotonic()
                refused = client.post(path, json=body)
                assert refused.status_code == 503 and refused.headers["Retry-After"] == "3", (path, refused.text)
                # The OpenAI route answers in OpenAI's shape.
                message = refused.json()["error"]["message"] if path == "/v1/chat/completions" else refused.json()["detail"]
                assert "AUDITQA_MAX_CONCURRENT_QUERIES" in message and time.monotonic() - started < 2
        finally:
            embedder.hold.clear()
            embedder.open_gate()  # the held request finishes, so that the app can shut down whatever failed above
        busy.join(10)
        assert first[0].status_code == 200
        assert client.post("/v1/search", json={"query": "ensamkommande"}).status_code == 200


def test_a_full_disk_during_ingest_is_named_and_the_old_version_survives(tmp_path, monkeypatch):
    # No small filesystem is mounted here: ENOSPC is raised at the write layer, where Chroma writes the new vectors.
    settings = make_settings(tmp_path / "home")
    with TestClient(create_app(settings, FakeEmbedder())) as client:
        assert upload(client, VAXJO, wait=True).status_code == 201
        before = client.get(f"/v1/documents/{VAXJO.stem}").json()["text"]
        store = client.app.state.qa.retriever.store

        def full(*args, **kwargs):
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(store.chunks, "upsert", full)
        response = upload(client, VAXJO, wait=True, data=VAXJO.read_bytes() + "\nEtt nytt stycke.\n".encode(), replace=True)
        assert response.status_code == 507 and response.json()["detail"].startswith("Disken är full")
        assert client.get(f"/v1/documents/{VAXJO.stem}").json()["text"] == before
        assert client.post("/v1/search", json={"query": "ensamkommande"}).status_code == 200


@pytest.mark.parametrize("damaged", ["catalog.sqlite3", "units.sqlite3"])
@pytest.mark.parametrize("damage", [b"", b"this is not a database at all" * 100])
def test_a_damaged_catalog_or_unit_store_is_one_line_at_start_up_and_rebuild_restores_it(tmp_path, monkeypatch, capsys, damage, damaged):
    home = tmp_path / "home"
    monkeypatch.setenv("AUDITQA_HOME", str(home))
    monkeypatch.setattr(cli, "_embedder", lambda settings: FakeEmbedder())
    cli.get_settings.cache_clear()
    try:
        folder = tmp_path / "rapporter"
        folder.mkdir()
        (folder / VAXJO.name).write_bytes(VAXJO.read_bytes())
        assert cli.main(["ingest", str(folder)]) == 0
        path = home / damaged
        for leftover in (home / f"{damaged}-wal", home / f"{damaged}-shm"):
            leftover.unlink(missing_ok=True)
        path.write_bytes(damage)
        capsys.readouterr()
        for command in (["ingest", str(folder)], ["serve"], ["status"]):
            assert cli.main(command) == 2
            err = capsys.readouterr().err.strip().splitlines()
            assert len(err) == 1 and str(path) in err[0] and "auditqa ingest --rebuild" in err[0] and "Traceback" not in err[0], err
        assert cli.main(["ingest", "--rebuild", str(folder)]) == 0
        settings = make_settings(home)
        records = Catalog(settings.catalog_path).chunks()
        assert {r.chunk.document_id for r in records} == {VAXJO.stem}
        assert set(VectorStore(settings).unit_vectors(records)) == {r.chunk.chunk_id for r in records if r.chunk.units}
    finally:
        cli.get_settings.cache_clear()


def test_the_catalogs_full_check_runs_once_for_each_state_of_the_file(tmp_path, monkeypatch):
    """`PRAGMA quick_check` reads the whole catalog (0.7 s at 10,000 reports, at every start before): it runs where
    the file changed since a check passed, not again at a restart over the same file; a page damaged afterwards
    changes the file, so the next start checks it and names it."""
    settings = make_settings(tmp_path / "home")
    folder = tmp_path / "rapporter"
    folder.mkdir()
    (folder / VAXJO.name).write_bytes(VAXJO.read_bytes())
    Ingestor(settings, FakeEmbedder()).run(folder)
    checked: list[str] = []
    connect = database.connect

    @contextmanager
    def traced(path, functions=None):
        with connect(path, functions) as db:
            db.set_trace_callback(lambda sql: checked.append(path.name) if "quick_check" in sql else None)
            yield db

    monkeypatch.setattr(database, "connect", traced)
    path = settings.catalog_path
    for _ in range(3):
        Catalog(path)
    check_intact(path)
    assert checked == ["catalog.sqlite3"], "checked once after the ingest's writes, not at every open"

    (folder / SKELLEFTEA.name).write_bytes(SKELLEFTEA.read_bytes())
    Ingestor(settings, FakeEmbedder()).run(folder)
    checked.clear()
    Catalog(path)
    Catalog(path)
    assert checked == ["catalog.sqlite3"], "the file changed: checked again, once"

    with sqlite3.connect(path) as db:
        root = db.execute("SELECT rootpage FROM sqlite_master WHERE name='chunks'").fetchone()[0]
        page_size = db.execute("PRAGMA page_size").fetchone()[0]
    with open(path, "r+b") as handle:
        handle.seek((root - 1) * page_size + 8)
        handle.write(b"\xff" * 512)
    for _ in range(2):
        with pytest.raises(DatabaseCorruptError, match="auditqa ingest --rebuild") as raised:
            Catalog(path)
        assert str(path) in str(raised.value)


KILLED_MID_DELETE = """
import os, signal, sys
sys.path.insert(0, "tests")
from fixtures.fake_embedder import FakeEmbedder
from fixtures.homes import make_settings
from ingest.index.findings_store import FindingsStore
from ingest.pipeline import Ingestor

# The vectors are gone when the process dies: the catalog still lists the document, and the intent is recorded.
FindingsStore.delete = lambda self, document_id: os.kill(os.getpid(), signal.SIGKILL)
Ingestor(make_settings(sys.argv[1]), FakeEmbedder()).remove(sys.argv[2])
"""


def test_a_delete_killed_midway_is_finished_at_the_next_start(tmp_path):
    settings = make_settings(tmp_path / "home")
    Ingestor(settings, FakeEmbedder()).run_files([VAXJO, SKELLEFTEA])
    process = subprocess.run(
        [sys.executable, "-c", KILLED_MID_DELETE, str(settings.home), VAXJO.stem],
        cwd=PROJECT_ROOT, env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}, capture_output=True, timeout=120,
    )
    assert process.returncode == -9, process.stderr.decode()
    catalog = Catalog(settings.catalog_path)
    assert VAXJO.stem in catalog.pending_deletes() and VAXJO.stem in {d.document_id for d in catalog.documents()}

    with TestClient(create_app(settings, FakeEmbedder())) as client:
        assert listed(client) == {SKELLEFTEA.stem}
        assert client.get("/healthz").json()["documents"] == 1
        filtered = client.post("/v1/search", json={"query": "ensamkommande", "filters": {"document_id": [VAXJO.stem]}})
        assert filtered.status_code == 422
    assert Catalog(settings.catalog_path).pending_deletes() == {}
    assert VectorStore(settings).document_ids() == {SKELLEFTEA.stem}
