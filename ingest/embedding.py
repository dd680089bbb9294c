"""Dense embeddings with the local multilingual-e5-small sentence-transformers model (Haystack-2 component shape)."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)


class EmbeddingModelError(RuntimeError):
    """The embedding model directory is missing, incomplete or cannot be loaded."""


class Embedder:
    """Embeds passages and queries with e5's "passage: " / "query: " prefixes.

    Construction only validates the directory; the model is loaded by `warm_up()` (called
    implicitly by the first embedding or tokenizer call), so importing and wiring stay cheap.
    """

    def __init__(
        self,
        model_path: Path,
        *,
        query_prefix: str = "query: ",
        passage_prefix: str = "passage: ",
        batch_size: int = 16,
    ) -> None:
        model_path = Path(model_path).expanduser()
        if not model_path.is_dir():
            raise EmbeddingModelError(
                f"embedding model directory '{model_path}' does not exist; build it with `python -m ingest.model_build`"
            )
        try:
            modules = json.loads((model_path / "modules.json").read_text())
        except (OSError, ValueError) as exc:
            raise EmbeddingModelError(
                f"'{model_path}' is not a sentence-transformers model directory (unreadable modules.json: {exc})"
            ) from exc
        if not isinstance(modules, list) or not modules:
            raise EmbeddingModelError(
                f"'{model_path}' is not a sentence-transformers model directory (empty modules.json)"
            )
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self.model_path = model_path
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        self.batch_size = batch_size
        self._model: SentenceTransformer | None = None

    def warm_up(self) -> None:
        if self._model is not None:
            return
        # The only environment write: the model is local and this machine is offline, so keep
        # huggingface_hub/transformers from attempting (and timing out on) metadata requests.
        # local_files_only covers this load; the variables must be set before their first import.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from sentence_transformers import SentenceTransformer

        # Use the CPUs this process may actually run on (container/affinity limits), unless the
        # operator chose a thread count explicitly.
        if "OMP_NUM_THREADS" not in os.environ:
            torch.set_num_threads(max(1, len(os.sched_getaffinity(0))))
        try:
            self._model = SentenceTransformer(str(self.model_path), device="cpu", local_files_only=True)
        except (OSError, ValueError) as exc:
            raise EmbeddingModelError(f"cannot load embedding model from '{self.model_path}': {exc}") from exc
        log.info(
            "Loaded embedding model %s (dim %d, max %d tokens, %d threads)",
            self.model_path, self.dimension, self.max_seq_length, torch.get_num_threads(),
        )

    @property
    def model_name(self) -> str:
        return self.model_path.name

    @property
    def dimension(self) -> int:
        return int(self._loaded().get_embedding_dimension())

    @property
    def max_seq_length(self) -> int:
        """Longest input in tokens (prefix and special tokens included); the model truncates beyond it."""
        return int(self._loaded().max_seq_length)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        """float32 [len(texts), dimension], L2-normalized."""
        return self._encode([self.passage_prefix + text for text in texts])

    def embed_query(self, text: str) -> np.ndarray:
        """float32 [dimension], L2-normalized."""
        return self._encode([self.query_prefix + text])[0]

    def count_tokens(self, text: str) -> int:
        """Tokens the model sees for `text` embedded as a passage: prefix and <s>/</s> included, untruncated."""
        tokenizer = self._loaded().tokenizer
        return len(tokenizer(self.passage_prefix + text, add_special_tokens=True, verbose=False)["input_ids"])

    def _encode(self, texts: list[str]) -> np.ndarray:
        model = self._loaded()
        if not texts:
            return np.empty((0, self.dimension), dtype=np.float32)
        embeddings = model.encode(
            texts,
            batch_size=self.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return np.asarray(embeddings, dtype=np.float32)

    def _loaded(self) -> SentenceTransformer:
        self.warm_up()
        assert self._model is not None
        return self._model
