"""The HTTP contract: request and response models (intranet tools and the eval harness depend on these names)."""

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from service.query.retrieval import Filters

_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _valid_unicode(value: str) -> str:
    # JSON may spell a lone surrogate ("\ud800"); it is no character, and no answer could quote or store it.
    found = _LONE_SURROGATE.search(value)
    if found:
        raise ValueError(f"texten innehåller ett ensamt surrogattecken (U+{ord(found.group()):04X} på plats {found.start() + 1}), som inte är giltig Unicode")
    return value


# Every string a request carries: valid Unicode, so it can be searched, stored and quoted back.
Text = Annotated[str, AfterValidator(_valid_unicode)]

VerdictOut = Literal["uppfyllt", "delvis uppfyllt", "ej uppfyllt"]
# The grade on the reports' ordinal scale; `verdict` is its three-step form ("uppfyllt" for fully and mainly).
LevelOut = Literal["fully", "mainly", "partly", "not"]


class FiltersIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    municipality: list[Text] = Field(default_factory=list)
    year: list[int] = Field(default_factory=list)
    document_id: list[Text] = Field(default_factory=list)

    def to_filters(self) -> Filters:
        return Filters(tuple(self.municipality), tuple(self.year), tuple(self.document_id))


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: Text
    top_k: int = Field(default=10, ge=1, le=100)
    filters: FiltersIn | None = None


class SearchResult(BaseModel):
    document_id: str
    title: str | None
    municipality: str | None
    year: int | None
    section: str
    heading_path: str
    # The part of the report the passage is in ("sammanfattning", "syfte", "iakttagelser" …); None where no
    # heading names one.
    part: str | None = None
    page: int | None
    char_start: int
    char_end: int
    text: str
    score: float


class SearchResponse(BaseModel):
    results: list[SearchResult]


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: Text
    conversation_id: Text | None = Field(
        default=None, max_length=200, description="Continue this conversation (an id a response gave); an unknown id starts a new one."
    )
    conversation: bool = Field(default=False, description="Keep this question as the first turn of a new conversation.")
    filters: FiltersIn | None = None
    top_k: int | None = Field(default=None, ge=1, le=50)
    offset: int = Field(
        default=0, ge=0, description="For a list answer over many reports: the first report it sets out (the response's page.next_offset)."
    )
    limit: int | None = Field(
        default=None, ge=1, le=100, description="For a list answer over many reports: how many reports it sets out (default 20); the others are counted."
    )
    stream: bool = Field(default=False, description="Answer as Server-Sent Events: answer pieces, then citations, then done.")


class CitationOut(BaseModel):
    n: int
    document_id: str
    title: str | None
    municipality: str | None
    year: int | None
    section: str
    # The part of the report the passage is in, as for search results.
    part: str | None = None
    page: int | None
    char_start: int
    char_end: int
    text: str | None = Field(description="The cited chunk's text; null when an earlier citation of the same response carries it (same document_id and char_start).")
    quote: str
    quote_start: int
    quote_end: int


class PageOut(BaseModel):
    offset: int
    limit: int
    total: int = Field(description="Reports the answer covers.")
    next_offset: int | None = Field(description="The offset that asks for the next reports; null on the last page.")


class AskResponse(BaseModel):
    answer: str
    grounded: bool
    citations: list[CitationOut]
    conversation_id: str | None = Field(description="The conversation the turn was kept in; null when the request asked for none.")
    answerer: str
    resolved_question: str | None = Field(default=None, description="The question as answered: a follow-up made self-contained from the conversation.")
    turn: int | None = Field(default=None, description="The kept turn's number in its conversation (what feedback names); null when not kept.")
    page: PageOut | None = Field(
        default=None, description="Set when a list answer over many reports sets out one page of them (offset, limit); the others are counted."
    )


class DocumentOut(BaseModel):
    document_id: str
    title: str | None
    municipality: str | None
    year: int | None
    date: str | None
    auditor: str | None
    firm: str | None
    chunks: int
    pages: int | None
    access_groups: list[str] = Field(default_factory=list, description="Groups whose keys may see the document; empty: every key.")


class DocumentList(BaseModel):
    documents: list[DocumentOut] = Field(description="`limit` of the documents the key may see, by id, from `offset`.")
    total: int = Field(description="Documents the key may see.")
    next_offset: int | None = Field(description="The offset of the next page; null on the last page.")
    municipalities: dict[str, int] = Field(description="Documents per municipality over every page, by name.")


class PageSpan(BaseModel):
    page: int
    char_start: int
    char_end: int


class DocumentDetail(DocumentOut):
    text: str
    # Where each page of the text is, for formats with pages (PDF, DOCX with page breaks); empty otherwise.
    page_spans: list[PageSpan] = Field(default_factory=list)


class FindingSourceOut(BaseModel):
    section: str
    char_start: int
    char_end: int
    quote: str
    verdict: VerdictOut | None
    level: LevelOut | None = None
    # The report's own words for the verdict at this place ("i allt väsentligt uppfyllt", "Delvis", "Gul").
    verdict_text: str | None = None


class FindingOut(BaseModel):
    document_id: str
    municipality: str | None
    year: int | None
    kind: Literal["kontrollmal", "rekommendation", "revisionsfraga", "revisionell_bedomning"]
    text: str
    section: str
    verdict: VerdictOut | None
    level: LevelOut | None = None
    # The report's own words for the verdict ("till viss del"); a revisionsfråga's answer, the overall assessment's grade.
    verdict_text: str | None = None
    motivation: str | None
    inconsistent: bool
    # Why a kontrollmål has no verdict ("Ej bedömt" in the report, or none found).
    note: str | None
    sources: list[FindingSourceOut]
    # Where the report's introduction lists the kontrollmål (no verdict there); null for other kinds.
    listed: FindingSourceOut | None = None


class FindingList(BaseModel):
    findings: list[FindingOut]
    total: int = Field(description="Findings matching the filters; `findings` holds `limit` of them from `offset`.")
    next_offset: int | None = Field(description="The offset of the next page; null on the last page.")


class FindingsReportSummary(BaseModel):
    document_id: str
    municipality: str | None
    year: int | None
    # "unread": the report states verdicts in a form the extractor could not read into kontrollmål.
    status: Literal["assessed", "no_assessments", "unread"]
    # Kontrollmål per verdict, "ej bedömt" for those without one.
    verdicts: dict[str, int]
    inconsistent: int
    rekommendationer: int


class FindingsSummary(BaseModel):
    reports: list[FindingsReportSummary]


class Health(BaseModel):
    status: str = Field(description="ok, no_index (nothing ingested yet) or unavailable (a dependency is down)")
    documents: int
    chunks: int
    dependencies: dict[str, str] = Field(
        default_factory=dict, description="catalog, vectors, lexical, model: 'ok' or, in Swedish, what is wrong."
    )


class ErrorOut(BaseModel):
    """The body of every error the API answers (but the OpenAI endpoints' own, OpenAIErrorOut): a Swedish message."""

    detail: str


class ValidationErrorOut(ErrorOut):
    """422: what was wrong with the request, quoting the bad value; an unknown filter value also lists the valid ones."""

    valid: dict[str, list[str | int]] | None = Field(default=None, description="For an unknown filter value: the field and its valid values.")


class HealthUnavailable(Health):
    """/healthz's 503: the health report and what is wrong."""

    detail: str


class OpenAIErrorDetail(BaseModel):
    message: str
    type: str
    param: str | None
    code: str | None


class OpenAIErrorOut(BaseModel):
    """An error of the OpenAI-compatible endpoints in OpenAI's shape."""

    error: OpenAIErrorDetail


# Upload API (service/documents_api.py): jobs that ingest an uploaded file or delete a document.


class UploadedDocument(DocumentOut):
    file: str = Field(description="The file the live version was read from (under uploads/ for an upload).")
    type: str = Field(description="The type found in the content: pdf, docx, md or txt.")
    state: Literal["added", "updated", "unchanged"]
    inferred: list[str] = Field(description="Metadata fields inferred from the text rather than given.")
    missing: list[str] = Field(description="Metadata fields neither given nor inferable.")
    job_id: str | None = None


class DeletedDocument(BaseModel):
    document_id: str
    deleted: bool
    chunks: int
    files_removed: list[str] = Field(description="Uploaded files removed with it; files outside uploads/ are kept.")


class JobAccepted(BaseModel):
    job_id: str
    status_url: str
    status: Literal["queued", "running", "done", "failed"]
    document_id: str
    file: str | None = None


class JobProgress(BaseModel):
    stage: str | None = Field(description="loading, parsing, embedding, storing, live, deleting, done")
    chunks_done: int
    chunks_total: int | None


class JobErrorOut(BaseModel):
    status_code: int
    detail: str


class JobOut(BaseModel):
    job_id: str
    kind: Literal["ingest", "delete"]
    status: Literal["queued", "running", "done", "failed", "cancelled"]
    status_url: str
    document_id: str
    file: str | None
    progress: JobProgress
    document: UploadedDocument | None = Field(default=None, description="When an ingest job is done.")
    deleted: DeletedDocument | None = Field(default=None, description="When a delete job is done.")
    error: JobErrorOut | None = Field(default=None, description="When the job failed or was cancelled.")
    created_at: str
    started_at: str | None
    finished_at: str | None


# Conversations and feedback (service/api/routes/conversations.py, feedback.py).


class ConversationOut(BaseModel):
    conversation_id: str
    title: str
    created_at: str
    updated_at: str
    turns: int


class ConversationList(BaseModel):
    conversations: list[ConversationOut]


class TurnOut(BaseModel):
    turn: int
    question: str
    resolved_question: str
    answer: str
    grounded: bool
    answerer: str
    citations: list[CitationOut]
    created_at: str


class ConversationDetail(ConversationOut):
    messages: list[TurnOut]


class ConversationRename(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: Text = Field(min_length=1, max_length=200)


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    conversation_id: Text = Field(max_length=200)
    turn: int = Field(ge=1, description="The turn's number, as /v1/ask answered it.")
    rating: Literal["up", "down"]
    comment: Text | None = Field(default=None, max_length=2000)


class FeedbackOut(BaseModel):
    feedback_id: int
    conversation_id: str
    turn: int
    rating: Literal["up", "down"]
    comment: str | None
    created_at: str
