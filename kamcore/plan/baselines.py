"""Plan baselines: freeze the plan as approved on a date, then compare the live plan with it.

A baseline stores a JSON snapshot of every plan row (settings, goals, share plans,
purchase factors, barrier actions) and the audit-log position at the moment it was
taken. The comparison lists what was added, removed or changed since, and names who
moved each thing and when, from the audit rows written after that position.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import Field
from sqlite_utils import Database

from kamcore import data_cache, permissions, records, store
from kamcore.i18n import choice_label, t
from kamcore.plan import goals, scorecard, share_plans, strategy
from kamcore.records import Entity, Record
from kamcore.store import transaction
from kamcore.users import User

PLAN_ENTITIES: tuple[Entity, ...] = (
    scorecard.ENTITY, goals.ENTITY, share_plans.ENTITY, strategy.FACTOR_ENTITY, strategy.BARRIER_ENTITY,
)


class BaselineIn(Record):
    """A named, dated freeze of the account plan."""

    account_id: int
    name: str = Field(min_length=1, max_length=120)
    approved_on: date
    snapshot: str = Field(min_length=2)


ENTITY = Entity("plan_baseline", "plan_baselines", BaselineIn, hidden_fields=frozenset({"snapshot"}))


def _fields(entity: Entity) -> list[str]:
    return [f for f in entity.model.model_fields if f != "account_id"]


def snapshot(db: Database, account_id: int) -> dict[str, Any]:
    """Every plan row of the account, by entity and id, plus the audit-log position now."""
    rows: dict[str, dict[str, dict[str, Any]]] = {}
    for entity in PLAN_ENTITIES:
        found = store.rows(db, f"SELECT * FROM [{entity.table}] WHERE account_id = ?", [account_id])
        rows[entity.name] = {str(r["id"]): {f: r[f] for f in _fields(entity)} for r in found}
    mark = db.execute("SELECT coalesce(max(id), 0) FROM audit_log").fetchone()[0]
    return {"audit_mark": mark, "rows": rows}


def take_baseline(db: Database, actor: User, account_id: int, name: str, approved_on: date | str) -> dict[str, Any]:
    """Freeze the live plan under a name ("2027 plan") and approval date."""
    permissions.require_edit(db, actor, account_id)
    with transaction(db):
        frozen = json.dumps(snapshot(db, account_id), ensure_ascii=False, default=str)
        return records.create(db, actor, ENTITY, {"account_id": account_id, "name": name,
                                                   "approved_on": approved_on, "snapshot": frozen})


def list_baselines(db: Database, actor: User, account_id: int) -> list[dict[str, Any]]:
    """The account's baselines, newest approval first (without the snapshot text)."""
    permissions.require_read(db, actor, account_id)
    return store.rows(
        db,
        """SELECT b.id, b.name, b.approved_on, b.created_at, b.version, u.display_name AS taken_by
           FROM plan_baselines b LEFT JOIN users u ON u.id = b.updated_by
           WHERE b.account_id = ? ORDER BY b.approved_on DESC, b.id DESC""",
        [account_id],
    )


@dataclass
class Move:
    """One difference between a baseline and the live plan, with who made it and when."""

    entity: str
    entity_id: int
    change: str  # added | removed | changed
    field: str | None
    old: Any
    new: Any
    by: str
    at: str
    row: dict[str, Any]


def compare(db: Database, actor: User, baseline_id: int) -> list[Move]:
    """What moved in the live plan since the baseline, by whom (from the audit log). Kept per account
    (`data_cache.per_account`): recomputed only after a write to the account (or a global change). The moves
    are shared between sessions: read-only."""
    base = records.get(db, ENTITY, baseline_id)
    account_id = base["account_id"]
    permissions.require_read(db, actor, account_id)
    return data_cache.per_account(db, "plan.baseline_moves", [account_id],
                                  lambda _ids: {account_id: _compare(db, base)}, key=baseline_id)[account_id]


def _compare(db: Database, base: dict[str, Any]) -> list[Move]:
    frozen = json.loads(base["snapshot"])
    live = snapshot(db, base["account_id"])["rows"]
    who = _authors_since(db, base["account_id"], frozen["audit_mark"])
    moves: list[Move] = []
    for entity in PLAN_ENTITIES:
        then = frozen["rows"].get(entity.name, {})
        now = live.get(entity.name, {})
        for key in sorted(set(then) | set(now), key=int):
            row_id = int(key)
            if key not in then:
                by, at = who.get((entity.name, row_id, None), ("", ""))
                moves.append(Move(entity.name, row_id, "added", None, None, None, by, at, now[key]))
            elif key not in now:
                by, at = who.get((entity.name, row_id, "__deleted__"), ("", ""))
                moves.append(Move(entity.name, row_id, "removed", None, None, None, by, at, then[key]))
            else:
                for name in _fields(entity):
                    if then[key].get(name) != now[key].get(name):
                        by, at = who.get((entity.name, row_id, name), ("", ""))
                        moves.append(Move(entity.name, row_id, "changed", name, then[key].get(name),
                                          now[key].get(name), by, at, now[key]))
    return moves


def _authors_since(db: Database, account_id: int, mark: int) -> dict[tuple[str, int, str | None], tuple[str, str]]:
    """(entity, id, field) -> (people who changed it after `mark`, last time); creates key field None."""
    found = db.execute(
        """SELECT a.entity, a.entity_id, a.action, a.field, coalesce(u.display_name, 'System'), a.at
           FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id
           WHERE a.account_id = ? AND a.id > ? ORDER BY a.id""",
        [account_id, mark],
    ).fetchall()
    people: dict[tuple[str, int, str | None], list[str]] = {}
    last: dict[tuple[str, int, str | None], str] = {}
    for entity, entity_id, action, field, name, at in found:
        key_field = None if action == "create" else "__deleted__" if action == "delete" else field
        key = (entity, entity_id, key_field)
        names = people.setdefault(key, [])
        if name not in names:
            names.append(name)
        last[key] = at
    return {k: (", ".join(v), last[k]) for k, v in people.items()}


def describe(entity: str, row: dict[str, Any], lines: dict[int, str], lang: str = "en") -> str:
    """A short human label for a plan row in a comparison ("2026 · Revenue · CORE")."""
    line = lines.get(row.get("product_line_id") or 0, "")
    if entity == "goal":
        period = f"{row['year']}" + (f" Q{row['quarter']}" if row.get("quarter") else "")
        what = row["title"] or choice_label("metric", row["metric"], lang)
        return " · ".join(p for p in (period, what, line) if p)
    if entity == "share_plan":
        return line
    if entity == "purchase_factor":
        return choice_label("factor", row["factor"], lang)
    if entity == "barrier_action":
        return f"{choice_label('barrier', row['kind'], lang)} · {row['action'][:60]}"
    return t("entity.account_plan", lang)
