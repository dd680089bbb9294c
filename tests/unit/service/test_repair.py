"""Hurried typing repaired before a question is read."""

import unicodedata
from collections import Counter

import pytest

from service.query.analysis import analyze_question, check_question, swedish_municipalities
from service.query.repair import QuestionRepair, fold

VOCABULARY = "kontrollmål bedömdes uppfyllda rekommendationer revisionsfrågor åtgärder samordning mål kommunstyrelsen".split()


@pytest.fixture(scope="module")
def repair():
    return QuestionRepair(swedish_municipalities(), Counter(VOCABULARY))


@pytest.mark.parametrize(("typed", "repaired"), [
    ("vilka kontrollmal bedomdes ej uppfyllda alvesta", "vilka kontrollmål bedömdes ej uppfyllda Alvesta"),
    ("rek i umea?", "rekommendationer i Umeå?"),
    ("vad sa ks om samordningen i lulea", "vad sa kommunstyrelsen om samordningen i Luleå"),
    ("Vilka kontrollmål bedömdes ej uppfyllda i Alvesta?", "Vilka kontrollmål bedömdes ej uppfyllda i Alvesta?"),
    ("kalmars atgarder", "Kalmars åtgärder"),
    ("which recommendations were given for hultsfred", "which recommendations were given for Hultsfred"),
    ("What did the audit in Gothenburg find?", "What did the audit in Göteborg find?"),
    # Hurried typing puts the place last, without a preposition.
    ("vad rekommenderar kpmg umea", "vad rekommenderar kpmg Umeå"),
    # The place run into the report noun, as Swedish compounds it.
    ("vad säger kalmarrapporten om bostäder?", "vad säger Kalmarrapporten om bostäder?"),
    ("vad kom umeagranskningen fram till", "vad kom Umeågranskningen fram till"),
])
def test_hurried_questions_read_as_the_reports_write(repair, typed, repaired):
    assert repair.run(typed) == repaired


def test_words_that_are_also_names_are_left_alone(repair):
    # "vara" (Vara) and "skara" (Skara) are ordinary words; "for" is English.
    assert repair.run("vad ska vara gjort enligt en skara revisorer") == "vad ska vara gjort enligt en skara revisorer"
    assert repair.run("what was recommended for alvesta") == "what was recommended for Alvesta"


def test_a_repaired_question_finds_its_municipality(repair):
    analysis = analyze_question(repair.run("kontrollmal alvesta"), ("Alvesta", "Hultsfred"), (2018, 2019))
    assert analysis.municipalities == ("Alvesta",) and analysis.findings is not None


def test_decomposed_unicode_is_one_letter_again():
    decomposed = unicodedata.normalize("NFD", "Vilka rekommendationer gavs i Umeå?")
    assert len(decomposed) > len("Vilka rekommendationer gavs i Umeå?")
    assert check_question(decomposed, 2000) == "Vilka rekommendationer gavs i Umeå?"


def test_fold_keeps_offsets():
    assert fold("Åtgärder i Umeå") == "atgarder i umea" and len(fold("Åtgärder i Umeå")) == len("Åtgärder i Umeå")
