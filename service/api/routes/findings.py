"""Findings as data: `GET /v1/findings`, `GET /v1/findings/summary`."""

from fastapi import APIRouter, Query

from service.api.deps import READ, ReadyVisibleQADep
from service.api.errors import ACCESS, documented
from service.api.schemas import FindingList, FindingOut, FindingsReportSummary, FindingsSummary

router = APIRouter(dependencies=[READ])


@router.get(
    "/v1/findings", response_model=FindingList,
    responses=documented(*ACCESS, 422, 503, described={422: "Unknown filter value; the valid ones are named"}),
)
def findings(
    qa: ReadyVisibleQADep, municipality: str | None = None, verdict: str | None = None, document_id: str | None = None, kind: str | None = None,
    offset: int = Query(default=0, ge=0, description="The first finding to return (the previous page's next_offset)."),
    limit: int = Query(default=500, ge=1, le=1000, description="Findings per page."),
) -> FindingList:
    # An empty parameter ("?verdict=") means no filter, as forms send it.
    found, total = qa.findings_page(municipality or None, verdict or None, document_id or None, kind or None, offset, limit)
    end = offset + limit
    return FindingList(findings=[FindingOut(**f.to_dict()) for f in found], total=total, next_offset=end if end < total else None)


@router.get("/v1/findings/summary", response_model=FindingsSummary, responses=documented(*ACCESS, 503))
def findings_summary(qa: ReadyVisibleQADep) -> FindingsSummary:
    return FindingsSummary(reports=[FindingsReportSummary(**entry) for entry in qa.findings_summary()])
