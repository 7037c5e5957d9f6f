"""Moving relationships on purpose: the PDCA relationship plan (D8) and visits (D9).

- Plan: an action (executive visit, headquarters visit, technical exchange, …)
  targets one stakeholder, has an owner and a due date. Do: its status. Check:
  `check_action` records the result and the score change it produced and, in
  the same transaction, moves the stakeholder's score. Act: the routine review
  (`review`) shows plan vs done and what is overdue.
- Visits: a 6W2H plan with a purpose, optionally tied to a SPIN plan (issue 5's
  `spin_plans`, referenced by plain id); the outcome, next step and revisit
  class (20/40/60/80 days) give the revisit due list.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Literal

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError
from sqlite_utils import Database

from kamcore import clock, permissions, records, stakeholders, store
from kamcore.errors import ValidationError
from kamcore.records import Entity, Record
from kamcore.store import transaction
from kamcore.users import User

ACTION_KINDS = ("executive_visit", "hq_visit", "technical_exchange", "reference_visit", "home_visit",
                "business_meal", "event", "other")
ACTION_STATUSES = ("planned", "in_progress", "done", "cancelled")
OPEN_STATUSES = ("planned", "in_progress")
PURPOSES = ("sell", "maintain", "rapport", "information", "advise")
VISIT_STATUSES = ("planned", "done", "cancelled")
REVISIT_CLASSES = (20, 40, 60, 80)
WARN_PAST_DUE = "warn.due_in_past"


class ActionIn(Record):
    """One planned relationship action."""

    account_id: int
    stakeholder_id: int
    kind: Literal["executive_visit", "hq_visit", "technical_exchange", "reference_visit", "home_visit",
                  "business_meal", "event", "other"]
    plan: str = Field(default="", max_length=1000)
    owner_id: int | None = None
    due_date: date
    status: Literal["planned", "in_progress", "done", "cancelled"] = "planned"
    done_on: date | None = None
    check_result: str = Field(default="", max_length=2000)
    score_change: int | None = Field(default=None, ge=-4, le=4)

    @model_validator(mode="after")
    def _done_has_a_date(self) -> ActionIn:
        if self.status == "done" and self.done_on is None:
            self.done_on = clock.today()
        if self.status != "done" and self.done_on is not None:
            self.done_on = None
        return self


def _action_checks(db: Database, values: dict[str, Any], row_id: int | None) -> None:
    stakeholders._same_account(db, "stakeholders", values["stakeholder_id"], values["account_id"], "stakeholder_id")
    stakeholders._owner_on_team(db, values, row_id)


ACTION_ENTITY = Entity("relationship_action", "relationship_actions", ActionIn, extra_checks=(_action_checks,))


def plan_warnings(values: dict[str, Any], today: date | None = None) -> list[str]:
    """Warnings (i18n keys) about a new action that do not stop it being saved: a due date already past."""
    due = values.get("due_date")
    try:
        due_day = due if isinstance(due, date) else date.fromisoformat(str(due))
    except ValueError:
        return []
    status = values.get("status", "planned")
    return [WARN_PAST_DUE] if status in OPEN_STATUSES and due_day < (today or clock.today()) else []


def create_action(db: Database, actor: User, account_id: int, values: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Plan a relationship action; returns the row and warnings (a past due date is a warning, not an error)."""
    stakeholders.precheck_choices(values, {"kind": ("action_kind", ACTION_KINDS)})
    row = records.create(db, actor, ACTION_ENTITY, {**values, "account_id": account_id})
    return row, plan_warnings(row)


def update_action(db: Database, actor: User, action_id: int, base_version: int,
                  changes: dict[str, Any]) -> dict[str, Any]:
    """Change an action last seen at `base_version`."""
    stakeholders.precheck_choices(changes, {"kind": ("action_kind", ACTION_KINDS)})
    return records.update(db, actor, ACTION_ENTITY, action_id, base_version, changes)


def delete_action(db: Database, actor: User, action_id: int, base_version: int) -> None:
    """Drop an action from the plan."""
    records.delete(db, actor, ACTION_ENTITY, action_id, base_version)


def check_action(db: Database, actor: User, action_id: int, base_version: int, result: str,
                 score_change: int | None = None, apply_to_score: bool = True) -> dict[str, Any]:
    """Close an action with its check result; the score change it produced moves the stakeholder's score too.

    Both writes happen in one transaction: a score that would leave -1…3 refuses the whole check.
    """
    with transaction(db):
        action = records.update(db, actor, ACTION_ENTITY, action_id, base_version, {
            "status": "done", "check_result": result, "score_change": score_change,
        })
        if apply_to_score and score_change:
            person = records.get(db, stakeholders.ENTITY, action["stakeholder_id"])
            new_score = person["score"] + score_change
            if not -1 <= new_score <= 3:
                raise ValidationError.single("score_change", "reason.score_out_of_range",
                                             score=person["score"], change=score_change)
            records.update(db, actor, stakeholders.ENTITY, person["id"], person["version"], {"score": new_score})
    return action


def list_actions(db: Database, actor: User, account_id: int, *, status: str | None = None,
                 stakeholder_id: int | None = None, today: date | None = None) -> list[dict[str, Any]]:
    """An account's relationship actions, soonest due first, with names and an `overdue` flag."""
    permissions.require_read(db, actor, account_id)
    day = (today or clock.today()).isoformat()
    clauses, params = ["a.account_id = ?"], [day, account_id]
    if status:
        clauses.append("a.status = ?")
        params.append(status)
    if stakeholder_id is not None:
        clauses.append("a.stakeholder_id = ?")
        params.append(stakeholder_id)
    return store.rows(
        db,
        f"""SELECT a.*, s.name AS stakeholder_name, s.score AS stakeholder_score, u.display_name AS owner_name,
                   (a.status IN ('planned', 'in_progress') AND a.due_date < ?) AS overdue
            FROM relationship_actions a JOIN stakeholders s ON s.id = a.stakeholder_id
            LEFT JOIN users u ON u.id = a.owner_id
            WHERE {' AND '.join(clauses)}
            ORDER BY a.status IN ('done', 'cancelled'), a.due_date, a.id""",
        params,
    )


def review(db: Database, actor: User, account_id: int, today: date | None = None) -> dict[str, Any]:
    """The routine PDCA review: planned, open, done (on time), cancelled, overdue and the score moved, in SQL."""
    permissions.require_read(db, actor, account_id)
    day = (today or clock.today()).isoformat()
    row = store.row(
        db,
        """SELECT count(*) AS planned,
                  coalesce(sum(status IN ('planned', 'in_progress')), 0) AS open,
                  coalesce(sum(status = 'done'), 0) AS done,
                  coalesce(sum(status = 'done' AND done_on <= due_date), 0) AS done_on_time,
                  coalesce(sum(status = 'cancelled'), 0) AS cancelled,
                  coalesce(sum(status IN ('planned', 'in_progress') AND due_date < ?), 0) AS overdue,
                  coalesce(sum(CASE WHEN status = 'done' THEN score_change END), 0) AS score_moved
           FROM relationship_actions WHERE account_id = ?""",
        [day, account_id],
    ) or {}
    by_owner = store.rows(
        db,
        """SELECT coalesce(u.display_name, '—') AS owner, count(*) AS planned,
                  coalesce(sum(a.status = 'done'), 0) AS done,
                  coalesce(sum(a.status IN ('planned', 'in_progress') AND a.due_date < ?), 0) AS overdue
           FROM relationship_actions a LEFT JOIN users u ON u.id = a.owner_id
           WHERE a.account_id = ? GROUP BY a.owner_id ORDER BY owner""",
        [day, account_id],
    )
    return {**row, "by_owner": by_owner}


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
            if self.visited_on is None:
                self.visited_on = self.planned_on
        return self


def _visit_checks(db: Database, values: dict[str, Any], row_id: int | None) -> None:
    stakeholders._same_account(db, "stakeholders", values["stakeholder_id"], values["account_id"], "stakeholder_id")
    stakeholders._owner_on_team(db, values, row_id)
    if values.get("spin_plan_id") is not None:
        has_table = db.execute("SELECT 1 FROM sqlite_master WHERE name = 'spin_plans'").fetchone()
        if has_table:
            stakeholders._same_account(db, "spin_plans", values["spin_plan_id"], values["account_id"], "spin_plan_id")


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
    """Mark a visit done with its outcome, next step and revisit class."""
    changes: dict[str, Any] = {"status": "done", "outcome": outcome, "next_step": next_step,
                               "revisit_days": revisit_days}
    if visited_on is not None:
        changes["visited_on"] = str(visited_on)
    return records.update(db, actor, VISIT_ENTITY, visit_id, base_version, changes)


def delete_visit(db: Database, actor: User, visit_id: int, base_version: int) -> None:
    """Remove a visit."""
    records.delete(db, actor, VISIT_ENTITY, visit_id, base_version)


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


def spin_plan_choices(db: Database, actor: User, account_id: int) -> list[dict[str, Any]]:
    """The account's SPIN plans (issue 5) to attach to a visit: {id, label}; empty if that feature is absent."""
    permissions.require_read(db, actor, account_id)
    if not db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'spin_plans'").fetchone():
        return []
    return store.rows(
        db,
        """SELECT p.id, o.number || ' · ' || coalesce(s.name, '—') || ' · ' || substr(p.situation, 1, 40) AS label
           FROM spin_plans p JOIN opportunities o ON o.id = p.opportunity_id
           LEFT JOIN stakeholders s ON s.id = p.stakeholder_id
           WHERE p.account_id = ? ORDER BY p.id DESC LIMIT 200""",
        [account_id],
    )
