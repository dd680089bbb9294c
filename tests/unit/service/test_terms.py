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
