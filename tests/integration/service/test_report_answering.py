"""Questions about a report itself answered from the catalog's metadata, cited where the text states each value.

Recognition is fast; the answers run the real app over the ingested corpus (slow).
"""


import pytest


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
