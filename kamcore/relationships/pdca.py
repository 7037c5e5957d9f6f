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

from datetime import date
from typing import Any, Literal

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError
from sqlite_utils import Database

from kamcore import clock, permissions, records, store
from kamcore.decision_chain import stakeholders
from kamcore.errors import ValidationError
from kamcore.money_format import Whole
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
    budget_planned: Whole | None = Field(default=None, ge=0, le=1e12)
    budget_spent: Whole | None = Field(default=None, ge=0, le=1e12)
    aims_at: Literal["stage", "standing"] | None = None
    aims_to: str | None = None
    key_visit: bool | None = None

    @model_validator(mode="after")
    def _aims_at_a_step(self) -> ActionIn:
        """The step an action aims to move is a step of its ladder (relationship stage or our standing)."""
        ladder = {"stage": stakeholders.STAGES, "standing": stakeholders.STANDINGS}.get(self.aims_at or "")
        if self.aims_to in (None, ""):
            self.aims_to = None
        elif ladder is None or self.aims_to not in ladder:
            raise PydanticCustomError("reason.not_a_step", "not a step of the chosen ladder", {"field": "aims_to"})
        return self

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


ACTION_ENTITY = Entity("relationship_action", "relationship_actions", ActionIn, extra_checks=(_action_checks,),
                       money_fields={"budget_planned": "account", "budget_spent": "account"})


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
