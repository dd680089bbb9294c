"""Ingest bookkeeping at scale, with the fake embedder and real embedded Chroma: cleanup costs what changed (the
versions the catalog recorded as replaced or interrupted), an unchanged re-ingest does no per-document store work,
vectors are reused by text and model (a metadata-only change embeds nothing), and passages are embedded one kind at
a time, longest first."""

import shutil
from pathlib import Path

import numpy as np
import pytest
from fixtures.fake_embedder import FakeEmbedder
from fixtures.homes import CORPUS, make_settings

from ingest.pipeline import Ingestor
from ingest.structure.chunking import embedding_text


class RecordingEmbedder(FakeEmbedder):
    """Remembers every call to embed_passages."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        self.calls.append(list(texts))
        return super().embed_passages(texts)

    @property
    def embedded(self) -> int:
        return sum(map(len, self.calls))


class CountingStore:
    """Counts the calls to the store's per-document methods."""

    METHODS = ("add_versions", "delete_version", "delete_other_versions", "vectors_by_id", "versions", "document_ids", "has_version")

    def __init__(self, store) -> None:
        self.calls: list[str] = []
        for name in self.METHODS:
            original = getattr(store, name)
            setattr(store, name, self._counted(name, original))

    def _counted(self, name, original):
        def call(*args, **kwargs):
            self.calls.append(name)
            return original(*args, **kwargs)

        return call


@pytest.fixture
def reports(tmp_path) -> Path:
    folder = tmp_path / "reports"
    shutil.copytree(CORPUS, folder)
    return folder


def _stored_versions(ingestor: Ingestor) -> set[tuple[str, str]]:
    return ingestor.store.versions()


def _live_versions(ingestor: Ingestor) -> set[tuple[str, str]]:
    return {(d.document_id, d.content_hash) for d in ingestor.catalog.documents()}


def test_unchanged_reingest_does_no_per_document_store_work(reports, tmp_path):
    ingestor = Ingestor(make_settings(tmp_path / "home"), RecordingEmbedder())
    assert len(ingestor.run(reports).added) == 5
    counting = CountingStore(ingestor.store)
    again = ingestor.run(reports)
    assert not again.changed and len(again.unchanged) == 5
    assert counting.calls == [], "an unchanged re-ingest sweeps nothing"
    assert _stored_versions(ingestor) == _live_versions(ingestor)


def test_a_file_as_it_was_read_is_known_unchanged_without_reading_it(reports, tmp_path):
    """The file's size and modification time (with the manifest entry, pipeline and model) stand for its bytes, as
    make and rsync take them: a change that keeps both is not seen, one that moves either is."""
    import os

    ingestor = Ingestor(make_settings(tmp_path / "home"), RecordingEmbedder())
    ingestor.run(reports)
    path = reports / "umea-2018-integrationsarbetet.txt"
    text = path.read_text(encoding="utf-8")
    before = path.stat()
    path.write_text(text.replace("Umeå", "Umeä", 1), encoding="utf-8")  # the same size (both letters two bytes), other bytes
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert ingestor.run(reports).updated == [], "read again although size and time were as recorded"
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000_000))
    assert ingestor.run(reports).updated == ["umea-2018-integrationsarbetet"]


def test_replaced_version_is_collected_by_its_record_alone(reports, tmp_path):
    ingestor = Ingestor(make_settings(tmp_path / "home"), RecordingEmbedder())
    ingestor.run(reports)
    path = reports / "umea-2018-integrationsarbetet.txt"
    path.write_text(path.read_text(encoding="utf-8") + "\nTillägg\n\nKommunen har anställt tre nya samordnare.\n", encoding="utf-8")
    counting = CountingStore(ingestor.store)
    report = ingestor.run(reports)
    assert report.updated == ["umea-2018-integrationsarbetet"]
    assert counting.calls.count("delete_version") == 1 and "versions" not in counting.calls
    assert _stored_versions(ingestor) == _live_versions(ingestor)
    assert ingestor.catalog.stale_versions() == []


def test_vectors_of_an_interrupted_version_are_collected(reports, tmp_path):
    """A crash after the vectors were written and before the switch: the version was recorded first, and the next run
    deletes its vectors."""
    ingestor = Ingestor(make_settings(tmp_path / "home"), RecordingEmbedder())
    ingestor.run(reports)
    record = ingestor.catalog.chunks()[0]
    ingestor.catalog.begin_version(record.chunk.document_id, "never-live")
    ingestor.store.add_version(record.metadata, "never-live", [record.chunk], np.ones((1, 256)), [np.ones((len(record.chunk.units), 256))])
    assert ingestor.store.has_version(record.chunk.document_id, "never-live")
    ingestor.run(reports)
    assert not ingestor.store.has_version(record.chunk.document_id, "never-live")
    assert _stored_versions(ingestor) == _live_versions(ingestor)


def test_a_catalog_that_recorded_nothing_gets_one_full_sweep(reports, tmp_path):
    """An index from before the records (or a catalog set aside by --rebuild): one paged sweep, then records only."""
    ingestor = Ingestor(make_settings(tmp_path / "home"), RecordingEmbedder())
    ingestor.run(reports)
    record = ingestor.catalog.chunks()[0]
    ingestor.store.add_version(record.metadata, "unrecorded", [record.chunk], np.ones((1, 256)), [np.ones((len(record.chunk.units), 256))])
    with ingestor.catalog._connect() as db:
        db.execute("DELETE FROM state WHERE key='versions_tracked'")
    counting = CountingStore(ingestor.store)
    ingestor.run(reports)
    assert counting.calls.count("versions") == 1
    assert _stored_versions(ingestor) == _live_versions(ingestor)
    counting.calls.clear()
    ingestor.run(reports)
    assert counting.calls == []


def test_metadata_change_outside_the_embedded_text_embeds_nothing(reports, tmp_path):
    embedder = RecordingEmbedder()
    ingestor = Ingestor(make_settings(tmp_path / "home"), embedder)
    ingestor.run(reports)
    manifest = reports / "manifest.toml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace('auditor = "Kristina Lindstedt"', 'auditor = "K. Lindstedt"'), encoding="utf-8")
    embedder.calls.clear()
    report = ingestor.run(reports)
    assert report.updated == ["kalmar-2016-flyktingmottagande-integration"]
    assert embedder.embedded == 0 and report.texts_embedded == 0 and report.texts_reused > 0
    live = next(d for d in ingestor.catalog.documents() if d.document_id.startswith("kalmar"))
    assert live.metadata.auditor == "K. Lindstedt"
    assert _stored_versions(ingestor) == _live_versions(ingestor)
    records = [r for r in ingestor.catalog.chunks() if r.chunk.document_id == live.document_id]
    assert len(ingestor.store.unit_vectors(records)) == sum(1 for r in records if r.chunk.units)
    assert live.content_hash in _key_rows(ingestor, live.document_id)


def _key_rows(ingestor: Ingestor, document_id: str) -> set[str]:
    with ingestor.catalog._connect() as db:
        return {h for (h,) in db.execute("SELECT DISTINCT content_hash FROM vector_keys WHERE document_id=?", (document_id,))}


def test_reusable_vectors_are_found_in_the_catalog_and_forgotten_with_their_version(reports, tmp_path):
    """Which vector embeds a text is an indexed catalog read (Chroma is asked by id, for those only); the rows go
    with the version whose vectors they name."""
    ingestor = Ingestor(make_settings(tmp_path / "home"), RecordingEmbedder())
    ingestor.run(reports)
    umea = "umea-2018-integrationsarbetet"
    first = ingestor.catalog.content_hash(umea)
    assert _key_rows(ingestor, umea) == {first}
    path = reports / f"{umea}.txt"
    path.write_text(path.read_text(encoding="utf-8") + "\nTillägg\n\nKommunen har anställt tre nya samordnare.\n", encoding="utf-8")
    report = ingestor.run(reports)
    assert report.updated == [umea] and report.texts_reused > report.texts_embedded
    assert _key_rows(ingestor, umea) == {ingestor.catalog.content_hash(umea)} != {first}
    ingestor.remove(umea)
    assert _key_rows(ingestor, umea) == set()


def test_title_change_embeds_the_chunks_again_and_reuses_every_sentence(reports, tmp_path):
    """The title is part of each chunk's embedded text (not of a sentence's): the chunks change, the units do not."""
    embedder = RecordingEmbedder()
    ingestor = Ingestor(make_settings(tmp_path / "home"), embedder)
    ingestor.run(reports)
    chunks = [r for r in ingestor.catalog.chunks() if r.chunk.document_id.startswith("kalmar")]
    manifest = reports / "manifest.toml"
    manifest.write_text(
        manifest.read_text(encoding="utf-8").replace('title = "Flyktingmottagande och integrationsfrågor"', 'title = "Flyktingmottagandet"'),
        encoding="utf-8",
    )
    embedder.calls.clear()
    report = ingestor.run(reports)
    assert report.updated == ["kalmar-2016-flyktingmottagande-integration"]
    assert embedder.embedded == len(chunks) == report.texts_embedded
    assert all("Flyktingmottagandet" in text for call in embedder.calls for text in call)
    assert report.texts_reused == sum(len(r.chunk.units) for r in chunks)


def test_passages_are_embedded_one_kind_at_a_time_longest_first(reports, tmp_path):
    embedder = RecordingEmbedder()
    ingestor = Ingestor(make_settings(tmp_path / "home"), embedder)
    ingestor.run_files([reports / "umea-2018-integrationsarbetet.txt"])
    chunk_texts = {embedding_text(r.chunk, r.metadata) for r in ingestor.catalog.chunks()}
    kinds = []
    for call in embedder.calls:
        assert [len(t) for t in call] == sorted((len(t) for t in call), reverse=True), "longest first"
        is_unit = {t not in chunk_texts for t in call}
        assert len(is_unit) == 1, "a call holds chunks or units, never both"
        kinds.append(is_unit.pop())
    assert kinds == sorted(kinds) and kinds[0] is False and kinds[-1] is True, "the chunks first, then the units"
