"""Questions staff ask of any report in the genre, over a report written here in another firm's conventions (a missiv
that says who commissioned the audit in its own formula, a colour-graded table, run-on numbered headings), with the
real model: who commissioned the audit, how long something took, the reports of a year and of a firm."""

import pytest
from fixtures.homes import app_over_reports

BYGGLOV = """Missiv
Till: Miljö- och byggnämnden
Kommunfullmäktige för kännedom

Granskning av bygglovshandläggningen

Kommunens revisorer har låtit PwC granska handläggningen av bygglov. Revisorerna överlämnar härmed rapporten och önskar nämndens yttrande senast 2021-06-15.

För Ånge kommuns revisorer
Per Lund, ordförande

Granskning av bygglovshandläggningen
Ånge kommun
PwC, maj 2021

1. Revisionell bedömning

Vi bedömer att miljö- och byggnämnden i begränsad omfattning säkerställer en rättssäker och effektiv bygglovshandläggning.

Kontrollmål\tBedömning\tKommentar
Handläggningstiderna följer plan- och bygglagen\tRöd\tNio av 20 ärenden överskred tidsfristen.
Nämnden följer upp handläggningen\tGul\tUppföljningen är inte systematisk.

2. Inledning

2.1 Bakgrund
Antalet bygglovsansökningar i Ånge ökade från 90 år 2018 till 140 år 2020. Plan- och bygglagen anger att beslut ska fattas inom tio veckor från att en komplett ansökan kommit in.

2.2 Metod
Granskningen har genomförts genom intervjuer med bygglovschefen och tre handläggare samt genom stickprov på 20 bygglovsärenden från 2020.

3. Iakttagelser

3.1 Handläggningstider
Av 20 granskade ärenden överskred nio tidsfristen. Den längsta handläggningstiden var 19 veckor.

3.2 Uppföljning
Bygglovschefen följer handläggningstiderna i ett kalkylblad, men resultatet redovisas inte för nämnden.
"""

# Says nothing of who commissioned it, nor of how long anything took.
SKOLSKJUTS = """Granskning av skolskjutsverksamheten
Bjurholms kommun
KPMG, mars 2021

Sammanfattning
Vi bedömer att barn- och utbildningsnämnden i huvudsak har en ändamålsenlig styrning av skolskjutsarna.

Iakttagelser
Nämnden har antagit riktlinjer för skolskjuts 2019. Riktlinjerna följs upp en gång per år.
"""


@pytest.fixture(scope="module")
def ask(tmp_path_factory, embedder):
    reports = {"ange-2021-bygglov.txt": BYGGLOV, "bjurholm-2021-skolskjuts.txt": SKOLSKJUTS}
    with app_over_reports(tmp_path_factory, embedder, "genre", reports) as client:
        yield lambda question: client.post("/v1/ask", json={"question": question}).json()


@pytest.mark.slow
@pytest.mark.parametrize("question", ["Vem beställde granskningen i Ånge?", "På vems uppdrag gjordes granskningen i Ånge?"])
def test_who_commissioned_the_audit_is_its_commission_formula(ask, question):
    body = ask(question)
    assert body["grounded"] and body["citations"][0]["quote"].startswith("Kommunens revisorer har låtit PwC granska"), body["answer"]


@pytest.mark.slow
def test_why_the_audit_was_made_is_its_background(ask):
    body = ask("Varför gjordes granskningen i Ånge?")
    assert body["grounded"] and body["citations"][0]["quote"].startswith("Antalet bygglovsansökningar i Ånge"), body["answer"]
    assert body["citations"][0]["section"].startswith("2.1"), body["citations"]


@pytest.mark.slow
def test_a_report_that_does_not_say_who_commissioned_it_is_not_made_to(ask):
    body = ask("Vem beställde granskningen i Bjurholm?")
    assert not body["grounded"] and not body["citations"], body["answer"]


@pytest.mark.slow
def test_how_long_it_took_is_answered_by_the_sentence_with_the_length_of_time(ask):
    # The method's sentence ("intervjuer med bygglovschefen och tre handläggare") shares the question's words best;
    # the one nearly as close that gives weeks answers.
    body = ask("Hur lång tid tog det att handlägga bygglov i Ånge?")
    assert body["grounded"] and any("19 veckor" in c["quote"] for c in body["citations"]), body["answer"]
    assert not ask("Hur lång tid tog det att handlägga skolskjutsarna i Bjurholm?")["grounded"]


@pytest.mark.slow
def test_the_reports_of_a_year_and_of_a_firm_are_listed(ask):
    body = ask("Vilka granskningar gjordes 2021?")
    assert body["answerer"] == "report" and "Ånge" in body["answer"] and "Bjurholm" in body["answer"], body["answer"]
    body = ask("Vilka kommuner granskade KPMG?")
    assert body["answerer"] == "report" and "Bjurholm" in body["answer"] and "Ånge" not in body["answer"], body["answer"]
