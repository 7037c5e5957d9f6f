"""Account goals (D3): per account and period, targets and actuals in the four scorecard quadrants.

Actuals are measured where the war room has the figure (`actual_source`): orders from the won
deals closed in the period (`pipeline_coverage.won_orders`), full-year account-wide revenue and
gross margin from the account's financials for the year. A typed actual stays possible only for
measures with no source (collections, product-line revenue, quarters, customer / process /
learning goals) and is shown as typed with who and when; typing one for a measured goal is
refused unless an override reason is given.

Each goal has exactly one first-responsible owner — a member of the account's iron
triangle — and its KPI is split across the account, solution and delivery managers
(the three shares add up to 100%).
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError
from sqlite_utils import Database

from kamcore import clock, permissions, records, store
from kamcore.errors import ValidationError
from kamcore.plan.pipeline_coverage import won_orders
from kamcore.read_models import Goal
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


def _exactly_one_owner(value: Any) -> Any:
    """A goal or barrier action has one first-responsible owner: a list of two (or of none) is refused."""
    if isinstance(value, (list, tuple, set)):
        if len(value) != 1:
            raise PydanticCustomError("reason.one_owner", "exactly one owner", {"count": len(value)})
        value = next(iter(value))
    if value is None or value == "":
        raise PydanticCustomError("reason.one_owner", "exactly one owner", {"count": 0})
    return value


# the owner field of every plan item (goals here, barrier actions in kamcore.plan.strategy)
OneOwner = Annotated[int, BeforeValidator(_exactly_one_owner)]


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
    actual_reason: str = Field(default="", max_length=300)  # why a typed actual overrides a measured one
    owner_id: OneOwner
    split_am: int = Field(default=100, ge=0, le=100)
    split_sm: int = Field(default=0, ge=0, le=100)
    split_dm: int = Field(default=0, ge=0, le=100)

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


def owner_in_team(db: Database, values: dict[str, Any], row_id: int | None) -> None:
    """An extra check: the row's owner sits in the account's iron triangle (goals, barrier actions)."""
    require_editing_member(db, values["account_id"], values["owner_id"], "owner_id")


# where a measured actual comes from: metric -> source
SOURCES = {"orders": "won_deals", "revenue": "financials", "gross_margin": "financials"}
FINANCIAL_COLUMN = {"revenue": "revenue", "gross_margin": "gross_profit"}


def actual_source(db: Database, account_id: int, year: int, quarter: int | None, metric: str,
                  product_line_id: int | None) -> str | None:
    """Where this goal's actual is measured: 'won_deals', 'financials', or None (typed by the team).

    Orders always come from won deals (any period, account-wide or per product line); revenue and
    gross margin from the account's financials, for full-year account-wide goals of a year that has
    figures."""
    source = SOURCES.get(metric)
    if source == "financials":
        if quarter is not None or product_line_id is not None:
            return None
        found = db.execute("SELECT 1 FROM account_financials WHERE account_id = ? AND year = ?",
                           [account_id, year]).fetchone()
        return source if found else None
    return source


def measured_actual(db: Database, account_id: int, year: int, quarter: int | None, metric: str,
                    product_line_id: int | None) -> float | None:
    """The measured actual of a goal (whole units of the account's currency), or None when it has no source."""
    source = actual_source(db, account_id, year, quarter, metric, product_line_id)
    if source == "won_deals":
        won = won_orders(db, account_id, year, quarter)
        return won.get(product_line_id, 0.0) if product_line_id is not None else sum(won.values())
    if source == "financials":
        return db.execute(f"SELECT {FINANCIAL_COLUMN[metric]} FROM account_financials "
                          "WHERE account_id = ? AND year = ?", [account_id, year]).fetchone()[0]
    return None


def _typed_actual_allowed(db: Database, values: dict[str, Any], row_id: int | None) -> None:
    """A typed actual for a measured goal is refused unless it says why it overrides the measured figure."""
    if values.get("actual") is None or (values.get("actual_reason") or "").strip():
        return
    if row_id is not None:
        before = db.execute("SELECT actual FROM goals WHERE id = ?", [row_id]).fetchone()
        if before is not None and before[0] == values["actual"]:
            return  # unchanged: an older typed value does not block other edits
    source = actual_source(db, values["account_id"], values["year"], values.get("quarter"), values["metric"],
                           values.get("product_line_id"))
    if source is not None:
        raise ValidationError.single("actual", f"reason.actual_measured.{source}")


ENTITY = Entity("goal", "goals", GoalIn, extra_checks=(owner_in_team, _typed_actual_allowed),
                money_fields={"target": "account", "actual": "account"}, money_rows=("metric", MONEY_METRICS))


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
               quarter: int | None | Literal["any"] = "any") -> list[Goal]:
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
    found = store.rows(
        db,
        f"""SELECT g.*, u.display_name AS owner_name, p.code AS product_line_code, p.name AS product_line_name
            FROM goals g JOIN users u ON u.id = g.owner_id
            LEFT JOIN product_lines p ON p.id = g.product_line_id
            WHERE {' AND '.join(where)}
            ORDER BY g.year, g.quarter IS NOT NULL, g.quarter, CASE g.quadrant {order} END, g.metric, g.id""",
        params,
    )
    return with_actuals(db, found)


def with_actuals(db: Database, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each goal's effective `actual` and where it comes from — THE goal actual of the plan, the scorecard,
    the walk-through and the portfolio (docs/figures.md).

    Adds `typed_actual` (what the team typed), `actual_source` ('won_deals', 'financials', 'override' —
    typed with a reason over a measured figure —, 'typed', or None when not yet measured) and, for typed
    actuals, `actual_by` / `actual_at` (who typed it and when, from the audit log)."""
    won: dict[tuple[int, int, int | None], dict[int, float]] = {}
    money: dict[tuple[int, int], dict[str, Any] | None] = {}
    typed_ids = []
    for goal in found:
        goal["typed_actual"] = goal["actual"]
        a, y, q, line = goal["account_id"], goal["year"], goal["quarter"], goal["product_line_id"]
        source = SOURCES.get(goal["metric"])
        value = None
        if source == "won_deals":
            key = (a, y, q)
            if key not in won:
                won[key] = won_orders(db, a, y, q)
            value = won[key].get(line, 0.0) if line is not None else sum(won[key].values())
        elif source == "financials" and q is None and line is None:
            if (a, y) not in money:
                money[(a, y)] = store.row(db, "SELECT revenue, gross_profit FROM account_financials "
                                              "WHERE account_id = ? AND year = ?", [a, y])
            figures = money[(a, y)]
            source = source if figures else None
            value = figures[FINANCIAL_COLUMN[goal["metric"]]] if figures else None
        else:
            source = None
        if source is not None and not (goal.get("actual_reason") or "").strip():
            goal["actual"], goal["actual_source"] = value, source
        elif goal["typed_actual"] is not None:
            goal["actual_source"] = "override" if source is not None else "typed"
            typed_ids.append(goal["id"])
        else:
            goal["actual_source"] = None
        goal["actual_by"] = goal["actual_at"] = None
    if typed_ids:
        latest = {r[0]: (r[1], r[2]) for r in db.execute(
            """SELECT a.entity_id, u.display_name, a.at FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id
               WHERE a.entity = 'goal' AND a.field = 'actual' AND a.entity_id IN (SELECT value FROM json_each(?))
               ORDER BY a.entity_id, a.id""", [json.dumps(typed_ids)]).fetchall()}
        for goal in found:
            if goal["id"] in latest:
                goal["actual_by"], goal["actual_at"] = latest[goal["id"]][0], clock.local(latest[goal["id"]][1]).date()
    return found


def progress(target: float | None, actual: float | None) -> float | None:
    """THE goal progress: actual / target as a fraction, unclamped (1.12 is 112 %); None when the goal has no
    actual yet or no positive target. The plan's goals table, the walk-through's goals vs actuals and the huddle
    agenda's "Goals behind plan" all read it (with the effective actual of `with_actuals`)."""
    if actual is None or not target or target <= 0:
        return None
    return actual / target


def financial_lines(db: Database, actor: User, account_id: int, year: int) -> list[dict[str, Any]]:
    """Goals vs actuals: this year's full-year financial goals, one line per metric — THE figures of the
    walk-through's "Goals vs actuals", its revenue header and the portfolio's goal columns.

    A metric's line is its account-wide goal, or else the sum of its product-line goals; attainment is
    actual / target in percent (unclamped: 112 % shows as 112 %); `source` is where the actual comes from."""
    found = list_goals(db, actor, account_id, year, None)
    lines = []
    for metric in METRICS["financial"]:
        of_metric = [g for g in found if g["quadrant"] == "financial" and g["metric"] == metric]
        whole = [g for g in of_metric if g["product_line_id"] is None] or of_metric
        if not whole:
            continue
        target = sum(g["target"] for g in whole)
        measured = [g["actual"] for g in whole if g["actual"] is not None]
        actual = sum(measured) if measured else None
        sources = sorted({g["actual_source"] for g in whole if g["actual_source"]})
        lines.append({"metric": metric, "target": target, "actual": actual, "source": ",".join(sources) or None,
                      "attainment_pct": None if progress(target, actual) is None else round(100 * progress(target, actual), 1)})
    return lines


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
