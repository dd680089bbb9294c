"""Questions across more reports than one answer considers chunks of: every report's best passage is weighed, not
only those of the reports first in order, and a word every report uses for its own audit ("granskat") is no subject.
The real pipeline and app on the fake embedder, over eight short reports written here."""

import pytest
from fastapi.testclient import TestClient
from fixtures.fake_embedder import FakeEmbedder
from fixtures.homes import make_settings

from ingest.pipeline import Ingestor
from service.api.app import create_app

SUBJECTS = {
    "arvika": "gatubelysningen", "boden": "skolskjutsarna", "eslov": "bibliotekens öppettider", "falun": "färdtjänsten",
    "gislaved": "hemtjänsten", "hjo": "upphandlingen", "kiruna": "bygglovshandläggningen", "ystad": "snöröjningen",
}


def report(municipality: str, subject: str) -> str:
    return f"""Revisionsrapport

Granskning av {subject}

{municipality.capitalize()} kommun

1. Sammanfattning

På uppdrag av de förtroendevalda revisorerna har PwC granskat {subject} i kommunen.
Kommuner har granskat {subject}.
"""


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    folder = tmp_path_factory.mktemp("many-reports")
    for municipality, subject in SUBJECTS.items():
        (folder / f"{municipality}-2020-granskning.txt").write_text(report(municipality, subject), encoding="utf-8")
    settings = make_settings(tmp_path_factory.mktemp("many-reports-home"), corpus_dir=folder)
    assert not Ingestor(settings, FakeEmbedder()).run_files(sorted(folder.glob("*.txt"))).failed
    with TestClient(create_app(settings, FakeEmbedder())) as client:
        yield client


@pytest.mark.parametrize(("subject", "municipality"), [("snöröjningen", "ystad"), ("gatubelysningen", "arvika")])
def test_the_report_on_the_subject_answers_wherever_it_stands_in_order(client, subject, municipality):
    # By the passages that speak of it (the fake embedder finds a sentence by its words, so the question repeats the
    # report's "Kommuner har granskat …"), and by the title of the report made on it.
    questions = ((f"I vilka kommuner har kommuner granskat {subject}?", "extractive"), (f"Vilka kommuner har granskat {subject}?", "report"))
    for question, answerer in questions:
        body = client.post("/v1/ask", json={"question": question}).json()
        assert body["answerer"] == answerer, body["answer"]
        assert {c["document_id"] for c in body["citations"]} == {f"{municipality}-2020-granskning"}, body["answer"]
