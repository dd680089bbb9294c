"""Access control and request hygiene on the real app (fake embedder): API keys and scopes, the loopback rule
without keys, Host and Origin checks, security headers, CORS, rate limits, body limits, bad Unicode, explicit
replace and conversations that belong to their key."""

import re

import pytest
from fastapi.testclient import TestClient
from fixtures.fake_embedder import FakeEmbedder
from fixtures.homes import CORPUS, FIXTURE_REPORTS, ingested_corpus, make_settings

from service.api.app import STATIC_DIR, create_app
from service.api.ratelimit import RateLimitedError, RateLimiter
from service.api.security import KeyConfigError, KeyRing
from service.query.analysis import QuestionError, check_question

READ_KEY = "read-0123456789abcdef"
ADMIN_KEY = "admin-0123456789abcdef"
KEYS = f"read:{READ_KEY},admin:{ADMIN_KEY}"
VAXJO = FIXTURE_REPORTS / "vaxjo-2019-forstudie-ensamkommande.txt"
ALVESTA = CORPUS / "alvesta-2018-introduktion-nyanlanda.txt"


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    return ingested_corpus(tmp_path_factory, "security-home")


@pytest.fixture(scope="module")
def embedder():
    return FakeEmbedder()


@pytest.fixture
def app_with(settings, embedder):
    """A client of the app over the module's home with some settings changed."""
    opened = []

    def build(client: tuple[str, int] = ("testclient", 50000), **changes) -> TestClient:
        test_client = TestClient(create_app(make_settings(settings.home, **changes), embedder), client=client)
        opened.append(test_client.__enter__())
        return test_client

    yield build
    for test_client in opened:
        test_client.__exit__(None, None, None)


@pytest.fixture
def keyed(app_with):
    return app_with(api_keys=KEYS)


# -- API keys -------------------------------------------------------------------------------------


def test_without_a_key_the_api_is_401_with_a_bearer_challenge(keyed):
    # The OpenAI routes say the same in OpenAI's shape (tests/unit/service/test_openai_api.py).
    for response in (keyed.get("/v1/documents"), keyed.post("/v1/ask", json={"question": "Vad?"})):
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert "API-nyckel krävs" in response.json()["detail"]


def test_a_wrong_key_is_401_and_never_echoed(keyed):
    wrong = "read-fedcba9876543210"
    response = keyed.get("/v1/documents", headers=bearer(wrong))
    assert response.status_code == 401 and "ogiltig" in response.json()["detail"]
    assert wrong not in response.text
    assert keyed.get("/v1/documents", headers={"Authorization": f"Basic {READ_KEY}"}).status_code == 401


@pytest.mark.parametrize("path", ["/healthz", "/", "/static/app.js", "/docs", "/redoc", "/openapi.json"])
def test_health_ui_and_docs_stay_open(keyed, path):
    assert keyed.get(path).status_code == 200


def test_a_read_key_reads_everything_and_changes_nothing(keyed):
    read = bearer(READ_KEY)
    assert keyed.get("/v1/documents", headers=read).status_code == 200
    assert keyed.get("/v1/documents/alvesta-2018-introduktion-nyanlanda", headers=read).status_code == 200
    assert keyed.post("/v1/search", json={"query": "kontrollmål"}, headers=read).status_code == 200
    assert keyed.post("/v1/ask", json={"question": "Vilka rekommendationer gavs i Alvesta?"}, headers=read).status_code == 200
    assert keyed.get("/v1/findings", headers=read).status_code == 200
    assert keyed.get("/v1/findings/summary", headers=read).status_code == 200
    assert keyed.get("/v1/models", headers=read).status_code == 200
    completion = {"model": "auditqa-extractive", "messages": [{"role": "user", "content": "Vilka rekommendationer gavs i Alvesta?"}]}
    assert keyed.post("/v1/chat/completions", json=completion, headers=read).status_code == 200
    assert keyed.get("/v1/jobs/okänt-jobb", headers=read).status_code == 404

    upload = keyed.post("/v1/documents", files={"file": (VAXJO.name, VAXJO.read_bytes(), "text/plain")}, headers=read)
    assert upload.status_code == 403 and "'admin'" in upload.json()["detail"]
    delete = keyed.delete("/v1/documents/alvesta-2018-introduktion-nyanlanda", headers=read)
    assert delete.status_code == 403
    assert keyed.delete("/v1/jobs/okänt-jobb", headers=read).status_code == 403  # cancelling a job changes the index
    assert keyed.delete("/v1/jobs/okänt-jobb").status_code == 401
    assert keyed.get("/healthz").json()["documents"] == 5


def test_an_admin_key_uploads_and_deletes_and_reads(keyed):
    admin = bearer(ADMIN_KEY)
    response = keyed.post("/v1/documents?wait=true", files={"file": (VAXJO.name, VAXJO.read_bytes(), "text/plain")}, headers=admin)
    assert response.status_code == 201, response.text
    assert keyed.get(f"/v1/documents/{VAXJO.stem}", headers=admin).status_code == 200
    assert keyed.delete(f"/v1/documents/{VAXJO.stem}", headers=admin).status_code == 200


def test_keys_come_from_a_file_with_comments(app_with, tmp_path):
    path = tmp_path / "keys.txt"
    path.write_text(f"# the audit team\nread:{READ_KEY}  # shared\n\nadmin:{ADMIN_KEY}\n", encoding="utf-8")
    client = app_with(api_keys_file=path)
    assert client.get("/v1/documents", headers=bearer(READ_KEY)).status_code == 200
    assert client.get("/v1/documents").status_code == 401


@pytest.mark.parametrize(("keys", "said"), [
    ("read", "inget ':'"),
    ("root:0123456789abcdef0", "okänd behörighet 'root'"),
    ("read:kort", "minst 16 tecken"),
    (f"read:{READ_KEY},admin:{READ_KEY}", "samma nyckel"),
])
def test_malformed_keys_are_refused_at_start_up(settings, keys, said):
    with pytest.raises(KeyConfigError, match=said) as caught:
        create_app(make_settings(settings.home, api_keys=keys), FakeEmbedder())
    assert READ_KEY not in str(caught.value)


def test_key_ring_hashes_and_scopes():
    ring = KeyRing.from_settings(make_settings(CORPUS, api_keys=KEYS))
    assert READ_KEY not in repr(vars(ring)) and ring.scope_of(READ_KEY) == "read" and ring.scope_of(ADMIN_KEY) == "admin"
    assert ring.scope_of(READ_KEY + "x") is None
    admin = ring.identify(ADMIN_KEY, "10.0.0.1")
    assert admin.can("read") and admin.can("admin") and admin.bucket == f"key:{admin.owner}"
    assert not ring.identify(None, "10.0.0.1").scopes


# -- without keys: this machine only --------------------------------------------------------------


def test_without_keys_a_caller_from_another_machine_is_refused(app_with):
    remote = app_with(client=("10.1.2.3", 40000))
    response = remote.get("/v1/documents")
    assert response.status_code == 403 and "10.1.2.3" in response.json()["detail"]
    assert remote.get("/healthz").status_code == 200
    assert app_with(client=("127.0.0.1", 40000)).get("/v1/documents").status_code == 200
    assert app_with(client=("10.1.2.3", 40000), allow_unauthenticated=True).get("/v1/documents").status_code == 200


def test_serve_refuses_a_public_address_without_keys(monkeypatch, capsys):
    import uvicorn

    from ingest.config import get_settings
    from service import cli

    started = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: started.append(options))
    for name in ("AUDITQA_API_KEYS", "AUDITQA_API_KEYS_FILE", "AUDITQA_ALLOW_UNAUTHENTICATED"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    try:
        assert cli.main(["serve", "--host", "0.0.0.0"]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "0.0.0.0" in err and "AUDITQA_API_KEYS" in err
        monkeypatch.setenv("AUDITQA_API_KEYS", "read:kort")
        get_settings.cache_clear()
        assert cli.main(["serve", "--host", "0.0.0.0"]) == 2
        assert "minst 16 tecken" in capsys.readouterr().err
        assert not started
        assert cli.main(["serve", "--host", "0.0.0.0", "--allow-unauthenticated", "--port", "8123"]) == 2  # the keys are still bad
        monkeypatch.setenv("AUDITQA_API_KEYS", KEYS)
        get_settings.cache_clear()
        assert cli.main(["serve", "--host", "0.0.0.0", "--port", "8123"]) == 0
        monkeypatch.delenv("AUDITQA_API_KEYS")
        get_settings.cache_clear()
        assert cli.main(["serve", "--host", "0.0.0.0", "--allow-unauthenticated"]) == 0
        assert [s["host"] for s in started] == ["0.0.0.0", "0.0.0.0"] and started[0]["port"] == 8123
    finally:
        get_settings.cache_clear()


# -- Host, Origin, headers, CORS ------------------------------------------------------------------


def test_an_unknown_host_is_400(app_with):
    client = app_with()
    response = client.get("/v1/documents", headers={"Host": "rebound.example:8000"})
    assert response.status_code == 400 and "rebound.example" in response.json()["detail"]
    for host in ("localhost:8000", "127.0.0.1:8000", "[::1]:8000", "LOCALHOST"):
        assert client.get("/v1/documents", headers={"Host": host}).status_code == 200, host
    intranet = app_with(allowed_hosts=["auditqa.intra"])
    assert intranet.get("/healthz", headers={"Host": "auditqa.intra"}).status_code == 200
    assert intranet.get("/healthz").status_code == 400  # "testserver" is no longer listed
    assert app_with(allowed_hosts=["*"]).get("/healthz", headers={"Host": "any.example"}).status_code == 200


def test_a_blind_cross_site_upload_cannot_replace_a_report(app_with, settings):
    # What a page on another site can send without CORS: fetch(url, {method: "POST", mode: "no-cors", body: FormData}).
    client = app_with()
    before = client.get("/v1/documents/alvesta-2018-introduktion-nyanlanda").json()["text"]
    forged = {"file": (ALVESTA.name, b"Alvesta kommun. Allt var uppfyllt.\n", "text/plain")}
    for headers in ({"Origin": "http://evil.example"}, {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"}):
        response = client.post("/v1/documents?replace=true&wait=true", files=forged, headers=headers)
        assert response.status_code == 403, headers
        assert "avvisades" in response.json()["detail"]
    assert client.delete("/v1/documents/alvesta-2018-introduktion-nyanlanda", headers={"Origin": "http://evil.example"}).status_code == 403
    assert client.get("/v1/documents/alvesta-2018-introduktion-nyanlanda").json()["text"] == before
    # With keys too: an admin key in a script of another origin is no licence.
    keyed = app_with(api_keys=KEYS)
    response = keyed.post("/v1/ask", json={"question": "Vad?"}, headers={"Origin": "https://evil.example", **bearer(ADMIN_KEY)})
    assert response.status_code == 403 and "https://evil.example" in response.json()["detail"]


def test_own_and_allowed_origins_pass_and_reads_are_not_checked(app_with):
    client = app_with(allowed_origins=["https://portal.intra"])
    ask = {"question": "Vilka rekommendationer gavs i Alvesta?"}
    assert client.post("/v1/ask", json=ask, headers={"Origin": "http://testserver"}).status_code == 200
    assert client.post("/v1/ask", json=ask, headers={"Origin": "http://testserver:80", "Sec-Fetch-Site": "same-origin"}).status_code == 200
    assert client.post("/v1/ask", json=ask, headers={"Origin": "https://portal.intra:443"}).status_code == 200
    assert client.post("/v1/ask", json=ask).status_code == 200
    assert client.post("/v1/ask", json=ask, headers={"Origin": "http://testserver:8000"}).status_code == 403
    assert client.get("/v1/documents", headers={"Origin": "http://evil.example"}).status_code == 200


def test_every_response_carries_the_security_headers(keyed):
    for response in (keyed.get("/"), keyed.get("/static/app.js"), keyed.get("/v1/documents"), keyed.get("/nowhere"),
                     keyed.get("/healthz", headers={"Host": "evil.example"})):
        csp = response.headers["content-security-policy"]
        assert "script-src 'self';" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
    # Swagger UI and ReDoc start with an inline script; only they get a policy that allows it, and no other origin.
    for path in ("/docs", "/redoc"):
        csp = keyed.get(path).headers["content-security-policy"]
        assert "'unsafe-inline'" in csp and "https:" not in csp and "frame-ancestors 'none'" in csp


def test_the_api_documentation_is_served_from_the_service_itself(keyed):
    """Offline, /docs and /redoc loaded from a CDN were blank pages; their assets come from a package now."""
    for path in ("/docs", "/redoc"):
        page = keyed.get(path)
        assert page.status_code == 200 and "/openapi.json" in page.text
        assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert assets and all(a.startswith("/docs-assets/") for a in assets), assets
        assert "cdn." not in page.text and "fonts.googleapis" not in page.text
        for asset in assets:
            response = keyed.get(asset)
            assert response.status_code == 200 and len(response.content) > 1000, asset


def test_the_chat_page_needs_no_inline_script_or_style():
    html = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    assert all("src=" in tag for tag in re.findall(r"<script\b[^>]*>", html))
    assert "<style" not in html and " style=" not in html and not re.search(r"\son[a-z]+=", html)
    assert not re.search(r"(src|href)=\"(https?:)?//", html)


def test_cors_is_off_unless_origins_are_listed(app_with):
    preflight = {"Origin": "https://portal.intra", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"}
    assert "access-control-allow-origin" not in app_with().options("/v1/ask", headers=preflight).headers
    cors = app_with(cors_origins=["https://portal.intra"])
    response = cors.options("/v1/ask", headers=preflight)
    assert response.status_code == 200 and response.headers["access-control-allow-origin"] == "https://portal.intra"
    ask = cors.post("/v1/ask", json={"question": "Vad gavs i Alvesta?"}, headers={"Origin": "https://portal.intra"})
    assert ask.status_code == 200 and ask.headers["access-control-allow-origin"] == "https://portal.intra"
    assert "access-control-allow-origin" not in cors.options("/v1/ask", headers={**preflight, "Origin": "https://evil.example"}).headers


# -- rate limit -----------------------------------------------------------------------------------


def test_a_key_over_its_rate_is_429_with_retry_after(app_with):
    client = app_with(api_keys=KEYS, rate_limit_per_minute=3)
    for _ in range(3):
        assert client.get("/v1/documents", headers=bearer(READ_KEY)).status_code == 200
    response = client.get("/v1/documents", headers=bearer(READ_KEY))
    assert response.status_code == 429 and int(response.headers["retry-after"]) >= 1
    assert "högst 3 per minut" in response.json()["detail"]
    assert client.get("/v1/documents", headers=bearer(ADMIN_KEY)).status_code == 200  # a bucket per key
    for _ in range(5):  # the UI and health checks are not counted
        assert client.get("/static/app.js").status_code == 200 and client.get("/healthz").status_code == 200
    for _ in range(3):  # callers without a key draw on their address's bucket
        client.get("/v1/documents")
    assert client.get("/v1/documents").status_code == 429


def test_the_bucket_refills_with_time():
    now = [0.0]
    limiter = RateLimiter(60, clock=lambda: now[0], max_buckets=2)
    for _ in range(60):
        limiter.take("a")
    with pytest.raises(RateLimitedError) as caught:
        limiter.take("a")
    assert caught.value.retry_after_s == 1
    now[0] += 1.0
    limiter.take("a")
    limiter.take("b")
    limiter.take("c")  # "a" is evicted, the table stays bounded
    assert set(limiter._buckets) == {"b", "c"}
    RateLimiter(0).take("a")


# -- bodies and text ------------------------------------------------------------------------------


def test_a_json_body_over_the_limit_is_413_before_it_is_parsed(app_with):
    client = app_with(max_json_kb=1)
    big = {"query": "kontrollmål " * 200}
    response = client.post("/v1/search", json=big)
    assert response.status_code == 413 and "1 kB" in response.json()["detail"]

    def chunks():  # no Content-Length: counted as it arrives
        yield b'{"question": "'
        for _ in range(100):
            yield b"x" * 100
        yield b'"}'

    streamed = client.post("/v1/ask", content=chunks(), headers={"Content-Type": "application/json"})
    assert streamed.status_code == 413 and "AUDITQA_MAX_JSON_KB" in streamed.json()["detail"]
    assert client.post("/v1/search", json={"query": "kontrollmål"}).status_code == 200
    # The upload endpoint keeps its own limit (AUDITQA_MAX_UPLOAD_MB).
    upload = client.post("/v1/documents?wait=true", files={"file": (VAXJO.name, VAXJO.read_bytes(), "text/plain")})
    assert upload.status_code == 201, upload.text
    assert client.delete(f"/v1/documents/{VAXJO.stem}").status_code == 200


@pytest.mark.parametrize(("path", "body"), [
    ("/v1/search", '{"query": "kontroll\\ud800"}'),
    ("/v1/ask", '{"question": "Vad gavs i \\udfff Alvesta?"}'),
    ("/v1/ask", '{"question": "Vad?", "conversation_id": "\\ud800"}'),
    ("/v1/ask", '{"question": "Vad?", "filters": {"municipality": ["\\ud800"]}}'),
])
def test_a_lone_surrogate_is_422_in_swedish(app_with, path, body):
    response = app_with().post(path, content=body.encode(), headers={"Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    assert "ensamt surrogattecken" in response.json()["detail"]


def test_bidi_controls_are_taken_out_of_questions(app_with):
    assert check_question("Vilka mål \u202egavs\u202c i \u2066Alvesta\u2069?", 100) == "Vilka mål gavs i Alvesta?"
    with pytest.raises(QuestionError, match="U\\+DC80"):
        check_question("fr\udc80ga", 100)
    body = app_with().post("/v1/ask", json={"question": "\u202eVilka rekommendationer gavs i Alvesta?"}).json()
    assert body["resolved_question"] == "Vilka rekommendationer gavs i Alvesta?"


# -- replace is explicit ---------------------------------------------------------------------------


def test_an_upload_of_a_live_id_is_409_unless_replace_is_asked(app_with):
    client = app_with()
    text = VAXJO.read_bytes()
    assert client.post("/v1/documents?wait=true", files={"file": ("ersatt.txt", text, "text/plain")}).status_code == 201
    try:
        again = client.post("/v1/documents?wait=true", data={"title": "Ny titel"}, files={"file": ("ersatt.md", text, "text/markdown")})
        assert again.status_code == 409
        assert "'ersatt'" in again.json()["detail"] and "?replace=true" in again.json()["detail"]
        assert client.get("/v1/documents/ersatt").json()["title"] != "Ny titel"
        replaced = client.post("/v1/documents?wait=true&replace=true", data={"title": "Ny titel"}, files={"file": ("ersatt.md", text, "text/markdown")})
        assert replaced.status_code == 201 and replaced.json()["title"] == "Ny titel"
    finally:
        client.delete("/v1/documents/ersatt")


def test_an_upload_of_a_queued_id_is_409(app_with):
    client = app_with()
    first = client.post("/v1/documents", files={"file": ("i-kon.txt", VAXJO.read_bytes(), "text/plain")})
    assert first.status_code == 202
    try:
        second = client.post("/v1/documents", files={"file": ("i-kon.txt", VAXJO.read_bytes(), "text/plain")})
        assert second.status_code == 409 and "'i-kon'" in second.json()["detail"]
    finally:
        job = client.get(first.json()["status_url"]).json()
        while job["status"] in ("queued", "running"):
            job = client.get(first.json()["status_url"]).json()
        assert job["status"] == "done", job
        client.delete("/v1/documents/i-kon")


# -- conversations --------------------------------------------------------------------------------


def test_conversation_ids_are_the_servers_and_belong_to_their_key(keyed):
    read, admin = bearer(READ_KEY), bearer(ADMIN_KEY)
    chosen = keyed.post("/v1/ask", json={"question": "Vilka rekommendationer gavs i Alvesta?", "conversation_id": "min-egen-id"}, headers=read).json()
    assert chosen["conversation_id"] and chosen["conversation_id"] != "min-egen-id"
    conversation = chosen["conversation_id"]
    follow = keyed.post("/v1/ask", json={"question": "Och i Hultsfred?", "conversation_id": conversation}, headers=read).json()
    assert follow["conversation_id"] == conversation and "Hultsfred" in follow["resolved_question"] and follow["resolved_question"] != "Och i Hultsfred?"
    # Another key cannot read or continue it: the id is unknown to it, and it gets a conversation of its own.
    other = keyed.post("/v1/ask", json={"question": "Och i Hultsfred?", "conversation_id": conversation}, headers=admin).json()
    assert other["conversation_id"] not in (None, conversation) and other["resolved_question"] == "Och i Hultsfred?"


def test_a_question_outside_a_conversation_is_not_kept(app_with):
    client = app_with()
    store = client.app.state.conversations
    before = store.count()
    body = client.post("/v1/ask", json={"question": "Vilka rekommendationer gavs i Alvesta?"}).json()
    assert body["conversation_id"] is None and store.count() == before
    started = client.post("/v1/ask", json={"question": "Vilka rekommendationer gavs i Alvesta?", "conversation": True}).json()
    assert started["conversation_id"] and store.count() == before + 1
    assert [t.question for t in store.history(started["conversation_id"])] == ["Vilka rekommendationer gavs i Alvesta?"]
