"""Questions about a report itself answered from the catalog's metadata, cited where the text states each value.

Recognition is fast; the answers run the real app over the ingested corpus (slow).
"""

import pytest

from service.report_answering import read_question, swedish_date


@pytest.mark.parametrize(
    ("question", "asked"),
    [
        ("Vilket datum har förstudien om flyktingmottagande i Kalmar?", "date"),
        ("Vilket datum har KPMG:s rapport om integrationsarbetet i Umeå?", "date"),
        ("När är Kalmarrapporten daterad?", "date"),
        ("When was the Umeå report written?", "date"),
        ("Vem har skrivit förstudien om flyktingmottagande och integration i Kalmar?", "author"),
        ("Who wrote the Alvesta report?", "author"),
        ("Vem genomförde granskningen av integrationsarbetet i Luleå?", "conductor"),
        ("Vilken revisionsbyrå genomförde granskningen i Alvesta?", "firm"),
        ("Which firm conducted the audit in Hultsfred?", "firm"),
        ("Vilken av granskningarna är äldst och vilken är nyast?", "oldest"),
        ("Which of the reports is the most recent?", "oldest"),
        # About something the report describes, not the report:
        ("Vilket datum och vilken paragraf har kommunstyrelsens beslut om integrationsrapporten i Luleå?", None),
        ("Vem på KPMG kan man kontakta om Umeårapporten?", None),
        ("När genomfördes intervjuerna i Alvesta?", None),
        ("Från vilket datum finns arbetsmarknads- och integrationsenheten i Hultsfred?", None),
        ("Vem är revisionens ordförande i Umeå?", None),
    ],
)
def test_report_questions_are_recognized(question, asked):
    assert read_question(question) == asked


def test_dates_are_written_in_swedish():
    assert swedish_date("2016-02-17") == "17 februari 2016"
    assert swedish_date("2019-01-22") == "22 januari 2019"


@pytest.mark.slow
def test_the_date_is_cited_at_the_dateline(ask):
    body = ask("Vilket datum har förstudien om flyktingmottagande i Kalmar?")
    assert body["grounded"] and "17 februari 2016" in body["answer"]
    assert [c["quote"] for c in body["citations"]] == ["Kalmar 17 februari 2016"]
    assert body["citations"][0]["document_id"] == "kalmar-2016-flyktingmottagande-integration"


@pytest.mark.slow
def test_the_firm_is_cited_where_the_report_says_it_did_the_audit(ask):
    body = ask("Vem genomförde granskningen av integrationsarbetet i Luleå?")
    assert "KPMG" in body["answer"]
    assert body["citations"][0]["quote"].startswith("På kommunrevisorernas uppdrag har KPMG genomfört en granskning")


@pytest.mark.slow
def test_oldest_and_newest_report_by_their_dates(ask):
    body = ask("Vilken av granskningarna är äldst och vilken är nyast?")
    lines = body["answer"].splitlines()
    assert lines[0].startswith("Äldst: Luleå (2007)") and "12 februari 2007" in lines[0]
    assert lines[1].startswith("Nyast: Hultsfred (2019)") and "22 januari 2019" in lines[1]
    assert len(body["citations"]) == 5


@pytest.mark.slow
def test_a_firm_the_report_does_not_name_is_not_answered_from_metadata(ask):
    body = ask("Vilken revisionsbyrå genomförde granskningen i Alvesta?")
    assert not body["grounded"]
