"""The README's curl examples, run in order against the real app (fake embedder, API keys on), so they cannot rot:
each command's method, URL, headers, JSON body and form fields are read as curl reads them and sent to the app."""

import re
import shlex
from dataclasses import dataclass, field

import pytest
from fastapi.testclient import TestClient
from fixtures.fake_embedder import FakeEmbedder
from fixtures.homes import CORPUS, FIXTURE_REPORTS, ingested_corpus, make_settings

from ingest.config import PROJECT_ROOT
from service.api.app import create_app

READ_KEY = "read-0123456789abcdef"
ADMIN_KEY = "admin-0123456789abcdef"
# Every endpoint of the HTTP API, and the ways of calling it the README promises an example of.
COVERED = {
    ("GET", "/healthz"), ("POST", "/v1/search"), ("POST", "/v1/ask"), ("POST", "/v1/ask stream"), ("GET", "/v1/models"),
    ("POST", "/v1/chat/completions"), ("POST", "/v1/chat/completions stream"), ("GET", "/v1/documents"), ("GET", "/v1/documents/{id}"),
    ("GET", "/v1/findings"), ("GET", "/v1/findings/summary"), ("POST", "/v1/documents"), ("GET", "/v1/jobs/{id}"), ("DELETE", "/v1/documents/{id}"),
}


@dataclass
class Curl:
    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    data: str | None = None
    form: dict[str, str] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)

    @property
    def endpoint(self) -> tuple[str, str]:
        path = re.sub(r"^https?://[^/]+", "", self.url).split("?")[0]
        path = re.sub(r"^(/v1/(?:documents|jobs))/[^/]+$", r"\1/{id}", path)
        return self.method, path + (" stream" if self.data and '"stream": true' in self.data else "")


def parse(command: str) -> Curl:
    """The request a curl command line sends (the options the README uses: -s -N -X -H -d -F)."""
    words = shlex.split(command)
    assert words[0] == "curl", command
    method, url, headers, data, form, files = None, None, {}, None, {}, {}
    rest = iter(words[1:])
    for word in rest:
        if word in ("-s", "-N", "-sN"):
            continue
        if word == "-X":
            method = next(rest)
        elif word == "-H":
            name, _, value = next(rest).partition(":")
            headers[name.strip()] = value.strip()
        elif word == "-d":
            data = next(rest)
        elif word == "-F":
            name, _, value = next(rest).partition("=")
            (files if value.startswith("@") else form)[name] = value.removeprefix("@")
        else:
            assert not word.startswith("-"), f"an option this test does not read: {word}"
            url = word
    assert url, command
    return Curl(method or ("POST" if data is not None or form or files else "GET"), url, headers, data, form, files)


def readme_commands() -> list[str]:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"### curl examples\n.*?```bash\n(.*?)```", readme, re.DOTALL)
    assert block, "README has no curl examples block"
    return [line for line in block.group(1).splitlines() if line.strip()]


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    settings = ingested_corpus(tmp_path_factory, "readme-home")
    keyed = make_settings(settings.home, api_keys=f"read:{READ_KEY},admin:{ADMIN_KEY}")
    with TestClient(create_app(keyed, FakeEmbedder())) as client:
        yield client


def local_file(name: str):
    found = [p for p in (FIXTURE_REPORTS / name, CORPUS / name) if p.is_file()]
    assert found, f"the README uploads {name}, which the tests do not have"
    return found[0]


def test_the_examples_cover_every_endpoint():
    assert {parse(c.replace("$JOB", "j")).endpoint for c in readme_commands()} == COVERED


def test_every_curl_example_runs(client):
    variables = {"$KEY": READ_KEY, "$ADMIN_KEY": ADMIN_KEY}
    for command in readme_commands():
        for name, value in variables.items():
            command = command.replace(name, value)
        curl = parse(command)
        files = {name: (path, local_file(path).read_bytes(), "text/plain") for name, path in curl.files.items()}
        response = client.request(
            curl.method, curl.url, headers=curl.headers, content=curl.data.encode() if curl.data is not None else None,
            data=curl.form or None, files=files or None,
        )
        assert response.is_success, (command, response.status_code, response.text)
        if curl.files:
            variables["$JOB"] = response.json()["job_id"]
        if curl.endpoint[1] == "/v1/chat/completions stream":
            assert response.text.endswith("data: [DONE]\n\n") and '"choices": [], "usage"' in response.text
        elif curl.endpoint[1] == "/v1/ask stream":
            assert "event: done" in response.text
    assert client.get(f"/v1/documents/{local_file('vaxjo-2019-forstudie-ensamkommande.txt').stem}", headers={"Authorization": f"Bearer {READ_KEY}"}).status_code == 404
