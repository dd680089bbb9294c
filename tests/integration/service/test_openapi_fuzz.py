"""The API against its own /openapi.json: schemathesis generates requests for every operation, valid and invalid,
without a key, with a read key and with an admin key, and checks each response: never a 500, a status the schema
declares for the operation, a body and headers that match the model it declares, and invalid input refused.

Reading operations run over the session's real index (the real model, the bundled corpus). The operations that
change the index (upload, document delete, job cancel) run with the admin key against a throwaway home of their
own, so nothing the other tests read is replaced or removed; without an admin key they are refused and change
nothing, so those modes run them against the shared index too. A bounded number of examples per operation and a
fixed derandomized seed keep the run short and the same each time.

Unknown query parameters are not generated: like most HTTP APIs this one ignores them (a cache-busting `?_=…`
passes), while unknown JSON fields are refused (tests/unit/service/test_api_contract.py).
"""

from collections.abc import Iterator

import pytest
import schemathesis
from fastapi.testclient import TestClient
from fixtures.homes import make_settings
from hypothesis import HealthCheck, Phase, given, settings, strategies
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from service.api.app import create_app

pytestmark = pytest.mark.slow

READ_KEY = "read-fuzz-0123456789abcdef"
ADMIN_KEY = "admin-fuzz-0123456789abcdef"
KEYS = f"read:{READ_KEY},admin:{ADMIN_KEY}"
HEADERS = {"none": {}, "read": {"Authorization": f"Bearer {READ_KEY}"}, "admin": {"Authorization": f"Bearer {ADMIN_KEY}"}}
CHANGES_THE_INDEX = {"POST /v1/documents", "DELETE /v1/documents/{document_id}", "DELETE /v1/jobs/{job_id}"}
EXAMPLES_PER_OPERATION = 20
CHECKS = [
    not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
    response_headers_conformance, negative_data_rejection,
]


def _schema(app) -> Iterator[schemathesis.BaseSchema]:
    with TestClient(app):  # the lifespan: model and indexes loaded
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        schema.config.generation.update(allow_extra_parameters=False)
        yield schema


@pytest.fixture(scope="module")
def shared_schema(corpus_home, embedder):
    yield from _schema(create_app(make_settings(corpus_home, api_keys=KEYS), embedder))


@pytest.fixture(scope="module")
def throwaway_schema(tmp_path_factory, embedder):
    yield from _schema(create_app(make_settings(tmp_path_factory.mktemp("fuzz-home"), api_keys=KEYS), embedder))


def _fuzz(operation, headers: dict[str, str], checks: list) -> str | None:
    """The failures schemathesis found in one operation, described, or None."""
    # The key is part of every case, so that a negative case never counts as one without it.
    cases = strategies.one_of(*(operation.as_strategy(mode, headers=headers) for mode in GenerationMode))

    @given(case=cases)
    @settings(
        max_examples=EXAMPLES_PER_OPERATION, derandomize=True, database=None, deadline=None,
        phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck),
    )
    def run(case) -> None:
        case.call_and_validate(checks=checks)

    try:
        run()
    except BaseException as exc:  # noqa: BLE001 - schemathesis's FailureGroup, reported with every operation's
        return f"{operation.label}:\n{exc}"
    return None


@pytest.mark.parametrize("key", ["none", "read", "admin"])
def test_every_operation_keeps_to_its_schema(key, shared_schema, throwaway_schema):
    # Without a valid key every operation is 401, which the schema declares with its body and WWW-Authenticate.
    checks = CHECKS + ([ignored_auth] if key != "none" else [])
    failures, fuzzed = [], set()
    for schema in (shared_schema, throwaway_schema):
        for result in schema.get_all_operations():
            operation = result.ok()
            destructive = operation.label in CHANGES_THE_INDEX
            if (schema is throwaway_schema) != (key == "admin" and destructive):
                continue
            fuzzed.add(operation.label)
            failure = _fuzz(operation, HEADERS[key], checks)
            if failure:
                failures.append(failure)
    assert CHANGES_THE_INDEX < fuzzed and len(fuzzed) >= 14, sorted(fuzzed)
    assert not failures, "\n\n".join(failures)
