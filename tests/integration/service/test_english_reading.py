"""English questions over the bundled reports with the real model: answered as their Swedish twins are."""

import pytest
from fixtures.homes import app_over_reports, asked


def _documents(body: dict) -> set[str]:
    return {c["document_id"] for c in body["citations"]}


@pytest.mark.slow
def test_an_english_question_across_reports_finds_the_swedish_term(ask):
    english = ask("In which municipalities is the Red Cross mentioned?")
    swedish = ask("I vilka kommuner nämns Röda korset?")
    assert english["grounded"] and english["answer"].startswith("According to the reports (quoted in Swedish):")
    # Every quote names it, in reports the Swedish question finds too (the English ranking may reach fewer of them).
    assert english["citations"] and all("röda korset" in c["quote"].casefold() for c in english["citations"])
    assert _documents(english) <= _documents(swedish)


@pytest.mark.slow
def test_one_control_objective_is_found_by_its_subject_in_english(ask):
    body = ask("How was the control objective on coordination assessed in Alvesta?")
    assert body["answerer"] == "findings"
    assert "2.8" in body["answer"] and 'not met ("ej uppfyllt")' in body["answer"] and "2.1 " not in body["answer"]


@pytest.mark.slow
@pytest.mark.parametrize(("english", "swedish"), [
    ("Summarize the report from Umeå", "Sammanfatta rapporten från Umeå"),
    ("Which control objectives did Alvesta not meet?", "Vilka kontrollmål uppfyllde inte Alvesta?"),
    ("What was the second control objective in Alvesta?", "Vilket var det andra kontrollmålet i Alvesta?"),
])
def test_an_english_request_gets_the_swedish_answer_in_an_english_frame(ask, english, swedish):
    en, sv = ask(english), ask(swedish)
    assert en["answer"].startswith("According to the reports (quoted in Swedish):")
    assert [c["quote"] for c in en["citations"]] == [c["quote"] for c in sv["citations"]] and en["citations"]


# Written for these tests in the genre's conventions: a report on data protection with its frame under headings, and
# one that states no frame. Neither says whether a data protection officer has been appointed.
DATA_PROTECTION = """Granskning av kommunens dataskyddsarbete
Tranås kommun
Revisionsrapport, mars 2021

1 Sammanfattning
Vi bedömer att kommunstyrelsen delvis har säkerställt ett ändamålsenligt arbete med dataskyddsförordningen.
Förordningen började gälla i maj 2018 och ställer krav på hur personuppgifter behandlas.
Kommunstyrelsen har antagit en rutin för personuppgiftsincidenter, men incidenterna följs inte upp.
2 Inledning
2.1 Syfte och revisionsfrågor
Syftet är att bedöma om kommunstyrelsen har säkerställt att dataskyddsförordningen följs.
2.2 Revisionskriterier
Dataskyddsförordningen, lagen med kompletterande bestämmelser och kommunstyrelsens reglemente.
2.3 Avgränsning och metod
Granskningen avser kommunstyrelsen och socialnämnden under 2020.
Vi har intervjuat kommundirektören, socialchefen och två systemförvaltare.
3 Iakttagelser
3.1 Personuppgiftsincidenter
Under 2020 anmäldes sju personuppgiftsincidenter till Integritetsskyddsmyndigheten.
Registret över behandlingar av personuppgifter uppdaterades senast i januari 2019.
"""

WITHOUT_FRAME = """Granskning av bygglovshandläggningen
Eksjö kommun

Sammanfattning

Revisorerna har låtit granska hur byggnadsnämnden handlägger ansökningar om bygglov.
Vi bedömer att handläggningen i huvudsak är ändamålsenlig men att tidsfristerna inte alltid hålls.

Iakttagelser

Av 40 ärenden i stickprovet avgjordes 31 inom tio veckor.
"""


@pytest.fixture(scope="module")
def twins_client(tmp_path_factory, embedder):
    reports = {"tranas-2021-dataskydd.txt": DATA_PROTECTION, "eksjo-2019-bygglov.txt": WITHOUT_FRAME}
    with app_over_reports(tmp_path_factory, embedder, "english-twins", reports) as client:
        yield client


def _quotes(body: dict) -> list[str]:
    return [c["quote"] for c in body["citations"]]


@pytest.mark.slow
@pytest.mark.parametrize(("english", "swedish", "quoted"), [
    # The frame, from the part under its heading, though no sentence there names it.
    ("What audit criteria were used in Tranås?", "Vilka revisionskriterier användes i Tranås?", "Dataskyddsförordningen, lagen"),
    ("Who was interviewed in the Tranås audit?", "Vilka intervjuades i granskningen i Tranås?", "Vi har intervjuat"),
    ("What was the purpose of the audit in Tranås?", "Vad var syftet med granskningen i Tranås?", "Syftet är att bedöma"),
    # Findings, by the glossary's Swedish terms for the English ones.
    ("How many personal data incidents were reported in Tranås in 2020?", "Hur många personuppgiftsincidenter anmäldes i Tranås 2020?", "Under 2020 anmäldes sju"),
    ("How many building permit cases were decided within ten weeks in Eksjö?", "Hur många bygglovsärenden avgjordes inom tio veckor i Eksjö?", "Av 40 ärenden"),
])
def test_an_english_question_is_answered_from_the_passage_its_swedish_twin_is(twins_client, english, swedish, quoted):
    en, sv = asked(twins_client, english), asked(twins_client, swedish)
    assert sv["grounded"] and _quotes(sv)[0].startswith(quoted), sv["answer"]
    assert en["grounded"] and _quotes(en) == _quotes(sv), en["answer"]
    assert en["answer"].startswith("According to the reports (quoted in Swedish):")


@pytest.mark.slow
def test_what_an_english_question_asks_of_the_scope_is_read_under_its_heading(twins_client):
    # Under "Avgränsning och metod" both sentences stand under the part asked for; the English question's similarities
    # lie closer together than its Swedish twin's, and it may quote the next sentence of the same part too.
    en, sv = asked(twins_client, "What did the audit in Tranås cover?"), asked(twins_client, "Vad omfattade granskningen i Tranås?")
    assert _quotes(sv) == ["Granskningen avser kommunstyrelsen och socialnämnden under 2020."], sv["answer"]
    assert len(_quotes(en)) == 1 and _quotes(en)[0].startswith(_quotes(sv)[0]), en["answer"]
    assert {c["section"] for c in en["citations"]} == {c["section"] for c in sv["citations"]} == {"2.3"}


@pytest.mark.slow
@pytest.mark.parametrize(("english", "swedish"), [
    # The report names the regulation, never an officer: a sentence that reads alike is no answer in either language.
    ("Has a data protection officer been appointed in Tranås?", "Har ett dataskyddsombud utsetts i Tranås?"),
    ("How much did the new IT system cost in Tranås?", "Vad kostade det nya IT-systemet i Tranås?"),
    ("How many fire inspections were made in Eksjö?", "Hur många brandtillsyner gjordes i Eksjö?"),
    # A report without the part does not say.
    ("What audit criteria were used in Eksjö?", "Vilka revisionskriterier användes i Eksjö?"),
    # The noun asked for, which no report speaks of: as written where the glossary has no term for it ("grade",
    # "handbook"), in its Swedish where it has ("foster home": "familjehem").
    ("Which grade did the building committee in Eksjö receive?", "Vilket betyg fick byggnadsnämnden i Eksjö?"),
    ("Does Tranås have a handbook on encryption?", "Har Tranås en handbok om kryptering?"),
    ("Which foster home did Eksjö use?", "Vilket familjehem anlitade Eksjö?"),
    # A figure beside the question's year is no answer: the sentence does not name what is counted.
    ("How many servers were replaced in Tranås in 2020?", "Hur många servrar byttes ut i Tranås 2020?"),
])
def test_an_english_question_is_refused_where_its_swedish_twin_is(twins_client, english, swedish):
    en, sv = asked(twins_client, english), asked(twins_client, swedish)
    assert not sv["grounded"], sv["answer"]
    assert not en["grounded"] and not en["citations"], en["answer"]


@pytest.mark.slow
def test_an_english_count_that_names_no_noun_is_not_answered_by_another_figure(ask):
    # "people" names nothing counted: the sentence must share the question's subject in the glossary's Swedish, and a
    # figure on another subject of the same report is no answer, where the Swedish twin quotes its own.
    english = ask("How many people live in the municipal housing for unaccompanied minors in Alvesta?")
    swedish = ask("Hur många bor i kommunens boenden för ensamkommande i Alvesta?")
    assert swedish["grounded"], swedish["answer"]
    assert not english["grounded"] or _quotes(english) == _quotes(swedish), english["answer"]
