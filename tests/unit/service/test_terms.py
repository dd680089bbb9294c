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
