"""auditqa as a LlamaIndex component: a retriever over its hybrid search and a query engine over its cited answers.

Both run on one of two backends with the same JSON shapes (the HTTP contract of service/api/schemas.py):
in-process over a loaded `QAService`, or over HTTP against a running `auditqa serve`. Only llama_index.core and
httpx are imported here; the service's own modules (chromadb, the embedder) load only when `from_service` is used.
"""

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

import httpx
from llama_index.core.base.base_query_engine import BaseQueryEngine
from llama_index.core.base.response.schema import Response
from llama_index.core.callbacks import CallbackManager
from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

FILTER_FIELDS = ("municipality", "year", "document_id")
SEARCH_FIELDS = ("document_id", "title", "municipality", "year", "section", "heading_path", "part", "page", "char_start", "char_end")
CITATION_FIELDS = ("n", "document_id", "title", "municipality", "year", "section", "page", "char_start", "char_end", "quote", "quote_start", "quote_end")
# Offsets locate the span for a UI but are noise in an LLM prompt or an embedding of the node.
OFFSET_FIELDS = ["char_start", "char_end", "quote_start", "quote_end"]


class AuditQAClientError(Exception):
    """auditqa refused the request (status_code and the service's own `detail`) or could not be reached (status_code None)."""

    def __init__(self, status_code: int | None, detail: str) -> None:
        self.status_code, self.detail = status_code, detail
        super().__init__(f"auditqa {status_code}: {detail}" if status_code else f"auditqa: {detail}")


class AuditQABackend(Protocol):
    """Search and ask, answering with the JSON bodies of `POST /v1/search` (its results) and `POST /v1/ask`."""

    def search(self, query: str, top_k: int, filters: dict[str, list]) -> list[dict[str, Any]]: ...

    def ask(self, question: str, top_k: int | None, filters: dict[str, list]) -> dict[str, Any]: ...


class InProcessBackend:
    def __init__(self, qa: Any) -> None:  # service.answering.qa.QAService, not imported to keep this module light
        self.qa = qa

    def _call(self, run: Callable[[Any], Any], filters: dict[str, list]) -> Any:
        from service.api.errors import describe
        from service.query.retrieval import Filters

        try:
            return run(Filters(**{k: tuple(v) for k, v in filters.items()}))
        except Exception as exc:
            # The status and message the HTTP backend would raise; what describe() does not know (a 500) is a bug.
            status_code, body = describe(exc)
            if status_code == 500:
                raise
            raise AuditQAClientError(status_code, body["detail"]) from exc

    def search(self, query: str, top_k: int, filters: dict[str, list]) -> list[dict[str, Any]]:
        from service.api.presenters import search_result

        hits = self._call(lambda f: self.qa.search(query, top_k, f), filters)
        return [search_result(hit).model_dump() for hit in hits]

    def ask(self, question: str, top_k: int | None, filters: dict[str, list]) -> dict[str, Any]:
        from service.api.presenters import citations_out

        answer = self._call(lambda f: self.qa.ask(question, f, top_k), filters).answer
        citations = [c.model_dump() for c in citations_out(answer)]
        return {"answer": answer.text, "grounded": answer.grounded, "answerer": answer.answerer, "citations": citations}


class HTTPBackend:
    def __init__(self, base_url: str, api_key: str | None = None, timeout: float = 60.0) -> None:
        # The key is for a gateway in front of the service; auditqa itself does not check one.
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=timeout)

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            response = self.client.post(path, json=body)
        except httpx.HTTPError as exc:
            raise AuditQAClientError(None, f"{self.client.base_url}{path} could not be reached: {exc}") from exc
        if response.is_error:
            # auditqa answers errors as {"detail": "..."}; a proxy in between may answer HTML or plain text.
            try:
                payload = response.json()
            except ValueError:
                payload = None
            detail = payload.get("detail") if isinstance(payload, dict) else None
            raise AuditQAClientError(response.status_code, str(detail or response.text or response.reason_phrase)[:2000])
        return response.json()

    def search(self, query: str, top_k: int, filters: dict[str, list]) -> list[dict[str, Any]]:
        return self._post("/v1/search", {"query": query, "top_k": top_k, "filters": filters})["results"]

    def ask(self, question: str, top_k: int | None, filters: dict[str, list]) -> dict[str, Any]:
        body = {"question": question, "filters": filters or None, "top_k": top_k}
        return self._post("/v1/ask", {k: v for k, v in body.items() if v is not None})

    def close(self) -> None:
        self.client.close()


def _filters(filters: Mapping[str, Sequence] | None) -> dict[str, list]:
    unknown = set(filters or {}) - set(FILTER_FIELDS)
    if unknown:
        raise ValueError(f"unknown filter fields {sorted(unknown)}; allowed: {list(FILTER_FIELDS)}")
    # A single value is accepted for a list ({"municipality": "Alvesta"}); a string is not a list of characters.
    out = {k: [v] if isinstance(v, (str, int)) else list(v) for k, v in (filters or {}).items() if v}
    if "year" in out:
        out["year"] = [int(y) for y in out["year"]]
    return out


def _top_k(top_k: int | None, optional: bool = False) -> int | None:
    if top_k is None and optional:
        return None
    if not isinstance(top_k, int) or isinstance(top_k, bool) or top_k < 1:
        raise ValueError(f"top_k must be an integer >= 1, got {top_k!r}")
    return top_k


def _node(item: dict[str, Any], fields: Sequence[str], score: float | None) -> NodeWithScore:
    node = TextNode(
        id_=f"{item['document_id']}:{item['char_start']}-{item['char_end']}", text=item["text"],
        metadata={k: item.get(k) for k in fields},
        excluded_llm_metadata_keys=OFFSET_FIELDS, excluded_embed_metadata_keys=OFFSET_FIELDS,
    )
    return NodeWithScore(node=node, score=score)


class AuditQARetriever(BaseRetriever):
    """auditqa's hybrid search (dense + BM25) as LlamaIndex nodes: chunk text, exact offsets, the fused score."""

    def __init__(self, backend: AuditQABackend, top_k: int = 10, filters: Mapping[str, Sequence] | None = None, callback_manager: CallbackManager | None = None) -> None:
        self.backend, self.top_k, self.filters = backend, _top_k(top_k), _filters(filters)
        super().__init__(callback_manager=callback_manager)

    @classmethod
    def from_service(cls, qa: Any, top_k: int = 10, filters: Mapping[str, Sequence] | None = None) -> "AuditQARetriever":
        return cls(InProcessBackend(qa), top_k, filters)

    @classmethod
    def from_url(cls, base_url: str, api_key: str | None = None, timeout: float = 60.0, top_k: int = 10, filters: Mapping[str, Sequence] | None = None) -> "AuditQARetriever":
        return cls(HTTPBackend(base_url, api_key, timeout), top_k, filters)

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        hits = self.backend.search(query_bundle.query_str, self.top_k, self.filters)
        return [_node(hit, SEARCH_FIELDS, hit["score"]) for hit in hits]


class AuditQAQueryEngine(BaseQueryEngine):
    """auditqa's own answer, not an LLM's: the text with its [n] markers, the citations as source nodes.

    A refusal stays a refusal (grounded False, no source nodes): nothing is synthesized around it.
    """

    def __init__(self, backend: AuditQABackend, top_k: int | None = None, filters: Mapping[str, Sequence] | None = None, callback_manager: CallbackManager | None = None) -> None:
        self.backend, self.top_k, self.filters = backend, _top_k(top_k, optional=True), _filters(filters)
        super().__init__(callback_manager=callback_manager)

    @classmethod
    def from_service(cls, qa: Any, top_k: int | None = None, filters: Mapping[str, Sequence] | None = None) -> "AuditQAQueryEngine":
        return cls(InProcessBackend(qa), top_k, filters)

    @classmethod
    def from_url(cls, base_url: str, api_key: str | None = None, timeout: float = 60.0, top_k: int | None = None, filters: Mapping[str, Sequence] | None = None) -> "AuditQAQueryEngine":
        return cls(HTTPBackend(base_url, api_key, timeout), top_k, filters)

    def _get_prompt_modules(self) -> dict:
        return {}  # no prompts: auditqa answers extractively

    def _query(self, query_bundle: QueryBundle) -> Response:
        body = self.backend.ask(query_bundle.query_str, self.top_k, self.filters)
        # A response carries a chunk's text with its first citation only; the node of each later one takes it from there.
        texts: dict[tuple[str, int], str] = {}
        sources = []
        for citation in body["citations"]:
            text = texts.setdefault((citation["document_id"], citation["char_start"]), citation["text"])
            sources.append(_node({**citation, "text": text}, CITATION_FIELDS, None))
        return Response(response=body["answer"], source_nodes=sources, metadata={"grounded": body["grounded"], "answerer": body["answerer"]})

    async def _aquery(self, query_bundle: QueryBundle) -> Response:
        return self._query(query_bundle)
