"""The findings of every live document, in the catalog's SQLite file (rebuilt with their document in one ingest step)."""

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from ingest.findings.model import VERDICTS, Finding, FindingSource, Status
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
"""

_COLUMNS = (
    "f.document_id, f.kind, f.text, f.section, f.verdict, f.level, f.verdict_text, f.motivation, f.inconsistent, f.note,"
    " f.sources, f.listed"
)


# Document ids bound in one statement (SQLite refuses more than 32,766 variables).
_IDS_PER_STATEMENT = 900


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

    def delete(self, document_id: str) -> None:
        with self._connect() as db:
            db.execute("DELETE FROM findings WHERE document_id=?", (document_id,))
            db.execute("DELETE FROM findings_status WHERE document_id=?", (document_id,))

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

    def _query(
        self, municipality: str | None, verdict: str | None, document_id: str | None, kind: str | None, documents: list[str] | None
    ) -> list[Finding]:
        conditions, params = [], []
        if documents is not None:
            conditions.append(f"document_id IN ({','.join('?' * len(documents))})")
            params += documents
        for column, value in (("verdict", verdict), ("document_id", document_id), ("kind", kind)):
            if value is not None:
                conditions.append(f"{column} = ?")
                params.append(value)
        if municipality is not None:
            conditions.append("casefold(municipality) = casefold(?)")
            params.append(municipality)
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        with self._connect() as db:
            columns, join = _metadata(db, "f")
            rows = db.execute(
                f"SELECT * FROM (SELECT {_COLUMNS}, f.position, {columns} FROM findings f{join}){where}"
                " ORDER BY document_id, position",
                params,
            ).fetchall()
        return [_finding_from_row(row) for row in rows]

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
