"""Findings answers over reports that grade in other words: the report's own verdict words in the answer, the
answers to revisionsfrågor, and no "bedömer inga kontrollmål" for a report whose verdicts were not read (the
question goes on to retrieval instead). The real app and pipeline with the fake embedder, on synthetic reports.
"""

import pytest
from fastapi.testclient import TestClient
from fixtures.fake_embedder import FakeEmbedder
from fixtures.genre_reports import COLOUR_REPORT, READABLE_CELLS, TABLE_REPORT, UNREADABLE_CELLS
from fixtures.homes import make_settings

from ingest.pipeline import Ingestor
from service.api.app import create_app

MORA = "mora-2022-intern-kontroll"
SALA = "sala-2021-lokalforsorjning"


def _client(tmp_path_factory, name: str, reports: dict[str, str], **overrides):
    corpus = tmp_path_factory.mktemp(f"{name}-corpus")
    for document_id, text in reports.items():
        (corpus / f"{document_id}.txt").write_text(text, encoding="utf-8")
    settings = make_settings(tmp_path_factory.mktemp(f"{name}-home"), corpus_dir=corpus, **overrides)
    report = Ingestor(settings, FakeEmbedder()).run(corpus)
    assert len(report.added) == len(reports), report.summary()
    return TestClient(create_app(settings, FakeEmbedder()))


@pytest.fixture(scope="module")
def readable(tmp_path_factory):
    with _client(tmp_path_factory, "readable", {MORA: TABLE_REPORT.format(**READABLE_CELLS), SALA: COLOUR_REPORT}) as client:
        yield client


@pytest.fixture(scope="module")
def unreadable(tmp_path_factory):
    with _client(tmp_path_factory, "unreadable", {MORA: TABLE_REPORT.format(**UNREADABLE_CELLS)}) as client:
        yield client


def ask(client: TestClient, question: str) -> dict:
    response = client.post("/v1/ask", json={"question": question})
    assert response.status_code == 200, response.text
    return response.json()


def test_verdicts_answered_in_the_reports_own_words(readable):
    body = ask(readable, "Hur bedömdes kontrollmålen i Mora?")
    assert body["answerer"] == "findings"
    assert "uppfyllt, i rapportens ord ”Ja”" in body["answer"]
    assert "delvis uppfyllt, i rapportens ord ”Delvis”" in body["answer"] and "ej uppfyllt, i rapportens ord ”Nej”" in body["answer"]
    assert "bedömer inga kontrollmål" not in body["answer"]
    body = ask(readable, "Vilka kontrollmål bedömdes ej uppfyllda i Mora?")
    assert body["answerer"] == "findings" and "Följs planerna upp" in body["answer"] and "reglemente" not in body["answer"]


def test_revisionsfragor_with_their_answers(readable):
    body = ask(readable, "Hur besvarades revisionsfrågorna i Sala?")
    assert body["answerer"] == "findings"
    assert "svar: delvis uppfyllt, i rapportens ord ”Gul”" in body["answer"]
    # Asked which they were, the list alone.
    body = ask(readable, "Vilka revisionsfrågor hade granskningen i Sala?")
    assert body["answerer"] == "findings" and "svar:" not in body["answer"]


def test_a_report_that_grades_only_its_revisionsfragor_is_not_said_to_assess_nothing(readable):
    body = ask(readable, "Vilka kontrollmål bedömdes i Sala?")
    assert body["answerer"] != "findings" and "bedömer inga kontrollmål" not in body["answer"]


def test_findings_data_carry_level_and_the_reports_words(readable):
    findings = readable.get("/v1/findings", params={"municipality": "Sala", "kind": "revisionsfraga"}).json()["findings"]
    assert [(f["verdict"], f["level"], f["verdict_text"]) for f in findings] == [
        ("uppfyllt", "fully", "Grön"), ("delvis uppfyllt", "partly", "Gul"), ("ej uppfyllt", "not", "Röd"),
    ]
    assert findings[1]["sources"][-1]["level"] == "partly" and findings[1]["sources"][-1]["verdict_text"] == "Gul"
    reports = {r["document_id"]: r for r in readable.get("/v1/findings/summary").json()["reports"]}
    assert reports[MORA]["status"] == "assessed" and reports[SALA]["status"] == "unread"


def test_an_unreadable_verdict_table_is_never_answered_with_no_assessments(unreadable):
    for question in ("Vilka kontrollmål bedömdes i Mora?", "Hur bedömdes kontrollmålen i Mora?", "Vilka kontrollmål bedömdes ej uppfyllda i Mora?"):
        body = ask(unreadable, question)
        assert body["answerer"] != "findings", question
        assert "bedömer inga kontrollmål" not in body["answer"], question


def test_revisionsfragor_picked_by_verdict_and_by_number(readable):
    body = ask(readable, "Vilka revisionsfrågor besvarades med nej i Sala?")
    assert body["answerer"] == "findings"
    assert "Följs kostnaderna för lokalerna upp?" in body["answer"] and "Finns en aktuell plan" not in body["answer"]
    body = ask(readable, "Vilka revisionsfrågor bedömdes delvis uppfyllda i Sala?")
    assert "Är ansvaret för lokalförsörjningen tydligt fördelat?" in body["answer"] and "Följs kostnaderna" not in body["answer"]
    for question in ("Vad svarade revisorerna på revisionsfråga 2 i Sala?", "Hur besvarades den andra revisionsfrågan i Sala?"):
        body = ask(readable, question)
        assert body["answerer"] == "findings", question
        assert "Är ansvaret för lokalförsörjningen tydligt fördelat?" in body["answer"] and "”Gul”" in body["answer"], question
        assert "Finns en aktuell plan" not in body["answer"] and "Följs kostnaderna" not in body["answer"], question
    # A number the report's list does not reach is no item of it.
    assert "Följs kostnaderna" not in ask(readable, "Vad svarade revisorerna på revisionsfråga 7 i Sala?")["answer"]


def test_the_report_a_question_points_at_by_its_subject_alone(readable):
    # No municipality named, but "rapporten om lokalförsörjningen" is one report: Sala's, not Mora's too.
    body = ask(readable, "Sammanfatta rapporten om lokalförsörjningen.")
    assert body["answerer"] == "findings"
    assert "Sala" in body["answer"] and "Mora" not in body["answer"]
    assert {c["document_id"] for c in body["citations"]} == {SALA}
    # The subject may be a part of the title's compound: "försörjningen" in "lokalförsörjning".
    body = ask(readable, "Sammanfatta rapporten om försörjningen.")
    assert {c["document_id"] for c in body["citations"]} == {SALA} and "Mora" not in body["answer"]
    # Reports in the plural stay across reports.
    body = ask(readable, "Sammanfatta rapporterna.")
    assert "Sala" in body["answer"] and "Mora" in body["answer"]


def test_no_revisionsfraga_with_the_verdict_asked_is_said_with_the_answers_given(readable):
    # Every revisionsfråga of the report has its answer read, and none is the one asked for.
    body = ask(readable, "Vilka revisionsfrågor besvarades med ja i Mora?")
    assert body["answerer"] == "findings" and body["answer"].startswith("Ingen revisionsfråga besvarades med ”uppfyllt”"), body["answer"]
    assert "Säkerställer kommunstyrelsen en tillräcklig intern kontroll?" in body["answer"]


def test_a_revisionsfraga_asked_about_without_its_word_is_named_as_one(readable):
    body = ask(readable, "Hur bedömdes ansvaret för lokalförsörjningen i Sala?")
    assert body["answerer"] == "findings", body
    assert "revisionsfråga ”Är ansvaret för lokalförsörjningen tydligt fördelat?”" in body["answer"], body["answer"]
    assert "kontrollmål" not in body["answer"], body["answer"]


def test_why_the_overall_assessment_is_answered_with_its_reason(tmp_path_factory):
    report = (
        "Granskning av fastighetsunderhållet\n\nBjuvs kommun\n\n1. Sammanfattning\n\n"
        "Vi gör den sammanfattande bedömningen att tekniska nämnden inte styr fastighetsunderhållet på ett tillfredsställande "
        "sätt. Skälet är att nämnden saknar en långsiktig underhållsplan för sina fastigheter.\n\n"
        "Nämnden har dock påbörjat en inventering av byggnadernas skick.\n"
    )
    with _client(tmp_path_factory, "reasoned", {"bjuv-2020-fastigheter": report}) as client:
        body = ask(client, "Varför bedöms fastighetsunderhållet i Bjuv inte styras tillfredsställande?")
    assert body["answerer"] == "findings", body
    assert "sammanfattande bedömningen" in body["answer"], body["answer"]
    assert "Motivering: Skälet är att nämnden saknar en långsiktig underhållsplan" in body["answer"], body["answer"]


def test_how_the_reports_whole_subject_was_assessed_is_its_overall_assessment(readable):
    body = ask(readable, "Hur bedöms lokalförsörjningen i Sala?")
    assert body["answerer"] == "findings", body
    assert "Vår samlade bedömning är att kommunstyrelsen i huvudsak har en ändamålsenlig lokalförsörjning" in body["answer"], body["answer"]


def test_a_verdict_asked_for_is_never_answered_by_what_the_audit_set_out_to_assess(tmp_path_factory):
    report = (
        "Granskning av avtalstrohet\n\nEslövs kommun\n\n1. Inledning\n\n"
        "Syftet är att bedöma om uppföljningen av avtalstroheten vid inköp hos kommunstyrelsen är tillräcklig.\n\n"
        "2. Iakttagelser\n\nI elva av fyrtio stickprov saknades avtal med leverantören. Vi bedömer att uppföljningen av "
        "avtalstroheten inte är tillräcklig.\n"
    )
    # The fake embedder's vectors are bags of words: both sentences read alike enough to the question at these thresholds.
    thresholds = {"answer_min_similarity": 0.35, "answer_strong_similarity": 0.35, "answer_relaxed_similarity": 0.35}
    with _client(tmp_path_factory, "purpose", {"eslov-2022-avtalstrohet": report}, **thresholds) as client:
        body = ask(client, "Bedöms uppföljningen av avtalstroheten vid inköp hos kommunstyrelsen som tillräcklig i Eslöv?")
    assert body["grounded"], body
    assert "Syftet är att bedöma" not in body["answer"], body["answer"]
    assert "inte är tillräcklig" in body["answer"], body["answer"]


def test_someone_elses_view_of_the_recommendations_is_not_answered_by_listing_them(tmp_path_factory):
    report = (
        "Granskning av fastighetsunderhållet\n\nBjuvs kommun\n\n1. Sammanfattning\n\n"
        "Vår samlade bedömning är att tekniska nämnden inte styr fastighetsunderhållet på ett tillfredsställande sätt.\n\n"
        "2. Rekommendationer\n\nVi rekommenderar tekniska nämnden att:\n\n- anta en långsiktig underhållsplan\n- följa upp underhållet varje år\n"
    )
    with _client(tmp_path_factory, "view", {"bjuv-2020-underhall": report}) as client:
        listed = ask(client, "Vilka rekommendationer fick tekniska nämnden i Bjuv?")
        viewed = ask(client, "Vad tyckte kommunstyrelsen om revisorernas rekommendationer i Bjuv?")
    assert listed["answerer"] == "findings" and "anta en långsiktig underhållsplan" in listed["answer"], listed
    assert viewed["answerer"] != "findings" and not viewed["grounded"], viewed


def test_the_report_with_the_most_recommendations_is_named_with_each_reports_count(tmp_path_factory):
    def report(municipality: str, items: list[str]) -> str:
        listed = "".join(f"- {item}\n" for item in items)
        return f"Granskning av underhållet\n\n{municipality} kommun\n\n1. Rekommendationer\n\nVi rekommenderar nämnden att:\n\n{listed}"

    reports = {
        "bjuv-2020-underhall": report("Bjuvs", ["anta en underhållsplan", "följa upp planen årligen", "rapportera avvikelser"]),
        "osby-2021-underhall": report("Osby", ["anta en underhållsplan"]),
    }
    with _client(tmp_path_factory, "counted", reports) as client:
        body = ask(client, "Vilken kommun fick flest rekommendationer?")
    assert body["answerer"] == "findings", body
    lines = body["answer"].splitlines()
    assert lines[0].startswith("Bjuv") and "flest rekommendationer" in lines[0], body["answer"]
    assert any(line.startswith("Bjuv") and "3 rekommendationer" in line for line in lines[1:]), body["answer"]
    assert any(line.startswith("Osby") and "1 rekommendation" in line for line in lines[1:]), body["answer"]
    assert {c["document_id"] for c in body["citations"]} == set(reports)


def test_the_reports_recommended_something_are_those_whose_recommendation_says_most_of_it(tmp_path_factory):
    def report(municipality: str, items: list[str]) -> str:
        listed = "".join(f"- {item}\n" for item in items)
        return f"Granskning av upphandlingen\n\n{municipality} kommun\n\n1. Rekommendationer\n\nVi rekommenderar nämnden att:\n\n{listed}"

    reports = {
        "bjuv-2020-upphandling": report("Bjuvs", ["ta fram rutiner för direktupphandling", "följa upp avtalstroheten löpande"]),
        "osby-2021-upphandling": report("Osby", ["ta fram en inköpsplan", "följa upp kostnaderna varje kvartal"]),
    }
    with _client(tmp_path_factory, "on-topic", reports) as client:
        # Osby's "ta fram" and "följa upp" are of other things: not a recommendation on rutiner or avtalstrohet.
        for question in ("Vilka kommuner fick rekommendationen att ta fram rutiner?", "Vilka kommuner fick rekommendationen att följa upp avtalstroheten?"):
            body = ask(client, question)
            assert body["answerer"] == "findings" and "Bjuv" in body["answer"] and "Osby" not in body["answer"], body["answer"]


def test_what_the_auditors_found_wanting_is_the_overall_assessment_and_the_items_graded_below_fully(readable):
    body = ask(readable, "Vilka brister fann revisorerna i Mora?")
    assert body["answerer"] == "findings" and "Mora (2022) – brister enligt granskningen:" in body["answer"], body
    assert "till viss del säkerställer en tillräcklig intern kontroll" in body["answer"], body["answer"]
    # Delvis and Nej, each with the report's reason; the item answered Ja is no shortcoming.
    assert "2 av 3 kontrollmål bedöms som delvis eller ej uppfyllda" in body["answer"], body["answer"]
    assert "Två av fem nämnder saknar plan" in body["answer"] and "Ingen uppföljning har rapporterats" in body["answer"]
    assert "Finns ett reglemente" not in body["answer"], body["answer"]
    # In other words, of the report's whole subject, or asking for the reasons: the same.
    assert "brister enligt granskningen" in ask(readable, "Vad kritiserade granskningen av den interna kontrollen i Mora?")["answer"]
    assert "Två av fem nämnder saknar plan" in ask(readable, "Vad är skälet till att Mora fick kritik?")["answer"]
    # In English: the same items, framed in English around the Swedish quotes.
    body = ask(readable, "What shortcomings did the auditors find in Mora?")
    assert "shortcomings the audit found" in body["answer"] and "2 of 3 control objectives (kontrollmål)" in body["answer"], body["answer"]
    assert "Två av fem nämnder saknar plan" in body["answer"] and "Finns ett reglemente" not in body["answer"]


def test_shortcomings_of_one_graded_item_are_that_items_verdict_met_or_not(readable):
    body = ask(readable, "Finns det brister i ansvaret för lokalförsörjningen i Sala?")
    assert body["answerer"] == "findings", body
    assert "”Är ansvaret för lokalförsörjningen tydligt fördelat?” – delvis uppfyllt" in body["answer"], body["answer"]
    assert "Följs kostnaderna" not in body["answer"]
    # Something narrower that no graded item is about goes to retrieval.
    assert ask(readable, "Vilka brister finns i lokalernas ventilation i Sala?")["answerer"] != "findings"


def test_the_revisionsfraga_asked_about_by_its_subject_is_answered_alone(readable):
    body = ask(readable, "Hur besvarades revisionsfrågan om kostnaderna för lokalerna i Sala?")
    assert body["answerer"] == "findings", body
    assert "”Följs kostnaderna för lokalerna upp?” – ej uppfyllt, i rapportens ord ”Röd”" in body["answer"], body["answer"]
    assert "Finns en aktuell plan" not in body["answer"] and "ansvaret" not in body["answer"], body["answer"]
    # All of them, asked for in the plural, are listed.
    assert "Finns en aktuell plan" in ask(readable, "Hur besvarades revisionsfrågorna i Sala?")["answer"]


def test_a_report_that_grades_no_items_gives_its_overall_assessment_and_what_it_recommends(tmp_path_factory):
    report = (
        "Granskning av färdtjänsten\n\nLysekils kommun\n\n1. Sammanfattning\n\n"
        "Vår samlade bedömning är att nämnden inte i tillräcklig utsträckning styr och följer upp färdtjänsten.\n\n"
        "2. Rekommendationer\n\nVi rekommenderar nämnden att\n\n1. följa upp restiderna varje kvartal,\n2. anta en ny riktlinje för färdtjänsten.\n"
    )
    with _client(tmp_path_factory, "ungraded", {"lysekil-2021-fardtjanst": report}) as client:
        body = ask(client, "Vilka brister fann revisorerna i Lysekil?")
    assert body["answerer"] == "findings", body
    assert "inte i tillräcklig utsträckning styr" in body["answer"], body["answer"]
    assert "följa upp restiderna varje kvartal" in body["answer"] and "anta en ny riktlinje" in body["answer"], body["answer"]


def test_across_the_reports_shortcomings_on_a_topic_are_the_findings_below_fully_that_word_it(readable):
    body = ask(readable, "Vilka kommuner fick kritik för sin interna kontroll?")
    assert body["answerer"] == "findings", body
    assert "Mora (2022) – brister enligt granskningen:" in body["answer"] and "till viss del säkerställer en tillräcklig intern kontroll" in body["answer"]
    assert "Sala" not in body["answer"], body["answer"]
    body = ask(readable, "I vilka kommuner fanns brister i uppföljningen av kostnaderna?")
    assert "Följs kostnaderna för lokalerna upp? – ej uppfyllt" in body["answer"] and "Mora" not in body["answer"], body["answer"]
    # Sala's plan is graded met, and its responsibility only partly: criticism of its planning is no finding of it.
    body = ask(readable, "Vilka kommuner fick kritik för planeringen av lokalförsörjningen?")
    assert "brister enligt granskningen" not in body["answer"], body["answer"]
