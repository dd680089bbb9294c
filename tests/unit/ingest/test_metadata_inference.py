"""Metadata read from a report's own text: which date is the report's own, in any firm's layout."""

import pytest

from ingest.documents.metadata import infer_metadata, resolve_metadata

RUNNING = (
    "Dataskyddsförordningen började gälla i samtliga medlemsländer 2018-05-25 och ersatte då den tidigare lagen "
    "om behandling av personuppgifter i kommunens verksamheter."
)


def report(cover: str = "", ending: str = "") -> str:
    return "\n\n".join(part for part in (
        "Granskning av införande av dataskydd", cover, "Innehållsförteckning\n\nSammanfattning 2\n\nInledning 3",
        "Sammanfattning", RUNNING, "Inledning", "Vi har granskat om nämnderna har vidtagit ändamålsenliga åtgärder när förordningen infördes.",
        ending,
    ) if part)


def test_a_date_in_running_text_is_not_the_reports_date():
    assert "date" not in infer_metadata("x", report())


def test_the_cover_dates_the_report():
    assert infer_metadata("x", report(cover="Vimmerby kommun 3 december 2020"))["date"] == "2020-12-03"


def test_a_signature_dateline_at_the_end_beats_the_cover():
    found = infer_metadata("x", report(cover="2020-11-02", ending="Vimmerby 14 december 2020\n\nAnna Andersson\nCertifierad kommunal revisor"))
    assert found["date"] == "2020-12-14"
    assert found["year"] == 2020


def test_a_reply_deadline_is_not_the_reports_date_and_a_signature_block_runs_on_after_its_dateline():
    letter = "Revisorerna önskar kommunstyrelsens svar på rekommendationerna senast den 30 november 2020.\n\nFalun den 4 september 2020"
    assert infer_metadata("x", report(cover=letter))["date"] == "2020-09-04"
    signature = "Falun den 21 augusti 2020\nKPMG AB\nSara Lind, certifierad kommunal revisor\nJohan Dahl, projektledare för granskningen"
    assert infer_metadata("x", report(cover=letter, ending=signature))["date"] == "2020-08-21"


def test_an_inferred_date_of_another_year_than_the_curators_is_dropped():
    text = report(cover="Rapporten bygger på underlag daterade 2018-05-25")
    manifest = {"x": {"year": 2020, "municipality": "Vimmerby"}}
    metadata = resolve_metadata("x", text, manifest, "x.txt")
    assert metadata.year == 2020
    assert metadata.date is None


@pytest.mark.parametrize(("cover", "municipality"), [("Ljusdals kommun", "Ljusdal"), ("Borås kommun", "Borås"), ("Hofors kommun", "Hofors")])
def test_the_municipality_is_named_without_its_genitive(cover, municipality):
    assert infer_metadata("x", report(cover=cover))["municipality"] == municipality


def test_the_authors_are_the_names_that_sign_beside_a_title():
    text = (
        "Granskning av färdtjänst\n\nBoxholms kommun\n\n1. Sammanfattning\n\nVi har granskat färdtjänsten.\n\n"
        "Linköping den 3 mars 2021\n\nAnna Berg, certifierad kommunal revisor\n\nJohan Ek-Lind\nProjektledare\n\n"
        "Boxholms Kommun\nKommunstyrelsen\n"
    )
    assert infer_metadata("boxholm-2021-fardtjanst", text)["auditor"] == "Anna Berg, Johan Ek-Lind"
    # Names without a title of the genre beside them sign nothing: a list of interviewees is no authorship.
    assert "auditor" not in infer_metadata("x", "Intervjuade\n\nKarin Holm\nEnhetschef\n")
    # The curator's authors win.
    given = resolve_metadata("boxholm-2021-fardtjanst", text, {"boxholm-2021-fardtjanst": {"auditor": "Eva Strand"}}, "x.txt")
    assert given.auditor == "Eva Strand"
