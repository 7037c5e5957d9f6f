"""Rebuild rows from the audit log alone, and compare them with the live tables.

The audit log holds one row per changed field, each stamped with the version the
change produced. Replaying them in id order gives, for every audited entity, the
rows it should hold now: `create` sets fields, `update`/`restore` change one,
`redact` empties one, `delete` removes the row. If that differs from the live
table, some write bypassed `kamcore.records` (or a transaction was torn), which is
what the stress and crash checks look for.

Fields the audit log does not carry in clear are skipped: hidden fields (password
hashes) and values erased on request (`[redacted]`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database

from kamcore import audit, records
from kamcore.errors import NotFoundError

Rows = dict[int, dict[str, Any]]
BATCH = 50_000


@dataclass
class Difference:
    """One way the live table and the replayed audit log disagree."""

    entity: str
    entity_id: int
    field: str
    live: Any
    replayed: Any

    def __str__(self) -> str:
        return f"{self.entity}#{self.entity_id}.{self.field}: live={self.live!r} replayed={self.replayed!r}"


@dataclass
class ReplayReport:
    """What a replay found: rows rebuilt per entity and every difference to the live tables."""

    rows: dict[str, int] = field(default_factory=dict)
    audit_rows: int = 0
    differences: list[Difference] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences


def replay(db: Database, entities: Iterable[str] | None = None) -> dict[str, Rows]:
    """Every audited entity's rows as the audit log describes them: {entity: {id: {field: value, 'version': n}}}."""
    wanted = None if entities is None else set(entities)
    state: dict[str, Rows] = {}
    cursor = db.execute(
        "SELECT entity, entity_id, action, field, new_value, version FROM audit_log ORDER BY id"
    )
    while True:
        chunk = cursor.fetchmany(BATCH)
        if not chunk:
            break
        for entity, entity_id, action, fld, new_value, version in chunk:
            if wanted is not None and entity not in wanted:
                continue
            rows = state.setdefault(entity, {})
            if action == "delete":
                rows.pop(entity_id, None)
                continue
            row = rows.setdefault(entity_id, {})
            if fld is not None:
                row[fld] = None if action == "redact" else records.decode(new_value)
            if version is not None:
                row["version"] = version
    return state


def live(db: Database, entity: records.Entity) -> Rows:
    """The entity's table as it is now, restricted to audited fields and the version."""
    columns = [c for c in entity.model.model_fields if c in _columns(db, entity.table)]
    select = ", ".join(f"[{c}]" for c in ["id", "version", *columns])
    out: Rows = {}
    for found in db.execute(f"SELECT {select} FROM [{entity.table}]"):
        out[found[0]] = dict(zip(["version", *columns], found[1:], strict=True))
    return out


def compare(db: Database, entities: Iterable[str] | None = None, limit: int = 50) -> ReplayReport:
    """Replay the audit log and compare it with every audited table (or only `entities`)."""
    replayed = replay(db, entities)
    names = set(replayed)
    names |= set(entities) if entities is not None else {
        r[0] for r in db.execute("SELECT DISTINCT entity FROM audit_log")
    }
    report = ReplayReport(audit_rows=db.execute("SELECT count(*) FROM audit_log").fetchone()[0])
    for name in sorted(names):
        try:
            entity = audit.entity_named(name)
        except NotFoundError:
            report.differences.append(Difference(name, 0, "__entity__", "unknown", "audited"))
            continue
        current = live(db, entity)
        rebuilt = replayed.get(name, {})
        report.rows[name] = len(current)
        for row_id in sorted(set(current) | set(rebuilt)):
            if len(report.differences) >= limit:
                return report
            _compare_row(report, entity, row_id, current.get(row_id), rebuilt.get(row_id))
    return report


def _compare_row(report: ReplayReport, entity: records.Entity, row_id: int,
                 have: dict[str, Any] | None, want: dict[str, Any] | None) -> None:
    if have is None or want is None:
        report.differences.append(Difference(entity.name, row_id, "__row__",
                                             "absent" if have is None else "present",
                                             "absent" if want is None else "present"))
        return
    for name, value in have.items():
        if name in entity.hidden_fields:
            continue
        expected = want.get(name)
        if expected in (records.HIDDEN, records.REDACTED):
            continue
        if not _same(value, expected):
            report.differences.append(Difference(entity.name, row_id, name, value, expected))


def _same(stored: Any, replayed: Any) -> bool:
    """SQLite stores booleans as 0/1 and may hold numbers the model dumped as text (dates stay text)."""
    if stored == replayed:
        return True
    if isinstance(replayed, bool) or isinstance(stored, bool):
        return stored is not None and replayed is not None and int(stored) == int(replayed)
    if isinstance(stored, (int, float)) and isinstance(replayed, (int, float)):
        return float(stored) == float(replayed)
    return False


def _columns(db: Database, table: str) -> set[str]:
    return {r[1] for r in db.execute(f"PRAGMA table_info([{table}])")}


def content(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in rowid order: what "the database content" means to the fuzz checks."""
    tables = [r[0] for r in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    return {table: db.execute(f"SELECT * FROM [{table}] ORDER BY rowid").fetchall() for table in tables}


def digest(db: Database) -> str:
    """A fingerprint of `content` (sha256 over the rows' repr)."""
    import hashlib

    sha = hashlib.sha256()
    for table, found in content(db).items():
        sha.update(table.encode())
        for item in found:
            sha.update(repr(item).encode())
    return sha.hexdigest()
