"""The lexical index kept as segments of word counts: after adds, changes and deletes through ingest (fake embedder,
real embedded Chroma and catalog) it ranks exactly as an index built from scratch over the live chunks, an ingest
reads the chunks of the documents it changed and no others, and the segments stay few."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from fixtures.fake_embedder import FakeEmbedder
from fixtures.homes import CORPUS, make_settings

from evals.corpus_generator import write_corpus
from ingest.index.lexical import DERIVED, MANIFEST, LexicalIndex, WordCounts, ensure_fresh
from ingest.pipeline import Ingestor
from ingest.structure.chunking import embedding_text

QUERIES = [
    "Vilka kontrollmål bedömdes ej uppfyllda?",
    "flyktingmottagande i Luleå",
    "ensamkommande barn boendeplatser",
    "arbetsmarknadsenheten och sysselsättning",
    "intern kontroll uppföljning rekommendationer",
]


class ChunkReads:
    """Records which documents' chunks are read from the catalog."""

    def __init__(self, catalog) -> None:
        self.asked: list[set[str] | None] = []
        original = catalog.chunks

        def chunks(document_ids=None):
            self.asked.append(None if document_ids is None else set(document_ids))
            return original(document_ids)

        catalog.chunks = chunks


def _rebuilt(ingestor: Ingestor) -> LexicalIndex:
    records = [r for r in ingestor.catalog.chunks() if r.chunk.quotable]
    return LexicalIndex.build([r.chunk.chunk_id for r in records], [embedding_text(r.chunk, r.metadata) for r in records], 0)


def _assert_ranks_as_rebuilt(ingestor: Ingestor) -> LexicalIndex:
    saved = ensure_fresh(ingestor.catalog, ingestor.settings.lexical_path)
    rebuilt = _rebuilt(ingestor)
    assert saved.chunk_ids == rebuilt.chunk_ids
    for query in QUERIES:
        scores = saved.scores(query)
        assert scores.max() > 0, query
        assert np.array_equal(scores, rebuilt.scores(query)), query
    return saved


@pytest.fixture
def folders(tmp_path) -> tuple[Path, Path]:
    bundled = tmp_path / "reports"
    shutil.copytree(CORPUS, bundled)
    return bundled, tmp_path / "generated"


def test_adds_changes_and_deletes_rank_as_a_rebuilt_index(folders, tmp_path):
    bundled, generated = folders
    ingestor = Ingestor(make_settings(tmp_path / "home"), FakeEmbedder())
    ingestor.run(bundled)
    _assert_ranks_as_rebuilt(ingestor)

    reads = ChunkReads(ingestor.catalog)
    write_corpus(generated, 3)
    added = ingestor.run(generated).added
    assert len(added) == 3
    assert reads.asked == [set(added)], "an ingest counts the words of the documents it added, and only theirs"
    _assert_ranks_as_rebuilt(ingestor)

    changed = sorted(bundled.glob("lulea-*.txt"))[0]
    changed.write_text(changed.read_text(encoding="utf-8").replace("Luleå", "Luleå kommun"), encoding="utf-8")
    reads.asked.clear()
    assert len(ingestor.run(bundled).updated) == 1
    assert reads.asked == [{"lulea-2007-integration"}]
    _assert_ranks_as_rebuilt(ingestor)

    assert ingestor.remove("kalmar-2016-flyktingmottagande-integration")
    index = _assert_ranks_as_rebuilt(ingestor)
    assert not any(c.startswith("kalmar-2016") for c in index.chunk_ids)


def test_a_report_added_later_splits_the_compounds_of_those_before_it():
    """A compound splits into parts the corpus uses on their own, so a document can change how the words of the
    others are indexed: the counts are per word, and the splitting is done over all of them where they are joined."""
    first = WordCounts.of([("a", "1", [("a#0", "Kommunens flyktingmottagande granskades.")])])
    later = WordCounts.of([("b", "1", [("b#0", "En flykting väntar på mottagande.")])])
    alone = LexicalIndex.over(WordCounts.join([first], {"a": "1"}), 0)
    assert alone.scores("mottagande").max() == 0
    both = LexicalIndex.over(WordCounts.join([later, first], {"a": "1", "b": "1"}), 0)
    assert both.chunk_ids == ["a#0", "b#0"]
    assert both.scores("mottagande")[0] > 0
    rebuilt = LexicalIndex.build(["a#0", "b#0"], ["Kommunens flyktingmottagande granskades.", "En flykting väntar på mottagande."], 0)
    assert np.array_equal(both.scores("mottagande av flyktingar"), rebuilt.scores("mottagande av flyktingar"))


def test_segments_are_merged_and_their_files_kept_only_while_listed(folders, tmp_path):
    bundled, generated = folders
    ingestor = Ingestor(make_settings(tmp_path / "home"), FakeEmbedder())
    ingestor.run(bundled)
    for count in range(1, 9):  # one report added per ingest
        write_corpus(generated, count)
        ingestor.run(generated)
    folder = ingestor.settings.lexical_path
    manifest = json.loads((folder / MANIFEST).read_text())
    sizes = [sum(rows for _, rows in s["documents"].values()) for s in manifest["segments"]]
    assert len(sizes) <= 5, sizes
    assert all(earlier > 2 * later for earlier, later in zip(sizes, sizes[1:])), sizes
    assert {p.name for p in folder.iterdir()} == {MANIFEST, *(s["file"] for s in manifest["segments"])}
    assert sorted(d for s in manifest["segments"] for d in s["documents"]) == sorted(d.document_id for d in ingestor.catalog.documents())
    _assert_ranks_as_rebuilt(ingestor)


def test_an_index_of_the_earlier_layout_is_replaced(folders, tmp_path):
    bundled, _ = folders
    settings = make_settings(tmp_path / "home")
    settings.lexical_path.mkdir(parents=True)
    (settings.lexical_path / MANIFEST).write_text(json.dumps({"chunk_ids": [], "generation": 1, "compound_stems": None}))
    (settings.lexical_path / "params.index.json").write_text("{}")
    ingestor = Ingestor(settings, FakeEmbedder())
    ingestor.run(bundled)
    assert not (settings.lexical_path / "params.index.json").exists()
    _assert_ranks_as_rebuilt(ingestor)


def test_what_is_derived_from_the_whole_index_is_read_back_at_the_same_state_and_dropped_with_it(folders, tmp_path, monkeypatch):
    """The stems, compound splits and BM25 weights, and the answerers' word weights and written words over a whole
    view, are saved beside the segments the first time they are derived; a process finding the same segments reads
    them (nothing derived again) and gets the same index bit for bit; an ingest's change removes them; a damaged
    file is derived again."""
    bundled, generated = folders
    ingestor = Ingestor(make_settings(tmp_path / "home"), FakeEmbedder())
    ingestor.run(bundled)
    catalog, folder = ingestor.catalog, ingestor.settings.lexical_path
    records = catalog.chunks()
    part = [r for r in records if r.chunk.document_id.startswith(("lulea", "umea"))]
    first = ensure_fresh(catalog, folder)
    stems, written = first.text_stem_frequencies(records), first.surface_counts(records)
    part_stems, part_written = first.text_stem_frequencies(part), first.surface_counts(part)
    kept = sorted(p.name.split("-")[2] for p in folder.glob(f"{DERIVED}*.json"))
    assert kept == ["index.json", "stems.json", "surface.json"], "a caller's part of the view is not kept"

    with monkeypatch.context() as patched:
        for name in ("over", "_text_stem_frequencies", "_surface_counts"):
            patched.setattr(LexicalIndex, name, lambda *args, **kwargs: pytest.fail("derived again"))
        again = ensure_fresh(catalog, folder)
        assert again.chunk_ids == first.chunk_ids and again._terms == first._terms
        assert again._analyzer.splitter.stems == first._analyzer.splitter.stems
        assert all(np.array_equal(getattr(again._weights, a), getattr(first._weights, a)) for a in ("data", "indices", "indptr"))
        for query in QUERIES:
            assert np.array_equal(again.scores(query), first.scores(query)), query
        assert again.text_stem_frequencies(records) == stems
        assert list(again.surface_counts(records).items()) == list(written.items())
    # A part of the view is derived, as before.
    assert again.text_stem_frequencies(part) == part_stems
    assert list(again.surface_counts(part).items()) == list(part_written.items())

    write_corpus(generated, 1)
    assert len(ingestor.run(generated).added) == 1
    assert not list(folder.glob(f"{DERIVED}*")), "removed with the segments they were derived from"
    after = _assert_ranks_as_rebuilt(ingestor)
    weights = next(folder.glob(f"{DERIVED}*-index-weights.npy"))
    whole = weights.read_bytes()
    weights.write_bytes(whole[: len(whole) // 2])  # as a disk that lost a write might leave it
    damaged = _assert_ranks_as_rebuilt(ingestor)
    assert damaged.chunk_ids == after.chunk_ids and weights.read_bytes() == whole, "derived and saved again"
