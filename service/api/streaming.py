"""Server-Sent Events: the wire format of `POST /v1/ask` with `"stream": true`.

The answer is computed before the first byte is sent, so every error is still an ordinary HTTP
error; the stream then carries it in pieces: `answer` events (one sentence or line each), one
`citations` event with the full list, and a closing `done` event.
"""

import json
import re
from collections.abc import Iterable, Iterator

from fastapi.responses import StreamingResponse

from service.api.schemas import AskResponse

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
# Split after a line break, or after a sentence end followed by white space (a citation marker stays with
# its sentence); the pieces join to the text.
_PIECE_BOUNDARY = re.compile(r"(?<=\n)|(?<=[.!?])(?=[ \t]+(?!\[\d+\]))")


def answer_pieces(text: str) -> list[str]:
    """The answer cut at line and sentence ends; `"".join(answer_pieces(t)) == t`."""
    return [piece for piece in _PIECE_BOUNDARY.split(text) if piece]


def sse_event(event: str | None, data: object) -> str:
    payload = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    lines = "".join(f"data: {line}\n" for line in payload.split("\n"))
    return (f"event: {event}\n" if event else "") + lines + "\n"


def ask_events(response: AskResponse) -> Iterator[str]:
    for piece in answer_pieces(response.answer):
        yield sse_event("answer", {"text": piece})
    yield sse_event("citations", {"citations": [c.model_dump() for c in response.citations]})
    yield sse_event(
        "done",
        {
            "grounded": response.grounded,
            "conversation_id": response.conversation_id,
            "resolved_question": response.resolved_question,
            "answerer": response.answerer,
            "turn": response.turn,
            "page": response.page.model_dump() if response.page else None,
        },
    )


def sse_response(events: Iterable[str]) -> StreamingResponse:
    return StreamingResponse(events, media_type="text/event-stream", headers=SSE_HEADERS)
