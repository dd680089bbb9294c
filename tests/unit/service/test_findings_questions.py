"""Findings over HTTP: GET /v1/findings and its summary, and findings questions answered exactly by /v1/ask.

The question-recognition test is fast; the rest run the real app over the ingested corpus (slow).
"""




import pytest

from service.query.findings_questions import read_findings_question as read_question


@pytest.mark.parametrize(
    ("question", "kind", "verdict", "single", "number"),
    [
        ("Vilka kontrollmål bedömdes ej uppfyllda i Alvesta?", "kontrollmal", "ej uppfyllt", False, None),
        ("Vilka kontrollmål är delvis uppfyllda?", "kontrollmal", "delvis uppfyllt", False, None),
        ("Which control objectives were not met in Alvesta?", "kontrollmal", "ej uppfyllt", False, None),
        ("Vilka kommuner har kontrollmål som inte uppfylldes?", "kontrollmal", "ej uppfyllt", False, None),
        ("I vilka kommuner bedömdes något kontrollmål som helt uppfyllt?", "kontrollmal", "uppfyllt", False, None),
        ("Vilka kontrollmål är inte helt uppfyllda i Hultsfred?", "kontrollmal", "delvis uppfyllt", False, None),
        ("Hur bedömdes kontrollmålen i Hultsfred?", "kontrollmal", None, False, None),
        ("Hur bedömdes kontrollmålet om samordning av kommunens insatser?", "kontrollmal", None, True, None),
        ("Hur bedömdes kontrollmål 2.6 i Alvesta?", "kontrollmal", None, True, None),  # a section number, not the list's
        ("Vilka rekommendationer gavs i Hultsfred?", "rekommendation", None, False, None),
        ("What did the auditors recommend in Umeå?", "rekommendation", None, False, None),
        # The genre recommends with "bör": what someone should do is what the report recommends.
        ("Vad bör tekniska nämnden i Lomma göra enligt EY?", "rekommendation", None, False, None),
        ("Vad ska kommunstyrelsen förbättra enligt revisorerna?", "rekommendation", None, False, None),
        ("What should Hultsfred do?", "rekommendation", None, False, None),
        ("Vilka rekommendationer gavs för kontrollmålen som inte uppfylldes?", "rekommendation", None, False, None),
        ("Vad var revisionsfrågan i Alvesta?", "revisionsfraga", None, True, None),
        ("Vilka revisionsfrågor hade Kalmar?", "revisionsfraga", None, False, None),
        ("Vilka frågeställningar hade granskningen i Lomma?", "revisionsfraga", None, False, None),
        ("What was the audit question in Kalmar?", "revisionsfraga", None, True, None),
        ("Vad blev den revisionella bedömningen i Alvesta?", "revisionell_bedomning", None, False, None),
        ("What was the overall assessment in Hultsfred?", "revisionell_bedomning", None, False, None),
        ("Vad blev den samlade bedömningen av kontrollmålen i Alvesta?", "kontrollmal", None, False, None),
        ("Vilken kommun fick den mest kritiska bedömningen av sina kontrollmål?", "kontrollmal", None, False, None),
        ("Vilken granskning hade flest kontrollmål?", "kontrollmal", None, False, None),
        # Colour grades and yes/no answers are verdicts of the genre's scale.
        ("Vilka kontrollmål bedömdes som röda i Timrå?", "kontrollmal", "ej uppfyllt", False, None),
        ("Which control objectives were rated red?", "kontrollmal", "ej uppfyllt", False, None),
        ("Vilka kontrollmål fick gult?", "kontrollmal", "delvis uppfyllt", False, None),
        ("Vilka kontrollmål var gröna?", "kontrollmal", "uppfyllt", False, None),
        ("Vilka revisionsfrågor besvarades med nej?", "revisionsfraga", "ej uppfyllt", False, None),
        ("Vilka revisionsfrågor besvarades med ja i Sala?", "revisionsfraga", "uppfyllt", False, None),
        # One item by its place in the report's list.
        ("Vad svarade revisorerna på revisionsfråga 2?", "revisionsfraga", None, False, 2),
        ("Hur besvarades den tredje revisionsfrågan?", "revisionsfraga", None, True, 3),
        ("Hur bedömdes det andra kontrollmålet i Timrå?", "kontrollmal", None, True, 2),
        ("Hur bedömdes kontrollmål 3?", "kontrollmal", None, True, 3),
    ],
)
def test_findings_questions_are_recognized(question, kind, verdict, single, number):
    asked = read_question(question)
    assert asked is not None
    assert (asked.kind, asked.verdict, asked.single, asked.implicit, asked.number) == (kind, verdict, single, False, number)


@pytest.mark.parametrize(
    "question",
    [
        "Vilka rekommendationer har inte åtgärdats i Borås?",
        "Hur många av rekommendationerna är genomförda?",
        "Which recommendations have been implemented?",
        "Hur många rekommendationer följdes upp i Borås?",
    ],
)
def test_how_far_recommendations_were_acted_on_is_left_to_retrieval(question):
    # A follow-up audit grades earlier recommendations "åtgärdad" / "delvis åtgärdad"; the recommendations a report
    # gives carry no such status, so listing them would answer another question.
    assert read_question(question) is None


def test_recommendations_for_putting_something_right_are_still_recommendations():
    assert read_question("Vilka rekommendationer ger revisorerna för att åtgärda bristerna?").kind == "rekommendation"


@pytest.mark.parametrize(
    "question",
    [
        "Jämför bedömningarna i Alvesta och Hultsfred.", "Compare the audits in Umeå and Luleå.",
        "Vad kom uppföljningen i Borås fram till?", "Vad visade förstudien i Kalmar?",
    ],
)
def test_summaries_and_comparisons_set_out_each_reports_gist(question):
    assert read_question(question).summary


@pytest.mark.parametrize(
    "question",
    ["Vilka var KPMG:s rekommendationer i Hällefors?", "Vilka är Hällefors rekommendationer?", "Revisorernas rekommendationer i Lomma?"],
)
def test_the_auditors_own_recommendations_in_the_genitive(question):
    asked = read_question(question)
    assert asked is not None and asked.kind == "rekommendation"


@pytest.mark.parametrize(
    "question",
    [
        "Är kommunstyrelsens styrning av fastighetsunderhållet ändamålsenlig?",
        "Bedrivs underhållet på ett effektivt sätt enligt revisorerna?",
        "Is the internal control in Skellefteå sufficient according to the auditors?",
        "Does the committee steer property maintenance to a sufficient extent?",
    ],
)
def test_a_yes_no_question_in_the_genres_assessment_words_asks_for_a_verdict(question):
    asked = read_question(question)
    assert asked is not None and asked.kind == "kontrollmal" and asked.implicit and asked.assessed


def test_an_assessment_without_a_findings_word_is_only_a_candidate():
    asked = read_question("Bedömde revisorerna att arbetsmarknadsenheten i Alvesta bidrar till introduktionen av nyanlända?")
    assert asked is not None and asked.kind == "kontrollmal" and asked.implicit
    # A conclusion is the overall assessment where a report states one, else a question for retrieval.
    asked = read_question("Vad landade granskarna i Kalmar i för slutsats?")
    assert asked is not None and asked.kind == "revisionell_bedomning" and asked.implicit


@pytest.mark.parametrize(
    "question",
    [
        "Hur många platser har sysselsättningsavdelningen?",
        "Vem skrev rapporten?",
        "Vilka föreningar samarbetar kommunen med i integrationsarbetet i Alvesta?",
        "När antogs integrationsprogrammet i Luleå?",
        "Hur mycket kostade satsningen på SFI i Umeå?",
        "Har kommunen uppfyllt sitt ansvar för bostäder?",
        # Someone else's recommendations are a norm the report checks against, not findings of its own.
        "Vilka avvikelser från RKR:s rekommendationer pekar revisorerna i Härryda på?",
        "Följer nämnden Socialstyrelsens rekommendationer för familjehem?",
        "I vilka kommuner nämns Röda korset?",  # an organisation, no colour grade
    ],
)
def test_other_questions_are_left_to_retrieval(question):
    assert read_question(question) is None


@pytest.mark.parametrize(
    ("question", "comparison"),
    [
        ("Vilken kommun fick den mest kritiska bedömningen av sina kontrollmål, Alvesta eller Hultsfred?", "harshest"),
        ("Vilken av granskningarna hade flest kontrollmål?", "most"),
        ("Which municipality had the most control objectives?", "most"),
        ("Vilken kommun fick bäst bedömning av sina kontrollmål?", "mildest"),
        ("Vilka kontrollmål bedömdes ej uppfyllda i Alvesta?", None),
        ("Vilken kommun har flest invånare?", None),  # no findings word: not a findings comparison
        ("Vilken kommun fick den mest kritiska bedömningen, Alvesta eller Hultsfred?", "harshest"),
        ("Vilket kontrollmål i Hultsfred bedömdes sämst?", "harshest"),
        ("Bedömde revisorerna att nämnden arbetar på bästa sätt?", None),  # "bästa" grades nothing here
        ("Vilken kommun fick flest rekommendationer?", "most"),
        ("Vilken rapport har färst revisionsfrågor?", "fewest"),
        ("Vilka rekommendationer fick flest nämnder?", None),  # counts nämnder, not reports
        # The audit's outcome compared without a findings word, between all reports or two named ones.
        ("Vilken rapport har bäst resultat?", "mildest"),
        ("Vilken av Timrå och Växjö fick bäst bedömning?", "mildest"),
        ("Vilken granskning var mest kritisk?", "harshest"),
        ("Vilken rapport beskriver bäst hur nämnden arbetar?", None),
    ],
)
def test_comparisons_of_reports_are_recognized(question, comparison):
    asked = read_question(question)
    assert (asked.comparison if asked else None) == comparison


@pytest.mark.parametrize(("question", "kind", "comparison", "shortcomings"), [
    ("Vilka brister fann revisorerna i Falun?", "revisionell_bedomning", None, True),
    ("Vad kritiserade granskningen?", "revisionell_bedomning", None, True),
    ("Vilken rapport har flest brister?", "kontrollmal", "harshest", False),
    ("Vilken kommun fick mest kritik?", "kontrollmal", "harshest", False),
    ("Vad föreslår revisorerna i Timrå?", "rekommendation", None, False),
    ("What did the auditors propose?", "rekommendation", None, False),
])
def test_shortcomings_comparisons_and_proposals_are_read(question, kind, comparison, shortcomings):
    asked = read_question(question)
    assert (asked.kind, asked.comparison, asked.shortcomings) == (kind, comparison, shortcomings)


def test_the_genres_partial_grades_ask_for_partly_met_items():
    for question in ("Vilka kontrollmål bedömdes i begränsad omfattning uppfyllda?", "Vilka kontrollmål uppfylldes endast till viss del?"):
        assert read_question(question).verdict == "delvis uppfyllt", question


def test_a_summary_asked_for_by_the_noun_alone():
    assert read_question("sammanfattning Umeå").summary


def test_someone_elses_proposals_are_not_the_recommendations():
    assert read_question("Vilka förslag lämnade utredaren i sin slutrapport?") is None
    assert read_question("Vad föreslår kommunstyrelsen?") is None
    assert read_question("Vilka förslag lämnade revisorerna?").kind == "rekommendation"
