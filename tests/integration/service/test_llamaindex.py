"""The LlamaIndex integration against the real service: in-process over a loaded QAService, and over HTTP to uvicorn."""

import subprocess
import sys

import httpx
import pytest
from llama_index.core.base.response.schema import Response
from llama_index.core.schema import NodeWithScore, TextNode

from ingest.config import PROJECT_ROOT
from service.api.presenters import chunk_texts
from service.integrations.llamaindex import AuditQAClientError, AuditQAQueryEngine, AuditQARetriever

pytestmark = pytest.mark.slow

ALVESTA = "alvesta-2018-introduktion-nyanlanda"
QUESTION = "Vilka kontrollmål bedömdes ej uppfyllda i Alvesta?"
OUT_OF_SCOPE = "Vem vann fotbolls-VM 1958?"
SEARCH_FIELDS = {"document_id", "title", "municipality", "year", "section", "heading_path", "page", "char_start", "char_end", "part"}
CITATION_FIELDS = {"n", "document_id", "title", "municipality", "year", "section", "page", "char_start", "char_end", "quote", "quote_start", "quote_end"}


@pytest.fixture(scope="module")
def qa(corpus_settings):
    from service.api.app import build_qa

    return build_qa(corpus_settings)


@pytest.fixture(scope="module")
def document_text(server_url):
    cache: dict[str, str] = {}

    def get(document_id: str) -> str:
        if document_id not in cache:
            response = httpx.get(f"{server_url}/v1/documents/{document_id}", timeout=30)
            assert response.status_code == 200, response.text
            cache[document_id] = response.json()["text"]
        return cache[document_id]

    return get


def test_importing_the_module_loads_no_model_stack():
    code = "import sys, service.integrations.llamaindex; print(sorted({'torch', 'transformers', 'onnxruntime', 'chromadb'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("backend", ["in-process", "http"])
def test_retriever_returns_exact_spans(backend, qa, server_url, document_text):
    retriever = AuditQARetriever.from_service(qa, top_k=5) if backend == "in-process" else AuditQARetriever.from_url(server_url, top_k=5)
    nodes = retriever.retrieve(QUESTION)
    assert 1 <= len(nodes) <= 5
    assert nodes[0].node.metadata["document_id"] == ALVESTA
    scores = [n.score for n in nodes]
    assert scores == sorted(scores, reverse=True) and all(isinstance(s, float) for s in scores)
    for hit in nodes:
        assert isinstance(hit, NodeWithScore) and isinstance(hit.node, TextNode)
        meta = hit.node.metadata
        assert set(meta) == SEARCH_FIELDS
        assert hit.node.node_id == f"{meta['document_id']}:{meta['char_start']}-{meta['char_end']}"
        assert document_text(meta["document_id"])[meta["char_start"] : meta["char_end"]] == hit.node.text


def test_retriever_filters_and_backends_agree(qa, server_url):
    filters = {"municipality": ["Alvesta"]}
    local = AuditQARetriever.from_service(qa, top_k=8, filters=filters).retrieve(QUESTION)
    remote = AuditQARetriever.from_url(server_url, top_k=8, filters=filters).retrieve(QUESTION)
    assert {n.node.metadata["municipality"] for n in remote} == {"Alvesta"}
    assert [(n.node.node_id, n.node.text, n.node.metadata, n.score) for n in local] == [
        (n.node.node_id, n.node.text, n.node.metadata, n.score) for n in remote
    ]


def test_query_engine_answers_as_v1_ask(server_url, document_text):
    expected = httpx.post(f"{server_url}/v1/ask", json={"question": QUESTION}, timeout=120).json()
    response = AuditQAQueryEngine.from_url(server_url).query(QUESTION)
    assert isinstance(response, Response)
    assert response.response == expected["answer"]
    assert response.metadata == {"grounded": True, "answerer": expected["answerer"]}
    assert len(response.source_nodes) == len(expected["citations"]) > 0
    for source, citation, chunk_text in zip(response.source_nodes, expected["citations"], chunk_texts(expected["citations"]), strict=True):
        meta = source.node.metadata
        assert set(meta) == CITATION_FIELDS
        assert meta == {k: citation[k] for k in CITATION_FIELDS}
        assert source.node.text == chunk_text and meta["document_id"] == ALVESTA
        assert f"[{meta['n']}]" in response.response
        assert meta["quote"] and meta["quote"] in source.node.text
        text = document_text(meta["document_id"])
        assert text[meta["char_start"] : meta["char_end"]] == source.node.text
        assert text[meta["quote_start"] : meta["quote_end"]] == meta["quote"]


def test_query_engine_backends_agree(qa, server_url):
    local = AuditQAQueryEngine.from_service(qa).query(QUESTION)
    remote = AuditQAQueryEngine.from_url(server_url).query(QUESTION)
    assert local.response == remote.response and local.metadata == remote.metadata
    assert [(s.node.node_id, s.node.text, s.node.metadata) for s in local.source_nodes] == [
        (s.node.node_id, s.node.text, s.node.metadata) for s in remote.source_nodes
    ]


@pytest.mark.parametrize("backend", ["in-process", "http"])
def test_out_of_scope_question_stays_a_refusal(backend, qa, server_url):
    engine = AuditQAQueryEngine.from_service(qa) if backend == "in-process" else AuditQAQueryEngine.from_url(server_url)
    response = engine.query(OUT_OF_SCOPE)
    assert response.metadata["grounded"] is False
    assert response.source_nodes == []
    # A friendly refusal that says what the service can answer instead.
    assert "Fråga gärna om" in response.response


@pytest.mark.parametrize("backend", ["in-process", "http"])
def test_rejected_requests_raise_a_clear_error(backend, qa, server_url):
    def engine(**options):
        return AuditQAQueryEngine.from_service(qa, **options) if backend == "in-process" else AuditQAQueryEngine.from_url(server_url, **options)

    with pytest.raises(AuditQAClientError) as empty:
        engine().query("   ")
    assert empty.value.status_code == 422 and empty.value.detail.startswith("Ogiltig fråga")
    with pytest.raises(AuditQAClientError) as unknown:
        engine(filters={"municipality": ["Atlantis"]}).query(QUESTION)
    assert unknown.value.status_code == 422 and "Atlantis" in unknown.value.detail and "Alvesta" in unknown.value.detail
    assert str(unknown.value).startswith("auditqa 422: Okänt filter")
    with pytest.raises(AuditQAClientError) as search:
        (AuditQARetriever.from_service(qa) if backend == "in-process" else AuditQARetriever.from_url(server_url)).retrieve("")
    assert search.value.status_code == 422


def test_unreachable_server_and_bad_options_raise_clearly():
    with pytest.raises(AuditQAClientError, match="could not be reached") as unreachable:
        AuditQARetriever.from_url("http://127.0.0.1:9", timeout=2).retrieve(QUESTION)
    assert unreachable.value.status_code is None
    with pytest.raises(ValueError, match="top_k"):
        AuditQARetriever.from_url("http://127.0.0.1:9", top_k=0)
    with pytest.raises(ValueError, match="unknown filter fields"):
        AuditQAQueryEngine.from_url("http://127.0.0.1:9", filters={"kommun": ["Alvesta"]})
