"""Findings extraction: revisionsfrågor, kontrollmål with normalized verdicts, recommendations and the
overall revisionell bedömning of a parsed report, each with its source spans.

A kontrollmål is matched across the introduction's list, the section that assesses it and the summary
table by text similarity (position only as a last resort). When they disagree the finding is marked
`inconsistent`, keeps every source with its own verdict, and takes its verdict from the detailed
assessment section: that is where the auditors argue the verdict, a summary table only repeats it.
"""

import re
from dataclasses import dataclass, field

from ingest.findings.model import NOTE_NO_VERDICT, NOTE_NOT_ASSESSED, Finding, FindingSource, Kind, Verdict
from ingest.findings.text import LIST_MARKERS, clean_question, join_paragraphs, plain_text, similarity, trimmed_span
from ingest.findings.verdicts import SHORT_WORDS, VerdictReading, read_verdict, statement_reading
from ingest.language.sentences import split_sentences
from ingest.structure.parsing import Block, ParsedDocument, Section

_MATCH = 0.75


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
_OVERALL_TITLE = re.compile(
    r"revisionell bedömning|samlad bedömning|sammanfattande bedömning|övergripande bedömning|sammantagen bedömning|slutsats"
)
_OVERALL_OPENER = re.compile(
    r"^(?:vi bedömer|vår (?:samlade |sammanfattande |övergripande |sammantagna )?bedömning är|sammantaget bedömer vi|"
    r"sammanfattningsvis bedömer vi|vi gör (?:den|en) (?:samlade|sammanfattande|övergripande) bedömningen|"
    r"revisorernas (?:samlade )?bedömning är)"
    # A pre-study's conclusion: "Efter att ha tagit del av … gör vi bedömningen att …".
    r"|^[^.]{0,200}\bgör vi (?:den |en )?bedömningen att\b"
)
_RECOMMENDATION_TITLE = re.compile(r"rekommendation")
_RECOMMENDS = re.compile(r"\brekommender")
_SHOULD = re.compile(r"\bbör\b")
_AUDITORS_RECOMMEND = re.compile(
    r"\b(?:vi|revisorerna|kommunrevisorerna|revisionen) (?:\w+ )?rekommenderar\b|\brekommenderar (?:vi|revisorerna|kommunrevisorerna)\b"
)
_TOPICS: tuple[tuple[Kind, re.Pattern], ...] = (
    ("kontrollmal", re.compile(r"kontrollmål|kontrollfråg")),
    ("revisionsfraga", re.compile(r"revisionsfråg")),
    ("rekommendation", re.compile(r"rekommend")),
)
_INLINE_QUESTION = re.compile(r"revisionsfråg\w*[^:?\n]{0,60}:\s*", re.IGNORECASE)
_RECOMMENDATION_PREAMBLE = re.compile(r"^.*?\brekommenderar\b(?:\s+[^\s,]+){0,4}?\s+att\s+", re.IGNORECASE)
_KM_PARAGRAPH = re.compile(r"^[*_]*(?:kontrollmål|kontrollfråga)(?:\s*\d+)?[*_]*\s*[:.–-]", re.IGNORECASE)


def _topic(lead: str) -> Kind | None:
    """What a list introduced by `lead` ("Följande kontrollmål ska besvaras:") enumerates."""
    lead = lead.casefold()
    following = re.search(r"följande\s+(\w+)", lead)
    if following:
        for kind, pattern in _TOPICS:
            if pattern.match(following.group(1)):
                return kind
    found = [(m.start(), kind) for kind, pattern in _TOPICS for m in pattern.finditer(lead)]
    return max(found)[1] if found else None


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

    def span(self, block_or_span: Block | tuple[int, int]) -> str:
        start, end = (block_or_span.char_start, block_or_span.char_end) if isinstance(block_or_span, Block) else block_or_span
        return self.text[start:end]

    def own_blocks(self, section: Section | None) -> list[Block]:
        return self.unsectioned if section is None else self.blocks[section.char_start]

    def all_blocks(self) -> list[Block]:
        return [b for s in self.sections for b in self.blocks[s.char_start]]

    def source(self, section: Section | None, start: int, end: int, verdict: Verdict | None = None) -> FindingSource:
        start, end = trimmed_span(self.text, start, end)
        return FindingSource(_anchor(section), start, end, self.text[start:end], verdict)

    def lead(self, block: Block) -> str | None:
        """The text that introduces a list: the paragraph ending in ':' before it, or its heading."""
        own = self.own_blocks(block.section)
        index = own.index(block)
        if index == 0:
            return block.section.title if block.section else None
        previous = own[index - 1]
        if previous.kind == "paragraph" and self.span(previous).rstrip().endswith(":"):
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


def _anchor(section: Section | None) -> str:
    return section.anchor if section is not None else ""


# --- kontrollmål ----------------------------------------------------------------------------------------

@dataclass
class _Evidence:
    """One place that states a verdict on a kontrollmål: an assessment section, a table row, a verdict line."""

    question: str
    section: str
    source: FindingSource
    reading: VerdictReading
    motivation: list[tuple[str, bool]] = field(default_factory=list)


@dataclass
class _Kontrollmal:
    text: str
    listed: FindingSource | None = None
    assessment: _Evidence | None = None
    summaries: list[_Evidence] = field(default_factory=list)


class _KontrollmalReader:
    def __init__(self, report: _Report) -> None:
        self.report = report

    def run(self, document_id: str, listed: list[tuple[str, FindingSource]]) -> list[Finding]:
        summary_sections = self._summary_sections()
        goals = [_Kontrollmal(text, source) for text, source in listed]
        _assign(goals, self._assessments(summary_sections), "assessment")
        _assign(goals, [e for s in summary_sections for e in self._summary_rows(s)], "summaries")
        if not any(e.reading.assessed for g in goals for e in ([g.assessment] if g.assessment else []) + g.summaries):
            # Nothing assessed (a pre-study, a reply): listed kontrollmål alone are not findings.
            return []
        return [self._finding(document_id, goal) for goal in goals]

    def _finding(self, document_id: str, goal: _Kontrollmal) -> Finding:
        evidence = ([goal.assessment] if goal.assessment else []) + goal.summaries
        if not evidence:
            return Finding(document_id, "kontrollmal", goal.text, goal.listed.section, sources=[goal.listed], listed=goal.listed, note=NOTE_NO_VERDICT)
        primary = evidence[0]
        readings = {(e.reading.verdict, e.reading.assessed) for e in evidence}
        return Finding(
            document_id=document_id,
            kind="kontrollmal",
            text=goal.text,
            section=primary.section,
            verdict=primary.reading.verdict,
            motivation=join_paragraphs(primary.motivation),
            inconsistent=len(readings) > 1,
            sources=[e.source for e in evidence],
            listed=goal.listed,
            note=None if primary.reading.assessed else NOTE_NOT_ASSESSED,
        )

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

    def _summary_sections(self) -> list[Section]:
        """Sections that sum up verdicts for several kontrollmål: a kontrollmål table or repeated question/verdict pairs."""
        return [
            s for s in self.report.sections
            if any(_kontrollmal_table(self.report, b) for b in self.report.own_blocks(s)) or len(self._verdict_pairs(s)) >= 2
        ]

    def _assessments(self, summary_sections: list[Section]) -> list[_Evidence]:
        chosen: dict[int, tuple[Section, Block, tuple[int, int], VerdictReading]] = {}
        for block in self.report.all_blocks():
            if block.kind != "paragraph" or block.section in summary_sections:
                continue
            assessing = self.report.assessing_section(block.section)
            if assessing is None or _SUMMARY_TITLE.search(assessing.title.casefold()):
                continue  # a verdict that names no kontrollmål of its own cannot be attributed
            for unit in block.units:
                reading = statement_reading(self.report.span(unit))
                if reading is None:
                    continue
                in_bedomning = bool(_BEDOMNING_TITLE.search(block.section.title.casefold()))
                current = chosen.get(assessing.char_start)
                if current is None or (in_bedomning and not _BEDOMNING_TITLE.search(current[1].section.title.casefold())):
                    chosen[assessing.char_start] = (assessing, block, unit, reading)
                break
        return [self._assessment(*chosen[key]) for key in sorted(chosen)]

    def _assessment(self, assessing: Section, block: Block, unit: tuple[int, int], reading: VerdictReading) -> _Evidence:
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
        return _Evidence(
            question=self._question(assessing),
            section=assessing.anchor,
            source=report.source(block.section, *unit, verdict=reading.verdict),
            reading=reading,
            motivation=motivation,
        )

    def _question(self, assessing: Section) -> str:
        """A "Kontrollmål: …" paragraph at the top of the section states it best; else the heading is the question."""
        for block in self.report.own_blocks(assessing):
            if block.kind == "paragraph" and _KM_PARAGRAPH.match(self.report.span(block).lstrip()):
                return clean_question(self.report.span(block))
        return clean_question(assessing.title)

    def _summary_rows(self, section: Section) -> list[_Evidence]:
        report = self.report
        rows: list[_Evidence] = []
        verdict_lines = {id(answer): (question, reading) for question, answer, reading in self._verdict_pairs(section)}
        questions = {id(question) for question, _ in verdict_lines.values()}
        for block in report.own_blocks(section):
            if block.kind == "table" and _kontrollmal_table(report, block):
                rows.extend(_table_rows(report, block))
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
                        source=report.source(section, *verdict_unit, verdict=reading.verdict),
                        reading=reading,
                        motivation=[(rest, False)],
                    )
                )
            elif rows and block.kind in ("paragraph", "list"):
                # Text after a row's cell or verdict line, up to the next question, still argues that row's verdict.
                rows[-1].motivation.append((report.span(block), block.continuation))
        return rows


def _verdict_line(report: _Report, block: Block) -> VerdictReading | None:
    """The verdict of a paragraph that opens with a bare verdict line ("Delvis uppfyllt.")."""
    first = report.span(block.units[0]) if block.units else ""
    if len(plain_text(first).split()) > SHORT_WORDS:
        return None
    return statement_reading(first)


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


def _kontrollmal_table(report: _Report, block: Block) -> bool:
    if block.kind != "table" or block.header is None:
        return False
    first = _cells(report, block.header)[0]
    return bool(re.search(r"kontrollmål|kontrollfråg", report.span(first).casefold()))


_VERDICT_COLUMN = re.compile(r"bedömning|status|uppfyll|resultat")
_LEAD_VERDICT = re.compile(
    r"^\s*(?P<phrase>[^.\n]{0,60}?\b(?:uppfyll\w*|bedömt|bedömas)\b"
    r"(?:\s+(?:i allt väsentligt|i huvudsak|till viss del|delvis|inte|ej))?)(?P<close>\s*\.)?",
    re.IGNORECASE,
)


def _table_rows(report: _Report, block: Block) -> list[_Evidence]:
    header = _cells(report, block.header)
    titles = [plain_text(report.span(c)).casefold() for c in header]
    verdict_column = next((i for i, t in enumerate(titles) if i and _VERDICT_COLUMN.search(t)), 1)
    rows = []
    for row in block.units:
        if row[0] < block.header[1]:
            continue
        cells = _cells(report, row)
        if len(cells) <= verdict_column or not plain_text(report.span(cells[0])):
            continue
        found = _cell_verdict(report, cells[verdict_column])
        if found is None:
            continue
        reading, verdict_end, rest = found
        comments = [report.span(c) for i, c in enumerate(cells) if i not in (0, verdict_column)]
        rows.append(
            _Evidence(
                question=clean_question(report.span(cells[0])),
                section=_anchor(block.section),
                source=report.source(block.section, row[0], verdict_end, verdict=reading.verdict),
                reading=reading,
                motivation=[(t, False) for t in [rest, *comments]],
            )
        )
    return rows


def _cell_verdict(report: _Report, cell: tuple[int, int]) -> tuple[VerdictReading, int, str] | None:
    """(reading, end of the verdict phrase, the rest of the cell): a leading verdict, else a verdict sentence in it."""
    text = report.span(cell)
    lead = _LEAD_VERDICT.match(text)
    if lead and len(plain_text(lead.group("phrase")).split()) <= SHORT_WORDS:
        reading = read_verdict(lead.group("phrase"))
        if reading is not None:
            return reading, cell[0] + lead.end(), text[lead.end() :]
    for start, end in split_sentences(report.text, *cell):
        reading = statement_reading(report.text[start:end])
        if reading is not None:
            return reading, end, report.text[cell[0] : start] + " " + report.text[end : cell[1]]
    return None


def _assign(goals: list[_Kontrollmal], evidence: list[_Evidence], slot: str) -> None:
    """Attach each piece of evidence to the kontrollmål it words most alike; order decides only what similarity cannot."""
    def free(goal: _Kontrollmal) -> bool:
        return goal.assessment is None if slot == "assessment" else not goal.summaries

    def attach(goal: _Kontrollmal, item: _Evidence) -> None:
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
    # belongs to the open kontrollmål between theirs, when that gap pairs up one to one.
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
        if i not in placed:
            goal = _Kontrollmal(item.question)
            attach(goal, item)
            goals.append(goal)


# --- the extractor --------------------------------------------------------------------------------------

class FindingsExtractor:
    """A parsed report -> its revisionsfrågor, kontrollmål (with verdicts), revisionell bedömning and recommendations."""

    def run(self, document_id: str, parsed: ParsedDocument) -> list[Finding]:
        report = _Report(parsed)
        lists = self._classified_lists(report)
        listed_goals = _unique(
            [(clean_question(report.span(item)), report.source(b.section, *item)) for b in lists["kontrollmal"] for item in report.list_items(b)]
        )
        return (
            self._questions(document_id, report, lists["revisionsfraga"])
            + _KontrollmalReader(report).run(document_id, listed_goals)
            + self._overall(document_id, report)
            + self._recommendations(document_id, report, lists["rekommendation"])
        )

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
                if block.kind != "paragraph" or not report.span(block).rstrip().endswith("?"):
                    continue
                led = previous is not None and _topic(report.span(previous)) == "revisionsfraga" and report.span(previous).rstrip().endswith(":")
                # "Den övergripande revisionsfrågan är: …?" — the question starts after its introduction.
                inline = _INLINE_QUESTION.search(report.span(block))
                if titled or led or inline:
                    start = block.char_start + (inline.end() if inline else 0)
                    found.append((clean_question(report.text[start : block.char_end]), report.source(section, start, block.char_end), titled))
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

    def _overall(self, document_id: str, report: _Report) -> list[Finding]:
        for section in report.sections:
            if not _OVERALL_TITLE.search(section.title.casefold()):
                continue
            own = [b for b in report.own_blocks(section) if b.kind in ("paragraph", "list")]
            for index, block in enumerate(own):
                for unit in block.units:
                    sentence = plain_text(report.span(unit))
                    if sentence.endswith("?") or not _OVERALL_OPENER.match(sentence.casefold()):
                        continue
                    rest = [(report.text[unit[1] : block.char_end], False)]
                    rest += [(report.span(b), b.continuation) for b in own[index + 1 :]]
                    return [
                        Finding(
                            document_id, "revisionell_bedomning", sentence, section.anchor,
                            motivation=join_paragraphs(rest), sources=[report.source(section, *unit)],
                        )
                    ]
        return []

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
                if block.kind == "paragraph" and id(block) not in in_lists and not report.span(block).rstrip().endswith(":"):
                    finding = _paragraph_recommendation(document_id, report, block)
                    if finding is not None:
                        findings.append(finding)
        for block in report.all_blocks():
            if block.kind != "paragraph" or report.recommending(block.section) or report.span(block).rstrip().endswith(":"):
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
