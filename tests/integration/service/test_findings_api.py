"""Findings over HTTP: GET /v1/findings and its summary, and findings questions answered exactly by /v1/ask.

The question-recognition test is fast; the rest run the real app over the ingested corpus (slow).
"""


import re

import pytest

from service.query.findings_questions import read_findings_question

ALVESTA = "alvesta-2018-introduktion-nyanlanda"


HULTSFRED = "hultsfred-2019-asyl-integration"


KALMAR = "kalmar-2016-flyktingmottagande-integration"


ALVESTA_VERDICTS = {
    "2.1": "delvis uppfyllt", "2.2": "delvis uppfyllt", "2.3": "delvis uppfyllt", "2.4": "uppfyllt", "2.5": "delvis uppfyllt",
    "2.6": "ej uppfyllt", "2.7": "delvis uppfyllt", "2.8": "ej uppfyllt", "2.9": "ej uppfyllt",
}


def _kontrollmal(client, **params) -> list[dict]:
    response = client.get("/v1/findings", params={"kind": "kontrollmal", **params})
    assert response.status_code == 200, response.text
    return response.json()["findings"]


@pytest.mark.slow
def test_alvesta_has_nine_kontrollmal_with_their_verdicts(api_client):
    found = _kontrollmal(api_client, municipality="Alvesta")
    assert {f["section"]: f["verdict"] for f in found} == ALVESTA_VERDICTS
    assert all(f["document_id"] == ALVESTA and f["municipality"] == "Alvesta" and f["year"] == 2018 for f in found)
    inconsistent = [f for f in found if f["inconsistent"]]
    assert [f["section"] for f in inconsistent] == ["2.9"]
    sources = inconsistent[0]["sources"]
    assert {(s["section"], s["verdict"]) for s in sources} == {("2.9.2", "ej uppfyllt"), ("3.2", "delvis uppfyllt")}
    text = api_client.get(f"/v1/documents/{ALVESTA}").json()["text"]
    for source in sources + [f["listed"] for f in found]:
        assert text[source["char_start"] : source["char_end"]] == source["quote"]
    assert {f["listed"]["section"] for f in found} == {"1.4"}


@pytest.mark.slow
def test_hultsfred_has_four_kontrollmal_and_kalmar_none(api_client):
    assert [(f["section"], f["verdict"]) for f in _kontrollmal(api_client, municipality="Hultsfred")] == [
        ("3.1", "uppfyllt"), ("3.2", "uppfyllt"), ("3.3", "delvis uppfyllt"), ("3.4", "delvis uppfyllt"),
    ]
    assert _kontrollmal(api_client, municipality="Kalmar") == []
    questions = api_client.get("/v1/findings", params={"document_id": KALMAR, "kind": "revisionsfraga"}).json()["findings"]
    assert len(questions) == 9


@pytest.mark.slow
def test_verdict_filter(api_client):
    found = _kontrollmal(api_client, verdict="ej uppfyllt")
    assert {(f["municipality"], f["section"]) for f in found} == {("Alvesta", "2.6"), ("Alvesta", "2.8"), ("Alvesta", "2.9")}
    assert all(f["verdict"] == "ej uppfyllt" for f in found)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("params", "field", "valid"),
    [
        ({"verdict": "helt uppfyllt"}, "verdict", ["uppfyllt", "delvis uppfyllt", "ej uppfyllt"]),
        ({"kind": "kontrollmål"}, "kind", ["kontrollmal", "rekommendation", "revisionsfraga", "revisionell_bedomning"]),
        ({"municipality": "Växjö"}, "municipality", ["Alvesta", "Hultsfred", "Kalmar", "Luleå", "Umeå"]),
    ],
)
def test_unknown_filter_values_are_422_naming_the_valid_ones(api_client, params, field, valid):
    response = api_client.get("/v1/findings", params=params)
    assert response.status_code == 422
    body = response.json()
    assert body["valid"] == {field: valid}
    assert all(v in body["detail"] for v in valid)


@pytest.mark.slow
def test_unknown_document_id_is_422(api_client):
    response = api_client.get("/v1/findings", params={"document_id": "nope"})
    assert response.status_code == 422 and ALVESTA in response.json()["valid"]["document_id"]


@pytest.mark.slow
def test_summary_counts_per_report_and_verdict(api_client):
    reports = {r["document_id"]: r for r in api_client.get("/v1/findings/summary").json()["reports"]}
    assert len(reports) == 5
    alvesta = reports[ALVESTA]
    assert alvesta["status"] == "assessed" and alvesta["inconsistent"] == 1 and alvesta["rekommendationer"] == 2
    assert alvesta["verdicts"] == {"uppfyllt": 1, "delvis uppfyllt": 5, "ej uppfyllt": 3, "ej bedömt": 0}
    assert reports[HULTSFRED]["verdicts"] == {"uppfyllt": 2, "delvis uppfyllt": 2, "ej uppfyllt": 0, "ej bedömt": 0}
    assert reports[HULTSFRED]["rekommendationer"] == 4
    assert reports[KALMAR]["status"] == "no_assessments" and sum(reports[KALMAR]["verdicts"].values()) == 0


def _listed(answer: str) -> list[str]:
    """The section numbers of an answer's item lines ("- 2.6 Hur engageras …")."""
    return re.findall(r"^- (\d+(?:\.\d+)*) ", answer, re.MULTILINE)


@pytest.mark.slow
def test_seed_question_lists_exactly_the_unmet_kontrollmal(ask):
    body = ask("Vilka kontrollmål bedömdes ej uppfyllda i Alvesta?")
    assert body["answerer"] == "findings" and body["grounded"] is True
    assert _listed(body["answer"]) == ["2.6", "2.8", "2.9"]
    line = next(row for row in body["answer"].splitlines() if row.startswith("- 2.9 "))
    assert "ej uppfyllt i avsnitt 2.9.2" in line and "delvis uppfyllt i sammanställningen i avsnitt 3.2" in line
    assert {"2.6.4", "2.8.2", "2.9.2"} <= {c["section"] for c in body["citations"]}
    assessments = [c for c in body["citations"] if c["section"] in ("2.6.4", "2.8.2", "2.9.2")]
    assert all(c["quote"] == "Vi bedömer kontrollmålet som Ej uppfyllt." for c in assessments)


@pytest.mark.slow
def test_the_seed_question_in_english_gives_the_same_items(ask):
    swedish = ask("Vilka kontrollmål bedömdes ej uppfyllda i Alvesta?")
    english = ask("Which control objectives were not met in Alvesta?")
    assert english["answerer"] == "findings" and english["grounded"] is True
    assert _listed(english["answer"]) == _listed(swedish["answer"]) == ["2.6", "2.8", "2.9"]
    assert [c["quote_start"] for c in english["citations"]] == [c["quote_start"] for c in swedish["citations"]]


@pytest.mark.slow
def test_hultsfred_recommendations_are_listed(ask):
    body = ask("Vilka rekommendationer gavs i Hultsfred?")
    assert body["answerer"] == "findings" and body["grounded"] is True
    assert len(re.findall(r"^- ", body["answer"], re.MULTILINE)) == 4
    for fact in ("styrkort", "protokoll", "tilldelade och utnyttjade", "öronmärk"):
        assert fact in body["answer"]
    assert {c["document_id"] for c in body["citations"]} == {HULTSFRED} and len(body["citations"]) == 4


@pytest.mark.slow
def test_none_unmet_in_hultsfred_cites_the_verdicts_it_has(ask):
    body = ask("Vilka kontrollmål bedömdes ej uppfyllda i Hultsfred?")
    assert body["answerer"] == "findings" and body["grounded"] is True
    assert body["answer"].startswith("Inga kontrollmål bedömdes som ej uppfyllda i Hultsfred")
    assert _listed(body["answer"]) == ["3.1", "3.2", "3.3", "3.4"]
    assert {c["section"] for c in body["citations"]} == {"3.1.2", "3.2.2", "3.3.2", "3.4.2"}


@pytest.mark.slow
def test_kalmar_assesses_no_kontrollmal(ask):
    body = ask("Vilka kontrollmål bedömdes i Kalmars granskning av flyktingmottagandet?")
    assert body["answerer"] == "findings" and body["grounded"] is True
    assert body["answer"].startswith("Rapporten från Kalmar (2016) bedömer inga kontrollmål")
    assert "uppfyllt" not in body["answer"]
    assert "Arbetsförmedlingen" in body["answer"] and "ingen anledning" in body["answer"]
    assert {c["document_id"] for c in body["citations"]} == {KALMAR}
    # The nine revisionsfrågor stand in one list and are cited as one passage.
    assert "9 revisionsfrågor (avsnitt 1.1) [1]:" in body["answer"] and len(body["citations"]) == 2


@pytest.mark.slow
def test_one_kontrollmal_is_found_by_its_wording(ask):
    body = ask("Hur bedömdes kontrollmålet om samordning av kommunens insatser?")
    assert body["answerer"] == "findings" and body["grounded"] is True
    assert "2.8" in body["answer"] and "ej uppfyllt" in body["answer"] and "delvis" not in body["answer"]
    assert any("saknas en samlande roll" in c["quote"] for c in body["citations"])


@pytest.mark.slow
def test_the_list_of_kontrollmal_cites_where_the_introduction_lists_them(ask):
    body = ask("Vilka kontrollmål hade granskningen i Hultsfred?")
    assert body["answerer"] == "findings" and _listed(body["answer"]) == ["3.1", "3.2", "3.3", "3.4"]
    # Which kontrollmål, not how they were assessed: the introduction's list, cited once.
    [listed] = body["citations"]
    assert listed["section"] == "2.2" and body["answer"].splitlines()[0].endswith("uppräknade i avsnitt 2.2 [1]:")
    for goal in ("Finns mål och aktiviteter", "Har analys och uppföljning genomförts"):
        assert goal in listed["quote"]
    assert "uppfyllt" not in body["answer"]


@pytest.mark.slow
def test_how_the_kontrollmal_were_assessed_cites_each_verdict_where_it_is_argued(ask):
    body = ask("Hur bedömdes kontrollmålen i Hultsfred?")
    assert _listed(body["answer"]) == ["3.1", "3.2", "3.3", "3.4"] and body["citations"][0]["section"] == "2.2"
    assert {c["section"] for c in body["citations"][1:]} == {"3.1.2", "3.2.2", "3.3.2", "3.4.2"}


@pytest.mark.slow
def test_one_kontrollmal_cites_every_place_that_states_its_verdict(ask):
    body = ask("Hur bedömdes kontrollmålet om återrapportering av vidtagna åtgärder i Hultsfred?")
    assert body["answerer"] == "findings" and "delvis uppfyllt (avsnitt 3.3.2; även i sammanställningen i avsnitt 1.1)" in body["answer"]
    quotes = [c["quote"] for c in body["citations"] if c["section"] in ("3.3.2", "1.1")]
    assert quotes[0] == "Kontrollmålet bedöms som delvis uppfyllt." and "\tDelvis uppfyllt" in quotes[1]


@pytest.mark.slow
def test_other_questions_still_go_to_retrieval(ask):
    assert ask("Hur många platser har sysselsättningsavdelningen i Luleå?")["answerer"] != "findings"


@pytest.mark.slow
def test_verdict_passages_are_ranked_as_a_third_list(api_client):
    from service.query.retrieval import Filters

    qa = api_client.app.state.qa
    question = "Vilka kommuner har kontrollmål som bedömts som ej uppfyllda?"
    evidence = qa.findings_answerer.evidence_chunks(read_findings_question(question), Filters())
    records = [qa.retriever.view.records[c] for c in evidence]
    assert {r.chunk.document_id for r in records} == {ALVESTA}
    assert {"2.6.4", "2.8.2", "2.9.2"} <= {r.chunk.section for r in records}
    assert all(re.search(r"ej uppfyllt", r.chunk.text, re.IGNORECASE) for r in records)

    def first_verdict_rank(hits) -> int:
        return next(i for i, h in enumerate(hits) if "Vi bedömer kontrollmålet som Ej uppfyllt." in h.record.chunk.text)

    plain = qa.retriever.run(question, 20, Filters(), "hybrid")
    fused = qa.retriever.run(question, 20, Filters(), "hybrid", evidence=evidence)
    assert first_verdict_rank(fused) < min(first_verdict_rank(plain), 5)


@pytest.mark.slow
def test_verdict_passages_keep_to_the_filters_and_to_findings_questions(api_client):
    from service.query.retrieval import Filters

    qa = api_client.app.state.qa
    asked = read_findings_question("Vilka kontrollmål är delvis uppfyllda?")
    evidence = qa.findings_answerer.evidence_chunks(asked, Filters(municipality=("Hultsfred",)))
    assert evidence and {qa.retriever.view.records[c].chunk.document_id for c in evidence} == {HULTSFRED}
    assert read_findings_question("Hur många platser har sysselsättningsavdelningen i Luleå?") is None
    assert qa.findings_answerer.evidence_chunks(None, Filters()) == []


@pytest.mark.slow
def test_the_harshest_verdicts_are_named_and_cited(ask):
    body = ask("Vilken kommun fick den mest kritiska bedömningen av sina kontrollmål, Alvesta eller Hultsfred?")
    lines = body["answer"].splitlines()
    assert body["answerer"] == "findings" and lines[0].startswith("Alvesta (2018) fick den mest kritiska bedömningen")
    alvesta = [c for c in body["citations"] if c["document_id"] == ALVESTA]
    assert [c["section"] for c in alvesta] == ["2.6.4", "2.8.2", "2.9.2"]
    assert all(c["quote"] == "Vi bedömer kontrollmålet som Ej uppfyllt." for c in alvesta)
    assert "Hultsfred (2019): 4 kontrollmål – 2 uppfyllda, 2 delvis uppfyllda" in body["answer"]


@pytest.mark.slow
def test_the_report_with_most_kontrollmal_is_named_with_each_count(ask):
    body = ask("Vilken av granskningarna hade flest kontrollmål?")
    assert body["answer"].startswith("Alvesta (2018) hade flest kontrollmål.")
    assert "Hultsfred (2019): 4 kontrollmål" in body["answer"] and "bedömer inga kontrollmål" in body["answer"]
    assert {c["section"] for c in body["citations"]} == {"1.4", "2.2"}


@pytest.mark.slow
def test_a_conclusion_section_is_the_overall_assessment_with_its_recommendation(api_client, ask):
    overall = api_client.get("/v1/findings", params={"kind": "revisionell_bedomning", "municipality": "Kalmar"}).json()
    [finding] = overall["findings"] if isinstance(overall, dict) else overall
    assert finding["section"] == "4" and "gör vi bedömningen att" in finding["text"]
    body = ask("Vad landade granskarna i Kalmar i för slutsats?")
    assert body["answerer"] == "findings" and "heltäckande" in body["answer"] and "ingen anledning" in body["answer"]
    assert "Avsnittets rekommendation:" in body["answer"] and {c["section"] for c in body["citations"]} == {"4"}


@pytest.mark.slow
def test_a_conclusion_a_report_does_not_state_is_left_to_retrieval(ask):
    # Luleå's report states no overall assessment (Umeå's sums up: "Sammanfattningsvis finner vi att …").
    assert ask("Vilken slutsats drar KPMG i Luleå?")["answerer"] != "findings"
    assert ask("Vilken slutsats drar KPMG i Umeå?")["answerer"] == "findings"
    # Asked by its name, the missing overall assessment is said to be missing.
    body = ask("Vad blev den revisionella bedömningen i Luleå?")
    assert body["answerer"] == "refusal" and "redovisar ingen revisionell bedömning" in body["answer"]
