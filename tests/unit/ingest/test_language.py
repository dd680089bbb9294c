"""The language data and its small readers: one lexicon, one English test, one word-family rule."""

import pytest
from pydantic import ValidationError

from ingest.config import Settings
from ingest.language.english import is_english
from ingest.language.lexicon import firm_pattern, firms, last_words, months, ordinals
from ingest.language.words import same_family


def test_lexicon_months_firms_ordinals():
    assert months()["februari"] == 2 and len(months()) == 12
    assert {"KPMG", "PwC", "EY", "Deloitte"} <= set(firms())
    assert firm_pattern().search("granskningen har genomförts av Ernst & Young")
    assert not firm_pattern().search("Kommunstyrelsen har inte genomfört någon analys")
    assert ordinals()["andra"] == ordinals()["second"] == 2 and "sista" in last_words()


@pytest.mark.parametrize(("question", "english"), [
    ("Which control objectives were not met in Alvesta?", True),
    ("Why was the assessment partly met?", True),
    ("Vilka kontrollmål bedömdes ej uppfyllda i Alvesta?", False),
    ("Hur är det med den interna kontrollen i Vingåker?", False),
])
def test_english_is_told_from_swedish(question, english):
    assert is_english(question) is english


def test_word_families_by_shared_start():
    assert same_family("samordning", "samordnas", min_prefix=5, min_share=0.7)
    assert not same_family("samverkan", "samordning", min_prefix=5, min_share=0.7)
    assert same_family("samordn", "samordning", min_prefix=4, min_share=1.0)  # a stem and its word
    assert same_family("utför", "utfört", min_prefix=5, max_extra=3)
    assert not same_family("utför", "utförandet", min_prefix=5, max_extra=3)
    assert same_family("uppföljd", "uppföljning", min_prefix=5, max_extra=3)
    assert not same_family("bedö", "bedö", min_prefix=5, max_extra=3)  # too short to be a stem


def test_chunk_bounds_are_checked():
    with pytest.raises(ValidationError, match="chunk_min_words"):
        Settings(chunk_min_words=300, chunk_max_words=200)


def test_a_heading_in_capitals_run_into_the_text_is_no_part_of_the_first_sentence():
    from ingest.language.sentences import split_sentences

    text = "Kommunens revisorer GRANSKNING AV KOMMUNENS DELÅRSBOKSLUT 2015 Vid sitt möte beslutade revisorerna att lämna över rapporten."
    assert [text[s:e] for s, e in split_sentences(text)] == [
        "Kommunens revisorer GRANSKNING AV KOMMUNENS DELÅRSBOKSLUT 2015",
        "Vid sitt möte beslutade revisorerna att lämna över rapporten.",
    ]
    listing = "Samverkan sker med LAN, NLL, Företagarna i Norrbotten och KPMG AB Antal sidor."
    assert [listing[s:e] for s, e in split_sentences(listing)] == [listing]


def test_a_sentence_ends_after_a_year_and_not_after_a_headings_number():
    from ingest.language.sentences import split_sentences

    text = "Planen antogs 2017. Den har inte reviderats. Se avsnitt 3. Iakttagelser redovisas där."
    assert [text[s:e] for s, e in split_sentences(text)] == [
        "Planen antogs 2017.", "Den har inte reviderats.", "Se avsnitt 3. Iakttagelser redovisas där.",
    ]


def test_a_verb_and_its_particle_join_as_their_noun_begins():
    from ingest.language.words import particle_joined

    assert particle_joined("Avtalstroheten följs upp varje år.") == ["uppföljs"]
    assert particle_joined("Vilka riktlinjer togs fram och gicks igenom?") == ["framtogs", "genomgicks"]
    # A preposition after a noun joins nothing.
    assert particle_joined("En andel av platserna gick till kvinnor.") == []
    # A question puts the subject between the verb and its particle.
    assert "uppföljer" in particle_joined("Följer nämnden upp elevhälsans arbete?")
    # A question that opens with its verb: the particle however far on.
    assert "uppföljs" in particle_joined("Följs kostnaderna för lokalerna upp?")
