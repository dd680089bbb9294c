"""PDF and DOCX loaders on renderings of the bundled reports: same sections as the .txt, on the pages they were
printed on, without running headers and footers, with hyphenated words whole; scans refused; types sniffed."""

import io
import zipfile

import pytest
from fixtures.office import (
    footnoted_docx,
    numbered_headings_docx,
    report_docx,
    report_pdf,
    scanned_pdf,
    two_column_pdf,
)

from ingest.config import PROJECT_ROOT
from ingest.documents.loading import LoadError, load_document, normalize_text, sniff_type
from ingest.structure.parsing import ReportParser

CORPUS = PROJECT_ROOT / "corpus"
REPORTS = ["alvesta-2018-introduktion-nyanlanda", "hultsfred-2019-asyl-integration"]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """name -> {"pdf"|"docx": (RenderedReport, LoadedDocument)}, each rendered and loaded once."""
    folder = tmp_path_factory.mktemp("office")
    out = {}
    for name in REPORTS:
        txt = CORPUS / f"{name}.txt"
        pdf = report_pdf(txt, folder / f"{name}.pdf")
        docx = report_docx(txt, folder / f"{name}.docx")
        out[name] = {"pdf": (pdf, load_document(pdf.path)), "docx": (docx, load_document(docx.path))}
    return out


def section_labels(text: str) -> list[str]:
    return [s.label for s in ReportParser().run(text).sections]


@pytest.mark.parametrize("kind", ["pdf", "docx"])
@pytest.mark.parametrize("name", REPORTS)
def test_sections_are_those_of_the_txt(rendered, name, kind):
    _, doc = rendered[name][kind]
    assert section_labels(doc.text) == section_labels(load_document(CORPUS / f"{name}.txt").text)


@pytest.mark.parametrize("kind", ["pdf", "docx"])
@pytest.mark.parametrize("name", REPORTS)
def test_every_heading_is_on_the_page_it_was_printed_on(rendered, name, kind):
    report, doc = rendered[name][kind]
    sections = ReportParser().run(doc.text).sections
    assert [(s.label, doc.page_at(s.char_start)) for s in sections] == report.section_pages


def test_known_pages_of_alvesta(rendered):
    pdf_report, pdf_doc = rendered["alvesta-2018-introduktion-nyanlanda"]["pdf"]
    pages = dict(pdf_report.section_pages)
    sections = {s.number: s for s in ReportParser().run(pdf_doc.text).sections if s.number}
    # Chapter 3 starts on a page of its own, after 2.9.2 closed chapter 2.
    assert pdf_doc.page_at(sections["3"].char_start) == pages["3 Bedömningar"]
    assert pdf_doc.page_at(sections["2.9.2"].char_start) == pages["2.9.2 Bedömning"] < pages["3 Bedömningar"]
    _, docx_doc = rendered["alvesta-2018-introduktion-nyanlanda"]["docx"]
    docx_sections = {s.number: s for s in ReportParser().run(docx_doc.text).sections if s.number}
    # Cover, contents, summary, chapter 1, then chapter 2 over two pages (a break inside a paragraph), chapter 3.
    assert [docx_doc.page_at(docx_sections[n].char_start) for n in ("1", "2", "2.9.2", "3")] == [4, 5, 6, 7]


@pytest.mark.parametrize("kind", ["pdf", "docx"])
def test_text_is_normalized_and_pages_tile_it(rendered, kind):
    for name in REPORTS:
        _, doc = rendered[name][kind]
        assert normalize_text(doc.text) == doc.text
        assert [p.number for p in doc.pages] == list(range(1, len(doc.pages) + 1))
        assert doc.pages[0].char_start == 0 and doc.pages[-1].char_end == len(doc.text)
        assert all(a.char_end == b.char_start for a, b in zip(doc.pages, doc.pages[1:]))


def test_pdf_has_one_span_per_printed_page(rendered):
    report, doc = rendered["hultsfred-2019-asyl-integration"]["pdf"]
    assert len(doc.pages) == max(page for _, page in report.section_pages)
    # Pages are joined by a blank line, so the last paragraph of one page never runs into the next.
    for page in doc.pages[1:]:
        assert doc.text[page.char_start - 2 : page.char_start] == "\n\n"


def test_running_header_and_page_footer_are_gone(rendered):
    for name in REPORTS:
        report, doc = rendered[name]["pdf"]
        assert f"Revisionsrapport – {report.municipality} kommun" not in doc.text
        assert "Sida " not in doc.text
        # The cover's own title line, which the header resembles, stays.
        assert doc.text.startswith("Revisionsrapport\n")


def test_words_hyphenated_at_line_ends_are_joined(rendered):
    for name in REPORTS:
        report, doc = rendered[name]["pdf"]
        source = (CORPUS / f"{name}.txt").read_text(encoding="utf-8")
        assert len(report.hyphenated) > 10
        # A word split over a page break stays split: pages are kept apart by a blank line.
        for word in report.hyphenated:
            assert doc.text.count(word) >= source.count(word), word
    # Elided compounds keep hyphen and space however the lines were wrapped.
    _, alvesta = rendered["alvesta-2018-introduktion-nyanlanda"]["pdf"]
    source = (CORPUS / "alvesta-2018-introduktion-nyanlanda.txt").read_text(encoding="utf-8")
    assert alvesta.text.count("individ- och familjeomsorg") == source.count("individ- och familjeomsorg") > 10


@pytest.mark.parametrize("kind", ["pdf", "docx"])
def test_tables_are_tab_separated_rows(rendered, kind):
    _, doc = rendered["hultsfred-2019-asyl-integration"][kind]
    assert "\nFörvaltning\tTkr\tTjänster\nBun\t11 877\t23,0\n" in doc.text
    _, alvesta = rendered["alvesta-2018-introduktion-nyanlanda"][kind]
    row = next(ln for ln in alvesta.text.split("\n") if ln.startswith("Är mottagandet av ensamkommande barn"))
    question, answer = row.split("\t")
    assert question.endswith("uppbyggt på ett ändamålsenligt sätt?")
    assert answer.startswith("Delvis uppfyllt Enligt vår granskning") and answer.endswith("kvalitativt arbete.")
    parsed = ReportParser().run(alvesta.text)
    assert any(b.kind == "table" and b.section.number == "3.2" for b in parsed.blocks)


def test_pdf_paragraphs_lists_and_footnotes(rendered):
    _, doc = rendered["hultsfred-2019-asyl-integration"]["pdf"]
    lines = doc.text.split("\n")
    assert "• Vi har rekryterat den personal vi behöver." in lines
    assert "¹ KF § 16/2015-02-23" in lines
    # A wrapped paragraph is one line.
    assert any(ln.startswith("Ekonomiavdelningen fördelar") and ln.endswith("tilldelade medlen överskrids.") for ln in lines)


def test_two_column_page_is_read_column_by_column(tmp_path):
    source = (CORPUS / "alvesta-2018-introduktion-nyanlanda.txt").read_text(encoding="utf-8")
    paragraphs = [p for p in source.split("\n\n") if len(p) > 500]
    left, right, closing = paragraphs[3], paragraphs[4], paragraphs[5]
    doc = load_document(two_column_pdf(tmp_path / "spalter.pdf", "2.6.2. Föreningssamverkan", left, right, closing))
    assert doc.text.split("\n\n")[:4] == ["2.6.2. Föreningssamverkan", left, right, closing]


@pytest.mark.parametrize("stamped", [False, True])
def test_scanned_pdf_is_refused_with_a_request_for_ocr(tmp_path, stamped):
    # Stamped: a page number is the only text, and it goes with the other running lines.
    path = scanned_pdf(tmp_path / "inskannad rapport.pdf", stamped=stamped)
    with pytest.raises(LoadError, match="saknar textlager och behöver OCR") as error:
        load_document(path)
    assert "'inskannad rapport.pdf'" in str(error.value)


@pytest.mark.parametrize(("suffix", "data", "message"), [
    (".pdf", b"%PDF-1.7\nnot really a pdf", "kunde inte läsas som PDF"),
    (".docx", b"PK\x03\x04 broken zip", "kunde inte läsas som Word-dokument"),
])
def test_broken_files_are_refused(tmp_path, suffix, data, message):
    path = tmp_path / f"trasig{suffix}"
    path.write_bytes(data)
    with pytest.raises(LoadError, match=message):
        load_document(path)


def test_docx_numbers_from_word_lists_and_section_breaks(tmp_path):
    doc = load_document(numbered_headings_docx(tmp_path / "numrerad.docx"))
    lines = doc.text.split("\n")
    for line in ("1. Inledning", "1.1 Bakgrund", "1. Första kontrollmålet", "2. Andra kontrollmålet", "1.2 Syfte",
                 "• Styrdokument", "2. Iakttagelser", "2.1 Organisation"):
        assert line in lines
    sections = ReportParser().run(doc.text).sections
    assert [(s.number, doc.page_at(s.char_start)) for s in sections] == [
        ("1", 1), ("1.1", 1), ("1.2", 1), ("2", 2), ("2.1", 2),
    ]


def test_docx_footnote_follows_the_paragraph_citing_it(tmp_path):
    # The reference mark goes at normalization; the footnote keeps its number.
    doc = load_document(footnoted_docx(tmp_path / "fotnot.docx"))
    assert doc.text == (
        "Kommunfullmäktige beslutar om ett åtgärdsprogram.\n\n¹ KF § 16/2015-02-23\n\n"
        "Dokumentet innehåller en beskrivning av önskemål.\n"
    )
    assert [b.kind for b in ReportParser().run(doc.text).blocks] == ["paragraph", "footnote", "paragraph"]


def test_sniff_type_judges_by_content(rendered, tmp_path):
    assert sniff_type(rendered[REPORTS[0]]["pdf"][0].path.read_bytes()) == "pdf"
    assert sniff_type(rendered[REPORTS[0]]["docx"][0].path.read_bytes()) == "docx"
    assert sniff_type((CORPUS / f"{REPORTS[0]}.txt").read_bytes()) == "txt"
    assert sniff_type("# Revisionsrapport\n\nText.\n".encode()) == "md"
    assert sniff_type(b"\xef\xbb\xbfText med BOM\n") == "txt"
    other_zip = io.BytesIO()
    with zipfile.ZipFile(other_zip, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    assert sniff_type(other_zip.getvalue()) is None
    assert sniff_type("Kalkyl för %PDF-1.4 i löptext".encode()) == "txt"
    assert sniff_type(b"\x89PNG\r\n\x1a\n\x00\x00") is None
    assert sniff_type("Latin-1 text: åäö".encode("latin-1")) is None
    assert sniff_type(b"") is None
