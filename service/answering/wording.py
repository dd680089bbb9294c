"""How answers are worded: one table per language, and the phrases composed from it.

Swedish is the service's own language; an English question (QuestionAnalysis.language, the one place that decides)
gets its answer framed in English. Only the service's own words change: what the reports say is quoted as they say
it, and the genre's Swedish terms and verdict words stand in quotes or brackets beside their English gloss
("3 control objectives (kontrollmål) were assessed as not met ("ej uppfyllt")"), so an English reader can find them
in the cited Swedish text.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass

from ingest.findings.model import NOTE_NO_VERDICT, NOTE_NOT_ASSESSED, Finding, FindingSource, Kind
from ingest.language.lexicon import months
from ingest.language.sentences import split_sentences

# A phrase of one item and of several: (one, many).
Forms = tuple[str, str]

# The genre's verdicts, from the mildest; tallies count them in this order.
VERDICT_SCALE = ("uppfyllt", "delvis uppfyllt", "ej uppfyllt")


@dataclass(frozen=True)
class Wording:
    """Every phrase an answer writes around the reports' words, in one language.

    Templates are `str.format` strings; one that says something of one or of several reports or items comes as
    Forms. Where a template names a value in braces, the caller passes it already worded (a count, a verdict).
    """

    language: str
    lead: str  # the line above a grounded answer ("" for none)
    quote: str  # the report's words in the language's quotation marks
    nouns: Mapping[Kind, Forms]  # a kind of finding counted: "4 rekommendationer", "4 recommendations (rekommendationer)"
    headings: Mapping[Kind, Forms]  # a kind of finding as a list's heading ("Rekommendationer:")
    verdicts: Mapping[str, Forms]  # a verdict of the scale as an answer states it
    not_assessed: str
    notes: Mapping[str, str]  # ingest's notes on a kontrollmål (model.NOTE_*), where they are not in this language
    in_reports_words: str  # "{verdict}, i rapportens ord {words}"
    report: str  # a passage without a section
    section: str  # "avsnitt {}"
    named_section: str  # an unnumbered section by its heading
    parts: Mapping[str, str]  # the report model's part names (ingest.structure.parts), where not in this language
    summary_in: str  # a verdict restated in a summary table elsewhere: "sammanställningen i {}"
    also_in: str  # between the places that state one verdict
    conjunction: str  # the last of names joined
    months: tuple[str, ...]
    month_date: str  # "{month} {year}"
    day_date: str  # "{day} {month} {year}"
    # -- refusals
    no_support: str  # "{topic}"
    no_support_reason: str  # ": {reason}"
    the_question: str  # the topic of a refusal that names none
    this_question: str  # the topic of a refusal of the question asked
    question_on: str  # "{topic}"
    question_about: str  # "{topic}", "{place}"
    unmentioned: str
    no_opinion: str  # "{holder}"
    no_reports_from: str  # "{names}"
    out_of_scope: Mapping[str, str]
    what_to_ask: str
    filter_excludes: str  # "{asked}", "{allowed}"
    choose_in_filter: str  # "{choices}", "{asked}", "{allowed}"
    none_loaded_in_filter: str  # "{asked}", "{allowed}"
    either: str  # between the municipalities a filter may be set to
    # -- what the reports cover
    no_reports: str
    corpus_count: str  # "{reports}", "{places}", "{span}"
    corpus_list: str  # "{items}"
    # -- paging
    no_more_reports: str  # "{total}"
    showing: str  # "{first}", "{last}", "{total}"
    next_page: str  # "{shown}", "{offset}"
    # -- findings
    reports_from: Forms  # "{names}"
    reports_counted: str  # "{n}"
    no_question_answered: str  # "{verdict}"
    in_summary: str  # "{label}"
    shortcomings_of: str  # "{label}"
    below_fully: str  # "{n}", "{count}"
    assessment_per: str  # "{noun}", "{tally}"
    and_more: str  # "{n}"
    neither_assessment_nor_recommendations: Forms  # "{reports}"
    states_none: Forms  # "{reports}", "{noun}"
    states_none_reason: Forms  # "{noun}"
    front_matter_only: str  # "{noun}", "{plural}"
    counted_in_reports: str  # "{count}", "{n}"
    of_kind: str  # "{label}", "{what}": the heading of one report's list
    sections_recommendations: str  # "{noun}"
    reports_recommendations: str  # "{noun}"
    answer: str  # "{verdict}", "{place}", "{mark}"
    motivation: str
    listed_in: str  # "{place}", "{marks}"
    assessed_as: Forms  # "{label}", "{count}", "{verdict}"
    none_assessed_as: str  # "{verdict}", "{label}"
    assessed_differently: Forms  # "{count}"
    assessed_as_in_reports: Forms  # "{count}", "{verdict}", "{n}", "{of}"
    assessed_as_in: str  # "{verdict}", "{names}"
    none_assessed_in_any: str  # "{verdict}"
    report_none_assessed_as: str  # "{label}", "{verdict}", "{tally}"
    others_none_assessed_as: Forms  # "{n}", "{verdict}"
    reports_assess: str  # "{n}", "{count}", "{tally}"
    assesses_no_goals: Forms
    unread_goals: Forms
    inconsistent_first: str  # "{verdict}", "{place}"
    inconsistent_other: str  # "{verdict}", "{place}"
    inconsistent_joiner: str
    not_consistent: Mapping[Kind, str]
    fits_several: str  # "{plural}"
    no_goals_in_report: str  # "{label}"
    poses: str  # "{count}", "{where}", "{marks}"
    comparisons: Mapping[str, str]  # "most", "fewest", "harshest", "mildest": what the winners had or got
    compared: Mapping[str, str]  # "{names}", "{what}": had (a count) or got (a verdict)
    tied: str
    counted_most: Mapping[str, str]  # "most", "fewest": "{plural}"
    # -- the report itself
    report_count: Forms  # "{n}"
    titled: str  # "{place}", "{title}", "{mark}"
    dated: str  # "{label}", "{date}", "{mark}"
    conducted_by: str  # "{by}"
    no_firm_written_by: str  # "{names}"
    written_by: str  # "{names}"
    no_authors_cover: str  # "{cover}", "{mark}"
    no_authors: str
    and_conducted_by: str  # "{by}"
    reports_by_firm: str  # "{firm}", "{n}"
    reports_about: str  # "{subject}", "{n}"
    oldest: str  # "{label}", "{date}", "{mark}"
    newest: str
    between: str  # "{items}"
    fact_nouns: Mapping[str, str]  # the facts a report states of itself (lexicon document_facts), where not its noun
    fact: str  # "{noun}", "{value}"
    # -- conversations and chat clients
    no_context: str  # "{question}"
    report_from: str  # "{municipality}", "{titles}"
    for_example: str
    examples: tuple[str, ...]  # "{where}"
    ask_whole: str
    sources: str  # the heading of a chat completion's quoted sources
    page: str  # "s. {}"
    characters: str  # a quote's span in the text: "tecken {}–{}"

    # -- composed phrases

    def quoted(self, text: str) -> str:
        return self.quote.format(text)

    def verdict_words(self, verdict: str, n: int = 1) -> str:
        """A verdict of the scale said of `n` items ("ej uppfyllda"; "not met ("ej uppfyllt")")."""
        forms = self.verdicts.get(verdict)
        return verdict if forms is None else forms[n != 1]

    def stated_verdict(self, verdict: str | None, words: str | None) -> str:
        """The verdict, with the report's own words where they say more: "delvis uppfyllt, i rapportens ord ”till viss del”"."""
        if not words or " ".join(re.findall(r"\w+", words.lower())) == verdict:
            return self.verdict_words(verdict) if verdict else self.not_assessed
        return self.in_reports_words.format(verdict=self.verdict_words(verdict), words=self.quoted(words)) if verdict else self.quoted(words)

    def note(self, note: str | None) -> str:
        """Why a kontrollmål has no verdict: ingest's note, else "not assessed"."""
        return self.notes.get(note, note) if note else self.not_assessed

    def tally(self, verdicts: Mapping[str | None, int]) -> str:
        """Items counted per verdict ("2 uppfyllda, 1 ej uppfyllt"); None counts those not assessed."""
        counts: dict[str | None, int] = {}
        for verdict, n in verdicts.items():
            counts[verdict or None] = counts.get(verdict or None, 0) + n
        worded = [f"{counts[v]} {self.verdict_words(v, counts[v])}" for v in VERDICT_SCALE if v in counts]
        return ", ".join(worded + ([f"{counts[None]} {self.not_assessed}"] if None in counts else []))

    def count_of(self, n: int, kind: Kind) -> str:
        return f"{n} {self.nouns[kind][n != 1]}"

    def noun(self, kind: Kind, n: int = 1) -> str:
        """A kind of finding named without a count ("ingen rekommendation")."""
        return self.nouns[kind][n != 1]

    def heading(self, kind: Kind, n: int = 1) -> str:
        return self.headings[kind][n != 1]

    def section_label(self, section: str) -> str:
        if not section:
            return self.report
        return self.section.format(section) if numbered_section(section) else self.named_section.format(self.quoted(section))

    def passage_place(self, section: str, part: str = "") -> str:
        """Where a cited passage stands: "avsnitt 2.6.4", else the part of the report ("missiv", "omslag"), else ""
        (a label without a name, "avsnitt :", tells the reader nothing)."""
        return self.section.format(section) if section else self.parts.get(part, part)

    def place(self, goal: Finding, source: FindingSource) -> str:
        # A source outside the kontrollmål's own section is a summary that restates the verdict.
        own = source.section == goal.section or source.section.startswith(goal.section + ".")
        return self.section_label(source.section) if own else self.summary_in.format(self.section_label(source.section))

    def joined_names(self, labels: list[str]) -> str:
        return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + self.conjunction + labels[-1]

    def date(self, iso: str) -> str:
        """"2016-02-17" -> "17 februari 2016"; a cover dated by month only, "2020-03" -> "mars 2020"."""
        year, month, *day = (int(part) for part in iso.split("-"))
        if day:
            return self.day_date.format(day=day[0], month=self.months[month - 1], year=year)
        return self.month_date.format(month=self.months[month - 1], year=year)

    def refusal_text(self, topic: str, reason: str = "") -> str:
        """The refusal's first sentence, without what the reports cover."""
        return self.no_support.format(topic=topic or self.the_question) + (self.no_support_reason.format(reason=reason) if reason else "")


_SWEDISH_NOUNS: dict[Kind, Forms] = {
    "kontrollmal": ("kontrollmål", "kontrollmål"),
    "rekommendation": ("rekommendation", "rekommendationer"),
    "revisionsfraga": ("revisionsfråga", "revisionsfrågor"),
    "revisionell_bedomning": ("revisionell bedömning", "revisionella bedömningar"),
}

SWEDISH = Wording(
    language="sv",
    lead="",
    quote="”{}”",
    nouns=_SWEDISH_NOUNS,
    headings={kind: (one.capitalize(), many.capitalize()) for kind, (one, many) in _SWEDISH_NOUNS.items()},
    verdicts={"uppfyllt": ("uppfyllt", "uppfyllda"), "delvis uppfyllt": ("delvis uppfyllt", "delvis uppfyllda"), "ej uppfyllt": ("ej uppfyllt", "ej uppfyllda")},
    not_assessed="ej bedömt",
    notes={},
    in_reports_words="{verdict}, i rapportens ord {words}",
    report="rapporten",
    section="avsnitt {}",
    named_section="avsnittet {}",
    parts={},
    summary_in="sammanställningen i {}",
    also_in="; även i ",
    conjunction=" och ",
    months=tuple(months()),
    month_date="{month} {year}",
    day_date="{day} {month} {year}",
    no_support="Jag hittar inget stöd i rapporterna för {topic}",
    no_support_reason=": {reason}",
    the_question="att besvara frågan",
    this_question="frågan",
    question_on="frågan om {topic}",
    question_about="frågan om {topic} i {place}",
    unmentioned="rapporterna anger inte den uppgiften",
    no_opinion="rapporterna återger inte vad {holder} tycker",
    no_reports_from="det finns inga rapporter från {names} i underlaget",
    out_of_scope={
        "task": "Jag kan inte skriva eller översätta texter åt dig",
        "prediction": "Jag kan inte förutsäga vad som kommer att hända; rapporterna beskriver läget när granskningen gjordes",
        "opinion": "Jag tar inte ställning själv; jag kan redogöra för vad revisorerna bedömde och rekommenderade",
        "general": "Den frågan handlar inte om de inlästa revisionsrapporterna, så jag kan inte svara på den",
    },
    what_to_ask=(
        "Fråga gärna om vad rapporterna säger, till exempel om granskningarnas syfte, kontrollmål och revisionsfrågor, "
        "bedömningar, iakttagelser och rekommendationer"
    ),
    filter_excludes="Frågan gäller {asked}, men filtret begränsar svaren till {allowed}, så jag har inte sökt i {asked}.",
    choose_in_filter="Välj {choices} eller Alla kommuner i filtret för att få svar om {asked}, eller fråga om {allowed}.",
    none_loaded_in_filter="Det finns inga rapporter från {asked} i underlaget; fråga gärna om {allowed}.",
    either=" eller ",
    no_reports="Inga rapporter är inlästa ännu.",
    corpus_count="Underlaget omfattar {reports} rapporter från {places} kommuner{span}.",
    corpus_list="Rapporterna gäller {items}.",
    no_more_reports="Inga fler rapporter: svaret omfattar {total}.",
    showing="Visar rapport {first}–{last} av {total}",
    next_page="{shown}; nästa sida med offset={offset}.",
    reports_from=("Rapporten från {names}", "Rapporterna från {names}"),
    reports_counted="{n} rapporter",
    no_question_answered="Ingen revisionsfråga besvarades med {verdict}. Svaren:",
    in_summary="{label} i sammanfattning:",
    shortcomings_of="{label} – brister enligt granskningen:",
    below_fully="{n} av {count} bedöms som delvis eller ej uppfyllda:",
    assessment_per="Bedömning per {noun} ({tally}):",
    and_more="- … och {n} till",
    neither_assessment_nor_recommendations=("{reports} redovisar varken samlad bedömning eller rekommendationer.",) * 2,
    states_none=("{reports} redovisar ingen {noun}.",) * 2,
    states_none_reason=("rapporten redovisar ingen {noun}", "rapporterna redovisar ingen {noun}"),
    front_matter_only="den inlästa texten redovisar ingen {noun}; {plural} nämns bara på omslaget eller i innehållsförteckningen",
    counted_in_reports="{count} i {n} rapporter.",
    of_kind="{label} – {what}:",
    sections_recommendations="Avsnittets {noun}:",
    reports_recommendations="Rapportens {noun}:",
    answer="; svar: {verdict} ({place}) {mark}",
    motivation="Motivering: ",
    listed_in="uppräknade i {place} {marks}",
    assessed_as=("{label} – {count} bedömdes som {verdict}:",) * 2,
    none_assessed_as="Inga kontrollmål bedömdes som {verdict} i {label}. Rapportens bedömningar:",
    assessed_differently=("Därtill bedöms {count} olika i olika delar av rapporten:",) * 2,
    assessed_as_in_reports=("{count} bedömdes som {verdict} i {n} av {of} rapporter med bedömda kontrollmål.",) * 2,
    assessed_as_in="Kontrollmål bedömdes som {verdict} i {names}.",
    none_assessed_in_any="Inga kontrollmål bedömdes som {verdict} i någon av rapporterna.",
    report_none_assessed_as="{label}: inga kontrollmål bedömdes som {verdict} ({tally}).",
    others_none_assessed_as=("I övriga {n} rapporter bedömdes inga kontrollmål som {verdict}.",) * 2,
    reports_assess="{n} rapporter bedömer {count}: {tally}.",
    assesses_no_goals=("bedömer inga kontrollmål",) * 2,
    unread_goals=("har bedömningar som inte kunde läsas ut som kontrollmål; se rapporten",) * 2,
    inconsistent_first="bedöms som {verdict} i {place}",
    inconsistent_other="som {verdict} i {place}",
    inconsistent_joiner=" men ",
    not_consistent={
        "kontrollmal": "Rapporten är inte samstämmig i sin bedömning av kontrollmålet.",
        "revisionsfraga": "Rapporten är inte samstämmig i sin bedömning av revisionsfrågan.",
    },
    fits_several="Frågan passar flera {plural}:",
    no_goals_in_report="Rapporten från {label} bedömer inga kontrollmål",
    poses="; den ställer {count}{where} {marks}:",
    comparisons={
        "most": "flest kontrollmål", "fewest": "färst kontrollmål",
        "harshest": "den mest kritiska bedömningen", "mildest": "den minst kritiska bedömningen",
    },
    compared={"had": "{names} hade {what}", "got": "{names} fick {what}"},
    tied=" (lika)",
    counted_most={"most": "flest {plural}", "fewest": "färst {plural}"},
    report_count=("{n} rapport:", "{n} rapporter:"),
    titled="{place}: rapporten heter {title} {mark}",
    dated="{label}: daterad {date} {mark}",
    conducted_by="granskningen genomfördes av {by}",
    no_firm_written_by="rapporten namnger ingen revisionsbyrå; den är skriven av {names}",
    written_by="skriven av {names}",
    no_authors_cover="inga författare är registrerade för rapporten; omslaget lyder {cover} {mark}",
    no_authors="inga författare är registrerade för rapporten",
    and_conducted_by="; granskningen genomfördes av {by}",
    reports_by_firm="Rapporter från {firm} ({n}):",
    reports_about="Rapporter om {subject} ({n}):",
    oldest="Äldst: {label}, daterad {date} {mark}",
    newest="Nyast: {label}, daterad {date} {mark}",
    between="Däremellan: {items}",
    fact_nouns={},
    fact="{noun} {value}",
    no_context="{question} bygger på en tidigare fråga, men konversationen har ingen. Vad vill du veta?",
    report_from="Rapporten från {municipality}: {titles}.",
    for_example="Du kan till exempel fråga:",
    examples=(
        "- Vilka rekommendationer gavs i {where}?",
        "- Vad var den revisionella bedömningen i {where}?",
        "- Vilka kontrollmål bedömdes inte uppfyllda i {where}?",
    ),
    ask_whole="Ställ gärna hela frågan, med vilken kommun eller rapport den gäller.",
    sources="Källor:",
    page="s. {}",
    characters="tecken {}–{}",
)

ENGLISH = Wording(
    language="en",
    lead="According to the reports (quoted in Swedish):",
    quote='"{}"',
    nouns={
        "kontrollmal": ("control objective (kontrollmål)", "control objectives (kontrollmål)"),
        "rekommendation": ("recommendation (rekommendation)", "recommendations (rekommendationer)"),
        "revisionsfraga": ("audit question (revisionsfråga)", "audit questions (revisionsfrågor)"),
        "revisionell_bedomning": ("overall assessment (revisionell bedömning)", "overall assessments (revisionella bedömningar)"),
    },
    headings={
        "kontrollmal": ("Control objective (kontrollmål)", "Control objectives (kontrollmål)"),
        "rekommendation": ("Recommendation (rekommendation)", "Recommendations (rekommendationer)"),
        "revisionsfraga": ("Audit question (revisionsfråga)", "Audit questions (revisionsfrågor)"),
        "revisionell_bedomning": ("Overall assessment (revisionell bedömning)", "Overall assessments (revisionella bedömningar)"),
    },
    verdicts={
        "uppfyllt": ('met ("uppfyllt")',) * 2,
        "delvis uppfyllt": ('partly met ("delvis uppfyllt")',) * 2,
        "ej uppfyllt": ('not met ("ej uppfyllt")',) * 2,
    },
    not_assessed="not assessed",
    notes={
        NOTE_NOT_ASSESSED: "The report states that the control objective was not assessed.",
        NOTE_NO_VERDICT: "No assessment of the control objective was found in the report.",
    },
    in_reports_words="{verdict}, in the report's words {words}",
    report="the report",
    section="section {}",
    named_section="the section {}",
    parts={
        "omslag": "cover", "innehåll": "table of contents", "missiv": "covering letter (missiv)", "sammanfattning": "summary",
        "inledning": "introduction", "bakgrund": "background", "syfte": "purpose", "revisionsfrågor": "audit questions",
        "kontrollmål": "control objectives", "revisionskriterier": "audit criteria", "avgränsning": "scope", "metod": "method",
        "iakttagelser": "observations", "bedömning": "assessment", "slutsatser": "conclusions",
        "rekommendationer": "recommendations", "bilagor": "appendices",
    },
    summary_in="the summary in {}",
    also_in="; also in ",
    conjunction=" and ",
    months=("January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"),
    month_date="{month} {year}",
    day_date="{day} {month} {year}",
    no_support="I find no support in the reports for {topic}",
    no_support_reason=": {reason}",
    the_question="an answer to this question",
    this_question="this question",
    question_on="the question about {topic}",
    question_about="the question about {topic} in {place}",
    unmentioned="the reports do not state that information",
    no_opinion="the reports do not say what {holder} thinks",
    no_reports_from="there are no reports from {names} among the loaded reports",
    out_of_scope={
        "task": "I cannot write or translate texts for you",
        "prediction": "I cannot predict what will happen; the reports describe the situation when the audit was made",
        "opinion": "I take no position myself; I can set out what the auditors assessed and recommended",
        "general": "That question is not about the loaded audit reports, so I cannot answer it",
    },
    what_to_ask=(
        "Feel free to ask what the reports say, for example about the audits' purpose, control objectives and audit "
        "questions, assessments, observations and recommendations"
    ),
    filter_excludes="The question is about {asked}, but the filter limits the answers to {allowed}, so I have not searched {asked}.",
    choose_in_filter="Choose {choices} or All municipalities in the filter to get answers about {asked}, or ask about {allowed}.",
    none_loaded_in_filter="There are no reports from {asked} among the loaded reports; feel free to ask about {allowed}.",
    either=" or ",
    no_reports="No reports are loaded yet.",
    corpus_count="The collection holds {reports} reports from {places} municipalities{span}.",
    corpus_list="The reports cover {items}.",
    no_more_reports="No more reports: the answer covers {total}.",
    showing="Showing reports {first}–{last} of {total}",
    next_page="{shown}; next page with offset={offset}.",
    reports_from=("The report from {names}", "The reports from {names}"),
    reports_counted="{n} reports",
    no_question_answered="No audit question (revisionsfråga) was answered with {verdict}. The answers:",
    in_summary="{label} in summary:",
    shortcomings_of="{label} – shortcomings the audit found:",
    below_fully='{n} of {count} assessed as partly met or not met ("delvis uppfyllt", "ej uppfyllt"):',
    assessment_per="Assessment per {noun} ({tally}):",
    and_more="- … and {n} more",
    neither_assessment_nor_recommendations=(
        "{reports} states neither an overall assessment nor recommendations.", "{reports} state neither an overall assessment nor recommendations.",
    ),
    states_none=("{reports} states no {noun}.", "{reports} state no {noun}."),
    states_none_reason=("the report states no {noun}", "the reports state no {noun}"),
    front_matter_only="the loaded text states no {noun}; {plural} are named only on the cover or in the table of contents",
    counted_in_reports="{count} in {n} reports.",
    of_kind="{label} – {what}:",
    sections_recommendations="The section's {noun}:",
    reports_recommendations="The report's {noun}:",
    answer="; answer: {verdict} ({place}) {mark}",
    motivation="Reasoning: ",
    listed_in="listed in {place} {marks}",
    assessed_as=("{label} – {count} was assessed as {verdict}:", "{label} – {count} were assessed as {verdict}:"),
    none_assessed_as="No control objective (kontrollmål) was assessed as {verdict} in {label}. The report's assessments:",
    assessed_differently=(
        "In addition, {count} is assessed differently in different parts of the report:",
        "In addition, {count} are assessed differently in different parts of the report:",
    ),
    assessed_as_in_reports=(
        "{count} was assessed as {verdict} in {n} of {of} reports with assessed control objectives.",
        "{count} were assessed as {verdict} in {n} of {of} reports with assessed control objectives.",
    ),
    assessed_as_in="Control objectives (kontrollmål) were assessed as {verdict} in {names}.",
    none_assessed_in_any="No control objective (kontrollmål) was assessed as {verdict} in any of the reports.",
    report_none_assessed_as="{label}: no control objective was assessed as {verdict} ({tally}).",
    others_none_assessed_as=(
        "In the other report, no control objective was assessed as {verdict}.",
        "In the other {n} reports, no control objective was assessed as {verdict}.",
    ),
    reports_assess="{n} reports assess {count}: {tally}.",
    assesses_no_goals=("assesses no control objectives (kontrollmål)", "assess no control objectives (kontrollmål)"),
    unread_goals=(
        "has assessments that could not be read as control objectives (kontrollmål); see the report",
        "have assessments that could not be read as control objectives (kontrollmål); see the reports",
    ),
    inconsistent_first="assessed as {verdict} in {place}",
    inconsistent_other="as {verdict} in {place}",
    inconsistent_joiner=" but ",
    not_consistent={
        "kontrollmal": "The report is not consistent in its assessment of the control objective.",
        "revisionsfraga": "The report is not consistent in its assessment of the audit question.",
    },
    fits_several="The question fits several {plural}:",
    no_goals_in_report="The report from {label} assesses no control objectives (kontrollmål)",
    poses="; it poses {count}{where} {marks}:",
    comparisons={
        "most": "the most control objectives (kontrollmål)", "fewest": "the fewest control objectives (kontrollmål)",
        "harshest": "the most critical assessment", "mildest": "the least critical assessment",
    },
    compared={"had": "{names} had {what}", "got": "{names} got {what}"},
    tied=" (tied)",
    counted_most={"most": "the most {plural}", "fewest": "the fewest {plural}"},
    report_count=("{n} report:", "{n} reports:"),
    titled="{place}: the report is titled {title} {mark}",
    dated="{label}: dated {date} {mark}",
    conducted_by="the audit was conducted by {by}",
    no_firm_written_by="the report names no audit firm (revisionsbyrå); it was written by {names}",
    written_by="written by {names}",
    no_authors_cover="no authors are registered for the report; its cover reads {cover} {mark}",
    no_authors="no authors are registered for the report",
    and_conducted_by="; the audit was conducted by {by}",
    reports_by_firm="Reports by {firm} ({n}):",
    reports_about="Reports about {subject} ({n}):",
    oldest="Oldest: {label}, dated {date} {mark}",
    newest="Newest: {label}, dated {date} {mark}",
    between="In between: {items}",
    fact_nouns={"pages": "number of pages (antal sidor)", "reference": "reference number (diarienummer)", "number": "report number (rapportnummer)", "address": "address (adress)"},
    fact="{noun}: {value}",
    no_context="{question} builds on an earlier question, but the conversation has none. What would you like to know?",
    report_from="The report from {municipality}: {titles}.",
    for_example="You could ask, for example:",
    examples=(
        "- Which recommendations were given in {where}?",
        "- What was the overall assessment in {where}?",
        "- Which control objectives were not met in {where}?",
    ),
    ask_whole="Please ask the whole question, with the municipality or report it is about.",
    sources="Sources:",
    page="p. {}",
    characters="characters {}–{}",
)


def wording_for(language: str) -> Wording:
    """The wording of an answer to a question in `language` (QuestionAnalysis.language); Swedish unless English."""
    return ENGLISH if language == "en" else SWEDISH


def numbered_section(section: str) -> bool:
    return bool(re.fullmatch(r"\d+(?:\.\d+)*", section))


def first_sentences(text: str, enough: int = 80) -> list[str]:
    """The motivation's opening: its first sentence, and the next one too when the first is short."""
    paragraph = text.split("\n\n")[0].strip()
    sentences = [paragraph[s:e] for s, e in split_sentences(paragraph)] or [paragraph]
    return sentences[:2] if len(sentences[0]) < enough else sentences[:1]


def flexible_pattern(sentence: str) -> re.Pattern:
    """A pattern for a sentence as the report's text has it: emphasis marks, bullets and line breaks between its words."""
    tokens = re.findall(r"[^\W_]+|[^\w\s]", sentence)
    return re.compile(r"(?:\s|[*_]|-\n)*".join(re.escape(t) for t in tokens))
