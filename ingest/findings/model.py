"""What an audit finding is: a revisionsfråga, a kontrollmål with its verdict, a recommendation or the overall assessment.

A verdict is kept three ways: `level`, the grade on the genre's ordinal scale (fully, mainly, partly, not);
`verdict`, the three-step scale of the reports' own tables ("uppfyllt" for fully and mainly); and
`verdict_text`, the report's own words ("i allt väsentligt", "Delvis", "till viss del").

Every finding cites its evidence as spans into the normalized document text (`quote == text[start:end]`),
so the API can show and highlight exactly what a verdict or recommendation rests on.
"""

from dataclasses import asdict, dataclass, field
from typing import Literal

Kind = Literal["kontrollmal", "rekommendation", "revisionsfraga", "revisionell_bedomning"]
Verdict = Literal["uppfyllt", "delvis uppfyllt", "ej uppfyllt"]
VERDICTS: tuple[Verdict, ...] = ("uppfyllt", "delvis uppfyllt", "ej uppfyllt")
Level = Literal["fully", "mainly", "partly", "not"]
# A report's status: it assesses kontrollmål; it assesses nothing (a pre-study, a reply); or it grades in a
# form the extractor could not read into kontrollmål (a verdict table, assessment sentences), so only its
# passages can answer.
Status = Literal["assessed", "no_assessments", "unread"]
ASSESSED: Status = "assessed"
NO_ASSESSMENTS: Status = "no_assessments"
UNREAD: Status = "unread"

NOTE_NOT_ASSESSED = "Kontrollmålet har inte bedömts enligt rapporten."
NOTE_NO_VERDICT = "Ingen bedömning av kontrollmålet hittades i rapporten."


@dataclass(frozen=True)
class FindingSource:
    section: str
    char_start: int
    char_end: int
    quote: str
    verdict: Verdict | None = None
    level: Level | None = None
    verdict_text: str | None = None


@dataclass
class Finding:
    document_id: str
    kind: Kind
    text: str
    section: str
    verdict: Verdict | None = None
    level: Level | None = None
    verdict_text: str | None = None
    motivation: str | None = None
    inconsistent: bool = False
    sources: list[FindingSource] = field(default_factory=list)
    # Where the introduction lists the kontrollmål, apart from `sources`: the list states no verdict.
    listed: FindingSource | None = None
    # Why a kontrollmål has no verdict ("Ej bedömt" in the report, or none found).
    note: str | None = None
    # Filled from the catalog's document metadata when read back from the store.
    municipality: str | None = None
    year: int | None = None

    def to_dict(self) -> dict:
        return {
            "document_id": self.document_id,
            "municipality": self.municipality,
            "year": self.year,
            "kind": self.kind,
            "text": self.text,
            "section": self.section,
            "verdict": self.verdict,
            "level": self.level,
            "verdict_text": self.verdict_text,
            "motivation": self.motivation,
            "inconsistent": self.inconsistent,
            "note": self.note,
            "sources": [asdict(s) for s in self.sources],
            "listed": asdict(self.listed) if self.listed else None,
        }



@dataclass
class Extraction:
    findings: list[Finding]
    status: Status
