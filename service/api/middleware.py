"""The ASGI layer around the app: security headers on every response; before routing, the Host allow-list, the
Origin check and the size limit of JSON bodies (enforced while the body arrives, before anything parses it)."""

from collections.abc import Callable

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.api.security import CrossOriginError, HostNotAllowedError, check_origin, host_name

# The chat UI loads nothing but its own files and talks only to its own origin.
STRICT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"
)
# The /docs and /redoc pages (service/api/docs.py) start Swagger UI or ReDoc with an inline script; their assets
# are this service's own, so no external origin is allowed here either.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "worker-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"
)
SECURITY_HEADERS = {"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


class BodyTooLargeError(Exception):
    """A request body over the JSON limit."""

    def __init__(self, limit_bytes: int, size: int | None) -> None:
        said = f" (begäran anger {size:,} byte)".replace(",", " ") if size is not None else ""
        super().__init__(f"Begärans innehåll är för stort{said}: högst {limit_bytes / 1000:g} kB tillåts (AUDITQA_MAX_JSON_KB).")


class SecurityHeadersMiddleware:
    """Adds the Content-Security-Policy and the anti-framing, no-sniffing, no-referrer headers to every response."""

    def __init__(self, app: ASGIApp, docs_paths: frozenset[str]) -> None:
        self.app = app
        self.docs_paths = docs_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = DOCS_CSP if scope["path"] in self.docs_paths else STRICT_CSP

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in {"Content-Security-Policy": policy, **SECURITY_HEADERS}.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class RequestGuardMiddleware:
    """Refuses, before routing: a Host outside the allow-list (400), a state-changing request from another origin
    (403), a body over `max_body_bytes` on any endpoint but the uploads `is_upload(method, path)` names (413);
    `respond(exception, path)` renders the refusal."""

    def __init__(
        self,
        app: ASGIApp,
        hosts: frozenset[str] | None,
        origins: frozenset[str],
        max_body_bytes: int,
        is_upload: Callable[[str, str], bool],
        respond: Callable[[Exception, str], Response],
    ) -> None:
        self.app = app
        self.hosts = hosts
        self.origins = origins
        self.max_body_bytes = max_body_bytes
        self.is_upload = is_upload
        self.respond = respond

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        host = headers.get("host", "")
        try:
            if self.hosts is not None and host_name(host) not in self.hosts:
                raise HostNotAllowedError(f"Värdnamnet '{host[:100]}' betjänas inte här; lägg till det i AUDITQA_ALLOWED_HOSTS.")
            check_origin(scope["method"], headers.get("origin"), headers.get("sec-fetch-site"), scope["scheme"], host, self.origins)
        except (HostNotAllowedError, CrossOriginError) as exc:
            await self.respond(exc, scope["path"])(scope, receive, send)
            return
        if self.is_upload(scope["method"], scope["path"]):
            await self.app(scope, receive, send)
            return
        await self._limited(scope, receive, send, headers)

    async def _limited(self, scope: Scope, receive: Receive, send: Send, headers: Headers) -> None:
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            await self.respond(BodyTooLargeError(self.max_body_bytes, int(declared)), scope["path"])(scope, receive, send)
            return
        # The body is small by definition, so it is read whole here, counted as it comes (a chunked body
        # declares no length), and handed on; nothing downstream sees a byte of a body over the limit.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                await self.respond(BodyTooLargeError(self.max_body_bytes, None), scope["path"])(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
