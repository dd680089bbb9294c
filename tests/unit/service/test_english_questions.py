"""The one question reader reads English questions as it reads Swedish ones: each English question below is read
with the same findings question, report question, scope and municipalities as its Swedish twin, and as English.

Fresh questions of every kind a user asks (verdicts in the genre's English words, counts, comparisons, report facts,
summaries, reasons, follow-ups, out-of-scope requests, hurried typing); a few are then answered through the real app
(fake embedder: the findings, report and refusal answers read no similarity) and compared with the Swedish answer.
"""

import pytest
from fastapi.testclient import TestClient
from fixtures.fake_embedder import FakeEmbedder
from fixtures.genre_reports import COLOUR_REPORT, READABLE_CELLS, TABLE_REPORT
from fixtures.homes import make_settings

from ingest.language.english import is_english
from ingest.language.terms import TermExpander
from ingest.pipeline import Ingestor
from service.answering.extractive import english_asked_noun
from service.api.app import create_app
from service.query.analysis import analyze_question
from service.query.followups import resolve
from service.query.repair import QuestionRepair

MUNICIPALITIES = ("Alvesta", "Hultsfred", "Kalmar", "Luleå", "Umeå", "Lomma", "Skellefteå", "Göteborg", "Mora", "Sala")
YEARS = (2007, 2016, 2017, 2018, 2019, 2020, 2021, 2022)


def _reading(question: str) -> dict:
    analysis = analyze_question(question, MUNICIPALITIES, YEARS)
    return {
        "municipalities": analysis.municipalities,
        "findings": analysis.findings,
        "report": analysis.report,
        "out_of_scope": analysis.out_of_scope,
        "ordinal": analysis.ordinal and analysis.ordinal.number,
        "asked_part": analysis.asked_part,
    }


# English beside Swedish, read the same way.
TWINS = [
    # Verdicts, in the genre's English words.
    ("Which control objectives were not met in Alvesta?", "Vilka kontrollmål bedömdes ej uppfyllda i Alvesta?"),
    ("Which control objectives did Alvesta not meet?", "Vilka kontrollmål uppfyllde inte Alvesta?"),
    ("Which control objectives weren't met in Alvesta?", "Vilka kontrollmål uppfylldes inte i Alvesta?"),
    ("Which control objectives were only partly met in Alvesta?", "Vilka kontrollmål var bara delvis uppfyllda i Alvesta?"),
    ("Which control objectives were met to a limited extent in Alvesta?", "Vilka kontrollmål uppfylldes till viss del i Alvesta?"),
    ("Which control objectives were not fully met in Hultsfred?", "Vilka kontrollmål är inte helt uppfyllda i Hultsfred?"),
    ("Which control objectives were fully met in Hultsfred?", "Vilka kontrollmål bedömdes helt uppfyllda i Hultsfred?"),
    ("Which control objectives were rated red in Alvesta?", "Vilka kontrollmål var röda i Alvesta?"),
    ("Which control objectives were rated amber in Alvesta?", "Vilka kontrollmål var gula i Alvesta?"),
    ("Which control objectives were rated green in Alvesta?", "Vilka kontrollmål var gröna i Alvesta?"),
    ("Which audit questions were answered with no in Mora?", "Vilka revisionsfrågor besvarades med nej i Mora?"),
    ("Which audit questions were answered yes in Mora?", "Vilka revisionsfrågor besvarades med ja i Mora?"),
    ("Which audit questions were answered with a partial yes in Mora?", "Vilka revisionsfrågor besvarades med delvis ja i Mora?"),
    ("Which control objectives were not sufficiently met?", "Vilka kontrollmål uppfylldes inte tillräckligt?"),
    # One item by its place in the report's list.
    ("What was the second control objective in Alvesta?", "Vilket var det andra kontrollmålet i Alvesta?"),
    ("What was the third audit question in Kalmar?", "Vilken var den tredje revisionsfrågan i Kalmar?"),
    ("How was control objective 2.6 assessed in Alvesta?", "Hur bedömdes kontrollmål 2.6 i Alvesta?"),
    # Counts, lists and comparisons across reports.
    ("How many control objectives did the Alvesta audit have?", "Hur många kontrollmål hade granskningen i Alvesta?"),
    ("What recommendations did the auditors give in Hultsfred?", "Vilka rekommendationer lämnade revisorerna i Hultsfred?"),
    ("What should the municipal executive board in Alvesta do?", "Vad bör kommunstyrelsen i Alvesta göra?"),
    ("Which municipality got the most critical assessment?", "Vilken kommun fick den mest kritiska bedömningen?"),
    ("Which municipality received the most recommendations?", "Vilken kommun fick flest rekommendationer?"),
    ("In which municipalities were control objectives assessed as not met?", "I vilka kommuner bedömdes kontrollmål som ej uppfyllda?"),
    ("Which control objective was assessed the worst in Alvesta?", "Vilket kontrollmål bedömdes sämst i Alvesta?"),
    ("How many reports are from 2018?", "Hur många rapporter finns från 2018?"),
    ("Which is the newest report?", "Vilken rapport är nyast?"),
    ("Which was the last control objective in Alvesta?", "Vilket var det sista kontrollmålet i Alvesta?"),
    # The overall assessment, conclusions, summaries and shortcomings.
    ("What is the overall assessment in Hultsfred?", "Vilken är den samlade bedömningen i Hultsfred?"),
    ("What was the conclusion of the audit in Göteborg?", "Vad var slutsatsen i granskningen i Göteborg?"),
    ("Summarize the report from Umeå", "Sammanfatta rapporten från Umeå"),
    ("What did the audit in Hultsfred conclude?", "Vad kom granskningen i Hultsfred fram till?"),
    ("What did the auditors find in Lomma?", "Vad kom revisorerna fram till i Lomma?"),
    ("What shortcomings did the auditors find in Alvesta?", "Vilka brister fann revisorerna i Alvesta?"),
    ("Compare the assessments of Alvesta and Hultsfred", "Jämför bedömningarna i Alvesta och Hultsfred"),
    # An assessment asked for in the words the genre assesses with.
    ("Did the auditors judge that the labour market unit in Alvesta contributes to the introduction?",
     "Bedömde revisorerna att arbetsmarknadsenheten i Alvesta bidrar till introduktionen?"),
    ("Is the internal control in Skellefteå sufficient?", "Är den interna kontrollen i Skellefteå tillräcklig?"),
    # Facts of the report itself, and the reports on a subject.
    ("Who wrote the Kalmar report?", "Vem skrev rapporten från Kalmar?"),
    ("When is the Umeå report dated?", "När är rapporten från Umeå daterad?"),
    ("Which audit firm carried out the Luleå audit?", "Vilken revisionsbyrå genomförde granskningen i Luleå?"),
    ("Who audited Hultsfred?", "Vem granskade Hultsfred?"),
    ("Which reports did KPMG write?", "Vilka rapporter har KPMG skrivit?"),
    ("How many reports are there?", "Hur många rapporter finns det?"),
    ("Which reports are about crisis preparedness?", "Vilka rapporter handlar om krisberedskap?"),
    ("Which municipality audited crisis preparedness?", "Vilken kommun har granskat krisberedskap?"),
    # The report's frame: its criteria, how the audit was done, what it covered.
    ("What audit criteria were used in Sala?", "Vilka revisionskriterier användes i Sala?"),
    ("Which criteria was the audit in Mora assessed against?", "Mot vilka kriterier bedömdes granskningen i Mora?"),
    ("How was the audit in Sala carried out?", "Hur genomfördes granskningen i Sala?"),
    ("How has the Mora audit been conducted?", "Hur har granskningen i Mora genomförts?"),
    ("Who was interviewed in the Mora audit?", "Vilka intervjuades i granskningen i Mora?"),
    ("Which documents were reviewed in the audit in Sala?", "Vilka dokument granskades i granskningen i Sala?"),
    ("What method was used in the Sala audit?", "Vilken metod användes i granskningen i Sala?"),
    ("How was the audit in Mora delimited?", "Hur avgränsades granskningen i Mora?"),
    ("What did the audit in Sala cover?", "Vad omfattade granskningen i Sala?"),
    ("Which committees were audited in Mora?", "Vilka nämnder granskades i Mora?"),
    ("What was the scope of the audit in Lomma?", "Vad var granskningens avgränsning i Lomma?"),
    # Not the frame: what the audit found, how something other than the audit was done.
    ("How was the budget followed up in Sala?", "Hur följdes budgeten upp i Sala?"),
    ("What did the audit find about housing in Mora?", "Vad kom granskningen fram till om bostäder i Mora?"),
    # Out of scope: requests, predictions, opinions, world affairs.
    ("Write an email to my boss", "Skriv ett mejl till min chef"),
    ("Translate the Alvesta summary into English", "Översätt sammanfattningen från Alvesta till engelska"),
    ("Will Alvesta do better next year?", "Kommer Alvesta att lyckas bättre nästa år?"),
    ("what do you think of alvesta's integration work", "vad tycker du om alvestas integrationsarbete"),
    ("Who is Sweden's minister for migration?", "Vem är Sveriges migrationsminister?"),
    # Hurried typing.
    ("which control objectives were not fulfilled in alvesta", "vilka kontrollmål bedömdes ej uppfyllda i alvesta"),
    ("recommendations hultsfred", "rekommendationer hultsfred"),
]


def test_hurried_english_is_written_out_and_read_as_english():
    repair = QuestionRepair(("Lomma", "Umeå"), {"rekommendationer": 1})
    assert repair.run("recs lomma") == "recommendations Lomma" and is_english(repair.run("recs lomma"))
    assert repair.run("rek lomma") == "rekommendationer Lomma" and not is_english(repair.run("rek lomma"))
    assert analyze_question(repair.run("summary umea"), MUNICIPALITIES, YEARS).findings.summary


@pytest.mark.parametrize(("english", "swedish"), TWINS)
def test_an_english_question_is_read_as_its_swedish_twin(english, swedish):
    assert analyze_question(english, MUNICIPALITIES, YEARS).language == "en"
    assert analyze_question(swedish, MUNICIPALITIES, YEARS).language == "sv"
    assert _reading(english) == _reading(swedish)


@pytest.mark.parametrize(("question", "verdict"), [
    ("Which audit questions were answered with no in Växjö?", "ej uppfyllt"),
    ("Which control objectives did Alvesta fail?", "ej uppfyllt"),
    ("Which control objectives were assessed as unsatisfactory?", "ej uppfyllt"),
    ("Which control objectives were insufficiently met?", "ej uppfyllt"),
    ("Which control objectives were judged as partially fulfilled?", "delvis uppfyllt"),
    ("Which control objectives were met to some extent?", "delvis uppfyllt"),
    ("Which control objectives were mainly met?", "uppfyllt"),  # mainly is "uppfyllt" on the report's three-step scale
    ("Which control objectives were met in all essentials?", "uppfyllt"),
    ("Which audit questions were answered positively?", "uppfyllt"),
])
def test_english_verdict_words_are_read_on_the_genre_scale(question, verdict):
    findings = analyze_question(question, (*MUNICIPALITIES, "Växjö"), YEARS).findings
    assert findings is not None and findings.verdict == verdict


@pytest.mark.parametrize("question", [
    "Write an email to my boss", "Summarize the report from Umeå", "Give me the recommendations from Luleå",
    "Please list the control objectives", "Can you compare Alvesta and Hultsfred?", "summary umea",
    "control objectives alvesta", "Will Lomma's property maintenance improve in the future?",
])
def test_short_english_requests_are_english(question):
    assert is_english(question)


@pytest.mark.parametrize("question", [
    # Swedish with words English shares or that hurried typing leaves bare ("at" for "att", "over" for "över").
    "rek hultsfred", "sammanfattning umea", "Budget Alvesta", "Lista rekommendationerna", "Har IT-säkerheten brister?",
    "Vad står det om internal control i Skellefteå?", "vad hande med rek over tid", "kontrollmål alvesta",
    "Vilka kontrollmål i Röda korset?", "Hur ser det ut under 2018 i Umeå?",
])
def test_swedish_stays_swedish(question):
    assert not is_english(question)


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    corpus = tmp_path_factory.mktemp("english-read-corpus")
    (corpus / "mora-2022-intern-kontroll.txt").write_text(TABLE_REPORT.format(**READABLE_CELLS), encoding="utf-8")
    (corpus / "sala-2021-lokalforsorjning.txt").write_text(COLOUR_REPORT, encoding="utf-8")
    settings = make_settings(tmp_path_factory.mktemp("english-read-home"), corpus_dir=corpus)
    assert not Ingestor(settings, FakeEmbedder()).run(corpus).failed
    with TestClient(create_app(settings, FakeEmbedder())) as client:
        yield client


def ask(client: TestClient, question: str) -> dict:
    response = client.post("/v1/ask", json={"question": question})
    assert response.status_code == 200, response.text
    return response.json()


def _cited(body: dict) -> list[tuple[str, int, int]]:
    return [(c["document_id"], c["quote_start"], c["quote_end"]) for c in body["citations"]]


@pytest.mark.parametrize(("english", "swedish"), [
    ("Which control objectives did Mora not meet?", "Vilka kontrollmål uppfyllde inte Mora?"),
    ("Which control objectives were answered with a partial yes in Mora?", "Vilka kontrollmål besvarades med delvis ja i Mora?"),
    ("Which audit questions were rated amber in Sala?", "Vilka revisionsfrågor var gula i Sala?"),
])
def test_an_english_verdict_question_is_answered_with_the_swedish_items(client, english, swedish):
    en, sv = ask(client, english), ask(client, swedish)
    assert en["answerer"] == sv["answerer"] == "findings" and en["grounded"]
    assert en["answer"].startswith("According to the reports (quoted in Swedish):")
    assert _cited(en) == _cited(sv) and _cited(en)


def test_an_english_request_is_refused_in_english(client):
    body = ask(client, "Write an email to my boss")
    assert not body["grounded"] and body["answer"].startswith("I cannot write or translate texts for you.")


def test_the_report_on_an_english_subject_is_found_by_its_swedish_title(client):
    body = ask(client, "Which report is about internal control?")
    assert body["answerer"] == "report" and body["grounded"]
    assert "Mora (2022)" in body["answer"] and "Sala" not in body["answer"]


def test_an_english_subject_in_the_reports_swedish_terms():
    terms = TermExpander.bundled()
    assert terms.in_swedish("In which municipalities is the Red Cross mentioned?") == ["Röda korset"]
    assert terms.in_swedish("How was the control objective on coordination assessed?") == [
        "kontrollmål", "kontrollfråga", "bedömning", "bedömer", "bedömdes", "samordning", "samordnas", "samordna",
    ]
    # A Swedish term in the question gains no English forms: only the Swedish of the English terms.
    assert terms.in_swedish("Which municipalities mention Arbetsförmedlingen?") == []


@pytest.mark.parametrize(("question", "asked"), [
    # Read in the glossary's Swedish, the longest term that begins at the noun.
    ("How many control objectives were assessed in Mora?", "kontrollmål"),
    ("Which documents were reviewed in the Sala audit?", "dokument"),
    ("How many posts in preschool are funded in Mora?", "tjänst"),
    ("How many building permit cases were decided in Sala?", "ärende"),
    # A noun the glossary has no term for is looked for as written.
    ("Which grade did Umeå receive?", "grade"),
    ("How many dentists does Kalmar employ?", "dentists"),
    ("Does Kalmar have a handbook on dental care for newcomers?", "handbook"),
    # No noun asked for: an asking word, a place, a count too general to name what it counts.
    ("What did the auditors conclude about procurement in Lomma?", None),
    ("How much did Hultsfred's second action catalogue cost per year?", None),
    ("How many people live in the housing for unaccompanied minors in Alvesta?", None),
    ("Vilket betyg fick Umeå?", None),
])
def test_the_noun_an_english_question_asks_for(question, asked):
    analysis = analyze_question(question, MUNICIPALITIES, YEARS)
    assert english_asked_noun(question, (*analysis.capitalized, *analysis.municipalities), TermExpander.bundled()) == asked


def test_a_swedish_question_gains_no_english_form_of_a_one_way_term():
    terms = TermExpander.bundled()
    assert terms.term_at("Which documents were reviewed?", 6) == (15, "dokument")
    assert terms.expand("Vilka dokument granskades?") == "Vilka dokument granskades?"


@pytest.mark.parametrize(("history", "question", "resolved"), [
    ("Which control objectives did the Alvesta audit have?", "How was the second one assessed?",
     "How was the second control objective assessed in Alvesta?"),
    ("Which audit questions did the Kalmar audit have?", "what was the answer to the third one",
     "What was the answer to the third audit question in Kalmar?"),
    ("Which control objectives were not met in Alvesta?", "And in Hultsfred?", "Which control objectives were not met in Hultsfred?"),
    ("Vilka kontrollmål hade granskningen i Alvesta?", "Hur bedömdes det andra?", "Hur bedömdes det andra kontrollmålet i Alvesta?"),
])
def test_an_english_follow_up_names_the_item_as_a_swedish_one_does(history, question, resolved):
    assert resolve([history], question, MUNICIPALITIES, YEARS) == resolved
    assert analyze_question(resolved, MUNICIPALITIES, YEARS).findings is not None
