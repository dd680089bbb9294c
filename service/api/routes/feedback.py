"""Feedback on answers: `POST /v1/feedback` (a 👍/👎 on a kept turn), `GET /v1/feedback/export` (eval items, JSONL).

The question, answer and citations are taken from the kept turn, never from the request, so feedback cannot
put words in an answer's mouth. Export is for admins: it holds every caller's questions.
"""

import json
from datetime import UTC, datetime

from fastapi import APIRouter, Response, status

from service.api.deps import ADMIN, READ, ChatDep, FeedbackDep
from service.api.errors import ACCESS, documented
from service.api.schemas import FeedbackIn, FeedbackOut
from service.chat.feedback import eval_item

router = APIRouter(tags=["Återkoppling"])


@router.post(
    "/v1/feedback", status_code=status.HTTP_201_CREATED, response_model=FeedbackOut, dependencies=[READ],
    responses=documented(*ACCESS, 404, 413, 422, 503, described={404: "The caller has no such conversation or turn"}),
)
def give_feedback(body: FeedbackIn, chat: ChatDep, store: FeedbackDep) -> FeedbackOut:
    turn = chat.turn(body.conversation_id, body.turn)
    saved = store.record(chat.owner, body.conversation_id, turn, body.rating, body.comment or None)
    return FeedbackOut(
        feedback_id=saved.id, conversation_id=saved.conversation_id, turn=saved.turn, rating=saved.rating, comment=saved.comment,
        created_at=datetime.fromtimestamp(saved.created_at, UTC).isoformat(timespec="seconds"),
    )


@router.get(
    "/v1/feedback/export", dependencies=[ADMIN],
    responses={
        200: {"content": {"application/x-ndjson": {}}, "description": "One eval item per line (evals/dataset.py)."},
        **documented(*ACCESS, 503),
    },
)
def export_feedback(store: FeedbackDep) -> Response:
    lines = "".join(json.dumps(eval_item(f), ensure_ascii=False) + "\n" for f in store.all())
    return Response(lines, media_type="application/x-ndjson", headers={"Content-Disposition": 'attachment; filename="feedback.jsonl"'})
