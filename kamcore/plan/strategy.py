"""Strategy and barriers (D2): the three purchase factors assessed, and barrier plans.

- Purchase factors: risk (brand, relationship, executive contact), benefit (quality,
  service, price, personal interest), switching cost (technical and commercial
  barriers, process embedding); each scored 1 (against us) .. 5 (strongly for us).
- Barrier plans: technical (which of the four levels we are at for a product line,
  and the move to the next), commercial, process embedding — each an action with
  an owner from the iron triangle and a due date.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError
from sqlite_utils import Database

from kamcore import permissions, records, store
from kamcore.plan.goals import OneOwner, owner_in_team
from kamcore.records import Entity, Record
from kamcore.users import User

FACTORS = ("risk", "benefit", "switching_cost")
KINDS = ("technical", "commercial", "process")
# D2 technical barrier levels, weakest first: the "move to the next" is one step right
TECH_LEVELS = ("fail", "differentiate", "influence", "lead")
ACTION_STATUSES = ("open", "in_progress", "done", "dropped")


def next_level(level: str | None) -> str | None:
    """The technical level one step up from `level` (None at the top or without a level)."""
    if level not in TECH_LEVELS:
        return None
    index = TECH_LEVELS.index(level)
    return TECH_LEVELS[index + 1] if index + 1 < len(TECH_LEVELS) else None


class PurchaseFactorIn(Record):
    """How one purchase factor stands for us at this account."""

    account_id: int
    factor: Literal["risk", "benefit", "switching_cost"]
    score: int = Field(ge=1, le=5)
    note: str = Field(default="", max_length=1000)


class BarrierActionIn(Record):
    """One barrier-plan action: what, which barrier, who owns it, by when."""

    account_id: int
    kind: Literal["technical", "commercial", "process"]
    product_line_id: int | None = None
    level: Literal["fail", "differentiate", "influence", "lead"] | None = None
    action: str = Field(min_length=1, max_length=500)
    owner_id: OneOwner
    due_date: date
    status: Literal["open", "in_progress", "done", "dropped"] = "open"

    @model_validator(mode="after")
    def _level_only_for_technical(self) -> BarrierActionIn:
        if self.kind == "technical" and self.level is None:
            raise PydanticCustomError("reason.level_needed", "technical barrier needs a level", {"field": "level"})
        if self.kind != "technical" and self.level is not None:
            raise PydanticCustomError("reason.level_technical_only", "level only for technical", {"field": "level"})
        return self


FACTOR_ENTITY = Entity("purchase_factor", "purchase_factors", PurchaseFactorIn)
BARRIER_ENTITY = Entity("barrier_action", "barrier_actions", BarrierActionIn, extra_checks=(owner_in_team,))


def assess_factor(db: Database, actor: User, values: dict[str, Any]) -> dict[str, Any]:
    """Record the first assessment of a purchase factor."""
    return records.create(db, actor, FACTOR_ENTITY, values)


def update_factor(db: Database, actor: User, factor_id: int, base_version: int,
                  changes: dict[str, Any]) -> dict[str, Any]:
    """Change a purchase factor's score or note, refusing a stale version."""
    return records.update(db, actor, FACTOR_ENTITY, factor_id, base_version, changes)


def list_factors(db: Database, actor: User, account_id: int) -> list[dict[str, Any]]:
    """The account's assessed purchase factors, in D2 order."""
    permissions.require_read(db, actor, account_id)
    order = " ".join(f"WHEN '{f}' THEN {i}" for i, f in enumerate(FACTORS))
    return store.rows(db, f"SELECT * FROM purchase_factors WHERE account_id = ? ORDER BY CASE factor {order} END",
                      [account_id])


def create_action(db: Database, actor: User, values: dict[str, Any]) -> dict[str, Any]:
    """Add a barrier-plan action."""
    return records.create(db, actor, BARRIER_ENTITY, values)


def update_action(db: Database, actor: User, action_id: int, base_version: int,
                  changes: dict[str, Any]) -> dict[str, Any]:
    """Change a barrier-plan action, refusing a stale version."""
    return records.update(db, actor, BARRIER_ENTITY, action_id, base_version, changes)


def delete_action(db: Database, actor: User, action_id: int, base_version: int) -> None:
    """Remove a barrier-plan action, refusing a stale version."""
    records.delete(db, actor, BARRIER_ENTITY, action_id, base_version)


def list_actions(db: Database, actor: User, account_id: int, kind: str | None = None) -> list[dict[str, Any]]:
    """The account's barrier-plan actions with owner and product line, by kind and due date."""
    permissions.require_read(db, actor, account_id)
    where, params = ["b.account_id = ?"], [account_id]
    if kind is not None:
        where.append("b.kind = ?")
        params.append(kind)
    order = " ".join(f"WHEN '{k}' THEN {i}" for i, k in enumerate(KINDS))
    return store.rows(
        db,
        f"""SELECT b.*, u.display_name AS owner_name, p.code AS product_line_code
            FROM barrier_actions b JOIN users u ON u.id = b.owner_id
            LEFT JOIN product_lines p ON p.id = b.product_line_id
            WHERE {' AND '.join(where)} ORDER BY CASE b.kind {order} END, b.due_date, b.id""",
        params,
    )


def technical_position(db: Database, actor: User, account_id: int) -> list[dict[str, Any]]:
    """Per product line, the technical barrier level of its latest open action and the next move."""
    rows = [r for r in list_actions(db, actor, account_id, "technical") if r["status"] in ("open", "in_progress")]
    latest: dict[Any, dict[str, Any]] = {}
    for row in rows:
        latest[row["product_line_id"]] = row
    return [{"product_line_code": r["product_line_code"], "level": r["level"], "next": next_level(r["level"]),
             "action": r["action"], "owner_name": r["owner_name"], "due_date": r["due_date"]}
            for r in latest.values()]


def overdue_actions(db: Database, actor: User, account_id: int, today: date) -> int:
    """How many open barrier actions are past their due date."""
    permissions.require_read(db, actor, account_id)
    return db.execute(
        "SELECT count(*) FROM barrier_actions WHERE account_id = ? AND status IN ('open', 'in_progress') "
        "AND due_date < ?", [account_id, today.isoformat()]).fetchone()[0]
