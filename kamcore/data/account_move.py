"""An account moves to another war room: its export (JSON or Excel) imported where it has never been.

An account's export (`portability.export_data(db, actor, account_id)`) holds the account's own rows; the
company-wide rows they point at (people, segments, product lines, stages, tiering criteria, stage
criteria, playbook entries, rules) travel beside them as `references` with their names
(`portability.references`; people by username and display name only). Importing it
into a war room that does not have the account (`plan_move`, then `apply_move`):

- every row gets a new id there (`records.create_many`: validated, permission-checked, audited as a
  create by the importing administrator; ids never reused), and every reference between the file's
  rows follows it;
- segments and product lines are matched by name / code, and created when missing (the preview lists
  them); stages by key; tiering criteria, stage criteria, playbook entries and rules by name or label,
  else the reference is left blank (or the row that needs it is left out and counted);
- people are matched by username to the users there, else the reference is left blank; no user is
  created, no role or membership given. A row this war room's rules refuse as it stands (a goal whose
  owner must be an editing member of the account's team, which does not move) is left out and counted
  with its reason (`waiting`), never forced in;
- roles, team membership, sign-offs and huddles (their presenter, reviewer and coach are roles) are NEVER
  imported (`NEVER_MOVED`; their children are left out with them): the team is set up where the
  account arrives, by its administrators; nor the other war room's audit log, snapshots or firings;
- the deals' stage history comes along (dated as it was), so the pipeline's figures are the same.

All or nothing: a failure after the first batch deletes what the move created (`records.undo_created`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database

from kamcore import permissions, records, store
from kamcore.data import portability
from kamcore.errors import ValidationError
from kamcore.users import User

NEVER_MOVED = frozenset({"account_team", "signoffs", "proposal_roles", "huddles", "audit_log", "health_snapshots",
                         "rule_firings", "huddle_sessions", "flag_acks", "sign_in_sessions"})
NAMED_BY = portability.NAMED_BY
CREATED_WHEN_MISSING = ("segments", "product_lines")
HISTORY = "stage_history"
# references without a foreign key in the schema: column -> the table it points at
IMPLICIT = {"opportunity_id": "opportunities", "stakeholder_id": "stakeholders",
            "retrospective_id": "retrospectives", "spin_plan_id": "spin_plans"}


def is_move(db: Database, data: dict[str, Any]) -> bool:
    """Is this an account's export whose account this war room does not hold (a move, not a restore)?"""
    scope = data.get("scope") if isinstance(data.get("scope"), dict) else {}
    account_id = scope.get("account_id") if scope else None
    rows = ((data.get("tables") or {}).get("accounts") or {}).get("rows") or []
    if account_id is None or not rows or not isinstance(rows[0], dict):
        return False
    here = store.row(db, "SELECT id FROM accounts WHERE id = ? AND name = ?", [account_id, rows[0].get("name")])
    return here is None


@dataclass
class MovePlan:
    """What a move would create, and what it maps, leaves blank or leaves out."""

    account: str
    rows: dict[str, int] = field(default_factory=dict)  # table -> rows to create
    created: dict[str, list[str]] = field(default_factory=dict)  # segments / product lines created by name
    mapped: dict[str, int] = field(default_factory=dict)  # company table -> references matched by name
    blank: dict[str, list[str]] = field(default_factory=dict)  # company table -> names not found (left blank)
    left_out: dict[str, int] = field(default_factory=dict)  # table -> rows left out (membership, roles …)
    waiting: dict[str, dict[str, int]] = field(default_factory=dict)  # table -> {reason: rows} refused here


def plan_move(db: Database, actor: User, data: dict[str, Any]) -> MovePlan:
    """Check the file and say what the move would do; nothing is written. Administrators only."""
    permissions.require_admin(actor)
    portability.check_header(db, data)
    if not is_move(db, data):
        raise ValidationError.single("file", "reason.not_a_move")
    account = data["tables"]["accounts"]["rows"][0]
    if store.row(db, "SELECT 1 FROM accounts WHERE name = ? COLLATE NOCASE", [account.get("name")]):
        raise ValidationError.single("name", "reason.duplicate", value=account.get("name"))
    plan = MovePlan(str(account.get("name")))
    refs = data.get("references") or {}
    for table, column in NAMED_BY.items():
        for row in (refs.get(table) or {}).get("rows") or []:
            name = row.get(column)
            if _here(db, table, column, name) is not None:
                plan.mapped[table] = plan.mapped.get(table, 0) + 1
            elif table in CREATED_WHEN_MISSING:
                plan.created.setdefault(table, []).append(str(name))
            else:
                plan.blank.setdefault(table, []).append(str(name))
    for table, body in data["tables"].items():
        rows = body.get("rows") or []
        if table in NEVER_MOVED or (portability.importable(table) is None and table != HISTORY):
            if rows:
                plan.left_out[table] = len(rows)
        elif rows:
            plan.rows[table] = len(rows)
    return plan


def _here(db: Database, table: str, column: str, name: Any) -> Any:
    """This war room's id (or key) of the company-wide row called `name`, or None."""
    key = "key" if table == "stages" else "id"
    found = store.row(db, f"SELECT [{key}] AS k FROM [{table}] WHERE [{column}] = ?", [name])
    return None if found is None else found["k"]


def apply_move(db: Database, actor: User, data: dict[str, Any]) -> MovePlan:
    """Bring the account in (see the module's description); returns what was done."""
    plan = plan_move(db, actor, data)
    created: list[tuple[records.Entity, list[int]]] = []
    try:
        maps = _company_maps(db, actor, data.get("references") or {}, created)
        for table in _order(db, [t for t in data["tables"] if t in plan.rows]):
            body = data["tables"][table]
            if table == HISTORY:
                _history(db, body.get("rows") or [], maps)
                continue
            _create_table(db, actor, table, body.get("rows") or [], maps, plan, created)
    except BaseException:
        records.undo_created(db, created)
        raise
    return plan


def _references_of(db: Database, table: str) -> list[dict[str, str]]:
    """Every column of the table that points at a row: its foreign keys and the `IMPLICIT` ones."""
    fks = portability.foreign_keys(db, table)
    given = {fk["from"] for fk in fks}
    names = {c.name for c in portability.columns(db, table)}
    return fks + [{"table": t, "from": c, "to": "id"} for c, t in IMPLICIT.items() if c in names and c not in given]


def _order(db: Database, names: list[str]) -> list[str]:
    """The file's tables, every one after the tables its rows point at."""
    wanted = set(names)
    needs = {n: {fk["table"] for fk in _references_of(db, n)} & wanted - {n} for n in names}
    ordered: list[str] = []
    while len(ordered) < len(names):
        ready = sorted(n for n in names if n not in ordered and needs[n] <= set(ordered))
        ordered += ready or sorted(n for n in names if n not in ordered)
    return ordered


def _company_maps(db: Database, actor: User, refs: dict[str, Any],
                  created: list[tuple[records.Entity, list[int]]]) -> dict[str, dict[Any, Any]]:
    """Old id (or key) -> id here for every referenced company-wide row; missing segments and product
    lines are created first."""
    maps: dict[str, dict[Any, Any]] = {}
    for table, column in NAMED_BY.items():
        key = "key" if table == "stages" else "id"
        rows = (refs.get(table) or {}).get("rows") or []
        maps[table] = {}
        missing = []
        for row in rows:
            here = _here(db, table, column, row.get(column))
            if here is None and table in CREATED_WHEN_MISSING:
                missing.append(row)
            else:
                maps[table][row.get(key)] = here
        if missing:
            entity = portability.importable(table)
            assert entity is not None  # segments and product lines are entities
            values = [{f: r[f] for f in entity.model.model_fields if f in r} for r in missing]
            made = records.create_many(db, actor, entity, values, undo=created)
            maps[table].update({r["id"]: new for r, new in zip(missing, made, strict=True)})
    return maps


def _create_table(db: Database, actor: User, table: str, rows: list[dict[str, Any]], maps: dict[str, dict[Any, Any]],
                  plan: MovePlan, created: list[tuple[records.Entity, list[int]]]) -> None:
    """Create one table's rows with every reference remapped; rows pointing at their own table go
    parents first."""
    entity = portability.importable(table)
    assert entity is not None
    notnull = {c.name for c in portability.columns(db, table) if c.notnull}
    fks = [fk for fk in _references_of(db, table) if fk["from"] in entity.model.model_fields]
    own = [fk["from"] for fk in fks if fk["table"] == table]
    maps.setdefault(table, {})
    pending = list(rows)
    while pending:
        ready = [r for r in pending if all(r.get(c) is None or r.get(c) in maps[table] for c in own)]
        if not ready:  # a cycle or a parent outside the file: its own references are left blank
            ready = [{**r, **dict.fromkeys(own)} for r in pending]
            pending = []
        else:
            pending = [r for r in pending if r not in ready]
        values, kept = [], []
        for row in ready:
            out = {f: row[f] for f in entity.model.model_fields if f in row}
            dropped = False
            for fk in fks:
                old = row.get(fk["from"])
                if old is None:
                    continue
                new = maps.get(fk["table"], {}).get(old)
                if new is None and table == "accounts" and fk["from"] == "parent_id":
                    new = None  # the group stays in the other war room
                if new is None and fk["from"] in notnull:
                    dropped = True
                    break
                out[fk["from"]] = new
            if not dropped and table == "comments":  # entity + entity_id: a row of any table of the file
                target = records.REGISTRY.get(str(row.get("entity")))
                out["entity_id"] = maps.get(target.table if target else "", {}).get(row.get("entity_id"))
                dropped = out["entity_id"] is None
            if dropped:
                plan.left_out[table] = plan.left_out.get(table, 0) + 1
                continue
            refused = _refusal(db, entity, out)
            if refused is not None:
                reasons = plan.waiting.setdefault(table, {})
                reasons[refused] = reasons.get(refused, 0) + 1
                continue
            values.append(out)
            kept.append(row)
        if values:
            made = records.create_many(db, actor, entity, values, undo=created)
            maps[table].update({r["id"]: new for r, new in zip(kept, made, strict=True)})


def _refusal(db: Database, entity: records.Entity, values: dict[str, Any]) -> str | None:
    """The reason this war room's checks refuse a row as it stands (validation, the entity's own checks), or None."""
    try:
        clean = records.validate(entity, values)
        for check in entity.extra_checks:
            check(db, clean, None)
    except ValidationError as exc:
        return exc.problems[0].reason_key
    return None


def _history(db: Database, rows: list[dict[str, Any]], maps: dict[str, dict[Any, Any]]) -> None:
    """The deals' stage moves as they were dated, on the new deal ids (mover by username, else blank)."""
    moves = [(maps["opportunities"][r["opportunity_id"]], maps["accounts"].get(r.get("account_id")),
              r.get("from_stage"), r.get("to_stage"), r.get("moved_at"), maps["users"].get(r.get("moved_by")))
             for r in rows if r.get("opportunity_id") in maps.get("opportunities", {})]
    if not moves:
        return
    with store.transaction(db):
        db.conn.executemany("INSERT INTO stage_history (opportunity_id, account_id, from_stage, to_stage, moved_at, "
                            "moved_by) VALUES (?, ?, ?, ?, ?, ?)", moves)
