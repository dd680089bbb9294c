"""Parser and chunker on the five bundled reports: structure found, spans exact, sizes bounded."""


import pytest

from ingest.config import PROJECT_ROOT
from ingest.documents.loading import LoadError, load_document, normalize_text
from ingest.structure.chunking import SectionChunker
from ingest.structure.parsing import ReportParser

CORPUS = PROJECT_ROOT / "corpus"


REPORTS = sorted(CORPUS.glob("*.txt"))


def parse(name: str):
    doc = load_document(CORPUS / f"{name}.txt")
    return doc, ReportParser().run(doc.text)


def test_all_five_reports_are_bundled():
    assert [p.stem.split("-")[0] for p in REPORTS] == ["alvesta", "hultsfred", "kalmar", "lulea", "umea"]


def test_alvesta_numbered_sections_and_heading_paths():
    _, parsed = parse("alvesta-2018-introduktion-nyanlanda")
    numbers = [s.number for s in parsed.sections if s.number]
    assert numbers[:8] == ["1", "1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "2"]
    for expected in ("2.6.4", "2.9.2", "3.2", "3.3", "2.1.1.1", "2.2.2.1"):
        assert expected in numbers
    bedomning = next(s for s in parsed.sections if s.number == "2.6.4")
    assert bedomning.title == "Bedömning"
    assert bedomning.heading_path.startswith("2 Iakttagelser och bedömningar > 2.6 Hur engageras företag")
    assert bedomning.heading_path.endswith("> 2.6.4 Bedömning")


def test_numbered_list_inside_a_section_is_not_a_heading():
    _, parsed = parse("hultsfred-2019-asyl-integration")
    numbers = [s.number for s in parsed.sections if s.number]
    assert numbers == ["1.1", "1.2", "2", "2.1", "2.2", "2.3", "3", "3.1", "3.1.1", "3.1.2", "3.2", "3.2.1", "3.2.2",
                       "3.3", "3.3.1", "3.3.2", "3.4", "3.4.1", "3.4.2"]
    assert [s.title for s in parsed.sections if s.title.startswith("Bilaga")] == [
        "Bilaga 1: Utdrag ur åtgärds katalog", "Bilaga 2: Åtgärdsplaner kommunstyrelsen",
        "Bilaga 3: Åtgärdsplaner bildningsnämnden", "Bilaga 4: Åtgärdsplan socialnämnden",
    ]


def test_plain_subheadings_nest_under_numbered_section():
    _, parsed = parse("hultsfred-2019-asyl-integration")
    sub = next(s for s in parsed.sections if s.title == "Kommunstyrelsen")
    assert sub.anchor == "3.2.1"
    assert sub.path[-2].startswith("3.2.1")


def test_markdown_headings_and_table_of_contents():
    doc, parsed = parse("kalmar-2016-flyktingmottagande-integration")
    assert [s.number for s in parsed.sections if s.number] == ["1", "1.1", "2", "3", "4"]
    toc = [b for b in parsed.blocks if b.kind == "toc"]
    assert len(toc) == 1 and "Uppdragsbeskrivning" in doc.text[toc[0].char_start : toc[0].char_end]


@pytest.mark.parametrize("path", REPORTS, ids=lambda p: p.stem)
def test_chunks_round_trip_and_respect_bounds(path):
    doc = load_document(path)
    chunks = SectionChunker().run(path.stem, ReportParser().run(doc.text))
    assert chunks
    for chunk in chunks:
        assert doc.text[chunk.char_start : chunk.char_end] == chunk.text
        assert len(chunk.text.split()) <= 290
        for start, end in chunk.units:
            assert chunk.char_start <= start < end <= chunk.char_end
    assert len({c.chunk_id for c in chunks}) == len(chunks)
    toc = [b for b in ReportParser().run(doc.text).blocks if b.kind == "toc"]
    for block in toc:
        assert not any(c.char_start <= block.char_start < c.char_end for c in chunks), "TOC must not be indexed"


def test_table_rows_are_never_split():
    doc, parsed = parse("hultsfred-2019-asyl-integration")
    chunks = SectionChunker().run("hultsfred", parsed)
    rows = [(s, e) for b in parsed.blocks if b.kind == "table" for s, e in b.units]
    for start, end in rows:
        holders = [c for c in chunks if c.char_start <= start and end <= c.char_end]
        assert len(holders) == 1, doc.text[start:end]
    summa = next(s for s, e in rows if doc.text[s:e].strip().startswith("Summa\t\t\t28 933"))
    holder = next(c for c in chunks if c.char_start <= summa < c.char_end)
    assert "Plan\tÅtgärd" in holder.context or "Plan\tÅtgärd" in holder.text


def test_short_assessment_section_stays_with_its_heading():
    doc, parsed = parse("alvesta-2018-introduktion-nyanlanda")
    chunks = SectionChunker().run("alvesta", parsed)
    chunk = next(c for c in chunks if "Vi bedömer kontrollmålet som Ej uppfyllt." in c.text and c.section == "2.9.2")
    assert chunk.text.startswith("2.9.2. Bedömning")


def test_chunk_ids_are_stable():
    doc, parsed = parse("umea-2018-integrationsarbetet")
    first = [c.chunk_id for c in SectionChunker().run("umea", parsed)]
    second = [c.chunk_id for c in SectionChunker().run("umea", ReportParser().run(doc.text))]
    assert first == second


def test_normalization_is_idempotent_and_keeps_table_tabs():
    raw = "Rubrik\r\n\r\nA\u00a0b  \r\nKol1\tKol2\t\n"
    once = normalize_text(raw)
    assert once == normalize_text(once)
    assert "Kol1\tKol2\t\n" in once and "\u00a0" not in once


def test_unsupported_file_type_is_a_clear_error(tmp_path):
    path = tmp_path / "rapport.xlsx"
    path.write_bytes(b"data")
    with pytest.raises(LoadError, match="'.xlsx'"):
        load_document(path)


def test_headings_printed_straight_above_their_paragraphs():
    # A PDF transcript without a blank line after its headings: the next numbered heading and a part's name are
    # headings; a short first line of a wrapped paragraph and a numbered list item above a paragraph are not.
    text = normalize_text(
        "Granskning av bostadsanpassning\n\nTorsby kommun\n\nSammanfattning\nVi har granskat handläggningen av bidrag.\n\n"
        "2 Inledning\n\n2.1 Bakgrund\nKommunen beviljade 312 bidrag under året.\n\n"
        "Revisionsfrågor\n1. Handläggs ansökningarna i tid?\n\n"
        "Handläggningstiden\nvarierade mellan två och tolv veckor under året.\n\n"
        "1 Ansökningar\nSom inkom under våren handlades av en person.\n"
    )
    parsed = ReportParser().run(text)
    assert [(s.label, s.part) for s in parsed.sections] == [
        ("Sammanfattning", "sammanfattning"),
        ("2 Inledning", "inledning"),
        ("2.1 Bakgrund", "bakgrund"),
        ("Revisionsfrågor", "revisionsfrågor"),
    ]


def test_short_lines_of_a_covering_letter_are_cover_lines():
    # The letter's address and signature, and the report's own cover printed after it, are quoted only as a cover.
    text = normalize_text(
        "Missiv\nTill: Tekniska nämnden\nKommunfullmäktige för kännedom\n\n"
        "Kommunens revisorer har låtit granska gatuunderhållet. Revisorerna önskar nämndens svar senast 2021-05-01.\n\n"
        "För revisorerna i Ockelbo kommun\nAnna Berg, ordförande\n\n"
        "Granskning av gatuunderhållet\nOckelbo kommun\nPwC, mars 2021\n\n"
        "1. Sammanfattning\n\nVi bedömer att nämnden delvis har en ändamålsenlig styrning.\n"
    )
    blocks = ReportParser().run(text).blocks
    kinds = [(b.kind, b.part, text[b.char_start : b.char_end].split("\n")[0]) for b in blocks if b.kind != "heading"]
    assert kinds == [
        ("cover", "omslag", "Till: Tekniska nämnden"),
        ("paragraph", "missiv", "Kommunens revisorer har låtit granska gatuunderhållet. Revisorerna önskar nämndens svar senast 2021-05-01."),
        ("cover", "omslag", "För revisorerna i Ockelbo kommun"),
        ("cover", "omslag", "Granskning av gatuunderhållet"),
        ("paragraph", "sammanfattning", "Vi bedömer att nämnden delvis har en ändamålsenlig styrning."),
    ]


def test_stacked_dotted_headings_and_a_heading_below_a_list():
    # "2. Inledning" straight over "2.1. Bakgrund" (numbers written with a dot after them), and "2.4. Metod" straight
    # below the last item of a list: each is a heading, as a PDF transcript prints them.
    text = normalize_text(
        "1. Sammanfattning\nVi bedömer att kommunstyrelsen inte helt säkerställer informationssäkerheten.\n\n"
        "2. Inledning\n2.1. Bakgrund\nKommunens verksamheter är beroende av fungerande IT-system.\n\n"
        "2.2. Syfte\nSyftet är att bedöma om kommunstyrelsen säkerställer en ändamålsenlig informationssäkerhet.\n\n"
        "2.3. Revisionskriterier\n- Kommunallagen 6 kap. 6 §\n- Kommunens informationssäkerhetspolicy\n"
        "2.4. Metod och avgränsning\nVi har intervjuat IT-chefen och två systemförvaltare.\n\n"
        "3. Iakttagelser\n3.1. Policy och styrning\nIakttagelser\nFullmäktige antog en policy 2019.\n\n"
        "Bedömning\nKontrollmålet bedöms som uppfyllt.\n"
    )
    parsed = ReportParser().run(text)
    assert [(s.label, s.level) for s in parsed.sections] == [
        ("1 Sammanfattning", 1), ("2 Inledning", 1), ("2.1 Bakgrund", 2), ("2.2 Syfte", 2), ("2.3 Revisionskriterier", 2),
        ("2.4 Metod och avgränsning", 2), ("3 Iakttagelser", 1), ("3.1 Policy och styrning", 2), ("Iakttagelser", 3),
        ("Bedömning", 3),
    ]


def test_subsection_headings_run_on_below_a_finished_sentence():
    # A transcript without any blank lines: each subsection's heading follows the last sentence of the one before
    # ("… uppdaterats." over "3.2 Ansvar"), and so does a chapter that names a part ("4 Rekommendationer"); a number
    # that continues an unfinished sentence, or that does not follow the last heading's number, stays text.
    text = normalize_text(
        "3 Iakttagelser\n3.1 Planering\nPlanen antogs 2017 och har inte uppdaterats.\n"
        "Bedömning: Vi bedömer att planeringen inte är tillräcklig eftersom planen saknar koppling till budgeten.\n"
        "3.2 Ansvar och organisation\nNämnderna anmäler sina lokalbehov till kommunstyrelsen enligt\n"
        "4.1 i riktlinjerna för lokalförsörjning.\nEn lokalgrupp träffas fyra gånger per år.\n"
        "7.4 Ekonomi\nKostnaderna ökade med 6 procent.\n"
        "4 Rekommendationer\nVi rekommenderar följande åtgärder.\n5 Uppdatera planen för gatorna\n"
    )
    parsed = ReportParser().run(text)
    assert [s.label for s in parsed.sections] == [
        "3 Iakttagelser", "3.1 Planering", "Bedömning", "3.2 Ansvar och organisation", "4 Rekommendationer",
    ]
    paragraphs = [text[b.char_start : b.char_end] for b in parsed.blocks if b.kind == "paragraph"]
    assert "lokalbehov till kommunstyrelsen enligt\n4.1 i riktlinjerna" in paragraphs[-3]
    assert paragraphs[-2] == "7.4 Ekonomi\nKostnaderna ökade med 6 procent."
    # A top-level number that names no part of the genre is a list item's, below a sentence too.
    assert paragraphs[-1] == "Vi rekommenderar följande åtgärder.\n5 Uppdatera planen för gatorna"


def test_headings_the_table_of_contents_lists_and_run_in_assessments():
    # Unnumbered headings straight above their text are headings because the contents list them; a run-in
    # "Bedömning: …" belongs to the heading above it, and the next listed heading is that heading's sibling.
    text = normalize_text(
        "Grundläggande granskning 2021\n\nInnehåll\nSammanfattning 2\nStyrning 3\nIntern kontroll 4\n\n"
        "Sammanfattning\n\nVi bedömer att nämnden i begränsad omfattning har säkerställt en tillfredsställande styrning.\n\n"
        "Styrning\nNämnden har antagit en verksamhetsplan med fem nämndmål.\n\nBedömning: Gul. Målen är kopplade till fullmäktiges mål, men två av dem saknar mätbara indikatorer.\n\n"
        "Intern kontroll\nNämnden antog sin internkontrollplan först i september.\n\nBedömning: Röd. Den interna kontrollen har inte varit tillräcklig under året.\n"
    )
    parsed = ReportParser().run(text)
    assert [s.path for s in parsed.sections] == [
        ("Sammanfattning",), ("Styrning",), ("Styrning", "Bedömning"), ("Intern kontroll",), ("Intern kontroll", "Bedömning"),
    ]
    contents = [b for b in parsed.blocks if b.kind == "toc"]
    assert len(contents) == 1 and text[contents[0].char_start : contents[0].char_end].startswith("Innehåll\nSammanfattning 2")


def test_running_headers_with_page_numbers_are_page_furniture():
    # A line the report prints on every page, the same but for its page number, is never text to quote.
    header = "Borås Stad | Uppföljning av tidigare granskningar | Sida {} av 9"
    text = normalize_text(
        "1 Sammanfattning\n\nStadsrevisionen har följt upp tre granskningar från 2014 och 2015.\n\n" + header.format(3) + "\n\n"
        "2 Inledning\n\nUppföljningen ingår i revisionsplanen.\n\n" + header.format(4) + "\n"
    )
    parsed = ReportParser().run(text)
    assert [b.kind for b in parsed.blocks if "Sida" in text[b.char_start : b.char_end]] == ["debris", "debris"]
    assert [s.label for s in parsed.sections] == ["1 Sammanfattning", "2 Inledning"]
