"""The one reading of a question: everything the answerers need, read once, as one `QuestionAnalysis`.

The municipalities and years it names, what kind of answer it wants, its language, whether it spans the
reports, and what it asks of the structured answerers (a findings question, a fact of the report itself,
an ordinal naming a numbered heading, a total, a second question, the measure a figure is asked of).
"""

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from ingest.language.english import is_english
from ingest.language.lexicon import asked_parts, lexicon, opinion_holder_pattern, swedish_municipalities
from ingest.language.ordinals import Ordinal, asked_ordinal
from service.query.findings_questions import FindingsQuestion, read_findings_question
from service.query.report_questions import Asked as ReportAsk
from service.query.report_questions import read_report_question


class QuestionError(Exception):
    """A question that cannot be asked (empty, too long)."""


# Bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069): invisible, and able to make a
# question, a stored turn or a log line read differently from what it says.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def check_question(question: str, max_chars: int) -> str:
    """The question as every reader takes it: valid Unicode, composed (a decomposed "å" typed on some systems is
    one letter again), without bidi controls, trimmed, within the length limit."""
    surrogate = _LONE_SURROGATE.search(question)
    if surrogate:
        # A terminal's undecodable bytes arrive so (surrogateescape); nothing could store or quote them.
        raise QuestionError(f"frågan innehåller ett ensamt surrogattecken (U+{ord(surrogate.group()):04X} på plats {surrogate.start() + 1})")
    stripped = _BIDI_CONTROLS.sub("", unicodedata.normalize("NFC", question)).strip()
    if not stripped:
        raise QuestionError("frågan är tom")
    if len(question) > max_chars:
        raise QuestionError(f"frågan är {len(question)} tecken lång; högst {max_chars} tecken tillåts")
    return stripped


# Municipality names that are also ordinary Swedish words ("vara", "mark", "berg"): only a capitalized
# mention inside the sentence, or one followed by "kommun", counts for these.
AMBIGUOUS_NAMES = frozenset(
    "ale berg boden eda flen habo heby hjo kil lund mark mora nora orsa sala salem sunne tanum vara åre malå"
    " skara trosa säter kinda ånge".split()
)
_PREPOSITION = r"(?:i|för|av|från|in|om|at|of|for)"
_YEAR = re.compile(r"\b(19[5-9]\d|20[0-4]\d)\b")


@lru_cache(maxsize=32)
def _candidate_pattern(names: tuple[str, ...]) -> re.Pattern:
    """One pass over the question for all 290 names; the careful per-name check runs only on hits."""
    alternation = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?<![\w-])({alternation})", re.IGNORECASE)


@dataclass(frozen=True)
class QuestionAnalysis:
    municipalities: tuple[str, ...] = ()
    unknown_municipalities: tuple[str, ...] = ()
    years: tuple[int, ...] = ()
    answer_type: str = "general"  # reason | purpose | deficiency | example | count | duration | amount | date | name | firm | person | list | yesno | general
    language: str = "sv"  # "en" when the question is written in English
    # Asks which reports say something ("I vilka kommuner nämns Röda korset?"): every report may hold a part.
    across_reports: bool = False
    # What the structured answerers are asked: a findings question, a fact of the report itself.
    findings: FindingsQuestion | None = None
    report: ReportAsk | None = None
    # "den andra åtgärdskatalogen": the numbered heading an ordinal names.
    ordinal: Ordinal | None = None
    # Every year written in the question, in the corpus or not ("Vilken förändring år 2010 …").
    mentioned_years: tuple[str, ...] = ()
    # "Vad blev summan …?", "… totalt?": a table's sum row answers, not its largest item.
    wants_total: bool = False
    # Asks two things ("Vilket mål fanns …, och vad blev utfallet 2016?").
    second_ask: bool = False
    # What a figure is asked of: "arbetslösheten" in "Hur hög var arbetslösheten?" (None when too general).
    measured_word: str | None = None
    # Capitalized words after the first: names the answer must contain ("KPMG", "Röda korset").
    capitalized: tuple[str, ...] = ()
    # Why no report can answer it, whatever they say: "task", "prediction", "opinion" or "general"; None if in scope.
    out_of_scope: str | None = None
    # Whose view it asks for other than the auditors' ("Vad tyckte hyresgästerna …" -> "hyresgästerna"): an answer
    # must give that view, not what the auditors found.
    opinion_holder: str | None = None
    # The part of the report's frame it asks for ("Vilka intervjuades?" -> "metod"), which the genre states under
    # its heading in sentences that need not name it.
    asked_part: str | None = None


def _mention(name: str, question: str) -> bool:
    escaped = re.escape(name)
    # "Kalmarrapporten", "Umeågranskningen" name the municipality's report; "Kalmar- och Alvestarapporten"
    # shares the compound's last part.
    capitalized = re.compile(
        rf"(?<![\w-]){escaped}s?(?:-?rapport(?:en)?|-?granskningen|-(?=\s+(?:och|eller|respektive|samt)\s))?(?![\w-])"
    )
    for match in capitalized.finditer(question):
        before = question[: match.start()].rstrip()
        sentence_start = not before or before[-1] in ".!?:"
        followed_by_kommun = question[match.end() :].lstrip().lower().startswith("kommun")
        if followed_by_kommun or not sentence_start or name.lower() not in AMBIGUOUS_NAMES:
            return True
    lower = name.lower()
    if lower in AMBIGUOUS_NAMES or len(lower) < 4:
        return bool(re.search(rf"(?<![\w-]){re.escape(lower)}s? kommun", question.lower()))
    # In lower case, typed in a hurry: after a preposition, before "kommun", or naming its report ("umeå rapporten").
    return bool(
        re.search(
            rf"(?:{_PREPOSITION}\s+{re.escape(lower)}s?(?![\w-]))|(?<![\w-]){re.escape(lower)}s?(?: kommun|[\s-]?(?:rapport|granskning)(?:en)?\b)",
            question.lower(),
        )
    )


# The cue that comes first in the question decides what kind of fact it asks for ("Vem yrkade bifall …
# när rapporten behandlades?" asks for a person); on a tie, the earlier entry in this table.
_ANSWER_TYPES = (
    (
        "reason",
        r"^(?:och )?(?:varför|why)\b|\bhur motivera|\b(?:vad|vilk\w+) (?:är|var|fanns) (?:skälet|skälen|anledningen|orsaken|orsakerna)\b"
        r"|\bvad beror\b|\bvilk(?:et|a) skäl\b|\bmed vilken motivering\b|\bwhat (?:is|was|are|were) the reasons?\b|\bon what grounds\b",
    ),
    # The genre states its purpose in one sentence ("Granskningen syftar till att …", "Syftet med granskningen är …").
    # Only the purpose of the audit itself: "Vilka åtgärder vidtogs i syfte att …?" asks about something else.
    (
        "purpose",
        r"\bsyftet (?:med|för) (?:den |denna )?(?:\S+-)?(?:granskning|revision|rapport|förstudie|uppdrag|studie)\w*"
        r"|\b(?:granskningens|revisionens|rapportens|förstudiens|uppdragets) syfte|\bvad (?:syftar|syftade) (?:\S+-)?(?:granskning|revision|rapport|förstudie)\w*"
        r"|\bvad (?:är|var) syftet\b|\b(?:purpose|aim|objective) of the (?:\w+ )?(?:audit|review|report|study)\b"
        # What a report is about is what it set out to examine.
        r"|\bvad (?:handlar|handlade|gäller|gällde) (?:den |denna )?(?:\S+[- ])?(?:granskning|revision|rapport|förstudie)\w* om\b"
        r"|\bvad (?:granskades|har granskats|granskas)\b|\bwhat (?:is|was) the (?:\w+ )?(?:audit|report|review) about\b",
    ),
    # What the audit found wanting, or an example of it: the genre states both in sentences of their own.
    ("deficiency", r"\bbrist(?:er|erna|en)?\b|\bsvaghet\w*|\bförbättringsområd\w*|\bpåtala\w*|\bshortcomings?\b|\bweakness\w*|\bdeficienc\w*"),
    ("example", r"\bexempel\b|\bexample\b"),
    ("count", r"\bhur (många|stor andel)\b|\bantal(et)?\b|\bhow many\b"),
    # How long something took or may take: a number of days, weeks or months ("handläggningstiden var 23 veckor").
    ("duration", r"\bhur (?:lång tid|länge)\b|\bhur långa? (?:var|är|blev) (?:\w+)?(?:handläggnings|vänte|svars|ledig)?tid\w*|\bhow long\b"),
    ("amount", r"\bhur (mycket|stor[at]?|hög[at]?)\b|\bvad (?:kostade|kostar)\b|\bbelopp\b|\bkostnad|\bmnkr|\btkr|\bhow much\b|\bwhat (?:percentage|share|proportion)\b|\bbudget"
     r"|\bwhat (?:did|does|do|will)\b.{0,60}\bcost\b"),
    # "när" asks when only where it opens the question: "… använder när arbetet rapporteras?" is a clause of time.
    ("date", r"(?:^|[,:;]\s*)(?:och\s+)?när\b|\bsedan när\b|\bvilket (datum|år)\b|\bvilken månad\b|\bdatum\b|\bdaterad\w*|\bwhen\b|\bwhat date\b|\bwhich (year|month)\b"),
    ("name", r"\bvad heter\b|\bwhat is the name\b|\bnamnet på\b"),
    ("firm", r"\bvilken (revisionsbyrå|revisionsfirma|byrå|konsult)|\bvilket (revisionsbolag|konsultföretag|företag)\b|\bwhich (audit |accounting )?firm\b"),
    (
        "person",
        r"\bvem\b|\bvilka personer\b|\bvilken revisor\b|\bwho\b|\bskrev\b|\bförfattare"
        r"|^vilka (?:har )?(?:skrivit|författat|undertecknat|genomfört|gjort)\b",
    ),
    ("list", r"\bvilka\b|\bwhich\b|\blista\b|\bwhat are\b"),
    ("yesno", r"^(finns|har|är|gör|kan|bedömdes|fick|do|does|is|are|has|did)\b"),
)


_ACROSS_REPORTS = re.compile(
    r"\b(?:i )?vilka kommuner\b|\bvilken av (?:granskningarna|rapporterna|kommunerna)\b"
    r"|\bvilka av (?:granskningarna|rapporterna|kommunerna)\b|\b(?:in )?which municipalities\b",
    re.IGNORECASE,
)
# "Vilka rapporter …" asks across the reports, except of one municipality's: "Vilka granskningar följdes upp i Borås?"
# asks what one report lists.
_ACROSS_UNNAMED = re.compile(r"\b(?:i )?vilka (?:rapporter|granskningar)\b|\b(?:in )?which (?:reports|audits)\b", re.IGNORECASE)


def _answer_type(q: str) -> str:
    found = [(m.start(), order, kind) for order, (kind, pattern) in enumerate(_ANSWER_TYPES) if (m := re.search(pattern, q))]
    return min(found)[2] if found else "general"


def analyze_question(question: str, corpus_municipalities: tuple[str, ...], corpus_years: tuple[int, ...]) -> QuestionAnalysis:
    known = {m.lower(): m for m in corpus_municipalities}
    candidates = _candidate_pattern(tuple(dict.fromkeys((*corpus_municipalities, *swedish_municipalities()))))
    found = {m.group(1).lower() for m in candidates.finditer(question)}
    names = dict.fromkeys((*corpus_municipalities, *swedish_municipalities()))
    named = [m for m in names if m.lower() in found and _mention(m, question)]
    # "Upplands Väsby" also mentions "Väsby"-less names; keep the longest overlapping mention only.
    named = [m for m in named if not any(m != o and m in o for o in named)]
    in_corpus = tuple(known[m.lower()] for m in named if m.lower() in known)
    unknown = tuple(m for m in named if m.lower() not in known)
    years = tuple(int(y) for y in _YEAR.findall(question) if int(y) in corpus_years)
    return QuestionAnalysis(
        municipalities=in_corpus,
        unknown_municipalities=unknown,
        years=years,
        answer_type=_answer_type(question.lower().strip()),
        language=_language(question),
        across_reports=bool(_ACROSS_REPORTS.search(question) or len(in_corpus) != 1 and _ACROSS_UNNAMED.search(question)),
        findings=read_findings_question(question),
        report=read_report_question(question),
        ordinal=asked_ordinal(question),
        mentioned_years=tuple(re.findall(r"\b(?:19|20)\d\d\b", question)),
        wants_total=bool(_TOTAL_ASKED.search(question)),
        second_ask=bool(_SECOND_ASK.search(question)),
        measured_word=_measured_word(question),
        capitalized=tuple(_CAPITALIZED.findall(question[1:])),
        out_of_scope=_out_of_scope(question, bool(named)),
        opinion_holder=_opinion_holder(question),
        asked_part=_asked_part(question),
    )


def _asked_part(question: str) -> str | None:
    found = [(m.start(), part) for part, asked in asked_parts().items() if (m := asked.question.search(question))]
    return min(found)[1] if found else None


_AUDITORS = frozenset(w for phrase in lexicon()["overall_assessment"]["auditors"] for w in phrase.split()) | {"revisorn", "granskarna", "granskaren"}
_GENERAL_HOLDERS = frozenset("du ni man de dom folk kommunen rapporten granskningen".split())


def _opinion_holder(question: str) -> str | None:
    """Whose view a question asks for, unless it is the auditors' (which the findings state) or a general "man"/"de"."""
    found = opinion_holder_pattern().search(question)
    if found is None:
        return None
    holder = found.group(1).casefold()
    return None if holder in _AUDITORS or holder in _GENERAL_HOLDERS else holder


@lru_cache
def _scope_cues() -> tuple[tuple[tuple[str, tuple[re.Pattern, ...]], ...], re.Pattern, tuple[re.Pattern, ...]]:
    table = lexicon()["scope"]
    cues = tuple((kind, tuple(re.compile(p, re.IGNORECASE) for p in table[kind])) for kind in ("task", "prediction", "opinion", "general"))
    explicit = tuple(re.compile(p, re.IGNORECASE) for p in table["explicitly_general"])
    return cues, re.compile(table["about_reports"], re.IGNORECASE), explicit


def _out_of_scope(question: str, names_a_municipality: bool) -> str | None:
    cues, about_reports, explicitly_general = _scope_cues()
    for kind, patterns in cues:
        if any(p.search(question) for p in patterns):
            if kind == "general" and (names_a_municipality or about_reports.search(question)):
                continue
            return kind
    return "general" if any(p.search(question) for p in explicitly_general) else None


_TOTAL_ASKED = re.compile(r"\bsumman?\b|\btotalt\b|\bsammanlagt\b|\bin total\b", re.IGNORECASE)
_SECOND_ASK = re.compile(r"\boch (?:vad|hur|när|vem|vilk\w*)\b", re.IGNORECASE)
_CAPITALIZED = re.compile(r"\b[A-ZÅÄÖ][\wåäö]+")
# What a figure is asked of: "Hur många elever …", "Hur hög var arbetslösheten …".
_MEASURED = re.compile(
    r"\bhur (?:många (?!av\b)|(?:hög|högt|höga|stor|stort|stora) (?:var|är|blev) (?:den |det |de )?)([^\W\d_]{4,})", re.IGNORECASE
)
# Measures too general to name what is counted.
_GENERAL_MEASURES = frozenset("andel andelen del delen antal antalet summa summan belopp beloppet gånger procent".split())


def _measured_word(question: str) -> str | None:
    found = _MEASURED.search(question)
    if found is None or found.group(1).lower() in _GENERAL_MEASURES:
        return None
    return found.group(1).casefold()


def _language(question: str) -> str:
    return "en" if is_english(question) else "sv"
