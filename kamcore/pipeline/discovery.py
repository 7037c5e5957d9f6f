"""Needs discovery (D5) on a deal: the needs funnel, five-why chains and SPIN plans."""

from __future__ import annotations

import math
from datetime import date
from typing import Any, Literal

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError
from sqlite_utils import Database

from kamcore import clock, permissions, records, store
from kamcore.errors import ValidationError
from kamcore.pipeline.opportunities import (
    NEED_LEVELS,
    child_values,
    get_opportunity,
    opportunity_of_account,
)
from kamcore.records import Entity, Record
from kamcore.users import User

# ---------------------------------------------------------------- needs funnel (D5)

NATURES = ("need", "want")
ICEBERG_HIDDEN_SHARE = 0.9  # D5: about 90% of a key account's needs lie beneath the waterline
THIN_BELOW = 0.5  # fewer hidden than visible needs recorded: the team sees only the tip


class NeedIn(Record):
    """One need in the funnel: implicit (a stated difficulty), explicit (a stated want) or a purchase criterion.

    It hangs off a deal, or off the account itself (no deal yet serves it). Judged a *need* (long-term, tied
    to the customer's goals) or a *want* (ad hoc, specific, may vanish: the customer's own solution); a want
    names the need behind it, because the team serves needs (D5) and treating every want as a need is a
    mistake to catch (D9)."""

    account_id: int
    opportunity_id: int | None = None
    level: Literal["implicit", "explicit", "criterion"]
    statement: str = Field(min_length=1, max_length=1000)
    parent_id: int | None = None
    stakeholder_id: int | None = None
    confirmed: bool = False
    confirmed_on: date | None = None
    weight: float | None = Field(default=None, ge=0, le=100, allow_inf_nan=False)
    notes: str = Field(default="", max_length=2000)
    nature: Literal["need", "want"] | None = None
    need_behind_id: int | None = None

    @model_validator(mode="after")
    def _consistent(self) -> NeedIn:
        if self.weight is not None and self.level != "criterion":
            raise PydanticCustomError("reason.weight_only_criteria", "only purchase criteria carry a weight",
                                      {"field": "weight"})
        if self.need_behind_id is not None and self.nature != "want":
            raise PydanticCustomError("reason.need_behind_only_wants", "only a want names the need behind it",
                                      {"field": "need_behind_id"})
        if self.confirmed and self.confirmed_on is None:
            self.confirmed_on = clock.today()
        if not self.confirmed:
            self.confirmed_on = None
        return self


def _deal_of_account(db: Database, values: dict[str, Any], row_id: int | None) -> None:
    """A need on a deal: the deal belongs to the need's account (an account-level need names no deal)."""
    if values.get("opportunity_id") is not None:
        opportunity_of_account(db, values, row_id)


def _parent_fits(db: Database, values: dict[str, Any], row_id: int | None) -> None:
    """The funnel step a need comes from: another need of the same account, and of the same deal when both
    name one (an account's hidden need may lead to an explicit need on a deal)."""
    ref = values.get("parent_id")
    if ref is None:
        return
    found = db.execute("SELECT account_id, opportunity_id FROM needs WHERE id = ?", [ref]).fetchone()
    if (found is None or ref == row_id or found[0] != values["account_id"]
            or (None not in (found[1], values.get("opportunity_id")) and found[1] != values["opportunity_id"])):
        raise ValidationError.single("parent_id", "reason.other_opportunity")


def _need_behind_fits(db: Database, values: dict[str, Any], row_id: int | None) -> None:
    """A want's need behind it is a need (not a want, not itself) of the same account; a need that wants point
    to stays a need."""
    ref = values.get("need_behind_id")
    if ref is not None:
        found = db.execute("SELECT account_id, nature FROM needs WHERE id = ?", [ref]).fetchone()
        if found is None or ref == row_id or found[0] != values["account_id"] or found[1] != "need":
            raise ValidationError.single("need_behind_id", "reason.need_behind_not_need")
    if row_id is not None and values.get("nature") != "need":
        wants = db.execute("SELECT count(*) FROM needs WHERE need_behind_id = ?", [row_id]).fetchone()[0]
        if wants:
            raise ValidationError.single("nature", "reason.need_has_wants", count=wants)


NEED = Entity("need", "needs", NeedIn, extra_checks=(_deal_of_account, _parent_fits, _need_behind_fits))


def add_need(db: Database, actor: User, opportunity_id: int, values: dict[str, Any]) -> dict[str, Any]:
    """Record a need for a deal."""
    return records.create(db, actor, NEED, child_values(db, actor, opportunity_id, values))


def add_account_need(db: Database, actor: User, account_id: int, values: dict[str, Any]) -> dict[str, Any]:
    """Record a need of the account itself (no deal serves it yet)."""
    return records.create(db, actor, NEED, {**values, "account_id": account_id, "opportunity_id": None})


def update_need(db: Database, actor: User, need_id: int, base_version: int, changes: dict[str, Any]) -> dict[str, Any]:
    """Change a need (e.g. confirm it, weight a criterion, judge it a need or a want)."""
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


def list_account_needs(db: Database, actor: User, account_id: int) -> list[dict[str, Any]]:
    """Every need of an account — its own and its deals' — funnel order, with the deal's number and name and
    the statement of the need behind each want."""
    permissions.require_read(db, actor, account_id)
    return store.rows(
        db,
        """SELECT n.*, coalesce(o.number, '') AS deal_number, coalesce(o.name, '') AS deal_name,
                  coalesce(b.statement, '') AS need_behind
           FROM needs n LEFT JOIN opportunities o ON o.id = n.opportunity_id
           LEFT JOIN needs b ON b.id = n.need_behind_id
           WHERE n.account_id = ?
           ORDER BY CASE n.level WHEN 'implicit' THEN 0 WHEN 'explicit' THEN 1 ELSE 2 END, n.id""",
        [account_id],
    )


def iceberg(needs: list[dict[str, Any]]) -> dict[str, Any]:
    """The iceberg (D5) of an account's needs: above the waterline what the customer says (explicit needs and
    purchase criteria), beneath it what lies under (implicit needs: difficulties, dissatisfactions); the
    hidden share against D5's ~90%; wants with no need behind them (D9) and needs not yet judged (purchase
    criteria are the customer's yardstick, neither need nor want, and are not counted)."""
    visible = [n for n in needs if n["level"] != "implicit"]
    hidden = [n for n in needs if n["level"] == "implicit"]
    share = len(hidden) / len(needs) if needs else None
    return {
        "visible": visible,
        "hidden": hidden,
        "hidden_share": share,
        "only_the_tip": share is not None and share < THIN_BELOW,
        "wants_without_need": [n for n in needs if n["nature"] == "want" and n["need_behind_id"] is None],
        "unjudged": sum(1 for n in needs if n["nature"] is None and n["level"] != "criterion"),
        "needs": sum(1 for n in needs if n["nature"] == "need"),
        "wants": sum(1 for n in needs if n["nature"] == "want"),
    }


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


def list_five_whys(db: Database, actor: User, opportunity_id: int) -> list[dict[str, Any]]:
    """A deal's five-why chains."""
    get_opportunity(db, actor, opportunity_id)
    return store.rows(db, "SELECT * FROM five_whys WHERE opportunity_id = ? ORDER BY id", [opportunity_id])


class SpinPlanIn(Record):
    """A SPIN preparation for a visit, optionally for one stakeholder; its questions are `spin_questions` rows."""

    account_id: int
    opportunity_id: int
    stakeholder_id: int | None = None
    visit_on: date | None = None


SPIN_PLAN = Entity("spin_plan", "spin_plans", SpinPlanIn, extra_checks=(opportunity_of_account,))
SPIN_PARTS = ("situation", "problem", "implication", "need_payoff")
SPIN_MINIMUM = {"situation": 1, "problem": 3, "implication": 3, "need_payoff": 1}
FORMS = ("open", "closed")
POSITION_STEP = 10


class SpinQuestionIn(Record):
    """One prepared question: its SPIN part, its place in the funnel (broad to narrow) and whether it is open
    (the customer answers in their own words) or closed (yes/no, one fact)."""

    account_id: int
    spin_plan_id: int
    part: Literal["situation", "problem", "implication", "need_payoff"]
    position: int = Field(default=0, ge=0, le=100_000)
    question: str = Field(min_length=1, max_length=500)
    form: Literal["open", "closed"]


def _plan_of_account(db: Database, values: dict[str, Any], row_id: int | None) -> None:
    """A question belongs to a SPIN plan of its own account."""
    found = db.execute("SELECT account_id FROM spin_plans WHERE id = ?", [values["spin_plan_id"]]).fetchone()
    if found is None or found[0] != values["account_id"]:
        raise ValidationError.single("spin_plan_id", "reason.other_opportunity")


SPIN_QUESTION = Entity("spin_question", "spin_questions", SpinQuestionIn, extra_checks=(_plan_of_account,))


def add_spin_plan(db: Database, actor: User, opportunity_id: int, values: dict[str, Any],
                  questions: list[dict[str, Any]] | tuple[dict[str, Any], ...] = ()) -> dict[str, Any]:
    """Prepare a SPIN plan for a visit, with its first questions ({part, question, form}), in one transaction."""
    with store.transaction(db):
        plan = records.create(db, actor, SPIN_PLAN, child_values(db, actor, opportunity_id, values))
        for question in questions:
            add_spin_question(db, actor, plan["id"], question)
    return plan


def list_spin_plans(db: Database, actor: User, opportunity_id: int) -> list[dict[str, Any]]:
    """A deal's SPIN plans, next visit first, with the person they are for."""
    get_opportunity(db, actor, opportunity_id)
    return store.rows(db, """SELECT p.*, coalesce(s.name, '') AS stakeholder_name FROM spin_plans p
                             LEFT JOIN stakeholders s ON s.id = p.stakeholder_id
                             WHERE p.opportunity_id = ? ORDER BY p.visit_on IS NULL, p.visit_on, p.id""",
                      [opportunity_id])


def account_spin_plans(db: Database, actor: User, account_id: int) -> list[dict[str, Any]]:
    """Every SPIN plan of an account's deals, next visit first, each with its deal's number and name, the person
    it is for and its `questions` in funnel order (the Needs page's SPIN tab: one read for the whole account)."""
    permissions.require_read(db, actor, account_id)
    plans = store.rows(db, """SELECT p.*, o.number AS deal_number, o.name AS deal_name, o.status AS deal_status,
                                     coalesce(s.name, '') AS stakeholder_name
                              FROM spin_plans p JOIN opportunities o ON o.id = p.opportunity_id
                              LEFT JOIN stakeholders s ON s.id = p.stakeholder_id
                              WHERE p.account_id = ? ORDER BY p.visit_on IS NULL, p.visit_on, p.id""", [account_id])
    found: dict[int, list[dict[str, Any]]] = {}
    for row in store.rows(db, "SELECT * FROM spin_questions WHERE spin_plan_id IN "
                              "(SELECT id FROM spin_plans WHERE account_id = ?)", [account_id]):
        found.setdefault(row["spin_plan_id"], []).append(row)
    for plan in plans:
        plan["questions"] = funnel_order(found.get(plan["id"], []))
    return plans


def add_spin_question(db: Database, actor: User, plan_id: int, values: dict[str, Any]) -> dict[str, Any]:
    """Add a question to a SPIN plan; with no position it goes last in its part (the narrow end)."""
    plan = records.get(db, SPIN_PLAN, plan_id)
    data = {**values, "account_id": plan["account_id"], "spin_plan_id": plan_id}
    if data.get("position") in (None, ""):
        last = db.execute("SELECT max(position) FROM spin_questions WHERE spin_plan_id = ? AND part = ?",
                          [plan_id, data.get("part")]).fetchone()[0]
        data["position"] = (last or 0) + POSITION_STEP
    return records.create(db, actor, SPIN_QUESTION, data)


def update_spin_question(db: Database, actor: User, question_id: int, base_version: int,
                         changes: dict[str, Any]) -> dict[str, Any]:
    """Change a question's wording, open/closed tag, part or place."""
    return records.update(db, actor, SPIN_QUESTION, question_id, base_version, changes)


def delete_spin_question(db: Database, actor: User, question_id: int, base_version: int) -> None:
    """Remove a question."""
    records.delete(db, actor, SPIN_QUESTION, question_id, base_version)


def list_spin_questions(db: Database, actor: User, opportunity_id: int) -> dict[int, list[dict[str, Any]]]:
    """The questions of a deal's SPIN plans, per plan, in funnel order."""
    get_opportunity(db, actor, opportunity_id)
    found: dict[int, list[dict[str, Any]]] = {}
    for row in store.rows(db, """SELECT q.* FROM spin_questions q JOIN spin_plans p ON p.id = q.spin_plan_id
                                 WHERE p.opportunity_id = ?""", [opportunity_id]):
        found.setdefault(row["spin_plan_id"], []).append(row)
    return {plan_id: funnel_order(rows) for plan_id, rows in found.items()}


def funnel_warnings(db: Database, actor: User, plan_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The question funnel of each of these SPIN plans that starts closed or has no open question (for the
    visits they are attached to); plans with a sound funnel are left out."""
    found: dict[int, list[dict[str, Any]]] = {}
    for plan_id in set(plan_ids):
        plan = records.get(db, SPIN_PLAN, plan_id)
        permissions.require_read(db, actor, plan["account_id"])
        found[plan_id] = store.rows(db, "SELECT * FROM spin_questions WHERE spin_plan_id = ?", [plan_id])
    funnels = {plan_id: question_funnel(rows) for plan_id, rows in found.items()}
    return {plan_id: f for plan_id, f in funnels.items() if f["starts_closed"] or f["no_open"]}


def funnel_order(questions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Questions in the order they are asked: SPIN part by part, and within a part by position."""
    return sorted(questions, key=lambda q: (SPIN_PARTS.index(q["part"]), q["position"], q["id"]))


def spin_gaps(questions: list[dict[str, Any]]) -> dict[str, int]:
    """Parts of a SPIN plan short of D5's minimum (≥3 problem, 3 implication questions): part -> missing count."""
    counts = {part: sum(1 for q in questions if q["part"] == part) for part in SPIN_PARTS}
    return {part: need - counts[part] for part, need in SPIN_MINIMUM.items() if counts[part] < need}


def question_funnel(questions: list[dict[str, Any]]) -> dict[str, Any]:
    """The question funnel (D5): open questions first to let the customer talk, closed ones last to pin facts
    down. Says whether the preparation starts with a closed question, has no open one at all, and in which
    SPIN parts an open question comes after a closed one (the funnel widens again)."""
    ordered = funnel_order(questions)
    opened = sum(1 for q in ordered if q["form"] == "open")
    widens = []
    for part in SPIN_PARTS:
        forms = [q["form"] for q in ordered if q["part"] == part]
        if "closed" in forms and "open" in forms[forms.index("closed"):]:
            widens.append(part)
    return {
        "ordered": ordered,
        "open": opened,
        "closed": len(ordered) - opened,
        "starts_closed": bool(ordered) and ordered[0]["form"] == "closed",
        "no_open": bool(ordered) and opened == 0,
        "widens": widens,
    }


def order_broad_to_narrow(db: Database, actor: User, plan_id: int) -> int:
    """Reorder each SPIN part of a plan broad to narrow (open questions first, each group in its current
    order) and renumber; returns how many questions moved. One transaction."""
    plan = records.get(db, SPIN_PLAN, plan_id)
    get_opportunity(db, actor, plan["opportunity_id"])
    rows = store.rows(db, "SELECT * FROM spin_questions WHERE spin_plan_id = ?", [plan_id])
    moved = 0
    with store.transaction(db):
        for part in SPIN_PARTS:
            mine = [q for q in funnel_order(rows) if q["part"] == part]
            ordered = [q for q in mine if q["form"] == "open"] + [q for q in mine if q["form"] == "closed"]
            for index, question in enumerate(ordered, start=1):
                if question["position"] != index * POSITION_STEP:
                    records.update(db, actor, SPIN_QUESTION, question["id"], question["version"],
                                   {"position": index * POSITION_STEP})
                    moved += 1
    return moved
