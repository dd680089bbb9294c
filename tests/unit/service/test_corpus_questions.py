"""Questions about the corpus and its reports rather than a passage: which reports a firm made, which are about a
subject, a summary of one report of a municipality that has several, and the rules that keep a confident answer
from a sentence that only reads alike. The real pipeline and app on the fake embedder, over reports written here
in the genre's conventions."""

import numpy as np
import pytest
from fixtures.fake_embedder import FakeEmbedder
from fixtures.homes import app_over_reports, asked

from service.answering.base import AnswerRequest
from service.answering.extractive import _answered_by_form, cover_may_answer, held_by_person, names_role
from service.query.analysis import analyze_question
from service.query.retrieval import Filters

HEALTH = """Revisionsrapport

Granskning av elevhälsan

Vimmerby kommun

Sara Berg, certifierad kommunal revisor, PwC

December 2021

1. Sammanfattning

Vår samlade bedömning är att barn- och utbildningsnämnden delvis har en ändamålsenlig styrning av elevhälsan.
Nämnden har sedan 2018-03-01 ett samlat elevhälsoteam på varje skola enligt ett beslut som fattades den dagen.

1.1 Rekommendationer

- Barn- och utbildningsnämnden bör ta fram mål för elevhälsans förebyggande arbete.

2. Inledning

2.1 Kontrollmål

- Finns det mål för elevhälsans arbete?
- Följer nämnden upp elevhälsans arbete?

3. Iakttagelser och bedömningar

3.1 Mål

Det saknas mål för elevhälsans förebyggande arbete. Kontrollmålet bedöms som ej uppfyllt.

3.2 Uppföljning

Nämnden följer upp elevhälsans insatser varje termin. Kontrollmålet bedöms som uppfyllt.
"""

HOUSING = """Revisionsrapport

Granskning av bostadsförsörjningen

Vimmerby kommun

Karl Nyström, KPMG

Oktober 2021

1. Sammanfattning

Vi bedömer sammantaget att kommunstyrelsen i huvudsak har en ändamålsenlig styrning av bostadsförsörjningen.

2. Iakttagelser

Kommunstyrelsen antog riktlinjer för bostadsförsörjningen år 2019 och följer upp bostadskön varje år.
Vi har intervjuat samhällsbyggnadschefen och bostadsstrategen Per Holm.
"""

INTERIM = """Revisionsrapport

Granskning av delårsrapport 2019

Ljusdals kommun

Eva Lind, PwC

Oktober 2019

1. Sammanfattning

Vi bedömer att delårsrapporten i allt väsentligt ger en rättvisande bild av kommunens resultat och ställning.
"""

# An overall assessment that does not name its subject: the title does.
TRANSPORT = """Revisionsrapport

Granskning av färdtjänsten

Boxholms kommun

Anna Berg, certifierad kommunal revisor, EY

Maj 2020

1. Sammanfattning

Vår samlade bedömning är att nämnden inte har säkerställt en tillräcklig styrning och uppföljning.
På uppdrag av de förtroendevalda revisorerna har EY granskat färdtjänsten.
"""

REPORTS = {
    "boxholm-2020-fardtjanst": TRANSPORT,
    "vimmerby-2021-elevhalsa": HEALTH,
    "vimmerby-2021-bostadsforsorjning": HOUSING,
    "ljusdal-2019-delarsrapport": INTERIM,
}


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    reports = {f"{name}.txt": text for name, text in REPORTS.items()}
    with app_over_reports(tmp_path_factory, FakeEmbedder(), "corpus-question", reports) as client:
        yield client



def cited_documents(body: dict) -> set[str]:
    return {c["document_id"] for c in body["citations"]}


@pytest.mark.parametrize("question", ["Vilka kommuner har granskats av PwC?", "Vilka rapporter har PwC skrivit?", "Which reports were written by PwC?"])
def test_the_reports_a_firm_made_are_listed_from_the_catalog(client, question):
    body = asked(client, question)
    assert body["answerer"] == "report" and body["grounded"], body["answer"]
    assert cited_documents(body) == {"vimmerby-2021-elevhalsa", "ljusdal-2019-delarsrapport"}
    assert all("PwC" in c["quote"] for c in body["citations"])


def test_how_many_reports_counts_every_report_of_the_place(client):
    body = asked(client, "Hur många rapporter finns från Vimmerby?")
    assert body["answerer"] == "report" and body["answer"].startswith("2 rapporter:"), body["answer"]
    assert cited_documents(body) <= {"vimmerby-2021-elevhalsa", "vimmerby-2021-bostadsforsorjning"}
    assert "4 rapporter:" in asked(client, "Hur många rapporter finns det?")["answer"]


def test_recommendations_asked_of_every_report_on_a_topic_are_those_on_it(client):
    body = asked(client, "Vilka rekommendationer gavs om elevhälsans förebyggande arbete?")
    assert body["answerer"] == "findings" and cited_documents(body) == {"vimmerby-2021-elevhalsa"}, body["answer"]
    # No report recommends anything on it: not the list of every recommendation, and no "none" either.
    assert asked(client, "Vilka rekommendationer gavs om snöröjningen?")["answerer"] != "findings"


def test_the_reports_on_a_subject_are_the_ones_whose_titles_name_it(client):
    body = asked(client, "Vilka rapporter handlar om elevhälsa?")
    assert body["answerer"] == "report" and cited_documents(body) == {"vimmerby-2021-elevhalsa"}, body["answer"]
    assert asked(client, "Vilka rapporter handlar om äldreomsorgen?")["answerer"] != "report"


def test_the_subject_named_picks_one_of_a_municipalitys_reports(client):
    body = asked(client, "Sammanfatta rapporten om elevhälsan i Vimmerby")
    assert body["answerer"] == "findings" and cited_documents(body) == {"vimmerby-2021-elevhalsa"}, body["answer"]
    # The gist: the overall assessment, the graded kontrollmål (main findings) and the recommendation, each cited.
    for words in ("delvis har en ändamålsenlig styrning", "1 uppfyllt, 1 ej uppfyllt", "ta fram mål för elevhälsans"):
        assert words in body["answer"], body["answer"]
    both = asked(client, "Sammanfatta rapporterna från Vimmerby")
    assert cited_documents(both) == {"vimmerby-2021-elevhalsa", "vimmerby-2021-bostadsforsorjning"}, both["answer"]


def test_what_the_audit_came_to_is_its_summary(client):
    body = asked(client, "Vad kom granskningen av bostadsförsörjningen i Vimmerby fram till?")
    assert body["answerer"] == "findings" and "i huvudsak har en ändamålsenlig styrning" in body["answer"], body["answer"]


def test_a_date_in_the_running_text_is_not_the_reports_date(client):
    body = asked(client, "När är rapporten om elevhälsan i Vimmerby daterad?")
    assert "december 2021" in body["answer"] and "2018" not in body["answer"], body["answer"]


@pytest.mark.parametrize(("question", "by_form"), [
    ("Vem är dataskyddsombud i Vimmerby?", False),
    ("Vilket helårsresultat prognostiserar kommunen?", False),
    ("Vem står som författare till rapporten om elevhälsan?", True),
    ("Vem var projektledare för granskningen?", True),
    ("När antogs riktlinjerna?", True),
    ("Vad är syftet med granskningen?", True),
    # An English question is read in the glossary's Swedish terms: its words count as its Swedish twin's do.
    ("Who is the data protection officer in Vimmerby?", False),
    ("When is the report on pupil health dated?", True),
])
def test_only_answers_recognised_by_their_form_may_share_no_word_with_the_question(question, by_form):
    analysis = analyze_question(question, ("Vimmerby",), (2021,))
    assert _answered_by_form(AnswerRequest(question, analysis, Filters(), (), np.empty(0, dtype=np.float32))) is by_form


def test_why_a_verdict_was_given_is_answered_with_the_reports_motivation(client):
    body = asked(client, "Varför bedömdes kontrollmål som ej uppfyllda för elevhälsan i Vimmerby?")
    assert body["answerer"] == "findings" and "Motivering:" in body["answer"], body["answer"]
    assert "Det saknas mål för elevhälsans förebyggande arbete" in body["answer"]


def test_a_kontrollmal_worded_with_a_particle_verb_is_found_by_its_noun(client):
    # "Följer nämnden upp …?" is what "uppföljningen av …" asks about.
    body = asked(client, "Hur bedömdes uppföljningen av elevhälsans arbete i Vimmerby?")
    assert body["answerer"] == "findings" and "Följer nämnden upp elevhälsans arbete?" in body["answer"], body["answer"]
    assert "Finns det mål" not in body["answer"]


def test_an_english_question_finds_the_kontrollmal_by_the_swedish_terms_of_its_words(client):
    body = asked(client, "Was the control objective on goals for pupil health met in Vimmerby?")
    assert body["answerer"] == "findings", body["answer"]
    assert "Finns det mål för elevhälsans arbete?" in body["answer"] and "ej uppfyllt" in body["answer"], body["answer"]


def test_a_firm_named_without_a_municipality_narrows_to_its_reports(client):
    body = asked(client, "Vilka rekommendationer lämnade PwC?")
    assert body["grounded"] and cited_documents(body) == {"vimmerby-2021-elevhalsa"}, body["answer"]
    assert "Ljusdal" in body["answer"] and "Bostad" not in body["answer"], body["answer"]


@pytest.mark.parametrize("question", [
    # What is asked for is a thing no report speaks of, though the question shares the report's subject.
    "Vilket betyg fick elevhälsan i Vimmerby?",
    # A role no sentence names: sentences about the board are no answer to who chairs it.
    "Vem är nämndens ordförande i Vimmerby?",
    "Vad heter nämndens ordförande i Vimmerby?",
    # An office named without its holder ("intervjuat samhällsbyggnadschefen") tells nobody who holds it.
    "Vem är samhällsbyggnadschef i Vimmerby?",
])
def test_a_question_for_what_no_report_names_is_refused(client, question):
    body = asked(client, question)
    assert body["answerer"] == "refusal" and not body["citations"], body["answer"]


def test_the_names_that_sign_the_cover_are_the_authors(client):
    body = asked(client, "Vem skrev rapporten om elevhälsan i Vimmerby?")
    assert body["answerer"] == "report" and "skriven av Sara Berg" in body["answer"], body["answer"]


def test_an_assessment_asked_of_nothing_but_the_place_is_the_overall_assessment(client):
    # Nothing named but the place: no subject to match, the report's own overall assessment.
    body = asked(client, "Hur bedömdes Boxholm?")
    assert body["answerer"] == "findings" and "inte har säkerställt en tillräcklig styrning" in body["answer"], body["answer"]


def test_the_firm_is_cited_where_the_report_says_it_did_the_audit(client):
    body = asked(client, "Vilken revisionsbyrå granskade färdtjänsten i Boxholm?")
    assert body["answerer"] == "report" and "EY" in body["answer"], body["answer"]
    assert body["citations"][0]["section"] == "1", body["citations"]  # then the cover, for the author it names


def test_a_role_is_named_by_its_own_word_not_one_that_begins_alike():
    # A cover's "certifierad kommunal revisor" begins like "kommunchef" but names no municipal chief executive.
    assert not names_role({"kommunchef"}, {"certifier", "kommunal", "revisor"})
    assert names_role({"ordförand"}, {"ordförand"}) and names_role({"kommunchef"}, {"kommunchefen"})
    assert names_role({"revisionsdirektör"}, {"revisionsdirektör"})


def test_offices_a_person_holds_are_told_from_bodies():
    # "Vem är socialchef?" is answered by a name; "Vem är ansvarig?" may be answered by a board.
    assert held_by_person({"socialchef"}) and held_by_person({"ordför"}) and held_by_person({"it", "chef"})
    assert not held_by_person({"socialnämnd"}) and not held_by_person({"ansvar"})


@pytest.mark.parametrize(("question", "names_role", "may"), [
    ("När är rapporten daterad?", False, True),
    ("Vem skrev rapporten om elevhälsan?", False, True),
    # The names on a cover are its authors': no answer to who holds an office the line does not name.
    ("Vem är kommunchef i Vimmerby?", False, False),
    ("Vem är ordförande för revisorerna i Vimmerby?", True, True),
])
def test_a_cover_line_answers_only_what_a_cover_says(question, names_role, may):
    analysis = analyze_question(question, ("Vimmerby",), (2021,))
    request = AnswerRequest(question, analysis, Filters(), (), np.empty(0, dtype=np.float32))
    assert cover_may_answer(request, names_role) is may
