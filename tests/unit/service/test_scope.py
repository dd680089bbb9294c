"""Questions no report can answer by their nature are told apart from questions about the reports."""

import pytest

from service.query.analysis import analyze_question

CORPUS = ("Alvesta", "Hultsfred", "Kalmar")


@pytest.mark.parametrize(("question", "kind"), [
    ("Skriv ett mejl till min chef om granskningen i Alvesta", "task"),
    ("Write an email to the board about the findings", "task"),
    ("Kan du översätta rekommendationerna till engelska?", "task"),
    ("Kan du skriva ett mejl till min chef om granskningen?", "task"),
    ("Kommer Alvesta att lyckas bättre nästa år?", "prediction"),
    ("Will Hultsfred succeed with its integration work?", "prediction"),
    ("Vad tycker du om kommunens arbete?", "opinion"),
    ("Do you think the audit was fair?", "opinion"),
    ("Vem är Sveriges migrationsminister?", "general"),
    ("What is the capital of Norway?", "general"),
    # Says itself that it asks about the world in general, though it names the reports' subject.
    ("Vad säger kommunallagen i allmänhet om hur revisorer väljs?", "general"),
    ("How are municipal auditors appointed in general?", "general"),
])
def test_out_of_scope_questions(question, kind):
    assert analyze_question(question, CORPUS, (2016, 2018, 2019)).out_of_scope == kind


@pytest.mark.parametrize("question", [
    "Vilka kontrollmål bedömdes ej uppfyllda i Alvesta?",
    "Sammanfatta rapporten om Hultsfred",
    "Vad rekommenderade revisorerna kommunstyrelsen i Kalmar?",
    "Vilken prognos lämnade nämnden för helåret?",
    "Vad sa regeringens riktlinjer enligt rapporten från Kalmar?",
    "Which recommendations were given in Alvesta?",
    "Vad bör kommunstyrelsen göra enligt revisorerna?",
])
def test_questions_about_the_reports_stay_in_scope(question):
    assert analyze_question(question, CORPUS, (2016, 2018, 2019)).out_of_scope is None


@pytest.mark.parametrize("question", [
    "Varför bedömdes kontrollmålet som delvis uppfyllt i Alvesta?",
    "Hur motiverar revisorerna sin bedömning i Hultsfred?",
    "Why was the control objective only partly met?",
    "Vad var skälet till att kommunen inte följde upp insatserna?",
])
def test_reason_questions_want_the_reason(question):
    assert analyze_question(question, CORPUS, ()).answer_type == "reason"


@pytest.mark.parametrize(("question", "wanted"), [
    ("Vad är syftet med GDPR-granskningen i Hultsfred?", "purpose"),
    ("Vad är granskningens syfte?", "purpose"),
    ("What was the purpose of the audit in Luleå?", "purpose"),
    # "i syfte att" names another purpose than the audit's.
    ("Vilka åtgärder vidtogs i syfte att förbättra integrationen?", "list"),
])
def test_a_purpose_question_is_one_about_the_audits_own_purpose(question, wanted):
    assert analyze_question(question, CORPUS, ()).answer_type == wanted


@pytest.mark.parametrize(("question", "wanted"), [
    ("Vilken brist i planeringen av ledningsnätets förnyelse påtalas i Falkenberg?", "deficiency"),
    ("Vilken svaghet fann revisorerna i den interna kontrollen?", "deficiency"),
    ("Vilka brister fann revisorerna?", "list"),  # a list of them: the list answer quotes more sentences
    ("What shortcomings did the auditors find?", "deficiency"),
    ("Vilket exempel ges på att uppsikten behöver förbättras?", "example"),
])
def test_questions_for_what_was_found_wanting_or_an_example(question, wanted):
    assert analyze_question(question, CORPUS, ()).answer_type == wanted
