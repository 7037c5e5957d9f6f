"""Needs discovery (D5) on a deal: the needs funnel, five-why chains and SPIN plans."""

from __future__ import annotations

import math
from datetime import date
from typing import Any, Literal

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError
from sqlite_utils import Database

from kamcore import clock, records, store
from kamcore.pipeline.opportunities import (
    NEED_LEVELS,
    child_values,
    get_opportunity,
    opportunity_of_account,
    same_opportunity,
)
from kamcore.records import Entity, Record
from kamcore.users import User

# ---------------------------------------------------------------- needs funnel (D5)


class NeedIn(Record):
    """One need in the funnel: implicit (a stated difficulty), explicit (a stated want) or a purchase criterion."""

    account_id: int
    opportunity_id: int
    level: Literal["implicit", "explicit", "criterion"]
    statement: str = Field(min_length=1, max_length=1000)
    parent_id: int | None = None
    stakeholder_id: int | None = None
    confirmed: bool = False
    confirmed_on: date | None = None
    weight: float | None = Field(default=None, ge=0, le=100, allow_inf_nan=False)
    notes: str = Field(default="", max_length=2000)

    @model_validator(mode="after")
    def _consistent(self) -> NeedIn:
        if self.weight is not None and self.level != "criterion":
            raise PydanticCustomError("reason.weight_only_criteria", "only purchase criteria carry a weight",
                                      {"field": "weight"})
        if self.confirmed and self.confirmed_on is None:
            self.confirmed_on = clock.today()
        if not self.confirmed:
            self.confirmed_on = None
        return self


NEED = Entity("need", "needs", NeedIn, extra_checks=(opportunity_of_account, same_opportunity("needs", "parent_id", same_table=True)))


def add_need(db: Database, actor: User, opportunity_id: int, values: dict[str, Any]) -> dict[str, Any]:
    """Record a need for a deal."""
    return records.create(db, actor, NEED, child_values(db, actor, opportunity_id, values))


def update_need(db: Database, actor: User, need_id: int, base_version: int, changes: dict[str, Any]) -> dict[str, Any]:
    """Change a need (e.g. confirm it, weight a criterion)."""
    return records.update(db, actor, NEED, need_id, base_version, changes)


def delete_need(db: Database, actor: User, need_id: int, base_version: int) -> None:
    """Remove a need."""
    records.delete(db, actor, NEED, need_id, base_version)


def list_needs(db: Database, actor: User, opportunity_id: int) -> list[dict[str, Any]]:
    """A deal's needs, funnel order (implicit, explicit, criteria)."""
    get_opportunity(db, actor, opportunity_id)
    return store.rows(
        db,
        """SELECT * FROM needs WHERE opportunity_id = ?
           ORDER BY CASE level WHEN 'implicit' THEN 0 WHEN 'explicit' THEN 1 ELSE 2 END, id""",
        [opportunity_id],
    )


def needs_funnel(needs: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts per funnel level, confirmed explicit needs, and the criteria weight total (should be 100)."""
    counts = {level: sum(1 for n in needs if n["level"] == level) for level in NEED_LEVELS}
    weights = [n["weight"] or 0 for n in needs if n["level"] == "criterion"]
    return {
        "counts": counts,
        "confirmed_explicit": sum(1 for n in needs if n["level"] == "explicit" and n["confirmed"]),
        "criteria_weight_total": round(sum(weights), 2),
        "weights_complete": bool(weights) and math.isclose(sum(weights), 100, abs_tol=0.01),
    }


def price_quoted_too_early(opportunity: dict[str, Any], needs: list[dict[str, Any]]) -> bool:
    """True when a price was quoted before any explicit need had been confirmed (D9)."""
    quoted = opportunity.get("price_quoted_on")
    if not quoted:
        return False
    confirmed = [n["confirmed_on"] for n in needs
                 if n["level"] == "explicit" and n["confirmed"] and n["confirmed_on"]]
    return not confirmed or min(confirmed) > quoted


def quoted_before_needs(db: Database, account_ids: list[int]) -> list[dict[str, Any]]:
    """Open deals of these accounts whose price was quoted before any explicit need was confirmed."""
    if not account_ids:
        return []
    marks = ",".join("?" for _ in account_ids)
    return store.rows(
        db,
        f"""SELECT o.id, o.account_id, o.number, o.name, o.price_quoted_on,
                   (SELECT min(n.confirmed_on) FROM needs n WHERE n.opportunity_id = o.id
                      AND n.level = 'explicit' AND n.confirmed = 1) AS first_confirmed_on
            FROM opportunities o
            WHERE o.account_id IN ({marks}) AND o.status = 'open' AND o.price_quoted_on IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM needs n WHERE n.opportunity_id = o.id AND n.level = 'explicit'
                              AND n.confirmed = 1 AND n.confirmed_on <= o.price_quoted_on)
            ORDER BY o.price_quoted_on""",
        list(account_ids),
    )


# ---------------------------------------------------------------- five whys and SPIN


class FiveWhysIn(Record):
    """A chain from a stated problem, through up to five whys, to the root need."""

    account_id: int
    opportunity_id: int
    problem: str = Field(min_length=1, max_length=500)
    why_1: str = Field(default="", max_length=500)
    why_2: str = Field(default="", max_length=500)
    why_3: str = Field(default="", max_length=500)
    why_4: str = Field(default="", max_length=500)
    why_5: str = Field(default="", max_length=500)
    root_need: str = Field(default="", max_length=500)

    @model_validator(mode="after")
    def _no_gaps(self) -> FiveWhysIn:
        whys = [self.why_1, self.why_2, self.why_3, self.why_4, self.why_5]
        for index in range(1, 5):
            if whys[index] and not whys[index - 1]:
                raise PydanticCustomError("reason.why_gap", "answer the earlier why first",
                                          {"field": f"why_{index}"})
        return self


FIVE_WHYS = Entity("five_whys", "five_whys", FiveWhysIn, extra_checks=(opportunity_of_account,))


def add_five_whys(db: Database, actor: User, opportunity_id: int, values: dict[str, Any]) -> dict[str, Any]:
    """Record a five-why chain for a deal."""
    return records.create(db, actor, FIVE_WHYS, child_values(db, actor, opportunity_id, values))


def update_five_whys(db: Database, actor: User, chain_id: int, base_version: int,
                     changes: dict[str, Any]) -> dict[str, Any]:
    """Change a five-why chain."""
    return records.update(db, actor, FIVE_WHYS, chain_id, base_version, changes)


def delete_five_whys(db: Database, actor: User, chain_id: int, base_version: int) -> None:
    """Remove a five-why chain."""
    records.delete(db, actor, FIVE_WHYS, chain_id, base_version)


def list_five_whys(db: Database, actor: User, opportunity_id: int) -> list[dict[str, Any]]:
    """A deal's five-why chains."""
    get_opportunity(db, actor, opportunity_id)
    return store.rows(db, "SELECT * FROM five_whys WHERE opportunity_id = ? ORDER BY id", [opportunity_id])


class SpinPlanIn(Record):
    """SPIN questions prepared for a visit, one question per line, optionally for one stakeholder."""

    account_id: int
    opportunity_id: int
    stakeholder_id: int | None = None
    visit_on: date | None = None
    situation: str = Field(default="", max_length=4000)
    problem: str = Field(default="", max_length=4000)
    implication: str = Field(default="", max_length=4000)
    need_payoff: str = Field(default="", max_length=4000)


SPIN_PLAN = Entity("spin_plan", "spin_plans", SpinPlanIn, extra_checks=(opportunity_of_account,))
SPIN_MINIMUM = {"situation": 1, "problem": 3, "implication": 3, "need_payoff": 1}


def add_spin_plan(db: Database, actor: User, opportunity_id: int, values: dict[str, Any]) -> dict[str, Any]:
    """Prepare a SPIN plan for a visit."""
    return records.create(db, actor, SPIN_PLAN, child_values(db, actor, opportunity_id, values))


def update_spin_plan(db: Database, actor: User, plan_id: int, base_version: int,
                     changes: dict[str, Any]) -> dict[str, Any]:
    """Change a SPIN plan."""
    return records.update(db, actor, SPIN_PLAN, plan_id, base_version, changes)


def delete_spin_plan(db: Database, actor: User, plan_id: int, base_version: int) -> None:
    """Remove a SPIN plan."""
    records.delete(db, actor, SPIN_PLAN, plan_id, base_version)


def list_spin_plans(db: Database, actor: User, opportunity_id: int) -> list[dict[str, Any]]:
    """A deal's SPIN plans, next visit first."""
    get_opportunity(db, actor, opportunity_id)
    return store.rows(db, "SELECT * FROM spin_plans WHERE opportunity_id = ? ORDER BY visit_on IS NULL, visit_on, id",
                      [opportunity_id])


def spin_questions(text: str) -> list[str]:
    """The questions of one SPIN part: one per non-empty line."""
    return [line.strip(" -•\t") for line in text.splitlines() if line.strip(" -•\t")]


def spin_gaps(plan: dict[str, Any]) -> dict[str, int]:
    """Parts of a SPIN plan short of D5's minimum (≥3 problem, 3 implication questions): part -> missing count."""
    return {part: need - len(spin_questions(plan.get(part) or ""))
            for part, need in SPIN_MINIMUM.items() if len(spin_questions(plan.get(part) or "")) < need}
