"""Clean text at normalization: markup and footnote markers go, the report's own content stays, and every span the
parser and chunker cut (sentences, list items, rows, chunks) is exact in the cleaned text of any report."""

import re
from pathlib import Path

import pytest
from fixtures.homes import CORPUS, TUNING_REPORTS, tuning_report

from ingest.documents.loading import load_document, normalize_text
from ingest.structure.chunking import SectionChunker
from ingest.structure.parsing import ReportParser


@pytest.mark.parametrize(("raw", "clean"), [
    # HTML from web transcripts: tags between words leave one space, inline tags nothing, entities their character.
    ("Bedömning\t<p>Uppfyllt</p> <p>Målet är nått.</p>", "Bedömning\tUppfyllt Målet är nått."),
    ("Första raden<br>andra raden<br/>", "Första raden andra raden"),
    ("<b>1. Inledning</b> och Upp<i>fyllt</i>", "1. Inledning och Uppfyllt"),
    ("Vatten &amp; Miljö i&nbsp;Väst &lt;5 % och &amp;amp; två gånger", "Vatten & Miljö i Väst <5 % och & två gånger"),
    ('<img src="logo.png" alt="PwC logotyp">Revisionsrapport', "Revisionsrapport"),
    # Markdown emphasis, but not bullets, products or headings.
    ("**Nu** och *Integrationsstrategi* och __viktigt__ och ***båda***", "Nu och Integrationsstrategi och viktigt och båda"),
    ("* första punkten\n- andra punkten\n3 * 4 = 12", "* första punkten\n- andra punkten\n3 * 4 = 12"),
    ("# 1. Inledning\n\n## 1.1 Bakgrund", "# 1. Inledning\n\n## 1.1 Bakgrund"),
    # Footnote markers glued to a word, superscript or a plain digit that lost its raising.
    ("i kontrollen¹ och i kontrollen3 samt nämnden.² Därefter", "i kontrollen och i kontrollen samt nämnden. Därefter"),
    ("Kommunen<sup>4</sup> beslutade", "Kommunen beslutade"),
    # What stays: the footnote's own text, units, figures, section marks, codes and addresses.
    ("¹ KF § 16/2015-02-23", "¹ KF § 16/2015-02-23"),
    ("1 200 m² och 30 m³ samt 40 m2", "1 200 m² och 30 m³ samt 40 m2"),
    ("enligt 5 kap. § 7 år 2018, 28 933 tkr, K3, CO2, Agenda2030 och anna1@kommun.se",
     "enligt 5 kap. § 7 år 2018, 28 933 tkr, K3, CO2, Agenda2030 och anna1@kommun.se"),
    ("Summa\t\t\t28 933\nKontrollmål 1\tUppfyllt", "Summa\t\t\t28 933\nKontrollmål 1\tUppfyllt"),
    ("Diarienummer\n\nfebks18\n\nKS 2016/45", "Diarienummer\n\nfebks18\n\nKS 2016/45"),
])
def test_markup_and_footnote_markers_go_and_content_stays(raw, clean):
    text = normalize_text(raw)
    assert text == clean + "\n"
    assert normalize_text(text) == text


def _round_trip(path: Path) -> None:
    doc = load_document(path)
    assert normalize_text(doc.text) == doc.text
    parsed = ReportParser().run(doc.text)
    for block in parsed.blocks:
        assert 0 <= block.char_start < block.char_end <= len(doc.text)
        for start, end in block.units:
            assert block.char_start <= start < end <= block.char_end
    for chunk in SectionChunker().run(path.stem, parsed):
        assert doc.text[chunk.char_start : chunk.char_end] == chunk.text
        for start, end in chunk.units:
            assert chunk.char_start <= start < end <= chunk.char_end
            assert chunk.text[start - chunk.char_start : end - chunk.char_start] == doc.text[start:end]
            sentence = doc.text[start:end]
            assert not re.search(r"</?p>|&amp;|&nbsp;|\*\*\w[^*\n]*\w\*\*|[^\W\d_]{4}[¹²³⁴⁵⁶⁷⁸⁹]", sentence), sentence


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.txt")), ids=lambda p: p.stem)
def test_every_span_of_the_corpus_round_trips(path):
    _round_trip(path)


@pytest.mark.parametrize("name", TUNING_REPORTS)
def test_every_span_of_the_tuning_real_reports_round_trips(name):
    _round_trip(tuning_report(name))


def test_spans_are_exact_in_a_report_full_of_markup(tmp_path):
    path = tmp_path / "markup.md"
    path.write_text(
        "# Revisionsrapport\n\n## 1. Sammanfattning\n\n<p>Vi bedömer att **nämnden** har en <i>tillräcklig</i> "
        "intern kontroll.¹ Rutinerna&nbsp;är dokumenterade i kontrollplanen3.</p>\n\n"
        "¹ Kommunallagen 6 kap. 6 §\n\n## 2. Inledning\n\n*Bakgrund*\n\nKommunen har 12 000 invånare och 40 m² per elev.\n",
        encoding="utf-8",
    )
    doc = load_document(path)
    assert "Vi bedömer att nämnden har en tillräcklig intern kontroll. Rutinerna är dokumenterade i kontrollplanen." in doc.text
    assert "¹ Kommunallagen 6 kap. 6 §" in doc.text and "12 000 invånare och 40 m² per elev" in doc.text
    _round_trip(path)
