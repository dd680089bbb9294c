"""The findings of every live document, in the catalog's SQLite file (rebuilt with their document in one ingest step)."""

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ingest.findings.model import NOTE_NO_VERDICT, VERDICTS, Finding, FindingSource, Kind, Status
from ingest.index.database import connect, ensure_schema

_SCHEMA = """
CREATE TABLE IF NOT EXISTS findings (
    document_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    section TEXT NOT NULL,
    verdict TEXT,
    level TEXT,
    verdict_text TEXT,
    motivation TEXT,
    inconsistent INTEGER NOT NULL DEFAULT 0,
    note TEXT,
    sources TEXT NOT NULL DEFAULT '[]',
    listed TEXT,
    PRIMARY KEY (document_id, position)
);
CREATE INDEX IF NOT EXISTS findings_by_kind_verdict ON findings (kind, verdict);
CREATE TABLE IF NOT EXISTS findings_status (
    document_id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    extracted_at TEXT NOT NULL DEFAULT (datetime('now'))
);
-- Bumped by every change of the findings, in its transaction: a reader that keeps what it derived from them (counts
-- over every report) knows when to derive it again. Findings change after their document's catalog switch, so the
-- catalog's generation alone does not say so.
CREATE TABLE IF NOT EXISTS findings_stamp (id INTEGER PRIMARY KEY CHECK (id = 0), value INTEGER NOT NULL);
"""

_COLUMNS = (
    "f.document_id, f.kind, f.text, f.section, f.verdict, f.level, f.verdict_text, f.motivation, f.inconsistent, f.note,"
    " f.sources, f.listed"
)


# Document ids bound in one statement (SQLite refuses more than 32,766 variables).
_IDS_PER_STATEMENT = 900


@dataclass(frozen=True)
class FindingCounts:
    """A report's findings of one kind, counted: in all, per verdict (None: none stated), and how many are kontrollmål
    whose verdict the extractor looked for and did not find (NOTE_NO_VERDICT)."""

    total: int = 0
    verdicts: Mapping[str | None, int] = field(default_factory=dict)
    unfound: int = 0

    @classmethod
    def of(cls, findings: Iterable[Finding]) -> "FindingCounts":
        verdicts: dict[str | None, int] = {}
        unfound = 0
        for finding in findings:
            verdicts[finding.verdict] = verdicts.get(finding.verdict, 0) + 1
            unfound += finding.note == NOTE_NO_VERDICT
        return cls(sum(verdicts.values()), verdicts, unfound)


class FindingsStore:
    """Findings per document in the catalog's SQLite file; municipality and year come from the catalog's metadata."""

    def __init__(self, path: Path) -> None:
        self.path = path
        ensure_schema(
            path, _SCHEMA,
            added_columns=(("findings", "listed", "TEXT"), ("findings", "level", "TEXT"), ("findings", "verdict_text", "TEXT")),
        )

    def _connect(self):
        # SQLite's lower() folds ASCII only; "Umeå" must match "UMEÅ".
        return connect(self.path, {"casefold": lambda s: s.casefold() if isinstance(s, str) else s})

    def replace(self, document_id: str, findings: list[Finding], status: Status) -> None:
        """Make these the document's findings and status, in one transaction; running it twice changes nothing."""
        with self._connect() as db:
            db.execute("DELETE FROM findings WHERE document_id=?", (document_id,))
            db.executemany(
                "INSERT INTO findings (document_id, position, kind, text, section, verdict, level, verdict_text, motivation,"
                " inconsistent, note, sources, listed) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [
                    (document_id, i, f.kind, f.text, f.section, f.verdict, f.level, f.verdict_text, f.motivation, int(f.inconsistent), f.note,
                     json.dumps([asdict(s) for s in f.sources], ensure_ascii=False),
                     json.dumps(asdict(f.listed), ensure_ascii=False) if f.listed else None)
                    for i, f in enumerate(findings)
                ],
            )
            db.execute(
                "INSERT OR REPLACE INTO findings_status (document_id, status) VALUES (?, ?)",
                (document_id, status),
            )
            _bump(db)

    def delete(self, document_id: str) -> None:
        with self._connect() as db:
            db.execute("DELETE FROM findings WHERE document_id=?", (document_id,))
            db.execute("DELETE FROM findings_status WHERE document_id=?", (document_id,))
            _bump(db)

    def stamp(self) -> int:
        """A number that changes with every change of the findings (one indexed row: read per question)."""
        with self._connect() as db:
            row = db.execute("SELECT value FROM findings_stamp WHERE id = 0").fetchone()
        return row[0] if row else 0

    def status(self, document_id: str) -> str | None:
        with self._connect() as db:
            row = db.execute("SELECT status FROM findings_status WHERE document_id=?", (document_id,)).fetchone()
        return row[0] if row else None

    def query(
        self,
        municipality: str | None = None,
        verdict: str | None = None,
        document_id: str | None = None,
        kind: str | None = None,
        documents: Sequence[str] | None = None,
    ) -> list[Finding]:
        """Findings matching every filter given; `documents`: of these documents only, so that a question about a few
        reports reads theirs, not every report's (a page of ids per statement: SQLite binds a variable per id)."""
        if documents is not None:
            wanted = sorted(set(documents))
            return [
                finding for offset in range(0, len(wanted), _IDS_PER_STATEMENT)
                for finding in self._query(municipality, verdict, document_id, kind, wanted[offset : offset + _IDS_PER_STATEMENT])
            ]
        return self._query(municipality, verdict, document_id, kind, None)

    def page(
        self, municipality: str | None, verdict: str | None, document_id: str | None, kind: str | None, offset: int, limit: int
    ) -> tuple[list[Finding], int]:
        """`limit` of the findings `query` gives from `offset`, and how many it gives: counted and cut in SQL, so that
        a page of /v1/findings reads its own findings, not every report's (85,000 findings at 10,000 reports)."""
        return self._query(municipality, verdict, document_id, kind, None, (offset, limit)), self._count(municipality, verdict, document_id, kind)

    def _count(self, municipality: str | None, verdict: str | None, document_id: str | None, kind: str | None) -> int:
        where, params = self._where(municipality, verdict, document_id, kind, None)
        with self._connect() as db:
            columns, join = _metadata(db, "f")
            return db.execute(f"SELECT COUNT(*) FROM (SELECT f.document_id, f.kind, f.verdict, {columns} FROM findings f{join}){where}", params).fetchone()[0]

    def _query(
        self, municipality: str | None, verdict: str | None, document_id: str | None, kind: str | None, documents: list[str] | None,
        window: tuple[int, int] | None = None,
    ) -> list[Finding]:
        where, params = self._where(municipality, verdict, document_id, kind, documents)
        cut = ""
        if window is not None:
            cut = " LIMIT ? OFFSET ?"
            params += [window[1], window[0]]
        with self._connect() as db:
            columns, join = _metadata(db, "f")
            rows = db.execute(
                f"SELECT * FROM (SELECT {_COLUMNS}, f.position, {columns} FROM findings f{join}){where}"
                f" ORDER BY document_id, position{cut}",
                params,
            ).fetchall()
        return [_finding_from_row(row) for row in rows]

    @staticmethod
    def _where(
        municipality: str | None, verdict: str | None, document_id: str | None, kind: str | None, documents: list[str] | None
    ) -> tuple[str, list]:
        conditions, params = [], []
        if documents is not None:
            conditions.append(f"document_id IN ({','.join('?' * len(documents))})")
            params += documents
        # Of some documents, their rows are found by the primary key: a "+" keeps SQLite from choosing the index on kind
        # and verdict instead, which reads every report's findings of the kind (95 ms against 0.3 at 10,000 reports).
        by_document = "+" if documents is not None or document_id is not None else ""
        for column, value in (("verdict", verdict), ("document_id", document_id), ("kind", kind)):
            if value is not None:
                conditions.append(f"{by_document if column != 'document_id' else ''}{column} = ?")
                params.append(value)
        if municipality is not None:
            conditions.append("casefold(municipality) = casefold(?)")
            params.append(municipality)
        return (f" WHERE {' AND '.join(conditions)}" if conditions else ""), params

    def counts(self, kind: Kind, documents: Sequence[str] | None = None) -> dict[str, FindingCounts]:
        """Each report's findings of `kind` counted in SQL (of `documents` only, where given), without reading them;
        a report without any is absent."""
        grouped: dict[str, tuple[dict[str | None, int], list[int]]] = {}
        wanted = None if documents is None else sorted(set(documents))
        batches = [None] if wanted is None else [wanted[i : i + _IDS_PER_STATEMENT] for i in range(0, len(wanted), _IDS_PER_STATEMENT)]
        with self._connect() as db:
            for batch in batches:
                # Of some documents, by the primary key (see _query): "+kind" keeps the index on kind out.
                scope = "" if batch is None else f" AND document_id IN ({','.join('?' * len(batch))})"
                rows = db.execute(
                    f"SELECT document_id, verdict, COUNT(*), SUM(note IS ?) FROM findings WHERE {'' if batch is None else '+'}kind = ?"
                    f"{scope} GROUP BY document_id, verdict",
                    (NOTE_NO_VERDICT, kind, *(batch or ())),
                )
                for document_id, verdict, n, unfound in rows:
                    verdicts, missing = grouped.setdefault(document_id, ({}, [0]))
                    verdicts[verdict] = n
                    missing[0] += unfound
        return {d: FindingCounts(sum(v.values()), v, missing[0]) for d, (v, missing) in grouped.items()}

    def of_kind(self, kind: Kind, documents: Sequence[str], every: bool = False) -> "KindFindings":
        """The findings of `kind` of these documents, counted now and read when looked up (see KindFindings); `every`:
        the documents are all the store's live ones, so no statement needs to list them."""
        return KindFindings(self, kind, documents, every)

    def statuses(self) -> dict[str, str]:
        """Each report's findings status, in one read."""
        with self._connect() as db:
            return dict(db.execute("SELECT document_id, status FROM findings_status"))

    def summary(self) -> list[dict]:
        """Per report: status, kontrollmål verdict counts ("ej bedömt" for none), inconsistencies, recommendations."""
        with self._connect() as db:
            columns, join = _metadata(db, "s")
            documents = db.execute(
                f"SELECT s.document_id, s.status, {columns} FROM findings_status s{join} ORDER BY s.document_id"
            ).fetchall()
            counts = db.execute(
                "SELECT document_id, kind, verdict, inconsistent, COUNT(*) FROM findings"
                " WHERE kind IN ('kontrollmal', 'rekommendation') GROUP BY document_id, kind, verdict, inconsistent"
            ).fetchall()
        result = {
            document_id: {
                "document_id": document_id, "municipality": municipality, "year": year, "status": status,
                "verdicts": {v: 0 for v in (*VERDICTS, "ej bedömt")}, "inconsistent": 0, "rekommendationer": 0,
            }
            for document_id, status, municipality, year in documents
        }
        for document_id, kind, verdict, inconsistent, n in counts:
            entry = result.get(document_id)
            if entry is None:
                continue
            if kind == "rekommendation":
                entry["rekommendationer"] += n
            else:
                entry["verdicts"][verdict or "ej bedömt"] += n
                entry["inconsistent"] += n if inconsistent else 0
        return list(result.values())


def _bump(db: sqlite3.Connection) -> None:
    db.execute("INSERT INTO findings_stamp (id, value) VALUES (0, 1) ON CONFLICT(id) DO UPDATE SET value = value + 1")


_NONE = FindingCounts()


class KindFindings(Mapping[str, list[Finding]]):
    """The findings of one kind of some documents, as a list answer over many reports needs them: every report
    counted (one aggregate read, `count`), and only the reports the answer sets out read in full (`read`). Looking up
    a report not read yet reads every one not read yet in one statement, as a plain read of them all would."""

    def __init__(self, store: FindingsStore | None, kind: Kind, documents: Sequence[str], every: bool = False,
                 read: Mapping[str, list[Finding]] | None = None) -> None:
        self._store, self._kind, self._every = store, kind, every
        self._documents = dict.fromkeys(documents)
        self._read: dict[str, list[Finding]] = {}
        # What `remember` derived from the counts; shared by `fresh` copies.
        self._derived: dict = {}
        if read is not None:
            self._read = {d: list(read.get(d, [])) for d in self._documents}
            self._counts = {d: FindingCounts.of(f) for d, f in self._read.items() if f}
        else:
            self._counts = store.counts(kind, None if every else list(self._documents))

    def fresh(self) -> "KindFindings":
        """The same counts (and what was derived from them) with nothing read from the store yet: what one answer over
        the reports uses, so that the findings one answer reads in full are not kept for the next."""
        copy = object.__new__(KindFindings)
        copy.__dict__.update(self.__dict__, _read={} if self._store is not None else self._read)
        return copy

    def remember(self, key, derive: Callable[[], object]):
        """`derive()`, computed once for these counts (over every report: once while the findings stay as they are)."""
        if key not in self._derived:
            self._derived[key] = derive()
        return self._derived[key]

    def having(self) -> list[str]:
        """The reports with any finding of the kind, in order."""
        return self.remember("having", lambda: [d for d in self._documents if self.count(d)])

    @classmethod
    def given(cls, kind: Kind, found: Mapping[str, list[Finding]]) -> "KindFindings":
        """Findings already read."""
        return cls(None, kind, list(found), read=found)

    def count(self, document_id: str) -> int:
        """How many findings a report has."""
        return self._counts_of(document_id).total

    def count_of(self, document_id: str, verdict: str | None) -> int:
        """How many findings a report has with this verdict (None: without one)."""
        return self._counts_of(document_id).verdicts.get(verdict, 0)

    def unfound(self, document_id: str) -> int:
        """How many of a report's findings are kontrollmål whose verdict was looked for and not found."""
        return self._counts_of(document_id).unfound

    def _counts_of(self, document_id: str) -> FindingCounts:
        return self._counts.get(document_id, _NONE) if document_id in self._documents else _NONE

    def tally(self, documents: Iterable[str]) -> dict[str | None, int]:
        """The findings of these reports counted per verdict."""
        verdicts: dict[str | None, int] = {}
        for document_id in documents:
            for verdict, n in self._counts_of(document_id).verdicts.items():
                verdicts[verdict] = verdicts.get(verdict, 0) + n
        return verdicts

    def read(self, documents: Iterable[str]) -> None:
        """Read these reports' findings in full (one statement per page of ids), unless already read."""
        wanted = [d for d in documents if d in self._documents and d not in self._read]
        if not wanted:
            return
        everything = self._every and len(wanted) == len(self._documents)
        reading = {d: [] for d in wanted}
        for finding in self._store.query(kind=self._kind, documents=None if everything else wanted):
            if finding.document_id in reading:
                reading[finding.document_id].append(finding)
        self._read.update(reading)

    def __getitem__(self, document_id: str) -> list[Finding]:
        if document_id not in self._documents:
            raise KeyError(document_id)
        if document_id not in self._read:
            self.read(self._documents)
        return self._read[document_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._documents)

    def __len__(self) -> int:
        return len(self._documents)


def _metadata(db: sqlite3.Connection, alias: str) -> tuple[str, str]:
    """(columns, join) that add municipality and year from the catalog, or NULLs in a file without one."""
    if db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='documents'").fetchone() is None:
        return "NULL AS municipality, NULL AS year", ""
    return (
        "json_extract(d.metadata, '$.municipality') AS municipality, json_extract(d.metadata, '$.year') AS year",
        f" LEFT JOIN documents d ON d.document_id = {alias}.document_id",
    )


def _finding_from_row(row: tuple) -> Finding:
    document_id, kind, text, section, verdict, level, verdict_text, motivation, inconsistent, note, sources, listed, _, municipality, year = row
    return Finding(
        document_id=document_id, kind=kind, text=text, section=section, verdict=verdict, level=level, verdict_text=verdict_text,
        motivation=motivation,
        inconsistent=bool(inconsistent), sources=[FindingSource(**s) for s in json.loads(sources)],
        listed=FindingSource(**json.loads(listed)) if listed else None, note=note,
        municipality=municipality, year=year,
    )
