"""The baseline: a plain LlamaIndex pipeline over the same corpus and the same embedding model.

- documents: the normalized text of each corpus file (`ingest.documents.loading.load_document`, the text
  every gold quote refers to), one `Document` per report with metadata {"document_id": ...}
  (included in the embedded text, as LlamaIndex does by default with file metadata);
- chunking: `SentenceSplitter(chunk_size=256, chunk_overlap=32)` (tokens of LlamaIndex's default
  tokenizer). 256 rather than the default 1024 so a chunk fits multilingual-e5-small's 512-token
  window (1024 would be silently truncated) and is about the size of our 120-250 word chunks;
- index: `VectorStoreIndex` over a `ChromaVectorStore` in a temporary `PersistentClient`
  (`embedding_function=None`, telemetry off), embedded with `HuggingFaceEmbedding` of the local
  model with e5's "query: " / "passage: " prefixes; no LLM (MockLLM), dense top-k only;
- answer: the text of the top chunk, cited as that chunk; it never refuses. A multi-turn item is
  asked with its last turn only (the pipeline has no conversation memory).
"""

import logging
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from evals.metrics import Retrieved

CHUNK_SIZE = 256
CHUNK_OVERLAP = 32
COLLECTION = "llamaindex_baseline"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BaselineHit(Retrieved):
    start: int | None = None
    end: int | None = None
    score: float = 0.0


class LlamaIndexBaseline:
    def __init__(self, model_dir: Path, corpus_texts: dict[str, str], top_k: int = 10) -> None:
        self.model_dir = Path(model_dir)
        self.corpus_texts = corpus_texts
        self.top_k = top_k
        self.pool: list[BaselineHit] = []
        self.build_seconds = 0.0
        self._tmp: tempfile.TemporaryDirectory | None = None
        self._retriever = None

    def build(self) -> "LlamaIndexBaseline":
        started = time.perf_counter()
        import chromadb
        from chromadb.config import Settings as ChromaSettings
        from llama_index.core import Document, StorageContext, VectorStoreIndex
        from llama_index.core import Settings as LlamaSettings
        from llama_index.core.llms.mock import MockLLM
        from llama_index.core.node_parser import SentenceSplitter
        from llama_index.embeddings.huggingface import HuggingFaceEmbedding
        from llama_index.vector_stores.chroma import ChromaVectorStore

        embed_model = HuggingFaceEmbedding(
            model_name=str(self.model_dir), query_instruction="query: ", text_instruction="passage: ", device="cpu",
        )
        # LlamaIndex defaults to OpenAI for both; neither may be reached (or needed) here.
        LlamaSettings.llm = MockLLM()
        LlamaSettings.embed_model = embed_model
        documents = [
            Document(text=text, id_=document_id, metadata={"document_id": document_id})
            for document_id, text in sorted(self.corpus_texts.items())
        ]
        nodes = SentenceSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP).get_nodes_from_documents(documents)
        self._tmp = tempfile.TemporaryDirectory(prefix="auditqa-baseline-", ignore_cleanup_errors=True)
        client = chromadb.PersistentClient(path=self._tmp.name, settings=ChromaSettings(anonymized_telemetry=False))
        collection = client.get_or_create_collection(COLLECTION, embedding_function=None)
        storage = StorageContext.from_defaults(vector_store=ChromaVectorStore(chroma_collection=collection))
        index = VectorStoreIndex(nodes, storage_context=storage, embed_model=embed_model)
        self._retriever = index.as_retriever(similarity_top_k=self.top_k)
        self.pool = [self._hit(n) for n in nodes]
        self.build_seconds = time.perf_counter() - started
        log.info("baseline: %d nodes indexed in %.1f s", len(nodes), self.build_seconds)
        return self

    @staticmethod
    def _hit(node, score: float | None = None) -> BaselineHit:
        from llama_index.core.schema import MetadataMode

        return BaselineHit(
            document_id=node.metadata["document_id"], text=node.get_content(metadata_mode=MetadataMode.NONE),
            start=node.start_char_idx, end=node.end_char_idx, score=float(score or 0.0),
        )

    @staticmethod
    def label(hit: Retrieved) -> str:
        if isinstance(hit, BaselineHit):
            return f"{hit.document_id} [{hit.start}–{hit.end}]"
        return hit.document_id

    def retrieve(self, question: str) -> list[BaselineHit]:
        if self._retriever is None:
            raise RuntimeError("call build() first")
        return [self._hit(n.node, n.score) for n in self._retriever.retrieve(question)]

    def retrieve_all(self, questions: dict[str, str]) -> tuple[dict[str, list[BaselineHit]], dict[str, float]]:
        """id -> ranked hits, and id -> seconds the retrieval took."""
        ranked, seconds = {}, {}
        for item_id, question in questions.items():
            started = time.perf_counter()
            ranked[item_id] = self.retrieve(question)
            seconds[item_id] = time.perf_counter() - started
        return ranked, seconds

    @staticmethod
    def answer(hits: Sequence[BaselineHit]) -> dict:
        """The baseline's answer in the shape of our /v1/ask response (never refuses)."""
        top = list(hits[:1])
        return {
            "answer": top[0].text if top else "",
            "grounded": True,
            "citations": [{"document_id": h.document_id, "text": h.text, "char_start": h.start, "char_end": h.end} for h in top],
            "answerer": "llamaindex-top1",
        }

    def close(self) -> None:
        self._retriever = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
