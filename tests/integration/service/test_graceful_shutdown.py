"""SIGTERM while an upload job runs, with the real app under uvicorn, the real model and Chroma: the server stops
within a bounded time, the job is cancelled at a stage boundary, and the index is as it was: the old version live and
searchable after a restart, no vectors of the cancelled version, the old file in uploads/ and nothing staged."""

import shutil
import signal
import time

import httpx
import pytest
from fixtures.homes import CORPUS, FIXTURE_REPORTS, make_settings
from fixtures.live_server import start_server, stop_server

from ingest.index.catalog import Catalog
from ingest.index.vectors import VectorStore
from ingest.pipeline import Ingestor
from service.jobs import INCOMING

pytestmark = pytest.mark.slow

VAXJO = FIXTURE_REPORTS / "vaxjo-2019-forstudie-ensamkommande.txt"
# The app waits SHUTDOWN_JOB_WAIT_S (8 s) for the job to reach a stage boundary; uvicorn's own shutdown comes on top.
STOP_WITHIN_S = 15
# Settings of the server under test: the job's progress is polled faster than the default rate limit allows.
SERVER_ENV = {"AUDITQA_RATE_LIMIT_PER_MINUTE": "0"}


def job_in_embedding(url: str, job_id: str, timeout_s: float = 300) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = httpx.get(f"{url}/v1/jobs/{job_id}", timeout=10).json()
        assert job["status"] in ("queued", "running"), job
        if job["progress"]["stage"] == "embedding" and job["progress"]["chunks_done"] > 0:
            return job
        time.sleep(0.1)
    pytest.fail("the job never started embedding")


def test_sigterm_during_an_upload_cancels_the_job_and_keeps_the_old_version(tmp_path, embedder):
    settings = make_settings(tmp_path / "home")
    uploads = settings.uploads_path
    uploads.mkdir(parents=True)
    live_file = uploads / VAXJO.name
    shutil.copyfile(VAXJO, live_file)
    Ingestor(settings, embedder).run_files([live_file])
    before = Catalog(settings.catalog_path).documents()
    # The replacement: long enough (the Växjö report and two corpus reports, some 70 chunks) to be embedding for a while.
    replacement = VAXJO.read_bytes() + b"".join(
        (CORPUS / name).read_bytes() for name in ("alvesta-2018-introduktion-nyanlanda.txt", "hultsfred-2019-asyl-integration.txt")
    )

    with open(tmp_path / "uvicorn.log", "wb") as log:
        process, url = start_server(settings.home, log, env=SERVER_ENV)
        try:
            accepted = httpx.post(
                f"{url}/v1/documents", params={"replace": "true"}, files={"file": (VAXJO.name, replacement, "text/plain")}, timeout=30
            )
            assert accepted.status_code == 202, accepted.text
            job_in_embedding(url, accepted.json()["job_id"])
            process.send_signal(signal.SIGTERM)
            started = time.monotonic()
            returncode = process.wait(timeout=60)
            stopped_s = time.monotonic() - started
        finally:
            if process.poll() is None:
                stop_server(process)
    output = (tmp_path / "uvicorn.log").read_text(errors="replace")
    # uvicorn shuts down, then raises the signal it caught again: exit by SIGTERM is its clean exit.
    assert returncode in (0, -signal.SIGTERM) and stopped_s <= STOP_WITHIN_S, (returncode, stopped_s, output[-3000:])
    # Cancelled at a stage boundary, the job put its file back itself; on a machine too busy for the next boundary to
    # come within SHUTDOWN_JOB_WAIT_S it died with the process, and the next start puts the file back.
    stopped_at_boundary = "a job was still running" not in output
    print(f"stopped {stopped_s:.1f} s after SIGTERM; job {'cancelled at a stage boundary' if stopped_at_boundary else 'killed with the process'}")
    if stopped_at_boundary:
        assert_old_version_only(settings, before)

    with open(tmp_path / "uvicorn-again.log", "wb") as log:
        process, url = start_server(settings.home, log, env=SERVER_ENV)
        try:
            hits = httpx.post(f"{url}/v1/search", json={"query": "ensamkommande barn", "top_k": 3}, timeout=30).json()["results"]
            assert hits and {h["document_id"] for h in hits} == {VAXJO.stem}
            assert httpx.get(f"{url}/v1/documents/{VAXJO.stem}", timeout=30).json()["chunks"] == before[0].chunk_count
        finally:
            stop_server(process)
    assert_old_version_only(settings, before)


def assert_old_version_only(settings, before) -> None:
    """The index and uploads/ as they were before the cancelled replacement: no vector, file or staging of it left."""
    catalog = Catalog(settings.catalog_path)
    assert [(d.document_id, d.content_hash, d.chunk_count) for d in catalog.documents()] == [
        (d.document_id, d.content_hash, d.chunk_count) for d in before
    ]
    store = VectorStore(settings)
    assert store.document_ids() == {VAXJO.stem} and store.count() == before[0].chunk_count
    uploads = settings.uploads_path
    assert sorted(p.name for p in uploads.iterdir() if p.name != INCOMING) == [VAXJO.name]
    assert (uploads / VAXJO.name).read_bytes() == VAXJO.read_bytes()
    assert not (uploads / INCOMING).exists() or not any((uploads / INCOMING).iterdir())
