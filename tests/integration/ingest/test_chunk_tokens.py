"""Parser and chunker on the five bundled reports: structure found, spans exact, sizes bounded."""


import pytest

from ingest.config import PROJECT_ROOT
from ingest.documents.loading import load_document
from ingest.structure.chunking import SectionChunker
from ingest.structure.parsing import ReportParser

CORPUS = PROJECT_ROOT / "corpus"


REPORTS = sorted(CORPUS.glob("*.txt"))


@pytest.mark.slow
def test_embedded_chunk_text_fits_the_model(embedder):
    """What is embedded (chunk plus its context) must stay under the model's 512 tokens, or it is truncated."""
    from ingest.documents.metadata import read_manifest, resolve_metadata
    from ingest.structure.chunking import embedding_text

    manifest = read_manifest(CORPUS)
    worst = 0
    for path in REPORTS:
        doc = load_document(path)
        metadata = resolve_metadata(path.stem, doc.text, manifest, str(path))
        for chunk in SectionChunker().run(path.stem, ReportParser().run(doc.text)):
            worst = max(worst, embedder.count_tokens(embedding_text(chunk, metadata)))
    assert worst <= embedder.max_seq_length, worst
