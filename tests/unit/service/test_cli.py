"""The `auditqa` command as a user meets it: one file or a folder, an empty folder refused in one line, a
municipality in any case, and a conversation in the terminal. The real pipeline with the fake embedder."""

import builtins

import pytest
from fixtures.fake_embedder import FakeEmbedder
from fixtures.homes import CORPUS

from service import cli
from service.api import app as api_app

LULEA = CORPUS / "lulea-2007-integration.txt"


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("AUDITQA_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("AUDITQA_CORPUS_DIR", str(CORPUS))
    monkeypatch.setattr(cli, "_embedder", lambda settings: FakeEmbedder())
    real_build = api_app.build_qa
    monkeypatch.setattr(api_app, "build_qa", lambda settings, embedder=None: real_build(settings, FakeEmbedder()))
    cli.get_settings.cache_clear()
    yield tmp_path
    cli.get_settings.cache_clear()


def test_one_report_file_is_ingested(home, capsys):
    assert cli.main(["ingest", str(LULEA)]) == 0
    err = capsys.readouterr().err
    assert "laddar inbäddningsmodellen" in err and "[1/1] lulea-2007-integration" in err  # progress before and during
    assert cli.main(["status", "--json"]) in (0, 1)
    assert '"documents": 1' in capsys.readouterr().out


@pytest.mark.parametrize("content", [None, "bild.png"])
def test_a_folder_without_reports_is_refused_in_one_line(home, capsys, content):
    folder = home / "tom"
    folder.mkdir()
    if content:
        (folder / content).write_bytes(b"\x89PNG\r\n")
    assert cli.main(["ingest", str(folder)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "innehåller inga rapporter" in err[0] and str(folder) in err[0]


def test_a_file_of_another_type_is_refused_in_one_line(home, capsys):
    path = home / "bild.png"
    path.write_bytes(b"\x89PNG\r\n")
    assert cli.main(["ingest", str(path)]) == 2
    assert "ingen rapport som kan läsas in" in capsys.readouterr().err


def test_the_municipality_option_takes_any_case(home, capsys):
    assert cli.main(["ingest", str(LULEA)]) == 0
    capsys.readouterr()
    assert cli.main(["ask", "--municipality", "LULEÅ", "Vilka rekommendationer gavs?"]) == 0
    assert "Luleå" in capsys.readouterr().out


def test_an_english_question_is_answered_and_sourced_in_english(home, capsys):
    assert cli.main(["ingest", str(LULEA)]) == 0
    capsys.readouterr()
    assert cli.main(["ask", "Which recommendations were given in Luleå?"]) == 0
    out = capsys.readouterr().out
    answer, sources = out.split("\nSources:\n")
    assert answer.startswith("According to the reports (quoted in Swedish):\nLuleå (2007) – 5 recommendations (rekommendationer):")
    assert sources.startswith("  [1] Integration – revisionsrapport (Luleå 2007), section ") and ", characters " in sources
    assert "Källor" not in out and "tecken" not in out


def test_chat_resolves_follow_ups_and_asks_back_on_a_bare_one(home, capsys, monkeypatch):
    assert cli.main(["ingest", str(CORPUS)]) == 0
    capsys.readouterr()
    typed = iter(["Och i Umeå?", "ny", "Vilka rekommendationer gavs i Luleå?", "Och i Umeå?", ""])
    monkeypatch.setattr(builtins, "input", lambda prompt="": next(typed))
    assert cli.main(["chat"]) == 0
    out = capsys.readouterr().out
    assert "bygger på en tidigare fråga" in out  # the first, bare follow-up
    assert "(Tolkad som: Vilka rekommendationer gavs i Umeå?)" in out
    assert "Källor:" in out


def test_every_argument_has_help():
    for action in (a for sub in cli.parser()._subparsers._group_actions for p in sub.choices.values() for a in p._actions):
        assert action.help, action.dest
