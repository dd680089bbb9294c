"""Findings extraction: revisionsfrågor, kontrollmål with their verdicts, recommendations and the overall
revisionell bedömning of a parsed report, each with its source spans.

A kontrollmål (or a revisionsfråga) is matched across the introduction's list, the section that assesses it
and the summary table by text similarity (position only as a last resort). When they disagree the finding is
marked `inconsistent`, keeps every source with its own verdict, and takes its verdict from the detailed
assessment section: that is where the auditors argue the verdict, a summary table only repeats it.

Verdicts are read on the genre's scale (verdicts.py) from kontrollmål statements, verdict tables of any labels
(Uppfyllt, Ja/Nej/Delvis, colours) and assessment sentences graded in their own words. A report with
verdict-shaped content (a verdict table, assessment sentences) that yields no kontrollmål is `unread`: no
answer may say it assesses none.
"""

import itertools
import re
from dataclasses import dataclass, field

from ingest.findings.model import (
    ASSESSED,
    NO_ASSESSMENTS,
    NOTE_NO_VERDICT,
    NOTE_NOT_ASSESSED,
    UNREAD,
    Extraction,
    Finding,
    FindingSource,
    Kind,
    Status,
)
from ingest.findings.overall import PART_RANK, Part, RunIn, announces, heading_part, opener, run_in_heading
from ingest.findings.text import LIST_MARKERS, clean_question, coverage, join_paragraphs, plain_text, similarity, trimmed_span
from ingest.findings.verdicts import (
    SHORT_WORDS,
    VerdictReading,
    assesses,
    read_grade,
    read_label,
    read_opening_grade,
    statement_reading,
    verdict_column,
)
from ingest.language.sentences import split_sentences
from ingest.structure.parsing import Block, ParsedDocument, Section
from ingest.structure.parts import CONCLUSIONS, MISSIV, RECOMMENDATIONS, SUMMARY

_MATCH = 0.75
# A summary sentence answers a revisionsfråga when it has this share of the question's words; one with the
# rival share and another grade makes the answer ambiguous.
_ANSWER_COVERAGE = 0.5
_ANSWER_RIVAL = 0.3


# --- the document, as the extractor walks it ------------------------------------------------------------

_GENERIC_TITLE = re.compile(
    r"^(?:vår |revisorernas |revisionens |sammanfattande |samlad )?"
    r"(?:bedömning(?:ar)?|iakttagelser(?: och bedömning(?:ar)?)?|kommentar(?:er)?|slutsats(?:er)?|analys)\b"
)
_BEDOMNING_TITLE = re.compile(r"bedömning")
_SUMMARY_TITLE = re.compile(
    r"sammanfattning|revisionell bedömning|samlad bedömning|sammanfattande bedömning|övergripande bedömning|"
    r"bedömningar mot kontrollmål|rekommendation"
)
_RECOMMENDATION_TITLE = re.compile(r"rekommendation")
_RECOMMENDS = re.compile(r"\brekommender")
_SHOULD = re.compile(r"\bbör\b")
_AUDITORS_RECOMMEND = re.compile(
    r"\b(?:vi|revisorerna|kommunrevisorerna|revisionen) (?:\w+ )?rekommenderar\b|\brekommenderar (?:vi|revisorerna|kommunrevisorerna)\b"
    # "Vår rekommendation till kommunstyrelsen är följande: Säkerställ …", "Vi lämnar följande rekommendationer: …"
    r"|^(?:vår|våra|revisorernas) rekommendation(?:er)?\b.{0,80}?\b(?:är|blir)\b|\bvi (?:vill )?(?:lämnar|ger) (?:\w+ )?rekommendation"
)
# A list's lead that says what someone should do ("Kommunstyrelsen bör:", "Vi anser att nämnden bör följande:").
_SHOULD_LEAD = re.compile(r"\bbör(?: därför| också| vidare)?(?: följande| bland annat)?\s*:\s*$", re.IGNORECASE)
# Where the auditors conclude, so that such a list is theirs, not a norm the report quotes.
_CONCLUDING_PARTS = frozenset({"", SUMMARY, CONCLUSIONS, "bedömning", RECOMMENDATIONS, MISSIV})
_TOPICS: tuple[tuple[Kind, re.Pattern], ...] = (
    ("kontrollmal", re.compile(r"kontrollmål|kontrollfråg")),
    # "Granskningen har utgått från följande frågeställningar:": the audit's questions under the genre's other name.
    ("revisionsfraga", re.compile(r"revisionsfråg|granskningsfråg|frågeställning")),
    ("rekommendation", re.compile(r"rekommend")),
)
# What a table's first column or a section's title names as assessed.
_TARGETS: tuple[tuple[Kind, re.Pattern], ...] = (
    ("kontrollmal", re.compile(r"kontrollmål|kontrollfråg")),
    ("revisionsfraga", re.compile(r"revisionsfråg|granskningsfråg|frågeställning|^fråg(?:a|an|or|orna)\b")),
)
_INLINE_QUESTION = re.compile(r"(?:revisionsfråg|frågeställning)\w*[^:?\n]{0,60}:\s*", re.IGNORECASE)
_RECOMMENDATION_PREAMBLE = re.compile(r"^.*?\brekommenderar\b(?:\s+[^\s,]+){0,4}?\s+att\s+", re.IGNORECASE)
# An answer that names its item by number: "Fråga 2: Nej", "Revisionsfråga 1 – Delvis", "Kontrollmål 3: Uppfyllt".
_NUMBERED_ANSWER = re.compile(
    r"^\W*(?:(?P<goal>kontrollmål)|(?:revisions|gransknings|kontroll|del)?fråga)\s+(?P<number>\d{1,2})\s*[:.–-]\s*", re.IGNORECASE
)
_CONTENTS = re.compile(r"^(?:\(?\d{1,3}\)?\s+)?innehåll(?:sförteckning)?\b", re.IGNORECASE)
_KM_PARAGRAPH = re.compile(r"^[*_]*(?:kontrollmål|kontrollfråga)(?:\s*\d+)?[*_]*\s*[:.–-]", re.IGNORECASE)


# A paragraph that a list completes: it ends in a colon, or breaks off at "att" ("Vi rekommenderar nämnden att" over
# "1. anta internkontrollplanen …").
_LEAD_END = re.compile(r"(?::|\batt)\s*$")


def _leads(paragraph: str) -> bool:
    return bool(_LEAD_END.search(paragraph))


def _topic(lead: str) -> Kind | None:
    """What a list introduced by `lead` ("Följande kontrollmål ska besvaras:") enumerates."""
    lead = lead.casefold()
    following = re.search(r"följande\s+(\w+)", lead)
    if following:
        for kind, pattern in _TOPICS:
            if pattern.match(following.group(1)):
                return kind
        # "Granskningen har riktats mot följande frågor:" poses the revisionsfrågor; other questions are an interview's.
        if following.group(1).startswith("fråg") and re.search(r"gransk|revision", lead):
            return "revisionsfraga"
    found = [(m.start(), kind) for kind, pattern in _TOPICS for m in pattern.finditer(lead)]
    return max(found)[1] if found else None


def _target(title: str) -> Kind | None:
    """What a table column or a heading names as assessed ("Kontrollmål", "Revisionsfråga"), if anything."""
    folded = plain_text(title).casefold()
    return next((kind for kind, pattern in _TARGETS if pattern.search(folded)), None)


@dataclass(frozen=True)
class _Place:
    """A block in document order, with the part of the report it stands in (see overall.py): where it starts, and
    from each line inside it that opens with a heading (a flattened PDF runs several into one paragraph)."""

    block: Block
    part: Part | None
    anchor: str
    # (where the heading's line starts, the heading), in order.
    run_ins: tuple[tuple[int, RunIn], ...] = ()

    def at(self, position: int) -> tuple[Part | None, str, int]:
        """(part, anchor, where the text after the heading starts) at a position in the block."""
        inside = [(start, run_in) for start, run_in in self.run_ins if start <= position]
        if not inside:
            return self.part, self.anchor, self.block.char_start
        start, run_in = inside[-1]
        return run_in.part, run_in.title, start + run_in.body


class _Report:
    def __init__(self, parsed: ParsedDocument) -> None:
        self.text = parsed.text
        self.sections = parsed.sections
        self.parent: dict[int, Section | None] = {}
        for i, section in enumerate(parsed.sections):
            self.parent[section.char_start] = next(
                (s for s in reversed(parsed.sections[:i]) if s.level < section.level), None
            )
        self.blocks: dict[int, list[Block]] = {s.char_start: [] for s in parsed.sections}
        self.unsectioned = [b for b in parsed.blocks if b.section is None and b.kind != "heading"]
        for block in parsed.blocks:
            if block.section is not None and block.kind != "heading":
                self.blocks[block.section.char_start].append(block)
        self.places = self._places([b for b in parsed.blocks if b.kind not in ("heading", "toc")])
        # The table of contents: the parser's, or a flattened one that opens a paragraph ("2 Innehåll 1. Sammanfattning …").
        self.contents = [
            self.span(b) for b in parsed.blocks if b.kind == "toc" or (b.kind == "paragraph" and _CONTENTS.match(self.span(b)))
        ]

    def span(self, block_or_span: Block | tuple[int, int]) -> str:
        start, end = (block_or_span.char_start, block_or_span.char_end) if isinstance(block_or_span, Block) else block_or_span
        return self.text[start:end]

    def own_blocks(self, section: Section | None) -> list[Block]:
        return self.unsectioned if section is None else self.blocks[section.char_start]

    def all_blocks(self) -> list[Block]:
        return [b for s in self.sections for b in self.blocks[s.char_start]]

    def source(self, section: Section | str | None, start: int, end: int, reading: VerdictReading | None = None) -> FindingSource:
        start, end = trimmed_span(self.text, start, end)
        anchor = section if isinstance(section, str) else _anchor(section)
        if reading is None:
            return FindingSource(anchor, start, end, self.text[start:end])
        return FindingSource(anchor, start, end, self.text[start:end], reading.verdict, reading.level, reading.text)

    def lead(self, block: Block) -> str | None:
        """The text that introduces a list: the paragraph ending in ':' before it, or its heading."""
        own = self.own_blocks(block.section)
        index = own.index(block)
        if index == 0:
            return block.section.title if block.section else None
        previous = own[index - 1]
        if previous.kind == "paragraph" and _leads(self.span(previous)):
            return self.span(previous)
        return None

    def list_items(self, block: Block) -> list[tuple[int, int]]:
        """[start, end) of each item, after its bullet; deeper-indented bullets stay inside their parent item."""
        items: list[list[int]] = []
        indent = None
        pos = block.char_start
        for line in self.span(block).split("\n"):
            start, end = pos, pos + len(line)
            pos = end + 1
            marker = LIST_MARKERS.match(line)
            depth = len(line) - len(line.lstrip())
            if marker and (indent is None or depth <= indent):
                indent = depth if indent is None else indent
                items.append([start + marker.end(), end])
            elif items:
                items[-1][1] = end
        return [trimmed_span(self.text, s, e) for s, e in items if e > s]

    def assessing_section(self, section: Section | None) -> Section | None:
        """The section a verdict belongs to: "2.9" for a verdict in "2.9.2 Bedömning"."""
        while section is not None and _GENERIC_TITLE.match(section.title.casefold()):
            section = self.parent[section.char_start]
        return section

    def recommending(self, section: Section) -> bool:
        """A Rekommendationer section, or a sub-section of one ("4.1 Till kommunstyrelsen") that is not itself
        an assessment ("3.1 Samlad bedömning" under "3 Samlad bedömning och rekommendationer")."""
        title = section.title.casefold()
        if _RECOMMENDATION_TITLE.search(title):
            return True
        if re.search(r"bedömning|kontrollmål|iakttagelse|sammanfattning", title):
            return False
        parent = self.parent[section.char_start]
        return parent is not None and self.recommending(parent)

    def _heading_part(self, section: Section | None) -> Part | None:
        """The part a section stands in: its own heading's, else its parents'. Before any heading, and under a first
        heading without a number (a cover letter's addressee, a report's title page), the cover letter."""
        first = self.sections[0].char_start if self.sections else None
        if section is None or (section.char_start == first and section.number is None and heading_part(section.title) is None):
            return "cover"
        while section is not None:
            part = heading_part(section.title)
            if part is not None:
                return part
            section = self.parent[section.char_start]
        return None

    def _places(self, blocks: list[Block]) -> list[_Place]:
        """Each block with its part of the report. A heading run into a line of a paragraph (a flattened PDF) opens
        a part that lasts until the section ends or the next such heading."""
        places, section, run_in = [], None, None
        for block in blocks:
            if block.section is not section:
                section, run_in = block.section, None
            part, anchor = (run_in.part, run_in.title) if run_in else (self._heading_part(section), _anchor(section))
            found = []
            if block.kind in ("paragraph", "list"):
                pos = block.char_start
                for line in self.span(block).split("\n"):
                    heading = run_in_heading(line)
                    if heading is not None:
                        found.append((pos, heading))
                    pos += len(line) + 1
            places.append(_Place(block, part, anchor, tuple(found)))
            run_in = found[-1][1] if found else run_in
        return places


def _anchor(section: Section | None) -> str:
    return section.anchor if section is not None else ""


# --- verdict evidence ------------------------------------------------------------------------------------

@dataclass
class _Evidence:
    """One place that states a verdict: an assessment section, a table row, a verdict line, a summary sentence."""

    question: str
    section: str
    source: FindingSource
    reading: VerdictReading
    motivation: list[tuple[str, bool]] = field(default_factory=list)
    # What the evidence names as assessed (a table's first column, a section's title); None: whichever the report lists.
    target: Kind | None = None
    # A graded sentence, or a row of a table that names no target: evidence for an item the report lists,
    # never an item of its own.
    attach_only: bool = False
    # The question is the heading of the section assessed: a topic, not the item's own wording.
    titled: bool = False


@dataclass
class _Goal:
    """A kontrollmål or revisionsfråga with the evidence found for it."""

    text: str
    listed: FindingSource | None = None
    assessment: _Evidence | None = None
    summaries: list[_Evidence] = field(default_factory=list)

    def evidence(self) -> list[_Evidence]:
        return ([self.assessment] if self.assessment else []) + self.summaries


@dataclass(frozen=True)
class _VerdictTable:
    column: int
    target: Kind | None


def _verdict_table(report: _Report, block: Block) -> _VerdictTable | None:
    """A table that states verdicts: a column headed Bedömning/Svar/Status/Uppfyllt, or a first column headed by
    what it assesses (the verdict then stands in the second)."""
    if block.kind != "table" or block.header is None:
        return None
    titles = [plain_text(report.span(c)).casefold() for c in _cells(report, block.header)]
    target = _target(titles[0]) if titles else None
    column = next((i for i, t in enumerate(titles) if i and verdict_column().search(t)), None)
    if column is None and target is None:
        return None
    return _VerdictTable(1 if column is None else column, target)


class _VerdictReader:
    """Every place in a report that states a verdict, as evidence for the kontrollmål or revisionsfrågor it lists."""

    def __init__(self, report: _Report) -> None:
        self.report = report
        self.summary_sections = [
            s for s in report.sections
            if any(_verdict_table(report, b) for b in report.own_blocks(s)) or len(self._verdict_pairs(s)) >= 2
        ]

    def _verdict_pairs(self, section: Section) -> list[tuple[Block, Block, VerdictReading]]:
        """(question paragraph, verdict paragraph, reading) pairs: the summary layout without a table."""
        own = [b for b in self.report.own_blocks(section) if b.kind == "paragraph"]
        pairs = []
        for question, answer in zip(own, own[1:]):
            if question.continuation or len(question.units) > 3 or _verdict_line(self.report, question):
                continue
            reading = _verdict_line(self.report, answer)
            if reading is not None:
                pairs.append((question, answer, reading))
        return pairs

    def assessments(self) -> list[_Evidence]:
        """The verdict each section argues: a kontrollmål statement or verdict line first, else (in a Bedömning
        section) the first graded assessment sentence; one per assessing section, a Bedömning sub-section's first."""
        report = self.report
        chosen: dict[int, tuple[tuple[bool, bool], Section, Block, tuple[int, int], VerdictReading]] = {}
        for block in report.all_blocks():
            if block.kind != "paragraph" or block.section in self.summary_sections:
                continue
            assessing = report.assessing_section(block.section)
            if assessing is None or _SUMMARY_TITLE.search(assessing.title.casefold()):
                continue  # a verdict that names no kontrollmål of its own cannot be attributed
            in_bedomning = bool(_BEDOMNING_TITLE.search(block.section.title.casefold()))
            found = _block_reading(report, block, in_bedomning)
            if found is None:
                continue
            unit, reading, graded = found
            rank = (graded, not in_bedomning)
            current = chosen.get(assessing.char_start)
            if current is None or rank < current[0]:
                chosen[assessing.char_start] = (rank, assessing, block, unit, reading)
        return [self._assessment(*chosen[key][1:], graded=chosen[key][0][0]) for key in sorted(chosen)]

    def _assessment(self, assessing: Section, block: Block, unit: tuple[int, int], reading: VerdictReading, graded: bool) -> _Evidence:
        report = self.report
        own = report.own_blocks(block.section)
        # In a "Bedömning" section everything around the verdict argues it; elsewhere only what follows it.
        scope = own if _GENERIC_TITLE.match(block.section.title.casefold()) else own[own.index(block) :]
        motivation = []
        for other in scope:
            if other.kind not in ("paragraph", "list"):
                continue
            if other is block:
                rest = report.text[block.char_start : unit[0]] + " " + report.text[unit[1] : block.char_end]
                motivation.append((rest, block.continuation))
            else:
                motivation.append((report.span(other), other.continuation))
        question = self._question(assessing)
        return _Evidence(
            question=question,
            section=assessing.anchor,
            source=report.source(block.section, *unit, reading=reading),
            reading=reading,
            motivation=motivation,
            # "Kontrollmålet är delvis uppfyllt" assesses a kontrollmål even in a report that lists only revisionsfrågor.
            target=_target(report.span(unit)),
            attach_only=graded,
            titled=question == clean_question(assessing.title),
        )

    def _question(self, assessing: Section) -> str:
        """A "Kontrollmål: …" paragraph at the top of the section states it best; else the heading is the question."""
        for block in self.report.own_blocks(assessing):
            if block.kind == "paragraph" and _KM_PARAGRAPH.match(self.report.span(block).lstrip()):
                return clean_question(self.report.span(block))
        return clean_question(assessing.title)

    def summaries(self) -> list[_Evidence]:
        return [e for s in self.summary_sections for e in self._summary_rows(s)] + self._answered_questions()

    def _answered_questions(self) -> list[_Evidence]:
        """A question answered with a label in the next sentence ("Finns en aktuell plan? Delvis. Planen …"):
        evidence for the listed item the question words alike, as a rhetorical question may be answered so too."""
        report = self.report
        found = []
        for place in report.places:
            units = place.block.units if place.block.kind == "paragraph" else ()
            for (q_start, q_end), (a_start, a_end) in zip(units, units[1:]):
                question, answer = report.text[q_start:q_end], report.text[a_start:a_end]
                reading = read_label(answer) if question.rstrip().endswith("?") else None
                end = _phrase_end(answer, reading.text) if reading is not None else None
                if end is None:
                    continue
                inline = _INLINE_QUESTION.search(question)
                found.append(
                    _Evidence(
                        question=clean_question(question[inline.end() :] if inline else question),
                        section=place.anchor,
                        source=report.source(place.block.section, a_start, a_start + end, reading=reading),
                        reading=reading,
                        motivation=[(answer[end:], False)],
                        attach_only=True,
                    )
                )
        return found

    def _summary_rows(self, section: Section) -> list[_Evidence]:
        report = self.report
        rows: list[_Evidence] = []
        verdict_lines = {id(answer): (question, reading) for question, answer, reading in self._verdict_pairs(section)}
        questions = {id(question) for question, _ in verdict_lines.values()}
        for block in report.own_blocks(section):
            table = _verdict_table(report, block)
            if table is not None:
                rows.extend(_table_rows(report, block, table))
            elif id(block) in questions:
                continue
            elif id(block) in verdict_lines:
                question, reading = verdict_lines[id(block)]
                verdict_unit = block.units[0]
                rest = report.text[verdict_unit[1] : block.char_end]
                rows.append(
                    _Evidence(
                        question=clean_question(report.span(question)),
                        section=section.anchor,
                        source=report.source(section, *verdict_unit, reading=reading),
                        reading=reading,
                        motivation=[(rest, False)],
                        target=_target(section.title),
                    )
                )
            elif rows and block.kind in ("paragraph", "list"):
                # Text after a row's cell or verdict line, up to the next question, still argues that row's verdict.
                rows[-1].motivation.append((report.span(block), block.continuation))
        return rows

    def summary_answers(self) -> list[_Evidence]:
        """Graded sentences of the summary, the assessment's own section and the cover letter, which may each
        answer one revisionsfråga ("… bedömningen att kommunstyrelsen i allt väsentligt vidtagit …"); an
        enumeration's next item continues its assessment ("Kommunstyrelsen i allt väsentligt har …")."""
        report = self.report
        found = []
        for place in report.places:
            if place.block.kind not in ("paragraph", "list"):
                continue
            graded = False
            for unit in place.block.units:
                part, anchor, body = place.at(unit[1] - 1)
                if PART_RANK[part] > PART_RANK["cover"]:
                    continue
                start = max(unit[0], body)
                sentence = report.text[start : unit[1]]
                reading = read_grade(sentence) or (read_opening_grade(sentence) if graded and not assesses(sentence) else None)
                graded = reading is not None
                if reading is not None:
                    found.append(_Evidence(plain_text(sentence), anchor, report.source(anchor, start, unit[1], reading=reading), reading))
        return found

    def numbered_answers(self) -> list[tuple[Kind, int, _Evidence]]:
        """(kind, number, evidence) of each answer that names its item by number at the start of a line ("Fråga 2:
        Nej, endast …", "Kontrollmål 3: Delvis uppfyllt"): the number, not the wording, says which item it answers.
        The answer's reasons run on to the next numbered answer."""
        report = self.report
        found = []
        for block in report.all_blocks():
            if block.kind not in ("paragraph", "list"):
                continue
            lines = [(m.start() + block.char_start, m.end() + block.char_start) for m in re.finditer(r"[^\n]+", report.span(block))]
            answers = [(line, _NUMBERED_ANSWER.match(report.span(line))) for line in lines]
            for index, ((start, end), numbered) in enumerate(answers):
                reading = read_label(report.text[start + numbered.end() : end]) if numbered else None
                verdict_end = _phrase_end(report.text[start:end], reading.text) if reading else None
                if reading is None or verdict_end is None:
                    continue
                kind: Kind = "kontrollmal" if numbered.group("goal") else "revisionsfraga"
                following = itertools.takewhile(lambda a: a[1] is None, answers[index + 1 :])
                reasons = " ".join([report.text[start + verdict_end : end].lstrip(" ,.–-"), *(report.span(line) for line, _ in following)]).strip()
                source = report.source(_anchor(block.section), start, start + verdict_end, reading=reading)
                evidence = _Evidence(source.quote, _anchor(block.section), source, reading, [(reasons, False)] if reasons else [])
                found.append((kind, int(numbered.group("number")), evidence))
        return found

    def verdict_shaped(self) -> bool:
        """Whether the report states verdicts in any form: a verdict table (its cells read or not), a kontrollmål
        statement, a verdict line, a graded assessment sentence, an assessment in a Bedömning section, or a
        Bedömning heading in its table of contents (where an excerpt or a flattened PDF lost the section)."""
        report = self.report
        if any(_BEDOMNING_TITLE.search(contents.casefold()) for contents in report.contents):
            return True
        for place in report.places:
            block = place.block
            table = _verdict_table(report, block)
            if table is not None and (table.target is not None or _table_rows(report, block, table)):
                return True
            if block.kind not in ("paragraph", "list"):
                continue
            in_bedomning = block.section is not None and bool(_BEDOMNING_TITLE.search(block.section.title.casefold()))
            for unit in block.units:
                sentence = report.span(unit)
                reading = statement_reading(sentence) or read_label(sentence, labelled=True) or read_grade(sentence)
                if (reading is not None and reading.assessed) or (in_bedomning and assesses(sentence)):
                    return True
        return False


def _block_reading(report: _Report, block: Block, in_bedomning: bool) -> tuple[tuple[int, int], VerdictReading, bool] | None:
    """(sentence, reading, graded) of a paragraph: its first kontrollmål statement or verdict line, else (in a
    Bedömning section) its first graded assessment sentence."""
    graded = None
    for unit in block.units:
        sentence = report.span(unit)
        reading = statement_reading(sentence) or read_label(sentence, labelled=True)
        if reading is not None:
            return unit, reading, False
        if graded is None and in_bedomning:
            reading = read_grade(sentence)
            graded = (unit, reading, True) if reading is not None else None
    return graded


def _verdict_line(report: _Report, block: Block) -> VerdictReading | None:
    """The verdict of a paragraph that opens with a bare verdict line ("Delvis uppfyllt.", "Ja.", "Bedömning: Nej")."""
    first = report.span(block.units[0]) if block.units else ""
    if len(plain_text(first).split()) > SHORT_WORDS:
        return None
    return statement_reading(first) or read_label(first)


def _cells(report: _Report, row: tuple[int, int]) -> list[tuple[int, int]]:
    """[start, end) of each cell of a tab- or pipe-separated table row."""
    line = report.span(row)
    separator = "|" if line.lstrip().startswith("|") else "\t"
    cells, pos = [], row[0]
    for part in line.split(separator):
        cells.append((pos, pos + len(part)))
        pos += len(part) + 1
    if separator == "|":
        # The outer pipes of "| a | b |" delimit no cells.
        if cells and not report.span(cells[0]).strip():
            cells = cells[1:]
        if cells and not report.span(cells[-1]).strip():
            cells = cells[:-1]
    return cells


def _table_rows(report: _Report, block: Block, table: _VerdictTable) -> list[_Evidence]:
    rows = []
    for row in block.units:
        if row[0] < block.header[1]:
            continue
        cells = _cells(report, row)
        if len(cells) <= table.column or not plain_text(report.span(cells[0])):
            continue
        found = _cell_verdict(report, cells[table.column])
        if found is None:
            continue
        reading, verdict_end, rest = found
        comments = [report.span(c) for i, c in enumerate(cells) if i not in (0, table.column)]
        rows.append(
            _Evidence(
                question=clean_question(report.span(cells[0])),
                section=_anchor(block.section),
                source=report.source(block.section, row[0], verdict_end, reading=reading),
                reading=reading,
                motivation=[(p, False) for t in [rest, *comments] for p in _cell_paragraphs(t)],
                target=table.target,
                attach_only=table.target is None,
            )
        )
    return rows


_HTML_PARAGRAPH_END = re.compile(r"</p>", re.IGNORECASE)


def _cell_verdict(report: _Report, cell: tuple[int, int]) -> tuple[VerdictReading, int, str] | None:
    """(reading, end of the verdict phrase, the rest of the cell): a leading verdict, else a verdict sentence in it."""
    text = report.span(cell)
    # A cell's first HTML paragraph is where a leading verdict stands ("<p>Delvis uppfyllt</p> <p>Vi bedömer …").
    first = _HTML_PARAGRAPH_END.split(text, maxsplit=1)[0]
    reading = read_label(first)
    if reading is not None:
        end = _phrase_end(text, reading.text)
        if end is not None:
            return reading, cell[0] + end, text[end:]
    for start, end in split_sentences(report.text, *cell):
        reading = statement_reading(report.text[start:end])
        if reading is not None:
            return reading, end, report.text[cell[0] : start] + " " + report.text[end : cell[1]]
    return None


def _phrase_end(text: str, phrase: str) -> int | None:
    """Where the words of `phrase` end in `text`, markup and line breaks allowed between them, with the full stop
    or closing tag that ends the verdict."""
    tokens = re.findall(r"\w+|[^\w\s]", phrase)
    pattern = r"(?:\s|<[^>]{1,40}>|[*_])*".join(re.escape(t) for t in tokens) + r"(?:\s*(?:\.|</p>))?"
    found = re.search(pattern, text, re.IGNORECASE)
    return found.end() if found else None


def _cell_paragraphs(cell: str) -> list[str]:
    # HTML paragraphs in a cell are paragraphs of the motivation.
    return re.split(r"</p>\s*<p>", cell)


def _assign(goals: list[_Goal], evidence: list[_Evidence], slot: str) -> None:
    """Attach each piece of evidence to the item it words most alike; order decides only what similarity cannot.
    Evidence that matches no item becomes an item of its own, unless it is `attach_only`."""
    def free(goal: _Goal) -> bool:
        return goal.assessment is None if slot == "assessment" else not goal.summaries

    def attach(goal: _Goal, item: _Evidence) -> None:
        if slot == "assessment":
            goal.assessment = item
        else:
            goal.summaries.append(item)

    scores = sorted(
        ((similarity(item.question, goal.text), i, j) for i, item in enumerate(evidence) for j, goal in enumerate(goals)),
        key=lambda t: (-t[0], t[1], t[2]),
    )
    placed: dict[int, int] = {}
    for score, i, j in scores:
        if score < _MATCH:
            break
        if i not in placed and free(goals[j]):
            attach(goals[j], evidence[i])
            placed[i] = j
    # Evidence between two matched neighbours ("2.3 Uppföljning" between the matches of kontrollmål 2 and 4)
    # belongs to the open item between theirs, when that gap pairs up one to one.
    anchors = sorted(placed.items())
    bounds = [(-1, -1)] + anchors + [(len(evidence), len(goals))]
    for (low_i, low_j), (high_i, high_j) in zip(bounds, bounds[1:]):
        left = [i for i in range(low_i + 1, high_i) if i not in placed]
        open_goals = [j for j in range(low_j + 1, max(high_j, low_j + 1)) if free(goals[j])]
        if left and len(left) == len(open_goals):
            for i, j in zip(left, open_goals):
                attach(goals[j], evidence[i])
                placed[i] = j
    for i, item in enumerate(evidence):
        if i not in placed and not item.attach_only:
            goal = _Goal(item.question)
            attach(goal, item)
            goals.append(goal)


def _numbered(goals: list[_Goal], answers: dict[int, _Evidence]) -> None:
    """Answers that name their item by number go to that item of the list, ahead of any matched by wording."""
    for number, evidence in answers.items():
        if 1 <= number <= len(goals) and goals[number - 1].assessment is None:
            goals[number - 1].assessment = evidence


def _kontrollmal(
    document_id: str, listed: list[tuple[str, FindingSource]], assessments: list[_Evidence], summaries: list[_Evidence], numbered: dict[int, _Evidence]
) -> list[Finding]:
    goals = [_Goal(text, source) for text, source in listed]
    _numbered(goals, numbered)
    _assign(goals, assessments, "assessment")
    _assign(goals, summaries, "summaries")
    for goal in goals:
        worded = next((e.question for e in goal.summaries if e.target == "kontrollmal"), None)
        if goal.listed is None and goal.assessment is not None and goal.assessment.titled and worded:
            # A section titled by its topic ("3.3 Kontinuitet och återställning") assesses the kontrollmål a table
            # of them words in full ("Det finns testade planer för kontinuitet …"): the kontrollmål is that wording.
            goal.text = worded
    if not any(e.reading.assessed for g in goals for e in g.evidence()):
        # Nothing assessed (a pre-study, a reply): listed kontrollmål alone are not findings.
        return []
    return [_kontrollmal_finding(document_id, goal) for goal in goals]


def _kontrollmal_finding(document_id: str, goal: _Goal) -> Finding:
    evidence = goal.evidence()
    if not evidence:
        return Finding(document_id, "kontrollmal", goal.text, goal.listed.section, sources=[goal.listed], listed=goal.listed, note=NOTE_NO_VERDICT)
    primary = evidence[0]
    return Finding(
        document_id=document_id,
        kind="kontrollmal",
        text=goal.text,
        section=primary.section,
        verdict=primary.reading.verdict,
        level=primary.reading.level,
        verdict_text=primary.reading.text,
        motivation=join_paragraphs(primary.motivation),
        inconsistent=len({(e.reading.verdict, e.reading.assessed) for e in evidence}) > 1,
        sources=[e.source for e in evidence],
        listed=goal.listed,
        note=None if primary.reading.assessed else NOTE_NOT_ASSESSED,
    )


def _answer_questions(
    document_id: str,
    questions: list[Finding],
    assessments: list[_Evidence],
    summaries: list[_Evidence],
    answers: list[_Evidence],
    numbered: dict[int, _Evidence],
) -> list[Finding]:
    """The revisionsfrågor with the answers the report gives them (by number, a table row, a section, a summary
    sentence), and those a revisionsfråga table adds."""
    goals = [_Goal(q.text) for q in questions]
    _numbered(goals, numbered)
    _assign(goals, assessments, "assessment")
    _assign(goals, summaries, "summaries")
    # A summary sentence answers the open question whose words it covers most, unless another sentence answers
    # much of it with another grade: a two-part question answered in two grades has no one answer.
    covered = {(i, j): coverage(goal.text, item.question) for i, item in enumerate(answers) for j, goal in enumerate(goals)}
    used: set[int] = set()
    for (i, j), score in sorted(covered.items(), key=lambda t: (-t[1], t[0])):
        if score < _ANSWER_COVERAGE:
            break
        rivals = {answers[k].reading.level for k in range(len(answers)) if covered[k, j] >= _ANSWER_RIVAL}
        if i not in used and not goals[j].evidence() and rivals == {answers[i].reading.level}:
            goals[j].summaries.append(answers[i])
            used.add(i)
    findings = list(questions)
    for goal in goals[len(questions) :]:
        first = goal.evidence()[0]
        findings.append(Finding(document_id, "revisionsfraga", goal.text, first.section, sources=[]))
    for finding, goal in zip(findings, goals):
        evidence = goal.evidence()
        if not evidence:
            continue
        primary = evidence[0]
        finding.verdict, finding.level, finding.verdict_text = primary.reading.verdict, primary.reading.level, primary.reading.text
        finding.motivation = join_paragraphs(primary.motivation)
        finding.inconsistent = len({(e.reading.verdict, e.reading.assessed) for e in evidence}) > 1
        finding.sources.extend(e.source for e in evidence)
    return findings


# --- the extractor --------------------------------------------------------------------------------------

class FindingsExtractor:
    """A parsed report -> its revisionsfrågor (with their answers), kontrollmål (with verdicts), revisionell
    bedömning and recommendations, and whether it assesses anything."""

    def run(self, document_id: str, parsed: ParsedDocument) -> Extraction:
        report = _Report(parsed)
        lists = self._classified_lists(report)
        listed_goals = _unique(
            [(clean_question(report.span(item)), report.source(b.section, *item)) for b in lists["kontrollmal"] for item in report.list_items(b)]
        )
        questions = self._questions(document_id, report, lists["revisionsfraga"])
        reader = _VerdictReader(report)
        # Evidence that names no target assesses what the report lists: its kontrollmål, else its revisionsfrågor.
        default: Kind = "revisionsfraga" if questions and not listed_goals else "kontrollmal"
        assessments, summaries = reader.assessments(), reader.summaries()

        def aimed(evidence: list[_Evidence], kind: Kind) -> list[_Evidence]:
            return [e for e in evidence if (e.target or default) == kind]

        numbered = reader.numbered_answers()

        def by_number(kind: Kind) -> dict[int, _Evidence]:
            return {number: evidence for k, number, evidence in numbered if k == kind}

        kontrollmal = _kontrollmal(
            document_id, listed_goals, aimed(assessments, "kontrollmal"), aimed(summaries, "kontrollmal"), by_number("kontrollmal")
        )
        questions = _answer_questions(
            document_id, questions, aimed(assessments, "revisionsfraga"), aimed(summaries, "revisionsfraga"), reader.summary_answers(),
            by_number("revisionsfraga"),
        )
        overall, unmistakable = self._overall(document_id, report)
        findings = questions + kontrollmal + overall + self._recommendations(document_id, report, lists["rekommendation"])
        # An overall assessment in the genre's own words assesses something, even in words no scale grades.
        status: Status = ASSESSED if kontrollmal else UNREAD if unmistakable or reader.verdict_shaped() else NO_ASSESSMENTS
        return Extraction(findings, status)

    def _classified_lists(self, report: _Report) -> dict[Kind, list[Block]]:
        lists: dict[Kind, list[Block]] = {"kontrollmal": [], "revisionsfraga": [], "rekommendation": []}
        for section in [None, *report.sections]:
            own = report.own_blocks(section)
            previous_kind: Kind | None = None
            for index, block in enumerate(own):
                if block.kind != "list":
                    continue
                lead = report.lead(block)
                kind = _topic(lead) if lead else None
                if kind is None and section is not None and report.recommending(section):
                    kind = "rekommendation"
                if kind is None and lead and _SHOULD_LEAD.search(lead) and (section is None or section.part in _CONCLUDING_PARTS):
                    # "Kommunstyrelsen bör:" over a list in the summary or the conclusions: the genre recommends with "bör".
                    kind = "rekommendation"
                if kind is None and previous_kind and _after_page_furniture(report, own, index):
                    kind = previous_kind  # the same list, resumed after a page break's header
                if kind is not None:
                    lists[kind].append(block)
                previous_kind = kind
        return lists

    def _questions(self, document_id: str, report: _Report, lists: list[Block]) -> list[Finding]:
        found: list[tuple[str, FindingSource, bool]] = []
        for block in lists:
            for item in report.list_items(block):
                found.append((clean_question(report.span(item)), report.source(block.section, *item), True))
        for section in [None, *report.sections]:
            own = report.own_blocks(section)
            titled = section is not None and bool(re.search(r"revisionsfråg", section.title.casefold()))
            for previous, block in zip([None, *own], own):
                if block.kind != "paragraph":
                    continue
                led = previous is not None and _topic(report.span(previous)) == "revisionsfraga" and report.span(previous).rstrip().endswith(":")
                if (titled or led) and report.span(block).rstrip().endswith("?"):
                    # "Den övergripande revisionsfrågan är: …?" — the question starts after its introduction.
                    inline = _INLINE_QUESTION.search(report.span(block))
                    start = block.char_start + (inline.end() if inline else 0)
                    found.append((clean_question(report.text[start : block.char_end]), report.source(section, start, block.char_end), titled))
                else:
                    found += [(q, report.source(section, *span), False) for q, span in _inline_questions(report, block)]
        found.sort(key=lambda f: f[1].char_start)
        findings: list[Finding] = []
        for text, source, preferred in found:
            same = next((f for f in findings if similarity(f.text, text) >= 0.9), None)
            if same is None:
                findings.append(Finding(document_id, "revisionsfraga", text, source.section, sources=[source]))
                same = findings[-1]
            elif source not in same.sources:
                same.sources.append(source)
            if preferred:
                # The introduction's "Revisionsfråga" section is where the question is posed; a summary only restates it.
                same.section, same.text = source.section, text
        return findings

    def _overall(self, document_id: str, report: _Report) -> tuple[list[Finding], bool]:
        """The sentence that states the overall assessment: in the assessment's own part of the report first, then
        the summary, the cover letter, and an unmistakable opener anywhere; the earliest within a part. With it,
        whether an unmistakable opener states it (an assessing report, not a pre-study's conclusion)."""
        best: tuple[tuple[int, int], int, tuple[int, int], bool, str] | None = None
        for index, place in enumerate(report.places):
            if place.block.kind not in ("paragraph", "list"):
                continue
            for span, unmistakable, rank, anchor in _assessment_spans(report, index):
                if best is None or (rank, span[0]) < best[0]:
                    best = ((rank, span[0]), index, span, unmistakable, anchor)
        if best is None:
            return [], False
        _, index, (start, end), unmistakable, anchor = best
        place = report.places[index]
        rest = [(report.text[end : place.block.char_end], False)]
        for later in report.places[index + 1 :]:
            if later.block.section is not place.block.section or later.run_ins:
                break
            if later.block.kind in ("paragraph", "list"):
                rest.append((report.span(later.block), later.block.continuation))
        sentence = plain_text(report.text[start:end])
        reading = read_grade(sentence)
        finding = Finding(
            document_id, "revisionell_bedomning", sentence, anchor,
            level=reading.level if reading else None, verdict_text=reading.text if reading else None,
            motivation=join_paragraphs(rest), sources=[report.source(anchor, start, end, reading=reading)],
        )
        return [finding], unmistakable

    def _recommendations(self, document_id: str, report: _Report, lists: list[Block]) -> list[Finding]:
        findings: list[Finding] = []
        for block in lists:
            for item in report.list_items(block):
                findings.append(Finding(document_id, "rekommendation", plain_text(report.span(item)), _anchor(block.section), sources=[report.source(block.section, *item)]))
        in_lists = {id(b) for b in lists}
        for section in report.sections:
            if not report.recommending(section):
                continue
            for block in report.own_blocks(section):
                if block.kind == "paragraph" and id(block) not in in_lists and not _leads(report.span(block)):
                    finding = _paragraph_recommendation(document_id, report, block)
                    if finding is not None:
                        findings.append(finding)
        for block in report.all_blocks():
            if block.kind != "paragraph" or report.recommending(block.section) or _leads(report.span(block)):
                continue
            for unit in block.units:
                sentence = plain_text(report.span(unit))
                if not _AUDITORS_RECOMMEND.search(sentence.casefold()):
                    continue
                source = report.source(block.section, *unit)
                # "Vi rekommenderar nämnden att ta fram …" restates the list item "ta fram …".
                core = _RECOMMENDATION_PREAMBLE.sub("", sentence)
                same = max(findings, key=lambda f: similarity(f.text, core), default=None)
                if same is not None and similarity(same.text, core) >= _MATCH:
                    same.sources.append(source)
                else:
                    findings.append(Finding(document_id, "rekommendation", sentence, source.section, sources=[source]))
        findings.sort(key=lambda f: f.sources[0].char_start)
        return findings


def _inline_questions(report: _Report, block: Block) -> list[tuple[str, tuple[int, int]]]:
    """Revisionsfrågor posed in running text: "Granskningen utgår från revisionsfrågan: Har …?", and the questions
    that follow it in the same paragraph ("… följande revisionsfrågor besvaras: Har …? Har …?")."""
    found: list[tuple[str, tuple[int, int]]] = []
    for start, end in block.units:
        sentence = report.text[start:end]
        if not sentence.rstrip().endswith("?"):
            if found:
                break
            continue
        inline = _INLINE_QUESTION.search(sentence)
        if inline or found:
            start += inline.end() if inline else 0
            found.append((clean_question(report.text[start:end]), (start, end)))
    return found


# A sentence a flattened list left without its full stop: a capitalized word right after a lower-case one
# ("… uppföljning och kontroll Vår sammantagna bedömning är att …").
_HIDDEN_START = re.compile(r"(?<=[a-zåäö] )(?=[A-ZÅÄÖ])")


def _assessment_spans(report: _Report, index: int):
    """(span, unmistakable, rank of its part, anchor) of each statement of the overall assessment in this block, in
    order: an opener's sentence (a plain opener only in the assessment's part of the report), or what an
    announcing sentence introduces. Unmistakable: an opener or an announcement, not a plain opener."""
    place = report.places[index]
    block = place.block
    for number, (start, end) in enumerate(block.units):
        part, anchor, body = place.at(end - 1)
        rank = PART_RANK[part]
        start = max(start, body)  # after a heading run into the paragraph
        sentence = plain_text(report.text[start:end])
        if not sentence or sentence.endswith("?"):
            continue
        colon = report.text.find(":", start, end)
        if colon >= 0 and announces(plain_text(report.text[start:colon])):
            after = trimmed_span(report.text, colon + 1, end)
            following = after if after[0] < after[1] else _next_unit(report, index, number)
            if following is not None:
                yield following, True, rank, anchor
            continue
        for begin in [start, *(start + m.start() for m in _HIDDEN_START.finditer(report.text[start:end]))]:
            sentence = plain_text(report.text[begin:end])
            found = opener(sentence)
            if found == "opener" and not (rank == PART_RANK[None] and "kontrollmål" in sentence.casefold()):
                yield (begin, end), True, rank, anchor
                break
            if found == "plain" and rank < PART_RANK[None]:
                yield (begin, end), False, rank, anchor
                break


def _next_unit(report: _Report, index: int, number: int) -> tuple[int, int] | None:
    """The sentence after this one: the next in the block, else the first of the next paragraph or list."""
    block = report.places[index].block
    if number + 1 < len(block.units):
        return block.units[number + 1]
    for later in report.places[index + 1 :]:
        if later.block.kind in ("paragraph", "list") and later.block.units:
            return later.block.units[0]
    return None


def _paragraph_recommendation(document_id: str, report: _Report, block: Block) -> Finding | None:
    """A paragraph under a Rekommendationer heading: its "rekommenderar" sentences, else its "bör" sentences."""
    sentences = [(unit, plain_text(report.span(unit)).casefold()) for unit in block.units]
    marked = [i for i, (_, s) in enumerate(sentences) if _RECOMMENDS.search(s)] or [
        i for i, (_, s) in enumerate(sentences) if _SHOULD.search(s)
    ]
    if not marked:
        return None
    first, last = marked[0], marked[-1]
    start, end = block.units[first][0], block.units[last][1]
    others = [report.span(u) for i, (u, _) in enumerate(sentences) if not first <= i <= last]
    return Finding(
        document_id, "rekommendation", plain_text(report.text[start:end]), _anchor(block.section),
        motivation=join_paragraphs([(" ".join(others), False)]), sources=[report.source(block.section, start, end)],
    )


def _after_page_furniture(report: _Report, own: list[Block], index: int) -> bool:
    """Whether only a page break's header (tables, one-word lines) separates this list from the list before it."""
    for block in reversed(own[:index]):
        if block.kind == "list":
            return True
        if block.kind == "table" or (block.kind == "paragraph" and len(report.span(block).split()) <= 2):
            continue
        return False
    return False


def _unique(items: list[tuple[str, FindingSource]]) -> list[tuple[str, FindingSource]]:
    unique: list[tuple[str, FindingSource]] = []
    for text, source in items:
        if not any(similarity(text, seen) >= 0.9 for seen, _ in unique):
            unique.append((text, source))
    return unique
