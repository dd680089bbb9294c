"""Unit vectors live in SQLite beside the catalog, not in Chroma: ingest writes them there with their version, an
answer reads them by id, a delete and a replaced version take theirs along, a metadata change reuses them; and a home
made before, whose units are a Chroma collection, has them copied out and the collection dropped when it is opened
(again after a copy that failed part-way). Real embedded Chroma and SQLite in tmp_path, the fake embedder."""

import shutil
from pathlib import Path

import numpy as np
import pytest
from fixtures.fake_embedder import FakeEmbedder
from fixtures.homes import CORPUS, live_units, make_legacy_units, make_settings

from ingest.index.unit_vectors import STORED, UnitVectorStore
from ingest.index.vectors import VectorStore, make_client
from ingest.pipeline import Ingestor
from ingest.structure.chunking import unit_contexts


@pytest.fixture
def reports(tmp_path) -> Path:
    folder = tmp_path / "reports"
    shutil.copytree(CORPUS, folder)
    return folder


@pytest.fixture
def ingested(reports, tmp_path) -> Ingestor:
    ingestor = Ingestor(make_settings(tmp_path / "home"), FakeEmbedder())
    assert len(ingestor.run(reports).added) == 5
    return ingestor


def _collections(settings) -> list[str]:
    return sorted(c.name for c in make_client(settings).list_collections())


def _index_folders(settings) -> set[str]:
    return {p.name for p in settings.chroma_path.iterdir() if p.is_dir()}


def test_ingest_stores_each_units_vector_beside_the_catalog_as_the_model_made_it(ingested):
    settings = ingested.settings
    assert _collections(settings) == [f"{settings.collection_prefix}_chunks"]
    record = next(r for r in ingested.catalog.chunks() if len(r.chunk.units) > 2)
    text = ingested.catalog.document_text(record.chunk.document_id)
    passages = [f"{context}\n{text[s:e]}" if context else text[s:e] for (s, e), context in zip(record.chunk.units, unit_contexts(record.chunk))]
    stored = ingested.store.unit_vectors([record])[record.chunk.chunk_id]
    assert stored.spans == record.chunk.units
    expected = np.asarray(FakeEmbedder().embed_passages(passages), dtype=np.float32)
    assert np.array_equal(stored.vectors, expected.astype(STORED).astype(np.float32)), "float16 rows of the model's vectors, in unit order"
    assert np.abs(stored.vectors - expected).max() < 1e-3


def test_only_the_live_version_of_a_document_answers_and_a_delete_takes_its_units(ingested, reports):
    path = reports / "umea-2018-integrationsarbetet.txt"
    path.write_text(path.read_text(encoding="utf-8") + "\nTillägg\n\nKommunen har anställt tre nya samordnare.\n", encoding="utf-8")
    old = ingested.catalog.content_hash("umea-2018-integrationsarbetet")
    assert ingested.run(reports).updated == ["umea-2018-integrationsarbetet"]
    new = ingested.catalog.content_hash("umea-2018-integrationsarbetet")
    versions = ingested.store.units.versions()
    assert ("umea-2018-integrationsarbetet", new) in versions and ("umea-2018-integrationsarbetet", old) not in versions
    live_units(ingested)
    assert ingested.remove("umea-2018-integrationsarbetet")
    assert not any(d == "umea-2018-integrationsarbetet" for d, _ in ingested.store.units.versions())
    assert ingested.store.units.versions() == {(d.document_id, d.content_hash) for d in ingested.catalog.documents()}


def test_units_are_reused_by_text_and_model_from_the_unit_store(ingested, reports):
    manifest = reports / "manifest.toml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace('auditor = "Kristina Lindstedt"', 'auditor = "K. Lindstedt"'), encoding="utf-8")
    before = live_units(ingested)
    report = ingested.run(reports)
    assert report.updated == ["kalmar-2016-flyktingmottagande-integration"] and report.texts_embedded == 0
    after = live_units(ingested)
    assert before.keys() == after.keys() and all(np.array_equal(before[k], after[k]) for k in before)


def test_a_home_made_before_has_its_units_moved_out_of_chroma_when_opened(ingested, reports):
    settings = ingested.settings
    live = make_legacy_units(ingested, "f" * 64)
    assert _collections(settings) == [f"{settings.collection_prefix}_chunks", f"{settings.collection_prefix}_units"]
    folders = _index_folders(settings)
    assert len(folders) == 2
    reopened = Ingestor(settings, FakeEmbedder())
    assert _collections(settings) == [f"{settings.collection_prefix}_chunks"], "the collection is dropped"
    assert len(_index_folders(settings)) == 1 and _index_folders(settings) < folders, "with its index's folder, which Chroma leaves"
    moved = live_units(reopened)
    assert moved.keys() == live.keys() and all(np.array_equal(moved[k], live[k]) for k in live)
    assert reopened.store.units.versions() == {(d.document_id, d.content_hash) for d in reopened.catalog.documents()}, "only live versions move"
    assert not reopened.run(reports).changed
    assert VectorStore(settings).units.versions() == reopened.store.units.versions(), "a later open finds nothing to move"


def test_a_move_that_fails_part_way_keeps_the_collection_and_is_done_at_the_next_open(ingested, monkeypatch):
    settings = ingested.settings
    live = make_legacy_units(ingested, "f" * 64)

    def failing(self, rows):
        raise OSError("the disk went away mid-copy")

    monkeypatch.setattr(UnitVectorStore, "write", failing)
    with pytest.raises(Exception, match="mid-copy"):
        VectorStore(settings)
    assert f"{settings.collection_prefix}_units" in _collections(settings), "nothing is dropped before all is copied"
    monkeypatch.undo()
    store = VectorStore(settings)
    assert _collections(settings) == [f"{settings.collection_prefix}_chunks"]
    moved = store.unit_vectors(ingested.catalog.chunks())
    assert {k: v.vectors.tolist() for k, v in moved.items()} == {k: v.tolist() for k, v in live.items()}
