"""The report model: the genre's parts found in any firm's report, whatever its numbering, and the front matter
(cover, table of contents, page numbers) recognized so that it is never quoted."""

import pytest
from fixtures.homes import CORPUS, TUNING_REPORTS, tuning_report

from ingest.documents.loading import load_document, normalize_text
from ingest.structure.chunking import SectionChunker
from ingest.structure.parsing import ReportParser
from ingest.structure.parts import heading_part

# What the start of each tuning report holds (the files are excerpts: cover, contents and the summary's start).
TUNING_PARTS = {name: ("omslag", "innehåll", "sammanfattning") for name in TUNING_REPORTS}
# A web summary under its title, with no part named; a covering letter without a report behind it.
TUNING_PARTS["goteborg-2021-krisberedskap"] = ()
TUNING_PARTS["harryda-2015-delarsrapport"] = ("missiv",)


def parse(text: str):
    return ReportParser().run(normalize_text(text))


def spans(parsed, kind: str) -> list[str]:
    return [parsed.text[b.char_start : b.char_end] for b in parsed.blocks if b.kind == kind]


def assert_front_matter_unquotable(parsed, document_id: str = "d") -> None:
    """Contents and page numbers are never a unit; cover lines are units of the cover chunk only, which retrieval
    does not rank (it joins for who/when/which-firm questions)."""
    front = [(b.char_start, b.char_end) for b in parsed.blocks if b.kind in ("toc", "debris")]
    cover = [(b.char_start, b.char_end) for b in parsed.blocks if b.kind == "cover"]
    for chunk in SectionChunker().run(document_id, parsed):
        for start, end in chunk.units:
            assert not any(start < e and s < end for s, e in front), parsed.text[start:end]
            if any(start < e and s < end for s, e in cover):
                assert chunk.part == "omslag" and not chunk.quotable, parsed.text[start:end]
        for s, e in front:
            if chunk.part != "omslag":
                assert not (chunk.char_start <= s and e <= chunk.char_end and parsed.text[s:e].strip() in spans(parsed, "toc"))


@pytest.mark.parametrize("name", TUNING_REPORTS)
def test_parts_found_in_the_tuning_real_reports(name):
    parsed = ReportParser().run(load_document(tuning_report(name)).text)
    assert parsed.parts == TUNING_PARTS[name]
    assert_front_matter_unquotable(parsed, name)


@pytest.mark.parametrize(("name", "parts"), [
    ("alvesta-2018-introduktion-nyanlanda", ("omslag", "innehåll", "sammanfattning", "inledning", "bakgrund", "syfte",
     "revisionskriterier", "kontrollmål", "avgränsning", "metod", "iakttagelser", "bedömning", "rekommendationer")),
    ("hultsfred-2019-asyl-integration", ("omslag", "innehåll", "sammanfattning", "rekommendationer", "inledning",
     "bakgrund", "revisionsfrågor", "metod", "iakttagelser", "bedömning", "bilagor")),
    ("kalmar-2016-flyktingmottagande-integration", ("omslag", "innehåll", "inledning", "bakgrund", "iakttagelser", "slutsatser")),
    # "Granskningens inriktning" states what the audit set out to examine: its purpose.
    ("umea-2018-integrationsarbetet", ("omslag", "syfte", "iakttagelser", "rekommendationer")),
])
def test_parts_found_in_the_corpus(name, parts):
    parsed = ReportParser().run(load_document(CORPUS / f"{name}.txt").text)
    assert parsed.parts == parts
    assert_front_matter_unquotable(parsed, name)


def test_each_chunk_carries_its_part():
    parsed = ReportParser().run(load_document(CORPUS / "alvesta-2018-introduktion-nyanlanda.txt").text)
    chunks = SectionChunker().run("alvesta", parsed)
    by_section = {c.section: c.part for c in chunks}
    assert by_section["1.4"] == "kontrollmål" and by_section["2.6.4"] == "bedömning" and by_section["3.3"] == "rekommendationer"
    cover = [c for c in chunks if c.part == "omslag"]
    assert len(cover) == 1 and not cover[0].quotable and "Tommy Nyberg" in cover[0].text


@pytest.mark.parametrize(("title", "part"), [
    ("1. Sammanfattning", "sammanfattning"),
    ("2.2 Syfte och revisionsfrågor", "syfte"),
    ("II. Iakttagelser och bedömningar", "iakttagelser"),
    ("Revisionsmetod och avgränsning", "metod"),
    ("Vår bedömning", "bedömning"),
    ("3.4 Har analys och uppföljning genomförts för att fastställa effekten?", None),
    ("Kommunens resultat- och balansräkning", None),
    ("Bilaga 2: Granskade dokument", "bilagor"),
])
def test_a_heading_names_its_part_whatever_its_numbering(title, part):
    assert heading_part(title) == part


def test_subsections_inherit_and_a_late_summary_concludes():
    body = "har vi gått igenom styrdokument och protokoll och intervjuat tjänstepersoner under hösten."
    parsed = parse(
        f"I. Sammanfattning\n\nVi har granskat nämndens upphandling av tjänster. För granskningen {body}\n\n"
        f"Bedömningar mot revisionsfrågor\n\nVi bedömer att processen fungerar. För bedömningen {body}\n\n"
        f"II. Iakttagelser\n\nNämnden har en upphandlingspolicy. För iakttagelserna {body}\n\n"
        f"Organisation\n\nEn upphandlingsenhet stöder förvaltningarna. För organisationen {body}\n\n"
        f"III. Sammanfattande bedömning\n\nSammantaget är styrningen tillräcklig. För slutsatsen {body}\n"
    )
    assert [(s.title, s.part) for s in parsed.sections] == [
        ("I. Sammanfattning", "sammanfattning"), ("Bedömningar mot revisionsfrågor", "sammanfattning"),
        ("II. Iakttagelser", "iakttagelser"), ("Organisation", "iakttagelser"), ("III. Sammanfattande bedömning", "slutsatser"),
    ]


@pytest.mark.parametrize("contents", [
    "Innehållsförteckning\n\nSammanfattning\t2\n1. Inledning\t3\n1.1 Bakgrund\t3\n2. Iakttagelser\t4",
    "Innehåll\n\n1. Sammanfattning ...2\n\n2. Inledning ...3\n\n2.1. Bakgrund ...3\n\n3. Iakttagelser ...4",
    "Innehållsförteckning\n\nSammanfattning 2\n\nInledning 3\n\nBakgrund 3\n\nIakttagelser och bedömningar 4",
    "Innehåll 1. Sammanfattning 2 2. Inledning 3 2.1 Bakgrund 3 3. Iakttagelser 4",
    "Innehåll\n\n1. Sammanfattning\n2. Inledning\n2.1 Bakgrund",
])
def test_every_kind_of_table_of_contents_is_recognized_and_never_opens_sections(contents):
    parsed = parse(
        f"Revisionsrapport\n\nGranskning av bostadsförsörjningen\n\nVimmerby kommun\n\nAnna Andersson\n\nMars 2021\n\n{contents}\n\n"
        "1. Sammanfattning\n\nVi bedömer att kommunstyrelsen har en ändamålsenlig styrning av bostadsförsörjningen.\n\n"
        "2. Inledning\n\n2.1 Bakgrund\n\nKommunen ska enligt lag planera för bostadsförsörjningen i hela kommunen.\n"
    )
    assert len(spans(parsed, "toc")) == 1
    assert spans(parsed, "cover") == ["Revisionsrapport", "Granskning av bostadsförsörjningen", "Vimmerby kommun", "Anna Andersson", "Mars 2021"]
    assert [s.label for s in parsed.sections] == ["1 Sammanfattning", "2 Inledning", "2.1 Bakgrund"]
    assert parsed.parts == ("omslag", "innehåll", "sammanfattning", "inledning", "bakgrund")
    assert_front_matter_unquotable(parsed)


@pytest.mark.parametrize("first_page", ["1 ", ""])
def test_a_transcript_that_runs_each_page_into_one_line(first_page):
    body = " ".join(["Vi bedömer att nämnden har en tillräcklig intern kontroll över ekonomin."] * 6)
    parsed = parse(
        f"{first_page}Revisionsrapport Intern kontroll Vimmerby kommun Anna Andersson Mars 2021\n\n"
        "2 Innehåll 1. Sammanfattning 2 2. Inledning 3 3. Iakttagelser 4 4. Rekommendationer 5\n\n"
        f"3 1. Sammanfattning På uppdrag av revisorerna har vi granskat den interna kontrollen. {body}\n\n"
        f"(4)\n\n2. Inledning Kommunen ska ha en intern kontroll som är tillräcklig enligt kommunallagen. {body}\n"
    )
    assert spans(parsed, "debris") == ["1", "2", "3", "(4)"][0 if first_page else 1 :]
    assert spans(parsed, "cover") == ["Revisionsrapport Intern kontroll Vimmerby kommun Anna Andersson Mars 2021"]
    assert spans(parsed, "heading") == ["1. Sammanfattning", "2. Inledning"]
    assert spans(parsed, "paragraph")[0].startswith("På uppdrag av revisorerna")
    assert parsed.parts == ("omslag", "innehåll", "sammanfattning", "inledning")
    assert_front_matter_unquotable(parsed)


@pytest.mark.parametrize("date", ["2021-03-15", "15 mars 2021"])
def test_a_signature_run_on_after_a_one_line_table_of_contents_is_no_part_of_it(date):
    parsed = parse(
        "Revisionsrapport Intern kontroll Vimmerby kommun Anna Andersson Mars 2021\n\n"
        f"Innehåll Sammanfattning...2 1. Inledning...3 2. Iakttagelser...4 3. Rekommendationer...6 Bilaga 1 {date} "
        "Anna Andersson Projekt- och uppdragsledare Mars 2021 1 av 8\n\n"
        "Sammanfattning\n\nVi bedömer att nämnden har en tillräcklig intern kontroll över ekonomin och verksamheten.\n"
    )
    assert spans(parsed, "toc") == ["Innehåll Sammanfattning...2 1. Inledning...3 2. Iakttagelser...4 3. Rekommendationer...6 Bilaga 1"]
    # The signature is text of the report (the date and the project leader are asked about), not its contents.
    assert spans(parsed, "paragraph")[0] == f"{date} Anna Andersson Projekt- och uppdragsledare Mars 2021 1 av 8"
    assert spans(parsed, "heading") == ["Sammanfattning"]


@pytest.mark.parametrize("number", ["(3)", "3", "Sida 3", "sid. 3 av 14", "3 av 14", "3 of 14", "3 (14)", "3/14", "- 3 -"])
def test_a_page_number_on_its_own_line_is_debris(number):
    parsed = parse(f"1. Inledning\n\nKommunen har en plan för bostadsförsörjningen som antogs av fullmäktige.\n\n{number}\n\n"
                   "Planen följs upp varje år av kommunstyrelsen och redovisas i årsredovisningen.\n")
    assert spans(parsed, "debris") == [number]
    assert_front_matter_unquotable(parsed)


def test_a_sentence_that_opens_with_a_part_word_is_no_heading():
    parsed = parse(
        "1. Inledning\n\nSyftet med granskningen är att bedöma om Kommunstyrelsen har en tillräcklig styrning av "
        "verksamheten och om uppföljningen fungerar.\n"
    )
    assert [s.title for s in parsed.sections] == ["Inledning"]


def test_a_covering_letter_is_the_missiv():
    parsed = parse(
        "Kommunens revisorer\n\nTill kommunfullmäktige\n\nGranskning av delårsrapporten\n\n"
        "Revisorerna har granskat delårsrapporten och överlämnar härmed sin bedömning. Vi bedömer att resultatet är "
        "förenligt med fullmäktiges mål.\n\nFör kommunens revisorer\n\nAnna Andersson, ordförande\n"
    )
    assert parsed.parts == ("omslag", "missiv")
    missiv = [b for b in parsed.blocks if b.part == "missiv"]
    assert parsed.text[missiv[0].char_start :].startswith("Revisorerna har granskat")
