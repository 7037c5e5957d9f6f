"""Account goals (D3): per account and period, targets and actuals in the four scorecard quadrants.

Each goal has exactly one first-responsible owner — a member of the account's iron
triangle — and its KPI is split across the account, solution and delivery managers
(the three shares add up to 100%).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError
from sqlite_utils import Database

from kamcore import permissions, records, store
from kamcore.errors import ValidationError
from kamcore.records import Entity, Record
from kamcore.users import User

QUADRANTS = ("financial", "customer", "process", "learning")
METRICS: dict[str, tuple[str, ...]] = {
    "financial": ("orders", "revenue", "gross_margin", "collections"),
    "customer": ("relationship_level", "satisfaction", "share_of_wallet"),
    "process": ("custom",),
    "learning": ("custom",),
}
MONEY_METRICS = ("orders", "revenue", "gross_margin", "collections")
# the bounds a target or actual of a scaled metric must stay within (D4 relationship score: -1..3)
SCALES: dict[str, tuple[float, float]] = {
    "relationship_level": (-1, 3),
    "satisfaction": (0, 100),
    "share_of_wallet": (0, 100),
}
SPLIT_FIELDS = ("split_am", "split_sm", "split_dm")


class GoalIn(Record):
    """One goal's editable fields."""

    account_id: int
    year: int = Field(ge=2000, le=2100)
    quarter: int | None = Field(default=None, ge=1, le=4)
    quadrant: Literal["financial", "customer", "process", "learning"]
    metric: str = Field(min_length=1, max_length=40)
    title: str = Field(default="", max_length=200)
    product_line_id: int | None = None
    target: float = Field(gt=0, allow_inf_nan=False)
    actual: float | None = Field(default=None, allow_inf_nan=False)
    owner_id: int
    split_am: int = Field(default=100, ge=0, le=100)
    split_sm: int = Field(default=0, ge=0, le=100)
    split_dm: int = Field(default=0, ge=0, le=100)

    @field_validator("owner_id", mode="before")
    @classmethod
    def _exactly_one_owner(cls, value: Any) -> Any:
        """A goal has one first-responsible owner: a list of two (or of none) is refused."""
        if isinstance(value, (list, tuple, set)):
            if len(value) != 1:
                raise PydanticCustomError("reason.one_owner", "exactly one owner", {"count": len(value)})
            value = next(iter(value))
        if value is None or value == "":
            raise PydanticCustomError("reason.one_owner", "exactly one owner", {"count": 0})
        return value

    @field_validator("quarter", "product_line_id", "actual", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if value == "" else value

    @model_validator(mode="after")
    def _consistent(self) -> GoalIn:
        if self.metric not in METRICS[self.quadrant]:
            raise PydanticCustomError("reason.metric_quadrant", "metric not in quadrant",
                                      {"field": "metric", "metric": self.metric, "quadrant": self.quadrant})
        if self.metric == "custom" and not self.title:
            raise PydanticCustomError("reason.custom_goal_title", "custom goal needs a title", {"field": "title"})
        low_high = SCALES.get(self.metric)
        if low_high:
            for name in ("target", "actual"):
                value = getattr(self, name)
                if value is not None and not low_high[0] <= value <= low_high[1]:
                    raise PydanticCustomError("reason.out_of_scale", "outside the scale",
                                              {"field": name, "low": low_high[0], "high": low_high[1]})
        total = self.split_am + self.split_sm + self.split_dm
        if total != 100:
            raise PydanticCustomError("reason.split_sum", "splits must add up to 100",
                                      {"field": "split_am", "total": total})
        return self


def require_editing_member(db: Database, account_id: int, user_id: int, field_name: str) -> None:
    """The owner of a goal or action must sit in the account's iron triangle."""
    found = db.execute(
        "SELECT role FROM account_team WHERE account_id = ? AND user_id = ?", [account_id, user_id]
    ).fetchone()
    if not found or found[0] not in permissions.EDITING_ROLES:
        raise ValidationError.single(field_name, "reason.owner_not_in_team")


def _owner_in_team(db: Database, values: dict[str, Any], row_id: int | None) -> None:
    require_editing_member(db, values["account_id"], values["owner_id"], "owner_id")


ENTITY = Entity("goal", "goals", GoalIn, extra_checks=(_owner_in_team,))


def create_goal(db: Database, actor: User, values: dict[str, Any]) -> dict[str, Any]:
    """Add a goal to an account's plan."""
    return records.create(db, actor, ENTITY, values)


def update_goal(db: Database, actor: User, goal_id: int, base_version: int,
                changes: dict[str, Any]) -> dict[str, Any]:
    """Change a goal (target, actual, owner, split…), refusing a stale version."""
    return records.update(db, actor, ENTITY, goal_id, base_version, changes)


def delete_goal(db: Database, actor: User, goal_id: int, base_version: int) -> None:
    """Remove a goal, refusing a stale version."""
    records.delete(db, actor, ENTITY, goal_id, base_version)


def list_goals(db: Database, actor: User, account_id: int, year: int | None = None,
               quarter: int | None | Literal["any"] = "any") -> list[dict[str, Any]]:
    """The account's goals, optionally for one year (and one quarter, or None for full-year goals)."""
    permissions.require_read(db, actor, account_id)
    where, params = ["g.account_id = ?"], [account_id]
    if year is not None:
        where.append("g.year = ?")
        params.append(year)
    if quarter != "any":
        where.append("g.quarter IS ?")
        params.append(quarter)
    order = " ".join(f"WHEN '{q}' THEN {i}" for i, q in enumerate(QUADRANTS))
    return store.rows(
        db,
        f"""SELECT g.*, u.display_name AS owner_name, p.code AS product_line_code
            FROM goals g JOIN users u ON u.id = g.owner_id
            LEFT JOIN product_lines p ON p.id = g.product_line_id
            WHERE {' AND '.join(where)}
            ORDER BY g.year, g.quarter IS NOT NULL, g.quarter, CASE g.quadrant {order} END, g.metric, g.id""",
        params,
    )


def goal_years(db: Database, actor: User, account_id: int) -> list[int]:
    """The years the account has goals for, ascending."""
    permissions.require_read(db, actor, account_id)
    return [r[0] for r in db.execute(
        "SELECT DISTINCT year FROM goals WHERE account_id = ? ORDER BY year", [account_id]).fetchall()]


def owner_choices(db: Database, actor: User, account_id: int) -> dict[int, str]:
    """Who may own a goal or action: the account's iron-triangle members, id -> name."""
    permissions.require_read(db, actor, account_id)
    marks = ",".join("?" for _ in permissions.EDITING_ROLES)
    return {r[0]: r[1] for r in db.execute(
        f"SELECT u.id, u.display_name FROM account_team t JOIN users u ON u.id = t.user_id "
        f"WHERE t.account_id = ? AND t.role IN ({marks}) ORDER BY u.display_name",
        [account_id, *permissions.EDITING_ROLES]).fetchall()}
