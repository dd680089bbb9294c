"""The benchmark's corpus generator: the same reports for a seed, and reports the project's own parser and
findings extraction read as the genre (kontrollmål listed, each with the verdict the report states)."""

from evals.corpus_generator import generate, write_corpus
from ingest.documents.metadata import read_manifest
from ingest.findings.extraction import FindingsExtractor
from ingest.language.lexicon import swedish_municipalities
from ingest.structure.parsing import ReportParser


def test_a_seed_gives_the_same_reports_and_a_larger_count_extends_them():
    first, again, more = generate(12, seed=3), generate(12, seed=3), generate(20, seed=3)
    assert first == again
    assert more[:12] == first
    assert [r.text for r in generate(12, seed=4)] != [r.text for r in first]
    assert len({r.document_id for r in more}) == 20


def test_reports_vary_in_place_topic_firm_and_verdicts():
    reports = generate(60)
    known = set(swedish_municipalities())
    assert {r.municipality for r in reports} <= known
    assert len({r.municipality for r in reports}) > 30
    assert len({r.title for r in reports}) >= 5 and len({r.firm for r in reports}) >= 3
    assert {v for r in reports for v in r.verdicts} == {"uppfyllt", "delvis uppfyllt", "ej uppfyllt"}
    texts = "\n".join(r.text for r in reports)
    for phrase in ("i allt väsentligt", "till viss del", "\tJa\t", "\tNej\t", "\tDelvis\t", "Bilaga 1. Nyckeltal"):
        assert phrase in texts


def test_the_findings_extraction_reads_each_kontrollmal_and_its_verdict():
    for report in generate(40, seed=7):
        extraction = FindingsExtractor().run(report.document_id, ReportParser().run(report.text))
        kontrollmal = [f for f in extraction.findings if f.kind == "kontrollmal"]
        assert [f.text for f in kontrollmal] == list(report.goals), report.document_id
        assert [f.verdict for f in kontrollmal] == list(report.verdicts), report.document_id
        kinds = {f.kind for f in extraction.findings}
        assert {"revisionsfraga", "revisionell_bedomning", "rekommendation"} <= kinds, report.document_id


def test_written_corpus_has_a_manifest_and_is_left_alone_when_unchanged(tmp_path):
    reports = write_corpus(tmp_path, 5)
    manifest = read_manifest(tmp_path)
    assert set(manifest) == {r.document_id for r in reports}
    assert manifest[reports[0].document_id]["municipality"] == reports[0].municipality
    stamps = {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()}
    write_corpus(tmp_path, 5)
    assert {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()} == stamps
