"""Fast tests of the real-report set: the span loader and its validation, the manifest mapping, and the set itself.

The synthetic reports below are made up here (no text of the real reports is ever copied into the project);
the tests of the real set read the shared folder in place and skip when it is absent.
"""

import json
import os
import re
from pathlib import Path

import pytest

from evals.answer_eval import AnswerRecord, score_answers
from evals.dataset import REAL_PATH, DatasetError, RealReportsError, load_real_items, read_real_manifest, real_texts
from evals.metrics import Retrieved
from evals.real_set import bare_municipality, pipeline_manifest, real_reports_dir, real_settings
from ingest.config import Settings

# AUDITQA_REAL_REPORTS_DIR (set by .ci/run), else the shared folder beside the checkout.
SHARED_REAL = Path(os.environ.get("AUDITQA_REAL_REPORTS_DIR") or Path(__file__).resolve().parents[4] / "shared" / "data" / "real-reports")
needs_shared = pytest.mark.skipif(not (SHARED_REAL / "manifest.toml").is_file(), reason=f"the real reports are not at {SHARED_REAL}")

# A made-up report: line 1 is a cover line, line 3 a verdict, line 5 a table row split over two lines.
REPORT = (
    "Revisionsrapport Granskning av snöröjning Exempelby kommun Maj 2031 Ada Exempelsson\n"
    "\n"
    "Vi bedömer att tekniska nämnden delvis har en ändamålsenlig styrning av snöröjningen under vintern.\n"
    "\n"
    "Finns det rutiner för att prioritera gator med busstrafik?\n"
    "Ja, i huvudsak\n"
)
MANIFEST = """
[[report]]
file = "exempelby-2031-snorojning.txt"
municipality = "Exempelbys kommun"
year = 2031
title = "Granskning av snöröjning"
firm = ""

[[report]]
file = "hallefors-2031-prov.txt"
municipality = "Hällefors kommun"
year = 2031
title = "Prov"
firm = "KPMG"
"""
DOC = "exempelby-2031-snorojning"


def _span(needle: str, doc: str = DOC, text: str = REPORT) -> dict:
    start = text.index(needle)
    return {"document_id": doc, "char_start": start, "char_end": start + len(needle)}


@pytest.fixture
def folder(tmp_path) -> Path:
    (tmp_path / f"{DOC}.txt").write_text(REPORT, encoding="utf-8")
    (tmp_path / "hallefors-2031-prov.txt").write_text("Ett kort prov på en rapport med flera ord i sig.\n", encoding="utf-8")
    (tmp_path / "manifest.toml").write_text(MANIFEST, encoding="utf-8")
    (tmp_path / "README.md").write_text("# not a report\n", encoding="utf-8")
    return tmp_path


def _row(**overrides) -> dict:
    row = {
        "id": "real-exempelby-verdict-01", "kind": "verdict", "question": "Hur bedömdes styrningen av vinterväghållningen?",
        "answerable": True, "gold": [_span("tekniska nämnden delvis har en ändamålsenlig styrning")],
        "must_contain": [[r"\bdelvis\b"]], "must_not_contain": ["i allt väsentligt"],
    }
    row.update(overrides)
    return row


def _write(tmp_path: Path, rows: list[dict]) -> Path:
    path = tmp_path / "set.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_spans_resolve_to_the_text_they_point_at(folder, tmp_path):
    table = _row(id="real-exempelby-table-01", kind="table", gold=[_span("Finns det rutiner för att prioritera gator med busstrafik?")],
                 must_contain=[[r"\bja\b"]], must_not_contain=[])
    refusal = {"id": "real-scope-01", "kind": "scope", "question": "Vad kostar en vinterjacka?", "answerable": False, "gold": [],
               "must_contain": [], "must_not_contain": []}
    items = load_real_items(folder, _write(tmp_path, [_row(), table, refusal]))
    gold = items[0].gold[0]
    assert gold.quote == "tekniska nämnden delvis har en ändamålsenlig styrning" == REPORT[gold.char_start : gold.char_end]
    assert items[1].gold[0].quote.endswith("busstrafik?")  # a table row: the fact may sit in the row's next line
    assert not items[2].answerable and items[2].kind == "scope"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"gold": [{"document_id": DOC, "char_start": 10, "char_end": 10_000}]}, "does not lie inside"),
        ({"gold": [{"document_id": DOC, "char_start": -1, "char_end": 20}]}, "does not lie inside"),
        ({"gold": [{"document_id": DOC, "char_start": 0, "char_end": "12"}]}, "does not lie inside"),
        ({"gold": [_span("Ada Exempelsson\n\nVi bedömer att")]}, "crosses a line break"),
        ({"gold": [{**_span("tekniska nämnden delvis har en ändamålsenlig"), "char_start": REPORT.index("tekniska") + 2}]}, "word boundaries"),
        ({"gold": [_span("delvis har en")]}, "has 3 words"),
        ({"gold": [{**_span("tekniska nämnden delvis har en ändamålsenlig styrning"), "quote": "x"}]}, "no quotes in this set"),
        ({"gold": [_span("tekniska nämnden delvis har en ändamålsenlig styrning", doc="nowhere")]}, "not one of the real reports"),
        ({"gold": []}, "needs at least one gold passage"),
        ({"must_contain": []}, "needs at least one must_contain fact"),
        ({"must_contain": [["uppfyllt"]]}, "matches none of the lines"),
        ({"must_contain": [["delvis har en ändamålsenlig styrning av"]]}, "longer than 5 words"),
        ({"question": "Varför har tekniska nämnden delvis en ändamålsenlig styrning av snöröjningen under vintern?"}, "repeats 7 consecutive words"),
        ({"kind": "gossip"}, "kind"),
    ],
)
def test_span_validation_names_the_item(folder, tmp_path, overrides, message):
    with pytest.raises(DatasetError) as error:
        load_real_items(folder, _write(tmp_path, [_row(**overrides)]))
    assert message in str(error.value)
    assert "real-exempelby-verdict-01" in str(error.value)


def test_a_missing_folder_or_manifest_is_one_clear_error(tmp_path):
    with pytest.raises(RealReportsError, match="does not exist"):
        read_real_manifest(tmp_path / "absent")
    with pytest.raises(RealReportsError, match="manifest.toml"):
        read_real_manifest(tmp_path)
    with pytest.raises(RealReportsError, match="AUDITQA_REAL_REPORTS_DIR"):
        real_reports_dir(Settings(home=tmp_path, real_reports_dir=None))
    with pytest.raises(RealReportsError, match="is not a folder"):
        real_reports_dir(Settings(home=tmp_path, real_reports_dir=tmp_path / "absent"))
    assert issubclass(RealReportsError, DatasetError)  # `auditqa eval` prints it as one line


def test_the_manifest_maps_to_the_pipelines_format(folder):
    paths, manifest = pipeline_manifest(folder)
    assert [p.name for p in paths] == [f"{DOC}.txt", "hallefors-2031-prov.txt"]  # README.md is no report
    assert manifest[DOC] == {"document_id": DOC, "title": "Granskning av snöröjning", "municipality": "Exempelby", "year": 2031}
    assert manifest["hallefors-2031-prov"]["municipality"] == "Hällefors" and manifest["hallefors-2031-prov"]["firm"] == "KPMG"
    assert set(real_texts(folder)) == {DOC, "hallefors-2031-prov"}


@pytest.mark.parametrize(
    ("name", "document_id", "bare"),
    [
        ("Falkenbergs kommun", "falkenberg-2010-va", "Falkenberg"),
        ("Hällefors kommun", "hallefors-2014-uppsikt", "Hällefors"),
        ("Göteborgs Stad", "goteborg-2021-krisberedskap", "Göteborg"),
        ("Stockholms stad", "stockholm-2014-investeringar", "Stockholm"),
        ("Örnsköldsviks kommun", "ornskoldsvik-2018-delar", "Örnsköldsvik"),
        ("Lomma kommun", "lomma-2020-fastighet", "Lomma"),
        ("Umeå kommun", "umea-2017-familjehem", "Umeå"),
    ],
)
def test_municipality_names_lose_kommun_and_a_genitive_s(name, document_id, bare):
    assert bare_municipality(name, document_id) == bare


def test_the_real_home_is_never_the_users(tmp_path):
    user = Settings(home=tmp_path / "user-home", chroma_url="http://127.0.0.1:1", collection_prefix="auditqa")
    own = real_settings(user, tmp_path / "real-home", tmp_path)
    assert own.home == tmp_path / "real-home" and own.chroma_url is None and own.collection_prefix != user.collection_prefix
    assert user.home == tmp_path / "user-home"


def test_scores_of_a_span_item_use_the_resolved_quote(folder, tmp_path):
    items = load_real_items(folder, _write(tmp_path, [_row()]))
    record = AnswerRecord(items[0].id, "Styrningen är delvis ändamålsenlig.", True, [Retrieved(DOC, REPORT.splitlines()[2])])
    summary, _ = score_answers(items, [record])
    assert summary["key_fact_accuracy"] == 1.0 and summary["citation_precision"] == 1.0 and summary["citation_recall"] == 1.0


# ---------------------------------------------------------------------------------------------- the real set itself


@needs_shared
def test_the_real_set_validates_and_covers_the_genre():
    items = load_real_items(SHARED_REAL)
    assert len(items) == len({i.id for i in items}) >= 100
    assert all(re.fullmatch(r"real-[a-z]+(-[a-z0-9]+)*-\d\d", i.id) for i in items)
    assert sum(not i.answerable for i in items) >= 20
    assert sum(i.kind == "english" for i in items) >= 15 and sum(i.kind == "hurried" for i in items) >= 10
    assert {"scope", "unanswerable", "verdict", "list", "date", "fact"} <= {i.kind for i in items}
    assert all(i.gold for i in items if i.answerable)
    cited = {g.document_id for i in items for g in i.gold}
    assert cited == set(real_texts(SHARED_REAL)), "every real report needs questions"


@needs_shared
def test_no_text_of_the_real_reports_is_in_the_project():
    """The set holds spans and facts, never passages: no 7 consecutive words of a report appear in the file."""
    raw = REAL_PATH.read_text(encoding="utf-8")
    assert '"quote"' not in raw
    words = re.findall(r"\w+", raw.lower())
    ours = {tuple(words[i : i + 7]) for i in range(len(words) - 6)}
    for document_id, text in real_texts(SHARED_REAL).items():
        theirs = re.findall(r"\w+", text.lower())
        shared = ours & {tuple(theirs[i : i + 7]) for i in range(len(theirs) - 6)}
        assert not shared, f"{REAL_PATH.name} repeats text of {document_id}: {' '.join(sorted(shared)[0])}"
