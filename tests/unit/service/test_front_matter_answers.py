"""Answers never quote a report's front matter or its markup: the real pipeline and app on the fake embedder, over
a report written here in the genre's conventions (cover, table of contents, markup, footnotes, a summary that
repeats a later paragraph) and, where they are available, the tuning real reports read in place."""

import re

import pytest
from fastapi.testclient import TestClient
from fixtures.fake_embedder import FakeEmbedder
from fixtures.homes import REAL_REPORTS, TUNING_REPORTS, make_settings

from ingest.pipeline import Ingestor
from ingest.structure.parsing import ReportParser
from service.api.app import create_app

REPEATED = "Vi bedömer att kommunstyrelsen i huvudsak har en ändamålsenlig styrning av bostadsförsörjningen"
# The fake embedder finds a sentence by its words: the question words the assessment as the report does.
ASSESSMENT_QUESTION = "Bedömer vi att kommunstyrelsen i huvudsak har en ändamålsenlig styrning av bostadsförsörjningen?"
REPORT = f"""Revisionsrapport

Granskning av bostadsförsörjningen

Vimmerby kommun

Anna Andersson, certifierad kommunal revisor

Mars 2021

Innehållsförteckning

1. Sammanfattning ...2

2. Inledning ...3

2.1 Syfte och revisionsfrågor ...3

3. Iakttagelser och bedömningar ...4

1. Sammanfattning

<p>{REPEATED}.</p> Kommunen saknar dock en **aktuell** riktlinje för bostadsförsörjningen.¹

¹ Lag om kommunernas bostadsförsörjningsansvar

2. Inledning

2.1 Syfte och revisionsfrågor

Syftet med granskningen är att bedöma om kommunstyrelsen styr bostadsförsörjningen på ett ändamålsenligt sätt.

- Har kommunstyrelsen en aktuell riktlinje för bostadsförsörjningen i kommunen?
- Följer kommunstyrelsen upp bostadskön och behovet av bostäder varje år?

3. Iakttagelser och bedömningar

Kommunstyrelsen antog riktlinjen för bostadsförsörjningen år 2014 och den har inte reviderats sedan dess.
Bostadskön hade 1 250 sökande vid årsskiftet enligt det kommunala bostadsbolaget.

Vi bedömer därför att kommunstyrelsen i huvudsak har en ändamålsenlig styrning av bostadsförsörjningen.
"""
QUESTIONS = [
    "Granskning av bostadsförsörjningen i Vimmerby kommun",
    "Vad innehåller revisionsrapporten om bostadsförsörjningen i Vimmerby?",
    ASSESSMENT_QUESTION,
    "Hur många sökande hade bostadskön i Vimmerby?",
    "Hur många nya hyresrätter byggde bostadsbolaget i Vimmerby år 2020?",
    "Vem skrev revisionsrapporten om bostadsförsörjningen?",
    "Revisionsrapport Sammanfattning Inledning Syfte och revisionsfrågor Iakttagelser och bedömningar",
]
# Questions worded like the tuning reports' covers and contents, and facts none of them states.
REAL_QUESTIONS = [
    "Revisionsrapport granskning sammanfattning inledning bakgrund revisionsfrågor metod",
    "Innehållsförteckning sammanfattning bedömning rekommendationer bilagor",
    "Vilket datum är revisionsrapporten daterad och vem är revisionskonsult?",
    "Hur många anställda har kommunens upphandlingsenhet?",
    "Hur stor var investeringsbudgeten för vatten och avlopp år 2012?",
    "Vilka rekommendationer lämnade revisorerna till kommunstyrelsen?",
]


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    folder = tmp_path_factory.mktemp("front-matter-reports")
    (folder / "vimmerby-2021-bostadsforsorjning.txt").write_text(REPORT, encoding="utf-8")
    real = [REAL_REPORTS / f"{name}.txt" for name in TUNING_REPORTS if (REAL_REPORTS / f"{name}.txt").is_file()]
    settings = make_settings(tmp_path_factory.mktemp("front-matter-home"), corpus_dir=folder)
    report = Ingestor(settings, FakeEmbedder()).run_files([folder / "vimmerby-2021-bostadsforsorjning.txt", *real])
    assert not report.failed, report.summary()
    with TestClient(create_app(settings, FakeEmbedder())) as client:
        client.real_reports = bool(real)
        yield client


def front_matter(client, document_id: str) -> tuple[str, list[tuple[int, int]]]:
    text = client.get(f"/v1/documents/{document_id}").json()["text"]
    blocks = ReportParser().run(text).blocks
    return text, [(b.char_start, b.char_end) for b in blocks if b.kind in ("cover", "toc", "debris")]


def assert_clean_answer(client, question: str) -> dict:
    body = client.post("/v1/ask", json={"question": question}).json()
    assert "avsnitt :" not in body["answer"] and "avsnitt ," not in body["answer"], body["answer"]
    assert not re.search(r"</?p>|\*\*|&amp;|[^\W\d_]{4}[¹²³]", body["answer"]), body["answer"]
    for citation in body["citations"]:
        text, spans = front_matter(client, citation["document_id"])
        assert text[citation["quote_start"] : citation["quote_end"]] == citation["quote"]
        if body["answerer"] != "report":  # only the report answerer cites a cover line, for a date, author or firm
            assert not any(citation["quote_start"] < e and s < citation["quote_end"] for s, e in spans), (question, citation["quote"])
    return body


@pytest.mark.parametrize("question", QUESTIONS)
def test_answers_never_quote_the_cover_or_the_contents(client, question):
    assert_clean_answer(client, question)


@pytest.mark.parametrize("question", REAL_QUESTIONS)
def test_answers_over_the_tuning_real_reports_never_quote_their_front_matter(client, question):
    if not client.real_reports:
        pytest.skip(f"the real reports are not available ({REAL_REPORTS})")
    assert_clean_answer(client, question)


def test_a_statement_the_summary_repeats_is_quoted_once(client):
    body = assert_clean_answer(client, ASSESSMENT_QUESTION)
    assert body["grounded"] and body["answer"].count("ändamålsenlig styrning") == 1, body["answer"]


def test_an_audit_question_is_never_quoted_as_its_own_answer(client):
    body = assert_clean_answer(client, "Har kommunstyrelsen en aktuell riktlinje för bostadsförsörjningen i kommunen?")
    assert not any(c["quote"].rstrip().endswith("?") for c in body["citations"]), body["answer"]


def test_search_results_name_their_part_and_leave_out_the_cover(client):
    results = client.post("/v1/search", json={"query": "bostadskön sökande riktlinjen", "top_k": 10}).json()["results"]
    parts = {r["part"] for r in results if r["document_id"] == "vimmerby-2021-bostadsforsorjning"}
    assert "iakttagelser" in parts and parts <= {"sammanfattning", "syfte", "iakttagelser"}
    # The cover is kept in the document (the report answerer cites it) but holds nothing a search should rank.
    cover = client.post("/v1/search", json={"query": "Anna Andersson certifierad kommunal revisor Mars 2021", "top_k": 20}).json()
    assert all(r["part"] != "omslag" for r in cover["results"])
    assert "Anna Andersson, certifierad kommunal revisor" in client.get("/v1/documents/vimmerby-2021-bostadsforsorjning").json()["text"]


def test_a_cover_dated_by_month_answers_when_the_audit_was_done(client):
    body = client.post("/v1/ask", json={"question": "När genomfördes granskningen av bostadsförsörjningen i Vimmerby?"}).json()
    assert body["answerer"] == "report" and "mars 2021" in body["answer"], body["answer"]
    text, spans = front_matter(client, "vimmerby-2021-bostadsforsorjning")
    [citation] = body["citations"]
    assert citation["quote"] == "Mars 2021" or "Mars 2021" in citation["quote"]
    assert any(s <= citation["quote_start"] < e for s, e in spans)


def test_authors_not_in_the_metadata_are_shown_by_quoting_the_cover(client):
    body = client.post("/v1/ask", json={"question": "Vilka skrev rapporten om bostadsförsörjningen i Vimmerby?"}).json()
    assert body["answerer"] == "report" and "Anna Andersson" in body["answer"], body["answer"]
    # Never "the report names no author" when the cover may name them.
    assert "ingen författare" not in body["answer"]
    assert any("Anna Andersson" in c["quote"] for c in body["citations"])



def test_a_purpose_question_is_answered_from_the_syfte_section(client):
    body = assert_clean_answer(client, "Vad var syftet med granskningen i Vimmerby?")
    assert body["grounded"] and "Syftet med granskningen är att bedöma" in body["answer"], body["answer"]
    assert all(c["part"] == "syfte" for c in body["citations"])
