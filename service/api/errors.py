"""The one table from domain exceptions to HTTP: status code and the Swedish message users read.

Routes and jobs raise domain exceptions only; `install` registers one handler per row, and
`describe` gives the same status and message for a job that failed in the background.
Errors are `{"detail": …}`, except on the OpenAI-compatible routes, where they take OpenAI's shape
`{"error": {"message", "type", "param", "code"}}` so that SDKs and chat front-ends show the message.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from ingest.embedding import EmbeddingModelError
from ingest.index.database import DatabaseUnavailableError
from ingest.index.disk import DiskFullError
from ingest.index.vectors import StoreError
from service.admission import QueryOverloadError
from service.answering.qa import DocumentNotFoundError
from service.api.middleware import BodyTooLargeError
from service.api.ratelimit import RateLimitedError
from service.api.schemas import ErrorOut, ValidationErrorOut
from service.api.security import CrossOriginError, ForbiddenScopeError, HostNotAllowedError, MissingKeyError, NotLocalError
from service.chat.feedback import FeedbackError
from service.chat.store import ConversationError, ConversationNotFoundError
from service.jobs import (
    CancelledOnRequest,
    DocumentExistsError,
    DocumentLimitExceeded,
    FileTooLargeError,
    JobCancelledError,
    JobFinishedError,
    JobNotFoundError,
    JobQueueFullError,
    JobTimeoutError,
    UnsupportedFileTypeError,
    UploadRejected,
)
from service.query.analysis import QuestionError
from service.query.retrieval import IndexNotReadyError, UnknownFilterError

log = logging.getLogger("auditqa")

NOT_BUILT = "Inget index är byggt ännu. Bygg det med `auditqa ingest` (eller `make run`)."
INTERNAL = "Ett internt fel inträffade; felet är loggat."


class OpenAIError(Exception):
    """A request the OpenAI schema rejects; rendered in OpenAI's shape, {"error": {...}}."""

    def __init__(self, status_code: int, message: str, param: str | None = None, code: str | None = None, type: str = "invalid_request_error") -> None:
        super().__init__(message)
        self.status_code, self.message, self.param, self.code, self.type = status_code, message, param, code, type

    def body(self) -> dict:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


@dataclass(frozen=True)
class OpenAIShape:
    """How a row reads on the OpenAI routes: OpenAI's status where it differs (it has no 422), code and param."""

    status_code: int | None = None
    code: str | None = None
    param: Callable[[Exception], str | None] | None = None


@dataclass(frozen=True)
class ErrorRule:
    exception: type[Exception]
    status_code: int
    body: Callable[[Exception], dict]
    headers: Callable[[Exception], dict[str, str]] | None = None
    openai: OpenAIShape = OpenAIShape()
    # Transient: the answer carries Retry-After (AUDITQA_RETRY_AFTER_S) so that a client backs off, then tries again.
    retry: bool = False


def _detail(message: Callable[[Exception], str]) -> Callable[[Exception], dict]:
    return lambda exc: {"detail": message(exc)}


def _filter_body(exc: Exception) -> dict:
    assert isinstance(exc, UnknownFilterError)
    return {"detail": f"Okänt filter: {exc}.", "valid": {exc.field_name: exc.valid}}


# Pydantic's messages for a number out of its bounds or not a number, in Swedish (a paging parameter's usual faults);
# others keep pydantic's wording inside the Swedish frame.
_SWEDISH_CHECKS = {
    "greater_than_equal": "ska vara minst {ge}",
    "greater_than": "ska vara större än {gt}",
    "less_than_equal": "får vara högst {le}",
    "less_than": "ska vara mindre än {lt}",
    "int_parsing": "ska vara ett heltal",
    "int_from_float": "ska vara ett heltal",
}


def _validation_body(exc: Exception) -> dict:
    assert isinstance(exc, RequestValidationError)
    problems = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error.get("loc", ()) if p != "body")
        swedish = _SWEDISH_CHECKS.get(str(error.get("type")))
        message = swedish.format(**error.get("ctx", {})) if swedish else str(error.get("msg")).removeprefix("Value error, ")
        problems.append(f"{where or 'begäran'}: {message} (fick {error.get('input')!r})")
    return {"detail": "Ogiltig begäran: " + "; ".join(problems)}


def _validation_param(exc: Exception) -> str | None:
    """The first field at fault, "messages.0.content"; a union's member tags ("function-after[…]") are no field."""
    assert isinstance(exc, RequestValidationError)
    for error in exc.errors():
        fields = []
        for part in error.get("loc", ())[1:]:  # after "body"
            if not str(part).isidentifier() and not isinstance(part, int):
                break
            fields.append(str(part))
        if fields:
            return ".".join(fields)
    return None


def _retry_after(exc: Exception) -> dict[str, str]:
    assert isinstance(exc, RateLimitedError)
    return {"Retry-After": str(exc.retry_after_s)}


# First match wins: subclasses before their base class.
ERRORS: tuple[ErrorRule, ...] = (
    ErrorRule(
        MissingKeyError, 401, _detail(str), lambda e: {"WWW-Authenticate": 'Bearer realm="auditqa"'}, OpenAIShape(code="invalid_api_key")
    ),
    ErrorRule(ForbiddenScopeError, 403, _detail(str)),
    ErrorRule(NotLocalError, 403, _detail(str)),
    ErrorRule(CrossOriginError, 403, _detail(str)),
    ErrorRule(HostNotAllowedError, 400, _detail(str)),
    ErrorRule(RateLimitedError, 429, _detail(str), _retry_after, OpenAIShape(code="rate_limit_exceeded")),
    ErrorRule(BodyTooLargeError, 413, _detail(str)),
    ErrorRule(DocumentExistsError, 409, _detail(str)),
    ErrorRule(QuestionError, 422, _detail(lambda e: f"Ogiltig fråga: {e}."), openai=OpenAIShape(400, param=lambda e: "messages")),
    ErrorRule(UnknownFilterError, 422, _filter_body, openai=OpenAIShape(400, param=lambda e: "filters")),
    ErrorRule(RequestValidationError, 422, _validation_body, openai=OpenAIShape(400, param=_validation_param)),
    ErrorRule(IndexNotReadyError, 503, _detail(lambda e: NOT_BUILT), openai=OpenAIShape(code="index_not_built")),
    ErrorRule(QueryOverloadError, 503, _detail(str), retry=True),
    ErrorRule(JobQueueFullError, 429, _detail(str), retry=True),
    ErrorRule(JobFinishedError, 409, _detail(str)),
    ErrorRule(CancelledOnRequest, 409, _detail(str)),
    ErrorRule(JobTimeoutError, 503, _detail(str)),
    ErrorRule(DiskFullError, 507, _detail(str)),
    ErrorRule(DocumentNotFoundError, 404, _detail(str)),
    ErrorRule(JobNotFoundError, 404, _detail(str)),
    ErrorRule(ConversationNotFoundError, 404, _detail(str)),
    ErrorRule(FileTooLargeError, 413, _detail(str)),
    ErrorRule(DocumentLimitExceeded, 413, _detail(str)),
    ErrorRule(UnsupportedFileTypeError, 415, _detail(str)),
    ErrorRule(JobCancelledError, 503, _detail(str), retry=True),
    ErrorRule(UploadRejected, 422, _detail(str)),
    ErrorRule(StoreError, 503, _detail(lambda e: f"Vektorlagret är inte tillgängligt: {e}"), retry=True),
    ErrorRule(DatabaseUnavailableError, 503, _detail(lambda e: f"Katalogen är inte tillgänglig: {e}"), retry=True),
    ErrorRule(EmbeddingModelError, 503, _detail(lambda e: f"Embeddingmodellen är inte tillgänglig: {e}")),
    ErrorRule(ConversationError, 503, _detail(lambda e: f"Samtalslagret är inte tillgängligt: {e}")),
    ErrorRule(FeedbackError, 503, _detail(lambda e: f"Återkopplingslagret är inte tillgängligt: {e}")),
)


# OpenAI's error types by status; anything else is a bad request.
OPENAI_TYPES = {401: "authentication_error", 403: "permission_error", 404: "not_found_error", 429: "rate_limit_error", 500: "server_error", 503: "server_error"}


def _openai_body(status_code: int, message: str, param: str | None = None, code: str | None = None) -> dict:
    return OpenAIError(status_code, message, param, code, OPENAI_TYPES.get(status_code, "invalid_request_error")).body()


def _rule(exc: BaseException) -> ErrorRule | None:
    return next((rule for rule in ERRORS if isinstance(exc, rule.exception)), None)


def describe(exc: BaseException, openai: bool = False) -> tuple[int, dict]:
    """The status code and JSON body an exception answers with (`openai`: in OpenAI's shape); anything unknown is a logged 500."""
    if isinstance(exc, OpenAIError):
        return exc.status_code, exc.body()
    if isinstance(exc, HTTPException):  # routing's own: an unknown path, a method the path does not take
        return exc.status_code, _openai_body(exc.status_code, str(exc.detail)) if openai else {"detail": exc.detail}
    rule = _rule(exc)
    if rule is None:
        return 500, _openai_body(500, INTERNAL) if openai else {"detail": INTERNAL}
    body = rule.body(exc)
    if not openai:
        return rule.status_code, body
    shape = rule.openai
    status_code = shape.status_code or rule.status_code
    return status_code, _openai_body(status_code, body["detail"], shape.param(exc) if shape.param else None, shape.code)


def response_for(exc: Exception, openai: bool = False, retry_after_s: int | None = None) -> JSONResponse:
    """The response to an exception: its status, its body and the headers its row names (WWW-Authenticate,
    Retry-After: the row's own, or `retry_after_s` for a transient failure)."""
    status_code, body = describe(exc, openai)
    if status_code == 500:
        log.error("unhandled error", exc_info=exc)
    rule = _rule(exc)
    headers = dict(rule.headers(exc) if rule is not None and rule.headers is not None else getattr(exc, "headers", None) or {})
    if rule is not None and rule.retry and retry_after_s is not None:
        headers["Retry-After"] = str(retry_after_s)
    return JSONResponse(status_code=status_code, content=body, headers=headers or None)


def responder(is_openai: Callable[[str], bool], retry_after_s: int) -> Callable[[Exception, str], JSONResponse]:
    """The response to an exception raised on a path: in OpenAI's shape where `is_openai(path)`."""
    return lambda exc, path: response_for(exc, is_openai(path), retry_after_s)


# The schema's side of the table: what each error status means to a client. Every route declares the statuses it can
# answer with (`documented`), each with the body model the table gives it, so that a client generated from
# /openapi.json, and the schema test that fuzzes it (tests/integration/service/test_openapi_fuzz.py), expect what comes.
STATUS_MEANINGS: dict[int, str] = {
    400: "The Host header names no host served here (AUDITQA_ALLOWED_HOSTS).",
    401: "No valid API key: send one as `Authorization: Bearer <key>`.",
    403: "The key lacks the scope; a state-changing request from another origin; without keys, a caller from another machine.",
    404: "Unknown id.",
    409: "Conflict with the current state.",
    413: "The request body is larger than AUDITQA_MAX_JSON_KB.",
    415: "The content is not PDF, DOCX, Markdown or text.",
    422: "Invalid request; the message quotes the bad value.",
    429: "Over the rate limit (AUDITQA_RATE_LIMIT_PER_MINUTE); try again after Retry-After seconds.",
    503: "No index built yet, too many queries at once (AUDITQA_MAX_CONCURRENT_QUERIES), or a store down; Retry-After when transient.",
    507: "The disk is full; the previous version stays live.",
}
_HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {"description": "Bearer realm=\"auditqa\"", "schema": {"type": "string"}}},
    429: {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}},
    503: {"Retry-After": {"description": "Seconds to wait, when the failure is transient.", "schema": {"type": "integer"}}},
}
# What every route behind an API key can answer: the Host and Origin checks, the key and its scope, the rate limit.
ACCESS = (400, 401, 403, 429)


def documented(*statuses: int, described: dict[int, str] | None = None, models: dict[int, type[BaseModel]] | None = None) -> dict[int | str, dict[str, Any]]:
    """The `responses` of a route's error statuses: each with its meaning (or the route's own, `described`) and the
    body model it answers with (ErrorOut, ValidationErrorOut for 422, or the route's own, `models`)."""
    described, models = described or {}, models or {}
    responses: dict[int | str, dict[str, Any]] = {}
    for status in sorted(set(statuses)):
        model = models.get(status) or (ValidationErrorOut if status == 422 else ErrorOut)
        entry: dict[str, Any] = {"model": model, "description": described.get(status, STATUS_MEANINGS[status])}
        if status in _HEADERS:
            entry["headers"] = _HEADERS[status]
        responses[status] = entry
    return responses


def install(app: FastAPI, respond: Callable[[Exception, str], JSONResponse]) -> None:
    async def handle(request: Request, exc: Exception) -> JSONResponse:
        return respond(exc, request.url.path)

    for exception in (OpenAIError, HTTPException, *(rule.exception for rule in ERRORS), Exception):
        app.add_exception_handler(exception, handle)
