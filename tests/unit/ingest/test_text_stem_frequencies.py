"""The stem frequencies the extractive answerer weighs words with, derived from the lexical index's word counts, and the
words as written that the question repair counts, added up from each document's counts: after adds, a change and a
delete through ingest (fake embedder, real embedded Chroma and catalog) they equal those of analysing every live
chunk's own text (the words as written in the same first-seen order), for the whole corpus, a part of it, and an
index loaded before the last change."""

import re
import shutil
from collections import Counter

from fixtures.fake_embedder import FakeEmbedder
from fixtures.homes import CORPUS, FIXTURE_REPORTS, make_settings

from evals.corpus_generator import write_corpus
from ingest.index.catalog import ChunkRecord
from ingest.index.lexical import LexicalIndex, SwedishAnalyzer, ensure_fresh, stem_frequencies
from ingest.pipeline import Ingestor

# Words the analyzer treats apart: soft hyphens, hyphenated compounds and their parts, "IFO:s", numbers, stopwords.
EDGES = "\n\nSkol- och barnomsorgsnämnden har ut\u00adredning och utredning: IFO-enheten, IFO:s och 2019-års plan.\n"


def _analysed(records: list[ChunkRecord]) -> Counter:
    analyzer = SwedishAnalyzer()
    return Counter(stem for r in records for stem in set(analyzer(r.chunk.text)))


def _written(records: list[ChunkRecord]) -> list[tuple[str, int]]:
    """Every text's words as written, counted in one pass over the texts joined: as the repair vocabulary was read."""
    return list(Counter(re.findall(r"[^\W\d_]+", "\n".join(r.chunk.text for r in records))).items())


def _assert_derived_as_analysed(index: LexicalIndex, records: list[ChunkRecord]) -> None:
    assert index.text_stem_frequencies(records) == _analysed(records)
    assert list(index.surface_counts(records).items()) == _written(records)
    some = {r.chunk.document_id for r in records[::2]}
    part = [r for r in records if r.chunk.document_id in some]
    assert index.text_stem_frequencies(part) == _analysed(part)
    assert list(index.surface_counts(part).items()) == _written(part)


def test_derived_frequencies_follow_adds_a_change_and_a_delete(tmp_path):
    reports = tmp_path / "reports"
    shutil.copytree(CORPUS, reports)
    for path in FIXTURE_REPORTS.glob("*.*"):  # reports with a cover, a chunk the index does not hold
        shutil.copy(path, reports / path.name)
    edited = sorted(reports.glob("umea-*.txt"))[0]
    edited.write_text(edited.read_text(encoding="utf-8") + EDGES, encoding="utf-8")
    ingestor = Ingestor(make_settings(tmp_path / "home"), FakeEmbedder())
    ingestor.run(reports)
    catalog, path = ingestor.catalog, ingestor.settings.lexical_path
    records = catalog.chunks()
    assert any(not r.chunk.quotable for r in records)
    _assert_derived_as_analysed(ensure_fresh(catalog, path), records)

    before = ensure_fresh(catalog, path)
    write_corpus(tmp_path / "generated", 3)
    assert len(ingestor.run(tmp_path / "generated").added) == 3
    changed = sorted(reports.glob("lulea-*.txt"))[0]
    changed.write_text(changed.read_text(encoding="utf-8").replace("Luleå", "Luleå kommun"), encoding="utf-8")
    assert len(ingestor.run(reports).updated) == 1
    records = catalog.chunks()
    _assert_derived_as_analysed(ensure_fresh(catalog, path), records)
    # A view whose records were read after the index was: the versions it does not hold are analysed.
    _assert_derived_as_analysed(before, records)

    assert ingestor.remove("kalmar-2016-flyktingmottagande-integration")
    records = catalog.chunks()
    assert not any(r.chunk.document_id.startswith("kalmar-2016") for r in records)
    _assert_derived_as_analysed(ensure_fresh(catalog, path), records)


def test_frequencies_are_those_of_analysing_each_text():
    texts = [part for path in sorted(FIXTURE_REPORTS.glob("*.*")) for part in path.read_text(encoding="utf-8").split("\n\n")]
    texts += ["Skol- och barnomsorgsnämnden", "ut\u00adredning och utredning", "IFO-enheten, IFO:s och 2019-års"]
    analyzer = SwedishAnalyzer()
    assert stem_frequencies(texts) == Counter(stem for text in texts for stem in set(analyzer(text)))
