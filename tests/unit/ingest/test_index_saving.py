"""Ingest leaves Chroma's HNSW index (of the chunks collection, the only one) saved: the next start loads it without
replaying Chroma's log. Observed on disk, in Chroma's own tables: the vector segment's saved sequence id
(`max_seq_id`) against the collection's log (`embeddings_queue`), and the index's id map beside its files. The five
bundled reports are fewer chunks than Chroma's sync_threshold, so without the save Chroma would never have saved it."""

import shutil
import sqlite3
from pathlib import Path

import pytest
from fixtures.fake_embedder import FakeEmbedder
from fixtures.homes import CORPUS, make_settings

from ingest.index.vectors import VectorStore, make_client
from ingest.pipeline import Ingestor


def _replay(path: Path, collection) -> int | None:
    """The records of the collection's log that its next load would replay (beyond its index's saved sequence id), or
    None when the index was never saved (all of the log)."""
    with sqlite3.connect(f"file:{path / 'chroma.sqlite3'}?mode=ro", uri=True) as db:
        segment, saved = db.execute(
            "SELECT s.id, m.seq_id FROM segments s LEFT JOIN max_seq_id m ON m.segment_id = s.id"
            " WHERE s.collection = ? AND s.scope = 'VECTOR'", (str(collection.id),),
        ).fetchone()
        if saved is None or not (path / segment / "index_metadata.pickle").is_file():
            return None
        return db.execute(
            "SELECT count(*) FROM embeddings_queue WHERE topic LIKE ? AND seq_id > ?", (f"%{collection.id}", saved)
        ).fetchone()[0]


def _log_length(path: Path) -> int | None:
    with sqlite3.connect(f"file:{path / 'chroma.sqlite3'}?mode=ro", uri=True) as db:
        return db.execute("SELECT max(seq_id) FROM embeddings_queue").fetchone()[0]


@pytest.fixture
def ingested(tmp_path) -> Ingestor:
    reports = tmp_path / "reports"
    shutil.copytree(CORPUS, reports)
    ingestor = Ingestor(make_settings(tmp_path / "home"), FakeEmbedder())
    assert len(ingestor.run(reports).added) == 5
    return ingestor


def test_an_ingest_run_leaves_the_index_saved_with_nothing_to_replay(ingested):
    store, path = ingested.store, ingested.settings.chroma_path
    assert [c.name for c in make_client(ingested.settings).list_collections()] == [store.chunks.name], "units are not in Chroma"
    threshold = store.chunks.configuration_json["hnsw"]["sync_threshold"]
    assert store.chunks.count() < threshold == 1000, "Chroma's own cadence would not have saved it; its configuration is unchanged"
    assert _replay(path, store.chunks) == 0


def test_a_delete_leaves_the_index_saved_and_a_run_that_writes_nothing_adds_nothing_to_the_log(ingested, tmp_path):
    store, path = ingested.store, ingested.settings.chroma_path
    document_id = ingested.catalog.documents()[0].document_id
    assert ingested.remove(document_id)
    assert _replay(path, store.chunks) == 0
    written = _log_length(path)
    report = ingested.run(tmp_path / "reports")
    assert report.added == [document_id] and _log_length(path) > written
    written = _log_length(path)
    assert not ingested.run(tmp_path / "reports").changed
    assert _log_length(path) == written, "nothing written, nothing to save"


def test_a_store_on_a_chroma_server_is_left_to_the_server(tmp_path):
    settings = make_settings(tmp_path / "home")
    store = VectorStore(settings.model_copy(update={"chroma_url": "http://127.0.0.1:9"}), client=make_client(settings))
    store.delete_version("some-report", "0" * 64)
    written = _log_length(settings.chroma_path)
    store.save_indexes()
    assert _log_length(settings.chroma_path) == written
