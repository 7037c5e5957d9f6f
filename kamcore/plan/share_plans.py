"""Share-growth plans and whitespace (D3): per account and product line, the customer's wallet,
our share now, the target shares for the next three years, and the actions that get there.

A line not yet sold there (current share 0) carries a breakthrough plan instead.
Whitespace is the account × product line matrix of current share, target and
potential, where potential = wallet × (final target − current share).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError
from sqlite_utils import Database

from kamcore import permissions, records, store
from kamcore.money_format import Whole
from kamcore.records import Entity, Record
from kamcore.users import User

STATUSES = ("planned", "on_track", "at_risk", "achieved", "stalled")
TARGET_FIELDS = ("target_share_1", "target_share_2", "target_share_3")


class SharePlanIn(Record):
    """One product line's share-growth (or breakthrough) plan at one account."""

    account_id: int
    product_line_id: int
    wallet: Whole = Field(allow_inf_nan=False)
    current_share: float = Field(allow_inf_nan=False)
    base_year: int = Field(ge=2000, le=2100)
    target_share_1: float | None = Field(default=None, allow_inf_nan=False)
    target_share_2: float | None = Field(default=None, allow_inf_nan=False)
    target_share_3: float | None = Field(default=None, allow_inf_nan=False)
    actions: str = Field(default="", max_length=2000)
    status: Literal["planned", "on_track", "at_risk", "achieved", "stalled"] = "planned"

    @field_validator("wallet")
    @classmethod
    def _wallet_not_negative(cls, value: float) -> float:
        if value < 0:
            raise PydanticCustomError("reason.negative_wallet", "wallet cannot be negative")
        return value

    @field_validator("current_share")
    @classmethod
    def _share_in_range(cls, value: float) -> float:
        if not 0 <= value <= 100:
            raise PydanticCustomError("reason.share_range", "share outside 0-100")
        return value

    @field_validator(*TARGET_FIELDS)
    @classmethod
    def _target_within_wallet(cls, value: float | None) -> float | None:
        if value is None:
            return value
        if value > 100:
            raise PydanticCustomError("reason.target_above_wallet", "target above the wallet")
        if value < 0:
            raise PydanticCustomError("reason.share_range", "share outside 0-100")
        return value

    @model_validator(mode="after")
    def _has_a_target(self) -> SharePlanIn:
        if all(getattr(self, f) is None for f in TARGET_FIELDS):
            raise PydanticCustomError("reason.target_needed", "at least one target", {"field": "target_share_1"})
        return self


ENTITY = Entity("share_plan", "share_plans", SharePlanIn, money_fields={"wallet": "account"})


def create_share_plan(db: Database, actor: User, values: dict[str, Any]) -> dict[str, Any]:
    """Add a product line's share-growth plan to an account."""
    return records.create(db, actor, ENTITY, values)


def update_share_plan(db: Database, actor: User, plan_id: int, base_version: int,
                      changes: dict[str, Any]) -> dict[str, Any]:
    """Change a share plan, refusing a stale version."""
    return records.update(db, actor, ENTITY, plan_id, base_version, changes)


def delete_share_plan(db: Database, actor: User, plan_id: int, base_version: int) -> None:
    """Remove a share plan, refusing a stale version."""
    records.delete(db, actor, ENTITY, plan_id, base_version)


def final_target(row: dict[str, Any]) -> float | None:
    """The furthest target share the plan sets (year 3, else 2, else 1)."""
    for name in reversed(TARGET_FIELDS):
        if row.get(name) is not None:
            return float(row[name])
    return None


def potential(row: dict[str, Any]) -> float:
    """Revenue still to win in this line: wallet × (final target − current share), never negative."""
    target = final_target(row)
    if target is None:
        return 0.0
    return max(0.0, float(row["wallet"]) * (target - float(row["current_share"])) / 100)


def is_breakthrough(row: dict[str, Any]) -> bool:
    """A line not yet sold at this account gets a breakthrough plan."""
    return float(row["current_share"]) == 0


# SQL for the final target and the potential, so the portfolio matrix aggregates in the database
_FINAL = "coalesce(s.target_share_3, s.target_share_2, s.target_share_1)"
_POTENTIAL = f"max(0, s.wallet * ({_FINAL} - s.current_share) / 100.0)"


def list_share_plans(db: Database, actor: User, account_id: int) -> list[dict[str, Any]]:
    """The account's share plans with product-line names, final target, gap and potential."""
    permissions.require_read(db, actor, account_id)
    return store.rows(
        db,
        f"""SELECT s.*, p.code AS product_line_code, p.name AS product_line_name,
                   {_FINAL} AS final_target, {_FINAL} - s.current_share AS gap,
                   {_POTENTIAL} AS potential, s.current_share = 0 AS breakthrough
            FROM share_plans s JOIN product_lines p ON p.id = s.product_line_id
            WHERE s.account_id = ? ORDER BY p.code""",
        [account_id],
    )


def whitespace(db: Database, actor: User, account_ids: list[int] | None = None) -> list[dict[str, Any]]:
    """Account × active product line cells: current share, final target, gap, potential, or no plan.

    Without `account_ids`, every account the actor may read (the portfolio view).
    """
    readable = permissions.readable_account_ids(db, actor)
    ids = readable if account_ids is None else [a for a in account_ids if a in set(readable)]
    if account_ids is not None:
        for account_id in account_ids:
            permissions.require_read(db, actor, account_id)
    if not ids:
        return []
    marks = ",".join("?" for _ in ids)
    return store.rows(
        db,
        f"""SELECT a.id AS account_id, a.name AS account_name, a.currency, p.id AS product_line_id,
                   p.code AS product_line_code, p.name AS product_line_name,
                   s.id AS plan_id, s.wallet, s.current_share, {_FINAL} AS final_target,
                   {_FINAL} - s.current_share AS gap, {_POTENTIAL} AS potential, s.status
            FROM accounts a CROSS JOIN product_lines p
            LEFT JOIN share_plans s ON s.account_id = a.id AND s.product_line_id = p.id
            WHERE a.id IN ({marks}) AND p.active = 1
            ORDER BY a.name, p.code""",
        ids,
    )


def cell_kind(cell: dict[str, Any]) -> Literal["unplanned", "breakthrough", "growth"]:
    """How a whitespace cell reads: no plan yet, a breakthrough (share 0), or growth."""
    if cell.get("plan_id") is None:
        return "unplanned"
    return "breakthrough" if float(cell["current_share"]) == 0 else "growth"
