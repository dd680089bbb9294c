"""The garbage collector around start-up: off while the service is built, back on after it, and what start-up made
frozen only in the process that asked for it (`auditqa serve`), never in a test session's apps."""

import gc

import pytest
from fastapi.testclient import TestClient
from fixtures.fake_embedder import FakeEmbedder
from fixtures.homes import CORPUS

from service import cli
from service.api import app as api_app
from service.api import collector


@pytest.fixture(autouse=True)
def restored_collector():
    enabled = gc.isenabled()
    yield
    gc.unfreeze()
    gc.enable() if enabled else gc.disable()


@pytest.mark.parametrize("enabled", [True, False])
def test_building_leaves_the_collector_as_it_found_it(enabled):
    gc.enable() if enabled else gc.disable()
    # From nothing frozen: an earlier test in the session may have run `auditqa serve`'s start-up in this process,
    # and frozen objects that die meanwhile lower the count whatever building does.
    gc.unfreeze()
    with collector.building():
        assert not gc.isenabled()
    assert gc.isenabled() == enabled
    assert gc.get_freeze_count() == 0


def test_a_start_up_that_paused_the_collector_ends_with_it_on_and_the_start_up_frozen():
    collector.pause_for_start_up()
    assert not gc.isenabled()
    with pytest.raises(RuntimeError), collector.building():
        kept = [object() for _ in range(10)]
        raise RuntimeError("a failed start-up turns it on all the same")
    assert gc.isenabled() and gc.get_freeze_count() > 0 and kept
    gc.unfreeze()
    with collector.building():  # a later build (another app in the process) freezes nothing
        pass
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_serve_builds_without_the_collector_and_serves_with_it_frozen(tmp_path, monkeypatch):
    monkeypatch.setenv("AUDITQA_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("AUDITQA_CORPUS_DIR", str(CORPUS))
    monkeypatch.setattr(cli, "_embedder", lambda settings: FakeEmbedder())
    cli.get_settings.cache_clear()
    assert cli.main(["ingest", str(CORPUS / "lulea-2007-integration.txt")]) == 0

    real_build = api_app.build_qa
    seen = {}

    def build_qa(settings, embedder=None, store=None):
        seen["collector on while building"] = gc.isenabled()
        return real_build(settings, FakeEmbedder(), store)

    def run(app, **options):
        seen["collector on before the app starts"] = gc.isenabled()
        with TestClient(app, base_url="http://127.0.0.1") as client:
            assert client.get("/healthz").status_code == 200
            seen["collector on when serving"] = gc.isenabled()
            seen["objects frozen"] = gc.get_freeze_count()

    monkeypatch.setattr(api_app, "build_qa", build_qa)
    monkeypatch.setattr("uvicorn.run", run)
    try:
        assert cli.main(["serve"]) == 0
    finally:
        cli.get_settings.cache_clear()
    assert seen.pop("objects frozen") > 100_000  # the imports and the built service, not a handful
    assert seen == {"collector on before the app starts": False, "collector on while building": False, "collector on when serving": True}
