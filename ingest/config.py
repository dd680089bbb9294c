"""The one configuration object of auditqa: every setting, read once from AUDITQA_* variables.

Importing this module also sets the offline environment every process of auditqa runs in (unless the
environment already says otherwise): this workplace has no internet, so no library may try a model hub
or a telemetry endpoint.
"""

import os
import sys
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_MODEL_DIR = Path(sys.prefix) / "share" / "auditqa" / "multilingual-e5-small"
PROJECT_ROOT = Path(__file__).resolve().parent.parent


OFFLINE_ENVIRONMENT = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "CHROMA_ANONYMIZED_TELEMETRY": "False",
}
for _name, _value in OFFLINE_ENVIRONMENT.items():
    os.environ.setdefault(_name, _value)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AUDITQA_", extra="ignore")

    home: Path = Field(default=Path(".auditqa"), description="State: Chroma data, lexical index, catalog.")
    corpus_dir: Path = Field(default=PROJECT_ROOT / "corpus", description="Reports ingested by `make run`.")
    embed_model: Path = Field(default=DEFAULT_MODEL_DIR, description="Local sentence-transformers model directory.")
    query_prefix: str = "query: "
    passage_prefix: str = "passage: "
    embed_batch_size: int = Field(default=8, ge=1, le=256)
    embed_threads: int = Field(
        default=0, ge=0, le=256,
        description="Torch threads embedding passages (ingest); 0: the cores not busy with other work when the model loads.",
    )
    chroma_url: str | None = Field(default=None, description="Chroma server URL; embedded PersistentClient when unset.")
    collection_prefix: str = "auditqa"
    hnsw_ef_construction: int = Field(default=200, ge=10)
    hnsw_ef_search: int = Field(default=128, ge=10)
    hnsw_max_neighbors: int = Field(default=32, ge=4)
    # What a document turns into: retrieval chunks of this many words (a chunk never crosses a section).
    chunk_min_words: int = Field(default=120, ge=10, description="Smallest chunk the chunker aims for, in words.")
    chunk_max_words: int = Field(default=250, ge=20, description="Largest chunk, in words (a table row or sentence is never split).")
    # Retrieval and answering, tuned on the dev set's tuning part (evals/).
    fusion_dense_weight: float = Field(
        default=0.5, ge=0, le=1, description="Weight of dense retrieval in the hybrid score (lexical gets the rest), over z-scored lists."
    )
    rrf_k: int = Field(default=15, ge=1, description="Rank fusion constant joining findings evidence to the hybrid ranking: 1 / (k + rank).")
    answer_top_k: int = Field(default=8, ge=1, le=50, description="Passages retrieved for an answer when the request names none.")
    answer_page_reports: int = Field(
        default=20, ge=1, le=200,
        description="Reports a list answer over many reports sets out in full (one page); the others are counted, and paged with offset.",
    )
    across_reports_documents: int = Field(
        default=20, ge=1, le=200, description="Reports a question across reports is answered from: those whose passages match best."
    )
    max_question_chars: int = Field(default=2000, ge=10, description="Longest question accepted, in characters.")
    answer_min_similarity: float = Field(default=0.80, gt=0, le=1, description="A sentence must be this similar to the question to answer it.")
    answer_min_overlap: float = Field(default=0.15, ge=0, le=1, description="… and share this much of the question's weighted words.")
    answer_strong_similarity: float = Field(default=0.835, gt=0, le=1, description="Similarity that answers with less word overlap.")
    answer_relaxed_similarity: float = Field(default=0.78, gt=0, le=1, description="Similarity enough when the overlap is strong.")
    answer_strong_overlap: float = Field(default=0.35, ge=0, le=1, description="Overlap that counts as strong.")
    answer_cross_language_similarity: float = Field(
        default=0.80, gt=0, le=1, description="Similarity an English question needs where none of its words is a term the glossary gives in Swedish."
    )
    answer_cross_language_gap: float = Field(
        default=0.05, ge=0, lt=1,
        description="How much less similar an English question is to a Swedish passage than its Swedish twin (measured on tuning pairs): added to an English question's similarity before the Swedish thresholds.",
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    real_reports_dir: Path | None = Field(
        default=None, description="Real reports from other firms for `auditqa eval --set real`, read in place (outside the repository)."
    )
    swefaq_dir: Path | None = Field(default=None, description="SweFAQ benchmark folder for `auditqa eval` (outside the repository; the swefaq set needs it).")
    conversation_ttl_s: float = Field(default=24 * 3600, gt=0, description="A conversation idle this long (seconds) is forgotten.")
    conversation_max_turns: int = Field(default=20, ge=1, description="Turns kept per conversation; older turns are dropped.")
    conversation_max_count: int = Field(default=10_000, ge=1, description="Conversations kept; the least recently used are evicted.")
    max_upload_mb: float = Field(default=50, gt=0, description="Largest file `POST /v1/documents` accepts, in MB (10^6 bytes).")
    # Access control and request hygiene (service/api/security.py, ratelimit.py, middleware.py).
    api_keys: SecretStr | None = Field(
        default=None, description="API keys as comma-separated `scope:key` pairs, scope `read` or `admin` (admin implies read)."
    )
    api_keys_file: Path | None = Field(default=None, description="A file of API keys, one `scope:key` per line, `#` starts a comment.")
    allow_unauthenticated: bool = Field(
        default=False, description="Serve beyond loopback without API keys (every caller is then an admin)."
    )
    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Host names the service answers to, besides localhost, 127.0.0.1, ::1 and AUDITQA_HOST; `*` allows any.",
    )
    allowed_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Origins (scheme://host[:port]) besides the service's own that may send POST, PUT, PATCH, DELETE."
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Origins that may call the API from a browser (CORS); also allowed origins. Empty: CORS off."
    )
    rate_limit_per_minute: int = Field(default=120, ge=0, description="API requests per minute per key (per client IP without one); 0: off.")
    max_json_kb: float = Field(default=256, gt=0, description="Largest request body of the JSON endpoints, in KB (10^3 bytes).")

    # What one document may turn into, whatever its file size: a 53 KB DOCX can unpack to 250 MB of XML.
    max_extracted_mb: float = Field(
        default=100, gt=0, description="Largest unpacked size of a DOCX (all its parts together), in MB; read with this cap."
    )
    max_text_chars: int = Field(default=2_000_000, ge=1000, description="Most characters of text one document may yield (about 600 pages).")
    max_pdf_pages: int = Field(default=1000, ge=1, description="Most pages a PDF may have.")
    max_chunks_per_document: int = Field(default=1000, ge=1, description="Most retrieval chunks one document may be cut into.")
    # Bounded work: jobs, queries, and how long a client is told to wait before trying again.
    max_queued_jobs: int = Field(default=20, ge=1, description="Upload and delete jobs waiting at most; one more is refused with 429.")
    job_timeout_s: float = Field(default=1800, gt=0, description="A job running longer than this (seconds) fails; the previous version stays live.")
    max_concurrent_queries: int = Field(
        default_factory=lambda: 2 * (os.cpu_count() or 1), ge=1, description="Searches and answers computed at once (default: 2 x CPU cores)."
    )
    query_queue_timeout_s: float = Field(
        default=2.0, ge=0, description="How long a query waits for a free slot before it is refused with 503 (seconds)."
    )
    view_check_interval_s: float = Field(
        default=1.0, ge=0,
        description="How often (seconds) the service checks whether another process (a second API worker, `auditqa ingest`) made documents live.",
    )
    retry_after_s: int = Field(default=5, ge=1, description="The Retry-After a 429 or 503 answer suggests, in seconds.")

    @field_validator("allowed_hosts", "allowed_origins", "cors_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @model_validator(mode="after")
    def _chunk_bounds(self) -> "Settings":
        if self.chunk_min_words > self.chunk_max_words:
            raise ValueError(f"chunk_min_words ({self.chunk_min_words}) is larger than chunk_max_words ({self.chunk_max_words})")
        return self

    @property
    def chroma_path(self) -> Path:
        return self.home / "chroma"

    @property
    def catalog_path(self) -> Path:
        return self.home / "catalog.sqlite3"

    @property
    def units_path(self) -> Path:
        """The unit (sentence) vectors, read by id: beside the catalog, wherever the chunk vectors are."""
        return self.home / "units.sqlite3"

    @property
    def lexical_path(self) -> Path:
        return self.home / "lexical"

    @property
    def conversations_path(self) -> Path:
        return self.home / "conversations.sqlite3"

    @property
    def feedback_path(self) -> Path:
        """Users' 👍/👎 on answers, with the question, answer and citations: material for the eval set."""
        return self.home / "feedback.sqlite3"

    @property
    def uploads_path(self) -> Path:
        """Files uploaded through the API; a document's file is kept here while the document is live."""
        return self.home / "uploads"


@lru_cache
def get_settings() -> Settings:
    return Settings()
