"""A vector store past 32,767 records (Chroma's SQLite refuses a statement with more variables than that): an ingest
run, a document's replacement, a delete and a full sweep still work, because no Chroma read or write asks for
everything at once."""

import shutil
import time

import numpy as np
import pytest
from fixtures.fake_embedder import FakeEmbedder
from fixtures.homes import CORPUS, make_settings

from ingest.documents.metadata import DocumentMetadata
from ingest.pipeline import Ingestor
from ingest.structure.chunking import Chunk

pytestmark = pytest.mark.slow  # about a minute: 34,000 records written to Chroma

FILLER = 34_000


def _filler(document_id: str, count: int) -> tuple[list[Chunk], str]:
    words = ("kommun", "revision", "nämnd", "styrelse", "granskning", "kontroll", "rutin", "uppföljning")
    parts, chunks, offset = [], [], 0
    for i in range(count):
        text = f"Punkt {i}: {words[i % 8]} {words[(i // 8) % 8]} {i}."
        chunks.append(Chunk(f"{document_id}:{i}", document_id, offset, offset + len(text), text, "Bilaga", "Bilaga", "paragraph", "Bilaga", ()))
        parts.append(text)
        offset += len(text) + 1
    return chunks, "\n".join(parts)


def test_ingest_and_delete_with_more_records_than_sqlite_variables(tmp_path):
    reports = tmp_path / "reports"
    shutil.copytree(CORPUS, reports)
    embedder = FakeEmbedder()
    ingestor = Ingestor(make_settings(tmp_path / "home"), embedder)
    assert len(ingestor.run(reports).added) == 5
    # A live document of 34,000 one-line chunks (written directly: the chunker would merge such lines).
    chunks, text = _filler("bilagor", FILLER)
    metadata = DocumentMetadata("bilagor", municipality="Kalmar", year=2016, title="Bilagor")
    ingestor.catalog.begin_version("bilagor", "f" * 64)
    ingestor.store.add_version(metadata, "f" * 64, chunks, embedder.embed_passages([c.text for c in chunks]), [np.zeros((0, 256))] * len(chunks))
    ingestor.catalog.activate(metadata, "f" * 64, text, str(tmp_path / "bilagor.txt"), chunks)
    assert ingestor.store.count() > 32_767

    started = time.perf_counter()
    path = reports / "umea-2018-integrationsarbetet.txt"
    path.write_text(path.read_text(encoding="utf-8") + "\nTillägg\n\nKommunen har anställt tre nya samordnare.\n", encoding="utf-8")
    report = ingestor.run(reports)
    assert report.updated == ["umea-2018-integrationsarbetet"] and len(report.unchanged) == 4
    assert ingestor.remove("kalmar-2016-flyktingmottagande-integration")
    # The full sweep a catalog without records gets reads the store a page at a time.
    with ingestor.catalog._connect() as db:
        db.execute("DELETE FROM state WHERE key='versions_tracked'")
    assert not ingestor.run(reports, prune=False).updated
    versions = ingestor.store.versions()
    assert versions == {(d.document_id, d.content_hash) for d in ingestor.catalog.documents()}
    assert ingestor.store.document_ids() >= {"bilagor", "umea-2018-integrationsarbetet"}
    assert ingestor.remove("bilagor")
    assert ingestor.store.count() < 1000
    print(f"ingest, delete, sweep and delete over {FILLER} records: {time.perf_counter() - started:.1f} s")
