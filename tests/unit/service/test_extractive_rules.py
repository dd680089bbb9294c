"""Quote windows of the extractive answerer, on units as ingest's parser cuts them, what counts as one statement, and how
a question's words are read against the reports'."""






import numpy as np
import pytest

from ingest.structure.parsing import ReportParser
from service.answering.extractive import _quote_windows, _same_statement, _with_short_leads

REPORT = (
    "## 3.1 Mål\n\n"
    "I februari 2015 beslutar kommunfullmäktige om ett åtgärdsprogram. Målbilden beskrivs som:\n"
    "- Så många som möjligt ska kunna stå på egna ben.\n"
    "- Vi har en effektiv och tydlig organisation.\n\n"
    "Det finns flera olika studieinriktningar, bl.a. finns akademikerspår för\n\n"
    "personer med studievana samt yrkesspår.\n\n"
    "- Integrationsprogrammet är under revidering\n"
    "- Mottagna flyktingar redovisas per år.\n"
)


def _window_of(text: str, unit_start: str) -> str:
    spans = tuple(u for block in ReportParser().run(text).blocks for u in block.units)
    windows = _quote_windows(text, 0, spans)
    index = next(i for i, (s, _) in enumerate(spans) if text[s:].startswith(unit_start))
    start, end = windows[index]
    return text[start:end]


def test_a_lead_quotes_the_list_it_introduces():
    window = _window_of(REPORT, "Målbilden")
    assert window.startswith("Målbilden beskrivs som:") and window.endswith("tydlig organisation.")


def test_a_sentence_broken_at_a_page_end_runs_to_its_end():
    assert _window_of(REPORT, "Det finns flera").endswith("samt yrkesspår.")


def test_a_bullet_without_a_full_stop_stays_whole():
    assert _window_of(REPORT, "- Integrationsprogrammet") == "- Integrationsprogrammet är under revidering"


def test_a_whole_sentence_is_its_own_window():
    assert _window_of(REPORT, "I februari") == "I februari 2015 beslutar kommunfullmäktige om ett åtgärdsprogram."


def test_a_short_lead_is_as_near_the_question_as_the_sentence_it_goes_on_from():
    spans = tuple(u for block in ReportParser().run(REPORT).blocks for u in block.units)
    starts = [REPORT[s:].split(" ", 1)[0] for s, _ in spans]
    similarities = np.linspace(0.9, 0.1, len(spans), dtype=np.float32)
    adjusted = _with_short_leads(REPORT, 0, spans, similarities)
    lead, sentence = starts.index("Målbilden"), starts.index("I")
    assert adjusted[lead] == similarities[sentence] and lead == sentence + 1
    # A bullet after a lead, or a lead on a line of its own, keeps its own.
    assert all(adjusted[i] == similarities[i] for i in range(len(spans)) if i != lead)


@pytest.mark.parametrize(("text", "row_start", "expected"), [
    (
        "Bilaga 4: Åtgärdsplan socialnämnden\n\nPlan\tÅtgärd\tTj.\tAnslag\tUtnyttjat\n1\tSocialsekreterare\t7\t9 072\t10 812",
        "1\tSocial", "Plan: 1; Åtgärd: Socialsekreterare; Tj.: 7; Anslag: 9 072; Utnyttjat: 10 812",
    ),
    # Written with pipes, as a Markdown export has it: read the same way.
    ("Bilaga 4: Bedömningar per område\n\n| Område | Bedömning |\n| Intern kontroll | Röd |", "| Intern", "Område: Intern kontroll; Bedömning: Röd"),
])
def test_a_table_row_is_read_with_its_header_labels(text, row_start, expected):
    from ingest.structure.chunking import Chunk, table_cells, unit_contexts
    from service.answering.extractive import _readable

    title = text.split("\n", 1)[0]
    row = text.index(row_start)
    header = text.index("\n\n") + 2
    chunk = Chunk("c", "d", 0, len(text), text, "Bilaga 4", "Bilaga 4", "table", title, ((0, len(title)), (header, row - 1), (row, len(text))))
    contexts = unit_contexts(chunk)
    assert contexts[0] == "" and contexts[2] == f"{title}\n{text[header : row - 1]}"
    # The header row has no header of its own: a row whose context holds no table line is labels, no statement.
    assert not any(table_cells(line) for line in contexts[1].splitlines())
    assert _readable(text[row:], contexts[2]) == expected
    assert _readable("En mening\tmed en tabb.", "") == "En mening med en tabb."
    assert table_cells("En mening | med ett streck.") == []


def test_the_first_question_word_decides_what_is_asked():
    from service.query.analysis import analyze_question

    def kind(question: str) -> str:
        return analyze_question(question, ("Luleå",), (2007,)).answer_type

    assert kind("Vem yrkade bifall till yttrandet när rapporten behandlades i Luleå?") == "person"
    assert kind("När och under vilken paragraf behandlades rapporten?") == "date"
    # A clause of time inside the question asks for no date.
    assert kind("Vilken lag slutade gälla när dataskyddsförordningen infördes?") != "date"
    assert kind("Och när behandlades rapporten?") == "date"
    assert kind("Vilken revisionsbyrå genomförde granskningen?") == "firm"
    assert kind("Hur många platser har avdelningen?") == "count"
    # What a report is about is what it set out to examine.
    assert kind("Vad handlar Luleå-rapporten om?") == "purpose"
    assert kind("Vad granskades i Luleå?") == "purpose"
    assert kind("What is the Luleå report about?") == "purpose"


def test_a_compound_shared_by_two_municipalities_names_both():
    from service.query.analysis import analyze_question

    corpus = ("Alvesta", "Kalmar", "Umeå")
    assert analyze_question("Vad säger Kalmar- och Alvestarapporten om SFI?", corpus, ()).municipalities == ("Alvesta", "Kalmar")
    assert analyze_question("Hur stort är Kalmar-Ölandsområdet?", corpus, ()).municipalities == ()
    assert analyze_question("Vad säger Umeå-rapporten om SFI?", corpus, ()).municipalities == ("Umeå",)


def test_a_municipality_typed_in_lower_case_is_named_unless_its_name_is_a_word():
    from service.query.analysis import analyze_question

    corpus = ("Falun", "Mark", "Alvesta")
    assert analyze_question("vilka brister fann man i falun", corpus, ()).municipalities == ("Falun",)
    assert analyze_question("vilka kontrollmål uppfylldes inte i alvesta", corpus, ()).municipalities == ("Alvesta",)
    # "mark" is a Swedish word: in lower case only "mark kommun" names the municipality.
    assert analyze_question("hur förorenad var marken i mark", corpus, ()).municipalities == ()
    assert analyze_question("vilka brister fann man i mark kommun", corpus, ()).municipalities == ("Mark",)
    # Naming its report: "umeå rapporten", as hurried typing writes "Umeå-rapporten".
    assert analyze_question("vem skrev umeå rapporten", ("Umeå", "Mark"), ()).municipalities == ("Umeå",)
    assert analyze_question("vem skrev mark rapporten", ("Umeå", "Mark"), ()).municipalities == ()


def test_questions_across_reports_are_recognized():
    from service.query.analysis import analyze_question

    def across(question: str) -> bool:
        return analyze_question(question, ("Luleå", "Umeå"), (2007, 2018)).across_reports

    assert across("I vilka kommuner nämns Röda korset i rapporterna?")
    assert across("Vilka av granskningarna har gjorts av KPMG?")
    assert across("Which reports mention the Red Cross?")
    assert not across("Vilka rekommendationer gavs i Umeå?")
    # Which audits one report followed up is a question about that report.
    assert across("Vilka granskningar har gjorts av KPMG?") and not across("Vilka granskningar följdes upp i Umeå?")


def test_an_ordinal_in_the_question_picks_the_numbered_heading():
    from ingest.language.ordinals import Ordinal, asked_ordinal, numbered_headings

    asked = asked_ordinal("Vad kostade den andra åtgärdskatalogen i Hultsfred totalt?")
    assert asked == Ordinal(2, "åtgärdskatalogen", "andra åtgärdskatalogen")
    assert asked_ordinal("Vad var kostnaden i Hultsfreds första åtgärdskatalog?").number == 1
    assert asked_ordinal("Vilka andra kommuner nämns?") is None  # "andra" as "other"
    text = "Åtgärds katalog 1, år 2016-2020\n\nKostnad 100.\n\nÅtgärds katalog II\n\nKostnad 200.\n\nBilaga 3\n"
    assert [(text[h.start : h.end], h.number) for h in numbered_headings(text, asked)] == [
        ("Åtgärds katalog 1, år 2016-2020", 1), ("Åtgärds katalog II", 2),
    ]
    assert [text[h.start : h.end] for h in numbered_headings(text, Ordinal(3, "bilagan", "tredje bilagan"))] == ["Bilaga 3"]
    assert numbered_headings(text, Ordinal(1, "planen", "första planen")) == []


def test_a_figure_must_name_what_the_question_measures():
    from ingest.index.lexical import SwedishAnalyzer
    from service.answering.extractive import _measured
    from service.query.analysis import analyze_question

    analyzer = SwedishAnalyzer()

    def measured(question: str):
        return _measured(analyze_question(question, (), ()).measured_word, analyzer)

    unemployment = measured("Hur hög var arbetslösheten bland utrikes födda i Hultsfred 2018?")
    assert unemployment.named_in("Arbetslösheten bland utrikes födda var 20 procent.")
    assert not unemployment.named_in("Näringslivsinsatser för utrikes födda\t1 286\t0")
    places = measured("Hur många praktikplatser för lättare industriarbete finns där?")
    assert places.named_in("Det är främst åtta platser för lättare industriarbete.")  # the compound's head
    assert measured("Hur stor andel av platserna gick till kvinnor?") is None  # too general to check
    assert measured("Hur många av dem fick arbete?") is None


def test_a_summary_that_repeats_a_later_sentence_nearly_word_for_word_is_one_statement():
    summary = "Vi bedömer att kommunstyrelsen i huvudsak har en ändamålsenlig styrning av bostadsförsörjningen."
    assert _same_statement(summary, "Vi bedömer därför att kommunstyrelsen i huvudsak har en ändamålsenlig styrning av bostadsförsörjningen.")
    assert _same_statement(summary, "vi bedömer att Kommunstyrelsen i huvudsak har en ändamålsenlig styrning av bostadsförsörjningen")
    assert not _same_statement(summary, "Vi bedömer att kommunstyrelsen inte har en ändamålsenlig styrning av äldreomsorgen.")
    assert not _same_statement("Målet är nått.", "Målet är inte nått.")
    long = "Vi bedömer att kontrollmålet för socialnämndens uppföljning av placerade barn är uppfyllt"
    assert not _same_statement(long, long.replace("är uppfyllt", "inte är uppfyllt"))


def test_a_count_must_count_what_was_asked():
    from ingest.index.lexical import SwedishAnalyzer
    from service.answering.extractive import _measured
    from service.query.analysis import analyze_question

    agreements = _measured(analyze_question("Hur många ramavtal granskades i Sollentuna?", (), ()).measured_word, SwedishAnalyzer())
    assert agreements.counted_in("I granskningen ingick sex ramavtal inom bygg och IT.")
    assert agreements.counted_in("Antalet granskade ramavtal uppgick till 14.")
    assert agreements.counted_in("Antalet ramavtal, som upphandlades gemensamt med grannkommunerna under året, uppgick till 14.")
    assert not agreements.counted_in("Prövningen av granskningens sex kontrollmål leder till bedömningen att inköpen sker mot kommunens ramavtal.")
    # A share of them is no count of them.
    users = _measured(analyze_question("Hur många brukare har hemtjänsten?", (), ()).measured_word, SwedishAnalyzer())
    assert not users.counted_in("Antalet brukare har ökat med 14 procent sedan 2015.")
    assert users.counted_in("Antalet brukare var 1 240 år 2018.")


def test_whose_view_is_asked_for():
    from service.query.analysis import analyze_question

    def holder(question: str) -> str | None:
        return analyze_question(question, ("Lomma", "Timrå"), ()).opinion_holder

    assert holder("Vad tyckte hyresgästerna i Lomma om fastighetsunderhållet?") == "hyresgästerna"
    assert holder("Vad anser de intervjuade om samverkan?") == "intervjuade"
    assert holder("Vad tyckte kommunstyrelsen om revisorernas rekommendationer i Timrå?") == "kommunstyrelsen"
    # The auditors' view is their assessment, which the findings give; "man" names nobody.
    assert holder("Vad tyckte revisorerna om styrningen?") is None
    assert holder("Hur upplever man stödet?") is None
    assert holder("Vilka åtgärder vidtog nämnden?") is None


def test_a_managing_director_is_an_office_a_person_holds():
    from service.answering.extractive import _asked_role, held_by_person

    assert _asked_role("Vem är VD för Göteborg Energi?", ("Göteborg",)) == "VD"
    assert held_by_person({"vd"}) and held_by_person({"socialchef"}) and not held_by_person({"socialnämnd"})


def test_a_dateline_is_no_answer_but_to_when_and_who():
    from service.answering.extractive import _DATELINE

    for line in ("Nacka den 12 september 2016 Eva Strand, revisionsdirektör", "Sandviken januari 2022", "2017-03-13 Bo Rehnberg Projektledare"):
        assert _DATELINE.match(line), line
    for sentence in ("Den 12 mars 2019 beslutade fullmäktige om planen.", "Under mars 2019 genomfördes intervjuer.", "Kommunen antog planen i mars 2019."):
        assert not _DATELINE.match(sentence), sentence


def test_capitals_and_debris_are_no_sentence_to_quote():
    from service.answering.extractive import _heading_like

    assert _heading_like("1 t v HARRYDA KOÍ-.llr4UN Kommunens revisorer Kommunfullmäktige GRANSKNING AV KOMMUNENS DELÅRSBOKSLUT 2015")
    assert not _heading_like("Vid sitt möte den 26 oktober 2015 beslutade revisorerna att lämna över rapporten till KS och KF.")
    assert not _heading_like("Samverkan sker med LAN, NLL och SFI")  # abbreviations in running text


def _answerer(*texts: str):
    from ingest.index.lexical import stem_frequencies
    from service.answering.base import CorpusSummary
    from service.answering.extractive import ExtractiveAnswerer

    return ExtractiveAnswerer(None, CorpusSummary(()), stem_frequencies(texts), len(texts))


def _request(question: str):
    from service.answering.base import AnswerRequest
    from service.query.analysis import analyze_question
    from service.query.retrieval import Filters

    return AnswerRequest(question, analyze_question(question, ("Hultsfred",), ()), Filters(), (), np.empty(0, dtype=np.float32))


def test_a_questions_words_are_read_as_the_reports_write_them():
    answerer = _answerer(
        "Revisorerna har granskat införandet av dataskyddsförordningen.",
        "Uppföljningen omfattar granskningarna av bisysslor. Flera kommuner drabbades av attacker mot sina system.",
        "Ransomware slog ut systemen.",
    )
    # The definite "dataskyddet" is the reports' "dataskydd…"; "följdes upp" their "uppföljningen"; a preposition
    # after a noun joins nothing ("andel av").
    stems = answerer.content_stems("Varför granskades dataskyddet och vilka granskningar följdes upp?", ("Hultsfred",))
    assert {"dataskydd", "uppföljd"} <= stems and not any(s.startswith("av") for s in stems)
    assert answerer.content_stems("Hur stor andel av platserna?", ()) == {"andel", "plats", "stor"}
    # A compound no report uses is asked about by its parts: a sentence with neither answers something else.
    assert answerer._unused_compound(_request("Vad kostar en ransomwareattack?")) == ["ransomw", "attack"]
    assert answerer._unused_compound(_request("Varför granskades dataskyddet i Hultsfred?")) == []
    # "Vilka ransomwareattacker …?" asks for members of a kind, which sentences name by their own names.
    assert answerer._unused_compound(_request("Vilka ransomwareattacker nämns?")) == []


def test_words_of_one_family_and_compounds_of_a_preposition():
    answerer = _answerer("Nämnden redovisar ett underskott.", "Alla får samma underlag.", "Revisorerna gör bedömningen att målen nås.")
    # "underskott" and "underlag" share only the preposition "under"; "bedömde" and "bedömningen" are one family.
    assert answerer._overlap({"underskot"}, "Alla får samma underlag.") == 0
    assert answerer._overlap({"underskot"}, "Nämnden redovisar ett underskott.") == 1
    assert answerer._overlap(answerer.content_stems("Hur bedömde revisorerna målen?", ()), "Revisorerna gör bedömningen att målen nås.") == 1
    # The words that ask for a length of time are answered by its form, not shared by the sentence.
    assert answerer.content_stems("Hur lång tid tog det att handlägga bygglov?", ()) == answerer.content_stems("handlägga bygglov", ())
