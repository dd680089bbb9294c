"""English questions get English framing around the reports' exact Swedish words, on every path that carries an
answer: /v1/ask (whole and streamed), conversations, the OpenAI-compatible route and the CLI's wording.

The real app over the bundled corpus and the reports written for the tests (fake embedder: the findings, report
and refusal answers read no similarity). Each English answer is checked against the same question in Swedish:
the same items, the same citations, and only the service's own words in another language.
"""

import json
import re

import pytest
from fastapi.testclient import TestClient
from fixtures.fake_embedder import FakeEmbedder
from fixtures.homes import CORPUS, FIXTURE_REPORTS, make_settings

from ingest.findings.model import NOTE_NO_VERDICT, NOTE_NOT_ASSESSED
from ingest.language.lexicon import lexicon
from ingest.pipeline import Ingestor
from ingest.structure.parts import CONTENTS, COVER, MISSIV
from service.answering.wording import ENGLISH, SWEDISH, VERDICT_SCALE, wording_for
from service.api.app import create_app

LEAD = "According to the reports (quoted in Swedish):\n"
# Words of the Swedish framing: none may stand outside the quotes of an English answer.
SWEDISH_FRAMING = re.compile(
    r"\b(?:bedömdes|bedöms som|avsnitt|avsnittet|uppräknade|Rapporten från|Rapporterna|redovisar|skriven av|daterad|Äldst|Nyast"
    r"|i sammanfattning|Motivering|sammanställningen|Jag hittar|Källor|svar:)\b"
)


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    settings = make_settings(tmp_path_factory.mktemp("english-home"))
    ingestor = Ingestor(settings, FakeEmbedder())
    ingestor.run(CORPUS)
    ingestor.run_files(sorted(FIXTURE_REPORTS.iterdir()))
    with TestClient(create_app(settings, FakeEmbedder())) as client:
        yield client


def ask(client, question: str, **extra) -> dict:
    response = client.post("/v1/ask", json={"question": question, **extra})
    assert response.status_code == 200, response.text
    return response.json()


def document_text(client, document_id: str) -> str:
    return client.get(f"/v1/documents/{document_id}").json()["text"]


def outside_quotes(answer: dict) -> str:
    """The answer without what it quotes: the cited passages, the report's words in quotation marks, and the
    items of a findings list (a kontrollmål or a recommendation as the report words it, up to its verdict)."""
    text = answer["answer"]
    for citation in answer["citations"]:
        text = text.replace(citation["quote"], " ")
    text = re.sub(r'"[^"\n]*"|”[^”\n]*”', " ", text)
    return re.sub(r"^(\s*- )(?:\d+(?:\.\d+)* )?[^–\n]*(?= – |\(section)", r"\1", text, flags=re.MULTILINE)


def assert_exact_citations(client, answer: dict) -> None:
    for citation in answer["citations"]:
        text = document_text(client, citation["document_id"])
        assert text[citation["quote_start"] : citation["quote_end"]] == citation["quote"]


def assert_english_frame(answer: dict) -> None:
    assert answer["grounded"] and answer["answer"].startswith(LEAD), answer["answer"]
    framing = outside_quotes(answer)
    assert not SWEDISH_FRAMING.search(framing), framing


def test_the_language_of_the_question_picks_the_table():
    assert wording_for("en") is ENGLISH and wording_for("sv") is SWEDISH


def test_both_tables_word_the_same_things():
    for field in ("nouns", "headings", "verdicts", "out_of_scope", "not_consistent", "comparisons", "compared", "counted_most"):
        assert set(getattr(ENGLISH, field)) == set(getattr(SWEDISH, field)), field
    assert set(ENGLISH.verdicts) == set(VERDICT_SCALE)
    assert len(ENGLISH.months) == len(SWEDISH.months) == 12
    # Every part of the report model that a citation may be placed in has an English name.
    assert {COVER, CONTENTS, MISSIV, *lexicon()["parts"]["headings"]} <= set(ENGLISH.parts)
    assert {NOTE_NOT_ASSESSED, NOTE_NO_VERDICT} <= set(ENGLISH.notes)


def test_english_glosses_keep_the_reports_swedish_words():
    assert ENGLISH.verdict_words("ej uppfyllt", 3) == 'not met ("ej uppfyllt")'
    assert ENGLISH.count_of(3, "kontrollmal") == "3 control objectives (kontrollmål)"
    assert ENGLISH.count_of(1, "rekommendation") == "1 recommendation (rekommendation)"
    assert ENGLISH.stated_verdict("delvis uppfyllt", "till viss del") == 'partly met ("delvis uppfyllt"), in the report\'s words "till viss del"'
    assert ENGLISH.stated_verdict(None, "Ja") == '"Ja"'
    assert ENGLISH.tally({"ej uppfyllt": 2, None: 1, "uppfyllt": 1}) == '1 met ("uppfyllt"), 2 not met ("ej uppfyllt"), 1 not assessed'
    assert ENGLISH.section_label("2.6.4") == "section 2.6.4"
    assert ENGLISH.section_label("Sammanfattande bedömning") == 'the section "Sammanfattande bedömning"'
    assert ENGLISH.passage_place("", "missiv") == "covering letter (missiv)"
    # The Swedish table words them as the answers always have.
    assert SWEDISH.verdict_words("ej uppfyllt", 3) == "ej uppfyllda" and SWEDISH.count_of(3, "kontrollmal") == "3 kontrollmål"
    assert SWEDISH.stated_verdict("delvis uppfyllt", "till viss del") == "delvis uppfyllt, i rapportens ord ”till viss del”"
    assert SWEDISH.tally({"ej uppfyllt": 2, None: 1, "uppfyllt": 1}) == "1 uppfyllt, 2 ej uppfyllda, 1 ej bedömt"
    assert SWEDISH.passage_place("", "missiv") == "missiv"


def test_a_verdict_list_is_framed_in_english_with_the_same_items_and_citations(client):
    swedish = ask(client, "Vilka kontrollmål bedömdes delvis uppfyllda i Hultsfred?")
    english = ask(client, "Which control objectives were judged only partly met in Hultsfred?")
    assert_english_frame(english)
    lines = english["answer"].split("\n")
    assert lines[1] == 'Hultsfred (2019) – 2 control objectives (kontrollmål) were assessed as partly met ("delvis uppfyllt"):'
    # Each item as the report words it, then its verdict and place in English; the citations are the Swedish answer's.
    swedish_items = [line.split(" – ")[0] for line in swedish["answer"].split("\n") if line.startswith("- ")]
    english_items = [line.split(" – ")[0] for line in lines if line.startswith("- ")]
    assert english_items == swedish_items and len(english_items) == 2
    assert all(re.search(r' – partly met \("delvis uppfyllt"\) \(section 3\.\d\.\d\) \[\d\]$', line) for line in lines if line.startswith("- "))
    assert english["citations"] == swedish["citations"]
    assert_exact_citations(client, english)


def test_the_reports_own_verdict_words_and_notes_are_kept_beside_the_gloss(client):
    english = ask(client, "How were the control objectives assessed in Ljungby?")
    assert_english_frame(english)
    answer = english["answer"]
    assert "1 met (\"uppfyllt\"), 2 partly met (\"delvis uppfyllt\"), 1 not met (\"ej uppfyllt\"), 1 not assessed; listed in section 1.3" in answer
    assert 'met ("uppfyllt"), in the report\'s words "uppfyllt i allt väsentligt" (section 2.1)' in answer
    assert "The report states that the control objective was not assessed." in answer
    assert '(the section "Sammanfattande bedömning")' in answer
    assert english["citations"] == ask(client, "Hur bedömdes kontrollmålen i Ljungby?")["citations"]
    assert_exact_citations(client, english)


def test_one_kontrollmal_its_inconsistent_verdicts_and_its_reasoning(client):
    english = ask(client, "How was control objective 2.9 assessed in Alvesta?")
    assert_english_frame(english)
    first, consistency, reasoning = english["answer"].split("\n")[1:]
    assert first.startswith('Alvesta (2018), control objective (kontrollmål) 2.9 "Är ansvars- och rollfördelningen')
    assert first.endswith(
        '– assessed as not met ("ej uppfyllt") in section 2.9.2 but as partly met ("delvis uppfyllt") in the summary in section 3.2 [1][2]'
    )
    assert consistency == "The report is not consistent in its assessment of the control objective."
    assert reasoning.startswith("Reasoning: ") and english["citations"][2]["quote"] in reasoning
    assert_exact_citations(client, english)


def test_a_summary_a_comparison_and_a_count_across_reports(client):
    summary = ask(client, "Summarise the audit in Alvesta")
    assert_english_frame(summary)
    assert summary["answer"].split("\n")[1:3] == ["Alvesta (2018) in summary:", "Overall assessment (revisionell bedömning):"]
    assert "\nRecommendations (rekommendationer):\n" in summary["answer"] and "\n- … and 1 more\n" in summary["answer"]
    assert summary["citations"] == ask(client, "Sammanfatta granskningen i Alvesta")["citations"]

    harshest = ask(client, "Which municipality got the most critical assessment?")
    assert_english_frame(harshest)
    assert harshest["answer"].split("\n")[1] == "Skellefteå (2020) got the most critical assessment."
    assert '; not met ("ej uppfyllt"): 2.1, 2.4 [1][2]' in harshest["answer"]
    assert "The reports from Kalmar (2016), Luleå (2007) and Växjö (2019) assess no control objectives (kontrollmål)." in harshest["answer"]

    most = ask(client, "Which municipality received the most recommendations?")
    assert_english_frame(most)
    assert most["answer"].split("\n")[1] == "Luleå (2007) had the most recommendations (rekommendationer)."
    assert "Kalmar (2016): 1 recommendation (rekommendation) [" in most["answer"]


def test_a_paged_answer_over_reports_says_where_it_stands_in_english(client):
    question, limit = "Which recommendations were given?", 2
    first = ask(client, question, limit=limit)
    assert_english_frame(first)
    blocks = first["answer"].split("\n\n")
    assert re.fullmatch(r"\d+ recommendations \(rekommendationer\) in 8 reports\.", blocks[0].removeprefix(LEAD))
    assert blocks[-1] == "Showing reports 1–2 of 8; next page with offset=2."
    assert first["page"]["next_offset"] == 2
    assert first["citations"] == ask(client, "Vilka rekommendationer gavs?", limit=limit)["citations"]
    last = ask(client, question, offset=6, limit=limit)
    assert last["answer"].split("\n\n")[-1] == "Showing reports 7–8 of 8." and last["page"]["next_offset"] is None
    beyond = ask(client, question, offset=8, limit=limit)
    assert beyond["answer"].split("\n\n")[-1] == "No more reports: the answer covers 8."


def test_a_report_without_kontrollmal_says_so_in_english(client):
    english = ask(client, "Which control objectives were not met in Kalmar?")
    assert_english_frame(english)
    assert english["answer"].split("\n")[1].startswith(
        "The report from Kalmar (2016) assesses no control objectives (kontrollmål); it poses 9 audit questions (revisionsfrågor) (section 1.1) [1]:"
    )
    assert "\nThe report's recommendation (rekommendation):\n" in english["answer"]
    assert_exact_citations(client, english)


def test_facts_about_a_report_are_framed_in_english(client):
    author = ask(client, "Who wrote the report in Kalmar?")
    assert_english_frame(author)
    assert author["answer"] == f'{LEAD}Kalmar (2016), "Flyktingmottagande och integrationsfrågor": written by Kristina Lindstedt [1]'
    assert author["citations"] == ask(client, "Vem skrev rapporten i Kalmar?")["citations"]
    dated = ask(client, "When is the Kalmar report dated?")
    assert dated["answer"] == f'{LEAD}Kalmar (2016), "Flyktingmottagande och integrationsfrågor": dated 17 February 2016 [1]'
    assert "17 februari 2016" in dated["citations"][0]["quote"]
    firm = ask(client, "Which audit firm audited Luleå?")
    assert firm["answer"] == f'{LEAD}Luleå (2007), "Integration – revisionsrapport": the audit was conducted by KPMG [1]'
    oldest = ask(client, "Which report is the oldest?")
    assert_english_frame(oldest)
    assert oldest["answer"].split("\n")[1].startswith('Oldest: Luleå (2007), "Integration – revisionsrapport", dated 12 February 2007 [1]')
    assert oldest["answer"].split("\n")[3].startswith("In between: ")
    assert_exact_citations(client, oldest)


def test_refusals_are_worded_in_english(client):
    unknown = ask(client, "What did the auditors conclude about the schools in Malmö?")
    assert not unknown["grounded"] and not unknown["citations"]
    assert unknown["answer"].startswith(
        "I find no support in the reports for the question about Malmö: there are no reports from Malmö among the loaded reports. "
        "The reports cover Alvesta (2018): Granskning av introduktion av nyanlända och arbetsmarknadsenheten; "
    )
    general = ask(client, "What is the capital of Norway?")
    assert general["answer"].startswith("That question is not about the loaded audit reports, so I cannot answer it. Feel free to ask")
    filtered = ask(client, "Which recommendations were given in Hultsfred?", filters={"municipality": ["Alvesta"]})
    assert filtered["answer"] == (
        "The question is about Hultsfred, but the filter limits the answers to Alvesta, so I have not searched Hultsfred. "
        "Choose Hultsfred or All municipalities in the filter to get answers about Hultsfred, or ask about Alvesta."
    )
    for refused in (unknown, general, filtered):
        assert not SWEDISH_FRAMING.search(refused["answer"].split(" The reports cover ")[0]), refused["answer"]


def test_the_stream_and_a_conversation_carry_the_english_answer(client):
    question = "Which recommendations were given in Hultsfred?"
    whole = ask(client, question)
    assert_english_frame(whole)
    assert whole["answer"].split("\n")[1] == "Hultsfred (2019) – 4 recommendations (rekommendationer):"
    streamed = client.post("/v1/ask", json={"question": question, "stream": True})
    pieces = [json.loads(data)["text"] for data in re.findall(r"event: answer\ndata: (.*)\n", streamed.text)]
    assert "".join(pieces) == whole["answer"]

    first = ask(client, "Which control objectives were not met in Alvesta?", conversation=True)
    assert_english_frame(first)
    kept = client.get(f"/v1/conversations/{first['conversation_id']}").json()
    assert kept["messages"][0]["answer"] == first["answer"]


def test_a_follow_up_without_a_conversation_is_clarified_in_english(client):
    answer = ask(client, "And in Alvesta?", conversation=True)
    assert not answer["grounded"] and answer["answerer"] == "clarification"
    lines = answer["answer"].split("\n")
    assert lines[0] == '"And in Alvesta?" builds on an earlier question, but the conversation has none. What would you like to know?'
    assert lines[1] == "The report from Alvesta: Granskning av introduktion av nyanlända och arbetsmarknadsenheten (2018)."
    assert lines[2:] == [
        "You could ask, for example:",
        "- Which recommendations were given in Alvesta?",
        "- What was the overall assessment in Alvesta?",
        "- Which control objectives were not met in Alvesta?",
    ]
    for example in lines[3:]:  # each suggestion is answered, in English
        assert_english_frame(ask(client, example.removeprefix("- ")))


def test_the_openai_route_frames_the_answer_and_its_sources_in_english(client):
    body = {"model": "auditqa-extractive", "messages": [{"role": "user", "content": "Which control objectives were not met in Alvesta?"}]}
    completion = client.post("/v1/chat/completions", json=body).json()
    content = completion["choices"][0]["message"]["content"]
    answer, sources = content.split("\n\nSources:\n")
    assert answer.startswith(LEAD) and "Källor" not in content
    lines = sources.split("\n")
    assert len(lines) == len(completion["citations"])
    for line, citation in zip(lines, completion["citations"], strict=True):
        # "[1] Alvesta 2018, section 2.6.4, p. 9: "…"": the place in English, the quote as the report has it.
        assert re.match(rf'\[{citation["n"]}\] Alvesta 2018, section {re.escape(citation["section"])}(, p\. \d+)?: "', line), line
        assert " ".join(citation["quote"].split()) in line
    with client.stream("POST", "/v1/chat/completions", json={**body, "stream": True}) as response:
        events = [line.removeprefix("data: ") for line in response.iter_lines() if line.startswith("data: ")]
    streamed = "".join(json.loads(e)["choices"][0]["delta"].get("content", "") for e in events[:-1] if json.loads(e)["choices"])
    assert streamed == content
