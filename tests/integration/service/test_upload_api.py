"""The upload API end to end over its own AUDITQA_HOME: POST /v1/documents -> job -> live document -> cited
answers; limits (413, 415, 422), sanitized names, DELETE everywhere, and queries answered while a job runs.

The app is its own `create_app(settings)` over a home of its own, so the session's `api_client` over the
corpus is never touched.
"""

import io
import time
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from fixtures.homes import FIXTURE_REPORTS, make_settings
from fixtures.office import report_pdf, scanned_pdf
from PIL import Image

from ingest.index.catalog import Catalog
from ingest.index.findings_store import FindingsStore
from ingest.index.lexical import LexicalIndex
from ingest.index.vectors import VectorStore

pytestmark = pytest.mark.slow

FIXTURES = FIXTURE_REPORTS
VAXJO = FIXTURES / "vaxjo-2019-forstudie-ensamkommande.txt"
SKELLEFTEA = FIXTURES / "skelleftea-2020-integrationsarbete.txt"
LIMIT_MB = 1


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("upload-home")


@pytest.fixture(scope="module")
def client(home, embedder, e5_model_dir):
    from service.api.app import create_app

    settings = make_settings(home, embed_model=e5_model_dir, max_upload_mb=LIMIT_MB)
    with TestClient(create_app(settings, embedder)) as test_client:
        yield test_client


def wait_for(client, job_id: str, timeout: float = 600) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/v1/jobs/{job_id}").json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.2)
    pytest.fail(f"job {job_id} did not finish in {timeout} s")


@pytest.fixture(scope="module")
def vaxjo(client):
    """A .txt report uploaded the default way: 202, then polled until done."""
    response = client.post("/v1/documents", files={"file": (VAXJO.name, VAXJO.read_bytes(), "text/plain")})
    assert response.status_code == 202, response.text
    accepted = response.json()
    assert accepted["status_url"] == f"/v1/jobs/{accepted['job_id']}" == response.headers["location"]
    assert accepted["document_id"] == VAXJO.stem and accepted["file"] == VAXJO.name
    job = wait_for(client, accepted["job_id"])
    assert job["status"] == "done", job
    return job


@pytest.fixture(scope="module")
def skelleftea(client, vaxjo, tmp_path_factory):
    """A PDF uploaded with metadata while queries run against the live index; returns (job, rendering, queries)."""
    rendered = report_pdf(SKELLEFTEA, tmp_path_factory.mktemp("pdf") / "Skellefteå granskning 2020.pdf")
    metadata = {"municipality": "Skellefteå", "year": "2020", "auditor": "Johan Lind", "firm": "Testrevision AB"}
    response = client.post(
        "/v1/documents", data=metadata, files={"file": (rendered.path.name, rendered.path.read_bytes(), "application/pdf")}
    )
    assert response.status_code == 202, response.text
    job_id = response.json()["job_id"]
    queries, seen = [], set()
    while True:
        job = client.get(f"/v1/jobs/{job_id}").json()
        seen.add((job["status"], job["progress"]["stage"]))
        if job["status"] in ("done", "failed"):
            break
        started = time.perf_counter()
        answer = client.post("/v1/ask", json={"question": "Vilka kontrollmål föreslås för mottagandet av ensamkommande barn i Växjö?"})
        queries.append((job["status"], answer.status_code, time.perf_counter() - started, answer.json()))
    assert job["status"] == "done", job
    return job, rendered, queries, seen


def test_txt_upload_is_listed_and_cited(client, vaxjo):
    document = vaxjo["document"]
    assert document["document_id"] == VAXJO.stem and document["municipality"] == "Växjö" and document["year"] == 2019
    assert document["chunks"] > 0 and document["state"] == "added" and document["type"] == "txt"
    assert vaxjo["progress"]["chunks_done"] == vaxjo["progress"]["chunks_total"] == document["chunks"]
    listed = {d["document_id"]: d for d in client.get("/v1/documents").json()["documents"]}
    assert listed[VAXJO.stem]["chunks"] == document["chunks"]
    body = client.post("/v1/ask", json={"question": "Vilka kontrollmål föreslås för mottagandet av ensamkommande barn i Växjö?"}).json()
    assert body["grounded"] and body["citations"], body
    assert {c["document_id"] for c in body["citations"]} == {VAXJO.stem}


def test_queries_keep_answering_while_an_upload_runs(skelleftea):
    _, _, queries, seen = skelleftea
    assert any(status == "running" for status, *_ in queries), f"no query ran during the job; states seen: {seen}"
    assert {stage for status, stage in seen if status == "running"} & {"embedding", "storing", "loading", "parsing"}
    for status, code, seconds, body in queries:
        assert code == 200 and body["grounded"], body
        assert {c["document_id"] for c in body["citations"]} == {VAXJO.stem}
    slowest = max(seconds for *_, seconds, _ in queries)
    print(f"{len(queries)} queries answered during the upload job, slowest {slowest:.2f} s")


def test_pdf_upload_uses_given_metadata_and_cites_pages(client, skelleftea, home):
    job, rendered, _, _ = skelleftea
    document = job["document"]
    assert document["document_id"] == "Skellefteå-granskning-2020" and document["file"] == "Skellefteå-granskning-2020.pdf"
    assert document["type"] == "pdf" and document["pages"] == max(page for _, page in rendered.section_pages)
    assert (document["municipality"], document["year"], document["auditor"], document["firm"]) == (
        "Skellefteå", 2020, "Johan Lind", "Testrevision AB")
    assert (home / "uploads" / document["file"]).is_file()
    body = client.post("/v1/ask", json={"question": "Hur många nyanlända har Skellefteå tagit emot sedan 2016?"}).json()
    assert body["grounded"], body
    pages = {label.split()[0]: page for label, page in rendered.section_pages}
    cited = [c for c in body["citations"] if "1 200" in c["quote"]]
    assert cited, body
    # A citation's page is the page its quote is printed on, even when its chunk starts on an earlier page:
    # the "Sammanfattning" chunk starts on page 3 and runs on into 1.1, where "1 200" stands, on page 4.
    assert all(c["document_id"] == document["document_id"] for c in cited)
    assert {c["page"] for c in cited} == {4} and pages["1.1"] == 4


def test_wait_true_answers_201_with_the_document(client, vaxjo):
    data = VAXJO.read_bytes().replace(b"November 2019", b"December 2019")
    response = client.post("/v1/documents?wait=true", files={"file": ("vaxjo-kopia.md", data, "text/markdown")})
    assert response.status_code == 201, response.text
    document = response.json()
    assert document["document_id"] == "vaxjo-kopia" and document["file"] == "vaxjo-kopia.md" and document["chunks"] > 0
    assert response.headers["location"] == "/v1/documents/vaxjo-kopia"
    again = client.post("/v1/documents?wait=true", files={"file": ("vaxjo-kopia.md", data, "text/markdown")})
    assert again.status_code == 409 and "'vaxjo-kopia'" in again.json()["detail"] and "replace=true" in again.json()["detail"]
    again = client.post("/v1/documents?wait=true&replace=true", files={"file": ("vaxjo-kopia.md", data, "text/markdown")})
    assert again.status_code == 201 and again.json()["state"] == "unchanged"


def test_reupload_as_another_type_replaces_the_document_and_its_file(client, home, vaxjo):
    data = VAXJO.read_bytes().replace(b"November 2019", b"Oktober 2019") + b"\nTillagd mening om uppdraget.\n"
    first = client.post("/v1/documents?wait=true", files={"file": ("ersatt.txt", VAXJO.read_bytes(), "text/plain")})
    assert first.status_code == 201
    form = {"data": {"title": "Förstudie, ny version"}, "files": {"file": ("ersatt.md", data, "text/markdown")}}
    assert client.post("/v1/documents?wait=true", **form).status_code == 409  # the same id, by another name: never implicit
    assert sorted(p.name for p in (home / "uploads").glob("ersatt*")) == ["ersatt.txt"]
    second = client.post("/v1/documents?wait=true&replace=true", **form)
    assert second.status_code == 201, second.text
    assert second.json()["state"] == "updated" and second.json()["title"] == "Förstudie, ny version"
    assert sorted(p.name for p in (home / "uploads").glob("ersatt*")) == ["ersatt.md"]
    detail = client.get("/v1/documents/ersatt").json()
    assert "Tillagd mening" in detail["text"]


def test_oversize_is_413_quoting_the_size(client):
    big = client.post("/v1/documents", files={"file": ("stor.txt", b"text " * 300_000, "text/plain")})
    assert big.status_code == 413
    assert "1,50 MB" in big.json()["detail"] and "1 MB" in big.json()["detail"]
    # Just over the limit: the body passes the early check, the file itself is measured.
    near = client.post("/v1/documents", files={"file": ("nära.txt", b"a" * 1_010_000, "text/plain")})
    assert near.status_code == 413
    assert "'nära.txt'" in near.json()["detail"] and "1,01 MB" in near.json()["detail"]


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 40), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("rapport.txt", "Granskning av något")
    return buffer.getvalue()


@pytest.mark.parametrize(("name", "data"), [("rapport.pdf", _png()), ("rapport.pdf", _zip()), ("rapport.docx", _zip()), ("bild.txt", _png())])
def test_content_that_is_no_report_is_415(client, name, data):
    response = client.post("/v1/documents", files={"file": (name, data, "application/pdf")})
    assert response.status_code == 415
    detail = response.json()["detail"]
    assert name in detail and ".pdf" in detail and ".docx" in detail and ".txt" in detail


def test_scanned_pdf_is_422_needing_ocr(client, home, tmp_path):
    path = scanned_pdf(tmp_path / "inskannad.pdf", pages=2)
    response = client.post("/v1/documents?wait=true", files={"file": (path.name, path.read_bytes(), "application/pdf")})
    assert response.status_code == 422
    assert "OCR" in response.json()["detail"] and "inskannad.pdf" in response.json()["detail"]
    queued = client.post("/v1/documents", files={"file": (path.name, path.read_bytes(), "application/pdf")}).json()
    job = wait_for(client, queued["job_id"])
    assert job["status"] == "failed" and job["error"]["status_code"] == 422 and "OCR" in job["error"]["detail"]
    assert not (home / "uploads" / "inskannad.pdf").exists()
    assert "inskannad" not in {d["document_id"] for d in client.get("/v1/documents").json()["documents"]}


def test_bad_metadata_and_missing_file_are_422(client):
    bad = client.post("/v1/documents", data={"year": "tjugotjugo"}, files={"file": (VAXJO.name, VAXJO.read_bytes(), "text/plain")})
    assert bad.status_code == 422 and "year" in bad.json()["detail"]
    missing = client.post("/v1/documents", data={"year": "2020"})
    assert missing.status_code == 422 and "file" in missing.json()["detail"]
    unnamed = client.post("/v1/documents", files={"file": ("..", VAXJO.read_bytes(), "text/plain")})
    assert unnamed.status_code == 422 and "Filnamnet" in unnamed.json()["detail"]


def test_unknown_job_is_404(client):
    response = client.get("/v1/jobs/finns-inte")
    assert response.status_code == 404 and "finns-inte" in response.json()["detail"]


@pytest.fixture(scope="module")
def traversal(client, home, vaxjo):
    """Text content under a name that climbs out of the upload folder and claims to be a PDF."""
    response = client.post(
        "/v1/documents", files={"file": ("../../utanför/..\\Rapport om mottagande.pdf", VAXJO.read_bytes(), "application/pdf")}
    )
    assert response.status_code == 202, response.text
    job = wait_for(client, response.json()["job_id"])
    assert job["status"] == "done", job
    return job


def test_path_traversal_names_are_sanitized(traversal, home):
    assert traversal["file"] == "Rapport-om-mottagande.txt" and traversal["document_id"] == "Rapport-om-mottagande"
    assert traversal["document"]["type"] == "txt"
    assert (home / "uploads" / "Rapport-om-mottagande.txt").is_file()
    assert not list(home.parent.rglob("utanför")) and not list(home.parent.rglob("Rapport om*"))


def test_delete_removes_the_document_everywhere(client, home, traversal):
    document_id = traversal["document_id"]
    settings = client.app.state.qa.settings
    catalog = Catalog(settings.catalog_path)
    chunk_ids = {r.chunk.chunk_id for r in catalog.chunks() if r.chunk.document_id == document_id}
    assert chunk_ids and FindingsStore(settings.catalog_path).query(document_id=document_id)

    response = client.delete(f"/v1/documents/{document_id}")
    assert response.status_code == 200, response.text
    assert response.json() == {"document_id": document_id, "deleted": True, "chunks": len(chunk_ids),
                               "files_removed": ["Rapport-om-mottagande.txt"]}
    assert document_id not in {d["document_id"] for d in client.get("/v1/documents").json()["documents"]}
    assert client.get(f"/v1/documents/{document_id}").status_code == 404
    assert not any(r.chunk.document_id == document_id for r in catalog.chunks())
    store = VectorStore(settings)
    assert not store.chunks.get(where={"document_id": document_id}, include=[])["ids"]
    assert not any(d == document_id for d, _ in store.units.versions())
    lexical = LexicalIndex.load(settings.lexical_path)
    assert lexical.generation == catalog.generation and not chunk_ids & set(lexical.chunk_ids)
    assert FindingsStore(settings.catalog_path).query(document_id=document_id) == []
    assert not (home / "uploads" / "Rapport-om-mottagande.txt").exists()
    results = client.post("/v1/search", json={"query": "ensamkommande barn boendeplatser", "top_k": 50}).json()["results"]
    assert results and document_id not in {r["document_id"] for r in results}
    searched = client.post("/v1/search", json={"query": "mottagande", "filters": {"document_id": [document_id]}})
    assert searched.status_code == 422

    again = client.delete(f"/v1/documents/{document_id}")
    assert again.status_code == 404 and document_id in again.json()["detail"]
    unknown = client.delete("/v1/documents/finns-inte")
    assert unknown.status_code == 404 and "finns-inte" in unknown.json()["detail"]


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\Windows\\rapport.txt", "rapport.txt"),
        ("Växjö rapport (slutlig).PDF", "Växjö-rapport-slutlig.PDF"),
        ("Va\u0308xjo\u0308.txt", "Växjö.txt"),  # NFD from macOS becomes NFC
        (".hidden.md", "hidden.md"),
        ("rapport;rm -rf *.txt", "rapport-rm-rf.txt"),
    ],
)
def test_file_names_are_sanitized(raw, stored):
    from service.uploads import sanitize_filename

    assert sanitize_filename(raw) == stored


@pytest.mark.parametrize("raw", ["", "   ", ".", "..", "a/b/..", "/", "***"])
def test_names_without_letters_or_digits_are_refused(raw):
    from service.jobs import InvalidFileNameError
    from service.uploads import sanitize_filename

    with pytest.raises(InvalidFileNameError, match="Filnamnet"):
        sanitize_filename(raw)


@pytest.mark.parametrize(
    ("data", "name", "expected"),
    [
        (b"%PDF-1.7\n...", "bild.png", ("pdf", "bild.pdf")),
        (b"%PDF-1.7\n...", "rapport", ("pdf", "rapport.pdf")),
        (b"Granskning av", "rapport.pdf", ("txt", "rapport.txt")),
        (b"# Rubrik\n\nText", "rapport.txt", ("md", "rapport.txt")),  # one loader reads both: the name is kept
        ("Granskning av Västerås".encode("cp1252"), "gammal.txt", ("txt", "gammal.txt")),
        (b"Granskning", "rapport-2019.06", ("txt", "rapport-2019.06.txt")),
    ],
)
def test_type_is_judged_by_content_and_the_extension_follows(data, name, expected):
    from service.uploads import judge_type

    assert judge_type(data, name) == expected
