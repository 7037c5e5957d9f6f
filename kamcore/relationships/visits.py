"""Visits (D9): a 6W2H plan, its outcome and the 20/40/60/80-day revisit list."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Literal

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError
from sqlite_utils import Database

from kamcore import clock, permissions, records, store
from kamcore.decision_chain import stakeholders
from kamcore.errors import ValidationError
from kamcore.records import Entity, Record
from kamcore.store import transaction
from kamcore.users import User

# --- visits -------------------------------------------------------------------------------------


class VisitIn(Record):
    """A visit: its 6W2H plan, purpose, and once done its outcome, next step and revisit class."""

    account_id: int
    stakeholder_id: int | None = None
    owner_id: int | None = None
    purpose: Literal["sell", "maintain", "rapport", "information", "advise"]
    planned_on: date
    place: str = Field(default="", max_length=200)
    goal: str = Field(default="", max_length=1000)
    stage_goal: str = Field(default="", max_length=1000)
    attendees: str = Field(default="", max_length=500)
    why: str = Field(default="", max_length=1000)
    alternatives: str = Field(default="", max_length=1000)
    approach: str = Field(default="", max_length=1000)
    budget: str = Field(default="", max_length=200)
    resources: str = Field(default="", max_length=1000)
    spin_plan_id: int | None = None
    status: Literal["planned", "done", "cancelled"] = "planned"
    visited_on: date | None = None
    outcome: str = Field(default="", max_length=2000)
    next_step: str = Field(default="", max_length=1000)
    revisit_days: Literal[20, 40, 60, 80] | None = None

    @model_validator(mode="after")
    def _done_visit_has_outcome(self) -> VisitIn:
        if self.status == "done":
            if not self.outcome:
                raise PydanticCustomError("reason.outcome_required", "a done visit needs its outcome",
                                          {"field": "outcome"})
            if self.visited_on is None:  # a visit cannot have happened later than today (freshness reads it)
                self.visited_on = min(self.planned_on, clock.today())
        if self.visited_on is not None and self.visited_on > clock.today():
            raise PydanticCustomError("reason.visited_in_future", "a visit cannot be visited in the future",
                                      {"field": "visited_on"})
        return self


def _visit_checks(db: Database, values: dict[str, Any], row_id: int | None) -> None:
    stakeholders._same_account(db, "stakeholders", values["stakeholder_id"], values["account_id"], "stakeholder_id")
    stakeholders._owner_on_team(db, values, row_id)
    if values.get("spin_plan_id") is not None:
        stakeholders._same_account(db, "spin_plans", values["spin_plan_id"], values["account_id"], "spin_plan_id")
        person = db.execute("SELECT stakeholder_id FROM spin_plans WHERE id = ?", [values["spin_plan_id"]]).fetchone()[0]
        if person is not None and person != values.get("stakeholder_id"):  # D5: SPIN is prepared per stakeholder
            raise ValidationError.single("spin_plan_id", "reason.spin_for_other_person")


VISIT_ENTITY = Entity("visit", "visits", VisitIn, extra_checks=(_visit_checks,))


def plan_visit(db: Database, actor: User, account_id: int, values: dict[str, Any]) -> dict[str, Any]:
    """Plan a visit (6W2H and purpose)."""
    return records.create(db, actor, VISIT_ENTITY, {**values, "account_id": account_id})


def update_visit(db: Database, actor: User, visit_id: int, base_version: int,
                 changes: dict[str, Any]) -> dict[str, Any]:
    """Change a visit last seen at `base_version`."""
    return records.update(db, actor, VISIT_ENTITY, visit_id, base_version, changes)


def record_outcome(db: Database, actor: User, visit_id: int, base_version: int, *, outcome: str,
                   next_step: str = "", revisit_days: int | None = None,
                   visited_on: date | str | None = None) -> dict[str, Any]:
    """Mark a visit done with its outcome, next step and revisit class. `visited_on` (the date freshness
    counts from) defaults to today, not the planned date: the outcome is recorded after the meeting."""
    changes: dict[str, Any] = {"status": "done", "outcome": outcome, "next_step": next_step,
                               "revisit_days": revisit_days, "visited_on": str(visited_on or clock.today())}
    return records.update(db, actor, VISIT_ENTITY, visit_id, base_version, changes)


def list_visits(db: Database, actor: User, account_id: int, *, status: str | None = None,
                limit: int = 200, offset: int = 0) -> list[dict[str, Any]]:
    """An account's visits, newest plan first, with the stakeholder's and owner's names."""
    permissions.require_read(db, actor, account_id)
    clauses, params = ["v.account_id = ?"], [account_id]
    if status:
        clauses.append("v.status = ?")
        params.append(status)
    return store.rows(
        db,
        f"""SELECT v.*, s.name AS stakeholder_name, u.display_name AS owner_name
            FROM visits v LEFT JOIN stakeholders s ON s.id = v.stakeholder_id
            LEFT JOIN users u ON u.id = v.owner_id
            WHERE {' AND '.join(clauses)}
            ORDER BY v.planned_on DESC, v.id DESC LIMIT ? OFFSET ?""",
        [*params, limit, offset],
    )


def outcome_order(visit_rows: list[dict[str, Any]], user_id: int, today: date) -> list[dict[str, Any]]:
    """The planned visits whose outcome may be recorded, in the order a person wants them after a meeting: their
    own visits of today first, then the rest of today, then past-due visits (latest first), then coming ones."""
    def rank(visit: dict[str, Any]) -> tuple:
        planned = date.fromisoformat(str(visit["planned_on"]))
        mine_last = visit["owner_id"] != user_id
        if planned == today:
            return (0, mine_last, 0, visit["id"])
        if planned < today:
            return (1, mine_last, -planned.toordinal(), visit["id"])
        return (2, mine_last, planned.toordinal(), visit["id"])
    return sorted((v for v in visit_rows if v["status"] == "planned"), key=rank)


def revisit_due(db: Database, actor: User, account_ids: list[int], today: date | None = None,
                within_days: int = 14) -> list[dict[str, Any]]:
    """Who is due a revisit: the latest done visit per stakeholder with a revisit class, due within
    `within_days` or overdue, with the next planned visit if one exists. Soonest first."""
    for account_id in account_ids:
        permissions.require_read(db, actor, account_id)
    if not account_ids:
        return []
    day = today or clock.today()
    horizon = (day + timedelta(days=within_days)).isoformat()
    marks = ",".join("?" for _ in account_ids)
    found = store.rows(
        db,
        f"""WITH latest AS (
                SELECT v.*, row_number() OVER (
                    PARTITION BY coalesce(v.stakeholder_id, -v.id) ORDER BY v.visited_on DESC, v.id DESC) AS n
                FROM visits v WHERE v.account_id IN ({marks}) AND v.status = 'done'
            )
            SELECT l.id AS visit_id, l.account_id, a.name AS account_name, l.stakeholder_id,
                   s.name AS stakeholder_name, u.display_name AS owner_name, l.visited_on, l.revisit_days,
                   date(l.visited_on, '+' || l.revisit_days || ' days') AS due_on, l.next_step,
                   (SELECT min(p.planned_on) FROM visits p WHERE p.status = 'planned'
                      AND p.stakeholder_id = l.stakeholder_id AND p.planned_on >= l.visited_on) AS next_planned
            FROM latest l JOIN accounts a ON a.id = l.account_id
            LEFT JOIN stakeholders s ON s.id = l.stakeholder_id LEFT JOIN users u ON u.id = l.owner_id
            WHERE l.n = 1 AND l.revisit_days IS NOT NULL
              AND date(l.visited_on, '+' || l.revisit_days || ' days') <= ?
            ORDER BY due_on, a.name""",
        [*account_ids, horizon],
    )
    for row in found:
        row["days_left"] = (date.fromisoformat(row["due_on"]) - day).days
        row["overdue"] = row["days_left"] < 0
    return found


def spin_plan_choices(db: Database, actor: User, account_id: int,
                      stakeholder_id: int | None = None) -> list[dict[str, Any]]:
    """The account's SPIN plans to attach to a visit: {id, label}. With `stakeholder_id`, only plans prepared
    for that person (or for nobody in particular)."""
    permissions.require_read(db, actor, account_id)
    person = "" if stakeholder_id is None else "AND (p.stakeholder_id IS NULL OR p.stakeholder_id = ?)"
    return store.rows(
        db,
        f"""SELECT p.id, o.number || ' · ' || coalesce(s.name, '—') || ' · ' || coalesce(p.visit_on, '—')
                   || coalesce(' · ' || substr((SELECT q.question FROM spin_questions q WHERE q.spin_plan_id = p.id
                        ORDER BY CASE q.part WHEN 'situation' THEN 0 WHEN 'problem' THEN 1 WHEN 'implication' THEN 2
                                 ELSE 3 END, q.position, q.id LIMIT 1), 1, 40), '') AS label
            FROM spin_plans p JOIN opportunities o ON o.id = p.opportunity_id
            LEFT JOIN stakeholders s ON s.id = p.stakeholder_id
            WHERE p.account_id = ? {person} ORDER BY p.id DESC LIMIT 200""",
        [account_id] if stakeholder_id is None else [account_id, stakeholder_id],
    )


def prepare_spin(db: Database, actor: User, visit_id: int, base_version: int, opportunity_id: int,
                 values: dict[str, Any]) -> dict[str, Any]:
    """Prepare the SPIN plan of a visit for the person met (D5): a SPIN plan on the deal for the visit's stakeholder
    and day, with its questions (`values["questions"]`: {part, question, form}), attached to the visit, in one
    transaction. Returns the visit."""
    from kamcore.pipeline import discovery

    values = dict(values)
    questions = values.pop("questions", ())

    visit = records.get(db, VISIT_ENTITY, visit_id)
    permissions.require_edit(db, actor, visit["account_id"])
    if visit["stakeholder_id"] is None:
        raise ValidationError.single("stakeholder_id", "reason.visit_needs_person")
    with transaction(db):
        plan = discovery.add_spin_plan(db, actor, opportunity_id, {
            **values, "stakeholder_id": visit["stakeholder_id"], "visit_on": visit["planned_on"]}, questions)
        return records.update(db, actor, VISIT_ENTITY, visit_id, base_version, {"spin_plan_id": plan["id"]})
