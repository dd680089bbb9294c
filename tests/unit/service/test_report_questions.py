"""Questions about a report itself answered from the catalog's metadata, cited where the text states each value.

Recognition is fast; the answers run the real app over the ingested corpus (slow).
"""


import pytest

from service.answering.wording import ENGLISH, SWEDISH
from service.query.report_questions import read_report_question as read_question


@pytest.mark.parametrize(
    ("question", "asked"),
    [
        ("Vilket datum har förstudien om flyktingmottagande i Kalmar?", "date"),
        ("Vilket datum har KPMG:s rapport om integrationsarbetet i Umeå?", "date"),
        ("När är Kalmarrapporten daterad?", "date"),
        ("When was the Umeå report written?", "date"),
        ("Vem har skrivit förstudien om flyktingmottagande och integration i Kalmar?", "author"),
        ("Who wrote the Alvesta report?", "author"),
        ("Vem genomförde granskningen av integrationsarbetet i Luleå?", "conductor"),
        ("Vem granskade Lidköping?", "conductor"),
        ("Who audited Sandviken?", "conductor"),
        ("Hur många rapporter finns det?", "count"),
        ("Vilket år gjordes granskningen i Luleå?", "date"),
        ("Hur många granskningar finns från Halmstad?", "count"),
        ("How many reports are there?", "count"),
        ("Vilka kommuner har granskats?", "count"),
        ("Hur många rapporter finns från 2017?", "count"),
        ("Vilka granskningar gjorde PwC?", "by_firm"),
        ("vilka granskningar gjorde pwc", "by_firm"),
        ("Vilka revisionsbyråer har skrivit rapporterna?", "firm"),
        ("Vilka konsultbolag har anlitats för granskningarna?", "firm"),
        ("Which audit firms wrote the reports?", "firm"),
        ("Vilka konsultföretag anlitade kommunstyrelsen i Lomma?", None),
        ("Vilka kommuner finns det rapporter från?", "count"),
        ("Vilken kommun har granskat krisberedskap?", "about"),
        ("I vilka kommuner granskades hemtjänsten?", "about"),
        ("Vilka kommuner har granskats av KPMG?", "by_firm"),
        ("Vilka kommuner granskade KPMG?", "by_firm"),
        ("Vilka granskningar gjordes 2020?", "count"),
        ("vilka rapporter finns från 2019", "count"),
        ("Which audits were carried out in 2016?", "count"),
        ("Vilka granskningar gjordes om upphandling 2020?", None),
        ("Vilka granskningar från 2017 finns?", "count"),
        ("Hur många rapporter skrev EY?", "by_firm"),
        ("Vilken revisionsbyrå genomförde granskningen i Alvesta?", "firm"),
        ("Which firm conducted the audit in Hultsfred?", "firm"),
        ("Vilken revisionsbyrå granskade Härryda?", "firm"),
        ("Which firm audited Härryda?", "firm"),
        ("Vilka skrev granskningsrapporten om internhyror i Halmstad?", "author"),
        ("När genomfördes granskningen av fastighetsförvaltningen i Lomma?", "date"),
        ("Vilken av granskningarna är äldst och vilken är nyast?", "oldest"),
        ("Which of the reports is the most recent?", "oldest"),
        ("Vilket år är den äldsta rapporten från?", "oldest"),
        ("När skrevs den senaste granskningen?", "oldest"),
        ("Vad säger den senaste rapporten om målen?", None),
        ("Vad heter rapporten från Hultsfred?", "title"),
        ("What is the title of the report on Kalmar?", "title"),
        ("När är rapporten om elevhälsan i Vimmerby daterad?", "date"),
        ("vem skrev kalmar rapporten", "author"),
        # Across the reports: a firm's reports, the reports on a subject.
        ("Vilka kommuner har granskats av PwC?", "by_firm"),
        ("Which municipalities were audited by KPMG?", "by_firm"),
        ("Vilka rapporter handlar om delårsrapporter?", "about"),
        ("I vilka kommuner bedömdes kontrollmålen av revisorerna som uppfyllda?", None),
        ("Vilka rapporter nämner Röda korset?", None),
        ("Hur många rapporter nämner upphandling?", None),
        # About something the report describes, not the report:
        ("Vilket datum och vilken paragraf har kommunstyrelsens beslut om integrationsrapporten i Luleå?", None),
        ("Vem på KPMG kan man kontakta om Umeårapporten?", None),
        ("När genomfördes intervjuerna i Alvesta?", None),
        ("Från vilket datum finns arbetsmarknads- och integrationsenheten i Hultsfred?", None),
        ("Vem är revisionens ordförande i Umeå?", None),
    ],
)
def test_report_questions_are_recognized(question, asked):
    assert read_question(question) == asked


def test_dates_are_written_in_the_answers_language():
    assert SWEDISH.date("2016-02-17") == "17 februari 2016"
    assert SWEDISH.date("2019-01-22") == "22 januari 2019"
    assert SWEDISH.date("2020-03") == "mars 2020"  # a cover dated by month
    assert ENGLISH.date("2016-02-17") == "17 February 2016"
    assert ENGLISH.date("2020-03") == "March 2020"


def test_when_a_firm_wrote_the_report_is_its_date():
    from service.query.report_questions import read_report_question

    assert read_report_question("När skrev KPMG rapporten om lokalförsörjning?") == "date"
    # "När?" after "Vem skrev rapporten om …?" is resolved to the same words.
    assert read_report_question("När skrev rapporten om lokalförsörjning?") == "date"
