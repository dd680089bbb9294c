"""Document-level access groups on the real app (fake embedder, real Chroma and BM25): a report restricted to a group
never shows for a key outside it, through any endpoint or any follow-up, and does show for a key in it.

The corpus is the bundled one with Hultsfred's report restricted to the group "revision" (its manifest entry says
so). Hultsfred, its firm (PwC), its author and its "åtgärds katalog" appear in no other report, so any of them in a
response to an outsider is a leak.
"""

import json
import shutil

import pytest
from fastapi.testclient import TestClient
from fixtures.fake_embedder import FakeEmbedder
from fixtures.homes import CORPUS, FIXTURE_REPORTS, make_settings

from ingest.documents.metadata import AccessGroupError, ManifestError, access_groups, read_manifest
from ingest.index.vectors import access_where
from ingest.pipeline import Ingestor
from service.api.app import create_app
from service.api.security import KeyConfigError, KeyRing, Scope
from service.query.retrieval import EVERYTHING, Access, Filters

RESTRICTED = "hultsfred-2019-asyl-integration"
TITLE = "Granskning av insatser för asyl och integration"
# What only the restricted report says; "Hultsfred" is checked apart, where the question did not name it.
MARKERS = (RESTRICTED, TITLE, "Liljebjörn", "PwC", "åtgärds katalog", "Åtgärds katalog")

INSIDER = "insider-0123456789abcdef"  # read@revision
OUTSIDER = "outsider-0123456789abcdef"  # read@ekonomi
PLAIN = "plain-0123456789abcdef"  # read, no groups
ADMIN = "admin-0123456789abcdef"
KEYS = f"read@revision:{INSIDER},read@ekonomi+hr:{OUTSIDER},read:{PLAIN},admin:{ADMIN}"


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    corpus = tmp_path_factory.mktemp("groups-corpus")
    for path in CORPUS.glob("*.txt"):
        shutil.copy(path, corpus / path.name)
    manifest = (CORPUS / "manifest.toml").read_text(encoding="utf-8")
    entry = f'document_id = "{RESTRICTED}"\n'
    assert entry in manifest
    (corpus / "manifest.toml").write_text(manifest.replace(entry, entry + 'access_groups = ["Revision"]\n'), encoding="utf-8")
    settings = make_settings(tmp_path_factory.mktemp("groups-home"), api_keys=KEYS)
    report = Ingestor(settings, FakeEmbedder()).run(corpus)
    assert len(report.added) == 5, report.summary()
    return settings


@pytest.fixture(scope="module")
def client(settings):
    with TestClient(create_app(settings, FakeEmbedder())) as client:
        yield client


def call(client, key: str, method: str, path: str, **kwargs):
    return client.request(method, path, headers=bearer(key), **kwargs)


def assert_hidden(text: str, question_names_it: bool = False) -> None:
    for marker in MARKERS + (() if question_names_it else ("Hultsfred",)):
        assert marker not in text, f"{marker!r} leaked: {text[:2000]}"


def ask(client, key: str, question: str, **body) -> dict:
    response = call(client, key, "POST", "/v1/ask", json={"question": question, **body})
    assert response.status_code == 200, response.text
    return response.json()


# -- the contract: documents, keys ------------------------------------------------------------------------------


def test_access_groups_are_read_from_a_list_or_a_string_and_checked():
    assert access_groups(None) == () and access_groups("*") == () and access_groups([]) == ()
    assert access_groups("Revision, hr+ekonomi") == ("ekonomi", "hr", "revision")
    assert access_groups(["b", "a", "a"]) == ("a", "b")
    for bad in ("två ord", "x" * 65, "a:b", 3, ["a", 3]):
        with pytest.raises(AccessGroupError):
            access_groups(bad)


def test_a_bad_group_in_the_manifest_names_the_document(tmp_path):
    (tmp_path / "manifest.toml").write_text('[[document]]\ndocument_id = "x"\naccess_groups = ["ej ok"]\n', encoding="utf-8")
    with pytest.raises(ManifestError, match="x: access_groups"):
        read_manifest(tmp_path)


def test_keys_name_their_groups_and_the_old_format_is_unchanged():
    ring = KeyRing.parse([("1", f"read:{PLAIN}"), ("2", f"read@Revision+hr:{INSIDER}"), ("3", f"admin:{ADMIN}")])
    plain, insider, admin = (ring.identify(k, "10.0.0.1") for k in (PLAIN, INSIDER, ADMIN))
    assert plain.access == Access() and ring.scope_of(PLAIN) == Scope.READ
    assert insider.access == Access(frozenset({"revision", "hr"})) and insider.can(Scope.READ) and not insider.can(Scope.ADMIN)
    assert admin.access == EVERYTHING
    assert KeyRing.parse([]).identify(None, "127.0.0.1").access == EVERYTHING  # no keys: the local user is an admin
    assert ring.grouped == 1


@pytest.mark.parametrize(("entry", "says"), [
    (f"admin@revision:{ADMIN}", "admin-nyckel ser alla dokument"),
    (f"read@:{PLAIN}", "'@' ska följas av"),
    (f"read@två ord:{PLAIN}", "ogiltigt gruppnamn"),
    (f"write@x:{PLAIN}", "okänd behörighet"),
])
def test_a_malformed_group_entry_is_refused_without_the_key(entry, says):
    with pytest.raises(KeyConfigError, match=says) as raised:
        KeyRing.parse([("AUDITQA_API_KEYS, par 1", entry)])
    assert PLAIN not in str(raised.value) and ADMIN not in str(raised.value)


def test_chroma_selects_by_access_group(client):
    qa = client.app.state.qa
    restricted_hash = qa.retriever.view.live_hashes[RESTRICTED]
    vector = FakeEmbedder().embed_query("åtgärds katalog asyl integration")
    where = {"$and": [{"content_hash": restricted_hash}, access_where(frozenset({"ekonomi"}))]}
    assert qa.retriever.store.search(vector, 10, where) == []
    where = {"$and": [{"content_hash": restricted_hash}, access_where(frozenset({"revision"}))]}
    assert qa.retriever.store.search(vector, 10, where)


def test_retrieval_of_an_outsider_never_ranks_the_restricted_report(client):
    qa = client.app.state.qa
    outsider = qa.visible_to(Access(frozenset({"ekonomi"})))
    assert qa.visible_to(Access(frozenset({"ekonomi"}))) is outsider  # made once per access and view
    query = "åtgärds katalog Hultsfred asyl integration"
    vector = FakeEmbedder().embed_query(query)
    records = qa.retriever.view.records  # every live chunk

    def documents(ranking):
        return {records[cid].chunk.document_id for cid, _ in ranking}

    insider = qa.visible_to(Access(frozenset({"revision"})))
    assert RESTRICTED in documents(insider.retriever._dense(vector, 1000, Filters()))
    assert RESTRICTED in documents(insider.retriever._lexical(query, 40, Filters()))
    dense, lexical = outsider.retriever._dense(vector, 1000, Filters()), outsider.retriever._lexical(query, 1000, Filters())
    assert dense and lexical and RESTRICTED not in documents(dense) | documents(lexical)
    assert "Hultsfred" not in outsider.retriever.view.municipalities and "Hultsfred" in insider.retriever.view.municipalities


# -- every endpoint --------------------------------------------------------------------------------------------


def test_document_list_and_detail(client):
    for key, sees in ((INSIDER, True), (ADMIN, True), (OUTSIDER, False), (PLAIN, False)):
        body = call(client, key, "GET", "/v1/documents").json()
        listed = {d["document_id"] for d in body["documents"]}
        assert (RESTRICTED in listed) is sees and len(listed) == body["total"] == (5 if sees else 4)
        assert ("Hultsfred" in body["municipalities"]) is sees and sum(body["municipalities"].values()) == body["total"]
        detail = call(client, key, "GET", f"/v1/documents/{RESTRICTED}")
        assert detail.status_code == (200 if sees else 404)
    hidden = call(client, OUTSIDER, "GET", f"/v1/documents/{RESTRICTED}").json()["detail"]
    unknown = call(client, OUTSIDER, "GET", "/v1/documents/finns-inte").json()["detail"]
    assert hidden.replace(RESTRICTED, "finns-inte") == unknown  # as unknown as a document that does not exist
    assert_hidden(unknown)
    listed = call(client, INSIDER, "GET", "/v1/documents").json()["documents"]
    assert next(d for d in listed if d["document_id"] == RESTRICTED)["access_groups"] == ["revision"]


def test_search(client):
    body = {"query": "åtgärds katalog Hultsfred asyl integration kommunstyrelsen", "top_k": 50}
    outsider = call(client, OUTSIDER, "POST", "/v1/search", json=body)
    assert outsider.status_code == 200 and outsider.json()["results"]
    assert_hidden(outsider.text)
    insider = call(client, INSIDER, "POST", "/v1/search", json=body).json()["results"]
    assert insider[0]["document_id"] == RESTRICTED


@pytest.mark.parametrize("filters", [{"municipality": ["Hultsfred"]}, {"document_id": [RESTRICTED]}, {"year": [2019]}])
def test_filters_naming_the_restricted_report_are_unknown_values(client, filters):
    (name, (value,)), = filters.items()
    for path, body in (("/v1/search", {"query": "mål"}), ("/v1/ask", {"question": "Vilka mål finns?"})):
        hidden = call(client, OUTSIDER, "POST", path, json={**body, "filters": filters})
        assert hidden.status_code == 422, hidden.text
        assert_hidden(hidden.text.replace(str(value), ""), question_names_it=True)  # the value asked for is echoed
        assert call(client, INSIDER, "POST", path, json={**body, "filters": filters}).status_code == 200


def test_findings_and_their_summary(client):
    outsider = call(client, OUTSIDER, "GET", "/v1/findings")
    assert outsider.status_code == 200 and outsider.json()["findings"]
    assert_hidden(outsider.text)
    assert_hidden(call(client, OUTSIDER, "GET", "/v1/findings/summary").text)
    for query, value in (("municipality=Hultsfred", "Hultsfred"), (f"document_id={RESTRICTED}", RESTRICTED)):
        hidden = call(client, OUTSIDER, "GET", f"/v1/findings?{query}")
        assert hidden.status_code == 422
        assert_hidden(hidden.text.replace(value, ""))
    insider = call(client, INSIDER, "GET", "/v1/findings?municipality=Hultsfred").json()["findings"]
    assert insider and {f["document_id"] for f in insider} == {RESTRICTED}
    assert RESTRICTED in call(client, INSIDER, "GET", "/v1/findings/summary").text


def test_a_question_about_the_restricted_municipality_is_answered_as_about_one_without_reports(client):
    question = "Vilka rekommendationer gavs i {}?"
    hidden = ask(client, OUTSIDER, question.format("Hultsfred"))
    unknown = ask(client, OUTSIDER, question.format("Vetlanda"))
    assert not hidden["grounded"] and not hidden["citations"]
    assert hidden["answer"] == unknown["answer"].replace("Vetlanda", "Hultsfred")
    assert_hidden(json.dumps(hidden, ensure_ascii=False), question_names_it=True)
    insider = ask(client, INSIDER, question.format("Hultsfred"))
    assert insider["grounded"] and {c["document_id"] for c in insider["citations"]} == {RESTRICTED}


@pytest.mark.parametrize("question", [
    "Vilka rekommendationer gavs?",
    "Vilken kommun fick den mest kritiska bedömningen?",
    "Vilka kontrollmål bedömdes ej uppfyllda?",
    "Vem skrev rapporterna?",
    "Vilken rapport är äldst?",
    "Vilken revisionsbyrå genomförde granskningarna?",
    "I vilka kommuner nämns åtgärdsplaner?",
    "Vad säger rapporterna om åtgärds katalog och återrapportering till kommunstyrelsen?",
    "Sammanfatta rapporterna",
    "Which recommendations were given?",
    "Vem är Sveriges migrationsminister?",
    "Skriv en dikt om integration",
])
def test_questions_across_the_corpus_never_show_the_restricted_report(client, question):
    outsider = ask(client, OUTSIDER, question)
    assert outsider.pop("resolved_question") == question  # the question itself may say "åtgärds katalog"
    assert_hidden(json.dumps(outsider, ensure_ascii=False))
    assert all(c["document_id"] != RESTRICTED for c in ask(client, PLAIN, question)["citations"])


def test_refusals_list_only_the_reports_the_key_sees(client):
    question = "Vem är Sveriges migrationsminister?"
    assert "Hultsfred" in ask(client, INSIDER, question)["answer"]
    outsider = ask(client, OUTSIDER, question)["answer"]
    assert "Rapporterna gäller" in outsider and "Alvesta" in outsider
    assert_hidden(outsider)


def test_follow_ups_never_resolve_to_the_restricted_report(client):
    for key in (OUTSIDER, INSIDER):
        first = ask(client, key, "Vilka rekommendationer gavs i Alvesta?", conversation=True)
        conversation = first["conversation_id"]
        follow = ask(client, key, "Och i Hultsfred?", conversation_id=conversation)
        assert follow["resolved_question"] == "Vilka rekommendationer gavs i Hultsfred?"
        then = ask(client, key, "Hur bedömdes kontrollmålen där?", conversation_id=conversation)
        if key == OUTSIDER:
            for answer in (follow, then):
                assert not answer["citations"]
                assert_hidden(json.dumps(answer, ensure_ascii=False), question_names_it=True)
        else:
            assert {c["document_id"] for c in follow["citations"]} == {RESTRICTED}
            assert {c["document_id"] for c in then["citations"]} == {RESTRICTED}
    # Another key's conversation is not joined, and its id gives the outsider nothing of it.
    other = ask(client, OUTSIDER, "Och de kontrollmål som inte uppfylldes?", conversation_id=conversation)
    assert other["conversation_id"] != conversation
    assert_hidden(json.dumps(other, ensure_ascii=False))


def test_openai_chat_completions_and_their_stream(client):
    messages = [
        {"role": "user", "content": "Vilka rekommendationer gavs i Alvesta?"},
        {"role": "assistant", "content": "…"},
        {"role": "user", "content": "Och i Hultsfred?"},
    ]
    body = {"model": "auditqa-extractive", "messages": messages}
    outsider = call(client, OUTSIDER, "POST", "/v1/chat/completions", json=body)
    assert outsider.status_code == 200 and not outsider.json()["citations"]
    assert_hidden(outsider.text, question_names_it=True)
    streamed = call(client, OUTSIDER, "POST", "/v1/chat/completions", json={**body, "stream": True})
    assert streamed.status_code == 200 and streamed.text.rstrip().endswith("data: [DONE]")
    assert_hidden(streamed.text, question_names_it=True)
    across = {**body, "messages": [{"role": "user", "content": "Vilka kontrollmål bedömdes ej uppfyllda?"}]}
    assert_hidden(call(client, OUTSIDER, "POST", "/v1/chat/completions", json=across).text)
    insider = call(client, INSIDER, "POST", "/v1/chat/completions", json=body).json()
    assert {c["document_id"] for c in insider["citations"]} == {RESTRICTED}
    assert "Källor" in insider["choices"][0]["message"]["content"] and "Hultsfred 2019" in insider["choices"][0]["message"]["content"]


def test_streamed_ask(client):
    response = call(client, OUTSIDER, "POST", "/v1/ask", json={"question": "Vilka kontrollmål bedömdes ej uppfyllda?", "stream": True})
    assert response.status_code == 200 and "event: done" in response.text
    assert_hidden(response.text)


# -- uploads ---------------------------------------------------------------------------------------------------


def _upload(client, fields: dict, replace: bool = False):
    files = {"file": ("vaxjo-grupp.txt", (FIXTURE_REPORTS / "vaxjo-2019-forstudie-ensamkommande.txt").read_bytes(), "text/plain")}
    query = "?wait=true" + ("&replace=true" if replace else "")
    return call(client, ADMIN, "POST", f"/v1/documents{query}", files=files, data=fields)


def _sees(client, key: str, document_id: str) -> bool:
    return any(d["document_id"] == document_id for d in call(client, key, "GET", "/v1/documents").json()["documents"])


def test_an_upload_names_its_groups_and_a_replacement_keeps_them(client):
    assert _upload(client, {"access_groups": "två ord"}).status_code == 422
    created = _upload(client, {"access_groups": "revision, hr"})
    assert created.status_code == 201, created.text
    document_id = created.json()["document_id"]
    assert created.json()["access_groups"] == ["hr", "revision"]
    try:
        job = f"/v1/jobs/{created.json()['job_id']}"
        assert call(client, INSIDER, "GET", job).json()["document"]["document_id"] == document_id
        unknown = call(client, PLAIN, "GET", "/v1/jobs/finns-inte").json()["detail"]
        hidden = call(client, PLAIN, "GET", job)  # the job of a document the key may not see is unknown too
        assert hidden.status_code == 404 and hidden.json()["detail"] == unknown.replace("finns-inte", created.json()["job_id"])
        assert _sees(client, INSIDER, document_id) and _sees(client, OUTSIDER, document_id)  # the outsider is in hr
        assert not _sees(client, PLAIN, document_id)
        search = call(client, PLAIN, "POST", "/v1/search", json={"query": "Växjö ensamkommande", "top_k": 50}).json()["results"]
        assert all(hit["document_id"] != document_id for hit in search)
        replaced = _upload(client, {"title": "Ny titel"}, replace=True)  # no access_groups: the old ones stay
        assert replaced.status_code == 201 and replaced.json()["access_groups"] == ["hr", "revision"]
        assert not _sees(client, PLAIN, document_id)
        public = _upload(client, {"access_groups": "*"}, replace=True)
        assert public.status_code == 201 and public.json()["access_groups"] == []
        assert _sees(client, PLAIN, document_id)
    finally:
        assert call(client, ADMIN, "DELETE", f"/v1/documents/{document_id}").status_code == 200
