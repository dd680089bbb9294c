"""Reading a findings question: which kind of finding it asks for (kontrollmål, recommendations, audit
questions, the overall assessment), which verdict, about one kontrollmål or all, or a comparison of reports."""

import re
from dataclasses import dataclass
from typing import Literal

from ingest.findings.model import Kind, Verdict
from ingest.language.lexicon import english_verdicts, grade_phrases, ordinals, others_recommendations

# The earliest mention decides the kind: "Vilka rekommendationer gavs för kontrollmålen …" asks for recommendations.
_KIND_CUES: tuple[tuple[Kind, re.Pattern], ...] = (
    ("kontrollmal", re.compile(r"\bkontrollmål|\bkontrollfråg|\b(?:control|audit) objectives?\b")),
    # The genre recommends with "bör": "Vad bör nämnden göra?" asks for the recommendations.
    (
        "rekommendation",
        re.compile(
            r"\brekommend|\brecommend|\bvad (?:bör|borde)\b|\bvad (?:föreslår|föreslog) (?:revisor\w*|granskning\w*|rapport\w*|revision\w*|granskarna|de|man)\b|\bvad har (?:revisor\w*|granskning\w*|rapport\w*|revision\w*|granskarna) föreslagit\b|\bvilka förslag (?:lämnar|lämnade|ger|gav|har) (?:revisor\w*|granskning\w*|rapport\w*|revision\w*|granskarna)\b|\bwhat (?:do|did) (?:\w+ )?(?:auditors )?(?:propose|suggest)\b|\bvad ska\b.{0,60}\b(?:göra|förbättra|utveckla|åtgärda)\b"
            r"|\bwhat (?:should|ought)\b"
        ),
    ),
    ("revisionsfraga", re.compile(r"\brevisionsfråg|\bgranskningsfråg|\bfrågeställning|\baudit questions?\b")),
    (
        "revisionell_bedomning",
        # "den samlade bedömningen av kontrollmålen" is about the kontrollmål, not the overall assessment.
        re.compile(
            r"\brevisionell\w* bedömning|\b(?:samlade?|sammanfattande|övergripande|sammantagna) bedömning(?:en)?\b(?! av kontrollmål)"
            r"|\bslutsats(?:en|er|erna)?\b|\boverall (?:assessment|verdict|opinion)|\baudit opinion|\bconclusions?\b"
        ),
    ),
)
_NAMED_OVERALL = re.compile(r"\bbedömning|\bassessment|\bverdict|\bopinion")
# Checked in this order: "inte helt uppfyllt" is a partial verdict, not a negative one. English questions ask in the
# words of `[english.verdicts]` (lexicon.toml), checked in the same order.
_SWEDISH_VERDICT_CUES: tuple[tuple[Verdict, str], ...] = (
    # The genre's partial grades, as the reports write them ("i begränsad omfattning", "endast till viss del").
    ("delvis uppfyllt", r"\bgul[at]?\b|" + "|".join(rf"\b{re.escape(phrase)}\b" for phrase in grade_phrases("partly"))),
    # Colour grades: a table's "Röd" is the genre's "ej uppfyllt" ("Röda korset" is an organisation).
    (
        "ej uppfyllt",
        r"\bröd[at]?\b(?! korset)|\brött\b|\bmed (?:ett )?nej\b|\bnekande\b|\b(?:ej|inte|icke)\b[^.?!]{0,25}\buppfyll|\buppfyll\w*\s+(?:ej|inte)\b",
    ),
    ("uppfyllt", r"\bgrön[at]?\b|\bmed (?:ett )?ja\b|\bjakande\b|\buppfyll"),
)
_ENGLISH_VERDICTS: dict[str, Verdict] = {"partly": "delvis uppfyllt", "not": "ej uppfyllt", "fully": "uppfyllt"}
_VERDICT_CUES: tuple[tuple[Verdict, re.Pattern], ...] = tuple(
    (verdict, re.compile("|".join((swedish, *(english_verdicts()[grade] for grade, v in _ENGLISH_VERDICTS.items() if v == verdict)))))
    for verdict, swedish in _SWEDISH_VERDICT_CUES
)
# What the auditors found wanting in a report as a whole: the items it grades below fully, under its overall assessment.
SHORTCOMINGS = re.compile(
    r"\bbrist(?:er|erna|en)?\b|\bsvaghet\w*|\bförbättringsområd\w*|\bkritik\w*|\bkritiser\w*|\bpåpekande\w*"
    r"|\bvad (?:fungerar|fungerade) (?:inte|dåligt|sämst)\b|\bshortcomings?\b|\bweakness\w*|\bdeficienc\w*|\bcriticism\w*"
    r"|\bwhat (?:is|was|went) wrong\b"
)
# Whether something recommended has been done, the grade of a follow-up audit ("åtgärdad", "delvis genomförd").
_STATUS = re.compile(
    r"\b(?:åtgärda(?:ts|d|t|de|des)|genomför(?:ts|d|t|da|des)|verkställ(?:ts|d|t|da|des)|följts)\b|\bföljdes upp\b|\buppföljda\b"
    r"|\b(?:been )?(?:implemented|addressed|acted (?:up)?on|followed)\b"
)
# Questions that compare reports: which had the most kontrollmål, or the harshest or mildest verdicts.
Comparison = Literal["most", "fewest", "harshest", "mildest"]
_COMPARISON_CUES: tuple[tuple[Comparison, re.Pattern], ...] = (
    ("harshest", re.compile(r"\bmest kritisk|\bsämst|\bhårdast|\bsträngast|\bflest (?:ej|inte) uppfyll|\b(?:flest|mest) (?:brister|kritik|anmärkningar)|\bmost (?:shortcomings|criticism)|\bmost critical|\bworst|\bharshest")),
    ("mildest", re.compile(r"\bminst kritisk|\bbäst|\bmest positiv|\bflest (?:helt )?uppfyll|\bleast critical|\bbest\b|\bmost positive")),
    ("most", re.compile(r"\bflest\b|\bmost (?:control|audit) objectives|\bthe most\b")),
    ("fewest", re.compile(r"\bfärst\b|\bminst antal|\bfewest\b")),
)
_WHICH_MUNICIPALITY = re.compile(r"\bvilken (?:av )?(?:kommun|kommunerna)\b|\bvilka kommuner\b|\bwhich (?:of the )?municipalit")
_WHICH_REPORT = re.compile(
    r"\bvilk(?:en|et|a) (?:av )?(?:kommun|kommunerna|kommuner|rapport|rapporterna|rapporter|granskning|granskningarna|granskningar)\b"
    r"|\bwhich (?:of the )?(?:municipalit|reports?\b|audits?\b)"
)
# "Vilken av Timrå och Växjö …": a choice between reports named in the question.
_WHICH_OF_NAMED = re.compile(r"\bvilken av \w+ (?:och|eller) \w+\b|\bwhich of \w+ (?:and|or) \w+\b")
# What a comparison of verdicts grades: the outcome of the audit, not how well a report describes something.
_OUTCOME = re.compile(
    r"\b(?:bäst|sämst|mest positiv|mest kritisk|minst kritisk)\w*\s+(?:resultat\w*|bedömning\w*|betyg\w*|omdöme\w*|utfall\w*)"
    r"|\b(?:är|var|blev)\s+(?:den\s+)?(?:mest|minst)\s+(?:positiv|kritisk)|\b(?:best|worst)\s+(?:result|assessment|verdict)s?\b"
)
_ONE_GOAL = re.compile(r"\bkontrollmålet\b|\bkontrollfrågan\b|\b(?:the|this|that) (?:control|audit) objective\b(?!s)")
_ONE_QUESTION = re.compile(r"\b(?:revisions|gransknings)frågan\b|\bfrågeställningen\b|\b(?:the|this|that) (?:\w+ )?audit question\b(?!s)")
_ASSESSED = re.compile(
    r"\bbedöm(?:s|de|des|t|ts|er|as|ning\w*)\b|\bbesvara(?:de?s?)\b|\bsvar(?:et|en|ade|ar)?\b|\bassess\w*|\bjudged\b|\brated\b|\banswer(?:ed|s)?\b"
    # A yes/no question in the words the genre assesses with ("Är styrningen ändamålsenlig?", "Is the internal
    # control sufficient?") asks for the verdict, as a revisionsfråga does.
    r"|^(?:är|var|har|hade|finns|fanns|sker|skedde|bedrivs|fungerar|styr|säkerställer)\b.*\b(?:tillräcklig|ändamålsenlig|tillfredsställande|tillfredställande|effektiv|ändamålsenligt|rättssäker)"
    r"|^(?:is|are|was|were|does|do|did|has|have)\b.*\b(?:sufficient|adequate|appropriate|effective|satisfactory|to a sufficient extent)"
    # What the auditors thought of something is their assessment of it.
    r"|\bvad (?:tycker|tyckte|anser|ansåg) (?:revisorerna|granskarna|revisorn|revisionen)\b|\bwhat did the auditors (?:think|conclude)\b"
    # "Did the auditors judge that …?" as "Bedömde revisorerna att …?".
    r"|\bjudges?\b"
)
_NUMBERED_ITEM = re.compile(
    r"\b(?:(?:revisions|gransknings)?fråga|kontrollmål(?:et)?|(?:control )?objective|question)\s+(?:nr\.?\s*|nummer\s+|number\s+)?(\d{1,2})\b(?![.,]\d)"
)
_ORDINAL_ITEM = re.compile(rf"\b({'|'.join(ordinals())})\s+(?:(?:revisions|gransknings)?fråga|kontrollmål|(?:control |audit )?objective|(?:audit )?question)")
# "the last control objective" is one, as "det sista kontrollmålet" is.
_ONE_GOAL_QUALIFIED = re.compile(r"\b(?:the|this|that) \w+ (?:control|audit) objective\b(?!s)")
_SECTION_NUMBER = re.compile(r"(?<![\d.])\d{1,2}(?:\.\d{1,2})+(?![\d.])")
# Asks for the gist of a report: its overall assessment and what it recommends.
_SUMMARY = re.compile(
    r"\bsammanfatta\w*|\bsammanfattning(?:en)? av\b|^sammanfattning(?:en)?\b|\bvad kom (?:\S+\s+){0,3}?(?:granskning(?:en)?|revisorerna|rapport(?:en)?|utredning(?:en)?|revision(?:en)?|uppföljning(?:en)?|förstudie(?:n)?)\b.{0,80}?\bfram till\b"
    r"|\bvad visade (?:granskningen|rapporten|revisionen|uppföljningen|förstudien)\b|\bvad blev (?:resultatet|utfallet) av (?:granskningen|revisionen)\b|\bhuvudsakliga (?:slutsatser|resultat)|\bvad (?:är|var) (?:det )?viktigaste\b"
    # Comparing what audits concluded sets out each one's gist side by side.
    r"|\bjämför (?:\w+ ){0,2}?(?:bedömning\w*|slutsats\w*|resultat\w*|granskning\w*|rapport\w*)\b"
    r"|\bcompare (?:the )?(?:\w+ )?(?:assessments|conclusions|findings|audits|reports)\b"
    # "summary umea", typed in a hurry, asks for the gist as "Summarize the report from Umeå" does.
    r"|\bsummar(?:ize|ise|y of)\b|^(?:a |short |brief )*summary\b|\bwhat did the (?:audit|auditors|report|review)\b.{0,40}?\b(?:find|conclude|show)\b|\bmain (?:findings|conclusions)\b"
)


@dataclass(frozen=True)
class FindingsQuestion:
    kind: Kind
    # The verdict asked for ("Vilka kontrollmål bedömdes ej uppfyllda?"), or None for all of them.
    verdict: Verdict | None = None
    # About one kontrollmål ("Hur bedömdes kontrollmålet om samordning?"), found by its wording or number.
    single: bool = False
    # No findings word, only an assessment ("Bedömde revisorerna att arbetsmarknadsenheten bidrar …?"):
    # answered only when one kontrollmål clearly matches, else left to retrieval.
    implicit: bool = False
    sections: tuple[str, ...] = ()
    # Which report had the most kontrollmål, or the harshest verdicts ("Vilken kommun fick den mest kritiska
    # bedömningen, Alvesta eller Hultsfred?").
    comparison: Comparison | None = None
    # Asks how they were assessed or answered; "Vilka kontrollmål hade granskningen?" and "Vilken revisionsfråga
    # skulle granskningen besvara?" ask only which they were.
    assessed: bool = True
    # "Sammanfatta rapporten", "Vad kom granskningen fram till?": the overall assessment with the recommendations.
    summary: bool = False
    # "revisionsfråga 2", "det andra kontrollmålet": one item by its place in the report's list.
    number: int | None = None
    # "Vilka brister fann revisorerna?": the overall assessment and the items graded below fully.
    shortcomings: bool = False


def read_findings_question(question: str) -> FindingsQuestion | None:
    """What findings the question asks for, or None when it is not a findings question."""
    q = " ".join(question.casefold().split())
    mentions = [(m.start(), kind) for kind, cue in _KIND_CUES if (m := cue.search(q))]
    if others_recommendations(question):
        # "avvikelser från RKR:s rekommendationer" asks about a norm, which retrieval finds in the text.
        mentions = [(start, kind) for start, kind in mentions if kind != "rekommendation"]
    assessed = bool(_ASSESSED.search(q))
    if not mentions and _SUMMARY.search(q):
        return FindingsQuestion("revisionell_bedomning", summary=True)
    if not mentions and SHORTCOMINGS.search(q):
        if _WHICH_REPORT.search(q) and next((c for c, cue in _COMPARISON_CUES if cue.search(q)), None) == "harshest":
            # "Vilken rapport har flest brister?" compares the reports' verdicts.
            return FindingsQuestion("kontrollmal", comparison="harshest")
        return FindingsQuestion("revisionell_bedomning", shortcomings=True)
    graded = next((c for c, cue in _COMPARISON_CUES if c in ("harshest", "mildest") and cue.search(q)), None)
    if not mentions and graded and _OUTCOME.search(q) and (_WHICH_REPORT.search(q) or _WHICH_OF_NAMED.search(q)):
        # "Vilken rapport har bäst resultat?", "Vilken av Timrå och Växjö fick bäst bedömning?": their verdicts compared.
        return FindingsQuestion("kontrollmal", comparison=graded)
    if not mentions and not assessed:
        return None
    kind = min(mentions)[1] if mentions else "kontrollmal"
    # "Vilken kommun fick flest rekommendationer?" counts them per report.
    counted = next((c for c, cue in _COMPARISON_CUES if c in ("most", "fewest") and cue.search(q)), None)
    if counted is not None and kind in ("rekommendation", "revisionsfraga") and _WHICH_REPORT.search(q):
        return FindingsQuestion(kind, comparison=counted)
    if kind == "revisionsfraga":
        # Answered like kontrollmål: by verdict ("Vilka revisionsfrågor besvarades med nej?") or one by number.
        verdict = next((v for v, cue in _VERDICT_CUES if cue.search(q)), None)
        return FindingsQuestion(
            kind, verdict, single=bool(_ONE_QUESTION.search(q)), assessed=assessed or verdict is not None, number=_item_number(q)
        )
    if kind == "rekommendation" and _STATUS.search(q):
        # "Vilka rekommendationer har inte åtgärdats?" asks how earlier recommendations were acted on, as a follow-up
        # audit grades them; the recommendations a report gives carry no such status, so retrieval finds it.
        return None
    if kind != "kontrollmal":
        # "Vilken slutsats drog granskarna?" is the overall assessment where a report states one; otherwise the
        # report may still conclude in other words, which retrieval can find.
        return FindingsQuestion(kind, implicit=kind == "revisionell_bedomning" and not _NAMED_OVERALL.search(q), assessed=assessed)
    comparison = next((c for c, cue in _COMPARISON_CUES if cue.search(q)), None)
    if not mentions and not (comparison in ("harshest", "mildest") and (_WHICH_MUNICIPALITY.search(q) or _WHICH_OF_NAMED.search(q))):
        # Without a findings word only "Vilken kommun fick den mest kritiska bedömningen?" compares: "flest" counts
        # something else, and "på bästa sätt" grades nothing.
        comparison = None
    if comparison is not None:
        return FindingsQuestion("kontrollmal", comparison=comparison)
    verdict = next((v for v, cue in _VERDICT_CUES if cue.search(q)), None)
    sections = tuple(_SECTION_NUMBER.findall(q))
    number = _item_number(q)
    return FindingsQuestion(
        "kontrollmal", verdict, single=bool(_ONE_GOAL.search(q) or _ONE_GOAL_QUALIFIED.search(q) or sections or number), implicit=not mentions, sections=sections,
        assessed=assessed or verdict is not None, number=number,
    )


def _item_number(q: str) -> int | None:
    """Which item of the report's list a question names: "revisionsfråga 2", "den andra revisionsfrågan"."""
    if numbered := _NUMBERED_ITEM.search(q):
        return int(numbered.group(1))
    if ordinal := _ORDINAL_ITEM.search(q):
        return ordinals()[ordinal.group(1)]
    return None
