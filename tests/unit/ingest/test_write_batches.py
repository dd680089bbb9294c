"""Ingest writes the vectors of several documents to Chroma together, then switches them live one by one: with the
fake embedder and real embedded Chroma, the switches follow the write, a write interrupted part-way leaves every old
version live and whole and is cleaned up by the next run, and a text repeated within a batch is embedded once."""

import shutil
from pathlib import Path

import pytest
from fixtures.fake_embedder import FakeEmbedder
from fixtures.homes import CORPUS, make_settings

from ingest.index.vectors import StoreError, vector_id
from ingest.pipeline import Ingestor

APPENDED = "\nTillägg\n\nKommunen har anställt tre nya samordnare.\n"


class CountingEmbedder(FakeEmbedder):
    def __init__(self) -> None:
        self.embedded = 0

    def embed_passages(self, texts: list[str]):
        self.embedded += len(texts)
        return super().embed_passages(texts)


@pytest.fixture
def reports(tmp_path) -> Path:
    folder = tmp_path / "reports"
    shutil.copytree(CORPUS, folder)
    return folder


def _whole_and_live(ingestor: Ingestor) -> dict[str, str]:
    """Assert that every live document has all its chunk and unit vectors in its live version; document -> hash."""
    live: dict[str, str] = {}
    for record in ingestor.catalog.chunks():
        live.setdefault(record.chunk.document_id, record.content_hash)
        chunk_id = vector_id(record.chunk.chunk_id, record.content_hash)
        assert ingestor.store.chunks.get(ids=[chunk_id], include=[])["ids"] == [chunk_id]
        if record.chunk.units:
            assert len(ingestor.store.units.read([chunk_id])[chunk_id]) == len(record.chunk.units)
    return live


def test_a_batch_is_written_in_one_store_call_before_any_of_its_documents_goes_live(reports, tmp_path):
    ingestor = Ingestor(make_settings(tmp_path / "home"), FakeEmbedder())
    writes, events = [], []
    write = ingestor.store.add_versions

    def recorded(versions):
        writes.append([v.metadata.document_id for v in versions])
        events.append("write")
        return write(versions)

    ingestor.store.add_versions = recorded
    report = ingestor.run(reports, stage=lambda document_id, name, done, total: events.append(name))
    assert len(report.added) == 5
    assert len(writes) == 1 and sorted(writes[0]) == sorted(report.added), "the five reports' 855 passages are one batch"
    assert events.index("live") > events.index("write") > max(i for i, name in enumerate(events) if name == "storing")
    assert events.count("live") == 5


def test_an_interrupted_batch_leaves_every_old_version_live_and_the_next_run_cleans_up(reports, tmp_path):
    ingestor = Ingestor(make_settings(tmp_path / "home"), FakeEmbedder())
    ingestor.run(reports)
    before = _whole_and_live(ingestor)
    for path in reports.glob("*.txt"):
        path.write_text(path.read_text(encoding="utf-8") + APPENDED, encoding="utf-8")
    write = ingestor.store.units.write

    def fail_midway(rows):
        # The chunk vectors of the whole batch are in Chroma by now; half of the units are written, then the rest fail.
        rows = list(rows)
        write(rows[: len(rows) // 2])
        raise OSError("the disk went away mid-write")

    ingestor.store.units.write = fail_midway
    with pytest.raises(StoreError):
        ingestor.run(reports)
    assert _whole_and_live(ingestor) == before, "the old versions stay live and whole"
    unfinished = set(ingestor.catalog.stale_versions())
    assert len(unfinished) == 5 and not unfinished & set(before.items()), "each new version is recorded as unfinished"
    assert unfinished <= ingestor.store.versions(), "its vectors were written"

    del ingestor.store.units.write
    report = ingestor.run(reports)
    assert sorted(report.updated) == sorted(before)
    live = _whole_and_live(ingestor)
    assert all(live[d] != before[d] for d in before)
    assert ingestor.store.versions() == set(live.items()), "the old versions' vectors went, the unfinished ones' too"
    assert ingestor.catalog.stale_versions() == []


def test_a_text_repeated_within_a_batch_is_embedded_once(reports, tmp_path):
    name = "umea-2018-integrationsarbetet.txt"
    alone = CountingEmbedder()
    Ingestor(make_settings(tmp_path / "alone"), alone).run_files([reports / name])
    shutil.copy(reports / name, reports / f"kopia-{name}")
    twice = CountingEmbedder()
    report = Ingestor(make_settings(tmp_path / "twice"), twice).run_files([reports / name, reports / f"kopia-{name}"])
    assert len(report.added) == 2
    assert twice.embedded == alone.embedded == report.texts_embedded
