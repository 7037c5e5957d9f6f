"""Take your data with you: export one account or everything to JSON or Excel, and import it back.

- Tables are enumerated from the schema, so tables added by later migrations are
  exported without code here. The file records the schema level (the applied
  migrations); a file from another level is refused.
- Password hashes never leave the database. Personal profile fields (D4) are
  left out of rows whose account the exporting user may not see privately; a
  left-out value is absent from the file, and an import keeps the value the
  database has.
- Import is planned first (`plan_import`: new, changed, unchanged, and changed
  rows the database holds a NEWER version of). `apply_import` writes nothing
  unless every row is valid, and refuses to overwrite newer data without
  `confirm_newer=True`. It never deletes a row that is missing from the file.
- Rows are matched by primary key; imported new rows keep their ids, versions
  and timestamps (so history travels with the data); changed rows get a new
  version and a 'restore' audit entry by the importing user.
"""

from __future__ import annotations

import io
import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database

from kamcore import clock, permissions, records, store
from kamcore.errors import FieldProblem, KamError, ValidationError
from kamcore.users import User

FORMAT = "kam-warroom-export"
FORMAT_VERSION = 1
SECRET_COLUMNS = {"users": ("password_hash",)}
UNUSABLE_PASSWORD = "!imported"  # not an argon2 hash: the user cannot sign in until an admin resets it
OMITTED = "[omitted]"  # how Excel marks a left-out value (JSON simply leaves the key out)
META_SHEET = "_meta"
MAX_PROBLEMS = 20


class ImportProblems(ValidationError):
    """Rows of an import file that cannot be written; each names its table, row and field."""

    def message(self, lang: str = "en") -> str:
        """Every problem of the refused file, one line each with its table and row, in `lang`."""
        from kamcore.i18n import t

        parts = []
        for p in self.problems:
            reason = t(p.reason_key, lang, **p.params)
            table = p.params.get("table", "")
            if p.row is None:
                parts.append(t("err.import_table", lang, table=table or p.field, reason=reason))
            else:
                parts.append(t("err.import_row", lang, table=table, row=p.row, field=t(f"field.{p.field}", lang),
                               column=p.field, reason=reason))
        return "; ".join(parts)


class NeedsConfirmation(KamError):
    """The import or restore would overwrite data that is newer than the file, or drop rows."""

    key = "err.needs_confirmation"


@dataclass
class Column:
    """One column of a table as the schema declares it."""

    name: str
    type: str
    notnull: bool
    default: Any
    pk: int


@dataclass
class TablePlan:
    """What importing (or restoring) would do to one table."""

    table: str
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    newer_in_db: list[Any] = field(default_factory=list)  # keys of changed rows the database has a newer version of
    only_in_db: int = 0  # rows the file does not have (an import keeps them; a restore drops them)
    kept: int = 0  # rows of append-only tables that differ and are left as they are


@dataclass
class ImportPlan:
    """The whole preview: per-table counts, plus the scope and schema level the file declares."""

    tables: list[TablePlan]
    scope: dict[str, Any]
    schema: list[str]

    @property
    def newer_in_db(self) -> int:
        return sum(len(t.newer_in_db) for t in self.tables)

    @property
    def writes(self) -> int:
        return sum(t.new + t.changed for t in self.tables)


def tables(db: Database) -> list[str]:
    """Every data table in the schema (not SQLite's or the migration record), parents before children."""
    names = [r[0] for r in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "AND name NOT LIKE '\\_%' ESCAPE '\\' ORDER BY name").fetchall()]
    parents = {n: {r[2] for r in db.execute(f"PRAGMA foreign_key_list([{n}])").fetchall()} - {n} for n in names}
    ordered: list[str] = []
    while len(ordered) < len(names):
        ready = [n for n in names if n not in ordered and parents[n] <= set(ordered) | (parents[n] - set(names))]
        ordered += ready or [n for n in names if n not in ordered]  # a cycle: keep schema order (FKs are deferred)
    return ordered


def columns(db: Database, table: str) -> list[Column]:
    """The table's columns from the schema."""
    return [Column(r[1], (r[2] or "").upper(), bool(r[3]), r[4], r[5])
            for r in db.execute(f"PRAGMA table_info([{table}])").fetchall()]


def key_columns(cols: list[Column]) -> list[str]:
    """The primary-key columns (every column when a table has none)."""
    keys = sorted((c for c in cols if c.pk), key=lambda c: c.pk)
    return [c.name for c in keys] or [c.name for c in cols]


def private_columns() -> dict[str, frozenset[str]]:
    """Personal fields per table, from the registered entities."""
    from kamcore.audit import entity_named

    entity_named("account")  # imports every kamcore module, so REGISTRY is complete
    out: dict[str, frozenset[str]] = {}
    for entity in records.REGISTRY.values():
        if entity.private_fields:
            out[entity.table] = out.get(entity.table, frozenset()) | entity.private_fields
    return out


def export_data(db: Database, actor: User, account_id: int | None = None) -> dict[str, Any]:
    """Everything (admins) or one account's data (anyone who can read it) as a plain dict ready for JSON."""
    if account_id is None:
        permissions.require_admin(actor)
    else:
        permissions.require_read(db, actor, account_id)
    private = private_columns()
    out_tables: dict[str, Any] = {}
    for table in tables(db):
        cols = columns(db, table)
        names = [c.name for c in cols if c.name not in SECRET_COLUMNS.get(table, ())]
        where, params = "", []
        if account_id is not None:
            if table == "accounts":
                where, params = "WHERE id = ?", [account_id]
            elif "account_id" in names:
                where, params = "WHERE account_id = ?", [account_id]
            elif table == "settings":
                continue
        select = ", ".join(f"[{n}]" for n in names)
        rows = store.rows(db, f"SELECT {select} FROM [{table}] {where} ORDER BY {', '.join(key_columns(cols))}",
                          params)
        hide = private.get(table, frozenset())
        if hide:
            seen: dict[Any, bool] = {}
            for row in rows:
                acc = row.get("account_id")
                if acc not in seen:
                    seen[acc] = acc is not None and permissions.can_see_private(db, actor, acc)
                if not seen[acc]:
                    for name in hide:
                        row.pop(name, None)
        out_tables[table] = {"columns": names, "rows": rows}
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "schema": store.applied_migrations(db),
        "exported_at": clock.now_iso(),
        "exported_by": actor.username,
        "scope": {"account_id": account_id},
        "tables": out_tables,
    }


def to_json(data: dict[str, Any]) -> bytes:
    """The export as UTF-8 JSON text."""
    return json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")


def from_json(raw: bytes) -> dict[str, Any]:
    """Parse an export file; a file that is not JSON is refused with a clear reason."""
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ValidationError.single("file", "reason.not_json", detail=str(exc)[:120]) from None
    if not isinstance(data, dict):
        raise ValidationError.single("file", "reason.not_export")
    return data


def to_xlsx(data: dict[str, Any]) -> bytes:
    """The export as an Excel workbook: a `_meta` sheet, then one sheet per table."""
    from openpyxl import Workbook

    book = Workbook()
    meta = book.active
    meta.title = META_SHEET
    for key in ("format", "format_version", "exported_at", "exported_by"):
        meta.append([key, data.get(key)])
    meta.append(["schema", json.dumps(data.get("schema"))])
    meta.append(["scope", json.dumps(data.get("scope"))])
    for table, body in data["tables"].items():
        sheet = book.create_sheet(table[:31])
        sheet.append(body["columns"])
        for number, row in enumerate(body["rows"], start=2):
            for col, name in enumerate(body["columns"], start=1):
                value = row.get(name, OMITTED)
                cell = sheet.cell(number, col)
                cell.value = value
                if isinstance(value, str):
                    cell.data_type = "s"  # text stays text: "=…" is not a formula
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def from_xlsx(raw: bytes, db: Database) -> dict[str, Any]:
    """Read a workbook written by `to_xlsx` back into the export dict (empty cells in NOT NULL text are '')."""
    from zipfile import BadZipFile

    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=False)
    except (BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ValidationError.single("file", "reason.not_xlsx", detail=str(exc)[:120]) from None
    if META_SHEET not in book.sheetnames:
        raise ValidationError.single("file", "reason.not_export")
    meta = {r[0]: r[1] for r in book[META_SHEET].iter_rows(values_only=True) if r and r[0]}
    data: dict[str, Any] = {
        "format": meta.get("format"), "format_version": meta.get("format_version"),
        "exported_at": meta.get("exported_at"), "exported_by": meta.get("exported_by"),
        "schema": _json_cell(meta.get("schema")), "scope": _json_cell(meta.get("scope")) or {}, "tables": {},
    }
    known = {t[:31]: t for t in tables(db)}
    for sheet_name in book.sheetnames:
        if sheet_name == META_SHEET:
            continue
        table = known.get(sheet_name, sheet_name)
        text_notnull = ({c.name for c in columns(db, table) if c.notnull and "TEXT" in c.type}
                        if table in known.values() else set())
        values = list(book[sheet_name].iter_rows(values_only=True))
        header = [str(h) for h in values[0]] if values else []
        rows = []
        for cells in values[1:]:
            if all(c is None for c in cells):
                continue
            row: dict[str, Any] = {}
            for name, value in zip(header, cells, strict=False):
                if value == OMITTED:
                    continue
                row[name] = "" if value is None and name in text_notnull else value
            rows.append(row)
        data["tables"][table] = {"columns": header, "rows": rows}
    return data


def _json_cell(value: Any) -> Any:
    try:
        return json.loads(value) if isinstance(value, str) else value
    except ValueError:
        return None


def check_header(db: Database, data: dict[str, Any]) -> None:
    """Refuse a file that is not an export, or that comes from another schema level."""
    if data.get("format") != FORMAT or not isinstance(data.get("tables"), dict):
        raise ValidationError.single("file", "reason.not_export")
    if data.get("format_version") != FORMAT_VERSION:
        raise ValidationError.single("file", "reason.format_version", found=data.get("format_version"),
                                     expected=FORMAT_VERSION)
    ours = store.applied_migrations(db)
    theirs = data.get("schema") or []
    if sorted(theirs) != sorted(ours):
        raise ValidationError.single("file", "reason.schema_mismatch", found=_level(sorted(theirs)),
                                     expected=_level(sorted(ours)))


def _level(names: list[str]) -> str:
    return names[-1] if names else "—"


def _same(a: Any, b: Any) -> bool:
    """Equal as stored values (1 == True, 2.0 == 2)."""
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return float(a) == float(b)
    return a == b


def same_content(here: dict[str, Any], row: dict[str, Any], versioned: bool) -> bool:
    """Does the stored row already hold the file's values? (Bookkeeping alone does not count as a change.)"""
    skip = set(records.BOOKKEEPING) - {"id"} if versioned else set()
    return all(_same(here[c], row[c]) for c in row if c in here and c not in skip)


def is_versioned(names: set[str]) -> bool:
    """Editable tables carry version and updated_at; the others (audit log, histories) are append-only."""
    return {"version", "updated_at"} <= names


def diff_table(db: Database, table: str, incoming: list[dict[str, Any]]) -> TablePlan:
    """Compare rows (matched by primary key) with what the table holds now."""
    cols = columns(db, table)
    keys = key_columns(cols)
    names = {c.name for c in cols}
    current = {tuple(r[k] for k in keys): r for r in store.rows(db, f"SELECT * FROM [{table}]")}
    plan = TablePlan(table)
    append_only = not is_versioned(names)
    seen = set()
    for row in incoming:
        key = tuple(row.get(k) for k in keys)
        seen.add(key)
        here = current.get(key)
        if here is None:
            plan.new += 1
        elif same_content(here, row, not append_only):
            plan.unchanged += 1
        elif append_only:
            plan.kept += 1
        else:
            plan.changed += 1
            if _newer(here, row):
                plan.newer_in_db.append(key[0] if len(key) == 1 else key)
    plan.only_in_db = len(set(current) - seen)
    return plan


def _newer(here: dict[str, Any], row: dict[str, Any]) -> bool:
    """Does the database hold a newer version of this row than the file?"""
    if "version" in row and here.get("version") is not None and row["version"] is not None:
        try:
            if int(here["version"]) > int(row["version"]):
                return True
        except (TypeError, ValueError):
            pass
    return bool(row.get("updated_at")) and str(here.get("updated_at") or "") > str(row["updated_at"])


def _validate_rows(db: Database, data: dict[str, Any]) -> list[FieldProblem]:
    """Structural and per-entity checks of every row that would be written; problems name table, row and field."""
    problems: list[FieldProblem] = []
    known = set(tables(db))
    by_table = {e.table: e for e in records.REGISTRY.values()}
    for table, body in data["tables"].items():
        if table not in known:
            problems.append(FieldProblem(table, "reason.unknown_table", {"table": table}))
            continue
        rows = body.get("rows") if isinstance(body, dict) else None
        if not isinstance(rows, list):
            problems.append(FieldProblem(table, "reason.not_export", {"table": table}))
            continue
        cols = {c.name: c for c in columns(db, table)}
        keys = key_columns(list(cols.values()))
        entity = by_table.get(table)
        for number, row in enumerate(rows, start=1):
            if len(problems) >= MAX_PROBLEMS:
                return problems
            if not isinstance(row, dict):
                problems.append(FieldProblem("record", "reason.bad_row", {"table": table}, row=number))
                continue
            unknown = [c for c in row if c not in cols or c in SECRET_COLUMNS.get(table, ())]
            if unknown:
                problems.append(FieldProblem(unknown[0], "reason.unknown_column", {"table": table}, row=number))
                continue
            if any(not isinstance(row.get(k), (int, str)) or isinstance(row.get(k), bool) for k in keys):
                problems.append(FieldProblem(keys[0], "reason.bad_key", {"table": table}, row=number))
                continue
            here = store.row(db, f"SELECT * FROM [{table}] WHERE " + " AND ".join(f"[{k}] = ?" for k in keys),
                             [row[k] for k in keys])
            if here is not None and same_content(here, row, is_versioned(set(cols))):
                continue  # unchanged rows need no checks
            merged = {**(here or {}), **row}
            for secret in SECRET_COLUMNS.get(table, ()):
                merged.setdefault(secret, UNUSABLE_PASSWORD)
            missing = [c.name for c in cols.values() if c.notnull and c.default is None and not c.pk
                       and merged.get(c.name) is None and c.name not in SECRET_COLUMNS.get(table, ())]
            if missing:
                problems.append(FieldProblem(missing[0], "reason.missing", {"table": table}, row=number))
                continue
            if entity is not None:
                editable = {f: merged.get(f) for f in entity.model.model_fields if f in cols}
                try:
                    records.validate(entity, editable)
                except ValidationError as exc:
                    for problem in exc.problems[:3]:
                        problem.row = number
                        problem.params = {**problem.params, "table": table}
                        problems.append(problem)
    return problems


def plan_import(db: Database, actor: User, data: dict[str, Any]) -> ImportPlan:
    """The dry run: check the file and every row, and say what an import would change. Writes nothing."""
    permissions.require_admin(actor)
    check_header(db, data)
    private_columns()  # load every entity before validating
    problems = _validate_rows(db, data)
    if problems:
        raise ImportProblems(problems)
    plans = [diff_table(db, table, body["rows"]) for table, body in _in_order(db, data)]
    return ImportPlan(plans, data.get("scope") or {}, data.get("schema") or [])


def _in_order(db: Database, data: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    order = tables(db)
    return sorted(data["tables"].items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order))


def apply_import(db: Database, actor: User, data: dict[str, Any], confirm_newer: bool = False) -> ImportPlan:
    """Import the file: insert new rows, update changed ones; refuse newer-data overwrites unless confirmed."""
    plan = plan_import(db, actor, data)
    if plan.newer_in_db and not confirm_newer:
        raise NeedsConfirmation("err.import_newer", count=plan.newer_in_db)
    by_table = {e.table: e for e in records.REGISTRY.values()}
    now = clock.now_iso()
    with store.transaction(db):
        db.conn.execute("PRAGMA defer_foreign_keys = ON")  # parents and children may come in any order
        for table, body in _in_order(db, data):
            cols = columns(db, table)
            names = {c.name for c in cols}
            keys = key_columns(cols)
            append_only = not is_versioned(names)
            for number, row in enumerate(body["rows"], start=1):
                where = " AND ".join(f"[{k}] = ?" for k in keys)
                here = store.row(db, f"SELECT * FROM [{table}] WHERE {where}", [row[k] for k in keys])
                try:
                    if here is None:
                        _insert(db, table, row, names)
                    elif not append_only and not same_content(here, row, True):
                        _update(db, actor, table, by_table.get(table), here, row, keys, now)
                except sqlite3.IntegrityError as exc:
                    raise ImportProblems([FieldProblem("record", "reason.constraint",
                                                       {"detail": str(exc), "table": table}, row=number)]) from None
        broken = db.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            problems = [FieldProblem("record", "reason.dangling_reference", {"parent": r[2], "table": r[0]}, row=r[1])
                        for r in broken[:MAX_PROBLEMS]]
            raise ImportProblems(problems)
    return plan


def _insert(db: Database, table: str, row: dict[str, Any], names: set[str]) -> None:
    values = dict(row)
    if table == "users" and "password_hash" in names:
        values["password_hash"] = UNUSABLE_PASSWORD
    cols = ", ".join(f"[{c}]" for c in values)
    db.conn.execute(f"INSERT INTO [{table}] ({cols}) VALUES ({', '.join('?' for _ in values)})", list(values.values()))


def _update(db: Database, actor: User, table: str, entity: records.Entity | None, here: dict[str, Any],
            row: dict[str, Any], keys: list[str], now: str) -> None:
    """Bring a row to the file's values on a NEW version, audited as a restore by the importing user."""
    bookkeeping = set(records.BOOKKEEPING)
    diff = [(c, here[c], row[c]) for c in row if c not in bookkeeping and c not in keys and not _same(here[c], row[c])]
    if not diff:
        return
    sets = ", ".join(f"[{c}] = ?" for c, _, _ in diff)
    version = max(int(here.get("version") or 0), int(row.get("version") or 0)) + 1
    db.conn.execute(
        f"UPDATE [{table}] SET {sets}, version = ?, updated_at = ?, updated_by = ? WHERE "
        + " AND ".join(f"[{k}] = ?" for k in keys),
        [*(v for _, _, v in diff), version, now, actor.id, *(here[k] for k in keys)],
    )
    if entity is not None:
        merged = {**here, **row}
        records.write_audit(db, actor, entity, here["id"], entity.account_of(merged) if entity.account_field != "id"
                            else here["id"], "restore", diff, version)
