"""Reading a question about a report itself: its date, its author, who carried it out, the firm, which report is
oldest, or a fact its cover states about it (its number of pages, its diarienummer, its address)."""

import re
from typing import Literal, cast

from ingest.language.lexicon import document_facts, firm_pattern

Asked = Literal["date", "author", "conductor", "firm", "title", "oldest", "by_firm", "about", "count", "pages", "reference", "number", "address"]

_REPORT = r"(?:\w*rapport\w*|förstudie\w*|granskning\w*|utredning\w*|report|audit|study)"
# "KPMG:s rapport", "the report", "Kalmar's report", and as hurried typing writes it, "kalmar rapporten".
_OWNER = r"(?:\S+:s |the |\w+'s |[^\W\d_]+ (?=\w*(?:rapport|granskning)))?"
_DONE = r"(?:har )?(?:genomfört|genomförde|gjort|gjorde|utfört|utförde|står bakom)"
_WHICH = r"(?:(?:i )?(?:vilka |vilken av (?:de )?|vilka av (?:de )?)(?:kommuner|rapporter|granskningar)(?:na)?|(?:in )?which (?:municipalities|reports|audits))"
_QUESTIONS: tuple[tuple[Asked, re.Pattern], ...] = (
    # Across the reports, a list the catalog holds: the reports one firm made, the reports on one subject.
    (
        "by_firm",
        re.compile(
            rf"\b{_WHICH}\b[^?]*\b(?:av|från|gjorde|gjort|genomförde|genomfört|granskade|granskat|skrev|skrivit|by|did|made|conducted|wrote|audited)\b"
            rf"|\bvilka (?:granskningar|rapporter) har (?!\w+ (?:om|kring)\b)\S+ (?:gjort|genomfört|skrivit)\b"
            # "Vilka granskningar gjorde PwC?": the verb before the firm; "Hur många rapporter skrev EY?" counts them.
            rf"|\b(?:vilka|hur många) (?:granskningar|rapporter) (?:har )?(?:gjorde|gjort|genomförde|genomfört|skrev|skrivit|utförde|utfört)\b"
        ),
    ),
    # "Hur många rapporter finns det?", "Hur många granskningar finns från Halmstad?": the reports counted and listed.
    (
        "count",
        re.compile(
            r"^hur många (?:revisions)?(?:rapporter|granskningar)(?: (?:finns|har|ingår|är)(?: det)?(?: du)?)?"
            r"(?: (?:i|från|för|om) (?:[^\W\d_]+|(?:19|20)\d\d)| totalt| sammanlagt| i underlaget| i tjänsten)*\s*\??$"
            r"|^how many (?:reports|audits)(?: are there| do you have| are| were)?(?: (?:in|from|for) (?:[^\W\d_]+|(?:19|20)\d\d)| in total| there)*\s*\??$"
            # "Vilka kommuner har granskats?", "Vilka kommuner finns det rapporter från?": every report, listed.
            r"|^(?:i |från )?vilka kommuner (?:har granskats|finns(?: det)?(?: rapporter| granskningar)?(?: från)?|ingår)\s*\??$"
            # "Vilka granskningar gjordes 2020?": the reports of a year, counted and listed.
            r"|^vilka (?:revisions)?(?:rapporter|granskningar) (?:gjordes|genomfördes|skrevs|publicerades|finns(?: det)?|är|har vi)"
            r"(?: (?:från|för|under|i|år))* (?:19|20)\d\d\s*\??$"
            r"|^vilka (?:revisions)?(?:rapporter|granskningar) (?:från|för|under) (?:år )?(?:19|20)\d\d (?:finns(?: det)?|har (?:du|vi))\s*\??$"
            r"|^which (?:reports|audits) (?:were (?:made|written|done|carried out|published)|are there|are|do you have)"
            r"(?: (?:from|for|in|during))* (?:19|20)\d\d\s*\??$"
        ),
    ),
    (
        "about",
        re.compile(
            rf"\b{_WHICH}\b (?:(?:handlar|handlade|gäller|gällde|behandlar|avser) (?:om )?|(?:are|were|is) (?:about|on) )"
            # "Which report is about GDPR?": one report named by its subject, as the reports on it are.
            r"|\bwhich (?:of the )?(?:report|audit) (?:is|was) (?:about|on) "
            # "Vilken kommun har granskat krisberedskap?", "I vilka kommuner granskades hemtjänsten?": the reports on it.
            r"|\b(?:i )?(?:vilken|vilka) (?:kommun|kommuner) (?:har )?(?:granskat|granskade|granskats|granskades)\b"
            r"|\b(?:in )?which municipalit(?:y|ies) (?:has |have )?(?:audited|reviewed|examined)\b"
        ),
    ),
    (
        "oldest",
        re.compile(
            rf"\bvilken (?:av )?{_REPORT}\b[^?]*\b(?:äldst|nyast|senast|tidigast)\b"
            # "Vilket år är den äldsta rapporten från?", "När skrevs den senaste granskningen?"; not "Vad säger den senaste …".
            rf"|\b(?:vilken|vilket år|när|from what year)\b[^?]*\b(?:äldsta|nyaste|senaste|tidigaste|oldest|newest|latest) {_REPORT}"
            rf"|\bwhich (?:of the )?{_REPORT}s? (?:is|was) (?:the )?(?:oldest|newest|latest|most recent|earliest)\b"
            rf"|\b(?:which|what) (?:is|was) the (?:oldest|newest|latest|most recent|earliest) {_REPORT}"
        ),
    ),
    (
        "date",
        re.compile(
            rf"\bvilket datum (?:har|bär) {_OWNER}{_REPORT}|\bnär (?:är|var) {_OWNER}{_REPORT}\b[^?]{{0,60}}\bdaterad"
            # "När skrev PwC rapporten?" too, and "När?" after "Vem skrev rapporten …?", which reads the same.
            rf"|\b(?:när|vilket år) (?:skrevs|daterades|publicerades|lämnades|genomfördes|gjordes|utfördes|skrev|gjorde|genomförde|utförde) {_OWNER}{_REPORT}"
            rf"|\bvilket år är {_OWNER}{_REPORT}\b[^?]{{0,40}}\bfrån\b"
            rf"|\bwhen (?:is|was) {_OWNER}(?:\w+ )?{_REPORT} (?:dated|written|published)|\bwhat date (?:is|was|does) {_OWNER}(?:\w+ )?{_REPORT}"
        ),
    ),
    (
        "author",
        re.compile(
            rf"\b(?:vem|vilka) (?:har )?(?:skrivit|skrev|författade|författat|undertecknade) {_OWNER}{_REPORT}"
            rf"|\bvem (?:är|var) (?:författare(?:n)?|revisor(?:n)?) (?:till|av|för|bakom) {_OWNER}{_REPORT}"
            rf"|\bwho (?:wrote|authored|signed) {_OWNER}(?:\w+ )?{_REPORT}"
        ),
    ),
    (
        "conductor",
        re.compile(
            rf"\b(?:vem|vilka) {_DONE} {_OWNER}{_REPORT}|\bwho (?:carried out|conducted|performed|did) {_OWNER}(?:\w+ )?{_REPORT}"
            # "Vem granskade Sandviken?", "Who audited Sandviken?": who audited a place.
            r"|\b(?:vem|vilka) (?:har )?(?:granskade|granskat|reviderade|reviderat)\b|\bwho (?:has )?(?:audited|reviewed)\b"
        ),
    ),
    (
        "title",
        re.compile(
            rf"\bvad heter {_OWNER}{_REPORT}|\bvilken titel (?:har|bär) {_OWNER}{_REPORT}|\b{_REPORT}s titel\b"
            rf"|\bwhat is the (?:title|name) of {_OWNER}(?:\w+ )?{_REPORT}|\bwhat is {_OWNER}(?:\w+ )?{_REPORT} called"
        ),
    ),
    (
        "firm",
        re.compile(
            rf"\bvilken (?:revisionsbyrå|byrå|revisionsfirma|firma|konsult)\w* {_DONE} {_OWNER}{_REPORT}"
            # "Vilken revisionsbyrå granskade Härryda?": the firm of the audit of a place.
            rf"|\bvilken (?:revisionsbyrå|byrå|revisionsfirma|firma|konsultfirma)\w* (?:har )?(?:granskade|granskat|reviderade|reviderat)\b"
            rf"|\bwhich (?:audit |accounting )?firm (?:audited|reviewed)\b"
            # "Vilka revisionsbyråer har skrivit rapporterna?": each report's firm; consultants only where the question
            # is about the audits (a municipality hires consultants of its own).
            r"|\bvilka (?:\w+-)?(?:revisionsbyrå|revisionsfirm|revisionsbolag|revisionsföretag)\w*"
            r"|\bvilka (?:byrå|konsultfirm|konsultbolag|konsultföretag)\w*\b[^?]*\b(?:gransk|revision|rapport|skr[ei]v)"
            r"|\bwhich (?:audit |accounting |consulting )?(?:firms|companies|consultancies)\b(?! (?:were|are|was|is) (?:audited|reviewed))"
            rf"|\bwhich (?:audit |accounting )?firm (?:carried out|conducted|performed|did|wrote) {_OWNER}(?:\w+ )?{_REPORT}"
        ),
    ),
)


def read_report_question(question: str) -> Asked | None:
    """Which fact of the report's own metadata the question asks for (its date, author, firm …), or None."""
    q = " ".join(question.casefold().split())
    # "… bedömdes av revisorerna …" names no firm: no question for a firm's reports.
    named_firm = bool(re.search(firm_pattern().pattern, question, re.IGNORECASE))  # hurried typing writes "pwc"
    asked = next((asked for asked, pattern in _QUESTIONS if pattern.search(q) and (asked != "by_firm" or named_firm)), None)
    return asked or next((cast(Asked, name) for name, fact in document_facts().items() if fact.asked.search(q) and fact.of.search(q)), None)
