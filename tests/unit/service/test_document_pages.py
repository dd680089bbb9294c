"""GET /v1/documents a page at a time (with the total, the next offset and the reports per municipality over every
page), GET /v1/documents/{id} read by key, and bad paging refused with a Swedish message quoting the value; on the
real app over the bundled corpus (fake embedder)."""

from collections import Counter

import pytest
from fastapi.testclient import TestClient
from fixtures.fake_embedder import FakeEmbedder
from fixtures.homes import ingested_corpus

from ingest.index.catalog import Catalog
from service.answering import qa as qa_module
from service.api.app import create_app


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    return ingested_corpus(tmp_path_factory, "document-pages")


@pytest.fixture(scope="module")
def client(settings):
    with TestClient(create_app(settings, FakeEmbedder())) as client:
        yield client


def test_the_list_pages_through_every_document_in_id_order(client, settings):
    every = client.get("/v1/documents").json()
    catalog = Catalog(settings.catalog_path).documents()
    assert [d["document_id"] for d in every["documents"]] == [d.document_id for d in catalog]
    assert every["total"] == 5 and every["next_offset"] is None
    assert every["municipalities"] == dict(sorted(Counter(d.metadata.municipality for d in catalog).items()))
    pages, offset = [], 0
    while offset is not None:
        page = client.get("/v1/documents", params={"offset": offset, "limit": 2}).json()
        assert page["total"] == 5 and page["municipalities"] == every["municipalities"] and len(page["documents"]) <= 2
        pages += page["documents"]
        offset = page["next_offset"]
    assert pages == every["documents"]
    past = client.get("/v1/documents", params={"offset": 7}).json()
    assert past["documents"] == [] and past["total"] == 5 and past["next_offset"] is None


def test_a_document_is_read_by_its_id_as_the_list_shows_it(client, settings):
    listed = client.get("/v1/documents", params={"offset": 3, "limit": 1}).json()["documents"][0]
    detail = client.get(f"/v1/documents/{listed['document_id']}").json()
    assert {k: detail[k] for k in listed} == listed
    assert detail["text"] == Catalog(settings.catalog_path).document_text(listed["document_id"])


def test_an_unknown_document_names_the_known_ones_or_where_they_are_many_those_like_it(client, monkeypatch):
    ids = [d["document_id"] for d in client.get("/v1/documents").json()["documents"]]
    few = client.get("/v1/documents/alvesta-2018")
    assert few.status_code == 404 and few.json()["detail"] == f"Dokumentet 'alvesta-2018' finns inte. Kända dokument: {', '.join(ids)}"
    monkeypatch.setattr(qa_module, "KNOWN_DOCUMENTS_NAMED", 2)
    alvesta = next(d for d in ids if d.startswith("alvesta-2018"))
    many = client.get("/v1/documents/alvesta-2018").json()["detail"]
    assert many.startswith("Dokumentet 'alvesta-2018' finns inte. 5 dokument finns (GET /v1/documents listar dem); liknande id: ")
    assert alvesta in many and not all(d in many for d in ids)


@pytest.mark.parametrize(("params", "detail"), [
    ({"offset": -1}, "query.offset: ska vara minst 0 (fick '-1')"),
    ({"limit": 0}, "query.limit: ska vara minst 1 (fick '0')"),
    ({"limit": 1001}, "query.limit: får vara högst 1000 (fick '1001')"),
    ({"offset": "första"}, "query.offset: ska vara ett heltal (fick 'första')"),
])
def test_bad_paging_is_a_422_in_swedish_quoting_the_value(client, params, detail):
    response = client.get("/v1/documents", params=params)
    assert response.status_code == 422 and response.json()["detail"] == f"Ogiltig begäran: {detail}"
