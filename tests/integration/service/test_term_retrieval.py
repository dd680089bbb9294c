"""Equivalent terms widen the lexical query: an abbreviation finds the spelled-out form and back."""


import pytest


@pytest.mark.slow
def test_lexical_retrieval_finds_the_form_the_report_uses(api_client):
    from service.query.retrieval import Filters

    retriever = api_client.app.state.qa.retriever
    # Hultsfred's report writes "försörjningsstöd" only; the question says "ekonomiskt bistånd".
    hits = retriever.run("ekonomiskt bistånd", 5, Filters(municipality=("Hultsfred",)), "lexical")
    assert hits and "försörjningsstöd" in hits[0].record.chunk.text.lower()


@pytest.mark.slow
def test_an_answer_sentence_in_the_other_form_counts_as_on_topic(ask):
    # The report writes "HVB"; the question spells it out.
    body = ask("Hur många hem för vård eller boende finns det i Alvesta för unga som kommit hit utan föräldrar?")
    assert body["grounded"] and "HVB" in body["answer"]
