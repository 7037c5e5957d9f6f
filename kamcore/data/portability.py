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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database

from kamcore import clock, permissions, records, store
from kamcore.errors import ConflictError, FieldProblem, KamError, NotFoundError, PermissionDenied, ValidationError
from kamcore.users import User

FORMAT = "kam-warroom-export"
FORMAT_VERSION = 1
SECRET_COLUMNS = {"users": ("password_hash",)}
OMITTED = "[omitted]"  # how Excel marks a left-out value (JSON simply leaves the key out)
META_SHEET = "_meta"
MAX_PROBLEMS = 20
# who may do what is never taken from a file: users and their roles, account teams (membership, team role,
# first-responsible) and sign-offs are changed only on their own screens, by the people allowed to
NEVER_IMPORTED = frozenset({"users", "account_team", "signoffs", "sign_in_sessions", "audit_log", "settings"})
MAX_NESTING = records.MAX_NESTING  # a JSON export is at most five levels deep; deeper input is refused first


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
    skipped: int = 0  # rows of tables an import never writes (sessions, users, audit log, settings, histories)


@dataclass
class RecordChange:
    """One record an import would create or change, and how (the per-record preview)."""

    table: str
    entity: str
    key: int
    account_id: Any
    action: str  # "new" or "changed"
    fields: list[tuple[str, Any, Any]]  # (field, value now, value from the file)
    row: dict[str, Any]
    number: int  # the row's position in the file's table (for error messages)
    newer_in_db: bool = False
    base_version: int | None = None  # the database's version when planned


@dataclass
class ImportPlan:
    """The whole preview: per-table counts, plus the scope and schema level the file declares."""

    tables: list[TablePlan]
    scope: dict[str, Any]
    schema: list[str]
    changes: list[RecordChange] = field(default_factory=list)

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


def export_data(db: Database, actor: User, account_id: int | None = None,
                progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Everything (admins) or one account's data (anyone who can read it) as a plain dict ready for JSON.

    `progress(done, total)` is called after each table (the last call has done == total)."""
    if account_id is None:
        permissions.require_admin(actor)
    else:
        permissions.require_read(db, actor, account_id)
    private = private_columns()
    out_tables: dict[str, Any] = {}
    names_of_tables = tables(db)
    for done, table in enumerate(names_of_tables, start=1):
        if progress is not None:
            progress(done - 1, len(names_of_tables))
        cols = columns(db, table)
        names = [c.name for c in cols if c.name not in SECRET_COLUMNS.get(table, ())]
        where, params = "", []
        if account_id is not None:
            if table == "accounts":
                where, params = "WHERE id = ?", [account_id]
            elif "account_id" in names:
                where, params = "WHERE account_id = ?", [account_id]
            else:  # company-wide: users and their roles, sign-in sessions, settings, rules, stages…
                continue
        where, params = _readable_only(db, actor, table, where, params)
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
        if table == "audit_log":
            _hide_private_history(db, actor, rows, private)
        out_tables[table] = {"columns": names, "rows": rows}
    out = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "schema": store.applied_migrations(db),
        "exported_at": clock.now_iso(),
        "exported_by": actor.username,
        "scope": {"account_id": account_id},
        "tables": out_tables,
    }
    if account_id is not None:  # what the account's rows point at, by name: it can move to another war room
        out["references"] = references(db, out_tables)
    return out


# company-wide tables an account's rows point at, and the column that names a row across war rooms
NAMED_BY = {"users": "username", "segments": "name", "product_lines": "code", "stages": "key",
            "tiering_criteria": "name", "stage_criteria": "label_en", "playbook_entries": "title", "rules": "name"}
REFERENCE_COLUMNS = {"users": ("id", "username", "display_name")}  # never a password hash or a role
REFERENCE_SHEET = "~"  # Excel: a references table's sheet is "~" + its name


def foreign_keys(db: Database, table: str) -> list[dict[str, str]]:
    """The table's foreign keys: {"table": referenced table, "from": column, "to": referenced column}."""
    return [{"table": r[2], "from": r[3], "to": r[4] or "id"}
            for r in db.execute(f"PRAGMA foreign_key_list([{table}])").fetchall()]


def references(db: Database, exported: dict[str, Any]) -> dict[str, Any]:
    """The company-wide rows an account's exported tables point at, keyed by table (see kamcore.data.account_move)."""
    wanted: dict[str, set[Any]] = {}
    for table, body in exported.items():
        for fk in foreign_keys(db, table):
            if fk["table"] in NAMED_BY:
                wanted.setdefault(fk["table"], set()).update(
                    r.get(fk["from"]) for r in body["rows"] if r.get(fk["from"]) is not None)
    out: dict[str, Any] = {}
    for table, ids in sorted(wanted.items()):
        key = "key" if table == "stages" else "id"
        cols = REFERENCE_COLUMNS.get(table) or tuple(c.name for c in columns(db, table))
        rows = [r for r in store.rows(db, f"SELECT {', '.join(f'[{c}]' for c in cols)} FROM [{table}]")
                if r[key] in ids]
        out[table] = {"columns": list(cols), "rows": rows}
    return out


def _readable_only(db: Database, actor: User, table: str, where: str, params: list[Any]) -> tuple[str, list[Any]]:
    """`where` narrowed to the rows `actor` may read although they read the account (`Entity.readable_rows`:
    other people's daily logs), and to those rows' history."""
    from kamcore.audit import unreadable_rows

    if table == "audit_log":
        extra, more = unreadable_rows(db, actor, alias="")
    else:
        entity = next((e for e in records.REGISTRY.values() if e.table == table and e.readable_rows), None)
        readable = entity.readable_rows(db, actor) if entity is not None else None
        if readable is None:
            return where, params
        extra, more = readable
    return (f"{where} AND {extra}" if where else f"WHERE {extra}"), [*params, *more]


def _hide_private_history(db: Database, actor: User, rows: list[dict[str, Any]],
                          private: dict[str, frozenset[str]]) -> None:
    """Personal fields left out of the rows are left out of their history too."""
    fields = {(e.name, f) for e in records.REGISTRY.values() for f in private.get(e.table, ())}
    seen: dict[Any, bool] = {}
    for row in rows:
        if (row.get("entity"), row.get("field")) not in fields:
            continue
        acc = row.get("account_id")
        if acc not in seen:
            seen[acc] = acc is not None and permissions.can_see_private(db, actor, acc)
        if not seen[acc]:
            for side in ("old_value", "new_value"):
                if row.get(side) is not None:
                    row[side] = records.HIDDEN


@dataclass
class ExportFiles:
    """A prepared export: the JSON and Excel files and the day they were made."""

    scope: int | None
    json: bytes
    xlsx: bytes
    day: str

    @property
    def stem(self) -> str:
        """The file name without extension: what and when."""
        return f"warroom-{'all' if self.scope is None else f'account-{self.scope}'}-{self.day}"


# How a prepared export's time splits (measured on the demo plus the 8,800-deal Maven sample: reading
# 0.9 s, JSON 3.0 s, Excel 57 s): the bar moves in proportion to the work, not to the steps.
_READ, _JSON = 20, 70
PROGRESS_TOTAL = 1000


def prepare_export(db: Database, actor: User, account_id: int | None = None,
                   progress: Callable[[int, int], None] | None = None) -> ExportFiles:
    """Read the data (`export_data`) and write it as JSON and Excel, reporting `progress(done, total)` over
    the three steps (total = PROGRESS_TOTAL; the last call has done == total)."""
    def step(start: int, end: int) -> Callable[[int, int], None]:
        def report(done: int, total: int) -> None:
            if progress is not None:
                progress(start + (end - start) * done // max(total, 1), PROGRESS_TOTAL)
        return report

    data = export_data(db, actor, account_id, step(0, _READ))
    step(0, _READ)(1, 1)
    as_json = to_json(data)
    step(_READ, _JSON)(1, 1)
    as_xlsx = to_xlsx(data, step(_JSON, PROGRESS_TOTAL))
    step(_JSON, PROGRESS_TOTAL)(1, 1)
    return ExportFiles(account_id, as_json, as_xlsx, data["exported_at"][:10])


def to_json(data: dict[str, Any]) -> bytes:
    """The export as UTF-8 JSON text."""
    return json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")


def from_json(raw: bytes) -> dict[str, Any]:
    """Parse an export file; a file that is not JSON is refused with a clear reason."""
    try:
        data = json.loads(raw.decode("utf-8-sig"), parse_constant=_refuse_constant)
    except RecursionError:
        raise ValidationError.single("file", "reason.too_deep", depth=MAX_NESTING) from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise ValidationError.single("file", "reason.not_json", detail=str(exc)[:120]) from None
    if not isinstance(data, dict):
        raise ValidationError.single("file", "reason.not_export")
    if _depth(data) > MAX_NESTING:
        raise ValidationError.single("file", "reason.too_deep", depth=MAX_NESTING)
    return data


def _refuse_constant(name: str) -> Any:
    """JSON's NaN and Infinity are not numbers a war room stores."""
    raise ValidationError.single("file", "reason.not_finite")


def _depth(value: Any) -> int:
    """How deeply lists and objects nest (without recursion, so any depth can be measured)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, level)
            if level > MAX_NESTING:
                return level
            stack.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def to_xlsx(data: dict[str, Any], progress: Callable[[int, int], None] | None = None) -> bytes:
    """The export as an Excel workbook: a `_meta` sheet, then one sheet per table.

    `progress(done, total)` counts rows written (every 500 rows and after each table)."""
    from openpyxl import Workbook

    book = Workbook()
    meta = book.active
    meta.title = META_SHEET
    for key in ("format", "format_version", "exported_at", "exported_by"):
        meta.append([key, data.get(key)])
    meta.append(["schema", json.dumps(data.get("schema"))])
    meta.append(["scope", json.dumps(data.get("scope"))])
    sheets = [(table[:31], body) for table, body in data["tables"].items()]
    sheets += [((REFERENCE_SHEET + table)[:31], body) for table, body in (data.get("references") or {}).items()]
    total = sum(len(body["rows"]) for _, body in sheets)
    written = 0
    for table, body in sheets:
        sheet = book.create_sheet(table)
        sheet.append(body["columns"])
        for number, row in enumerate(body["rows"], start=2):
            for col, name in enumerate(body["columns"], start=1):
                value = row.get(name, OMITTED)
                cell = sheet.cell(number, col)
                cell.value = value
                if isinstance(value, str):
                    cell.data_type = "s"  # text stays text: "=…" is not a formula
            written += 1
            if progress is not None and written % 500 == 0:
                progress(written, total)
        if progress is not None:
            progress(written, total)
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
        reference = sheet_name.startswith(REFERENCE_SHEET)
        table = known.get(sheet_name.removeprefix(REFERENCE_SHEET), sheet_name.removeprefix(REFERENCE_SHEET))
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
        (data.setdefault("references", {}) if reference else data["tables"])[table] = {"columns": header,
                                                                                        "rows": rows}
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


# ---------------------------------------------------------------------------------------------
# Import: a list of domain writes, each through the same checks as the screens.


def importable(table: str) -> records.Entity | None:
    """The entity an import may write rows of, or None (sign-in sessions, users, account teams, sign-offs, audit
    log, settings and other tables without an entity are never imported: the file cannot plant sessions, roles,
    team membership, sign-offs or history)."""
    if table in NEVER_IMPORTED:
        return None
    return next((e for e in records.all_entities() if e.table == table), None)  # every entity registered


def _account_of(entity: records.Entity, row: dict[str, Any]) -> Any:
    return row.get("id") if entity.account_field == "id" else entity.account_of(row)


def _scope_account(db: Database, data: dict[str, Any]) -> int | None:
    """The account the file declares it holds (None: the whole war room)."""
    scope = data.get("scope")
    account = scope.get("account_id") if isinstance(scope, dict) else None
    if account is not None and (not isinstance(account, int) or isinstance(account, bool)):
        raise ValidationError.single("file", "reason.not_export")
    return account


def _plan_rows(db: Database, actor: User, data: dict[str, Any]) -> tuple[list[FieldProblem], list[RecordChange],
                                                                          dict[str, TablePlan]]:
    """Check every row that would be written, and say per record what would change."""
    problems: list[FieldProblem] = []
    changes: list[RecordChange] = []
    plans: dict[str, TablePlan] = {}
    known = set(tables(db))
    scope = _scope_account(db, data)
    new_accounts: set[int] = set()
    for table, body in _in_order(db, data):
        if table not in known:
            problems.append(FieldProblem(table, "reason.unknown_table", {"table": table}))
            continue
        rows = body.get("rows") if isinstance(body, dict) else None
        if not isinstance(rows, list):
            problems.append(FieldProblem(table, "reason.not_export", {"table": table}))
            continue
        plan = plans.setdefault(table, TablePlan(table))
        entity = importable(table)
        cols = {c.name: c for c in columns(db, table)}
        keys = key_columns(list(cols.values()))
        current: dict[tuple[Any, ...], dict[str, Any]] | None = None
        for number, row in enumerate(rows, start=1):
            if len(problems) >= MAX_PROBLEMS:
                return problems, changes, plans
            if not isinstance(row, dict):
                problems.append(FieldProblem("record", "reason.bad_row", {"table": table}, row=number))
                continue
            if entity is None:  # never written, whatever it holds; the preview counts the rows that differ
                if current is None:
                    current = {tuple(r[k] for k in keys): r for r in store.rows(db, f"SELECT * FROM [{table}]")}
                here = current.get(tuple(row.get(k) for k in keys))
                if here is None or not same_content(here, row, False):
                    plan.skipped += 1
                continue
            unknown = [c for c in row if c not in cols or c in SECRET_COLUMNS.get(table, ())]
            if unknown:
                problems.append(FieldProblem(str(unknown[0])[:40], "reason.unknown_column", {"table": table},
                                             row=number))
                continue
            key = row.get("id")
            if not isinstance(key, int) or isinstance(key, bool) or not 0 < key < records.SQLITE_INT_MAX:
                problems.append(FieldProblem(keys[0], "reason.bad_key", {"table": table}, row=number))
                continue
            here = store.row(db, f"SELECT * FROM [{table}] WHERE id = ?", [key])
            given = {f: v for f, v in row.items() if f in entity.model.model_fields}
            merged = {**{f: here[f] for f in entity.model.model_fields if here and f in here}, **given}
            account = _account_of(entity, here or {**merged, "id": key})
            if scope is not None and (entity.account_field is None or account != scope
                                      or _account_of(entity, {**merged, "id": key}) != scope):
                # an account's file holds that account's rows only, unchanged ones included
                problems.append(FieldProblem(entity.account_field or "record", "reason.outside_scope",
                                             {"table": table}, row=number))
                continue
            if here is not None and same_content(here, row, True):
                plan.unchanged += 1
                continue
            problem = _row_problem(db, actor, entity, scope, here, merged, account, given, new_accounts)
            if problem is not None:
                problem.row, problem.params = number, {**problem.params, "table": table}
                problems.append(problem)
                continue
            if here is None:
                plan.new += 1
                if table == "accounts":
                    new_accounts.add(key)
                changes.append(RecordChange(table, entity.name, key, account, "new",
                                            [(f, None, v) for f, v in given.items() if v not in (None, "")],
                                            row, number))
            else:
                diff = [(f, here.get(f), v) for f, v in given.items() if not _same(here.get(f), v)]
                newer = row.get("version") != here["version"]  # anything but the version exported is newer
                plan.changed += 1
                if newer:
                    plan.newer_in_db.append(key)
                changes.append(RecordChange(table, entity.name, key, account, "changed", diff, row, number,
                                            newer, here["version"]))
        plan.only_in_db = 0 if entity is None else _only_in_db(db, table, rows, entity, scope)
    return problems, changes, plans


def _only_in_db(db: Database, table: str, rows: list[Any], entity: records.Entity, scope: int | None) -> int:
    ids = {r.get("id") for r in rows if isinstance(r, dict)}
    here = [r[0] for r in db.execute(f"SELECT id FROM [{table}]").fetchall()]
    if scope is not None and entity.account_field:
        column = "id" if entity.account_field == "id" else entity.account_field
        here = [r[0] for r in db.execute(f"SELECT id FROM [{table}] WHERE [{column}] = ?", [scope]).fetchall()]
    return len(set(here) - ids)


def _row_problem(db: Database, actor: User, entity: records.Entity, scope: int | None, here: dict[str, Any] | None,
                 merged: dict[str, Any], account: Any, given: dict[str, Any],
                 new_accounts: set[int]) -> FieldProblem | None:
    """Why this row may not be written, or None: scope, validation, permission, workflow fields."""
    if here is not None and entity.account_field not in (None, "id") and \
            entity.account_field in given and given[entity.account_field] != here[entity.account_field]:
        return FieldProblem(entity.account_field, "reason.read_only", {})
    if here is not None:
        moved = [f for f in entity.workflow_fields if f in given and not _same(here.get(f), given[f])]
        if moved:
            return FieldProblem(moved[0], "reason.not_restorable_workflow", {})
    try:
        records.validate(entity, merged)
        if here is None and (entity.account_field == "id" or account in new_accounts):
            # a new account, or a record of one this file creates: for administrators (checked at the write too)
            permissions.require_admin(actor)
            if entity.authorize_row is not None:
                entity.authorize_row(db, actor, merged, "create", frozenset())
        else:
            records.authorize(db, actor, entity, account, "update" if here is not None else "create",
                              row=here if here is not None else merged)
    except ValidationError as exc:
        return exc.problems[0]
    except NotFoundError:
        return FieldProblem(entity.account_field or "record", "reason.dangling_reference", {"parent": "accounts"})
    except PermissionDenied:
        return FieldProblem(entity.account_field or "record", "reason.import_not_allowed", {})
    return None


def plan_import(db: Database, actor: User, data: dict[str, Any]) -> ImportPlan:
    """The dry run: check the file and every row, and say per record what an import would change. Writes nothing."""
    permissions.require_admin(actor)
    if not isinstance(data, dict) or _depth(data) > MAX_NESTING:  # a caller may hand over any dict, not a parsed file
        raise ValidationError.single("file", "reason.too_deep", depth=MAX_NESTING)
    check_header(db, data)
    problems, changes, plans = _plan_rows(db, actor, data)
    if problems:
        raise ImportProblems(problems)
    return ImportPlan(list(plans.values()), data.get("scope") or {}, data.get("schema") or [], changes)


def _in_order(db: Database, data: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    order = tables(db)
    return sorted(data["tables"].items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order))


def apply_import(db: Database, actor: User, data: dict[str, Any], confirm_newer: bool = False) -> ImportPlan:
    """Import the file as domain writes: create new records, update changed ones on the DATABASE's version
    (audited as restores by the importing user); refuse newer-data overwrites unless confirmed."""
    plan = plan_import(db, actor, data)
    if plan.newer_in_db and not confirm_newer:
        raise NeedsConfirmation("err.import_newer", count=plan.newer_in_db)
    with store.transaction(db):
        db.conn.execute("PRAGMA defer_foreign_keys = ON")  # parents and children may come in any order
        for change in plan.changes:
            entity = records.REGISTRY[change.entity]
            try:
                if change.action == "new":
                    _create(db, actor, entity, change.row)
                else:
                    here = records.get(db, entity, change.key)
                    if here["version"] != change.base_version:  # moved on since the preview
                        raise ConflictError(entity.name, change.key, change.base_version, here["version"],
                                            records.changes_since(db, entity, change.key, change.base_version))
                    records.update(db, actor, entity, change.key, here["version"],
                                   {f: v for f, _, v in change.fields}, action="restore")
            except ValidationError as exc:
                problem = exc.problems[0]
                problem.row, problem.params = change.number, {**problem.params, "table": change.table}
                raise ImportProblems([problem]) from None
            except sqlite3.IntegrityError as exc:
                raise ImportProblems([FieldProblem("record", "reason.constraint",
                                                   {"detail": str(exc), "table": change.table},
                                                   row=change.number)]) from None
        broken = db.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            problems = [FieldProblem("record", "reason.dangling_reference", {"parent": r[2], "table": r[0]}, row=r[1])
                        for r in broken[:MAX_PROBLEMS]]
            raise ImportProblems(problems)
    return plan


def _create(db: Database, actor: User, entity: records.Entity, row: dict[str, Any]) -> None:
    """A new record under the file's id, through the one door (`records.create_many`): validated, authorized,
    the entity's extra checks, audited as a create; its creation time as the file has it."""
    created = row.get("created_at") if isinstance(row.get("created_at"), str) else None
    records.create_many(db, actor, entity, [{f: v for f, v in row.items() if f in entity.model.model_fields}],
                        ids=[row["id"]], created_at=[created])
