"""The balanced scorecard (D3): four quadrants, weights set by the account's lifecycle stage.

Scoring, stated once so it can be checked by hand:
- a goal's attainment is actual / target, clamped to 0..1 (over-achieving one goal
  does not hide a miss elsewhere); a goal without an actual is not yet measured;
- a quadrant's attainment is the mean of its measured goals' attainments;
- the score (0..100) is the weighted mean of the measured quadrants' attainments,
  re-normalised over the weights of the quadrants that have measured goals.

Plan settings (lifecycle stage, weights, plan period) live in `account_plans`, one row
per account, created on first save; until then the stage's defaults apply.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError
from sqlite_utils import Database

from kamcore import clock, permissions, records, store
from kamcore.plan import goals
from kamcore.plan.goals import QUADRANTS
from kamcore.records import Entity, Record
from kamcore.store import transaction
from kamcore.users import User

STAGES = ("breakthrough", "growth", "mature")
WEIGHT_FIELDS = tuple(f"weight_{q}" for q in QUADRANTS)
# D3: early weighs relationships (customer) highest; middle weighs revenue and margin
# (financial); late weighs market structure / share (customer, where share of wallet sits).
DEFAULT_WEIGHTS: dict[str, dict[str, int]] = {
    "breakthrough": {"financial": 20, "customer": 45, "process": 20, "learning": 15},
    "growth": {"financial": 45, "customer": 25, "process": 20, "learning": 10},
    "mature": {"financial": 30, "customer": 40, "process": 20, "learning": 10},
}


def default_weights(stage: str) -> dict[str, int]:
    """The quadrant weights (percent) a lifecycle stage starts from."""
    return dict(DEFAULT_WEIGHTS[stage])


class PlanSettingsIn(Record):
    """An account plan's settings: lifecycle stage, quadrant weights (percent), plan period."""

    account_id: int
    lifecycle_stage: Literal["breakthrough", "growth", "mature"] = "growth"
    weight_financial: int = Field(ge=0, le=100)
    weight_customer: int = Field(ge=0, le=100)
    weight_process: int = Field(ge=0, le=100)
    weight_learning: int = Field(ge=0, le=100)
    custom_weights: bool = False
    period_start: date
    period_end: date

    @model_validator(mode="after")
    def _consistent(self) -> PlanSettingsIn:
        total = sum(getattr(self, f) for f in WEIGHT_FIELDS)
        if total != 100:
            raise PydanticCustomError("reason.weights_sum", "weights must add up to 100",
                                      {"field": "weight_financial", "total": total})
        if self.period_end < self.period_start:
            raise PydanticCustomError("reason.end_before_start", "end before start", {"field": "period_end"})
        return self


ENTITY = Entity("account_plan", "account_plans", PlanSettingsIn)


def _defaults(account_id: int, stage: str = "growth", today: date | None = None) -> dict[str, Any]:
    year = (today or clock.today()).year
    return {"account_id": account_id, "lifecycle_stage": stage,
            **{f"weight_{q}": w for q, w in default_weights(stage).items()},
            "custom_weights": False, "period_start": f"{year}-01-01", "period_end": f"{year + 2}-12-31"}


def get_settings(db: Database, actor: User, account_id: int) -> dict[str, Any]:
    """The account's plan settings; an unsaved plan shows the growth-stage defaults (id None)."""
    permissions.require_read(db, actor, account_id)
    found = store.row(db, "SELECT * FROM account_plans WHERE account_id = ?", [account_id])
    if found is None:
        from kamcore import clock

        return {"id": None, "version": 0, **_defaults(account_id, today=clock.today())}
    found["custom_weights"] = bool(found["custom_weights"])
    return found


def save_settings(db: Database, actor: User, account_id: int, base_version: int,
                  changes: dict[str, Any]) -> dict[str, Any]:
    """Create or change the plan settings. Changing the stage resets weights to its defaults
    unless the team has set its own (or sets weights in the same save)."""
    with transaction(db):
        current = get_settings(db, actor, account_id)
        changes = dict(changes)
        if any(f in changes and changes[f] != current[f] for f in WEIGHT_FIELDS):
            changes.setdefault("custom_weights", True)
        stage = changes.get("lifecycle_stage", current["lifecycle_stage"])
        custom = changes.get("custom_weights", current["custom_weights"])
        if not custom:
            changes.update({f"weight_{q}": w for q, w in default_weights(stage).items()})
        if current["id"] is None:
            editable = {k: current[k] for k in PlanSettingsIn.model_fields}
            return records.create(db, actor, ENTITY, {**editable, **changes})
        return records.update(db, actor, ENTITY, current["id"], base_version, changes)


@dataclass
class QuadrantResult:
    """One quadrant: its weight, how many goals it has and has measured, and its attainment (0..1)."""

    quadrant: str
    weight: int
    goals: int = 0
    measured: int = 0
    attainment: float | None = None


@dataclass
class Scorecard:
    """The scorecard of one period: quadrant results and the weighted score (0..100)."""

    quadrants: list[QuadrantResult] = field(default_factory=list)
    score: float | None = None


def goal_attainment(target: float, actual: float | None) -> float | None:
    """actual / target clamped to 0..1; None when not yet measured."""
    if actual is None or target <= 0:
        return None
    return max(0.0, min(1.0, actual / target))


def compute(goal_rows: list[dict[str, Any]], weights: dict[str, int]) -> Scorecard:
    """Score a set of goals with the given quadrant weights (see the module docstring)."""
    results = {q: QuadrantResult(q, int(weights.get(q, 0))) for q in QUADRANTS}
    sums: dict[str, float] = {q: 0.0 for q in QUADRANTS}
    for goal in goal_rows:
        result = results[goal["quadrant"]]
        result.goals += 1
        value = goal_attainment(goal["target"], goal["actual"])
        if value is not None:
            result.measured += 1
            sums[goal["quadrant"]] += value
    for q, result in results.items():
        if result.measured:
            result.attainment = sums[q] / result.measured
    scored = [r for r in results.values() if r.attainment is not None and r.weight > 0]
    total_weight = sum(r.weight for r in scored)
    score = None
    if total_weight:
        score = round(100 * sum(r.weight * r.attainment for r in scored) / total_weight, 1)  # type: ignore[operator]
    return Scorecard(list(results.values()), score)


def scorecard(db: Database, actor: User, account_id: int, year: int,
              quarter: int | None = None) -> Scorecard:
    """The account's scorecard for a year (full-year goals) or one quarter."""
    settings = get_settings(db, actor, account_id)
    weights = {q: settings[f"weight_{q}"] for q in QUADRANTS}
    return compute(goals.list_goals(db, actor, account_id, year, quarter), weights)
