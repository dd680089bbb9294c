"""Ingest against real Chroma (embedded and a `chroma run` server) with the real embedding model."""

import shutil
import subprocess
import sys

import numpy as np
import pytest
from fixtures.fake_embedder import FakeEmbedder
from fixtures.homes import CORPUS, live_units, make_legacy_units, make_settings

from ingest.index.catalog import Catalog
from ingest.index.findings_store import FindingsStore
from ingest.index.vectors import PAGE, VectorStore, make_client, searched_configuration
from ingest.pipeline import IngestError, Ingestor

pytestmark = pytest.mark.slow

SMALL = ("umea-2018-integrationsarbetet.txt", "kalmar-2016-flyktingmottagande-integration.txt")


@pytest.fixture
def small_corpus(tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    for name in SMALL:
        shutil.copy(CORPUS / name, folder / name)
    shutil.copy(CORPUS / "manifest.toml", folder / "manifest.toml")
    return folder


def _vector_ids(store: VectorStore, document_id: str) -> set[str]:
    return {m["chunk_id"] for m in store.chunks.get(where={"document_id": document_id}, include=["metadatas"])["metadatas"]}


def _catalog_ids(catalog: Catalog, document_id: str) -> set[str]:
    return {r.chunk.chunk_id for r in catalog.chunks() if r.chunk.document_id == document_id}


def _assert_consistent(ingestor: Ingestor) -> None:
    """Chroma holds exactly the live chunks of the catalog, and the unit store their units: no duplicates, no orphans."""
    records = ingestor.catalog.chunks()
    stored = ingestor.store.chunks.get(include=["metadatas"])["metadatas"]
    assert sorted(m["chunk_id"] for m in stored) == sorted(r.chunk.chunk_id for r in records)
    units = ingestor.store.unit_vectors(records)
    # The cover is a chunk without units.
    assert set(units) == {r.chunk.chunk_id for r in records if r.chunk.units}
    assert sum(len(u.vectors) for u in units.values()) == sum(len(r.chunk.units) for r in records)
    assert ingestor.store.units.versions() == {(r.chunk.document_id, r.content_hash) for r in records if r.chunk.units}


def test_reingest_is_idempotent(small_corpus, tmp_path, embedder):
    ingestor = Ingestor(make_settings(tmp_path / "home"), embedder)
    first = ingestor.run(small_corpus)
    assert sorted(first.added) == sorted(p.removesuffix(".txt") for p in SMALL)
    count = ingestor.store.count()
    generation = ingestor.catalog.generation
    second = ingestor.run(small_corpus)
    assert not second.changed and second.chunks_embedded == 0
    assert second.summary().startswith("Nothing changed")
    assert ingestor.store.count() == count and ingestor.catalog.generation == generation
    _assert_consistent(ingestor)
    record = next(d for d in ingestor.catalog.documents() if d.document_id.startswith("umea"))
    assert record.metadata.municipality == "Umeå" and record.metadata.firm == "KPMG"


def test_changed_document_is_replaced_whole(small_corpus, tmp_path, embedder):
    ingestor = Ingestor(make_settings(tmp_path / "home"), embedder)
    ingestor.run(small_corpus)
    document_id = "umea-2018-integrationsarbetet"
    old_ids = _vector_ids(ingestor.store, document_id)
    path = small_corpus / f"{document_id}.txt"
    path.write_text(path.read_text(encoding="utf-8") + "\nTillägg\n\nKommunen har anställt tre nya integrationssamordnare under hösten.\n", encoding="utf-8")
    report = ingestor.run(small_corpus)
    assert report.updated == [document_id] and report.unchanged == ["kalmar-2016-flyktingmottagande-integration"]
    new_ids = _vector_ids(ingestor.store, document_id)
    assert new_ids == _catalog_ids(ingestor.catalog, document_id)
    assert new_ids != old_ids and old_ids & new_ids, "unchanged chunks keep their ids across versions"
    assert any("integrationssamordnare" in r.chunk.text for r in ingestor.catalog.chunks())
    _assert_consistent(ingestor)


def test_prune_removes_documents_whose_files_are_gone(small_corpus, tmp_path, embedder):
    settings = make_settings(tmp_path / "home")
    ingestor = Ingestor(settings, embedder)
    ingestor.run(small_corpus)
    (small_corpus / SMALL[1]).unlink()
    kept = ingestor.run(small_corpus)
    assert not kept.removed, "without --prune nothing is removed"
    pruned = ingestor.run(small_corpus, prune=True)
    assert pruned.removed == ["kalmar-2016-flyktingmottagande-integration"]
    assert not _vector_ids(ingestor.store, "kalmar-2016-flyktingmottagande-integration")
    assert FindingsStore(settings.catalog_path).query(document_id="kalmar-2016-flyktingmottagande-integration") == []
    _assert_consistent(ingestor)


def test_vectors_of_an_unfinished_version_are_collected(small_corpus, tmp_path, embedder):
    """A crash after writing vectors but before the catalog switch leaves only invisible orphans."""
    ingestor = Ingestor(make_settings(tmp_path / "home"), embedder)
    ingestor.run(small_corpus)
    planned, _ = ingestor.plan([small_corpus / SMALL[0]], {})
    doc = planned[0]
    chunk = ingestor.catalog.chunks()[0].chunk
    ingestor.catalog.begin_version(doc.document_id, "not-live")  # as ingest records a version before writing it
    ingestor.store.add_version(doc.metadata, "not-live", [chunk], np.ones((1, embedder.dimension)), [np.ones((len(chunk.units), embedder.dimension))])
    assert ingestor.store.has_version(doc.document_id, "not-live")
    ingestor.run(small_corpus)
    assert not ingestor.store.has_version(doc.document_id, "not-live")
    _assert_consistent(ingestor)


def test_ingest_into_a_chroma_server(small_corpus, tmp_path, embedder, chroma_server):
    settings = make_settings(tmp_path / "home", chroma_url=chroma_server)
    ingestor = Ingestor(settings, embedder)
    assert ingestor.run(small_corpus).added
    assert not ingestor.run(small_corpus).changed
    _assert_consistent(ingestor)
    hits = ingestor.store.search(embedder.embed_query("rekommendationer om uppföljning i Umeå"), 3, None)
    assert hits and hits[0].chunk_id in {r.chunk.chunk_id for r in ingestor.catalog.chunks()}


def test_units_of_a_home_made_before_move_out_of_a_chroma_server(small_corpus, tmp_path, chroma_server):
    settings = make_settings(tmp_path / "home", chroma_url=chroma_server, collection_prefix="legacy")
    ingestor = Ingestor(settings, FakeEmbedder())
    assert ingestor.run(small_corpus).added
    live = make_legacy_units(ingestor, "f" * 64)
    client = make_client(settings)
    assert "legacy_units" in {c.name for c in client.list_collections()}
    reopened = Ingestor(settings, FakeEmbedder())
    assert "legacy_units" not in {c.name for c in client.list_collections()}
    moved = live_units(reopened)
    assert moved.keys() == live.keys() and all(np.array_equal(moved[k], live[k]) for k in live)
    assert not reopened.run(small_corpus).changed
    _assert_consistent(reopened)


def test_bad_folder_is_a_clear_error(tmp_path, embedder):
    ingestor = Ingestor(make_settings(tmp_path / "home"), embedder)
    with pytest.raises(IngestError, match="saknas"):
        ingestor.run(tmp_path / "saknas")


def test_cli_bad_folder_exits_2_with_one_line(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "service.cli", "ingest", str(tmp_path / "finns-inte")],
        capture_output=True, text=True, env={"AUDITQA_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "finns-inte" in result.stderr


def test_hnsw_recall_against_brute_force(corpus_settings, embedder, tmp_path):
    """The searched collection's HNSW settings must keep recall@10 >= 0.99 (defaults gave ~0.5 on random data), on
    the real unit embeddings, more of them than there are chunks, indexed in a collection made with those settings."""
    units = VectorStore(corpus_settings).unit_vectors(Catalog(corpus_settings.catalog_path).chunks())
    ids = [f"{chunk_id}:{i}" for chunk_id, u in units.items() for i in range(len(u.vectors))]
    matrix = np.concatenate([u.vectors for u in units.values()])
    assert len(ids) > 500
    searched = make_client(make_settings(tmp_path / "recall")).create_collection(
        "recall_check", embedding_function=None, configuration=searched_configuration(corpus_settings)
    )
    for offset in range(0, len(ids), PAGE):
        searched.add(ids=ids[offset : offset + PAGE], embeddings=matrix[offset : offset + PAGE])
    rng = np.random.default_rng(7)
    queries = [embedder.embed_query(q) for q in (
        "Vilka kontrollmål bedömdes ej uppfyllda?", "Hur många platser har sysselsättningsavdelningen?",
        "Vem var uppdragsledare?", "samverkan med föreningslivet", "åtgärdskatalogens finansiering",
    )] + [matrix[i] + rng.normal(0, 0.02, matrix.shape[1]).astype(np.float32) for i in rng.choice(len(ids), 45, replace=False)]
    found = 0
    for query in queries:
        exact = {ids[i] for i in np.argsort(-(matrix @ query))[:10]}
        approx = set(searched.query(query_embeddings=[query], n_results=10, include=[])["ids"][0])
        found += len(exact & approx)
    recall = found / (10 * len(queries))
    print(f"HNSW recall@10 on {len(ids)} unit vectors: {recall:.3f}")
    assert recall >= 0.99


def test_ingest_loads_only_the_passage_model(small_corpus, tmp_path, e5_model_dir):
    """Ingest embeds passages on torch; the query runner (onnxruntime) is never loaded for it."""
    from ingest.embedding import Embedder

    embedder = Embedder(e5_model_dir)
    ingestor = Ingestor(make_settings(tmp_path / "home"), embedder)
    ingestor.warm_up()
    ingestor.run_files([small_corpus / SMALL[1]])
    assert embedder._query_runner is None and embedder._passage_runner is not None
    assert embedder.dimension == 384
