"""What one upload may unpack to: zip bombs, huge texts, long PDFs and chunk counts are refused with 413 naming the
limit, before the work they would cause; a PDF of ruled lines without text is the documented 422 needing OCR."""

import io
import zipfile
from pathlib import Path

import pytest
from docx import Document
from fastapi.testclient import TestClient
from fixtures.fake_embedder import FakeEmbedder
from fixtures.homes import FIXTURE_REPORTS, make_settings
from fixtures.office import report_pdf
from fpdf import FPDF

from service import cli
from service.api.app import create_app

VAXJO = FIXTURE_REPORTS / "vaxjo-2019-forstudie-ensamkommande.txt"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("limits-home")


@pytest.fixture(scope="module")
def client(home):
    settings = make_settings(home, max_extracted_mb=1, max_text_chars=20_000, max_pdf_pages=4, max_chunks_per_document=60)
    with TestClient(create_app(settings, FakeEmbedder())) as client:
        yield client


def docx_bytes(paragraphs: list[str], extra_part: bytes | None = None) -> bytes:
    """A real Word file; `extra_part` is added as a media part (as a pasted picture is stored)."""
    buffer = io.BytesIO()
    document = Document()
    for text in paragraphs:
        document.add_paragraph(text)
    document.save(buffer)
    if extra_part is None:
        return buffer.getvalue()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item, source.read(item))
        target.writestr("word/media/image1.png", extra_part)
    return out.getvalue()


def upload(client, name: str, data: bytes, content_type: str = "application/octet-stream"):
    return client.post("/v1/documents?wait=true", files={"file": (name, data, content_type)})


def assert_refused(response, *quoted: str) -> None:
    assert response.status_code == 413, response.text
    detail = response.json()["detail"]
    for text in quoted:
        assert text in detail, detail


def test_a_docx_whose_xml_unpacks_past_the_limit_is_413(client, home):
    # 2 MB of repeated text deflates to a few kilobytes: the shape of the 53 KB file that planned 1,954 chunks.
    bomb = docx_bytes(["Revisionen bedömer att nämnden brister i sin styrning. " * 40] * 900)
    assert len(bomb) < 100_000
    assert_refused(upload(client, "bomb.docx", bomb, DOCX_TYPE), "bomb.docx", "1 MB", "AUDITQA_MAX_EXTRACTED_MB")
    assert not (home / "uploads" / "bomb.docx").exists()


def test_a_docx_with_a_huge_picture_part_is_413(client):
    data = docx_bytes(["En kort rapport."], extra_part=bytes(3_000_000))
    assert_refused(upload(client, "bild.docx", data, DOCX_TYPE), "bild.docx", "AUDITQA_MAX_EXTRACTED_MB")


def test_a_docx_within_the_limits_is_read(client):
    response = upload(client, "kort.docx", docx_bytes(["Revisionen bedömer att nämnden har en tillräcklig styrning."]), DOCX_TYPE)
    assert response.status_code == 201, response.text


def test_too_much_text_is_413_naming_the_limit(client):
    text = ("Revisionen bedömer att nämnden brister i sin styrning.\n\n" * 500).encode()
    assert_refused(upload(client, "lang.txt", text, "text/plain"), "lang.txt", "20 000 tecken", "AUDITQA_MAX_TEXT_CHARS")


def test_a_pdf_with_too_many_pages_is_413(client, tmp_path):
    pdf = FPDF()
    pdf.set_font("helvetica", "", 12)
    for number in range(5):
        pdf.add_page()
        pdf.text(20, 20, f"Sida {number + 1}: revisionen bedömer styrningen.")
    path = tmp_path / "sidor.pdf"
    pdf.output(str(path))
    assert_refused(upload(client, path.name, path.read_bytes(), "application/pdf"), "5 sidor", "gränsen är 4 sidor", "AUDITQA_MAX_PDF_PAGES")


def test_a_document_cut_into_too_many_chunks_is_413_before_embedding(home, tmp_path):
    settings = make_settings(home, max_chunks_per_document=3)
    with TestClient(create_app(settings, FakeEmbedder())) as strict:
        response = upload(strict, VAXJO.name, VAXJO.read_bytes(), "text/plain")
        assert_refused(response, VAXJO.name, "gränsen är 3 per dokument", "AUDITQA_MAX_CHUNKS_PER_DOCUMENT")
        assert VAXJO.stem not in {d["document_id"] for d in strict.get("/v1/documents").json()["documents"]}


def test_a_pdf_of_ruled_lines_without_text_needs_ocr(client, tmp_path):
    pdf = FPDF()
    for _ in range(2):
        pdf.add_page()
        for i in range(10):
            pdf.line(10, 20 + i * 10, 200, 20 + i * 10)
            pdf.line(10 + i * 19, 20, 10 + i * 19, 110)
    path = tmp_path / "linjer.pdf"
    pdf.output(str(path))
    response = upload(client, path.name, path.read_bytes(), "application/pdf")
    assert response.status_code == 422, response.text
    assert "behöver OCR" in response.json()["detail"] and "linjer.pdf" in response.json()["detail"]


def test_a_rendered_report_pdf_is_within_the_limits(client, tmp_path):
    rendered = report_pdf(VAXJO, tmp_path / "vaxjo-rapport.pdf")
    response = upload(client, "vaxjo-rapport.pdf", rendered.path.read_bytes(), "application/pdf")
    assert response.status_code == 201, response.text


def test_ingest_prints_one_line_naming_the_limit(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "rapporter"
    folder.mkdir()
    (folder / "bomb.docx").write_bytes(docx_bytes(["Revisionen bedömer att nämnden brister i sin styrning. " * 40] * 900))
    monkeypatch.setenv("AUDITQA_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("AUDITQA_MAX_EXTRACTED_MB", "1")
    monkeypatch.setattr(cli, "_embedder", lambda settings: FakeEmbedder())
    cli.get_settings.cache_clear()
    try:
        assert cli.main(["ingest", str(folder)]) == 1
    finally:
        cli.get_settings.cache_clear()
    lines = [line for line in capsys.readouterr().err.splitlines() if "bomb.docx" in line]
    assert len(lines) == 1 and "AUDITQA_MAX_EXTRACTED_MB" in lines[0] and "Traceback" not in lines[0]
