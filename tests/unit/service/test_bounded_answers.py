"""List answers over many reports stay bounded: counted in full, set out one page of reports at a time (offset and
limit in /v1/ask, the page in the response), and no response carries a chunk's text twice. /v1/findings pages too.
The real app, pipeline and Chroma (embedded) with the fake embedder, on generated reports."""

import dataclasses
import json
import re

import pytest
from fastapi.testclient import TestClient
from fixtures.fake_embedder import FakeEmbedder
from fixtures.homes import make_settings
from fixtures.many_reports import write_reports

from ingest.index import findings_store
from ingest.index.findings_store import FindingCounts, KindFindings
from ingest.pipeline import Ingestor
from service.api.app import create_app

REPORTS = 30
NOT_MET = "Vilka kontrollmål bedömdes ej uppfyllda?"


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bounded-reports")
    write_reports(folder, REPORTS)
    settings = make_settings(tmp_path_factory.mktemp("bounded-home"), corpus_dir=folder)
    report = Ingestor(settings, FakeEmbedder()).run(folder)
    assert len(report.added) == REPORTS, report.summary()
    with TestClient(create_app(settings, FakeEmbedder())) as client:
        yield client


def ask(client: TestClient, question: str, **page) -> dict:
    response = client.post("/v1/ask", json={"question": question, **page})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["answerer"] == "findings"
    carried = [(c["document_id"], c["char_start"]) for c in body["citations"] if c["text"] is not None]
    assert len(carried) == len(set(carried)), "a chunk's text twice in one response"
    assert {(c["document_id"], c["char_start"]) for c in body["citations"]} == set(carried)
    return body


def headed(answer: str) -> list[str]:
    """The reports an answer sets out: the labels that head their blocks ("Ale (2014) – …")."""
    return re.findall(r"^(\w[\w ]* \(\d{4}\)) – ", answer, re.MULTILINE)


def test_a_list_question_over_many_reports_is_counted_and_paged(client):
    first = ask(client, NOT_MET, limit=5)
    page = first["page"]
    assert page["offset"] == 0 and page["limit"] == 5 and page["next_offset"] == 5
    assert len(headed(first["answer"])) == 5
    assert re.match(rf"\d+ kontrollmål bedömdes som ej uppfyllda i {page['total']} av {REPORTS} rapporter", first["answer"])
    assert first["answer"].rstrip().endswith("nästa sida med offset=5.")
    seen, offset = [], 0
    while offset is not None:
        body = ask(client, NOT_MET, offset=offset, limit=5)
        seen += headed(body["answer"])
        offset = body["page"]["next_offset"]
    assert len(seen) == len(set(seen)) == page["total"]
    # The reports without the verdict are counted, not named one by one.
    assert f"I övriga {REPORTS - page['total']} rapporter bedömdes inga kontrollmål som ej uppfyllda." in first["answer"]


def test_a_recommendation_list_over_many_reports_keeps_to_a_page(client):
    body = ask(client, "Vilka rekommendationer gavs?")
    assert body["page"] == {"offset": 0, "limit": 20, "total": REPORTS, "next_offset": 20}
    assert body["answer"].startswith(f"{2 * REPORTS} rekommendationer i {REPORTS} rapporter.")
    assert len(headed(body["answer"])) == 20
    # Both recommendations of a report stand in one chunk: its text is carried once.
    assert sum(c["text"] is None for c in body["citations"]) >= 20


def test_a_list_over_few_reports_is_not_paged(client):
    body = ask(client, "Vilka rekommendationer gavs?", limit=REPORTS)
    assert body["page"] is None and len(headed(body["answer"])) == REPORTS


def test_findings_are_paged(client):
    everything = client.get("/v1/findings", params={"kind": "kontrollmal"}).json()
    assert everything["total"] == 3 * REPORTS == len(everything["findings"]) and everything["next_offset"] is None
    pages, offset = [], 0
    while offset is not None:
        body = client.get("/v1/findings", params={"kind": "kontrollmal", "offset": offset, "limit": 25}).json()
        assert body["total"] == 3 * REPORTS and len(body["findings"]) <= 25
        pages += body["findings"]
        offset = body["next_offset"]
    assert pages == everything["findings"]


def test_a_refusal_counts_the_reports_rather_than_naming_each(client):
    body = client.post("/v1/ask", json={"question": "Kan du skriva en dikt om revision?"}).json()
    assert body["answerer"] == "refusal"
    assert f"Underlaget omfattar {REPORTS} rapporter från {REPORTS} kommuner, 2012–2023." in body["answer"]


def test_a_streamed_list_answer_ends_with_its_page(client):
    response = client.post("/v1/ask", json={"question": NOT_MET, "limit": 5, "stream": True})
    done = response.text.split("event: done\n", 1)[1]
    page = json.loads(done.removeprefix("data: ").split("\n", 1)[0])["page"]
    assert page["offset"] == 0 and page["limit"] == 5 and page["next_offset"] == 5


def test_findings_of_some_reports_are_read_without_reading_every_report(client, monkeypatch):
    store = client.app.state.qa.findings_store
    everything = store.query(kind="kontrollmal")
    some = sorted({f.document_id for f in everything})[3:12]
    monkeypatch.setattr(findings_store, "_IDS_PER_STATEMENT", 4)  # several statements, as for thousands of reports
    assert store.query(kind="kontrollmal", documents=some) == [f for f in everything if f.document_id in some]


@pytest.mark.parametrize("question", [NOT_MET, "Hur bedömdes kontrollmålen?", "Vilka rekommendationer gavs?"])
def test_a_paged_answer_counted_in_sql_is_the_one_reading_every_finding_gives(client, monkeypatch, question):
    qa = client.app.state.qa
    store = qa.findings_store
    read: list = []
    query = store.query

    def spied(*args, **kwargs):
        read.append(kwargs.get("documents"))
        return query(*args, **kwargs)

    monkeypatch.setattr(store, "query", spied)
    paged = qa.ask(question, limit=5).answer
    # Only the page's reports are read in full; the rest are counted.
    assert read and all(documents is not None and len(documents) <= 5 for documents in read)

    def every_finding_read(kind, documents, every=False):
        found = {d: [] for d in documents}
        for finding in query(kind=kind):
            found.setdefault(finding.document_id, []).append(finding)
        return KindFindings.given(kind, {d: found[d] for d in documents})

    monkeypatch.setattr(store, "of_kind", every_finding_read)
    rewrite_findings(store, sorted(store.statuses())[0])  # what was counted before is counted again
    assert qa.ask(question, limit=5).answer == paged
    monkeypatch.undo()
    rewrite_findings(store, sorted(store.statuses())[0])  # nothing derived from the stand-in is kept for later tests


def rewrite_findings(store, document_id: str) -> None:
    """A report's findings written again as they are: the findings' stamp moves on, nothing else changes."""
    store.replace(document_id, store.query(document_id=document_id), store.status(document_id))


def test_counts_over_every_report_are_kept_until_the_findings_change(client, monkeypatch):
    qa = client.app.state.qa
    store = qa.findings_store
    first = qa.ask(NOT_MET, limit=5).answer
    counted: list = []
    counts = store.counts
    monkeypatch.setattr(store, "counts", lambda *args: counted.append(args) or counts(*args))
    # Asked again (another page too), nothing is counted or read over every report: only the page's findings.
    assert qa.ask(NOT_MET, limit=5).answer == first
    assert qa.ask(NOT_MET, offset=5, limit=5).answer.page.offset == 5
    assert counted == []
    # A report's findings change (as an ingest in another process changes them, after its catalog switch): the next
    # answer counts again, and counts the change.
    hit = next(d for d in store.statuses() if any(f.verdict == "ej uppfyllt" for f in store.query(document_id=d, kind="kontrollmal")))
    findings = store.query(document_id=hit)
    status = store.status(hit)
    try:
        store.replace(hit, [dataclasses.replace(f, verdict="uppfyllt") if f.verdict == "ej uppfyllt" else f for f in findings], status)
        changed = qa.ask(NOT_MET, limit=5).answer
        assert counted and changed.page.total == first.page.total - 1
    finally:
        store.replace(hit, findings, status)
    assert qa.ask(NOT_MET, limit=5).answer == first


def test_a_list_of_reports_by_subject_and_the_count_of_reports_are_paged(client):
    for question, lead in (("Vilka rapporter handlar om intern kontroll?", "Rapporter om intern kontroll (30):"),
                           ("Hur många rapporter finns det?", f"{REPORTS} rapporter:")):
        seen, offset = [], 0
        while offset is not None:
            body = client.post("/v1/ask", json={"question": question, "offset": offset, "limit": 12}).json()
            assert body["answerer"] == "report" and body["answer"].startswith(lead)
            assert body["page"]["total"] == REPORTS and len(body["citations"]) <= 12
            seen += [c["document_id"] for c in body["citations"]]
            offset = body["page"]["next_offset"]
        assert len(seen) == len(set(seen)) == REPORTS
        whole = client.post("/v1/ask", json={"question": question, "limit": REPORTS}).json()
        assert whole["page"] is None and [c["document_id"] for c in whole["citations"]] == seen


def test_findings_counted_in_sql_are_those_read(client, monkeypatch):
    store = client.app.state.qa.findings_store
    for kind in ("kontrollmal", "rekommendation"):
        read: dict[str, list] = {}
        for finding in store.query(kind=kind):
            read.setdefault(finding.document_id, []).append(finding)
        expected = {d: FindingCounts.of(found) for d, found in read.items()}
        assert store.counts(kind) == expected
        some = sorted(read)[3:12]
        monkeypatch.setattr(findings_store, "_IDS_PER_STATEMENT", 4)
        assert store.counts(kind, some) == {d: expected[d] for d in some}
        monkeypatch.undo()
    # Counts of verdicts, as the answers give them.
    kontrollmal = store.of_kind("kontrollmal", sorted(store.statuses()), every=True)
    assert sum(kontrollmal.count_of(d, "ej uppfyllt") for d in kontrollmal) == len(store.query(kind="kontrollmal", verdict="ej uppfyllt"))


@pytest.mark.parametrize("params", [{}, {"kind": "kontrollmal", "verdict": "ej uppfyllt"}, {"municipality": "MORA"}, {"kind": "rekommendation"}])
def test_findings_pages_counted_and_cut_in_sql_are_those_of_reading_every_finding(client, params):
    qa = client.app.state.qa
    if "municipality" in params:
        params = {**params, "municipality": qa.retriever.view.municipalities[3]}
    every = [f.to_dict() for f in qa.findings(**params)]
    assert qa.findings_answerer.sees_every_report()
    pages, offset = [], 0
    while offset is not None:
        body = client.get("/v1/findings", params={**params, "offset": offset, "limit": 7}).json()
        assert body["total"] == len(every) and len(body["findings"]) <= 7
        pages += body["findings"]
        offset = body["next_offset"]
    assert pages == every


def test_the_reports_between_the_oldest_and_the_newest_and_a_fact_of_every_report_are_paged(client):
    oldest = client.post("/v1/ask", json={"question": "Vilken rapport är äldst?", "limit": 12}).json()
    assert oldest["answerer"] == "report" and oldest["answer"].startswith("Äldst: ")
    assert oldest["page"] == {"offset": 0, "limit": 12, "total": REPORTS - 2, "next_offset": 12}
    whole = client.post("/v1/ask", json={"question": "Vilken rapport är äldst?", "limit": REPORTS}).json()
    assert whole["page"] is None and len(whole["citations"]) == REPORTS
    dated = client.post("/v1/ask", json={"question": "När är rapporterna daterade?", "limit": 12}).json()
    assert dated["answerer"] == "report" and dated["page"]["total"] == REPORTS and len(dated["citations"]) == 12


def test_a_report_list_past_its_last_page_says_where_it_ends_and_one_that_fits_a_page_is_whole(client):
    past = client.post("/v1/ask", json={"question": "När är rapporterna daterade?", "offset": 40}).json()
    assert past["answerer"] == "report" and past["answer"] == f"Inga fler rapporter: svaret omfattar {REPORTS}." and not past["grounded"]
    assert past["page"]["total"] == REPORTS and past["page"]["next_offset"] is None
    municipality = client.app.state.qa.retriever.view.municipalities[0]
    one = [client.post("/v1/ask", json={"question": f"När är rapporten från {municipality} daterad?", "offset": offset}).json() for offset in (0, 20)]
    assert one[0]["grounded"] and one[0]["page"] is None and one[1] | {"conversation_id": None} == one[0] | {"conversation_id": None}


# -- the OpenAI-compatible follow-up suggestions ---------------------------------------------------------------

FOLLOW_UPS = (
    "### Task:\nSuggest 3-5 relevant follow-up questions or prompts that the user might naturally ask next in this conversation.\n"
    '### Output:\nJSON format: { "follow_ups": ["Question 1?", "Question 2?"] }\n### Chat History:\n<chat_history>\nUSER: {question}\n'
    "ASSISTANT: …\n</chat_history>"
)
NOT_MET_IN = "Vilka kontrollmål bedömdes ej uppfyllda i {}?"


def follow_ups(client: TestClient, question: str) -> list[str]:
    prompt = FOLLOW_UPS.replace("{question}", question)
    body = client.post("/v1/chat/completions", json={"model": "auditqa-extractive", "messages": [{"role": "user", "content": prompt}]}).json()
    return json.loads(body["choices"][0]["message"]["content"])["follow_ups"]


def every_finding(client: TestClient, **params) -> list[dict]:
    found, offset = [], 0
    while offset is not None:
        page = client.get("/v1/findings", params={**params, "offset": offset, "limit": 1000}).json()
        found += page["findings"]
        offset = page["next_offset"]
    return found


def spy_on_findings(store, monkeypatch) -> tuple[list, list]:
    """What the findings store is asked from now on: the documents each count is of, and every read."""
    counted, read = [], []
    counts, query = store.counts, store.query
    monkeypatch.setattr(store, "counts", lambda kind, documents=None: counted.append(documents) or counts(kind, documents))
    monkeypatch.setattr(store, "query", lambda *args, **kwargs: read.append(kwargs) or query(*args, **kwargs))
    return counted, read


def test_follow_ups_on_a_municipality_count_its_reports_findings_only(client, monkeypatch):
    qa = client.app.state.qa
    municipality = next(f["municipality"] for f in every_finding(client, kind="kontrollmal", verdict="ej uppfyllt"))
    its_reports = sorted(d for d, meta in qa.retriever.view.document_metadata.items() if meta.municipality == municipality)
    counted, read = spy_on_findings(qa.findings_store, monkeypatch)
    suggested = follow_ups(client, f"Vilka rekommendationer gavs i {municipality}?")
    assert counted and all(documents is not None and sorted(documents) == its_reports for documents in counted) and not read
    monkeypatch.undo()
    stated = every_finding(client, municipality=municipality)
    assert NOT_MET_IN.format(municipality) == suggested[0] and f"Vilka rekommendationer gavs i {municipality}?" not in suggested
    assert (f"Hur bedömdes kontrollmålen i {municipality}?" in suggested) is any(f["kind"] == "kontrollmal" for f in stated)
    for question in suggested:
        answer = client.post("/v1/ask", json={"question": question}).json()
        assert answer["grounded"] and answer["answerer"] == "findings", (question, answer["answer"])


def test_follow_ups_over_every_report_are_derived_once_until_the_findings_change(client, monkeypatch):
    def expected() -> list[str]:
        """The reports' own order (by id): the municipalities whose reports assess kontrollmål, those with one not met
        asked about first, the comparison second."""
        goals = every_finding(client, kind="kontrollmal")
        not_met = {f["municipality"] for f in goals if f["verdict"] == "ej uppfyllt"}
        places = [m for m in dict.fromkeys(f["municipality"] for f in goals) if m in not_met]
        assert len(places) >= 4
        return [NOT_MET_IN.format(places[0]), "Vilken kommun fick den mest kritiska bedömningen?", *map(NOT_MET_IN.format, places[1:4])]

    question = "Vilka rekommendationer gavs i rapporterna?"
    first = follow_ups(client, question)
    assert first == expected()
    store = client.app.state.qa.findings_store
    counted, read = spy_on_findings(store, monkeypatch)
    assert follow_ups(client, question) == first and not counted and not read
    monkeypatch.undo()
    # The first municipality's kontrollmål all met now (as an ingest in another process would change them): the next
    # suggestions count again, and leave it out.
    municipality = first[0].removeprefix("Vilka kontrollmål bedömdes ej uppfyllda i ").removesuffix("?")
    changed = sorted({f["document_id"] for f in every_finding(client, municipality=municipality, kind="kontrollmal")})
    kept = {d: (store.query(document_id=d), store.status(d)) for d in changed}
    try:
        for document_id, (findings, status) in kept.items():
            store.replace(document_id, [dataclasses.replace(f, verdict="uppfyllt") if f.verdict == "ej uppfyllt" else f for f in findings], status)
        again = follow_ups(client, question)
        assert again == expected() and NOT_MET_IN.format(municipality) not in again
    finally:
        for document_id, (findings, status) in kept.items():
            store.replace(document_id, findings, status)
    assert follow_ups(client, question) == first


def test_the_reports_dates_are_searched_for_once_per_view_and_a_filter_takes_its_reports_in_that_order(client, monkeypatch):
    def by_date(body: dict) -> list[str]:
        """The reports an answer dates, oldest first: it cites the oldest, the newest, then those between in order."""
        cited = [c["document_id"] for c in body["citations"]]
        return [cited[0], *cited[2:], cited[1]]

    question = {"question": "Vilken rapport är äldst?", "limit": REPORTS}
    whole = client.post("/v1/ask", json=question).json()
    answerer = client.app.state.qa.report_answerer
    searched: list[str] = []
    date = answerer._date
    monkeypatch.setattr(answerer, "_date", lambda document_id: searched.append(document_id) or date(document_id))
    assert client.post("/v1/ask", json=question).json() == whole
    listed = client.get("/v1/documents").json()
    some = list(listed["municipalities"])[3:9]
    theirs = {d["document_id"] for d in listed["documents"] if d["municipality"] in some}
    part = client.post("/v1/ask", json={**question, "filters": {"municipality": some}}).json()
    assert part["answerer"] == "report" and part["answer"].startswith("Äldst: ")
    assert by_date(part) == [d for d in by_date(whole) if d in theirs] and len(theirs) == 6
    assert searched == []
