"""Retrieval over many reports, against a real Chroma (embedded) with the fake embedder: a question across reports
is answered from one dense search, not one per report, and takes the reports that match best, each with its own
best passages; a version that is not live never ranks, however close its vectors lie, and displaces no live hit; a
caller who sees few reports is searched with the access clause, one who sees most without it."""

import numpy as np
import pytest
from fixtures.fake_embedder import FakeEmbedder
from fixtures.homes import make_settings
from fixtures.many_reports import write_reports

from ingest.index import catalog as catalog_module
from ingest.index.catalog import Catalog
from ingest.index.vectors import VectorStore
from ingest.pipeline import Ingestor
from service.answering.qa import QAService
from service.query import retrieval
from service.query.analysis import analyze_question
from service.query.retrieval import Access, CorpusView, Filters, HybridRetriever, _best_first

REPORTS = 40
PUBLIC = 5  # the first five reports are public, the others restricted to the group "revision"
PARTNER_EVERY = 4  # every fourth report names Röda korset
QUESTION = "I vilka kommuner nämns Röda korset?"


class CountingStore(VectorStore):
    """The real store, counting its dense searches and keeping the last one's `where`."""

    searches = 0
    where = None

    def search(self, vector, k, where):
        self.searches += 1
        self.where = where
        return super().search(vector, k, where)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("many-reports")
    written = write_reports(folder, REPORTS, partner_every=PARTNER_EVERY)
    entries = [f'[[document]]\ndocument_id = "{d}"\naccess_groups = ["revision"]\n' for d in list(written)[PUBLIC:]]
    (folder / "manifest.toml").write_text("\n".join(entries), encoding="utf-8")
    home = tmp_path_factory.mktemp("many-home")
    report = Ingestor(make_settings(home, corpus_dir=folder), FakeEmbedder()).run(folder)
    assert len(report.added) == REPORTS, report.summary()
    partners = {d for i, d in enumerate(written) if i % PARTNER_EVERY == 0}
    return home, folder, partners, set(list(written)[:PUBLIC])


def service(corpus, **overrides) -> tuple[QAService, CountingStore]:
    home, folder = corpus[:2]
    settings = make_settings(home, corpus_dir=folder, **overrides)
    store = CountingStore(settings)
    qa = QAService(settings, FakeEmbedder(), retriever=HybridRetriever(settings, FakeEmbedder(), store=store))
    qa.warm_up()
    return qa, store


def across(qa: QAService) -> list:
    analysis = analyze_question(QUESTION, qa.retriever.view.municipalities, qa.retriever.view.years)
    assert analysis.across_reports
    return qa.retrieve(QUESTION, 8, Filters(), qa.embedder.embed_query(QUESTION), analysis)


def test_a_question_across_reports_is_one_dense_search(corpus):
    qa, store = service(corpus)
    store.searches = 0
    qa.ask(QUESTION)
    assert store.searches == 1


def test_a_question_across_reports_takes_each_matching_report(corpus):
    qa, _ = service(corpus)
    hits = across(qa)
    documents = [h.record.chunk.document_id for h in hits]
    partners = corpus[2]
    assert partners <= set(documents)
    # Each report's best passage before any report's second one: the best-matching report does not crowd out the rest.
    assert len(set(documents[: len(set(documents))])) == len(set(documents))


def test_a_question_across_reports_takes_only_the_reports_matching_best(corpus):
    qa, _ = service(corpus, across_reports_documents=5)
    documents = {h.record.chunk.document_id for h in across(qa)}
    assert len(documents) == 5 and documents <= corpus[2]


def test_a_version_that_is_not_live_never_ranks(corpus):
    qa, store = service(corpus)
    retriever = qa.retriever
    query = "Röda korset stöd till nyanlända familjer"
    vector = qa.embedder.embed_query(query)
    before = [(h.record.chunk.chunk_id, h.score) for h in retriever.run(query, 10, mode="dense")]
    document_id = next(iter(corpus[2]))
    records = [r for r in retriever.view.records.values() if r.chunk.document_id == document_id]
    chunks = [r.chunk for r in records]
    units = [np.zeros((len(c.units), len(vector)), dtype=np.float32) for c in chunks]
    # Versions written and never made live (a crash, or an ingest not yet switched), every vector the query's own:
    # they fill the top of Chroma's ranking.
    for version in range(12):
        store.add_version(records[0].metadata, f"{version:064x}", chunks, np.tile(vector, (len(chunks), 1)), units)
    store.searches = 0
    after = retriever.run(query, 10, mode="dense")
    assert [(h.record.chunk.chunk_id, h.score) for h in after] == before
    assert all(h.record.content_hash == retriever.view.live_hashes[h.record.chunk.document_id] for h in after)
    assert store.searches > 1  # the first search was all stale; it was repeated deeper


def test_the_access_clause_only_for_a_caller_who_sees_few_reports(corpus):
    qa, store = service(corpus)
    query = "Röda korset intern kontroll"
    outsider = qa.visible_to(Access(frozenset({"ekonomi"})))
    hits = outsider.retriever.run(query, 10, mode="dense")
    assert hits and {h.record.chunk.document_id for h in hits} <= corpus[3]
    assert "access" in str(store.where)  # a share of 5/40: Chroma is asked for the visible vectors only
    insider = qa.visible_to(Access(frozenset({"revision"})))
    hits = insider.retriever.run(query, 10, mode="dense")
    assert store.where is None and {h.record.chunk.document_id for h in hits} - corpus[3]


def test_the_chunks_in_a_filter_are_those_of_the_reports_it_admits(corpus):
    qa, _ = service(corpus)
    view = qa.retriever.view
    some = sorted(view.live_hashes)[:3]
    place = view.records[view.order[0]].metadata.municipality
    for filters in (Filters(document_id=tuple(some)), Filters(municipality=(place,)), Filters(year=view.years[:2]), Filters()):
        expected = [r for r in view.records.values() if filters.admits(r)]
        assert expected and list(qa.retriever.records_in(filters)) == expected


@pytest.mark.parametrize("caller", [Access(everything=True), Access(groups=frozenset())])
def test_documents_found_by_filter_through_the_views_indexes_are_those_every_chunk_admits(corpus, caller):
    qa, _ = service(corpus)
    view = qa.visible_to(caller).retriever.view
    some = list(view.municipalities)
    filters = [
        Filters(), Filters(municipality=(some[0],)), Filters(municipality=(some[1], some[-1]), year=tuple(view.years[:6])),
        Filters(year=(view.years[2],)), Filters(document_id=tuple(view.document_ids[::3]) + ("no-such-report",), year=tuple(view.years[::2])),
        Filters(municipality=("Ingenstans",)),
    ]
    text = view.in_text_order
    listing = sorted(text, key=lambda d: (text[d][0].metadata.municipality or d, text[d][0].metadata.year or 0))
    for f in filters:
        admitted = [d for d, records in view.by_document.items() if f.admits(records[0])]
        assert view.documents_in(f) == admitted
        assert list(view.listed(f)) == [d for d in listing if d in admitted]
        assert list(qa.retriever.visible_to(caller).records_in(f)) == [r for r in view.records.values() if f.admits(r)]


def test_the_best_lexical_scores_are_taken_in_the_order_a_full_sort_gives():
    rng = np.random.default_rng(15)
    for size, count in ((0, 10), (5, 10), (1000, 40), (1000, 1), (200, 199), (200, 200)):
        scores = rng.integers(0, 6, size).astype(np.float32)  # few values: many ties
        positions = np.flatnonzero(scores > 0)
        whole = positions[np.argsort(-scores[positions], kind="stable")]
        best = _best_first(scores, positions, count)
        assert len(best) >= min(count, len(positions))
        assert best.tolist() == whole[: len(best)].tolist()


def test_a_filter_of_few_chunks_is_searched_exactly_and_ranks_as_chromas_filtered_search(corpus, monkeypatch):
    qa, store = service(corpus)
    view = qa.retriever.view
    some = list(view.municipalities)
    questions = ["Vilka kontrollmål bedömdes ej uppfyllda?", QUESTION, "Hur följer kommunstyrelsen upp den interna kontrollen?"]
    filters = [Filters(municipality=(some[0],)), Filters(municipality=tuple(some[:7])), Filters(year=tuple(view.years[:3]))]
    for question in questions:
        vector = qa.embedder.embed_query(question)
        for f in filters:
            store.searches = 0
            monkeypatch.setattr(retrieval, "EXACT_SHARE", 1.0)  # this corpus is small: every filter counts as few chunks
            exact = qa.retriever._dense(vector, 40, f)
            assert store.searches == 0 and exact
            monkeypatch.setattr(retrieval, "EXACT_UP_TO", 0)
            searched = qa.retriever._dense(vector, 40, f)
            monkeypatch.undo()
            assert store.searches >= 1
            # The same scores in the same order; chunks of equal text (the generated reports share most of theirs)
            # tie, and Chroma orders a tie as it finds it.
            assert np.allclose([s for _, s in exact], [s for _, s in searched], atol=1e-5)
            assert tied(exact) == tied(searched)


def test_a_filter_of_many_chunks_is_left_to_chromas_filtered_search(corpus):
    qa, store = service(corpus)
    view = qa.retriever.view
    vector = qa.embedder.embed_query(QUESTION)
    one, many = Filters(municipality=(view.municipalities[0],)), Filters(year=tuple(view.years))
    assert len(list(qa.retriever.records_in(one))) <= retrieval.EXACT_SHARE * len(view.records) < len(list(qa.retriever.records_in(many)))
    store.searches = 0
    qa.retriever._dense(vector, 40, one)
    assert store.searches == 0
    qa.retriever._dense(vector, 40, many)
    assert store.searches >= 1


def tied(ranking: list[tuple[str, float]]) -> list[set[str]]:
    """The chunks of a ranking grouped by equal score (to float32's precision), in order."""
    groups: list[tuple[float, set[str]]] = []
    for chunk_id, score in ranking:
        if groups and abs(groups[-1][0] - score) < 1e-5:
            groups[-1][1].add(chunk_id)
        else:
            groups.append((score, {chunk_id}))
    return [ids for _, ids in groups[:-1]]  # the last group is cut off by the depth


def test_a_reload_reads_only_the_documents_that_changed_and_builds_the_view_a_full_read_gives(tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    written = list(write_reports(folder, 8))
    settings = make_settings(tmp_path / "home", corpus_dir=folder)
    ingestor = Ingestor(settings, FakeEmbedder())
    ingestor.run(folder)
    retriever = HybridRetriever(settings, FakeEmbedder())
    retriever.warm_up()
    before = retriever.view
    changed = folder / f"{written[2]}.txt"
    changed.write_text(changed.read_text(encoding="utf-8") + "\n6. Tillägg\n\nKommunstyrelsen har beslutat om en ny plan.\n", encoding="utf-8")
    write_reports(folder, 9, seed=16)  # other municipalities: new reports
    (folder / f"{written[5]}.txt").unlink()
    report = ingestor.run(folder)
    assert report.updated and report.added and ingestor.remove(written[5])
    read: list = []
    chunks = retriever.catalog.chunks
    retriever.catalog.chunks = lambda documents=None: read.append(documents) or chunks(documents)
    retriever.reload()
    assert read and all(documents is not None for documents in read)
    assert set(read[0]) == {written[2], *report.added}
    assert not list(settings.lexical_path.glob("derived-*")), "a reload does not wait for the derived index to be saved"
    whole = HybridRetriever(settings, FakeEmbedder())
    whole.warm_up()
    assert list(settings.lexical_path.glob("derived-*-index.json")), "a start saves it"
    assert list(retriever.view.records.items()) == list(whole.view.records.items())
    assert retriever.view.live_hashes == whole.view.live_hashes and retriever.view.order == whole.view.order
    # The records of the documents that did not change are those of the view before, not read again.
    assert retriever.view.records[before.by_document[written[0]][0].chunk.chunk_id] is before.by_document[written[0]][0]


def test_chunk_records_read_a_page_at_a_time_are_those_of_one_read(corpus, monkeypatch):
    """The view's records are read a page of rows and one document's text at a time (a page boundary inside a
    document, more documents asked for than one statement binds): the same records, in the same order, each text
    its document's span, and the values a document's chunks repeat held once."""
    home, folder = corpus[:2]
    catalog = Catalog(make_settings(home, corpus_dir=folder).catalog_path)
    whole = catalog.chunks()
    some = sorted({r.chunk.document_id for r in whole})[::3]
    monkeypatch.setattr(catalog_module, "_ROWS_PER_PAGE", 7)
    monkeypatch.setattr(catalog_module, "_KEYS_PER_READ", 4)
    paged = catalog.chunks()
    assert paged == whole and len(paged) > 7 * 4
    assert catalog.chunks(some) == [r for r in whole if r.chunk.document_id in some]
    texts = {d: catalog.document_text(d) for d in some}
    for record in catalog.chunks(some):
        chunk = record.chunk
        assert chunk.text == texts[chunk.document_id][chunk.char_start : chunk.char_end]
    for document_id in some:
        records = [r for r in paged if r.chunk.document_id == document_id]
        assert len({id(r.chunk.document_id) for r in records}) == len({id(r.content_hash) for r in records}) == 1
        assert len({id(r.chunk.kind) for r in records}) == len({r.chunk.kind for r in records})


def test_chunks_in_text_order_are_those_one_stable_sort_of_every_record_gives(corpus):
    qa, _ = service(corpus)
    view = qa.retriever.view
    scrambled = list(view.records.values())[::-1]  # documents and chunks out of order, offsets tied across documents
    for records in (list(view.records.values()), scrambled):
        expected: dict[str, list] = {}
        for record in sorted(records, key=lambda r: r.chunk.char_start):
            expected.setdefault(record.chunk.document_id, []).append(record)
        built = CorpusView(records={r.chunk.chunk_id: r for r in records}, order=[r.chunk.chunk_id for r in records]).in_text_order
        assert list(built.items()) == list(expected.items())
        assert len({records[0].chunk.char_start for records in built.values()}) < len(built), "ties between documents"
