"""The HTTP contract in seconds: the real app, ingest pipeline, Chroma and BM25, with the fake embedder.

What answers say is judged by the integration tier (real model); here every endpoint's shape, exact spans,
status codes and Swedish error messages are checked against a corpus ingested in a couple of seconds.
"""

from collections import Counter

import pytest
from fastapi.testclient import TestClient
from fixtures.fake_embedder import FakeEmbedder
from fixtures.homes import FIXTURE_REPORTS, ingested_corpus, make_settings

from ingest.index.catalog import Catalog
from service.answering import qa as qa_module
from service.api.app import create_app


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    return ingested_corpus(tmp_path_factory, "contract-home")


@pytest.fixture(scope="module")
def client(settings):
    with TestClient(create_app(settings, FakeEmbedder())) as client:
        yield client


def document_text(client, document_id: str) -> str:
    response = client.get(f"/v1/documents/{document_id}")
    assert response.status_code == 200, response.text
    return response.json()["text"]


def test_health_counts_the_live_corpus(client):
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["documents"] == 5 and body["chunks"] > 50


def test_search_results_are_exact_spans_of_their_documents(client):
    results = client.post("/v1/search", json={"query": "kontrollmål Alvesta", "top_k": 5}).json()["results"]
    assert len(results) == 5
    for hit in results:
        assert document_text(client, hit["document_id"])[hit["char_start"]:hit["char_end"]] == hit["text"]
    assert [h["score"] for h in results] == sorted((h["score"] for h in results), reverse=True)


def test_ask_cites_exact_quotes_marked_in_the_answer(client):
    body = client.post("/v1/ask", json={"question": "Vilka rekommendationer gavs i Alvesta?"}).json()
    assert body["answerer"] in ("findings", "report", "extractive", "refusal") and body["conversation_id"] is None  # asked for none
    assert body["citations"], body
    carried = set()
    for citation in body["citations"]:
        assert f"[{citation['n']}]" in body["answer"]
        text = document_text(client, citation["document_id"])
        assert text[citation["quote_start"]:citation["quote_end"]] == citation["quote"]
        chunk = (citation["document_id"], citation["char_start"])
        if citation["text"] is None:  # the chunk's text is carried by an earlier citation, once per response
            assert chunk in carried
        else:
            assert chunk not in carried and text[citation["char_start"]:citation["char_end"]] == citation["text"]
            carried.add(chunk)


@pytest.mark.parametrize(("body", "quoted"), [
    ({"question": "   "}, "frågan är tom"),
    ({"question": "x" * 2001}, "2001 tecken"),
    ({"question": "Vad?", "filters": {"municipality": ["Atlantis"]}}, "Atlantis"),
    ({"question": "Vad?", "colour": "blå"}, "colour"),
])
def test_bad_questions_get_a_422_in_swedish_that_quotes_the_value(client, body, quoted):
    response = client.post("/v1/ask", json=body)
    assert response.status_code == 422
    assert quoted in response.json()["detail"]


def test_an_unknown_filter_value_lists_the_valid_ones(client):
    body = client.post("/v1/search", json={"query": "mål", "filters": {"municipality": ["Atlantis"]}}).json()
    assert "Alvesta" in body["valid"]["municipality"]


def test_unknown_document_and_job_are_404(client):
    assert client.get("/v1/documents/finns-inte").status_code == 404
    assert "finns-inte" in client.get("/v1/jobs/finns-inte").json()["detail"]
    assert client.delete("/v1/documents/finns-inte").status_code == 404


def test_findings_as_data_and_their_filters(client):
    findings = client.get("/v1/findings", params={"municipality": "Alvesta"}).json()["findings"]
    assert {f["kind"] for f in findings} >= {"kontrollmal", "rekommendation"}
    assert all(f["municipality"] == "Alvesta" for f in findings)
    assert client.get("/v1/findings", params={"verdict": "kanske"}).status_code == 422
    reports = client.get("/v1/findings/summary").json()["reports"]
    assert len(reports) == 5


def test_openai_face_errors_in_openai_shape(client):
    assert client.get("/v1/models").json()["data"][0]["id"] == "auditqa-extractive"
    response = client.post("/v1/chat/completions", json={"model": "gpt-x", "messages": [{"role": "user", "content": "Hej"}]})
    assert response.status_code == 404
    assert "gpt-x" in response.json()["error"]["message"]


def test_the_schema_declares_every_error_with_the_body_it_has(client):
    schema = client.get("/openapi.json").json()
    assert "HTTPValidationError" not in schema["components"]["schemas"]  # FastAPI's default 422 body; ours is one string
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            # The OpenAI-compatible routes answer every error in OpenAI's shape.
            openai = path.startswith(("/v1/models", "/v1/chat/"))
            if path.startswith("/v1/"):
                assert {"401", "403", "429"} <= set(responses), (method, path)
                error = "OpenAIErrorOut" if openai else "ErrorOut"
                assert responses["401"]["content"]["application/json"]["schema"] == {"$ref": f"#/components/schemas/{error}"}
            if "422" in responses:
                invalid = "OpenAIErrorOut" if openai else "ValidationErrorOut"
                assert responses["422"]["content"]["application/json"]["schema"] == {"$ref": f"#/components/schemas/{invalid}"}
    assert "valid" in schema["components"]["schemas"]["ValidationErrorOut"]["properties"]


def test_a_form_over_its_limits_is_422_in_swedish(client):
    fields = {f"falt{n}": "x" for n in range(10)}
    report = FIXTURE_REPORTS / "vaxjo-2019-forstudie-ensamkommande.txt"
    response = client.post("/v1/documents", data=fields, files={"file": (report.name, report.read_bytes(), "text/plain")})
    assert response.status_code == 422 and "formuläret kunde inte läsas" in response.json()["detail"]


def test_upload_then_delete_a_report(client):
    report = FIXTURE_REPORTS / "vaxjo-2019-forstudie-ensamkommande.txt"
    response = client.post("/v1/documents?wait=true", files={"file": (report.name, report.read_bytes(), "text/plain")})
    assert response.status_code == 201, response.text
    document = response.json()
    assert document["document_id"] == report.stem and document["state"] == "added" and document["chunks"] > 0
    hits = client.post("/v1/search", json={"query": "ensamkommande", "filters": {"document_id": [report.stem]}}).json()["results"]
    assert hits and {h["document_id"] for h in hits} == {report.stem}
    deleted = client.delete(f"/v1/documents/{report.stem}")
    assert deleted.status_code == 200 and deleted.json()["deleted"] is True
    assert client.get(f"/v1/documents/{report.stem}").status_code == 404
    assert client.get("/healthz").json()["documents"] == 5


def test_an_upload_that_is_no_report_is_415(client):
    png = b"\x89PNG\r\n\x1a\n" + bytes(64)
    response = client.post("/v1/documents", files={"file": ("bild.txt", png, "text/plain")})
    assert response.status_code == 415 and "bild.txt" in response.json()["detail"]


def test_without_an_index_every_question_is_503_with_instructions(tmp_path):
    with TestClient(create_app(make_settings(tmp_path / "empty"), FakeEmbedder())) as empty:
        assert empty.get("/healthz").status_code == 503
        response = empty.post("/v1/ask", json={"question": "Vilka rekommendationer gavs?"})
        assert response.status_code == 503 and "auditqa ingest" in response.json()["detail"]


def test_tunables_come_from_the_settings(settings):
    with TestClient(create_app(settings.model_copy(update={"max_question_chars": 40}), FakeEmbedder())) as strict:
        response = strict.post("/v1/ask", json={"question": "Vilka rekommendationer gavs i Alvesta kommun år 2018?"})
    assert response.status_code == 422 and "högst 40 tecken" in response.json()["detail"]


def test_a_summary_gives_the_overall_assessment_and_the_recommendations(client):
    body = client.post("/v1/ask", json={"question": "Sammanfatta granskningen i Hultsfred"}).json()
    assert body["answerer"] == "findings" and body["grounded"], body["answer"]
    assert "Rekommendationer:" in body["answer"] and "Hultsfred" in body["answer"]
    assert {c["document_id"] for c in body["citations"]} == {"hultsfred-2019-asyl-integration"}


@pytest.mark.parametrize("question", ["Skriv ett mejl till min chef om Alvesta", "Vem är Sveriges migrationsminister?"])
def test_out_of_scope_questions_get_a_friendly_refusal(client, question):
    body = client.post("/v1/ask", json={"question": question}).json()
    assert not body["grounded"] and not body["citations"] and "Fråga gärna om" in body["answer"]


def test_english_questions_are_answered_in_an_english_frame(client):
    body = client.post("/v1/ask", json={"question": "Which recommendations were given in Alvesta?"}).json()
    assert body["grounded"] and body["answer"].startswith("According to the reports (quoted in Swedish):")


def test_hurried_typing_is_read_and_shown(client):
    body = client.post("/v1/ask", json={"question": "vilka rek gavs alvesta"}).json()
    assert body["resolved_question"] == "vilka rekommendationer gavs Alvesta"
    assert body["answerer"] == "findings" and {c["document_id"] for c in body["citations"]} == {"alvesta-2018-introduktion-nyanlanda"}


def test_corpus_lists_are_computed_once_per_view(client):
    """Municipalities, years and document ids are a view's, computed on first use; a reload builds a new view, and an
    upload's last reload keeps the view when nothing changed since its version went live."""
    qa = client.app.state.qa
    view = qa.retriever.view
    assert view.municipalities is view.municipalities and view.years is view.years and view.document_ids is view.document_ids
    assert qa.retriever.reload(if_changed=True) is False and qa.retriever.view is view
    qa.reload()
    assert qa.retriever.view is not view and qa.retriever.view.municipalities == view.municipalities


# -- GET /v1/documents a page at a time, GET /v1/documents/{id} by key ----------------------------------------


def test_the_list_pages_through_every_document_in_id_order(client, settings):
    every = client.get("/v1/documents").json()
    catalog = Catalog(settings.catalog_path).documents()
    assert [d["document_id"] for d in every["documents"]] == [d.document_id for d in catalog]
    assert every["total"] == 5 and every["next_offset"] is None
    assert every["municipalities"] == dict(sorted(Counter(d.metadata.municipality for d in catalog).items()))
    pages, offset = [], 0
    while offset is not None:
        page = client.get("/v1/documents", params={"offset": offset, "limit": 2}).json()
        assert page["total"] == 5 and page["municipalities"] == every["municipalities"] and len(page["documents"]) <= 2
        pages += page["documents"]
        offset = page["next_offset"]
    assert pages == every["documents"]
    past = client.get("/v1/documents", params={"offset": 7}).json()
    assert past["documents"] == [] and past["total"] == 5 and past["next_offset"] is None


def test_a_document_is_read_by_its_id_as_the_list_shows_it(client, settings):
    listed = client.get("/v1/documents", params={"offset": 3, "limit": 1}).json()["documents"][0]
    detail = client.get(f"/v1/documents/{listed['document_id']}").json()
    assert {k: detail[k] for k in listed} == listed
    assert detail["text"] == Catalog(settings.catalog_path).document_text(listed["document_id"])


def test_an_unknown_document_names_the_known_ones_or_where_they_are_many_those_like_it(client, monkeypatch):
    ids = [d["document_id"] for d in client.get("/v1/documents").json()["documents"]]
    few = client.get("/v1/documents/alvesta-2018")
    assert few.status_code == 404 and few.json()["detail"] == f"Dokumentet 'alvesta-2018' finns inte. Kända dokument: {', '.join(ids)}"
    monkeypatch.setattr(qa_module, "KNOWN_DOCUMENTS_NAMED", 2)
    alvesta = next(d for d in ids if d.startswith("alvesta-2018"))
    many = client.get("/v1/documents/alvesta-2018").json()["detail"]
    assert many.startswith("Dokumentet 'alvesta-2018' finns inte. 5 dokument finns (GET /v1/documents listar dem); liknande id: ")
    assert alvesta in many and not all(d in many for d in ids)


@pytest.mark.parametrize(("params", "detail"), [
    ({"offset": -1}, "query.offset: ska vara minst 0 (fick '-1')"),
    ({"limit": 0}, "query.limit: ska vara minst 1 (fick '0')"),
    ({"limit": 1001}, "query.limit: får vara högst 1000 (fick '1001')"),
    ({"offset": "första"}, "query.offset: ska vara ett heltal (fick 'första')"),
])
def test_bad_paging_is_a_422_in_swedish_quoting_the_value(client, params, detail):
    response = client.get("/v1/documents", params=params)
    assert response.status_code == 422 and response.json()["detail"] == f"Ogiltig begäran: {detail}"
