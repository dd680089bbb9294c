"""Facts a report states about itself in labelled lines (its number of pages, diarienummer, report number, address):
asked in staff's words, answered with the value and cited where the line stands; a report that states none leaves
the question to retrieval. The real pipeline and app on the fake embedder, over reports written here in the genre's
conventions (a firm's cover, an audit office's back page)."""

import pytest
from fastapi.testclient import TestClient
from fixtures.fake_embedder import FakeEmbedder
from fixtures.homes import make_settings

from ingest.pipeline import Ingestor
from service.api.app import create_app
from service.query.report_questions import read_report_question

BODY = """Sammanfattning

Vi bedömer att kommunstyrelsen i huvudsak har en ändamålsenlig styrning av bostadsförsörjningen. Riktlinjen för
bostadsförsörjningen har dock inte reviderats sedan den antogs av fullmäktige.

Rekommendationer

Vi rekommenderar kommunstyrelsen att revidera riktlinjen för bostadsförsörjningen.
"""
LABELLED = f"""Revisionsrapport
Granskning av bostadsförsörjningen
Vimmerby kommun
KPMG AB
Antal sidor: 14
Dnr KS 2021/45

{BODY}
Revisionskontoret
Besöksadress: Storgatan 12, 598 37 Vimmerby
Rapport 3/2021
"""
UNLABELLED = f"""Revisionsrapport
Granskning av hemtjänsten
Hultsfreds kommun
Mars 2020

{BODY}
Nämnden antog Åtgärdsplan 1 och en Femårsplan 2016 för hemtjänsten.
"""


@pytest.mark.parametrize(
    ("question", "asked"),
    [
        ("Hur många sidor har rapporten i Vimmerby?", "pages"),
        ("Hur lång är rapporten om bostadsförsörjningen?", "pages"),
        ("How many pages does the Vimmerby report have?", "pages"),
        ("Vilket diarienummer har granskningen i Vimmerby?", "reference"),
        ("vilket dnr har vimmerby rapporten", "reference"),
        ("What is the reference number of the Vimmerby report?", "reference"),
        ("Vilket nummer har rapporten från Vimmerby?", "number"),
        ("Vilket rapportnummer har granskningen?", "number"),
        ("Vilken adress har revisionskontoret?", "address"),
        ("Var ligger revisionskontoret?", "address"),
        ("Vilken gatuadress har revisionskontoret?", "address"),
        ("Vilken e-postadress har revisionskontoret?", None),
        # Numbers and pages of what a report describes, not of the report:
        ("Hur många sidor har kommunens riktlinje?", None),
        ("Vilket diarienummer har kommunstyrelsens beslut om riktlinjen?", None),
        ("Vilken adress har det nya äldreboendet?", None),
        ("Vilket nummer har paragrafen om bostadsförsörjning?", None),
        ("Hur många lägenheter har bostadsbolaget?", None),
    ],
)
def test_document_fact_questions_are_recognized(question, asked):
    assert read_report_question(question) == asked


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fact-reports")
    (folder / "vimmerby-2021-bostader.txt").write_text(LABELLED, encoding="utf-8")
    (folder / "hultsfred-2020-hemtjanst.txt").write_text(UNLABELLED, encoding="utf-8")
    settings = make_settings(tmp_path_factory.mktemp("fact-home"), corpus_dir=folder)
    report = Ingestor(settings, FakeEmbedder()).run_files(sorted(folder.glob("*.txt")))
    assert not report.failed, report.summary()
    with TestClient(create_app(settings, FakeEmbedder())) as client:
        yield client


@pytest.mark.parametrize(
    ("question", "value", "line"),
    [
        ("Hur många sidor har rapporten i Vimmerby?", "antal sidor 14", "Antal sidor: 14"),
        ("Vilket diarienummer har granskningen i Vimmerby?", "diarienummer KS 2021/45", "Dnr KS 2021/45"),
        ("Vilket nummer har rapporten från Vimmerby?", "rapportnummer 3/2021", "Rapport 3/2021"),
        ("Vilken adress har revisionskontoret i Vimmerby?", "adress Storgatan 12, 598 37 Vimmerby", "Besöksadress: Storgatan 12"),
    ],
)
def test_a_labelled_line_answers_with_its_value_cited(client, question, value, line):
    body = client.post("/v1/ask", json={"question": question}).json()
    assert body["answerer"] == "report" and body["grounded"], body
    assert value in body["answer"], body["answer"]
    assert [c["document_id"] for c in body["citations"]] == ["vimmerby-2021-bostader"]
    assert line in body["citations"][0]["quote"], body["citations"][0]["quote"]


@pytest.mark.parametrize(
    ("question", "value", "line"),
    [
        ("How many pages does the Vimmerby report have?", "number of pages (antal sidor): 14", "Antal sidor: 14"),
        ("What is the reference number of the audit in Vimmerby?", "reference number (diarienummer): KS 2021/45", "Dnr KS 2021/45"),
        ("What is the report number of the Vimmerby report?", "report number (rapportnummer): 3/2021", "Rapport 3/2021"),
        ("What is the visiting address of the audit office in Vimmerby?", "address (adress): Storgatan 12, 598 37 Vimmerby", "Besöksadress: Storgatan 12"),
    ],
)
def test_an_english_question_gets_the_value_in_an_english_frame(client, question, value, line):
    body = client.post("/v1/ask", json={"question": question}).json()
    assert body["answerer"] == "report" and body["grounded"], body
    assert body["answer"] == f'According to the reports (quoted in Swedish):\nVimmerby, "Granskning av bostadsförsörjningen": {value} [1]'
    assert line in body["citations"][0]["quote"], body["citations"][0]["quote"]


@pytest.mark.parametrize(
    "question",
    ["Hur många sidor har rapporten i Hultsfred?", "Vilket diarienummer har granskningen i Hultsfred?", "Vilken adress har revisionskontoret i Hultsfred?"],
)
def test_a_report_that_states_no_such_line_is_left_to_retrieval(client, question):
    body = client.post("/v1/ask", json={"question": question}).json()
    assert body["answerer"] != "report", body
    assert "14" not in body["answer"] and "2021/45" not in body["answer"], body["answer"]
