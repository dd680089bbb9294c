"""A full disk for real: AUDITQA_HOME on a small tmpfs filled to the brim. The upload is refused as "Disken är
full" (507), the version live before stays live and searchable, and after space is freed the upload goes through.

Mounting needs root (or CAP_SYS_ADMIN); where it is not permitted the test is skipped with the reason, and the
injected ENOSPC test of the unit tier still covers the code path.
"""

import shutil
import subprocess

import pytest
from fastapi.testclient import TestClient
from fixtures.fake_embedder import FakeEmbedder
from fixtures.homes import FIXTURE_REPORTS, make_settings

from service.api.app import create_app

REPORT = next(p for p in sorted(FIXTURE_REPORTS.glob("*.txt")))


@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mount)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small filesystem here: {done.stderr.strip() or done.returncode}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def fill(mount, leave_bytes: int) -> None:
    free = shutil.disk_usage(mount).free
    with open(mount / "filler", "wb") as out:
        out.write(b"\0" * max(0, free - leave_bytes))


@pytest.mark.slow
def test_a_full_disk_is_named_and_the_live_version_survives(small_disk):
    settings = make_settings(small_disk / "home")
    with TestClient(create_app(settings, FakeEmbedder())) as client:
        first = client.post("/v1/documents", params={"wait": "true"}, files={"file": (REPORT.name, REPORT.read_bytes(), "text/plain")})
        assert first.status_code == 201, first.text
        document_id = first.json()["document_id"]
        before = client.get(f"/v1/documents/{document_id}").json()["text"]
        fill(small_disk, leave_bytes=4096)
        bigger = REPORT.read_bytes() + ("\nEtt nytt stycke om uppföljningen av nämndens arbete. " * 400).encode()
        refused = client.post(
            "/v1/documents", params={"wait": "true", "replace": "true"}, files={"file": (REPORT.name, bigger, "text/plain")}
        )
        assert refused.status_code == 507, refused.text
        assert refused.json()["detail"].startswith("Disken är full")
        # Questions are answered from the view in memory; reading the catalog on a full disk is named, not a 500.
        assert client.post("/v1/search", json={"query": "nämnden"}).status_code == 200
        for reading in (client.post("/v1/ask", json={"question": "Vad bedömde revisorerna?"}), client.get(f"/v1/documents/{document_id}")):
            # What needs the catalog file may find it unreadable while the disk is full (SQLite's WAL): named, never a 500.
            assert reading.status_code == 200 or reading.status_code == 507 and reading.json()["detail"].startswith("Disken är full"), reading.text
        (small_disk / "filler").unlink()
        assert client.get(f"/v1/documents/{document_id}").json()["text"] == before  # the version live before, whole
        again = client.post(
            "/v1/documents", params={"wait": "true", "replace": "true"}, files={"file": (REPORT.name, bigger, "text/plain")}
        )
        assert again.status_code == 201, again.text
        assert "Ett nytt stycke om uppföljningen" in client.get(f"/v1/documents/{document_id}").json()["text"]
