"""Equivalent terms widen the lexical query: an abbreviation finds the spelled-out form and back."""


import pytest

from ingest.language.terms import TermExpander


def test_the_bundled_list_loads_and_expands_both_ways():
    terms = TermExpander.bundled()
    assert terms.expand("Hur många HVB finns i Alvesta?").endswith("hem för vård eller boende")
    assert terms.expand("Hur många hem för vård eller boende finns?").endswith("HVB")
    assert terms.expand("Vad kostade ekonomiskt bistånd?", translate=False).endswith("försörjningsstöd")
    assert terms.expand("HVB-hem i Hultsfred").endswith("hem för vård eller boende")


def test_abbreviations_match_only_as_written_or_in_capitals():
    terms = TermExpander([["SoL", "socialtjänstlagen"], ["KS", "kommunstyrelsen"]])
    assert terms.expand("Enligt SOL och KS") == "Enligt SOL och KS socialtjänstlagen kommunstyrelsen"
    assert terms.expand("Solen skiner på ks") == "Solen skiner på ks"


def test_a_group_needs_two_forms():
    with pytest.raises(ValueError, match="minst två former"):
        TermExpander([["HVB"]])


def test_an_english_term_inside_a_longer_one_is_read_as_part_of_it():
    terms = TermExpander([], [
        {"en": ["data protection"], "sv": ["dataskydd"]},
        {"en": ["data protection officer"], "sv": ["dataskyddsombud"]},
        {"en": ["audit criteria"], "sv": ["revisionskriterier"]},
    ])
    question = "Has a data protection officer been appointed, and by which audit criteria?"
    assert terms.in_swedish(question) == ["dataskydd", "dataskyddsombud", "revisionskriterier"]
    assert terms.in_swedish(question, longest=True) == ["dataskyddsombud", "revisionskriterier"]
    # What the glossary cannot give in Swedish is left: the words no Swedish sentence can be searched for.
    assert terms.untranslated(question).split() == ["Has", "a", "been", "appointed,", "and", "by", "which", "?"]
    assert terms.untranslated("Who wrote it?") == "Who wrote it?"


@pytest.mark.parametrize(("question", "swedish"), [
    ("Has a data protection officer been appointed?", ["dataskyddsombud", "utse", "utsett", "utsedd", "utsåg"]),
    ("How many personal data incidents were reported?", ["personuppgiftsincident"]),
    ("Which boards failed to draw up action plans from their risk and vulnerability analyses?",
     ["handlingsplan", "åtgärdsplan", "risk- och sårbarhetsanalys", "sårbarhetsanalys"]),
    ("What is the salary of the municipal director?", ["kommundirektör", "kommunchef", "lön"]),
    ("Are pension obligations reported according to the mixed model?", ["pensionsåtagande", "pensionsskuld", "blandmodell"]),
    ("How many cases does each case officer handle?", ["ärende", "handläggare"]),
    ("Which criteria was the audit assessed against?", ["bedömning", "bedömer", "bedömdes", "revisionskriterier"]),
])
def test_the_glossary_gives_the_genres_swedish_terms(question, swedish):
    assert TermExpander.bundled().in_swedish(question, longest=True) == swedish


def test_an_english_term_holding_a_swedish_word_is_read_one_way():
    terms = TermExpander.bundled()
    # "personal" is Swedish for staff, "plan" a Swedish word: a Swedish question's lexical query gains neither.
    assert "personal" not in terms.expand("Hur många personuppgiftsincidenter anmäldes?")
    assert "plan" not in terms.expand("Vilka handlingsplaner togs fram?").removeprefix("Vilka handlingsplaner")
    # An English question still gains the Swedish term, and a term read both ways still gives a Swedish one its English.
    assert "personuppgiftsincident" in terms.expand("How many personal data incidents were reported?")
    assert "data protection officer" in terms.expand("Har ett dataskyddsombud utsetts?")
