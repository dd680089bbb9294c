"""Background jobs of the upload API: ingest an uploaded file, delete a document.

One worker thread runs the jobs one at a time, in the order they were submitted: Chroma, the catalog and
the BM25 file have one writer at a time, and a DELETE queued behind an upload of the same document runs
after it. Queries never wait for a job: they read the live view, which the job reloads the moment a new
version is live (before the old version's vectors are deleted) and again when the job is done.

Jobs live in memory (the newest `KEEP_JOBS`); a restart forgets them. A job killed with its process
leaves the index as a crash mid-ingest does: the old version stays live and the next ingest collects the
new version's orphaned vectors. Files are staged under `uploads/.incoming/<job id>/` and moved into
`uploads/` by the worker, so a failed upload never replaces the file of a live document; the file a killed job
had moved in is put right at the next start (`reconcile_uploads`): the replaced file back, a new one removed.
"""

import logging
import shutil
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ingest.documents.loading import LoadError, load_document
from ingest.index.catalog import Catalog, DocumentRecord
from ingest.pipeline import Ingestor, document_id_for
from service.answering.qa import DocumentNotFoundError, QAService

log = logging.getLogger(__name__)

KEEP_JOBS = 1000
_STATUS_SV = {"queued": "köat", "running": "körs", "done": "klart", "failed": "misslyckat", "cancelled": "avbrutet"}
INCOMING = ".incoming"
STALE_STAGING_S = 24 * 3600

JobKind = Literal["ingest", "delete"]
JobStatus = Literal["queued", "running", "done", "failed", "cancelled"]


class UploadRejected(Exception):
    """An upload or job that cannot be carried out; the HTTP edge decides what status each kind answers with."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class DocumentExistsError(UploadRejected):
    """An upload whose document id is live or queued, without the request saying to replace it."""

    def __init__(self, document_id: str) -> None:
        super().__init__(
            f"Dokumentet '{document_id}' finns redan (eller väntar på att läsas in); inget ersattes. "
            f"Ladda upp med ?replace=true för att ersätta det."
        )


class FileTooLargeError(UploadRejected):
    """The file is larger than the upload limit."""


class UnsupportedFileTypeError(UploadRejected):
    """The content is none of the types a report can be read from."""


class InvalidFileNameError(UploadRejected):
    """The file name has nothing usable left once sanitized."""


class UnreadableDocumentError(UploadRejected):
    """The file has an accepted type but no report could be read from it (a scan without text, a broken PDF)."""


class DocumentLimitExceeded(UploadRejected):
    """The file unpacks to more than a document may (unpacked size, pages, text, chunks: AUDITQA_MAX_*)."""


class JobCancelledError(UploadRejected):
    """The service stopped before a queued job ran, or while it ran."""


class CancelledOnRequest(UploadRejected):
    """A client cancelled the job (`DELETE /v1/jobs/{id}`)."""


class JobTimeoutError(UploadRejected):
    """The job ran past AUDITQA_JOB_TIMEOUT_S; what it was replacing stays live."""


class JobQueueFullError(Exception):
    """As many jobs wait as AUDITQA_MAX_QUEUED_JOBS allows; the client should try again later."""


class JobFinishedError(Exception):
    """A job that has already finished cannot be cancelled."""


class JobNotFoundError(Exception):
    """No job with this id (unknown, or forgotten after a restart)."""


def unknown_job(job_id: str) -> JobNotFoundError:
    return JobNotFoundError(f"Jobbet '{job_id}' finns inte (okänt, eller glömt efter en omstart av tjänsten).")


@dataclass(frozen=True)
class IngestedDocument:
    """What an ingest job made live: the document, the file it was read from, and whether it was new."""

    record: DocumentRecord
    file: str
    file_type: str
    state: Literal["added", "updated", "unchanged"]


@dataclass(frozen=True)
class DeletedDocument:
    document_id: str
    chunks: int
    files_removed: list[str]


@dataclass
class StagedUpload:
    """An accepted upload waiting for the worker: the file as it will be stored, and the metadata given with it."""

    path: Path  # uploads/.incoming/<job id>/<stored name>
    original_name: str
    file_type: str
    metadata: dict[str, Any] = field(default_factory=dict)
    replace: bool = False  # whether it may replace a live document of the same id

    @property
    def name(self) -> str:
        return self.path.name


@dataclass
class Job:
    job_id: str
    kind: JobKind
    document_id: str
    file: str | None = None
    status: JobStatus = "queued"
    stage: str | None = None
    chunks_done: int = 0
    chunks_total: int | None = None
    result: IngestedDocument | DeletedDocument | None = None
    created_at: float = field(default_factory=time.time)
    started_at: float | None = None
    finished_at: float | None = None
    exception: BaseException | None = field(default=None, repr=False)
    upload: StagedUpload | None = field(default=None, repr=False)
    # The access groups of the job's document (() = public): a key that may not see the document does not see the job.
    access_groups: tuple[str, ...] = ()
    # Set while the job runs to stop it at its next stage boundary: the reason it fails with.
    stop: UploadRejected | None = field(default=None, repr=False)
    deadline: float | None = field(default=None, repr=False)
    _finished: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def finished(self) -> bool:
        return self._finished.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._finished.wait(timeout)


class JobRunner:
    """The single worker thread and the jobs it has run. `qa` gives the live QAService at the time a job runs."""

    def __init__(
        self, qa: Callable[[], QAService], keep: int = KEEP_JOBS, max_queued: int = 20, timeout_s: float = 1800.0
    ) -> None:
        self._qa = qa
        self._keep = keep
        self._max_queued = max_queued
        self._timeout_s = timeout_s
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._pending: list[Job] = []
        self._lock = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._work, name="auditqa-jobs", daemon=True)
        self._thread.start()

    # -- submitting and looking up -------------------------------------------------------------------

    def staging_dir(self, uploads: Path) -> tuple[str, Path]:
        """A fresh job id and the folder its upload is staged in (created)."""
        job_id = uuid.uuid4().hex
        folder = uploads / INCOMING / job_id
        folder.mkdir(parents=True, exist_ok=True)
        return job_id, folder

    def submit_upload(self, job_id: str, upload: StagedUpload, access_groups: tuple[str, ...] = ()) -> Job:
        """Queues the ingest of a staged upload; without `upload.replace`, a document of its id queued already is a
        DocumentExistsError (one live already is found by the route, and again by the worker when the job runs)."""
        document_id = document_id_for(upload.path)
        job = Job(job_id, "ingest", document_id, file=upload.name, upload=upload, access_groups=tuple(access_groups))
        with self._lock:
            if not upload.replace and self._pending_ingest(document_id):
                shutil.rmtree(upload.path.parent, ignore_errors=True)
                raise DocumentExistsError(document_id)
            return self._submit(job)

    def submit_delete(self, document_id: str, access_groups: tuple[str, ...] = ()) -> Job:
        return self._submit(Job(uuid.uuid4().hex, "delete", document_id, access_groups=tuple(access_groups)))

    def _submit(self, job: Job) -> Job:
        with self._lock:  # reentrant: submit_upload holds it while it checks and submits
            if self._closed:
                raise JobCancelledError("Tjänsten håller på att stängas och tar inte emot fler jobb; försök igen.")
            if len(self._pending) >= self._max_queued:
                raise JobQueueFullError(
                    f"{len(self._pending)} jobb väntar redan, vilket är gränsen (inställningen AUDITQA_MAX_QUEUED_JOBS = "
                    f"{self._max_queued}); försök igen om en stund."
                )
            self._jobs[job.job_id] = job
            self._pending.append(job)
            self._forget_old()
            self._lock.notify_all()
        return job

    def _forget_old(self) -> None:
        finished = [j for j in self._jobs.values() if j.finished]
        for job in finished[: max(0, len(self._jobs) - self._keep)]:
            del self._jobs[job.job_id]

    def get(self, job_id: str) -> Job:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise unknown_job(job_id)
        return job

    def jobs(self) -> list[Job]:
        with self._lock:
            return list(self._jobs.values())

    def pending_for(self, document_id: str) -> bool:
        """Whether a queued or running job will ingest this document."""
        with self._lock:
            return self._pending_ingest(document_id)

    def _pending_ingest(self, document_id: str) -> bool:
        return any(j.kind == "ingest" and j.document_id == document_id and not j.finished for j in self._jobs.values())

    def cancel(self, job_id: str) -> Job:
        """A queued job is cancelled at once; a running one at its next stage boundary (the version it was replacing
        stays live), unless it has already made its change live, in which case it finishes."""
        job = self.get(job_id)
        with self._lock:
            if job.finished:
                raise JobFinishedError(f"Jobbet '{job_id}' är redan avslutat ({_STATUS_SV[job.status]}) och kan inte avbrytas.")
            reason = CancelledOnRequest(f"Jobbet '{job_id}' avbröts på begäran.")
            if job in self._pending:
                self._pending.remove(job)
                self._end(job, "cancelled", reason)
            else:
                job.stop = reason
        return job

    def close(self, timeout: float = 5.0) -> bool:
        """Stop taking jobs; queued ones fail, a running one is cancelled at its next stage boundary and given
        `timeout` seconds for it (killed with the process after that, which leaves the index as any crash mid-ingest
        does: the old version stays live, and the next start puts its files right). Whether the worker stopped."""
        with self._lock:
            self._closed = True
            cancelled, self._pending = self._pending, []
            for job in self._jobs.values():
                if job.status == "running":
                    job.stop = JobCancelledError("Tjänsten stängdes medan jobbet kördes; försök igen.")
            self._lock.notify_all()
        for job in cancelled:
            self._end(job, "failed", JobCancelledError("Tjänsten stängdes innan jobbet hann köras; försök igen."))
        self._thread.join(timeout)
        return not self._thread.is_alive()

    @staticmethod
    def _end(job: Job, status: JobStatus, exception: BaseException | None = None) -> None:
        job.status, job.exception = status, exception
        job.finished_at = time.time()
        if job.upload is not None:
            shutil.rmtree(job.upload.path.parent, ignore_errors=True)
        job._finished.set()

    # -- the worker -------------------------------------------------------------------------------

    def _work(self) -> None:
        while True:
            with self._lock:
                while not self._pending and not self._closed:
                    self._lock.wait()
                if not self._pending:
                    return
                job = self._pending.pop(0)
            self._run(job)

    def _run(self, job: Job) -> None:
        job.status, job.started_at = "running", time.time()
        job.deadline = time.monotonic() + self._timeout_s
        try:
            job.result = self._ingest(job) if job.kind == "ingest" else self._delete(job)
        except BaseException as exc:  # noqa: BLE001 - a job's failure is reported, never kills the worker
            if not isinstance(exc, (UploadRejected, DocumentNotFoundError)):
                log.exception("job %s (%s %s) failed", job.job_id, job.kind, job.document_id)
            cancelled = isinstance(exc, (CancelledOnRequest, JobCancelledError))
            self._end(job, "cancelled" if cancelled else "failed", exc)
            if job.kind == "ingest":
                self._remove_leftover(job.document_id)
        else:
            self._end(job, "done")

    def _remove_leftover(self, document_id: str) -> None:
        """After a failed or cancelled ingest: its file, if the job left one, unless the document is live or another
        job will ingest it (the job restores what it moved, so this finds something only when that failed too)."""
        try:
            qa = self._qa()
            with self._lock:
                if self._pending_ingest(document_id):
                    return
                live = qa.retriever.catalog.content_hash(document_id) is not None
            if not live:
                for path in _uploaded_files(qa.settings.uploads_path, document_id):
                    log.warning("removing %s, left by a failed upload of %s", path, document_id)
                    path.unlink(missing_ok=True)
        except Exception:  # noqa: BLE001 - the catalog may be what failed; the next start-up tries again
            log.exception("checking for a leftover upload of %s failed", document_id)

    def _checkpoint(self, job: Job) -> None:
        """Where a job may stop: between stages, never after its change went live."""
        if job.stop is not None:
            raise job.stop
        if job.deadline is not None and time.monotonic() > job.deadline:
            raise JobTimeoutError(
                f"Jobbet avbröts efter {self._timeout_s:g} s, gränsen för ett jobb (inställningen AUDITQA_JOB_TIMEOUT_S); "
                "den tidigare versionen av dokumentet är kvar."
            )

    def _ingestor(self, qa: QAService) -> Ingestor:
        retriever = qa.retriever
        return Ingestor(qa.settings, qa.embedder, store=retriever.store, catalog=retriever.catalog)

    def _ingest(self, job: Job) -> IngestedDocument:
        upload = job.upload
        assert upload is not None
        qa = self._qa()
        ingestor = self._ingestor(qa)
        if not upload.replace and ingestor.catalog.content_hash(job.document_id) is not None:
            raise DocumentExistsError(job.document_id)  # went live while this job waited in the queue
        uploads = qa.settings.uploads_path
        final = uploads / upload.name
        backup = upload.path.parent / "previous"
        if final.exists():
            backup.mkdir(exist_ok=True)
            final.replace(backup / final.name)
        upload.path.replace(final)

        def stage(document_id: str, name: str, done: int, total: int) -> None:
            if name != "live":
                self._checkpoint(job)
            job.stage = name
            if name in ("embedding", "storing", "live"):
                job.chunks_done, job.chunks_total = done, total
            if name == "live":
                try:
                    qa.reload()  # before the old version's vectors go, so no query loses the document
                except Exception:  # noqa: BLE001 - the reload at the end of the job tries again
                    log.exception("reload after %s went live failed", document_id)

        metadata = dict(upload.metadata)
        if "access_groups" not in metadata:
            live = ingestor.catalog.document(job.document_id)
            if live is not None and live.metadata.access_groups:
                # A replacement keeps who may see the report unless the upload says: leaving the field out never
                # makes a restricted report public.
                metadata["access_groups"] = list(live.metadata.access_groups)
        manifest = {job.document_id: metadata} if metadata else None
        live_before = ingestor.catalog.content_hash(job.document_id)
        try:
            report = ingestor.run_files([final], manifest=manifest, stage=stage)
        except BaseException:
            if ingestor.catalog.content_hash(job.document_id) == live_before:
                _restore(final, backup)  # the new version never went live: its file goes, the old one comes back
            raise
        if report.failed:
            _restore(final, backup)
            name, message = report.failed[0]
            if upload.original_name != upload.name:
                message += f" (uppladdad som '{upload.original_name}')"
            raise (DocumentLimitExceeded if name in report.too_large else UnreadableDocumentError)(message)
        state = "added" if report.added else "updated" if report.updated else "unchanged"
        record = ingestor.catalog.document(job.document_id)
        _keep_only_source(uploads, record)
        self._qa().reload(if_changed=True)  # the view was rebuilt when the version went live, unless that failed
        job.stage = "done"
        return IngestedDocument(record, Path(record.source_path).name, upload.file_type, state)

    def _delete(self, job: Job) -> DeletedDocument:
        qa = self._qa()
        ingestor = self._ingestor(qa)
        record = ingestor.catalog.document(job.document_id)
        if record is None:
            raise DocumentNotFoundError(f"Dokumentet '{job.document_id}' finns inte; inget togs bort.")
        self._checkpoint(job)
        job.stage = "deleting"
        ingestor.finish_deletes()  # one a failed store left half done goes first
        files = _uploaded_files(qa.settings.uploads_path, record.document_id)
        try:
            ingestor.remove(job.document_id, files)
            ingestor.refresh_lexical()
        finally:
            # Also after a failed step, so that what queries see matches the catalog: the document, still whole.
            try:
                qa.reload()
            except Exception:  # noqa: BLE001 - the store error that stopped the delete is the one to report
                log.exception("reload after deleting %s failed", job.document_id)
        job.stage = "done"
        return DeletedDocument(job.document_id, record.chunk_count, [f.name for f in files])


def _restore(final: Path, backup: Path) -> None:
    """Undo the move of a failed upload: drop its file, put back the file it replaced."""
    final.unlink(missing_ok=True)
    previous = backup / final.name
    if previous.exists():
        previous.replace(final)


def _uploaded_files(uploads: Path, document_id: str) -> list[Path]:
    if not uploads.is_dir():
        return []
    return [p for p in uploads.iterdir() if p.is_file() and document_id_for(p) == document_id]


def _keep_only_source(uploads: Path, record: DocumentRecord) -> None:
    """After an upload, the document's live file is the only one of its files kept (a .txt replaced by a .pdf goes)."""
    source = Path(record.source_path).resolve()
    for path in _uploaded_files(uploads, record.document_id):
        if path.resolve() != source:
            path.unlink(missing_ok=True)


def reconcile_uploads(uploads: Path, catalog: Catalog) -> list[str]:
    """At start-up, before any job runs: put right what jobs killed with their process left in `uploads/` (a SIGTERM
    whose wait for the job ran out, kill -9, a power cut). A job that had started moved its file into `uploads/` and
    the file it replaces into its staging folder's `previous/`: the file the live version was read from goes back (its
    text is the catalog's), and a file no live version was read from is removed (a new document's, or a replacement
    of another type: "rapport.pdf" beside the live "rapport.txt"). Assumes one server per home, as the single job
    worker does. Returns what was done, one line each."""
    done: list[str] = []
    if not uploads.is_dir():
        return done
    live = {d.document_id: d for d in catalog.documents()}
    deleting = set(catalog.pending_deletes())
    incoming = uploads / INCOMING
    for previous in sorted(incoming.glob("*/previous/*")) if incoming.is_dir() else []:
        record = live.get(document_id_for(previous))
        current = uploads / previous.name
        if record is not None and Path(record.source_path).resolve() == current.resolve() and _text_of(previous) == catalog.document_text(record.document_id):
            previous.replace(current)
            done.append(f"restored {current.name}, the file of the live version")
        shutil.rmtree(previous.parent.parent, ignore_errors=True)
    sources = {Path(d.source_path).resolve() for d in live.values()}
    for path in sorted(uploads.iterdir()):
        if path.is_file() and not path.name.startswith(".") and document_id_for(path) not in deleting and path.resolve() not in sources:
            path.unlink(missing_ok=True)
            done.append(f"removed {path.name}, no live version was read from it")
    return done


def _text_of(path: Path) -> str | None:
    try:
        return load_document(path).text
    except (LoadError, OSError):
        return None


def clean_stale_staging(uploads: Path, older_than_s: float = STALE_STAGING_S) -> None:
    """Staging folders left by a process that died with jobs queued."""
    folder = uploads / INCOMING
    if not folder.is_dir():
        return
    cutoff = time.time() - older_than_s
    for child in folder.iterdir():
        try:
            if child.stat().st_mtime < cutoff:
                shutil.rmtree(child, ignore_errors=True)
        except OSError:
            continue
