"""Dense embeddings with the local multilingual-e5-small model (Haystack-2 component shape).

The model directory is in sentence-transformers format (Transformer -> mean Pooling -> Normalize);
sentence-transformers is the reference its vectors are tested against. It is run here directly, by two
runners that give the same vectors: queries on onnxruntime and tokenizers when the directory holds the
ONNX export that `auditqa build-model` writes (about 2 s to load, 8 ms a query, so the service starts
without importing torch), passages on transformers and torch (the export runs long batches at half
torch's speed here, and ingest embeds thousands of them). Without an export, torch runs both.
sentence-transformers itself would add 4.5 s of imports (scikit-learn, scipy) for what is a mean over
token vectors and an L2 normalization."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, TypeVar

import numpy as np

from ingest.config import Settings

log = logging.getLogger(__name__)

# Where `auditqa build-model` writes the ONNX export (as sentence-transformers' ONNX backend expects it), and its inputs.
ONNX_FILE = Path("onnx") / "model.onnx"
INPUTS = ("input_ids", "attention_mask")

RunnerT = TypeVar("RunnerT")
# The sentence-transformers modules this embedder reproduces, by the last part of their type name.
_TRANSFORMER, _POOLING, _NORMALIZE = "Transformer", "Pooling", "Normalize"
_POOLING_MODES = ("mean", "cls")


class EmbeddingModelError(RuntimeError):
    """The embedding model directory is missing, incomplete or cannot be loaded."""


class Embedder:
    """Embeds passages and queries with e5's "passage: " / "query: " prefixes.

    Construction only validates the directory; the query runner is loaded by `warm_up()` (or the first
    query), the passage runner by the first passages, so importing and wiring stay cheap.
    """

    @classmethod
    def from_settings(cls, settings: Settings) -> "Embedder":
        return cls(
            settings.embed_model, query_prefix=settings.query_prefix,
            passage_prefix=settings.passage_prefix, batch_size=settings.embed_batch_size, threads=settings.embed_threads,
        )

    def __init__(
        self,
        model_path: Path,
        *,
        query_prefix: str = "query: ",
        passage_prefix: str = "passage: ",
        batch_size: int = 16,
        threads: int = 0,
    ) -> None:
        model_path = Path(model_path).expanduser()
        if not model_path.is_dir():
            raise EmbeddingModelError(
                f"embedding model directory '{model_path}' does not exist; build it with `auditqa build-model`"
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
        kinds = [str(m.get("type", "")).rsplit(".", 1)[-1] for m in modules]
        if kinds[0] != _TRANSFORMER or _POOLING not in kinds or set(kinds) - {_TRANSFORMER, _POOLING, _NORMALIZE}:
            raise EmbeddingModelError(
                f"'{model_path}' has modules {kinds}; supported is Transformer, Pooling and optionally Normalize"
            )
        pooling = _read_json(model_path / modules[kinds.index(_POOLING)]["path"] / "config.json", model_path)
        # Models saved by sentence-transformers before 3.x set one flag per mode instead of "pooling_mode".
        flags = (("mean", "pooling_mode_mean_tokens"), ("cls", "pooling_mode_cls_token"))
        self.pooling = pooling.get("pooling_mode") or next((mode for mode, flag in flags if pooling.get(flag)), None)
        if self.pooling not in _POOLING_MODES:
            raise EmbeddingModelError(f"'{model_path}' pools with '{self.pooling}'; supported: {', '.join(_POOLING_MODES)}")
        self._transformer_config = _read_json(model_path / "sentence_bert_config.json", model_path)
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self.model_path = model_path
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        self.batch_size = batch_size
        self.threads = threads
        self._query_runner: _Runner | None = None
        self._passage_runner: _TorchRunner | None = None

    def warm_up(self) -> None:
        """Load what queries need; the passage runner is loaded by the first `embed_passages` (ingest)."""
        self._queries()

    def warm_up_passages(self) -> None:
        """Load what ingest needs: the passage runner only."""
        self._passages()

    def _queries(self) -> _Runner:
        if self._query_runner is None:
            if (self.model_path / ONNX_FILE).is_file():
                self._query_runner = self._load(lambda threads: _OnnxRunner(self.model_path, threads), query_threads())
            else:
                self._query_runner = self._passages()
        return self._query_runner

    def _passages(self) -> _TorchRunner:
        if self._passage_runner is None:
            threads = self.threads or passage_threads()
            self._passage_runner = self._load(lambda n: _TorchRunner(self.model_path, self._transformer_config, n), threads)
        return self._passage_runner

    def _load(self, make: Callable[[int], RunnerT], threads: int) -> RunnerT:
        try:
            runner = make(threads)
        except (OSError, ValueError, RuntimeError) as exc:
            raise EmbeddingModelError(f"cannot load embedding model from '{self.model_path}': {exc}") from exc
        log.info(
            "Loaded embedding model %s with %s (dim %d, max %d tokens, %d threads)",
            self.model_path, type(runner).__name__, runner.dimension, runner.max_seq_length, threads,
        )
        return runner

    @property
    def model_name(self) -> str:
        return self.model_path.name

    def _loaded(self) -> _Runner:
        """A runner already loaded (either gives the same vectors), else the query runner."""
        return self._query_runner or self._passage_runner or self._queries()

    @property
    def dimension(self) -> int:
        """The vectors' length, read from the model's config when no runner is loaded (nothing is loaded for it)."""
        runner = self._query_runner or self._passage_runner
        if runner is not None:
            return runner.dimension
        return int(_read_json(self.model_path / "config.json", self.model_path)["hidden_size"])

    @property
    def max_seq_length(self) -> int:
        """Longest input in tokens (prefix and special tokens included); the model truncates beyond it."""
        return self._loaded().max_seq_length

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        """float32 [len(texts), dimension], L2-normalized."""
        return self._encode(self._passages(), [self.passage_prefix + text for text in texts])

    def embed_query(self, text: str) -> np.ndarray:
        """float32 [dimension], L2-normalized."""
        return self._encode(self._queries(), [self.query_prefix + text])[0]

    def count_tokens(self, text: str) -> int:
        """Tokens the model sees for `text` embedded as a passage: prefix and <s>/</s> included, untruncated."""
        return self._passages().count_tokens(self.passage_prefix + text)

    def _encode(self, runner: _Runner, texts: list[str]) -> np.ndarray:
        result = np.empty((len(texts), runner.dimension), dtype=np.float32)
        # Longest first, as sentence-transformers batches: less padding per batch.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        for start in range(0, len(order), self.batch_size):
            batch = order[start : start + self.batch_size]
            tokens, mask = runner.token_vectors([texts[i] for i in batch])
            if self.pooling == "cls":
                pooled = tokens[:, 0]
            else:
                weights = mask[..., None].astype(np.float32)
                pooled = (tokens * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
            result[batch] = pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return result


def _cores() -> int:
    return max(1, len(os.sched_getaffinity(0)))


def query_threads() -> int:
    """Threads for single queries: OMP_NUM_THREADS, else every core (a query is milliseconds of work)."""
    return int(os.environ.get("OMP_NUM_THREADS", 0)) or _cores()


def passage_threads() -> int:
    """Threads for embedding passages when AUDITQA_EMBED_THREADS is unset: OMP_NUM_THREADS, else the cores that other
    work (the one-minute load average) leaves free, at least one. A torch thread that has to share its core with a busy
    process holds back the others at every synchronisation: on 2 cores with one busy, 2 threads ran slower than 1
    (docs/performance.md)."""
    if os.environ.get("OMP_NUM_THREADS"):
        return int(os.environ["OMP_NUM_THREADS"])
    cores = _cores()
    try:
        busy = int(os.getloadavg()[0] + 0.5)
    except OSError:
        busy = 0
    return max(1, min(cores, cores - busy))


class _Runner(Protocol):
    """Runs the transformer: token vectors of a batch and its attention mask, as numpy."""

    dimension: int
    max_seq_length: int

    def token_vectors(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]: ...


class _OnnxRunner:
    def __init__(self, model_path: Path, threads: int) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        config = _read_json(model_path / "config.json", model_path)
        tokenizer_config = _read_json(model_path / "tokenizer_config.json", model_path)
        self.dimension = int(config["hidden_size"])
        self.max_seq_length = min(int(config["max_position_embeddings"]), int(tokenizer_config.get("model_max_length", 512)))
        self._tokenizer = Tokenizer.from_file(str(model_path / "tokenizer.json"))
        self._tokenizer.enable_truncation(self.max_seq_length)
        self._tokenizer.enable_padding(pad_id=int(config["pad_token_id"]), pad_token=tokenizer_config.get("pad_token", "<pad>"))
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.log_severity_level = 3  # warnings about unused initializers are not the user's concern
        self._session = onnxruntime.InferenceSession(str(model_path / ONNX_FILE), options, providers=["CPUExecutionProvider"])

    def token_vectors(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        encoded = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        (tokens,) = self._session.run(None, dict(zip(INPUTS, (ids, mask))))
        return tokens, mask


class _TorchRunner:
    def __init__(self, model_path: Path, transformer_config: dict[str, Any], threads: int) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as transformers_logging

        torch.set_num_threads(threads)
        transformers_logging.disable_progress_bar()  # no "Loading weights" bar in CLI output
        self._tokenizer = AutoTokenizer.from_pretrained(str(model_path), local_files_only=True)
        model = AutoModel.from_pretrained(str(model_path), local_files_only=True, **transformer_config.get("model_kwargs", {}))
        self._model = model.eval()
        self.dimension = int(model.config.hidden_size)
        self.max_seq_length = int(
            transformer_config.get("max_seq_length") or min(model.config.max_position_embeddings, self._tokenizer.model_max_length)
        )

    def token_vectors(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        import torch

        encoded = self._tokenizer(texts, padding=True, truncation=True, max_length=self.max_seq_length, return_tensors="pt")
        with torch.inference_mode():
            tokens = self._model(**encoded).last_hidden_state
        return tokens.numpy(), encoded["attention_mask"].numpy()

    def count_tokens(self, text: str) -> int:
        return len(self._tokenizer(text, add_special_tokens=True, verbose=False)["input_ids"])


def _read_json(path: Path, model_path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise EmbeddingModelError(f"'{model_path}' is not a complete sentence-transformers model directory ({path.name}: {exc})") from exc
