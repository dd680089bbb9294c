"""Reports over HTTP: listing and reading them (`GET /v1/documents`, `GET /v1/documents/{id}`), adding and removing them (`POST /v1/documents`, `DELETE /v1/documents/{id}`, `GET /v1/jobs/{id}`).

Contract:
- `POST /v1/documents` (multipart/form-data: `file`, optional `municipality`, `year`, `title`, `date`, `auditor`,
  `firm`, `access_groups`: comma-separated groups whose keys may see the report, `*` for everyone; left out, the report
  is public, or on replace keeps the groups of the version it replaces) always queues an ingest job and answers 202 `{"job_id", "status_url", "status", "document_id", "file"}`;
  with `?wait=true` it waits for the job and answers 201 with the document (or the job's error status).
  Checked before a job is queued: size (413), type judged by content, not by the file name (415), file name
  (422). The file is stored in `<home>/uploads/` under its sanitized name, with the extension of the type
  found in it; the document id is that name's stem. A document of that id that is live or queued already is a
  409 unless the request says `?replace=true`: then the upload replaces it (metadata not given is inferred from
  the text again), never as a side effect of a file name. Errors found while reading the file, such
  as a scanned PDF that needs OCR, fail the job with status 422.
- `GET /v1/jobs/{id}`: status queued|running|done|failed|cancelled, progress (stage loading|parsing|embedding|storing|live,
  chunks done/total), the document when done, `error` {status_code, detail} when failed.
- `GET /v1/documents?offset=&limit=` lists the live documents the key may see, by id, `limit` (default and at most
  1000) from `offset`, with `total`, `next_offset` and the reports per municipality over every page;
  `GET /v1/documents/{id}` reads one by key.
- `DELETE /v1/documents/{id}` removes the document from the vector store, catalog, BM25 index and findings,
  and its uploaded file; it runs on the same queue as uploads (after any upload queued before it) and
  answers when done. An unknown id is a 404. It is all or nothing: a store that fails mid-delete answers 503 with
  the document still whole, and the delete is finished by the next job or start-up.
- At most AUDITQA_MAX_QUEUED_JOBS jobs wait; one more is refused with 429 and Retry-After.
- `DELETE /v1/jobs/{id}` cancels a job: a queued one at once, a running one at its next stage boundary (the version it
  was replacing stays live); a job that already made its change live finishes. 409 when the job has finished.
  A job running past AUDITQA_JOB_TIMEOUT_S fails the same way, with status 503.
"""

import shutil
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.routing import NoMatchFound

from ingest.documents.metadata import access_groups
from ingest.pipeline import document_id_for
from service.answering.qa import DocumentNotFoundError, QAService
from service.api.deps import ADMIN, READ, JobsDep, PrincipalDep, QADep, SettingsDep, VisibleQADep
from service.api.errors import ACCESS, documented
from service.api.presenters import deleted_out, document_out, job_out, uploaded_out
from service.api.schemas import DeletedDocument, DocumentDetail, DocumentList, JobAccepted, JobOut, PageSpan, UploadedDocument
from service.jobs import DocumentExistsError, IngestedDocument, Job, JobRunner, StagedUpload, unknown_job
from service.uploads import judge_type, sanitize_filename, too_large

router = APIRouter(tags=["Dokument"])

UPLOAD_PATH = "/v1/documents"

WAIT_TIMEOUT_S = 600.0
# GET /v1/documents: documents per page, by default and at most (every report, up to a thousand, as before paging).
DOCUMENTS_PAGE = 1000
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
    access_groups: str | None = Field(
        default=None, min_length=1, max_length=1000,
        description="Who may see the report: access groups, comma-separated; '*' for everyone. Left out: public, or on "
        "replace=true the groups of the version replaced.",
    )

    @field_validator("access_groups")
    @classmethod
    def _groups(cls, value: str | None) -> str | None:
        if value is not None:
            access_groups(value)  # AccessGroupError is a ValueError: a 422 naming the field
        return value

    def as_metadata(self) -> dict[str, Any]:
        """The fields given, as ingest takes them (access groups as a list; [] for '*')."""
        given = self.model_dump(exclude_none=True)
        if "access_groups" in given:
            given["access_groups"] = list(access_groups(given["access_groups"]))
        return given


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
    try:
        form = await request.form(max_files=1, max_fields=len(UploadMetadata.model_fields) + 1)
    except HTTPException as exc:  # Starlette's own 400, in English, for a form over its limits or one it cannot parse
        fields = ", ".join(("file", *UploadMetadata.model_fields))
        raise _validation_error("file", f"formuläret kunde inte läsas: det får innehålla en fil och högst fälten {fields}", exc.detail) from exc
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


def _live_groups(qa: QAService, document_id: str) -> tuple[str, ...]:
    record = qa.retriever.catalog.document(document_id)
    return record.metadata.access_groups if record else ()


def _stage(jobs: JobRunner, qa: QAService, upload: UploadFile, data: bytes, metadata: UploadMetadata, replace: bool) -> Job:
    name = sanitize_filename(upload.filename)
    kind, name = judge_type(data, name)
    document_id = document_id_for(Path(name))
    if not replace and qa.retriever.catalog.content_hash(document_id) is not None:
        raise DocumentExistsError(document_id)
    given = metadata.as_metadata()
    # The groups the document will have: those given, else on replace those it has (the worker keeps them), else none.
    groups = tuple(given["access_groups"]) if "access_groups" in given else _live_groups(qa, document_id) if replace else ()
    job_id, folder = jobs.staging_dir(qa.settings.uploads_path)
    try:
        path = folder / name
        path.write_bytes(data)
        staged = StagedUpload(path, upload.filename or name, kind, given, replace)
        return jobs.submit_upload(job_id, staged, groups)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)  # refused (a full queue, a full disk): nothing is left staged
        raise


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
        **documented(*ACCESS, 409, 413, 415, 422, 503, 507, described={
            409: "A document of this id is live or queued; upload with replace=true to replace it. With wait=true also a job cancelled on request.",
            413: "The file is larger than AUDITQA_MAX_UPLOAD_MB; with wait=true also one that unpacks past a document limit (AUDITQA_MAX_*).",
            422: "Bad metadata, form or file name; with wait=true also a file that cannot be read (a scan needing OCR).",
            429: "Over the rate limit, or AUDITQA_MAX_QUEUED_JOBS jobs wait already; try again after Retry-After seconds.",
            503: "With wait=true: the job ran past AUDITQA_JOB_TIMEOUT_S, the service stopped, or a store is down.",
        }),
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
    if job.exception is not None:
        raise job.exception
    document = uploaded_out(job.result, job.job_id)
    try:
        headers = {"Location": str(request.app.url_path_for("document", document_id=document.document_id))}
    except NoMatchFound:
        headers = {}
    return JSONResponse(status_code=status.HTTP_201_CREATED, content=document.model_dump(), headers=headers)


@router.get(
    "/v1/jobs/{job_id}", name="get_job", dependencies=[READ], response_model=JobOut,
    responses=documented(*ACCESS, 404, 422, described={404: "Unknown job"}),
)
def get_job(job_id: str, request: Request, jobs: JobsDep, principal: PrincipalDep) -> JobOut:
    job = jobs.get(job_id)
    groups = [job.access_groups]
    if isinstance(job.result, IngestedDocument):
        groups.append(job.result.record.metadata.access_groups)
    if not all(principal.access.admits_groups(g) for g in groups):
        # The job of a document the key may not see is as unknown as a job that does not exist.
        raise unknown_job(job_id)
    return job_out(job, _status_url(request, job))


@router.delete(
    "/v1/jobs/{job_id}",
    dependencies=[ADMIN],
    response_model=JobOut,
    responses=documented(*ACCESS, 404, 409, 422, described={404: "Unknown job", 409: "The job has already finished"}),
)
def cancel_job(job_id: str, request: Request, jobs: JobsDep) -> JobOut:
    job = jobs.cancel(job_id)
    return job_out(job, _status_url(request, job))


@router.delete(
    "/v1/documents/{document_id}",
    dependencies=[ADMIN],
    response_model=DeletedDocument,
    responses={
        202: {"model": JobAccepted, "description": "Still queued behind a long upload after the wait limit."},
        **documented(*ACCESS, 404, 409, 422, 503, 507, described={
            404: "Unknown document", 409: "The delete job was cancelled on request.", 503: "A store failed; the document is still whole.",
        }),
    },
)
async def delete_document(document_id: str, request: Request, jobs: JobsDep, qa: QADep):
    live = await run_in_threadpool(qa.retriever.catalog.document, document_id)
    if live is None and not jobs.pending_for(document_id):
        raise DocumentNotFoundError(f"Dokumentet '{document_id}' finns inte; inget togs bort.")
    job = jobs.submit_delete(document_id, live.metadata.access_groups if live else ())
    if not await _wait(job):
        return _accepted(request, job)
    if job.exception is not None:
        raise job.exception
    return deleted_out(job.result)


@router.get(
    "/v1/documents", response_model=DocumentList, dependencies=[READ],
    responses=documented(*ACCESS, 422, 503, described={422: "A negative offset, or a limit outside 1–1000"}),
)
def documents(
    qa: VisibleQADep,
    offset: int = Query(default=0, ge=0, description="The first document to return, by id (the previous page's next_offset)."),
    limit: int = Query(default=DOCUMENTS_PAGE, ge=1, le=DOCUMENTS_PAGE, description="Documents per page."),
) -> DocumentList:
    found, total = qa.documents(offset, limit)
    end = offset + limit
    return DocumentList(
        documents=[document_out(d) for d in found], total=total, next_offset=end if end < total else None,
        municipalities=qa.retriever.view.reports_per_municipality,
    )


@router.get(
    "/v1/documents/{document_id}", response_model=DocumentDetail, dependencies=[READ],
    responses=documented(*ACCESS, 404, 422, 503, described={404: "Unknown document"}),
)
def document(document_id: str, qa: VisibleQADep) -> DocumentDetail:
    # A document the key may not see is a 404 like an unknown one, so that its existence does not show.
    record, text = qa.document(document_id)
    spans = [PageSpan(page=n, char_start=start, char_end=end) for n, start, end in record.pages]
    return DocumentDetail(**document_out(record).model_dump(), text=text, page_spans=spans)
