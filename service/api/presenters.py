"""From the domain's dataclasses to the HTTP contract's models (schemas.py); shared by every route and the CLI."""

from collections.abc import Iterable
from datetime import UTC, datetime

from ingest.index.catalog import DocumentRecord
from service.answering.base import Answer, Paged
from service.api.errors import describe
from service.api.schemas import (
    CitationOut,
    DeletedDocument,
    DocumentOut,
    JobErrorOut,
    JobOut,
    JobProgress,
    PageOut,
    SearchResult,
    UploadedDocument,
)
from service.jobs import DeletedDocument as DeletedResult
from service.jobs import IngestedDocument, Job
from service.query.retrieval import ScoredChunk


def citations_out(answer: Answer) -> list[CitationOut]:
    return unique_citations(c.as_dict() for c in answer.citations)


def unique_citations(citations: Iterable[dict], seen: set[tuple[str, int]] | None = None) -> list[CitationOut]:
    """Citations (Citation.as_dict) as the API shows them, each chunk's text with its first citation only (`seen`:
    the chunks an earlier part of the same response carries): a list answer cites many items of one chunk, and the
    text repeated with each made a response grow with the chunk's length times its items."""
    seen = set() if seen is None else seen
    out = []
    for citation in citations:
        key = (citation["document_id"], citation["char_start"])
        out.append(CitationOut(**{**citation, "text": None if key in seen else citation["text"]}))
        seen.add(key)
    return out


def chunk_texts(citations: Iterable[dict]) -> list[str]:
    """Each citation's chunk text, as a client reads a response (CitationOut dumped): its own, or that of the earlier
    citation of the same chunk that carries it (unique_citations)."""
    carried: dict[tuple[str, int], str] = {}
    return [carried.setdefault((c["document_id"], c["char_start"]), c["text"]) for c in citations]


def page_out(page: Paged | None) -> PageOut | None:
    return None if page is None else PageOut(offset=page.offset, limit=page.limit, total=page.total, next_offset=page.next_offset)


def search_result(hit: ScoredChunk) -> SearchResult:
    chunk, meta = hit.record.chunk, hit.record.metadata
    return SearchResult(
        document_id=chunk.document_id, title=meta.title, municipality=meta.municipality, year=meta.year,
        section=chunk.section, heading_path=chunk.heading_path, part=chunk.part or None, page=chunk.page, char_start=chunk.char_start,
        char_end=chunk.char_end, text=chunk.text, score=round(hit.score, 6),
    )


def document_out(record: DocumentRecord) -> DocumentOut:
    meta = record.metadata
    return DocumentOut(
        document_id=record.document_id, title=meta.title, municipality=meta.municipality, year=meta.year,
        date=meta.date, auditor=meta.auditor, firm=meta.firm, chunks=record.chunk_count,
        pages=len(record.pages) or None, access_groups=list(meta.access_groups),
    )


def uploaded_out(result: IngestedDocument, job_id: str | None = None) -> UploadedDocument:
    meta = result.record.metadata
    return UploadedDocument(
        **document_out(result.record).model_dump(), file=result.file, type=result.file_type, state=result.state,
        inferred=list(meta.inferred), missing=list(meta.missing), job_id=job_id,
    )


def deleted_out(result: DeletedResult) -> DeletedDocument:
    return DeletedDocument(document_id=result.document_id, deleted=True, chunks=result.chunks, files_removed=result.files_removed)


def _iso(timestamp: float | None) -> str | None:
    return None if timestamp is None else datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="milliseconds")


def job_out(job: Job, status_url: str) -> JobOut:
    error = None
    if job.exception is not None:
        status_code, body = describe(job.exception)
        error = JobErrorOut(status_code=status_code, detail=body.get("detail", str(job.exception)))
    return JobOut(
        job_id=job.job_id, kind=job.kind, status=job.status, status_url=status_url, document_id=job.document_id,
        file=job.file, progress=JobProgress(stage=job.stage, chunks_done=job.chunks_done, chunks_total=job.chunks_total),
        document=uploaded_out(job.result) if isinstance(job.result, IngestedDocument) else None,
        deleted=deleted_out(job.result) if isinstance(job.result, DeletedResult) else None,
        error=error,
        created_at=_iso(job.created_at), started_at=_iso(job.started_at), finished_at=_iso(job.finished_at),
    )
