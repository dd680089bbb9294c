"""Adding and removing reports over HTTP: `POST /v1/documents`, `DELETE /v1/documents/{id}`, `GET /v1/jobs/{id}`.

Contract:
- `POST /v1/documents` (multipart/form-data: `file`, optional `municipality`, `year`, `title`, `date`, `auditor`,
  `firm`) always queues an ingest job and answers 202 `{"job_id", "status_url", "status", "document_id", "file"}`;
  with `?wait=true` it waits for the job and answers 201 with the document (or the job's error status).
  Checked before a job is queued: size (413), type judged by content, not by the file name (415), file name
  (422). The file is stored in `<home>/uploads/` under its sanitized name, with the extension of the type
  found in it; the document id is that name's stem. A document of that id that is live or queued already is a
  409 unless the request says `?replace=true`: then the upload replaces it (metadata not given is inferred from
  the text again), never as a side effect of a file name. Errors found while reading the file, such
  as a scanned PDF that needs OCR, fail the job with status 422.
- `GET /v1/jobs/{id}`: status queued|running|done|failed, progress (stage loading|parsing|embedding|storing|live,
  chunks done/total), the document when done, `error` {status_code, detail} when failed.
- `DELETE /v1/documents/{id}` removes the document from the vector store, catalog, BM25 index and findings,
  and its uploaded file; it runs on the same queue as uploads (after any upload queued before it) and
  answers when done. An unknown id is a 404.
"""

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.datastructures import UploadFile
from starlette.routing import NoMatchFound

from ingest.pipeline import document_id_for
from service.answering.qa import DocumentNotFoundError, QAService
from service.api.deps import ADMIN, READ, JobsDep, QADep, SettingsDep
from service.api.presenters import deleted_out, document_out, job_out, uploaded_out
from service.api.schemas import DeletedDocument, DocumentDetail, DocumentList, JobAccepted, JobOut, PageSpan, UploadedDocument
from service.jobs import DocumentExistsError, Job, JobRunner, StagedUpload
from service.uploads import judge_type, sanitize_filename, too_large

router = APIRouter(tags=["Dokument"])

UPLOAD_PATH = "/v1/documents"

WAIT_TIMEOUT_S = 600.0
# What a multipart body may carry beyond the file itself: boundaries, part headers, the metadata fields.
FORM_OVERHEAD_BYTES = 64 * 1024


class UploadMetadata(BaseModel):
    """Metadata given with an upload; a field left out is inferred from the report's text."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    municipality: str | None = Field(default=None, min_length=1, max_length=100)
    year: int | None = Field(default=None, ge=1900, le=2100)
    title: str | None = Field(default=None, min_length=1, max_length=500)
    date: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$", description="YYYY-MM-DD")
    auditor: str | None = Field(default=None, min_length=1, max_length=200)
    firm: str | None = Field(default=None, min_length=1, max_length=200)


_FORM_SCHEMA = {
    "type": "object",
    "required": ["file"],
    "properties": {
        "file": {"type": "string", "format": "binary", "description": "The report: PDF, DOCX, Markdown or text."},
        **{
            name: {k: v for k, v in schema.items() if k in ("type", "anyOf", "description", "pattern", "minimum", "maximum")}
            for name, schema in UploadMetadata.model_json_schema()["properties"].items()
        },
    },
}


def _validation_error(field: str, message: str, value: Any = None) -> RequestValidationError:
    return RequestValidationError([{"loc": ("body", field), "msg": message, "type": "value_error", "input": value}])


async def _read_form(request: Request, limit_mb: float) -> tuple[UploadFile, UploadMetadata]:
    limit = int(limit_mb * 1e6)
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit + FORM_OVERHEAD_BYTES:
        # Refused before the body is read, so a huge upload does not fill the disk first.
        raise too_large(None, int(declared), limit_mb)
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        raise _validation_error("file", "förväntade multipart/form-data med en fil i fältet 'file'", content_type or None)
    form = await request.form(max_files=1, max_fields=len(UploadMetadata.model_fields) + 1)
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise _validation_error("file", "fältet 'file' saknas eller är ingen fil", None if upload is None else str(upload)[:100])
    fields = {k: v for k, v in form.items() if k != "file" and isinstance(v, str) and v.strip()}
    try:
        metadata = UploadMetadata.model_validate(fields)
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]) from exc
    if upload.size is not None and upload.size > limit:
        raise too_large(upload.filename, upload.size, limit_mb)
    return upload, metadata


def _stage(jobs: JobRunner, qa: QAService, upload: UploadFile, data: bytes, metadata: UploadMetadata, replace: bool) -> Job:
    name = sanitize_filename(upload.filename)
    kind, name = judge_type(data, name)
    if not replace and qa.retriever.catalog.content_hash(document_id_for(Path(name))) is not None:
        raise DocumentExistsError(document_id_for(Path(name)))
    job_id, folder = jobs.staging_dir(qa.settings.uploads_path)
    path = folder / name
    path.write_bytes(data)
    staged = StagedUpload(path, upload.filename or name, kind, metadata.model_dump(exclude_none=True), replace)
    return jobs.submit_upload(job_id, staged)


def _status_url(request: Request, job: Job) -> str:
    return str(request.app.url_path_for("get_job", job_id=job.job_id))


def _accepted(request: Request, job: Job) -> JSONResponse:
    url = _status_url(request, job)
    body = JobAccepted(job_id=job.job_id, status_url=url, status=job.status, document_id=job.document_id, file=job.file)
    return JSONResponse(status_code=status.HTTP_202_ACCEPTED, content=body.model_dump(), headers={"Location": url})


async def _wait(job: Job) -> bool:
    return await run_in_threadpool(job.wait, WAIT_TIMEOUT_S)


@router.post(
    UPLOAD_PATH,
    dependencies=[ADMIN],
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobAccepted,
    responses={
        201: {"model": UploadedDocument, "description": "With wait=true: the document, ingested."},
        409: {"description": "A document of this id is live or queued; upload with replace=true to replace it."},
        413: {"description": "The file is larger than AUDITQA_MAX_UPLOAD_MB."},
        415: {"description": "The content is not PDF, DOCX, Markdown or text."},
        422: {"description": "Bad metadata or file name; with wait=true also a file that cannot be read (a scan needing OCR)."},
    },
    openapi_extra={"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": _FORM_SCHEMA}}}},
)
async def upload_document(
    request: Request,
    jobs: JobsDep,
    settings: SettingsDep,
    qa: QADep,
    wait: Annotated[bool, Query(description="Wait for the ingest and answer 201 with the document.")] = False,
    replace: Annotated[bool, Query(description="Replace the document of the same id if there is one (else 409).")] = False,
):
    upload, metadata = await _read_form(request, settings.max_upload_mb)
    try:
        data = await upload.read()
    finally:
        await upload.close()
    if len(data) > settings.max_upload_mb * 1e6:
        raise too_large(upload.filename, len(data), settings.max_upload_mb)
    job = await run_in_threadpool(_stage, jobs, qa, upload, data, metadata, replace)
    if not wait or not await _wait(job):
        return _accepted(request, job)
    if job.status == "failed":
        raise job.exception
    document = uploaded_out(job.result, job.job_id)
    try:
        headers = {"Location": str(request.app.url_path_for("document", document_id=document.document_id))}
    except NoMatchFound:
        headers = {}
    return JSONResponse(status_code=status.HTTP_201_CREATED, content=document.model_dump(), headers=headers)


@router.get("/v1/jobs/{job_id}", name="get_job", dependencies=[READ], response_model=JobOut, responses={404: {"description": "Unknown job"}})
def get_job(job_id: str, request: Request, jobs: JobsDep) -> JobOut:
    job = jobs.get(job_id)
    return job_out(job, _status_url(request, job))


@router.delete(
    "/v1/documents/{document_id}",
    dependencies=[ADMIN],
    response_model=DeletedDocument,
    responses={
        202: {"model": JobAccepted, "description": "Still queued behind a long upload after the wait limit."},
        404: {"description": "Unknown document"},
    },
)
async def delete_document(document_id: str, request: Request, jobs: JobsDep, qa: QADep):
    live = {d.document_id for d in await run_in_threadpool(qa.retriever.catalog.documents)}
    if document_id not in live and not jobs.pending_for(document_id):
        raise DocumentNotFoundError(f"Dokumentet '{document_id}' finns inte; inget togs bort.")
    job = jobs.submit_delete(document_id)
    if not await _wait(job):
        return _accepted(request, job)
    if job.status == "failed":
        raise job.exception
    return deleted_out(job.result)


@router.get("/v1/documents", response_model=DocumentList, dependencies=[READ])
def documents(qa: QADep) -> DocumentList:
    return DocumentList(documents=[document_out(d) for d in qa.retriever.catalog.documents()])


@router.get("/v1/documents/{document_id}", response_model=DocumentDetail, dependencies=[READ], responses={404: {"description": "Unknown document"}})
def document(document_id: str, qa: QADep) -> DocumentDetail:
    record, text = qa.document(document_id)
    spans = [PageSpan(page=n, char_start=start, char_end=end) for n, start, end in record.pages]
    return DocumentDetail(**document_out(record).model_dump(), text=text, page_spans=spans)
