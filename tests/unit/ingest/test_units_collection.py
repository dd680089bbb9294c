"""The units collection is read by id only, so it is made with a sparse HNSW graph that is cheap to insert into; the
chunks collection, which is searched, keeps the configured one; and a home whose units collection was made earlier
with the searched configuration opens, ingests and reads its units as before."""

import shutil

from fixtures.fake_embedder import FakeEmbedder
from fixtures.homes import CORPUS, make_settings

from ingest.index.vectors import UNITS_CONFIGURATION, VectorStore, make_client, searched_configuration
from ingest.pipeline import Ingestor


def test_a_new_store_makes_the_units_sparse_and_the_chunks_searchable(tmp_path):
    settings = make_settings(tmp_path / "home")
    store = VectorStore(settings)
    assert store.units.configuration["hnsw"]["max_neighbors"] == UNITS_CONFIGURATION["hnsw"]["max_neighbors"]
    assert store.chunks.configuration["hnsw"]["max_neighbors"] == settings.hnsw_max_neighbors
    assert store.chunks.configuration["hnsw"]["ef_construction"] == settings.hnsw_ef_construction


def test_a_units_collection_made_earlier_keeps_its_configuration_and_serves_as_before(tmp_path):
    settings = make_settings(tmp_path / "home")
    make_client(settings).create_collection(
        f"{settings.collection_prefix}_units", embedding_function=None, configuration=searched_configuration(settings)
    )
    reports = tmp_path / "reports"
    shutil.copytree(CORPUS, reports)
    ingestor = Ingestor(settings, FakeEmbedder())
    assert len(ingestor.run(reports).added) == 5
    assert ingestor.store.units.configuration["hnsw"]["max_neighbors"] == settings.hnsw_max_neighbors
    records = [r for r in ingestor.catalog.chunks() if r.chunk.units]
    assert set(ingestor.store.unit_vectors(records)) == {r.chunk.chunk_id for r in records}
