"""The proposal war room for one opportunity (D13).

A proposal runs on a working-day timeline (the seeds' 10-day cycle, adjustable): bid / no-bid
with its reasons, kick-off, the requirement and compliance matrix, win themes and the
differentiators that carry them, pricing and approvals, reviews, submission and outcome. Each
step has an owner and a due date; the proposal team's roles are named per proposal. A lost
tender opens a retrospective (D10) in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError
from sqlite_utils import Database

from kamcore import clock, permissions, records, store
from kamcore.errors import NotFoundError, ValidationError
from kamcore.pipeline import opportunities as opp
from kamcore.proposals.timeline import DEFAULT_CYCLE, STEPS, step_day, working_day, working_days_left
from kamcore.records import Entity, Record
from kamcore.users import User

DECISIONS = ("pending", "bid", "no_bid")
OUTCOMES = ("open", "won", "lost", "withdrawn")
ROLES = ("bid_manager", "solution_lead", "pricing_lead", "writer", "reviewer", "executive_sponsor")
REQUIREMENT_STATUSES = ("open", "drafted", "compliant", "partial", "non_compliant")
OPEN_REQUIREMENT = ("open", "drafted")
STEP_STATUSES = ("open", "done")
MIN_CYCLE, MAX_CYCLE = 3, 60


def _blank_none(value: Any) -> Any:
    return None if value == "" else value


class ProposalIn(Record):
    """A proposal's head: timeline, bid decision, kick-off, submission, pricing note and outcome."""

    account_id: int
    opportunity_id: int
    start_on: date
    cycle_days: int = Field(default=DEFAULT_CYCLE, ge=MIN_CYCLE, le=MAX_CYCLE)
    decision: Literal["pending", "bid", "no_bid"] = "pending"
    decision_reason: str = Field(default="", max_length=2000)
    kickoff_on: date | None = None
    submitted_on: date | None = None
    price_note: str = Field(default="", max_length=2000)
    outcome: Literal["open", "won", "lost", "withdrawn"] = "open"
    retrospective_id: int | None = None

    @field_validator("kickoff_on", "submitted_on", "retrospective_id", mode="before")
    @classmethod
    def _blanks(cls, value: Any) -> Any:
        return _blank_none(value)

    @model_validator(mode="after")
    def _consistent(self) -> ProposalIn:
        if self.decision == "no_bid" and not self.decision_reason:
            raise PydanticCustomError("reason.no_bid_needs_reason", "no-bid needs a reason",
                                      {"field": "decision_reason"})
        if self.submitted_on is not None:
            if self.decision != "bid":
                raise PydanticCustomError("reason.submission_needs_bid", "bid first", {"field": "submitted_on"})
            if self.kickoff_on is None or self.submitted_on < self.kickoff_on:
                raise PydanticCustomError("reason.submission_before_kickoff", "before kick-off",
                                          {"field": "submitted_on"})
        return self


class StepIn(Record):
    """One step of the cycle with its owner and due date."""

    account_id: int
    proposal_id: int
    step: Literal["bid_decision", "kickoff", "compliance", "win_themes", "pricing", "approval", "review",
                  "submission"]
    day: int = Field(ge=1, le=MAX_CYCLE)
    due_on: date
    owner_id: int | None = None
    status: Literal["open", "done"] = "open"
    note: str = Field(default="", max_length=1000)


class RoleIn(Record):
    """A person's role on this proposal's team."""

    account_id: int
    proposal_id: int
    role: Literal["bid_manager", "solution_lead", "pricing_lead", "writer", "reviewer", "executive_sponsor"]
    user_id: int


class RequirementIn(Record):
    """One customer requirement → our answer, its owner, compliance status and evidence."""

    account_id: int
    proposal_id: int
    ref: str = Field(default="", max_length=40)
    requirement: str = Field(min_length=1, max_length=2000)
    answer: str = Field(default="", max_length=4000)
    owner_id: int | None = None
    status: Literal["open", "drafted", "compliant", "partial", "non_compliant"] = "open"
    evidence: str = Field(default="", max_length=2000)

    @field_validator("owner_id", mode="before")
    @classmethod
    def _owner_required(cls, value: Any) -> Any:
        if value in (None, ""):
            raise PydanticCustomError("reason.requirement_needs_owner", "needs an owner")
        return value


class ThemeIn(Record):
    """A win theme and the differentiators (one per line) that carry it."""

    account_id: int
    proposal_id: int
    theme: str = Field(min_length=1, max_length=300)
    differentiators: str = Field(default="", max_length=2000)
    proof: str = Field(default="", max_length=2000)


def _same_account_as_proposal(db: Database, values: dict[str, Any], row_id: int | None) -> None:
    found = db.execute("SELECT account_id FROM proposals WHERE id = ?", [values["proposal_id"]]).fetchone()
    if found is None or found[0] != values["account_id"]:
        raise ValidationError.single("proposal_id", "reason.proposal_unknown")


def _known_people(*fields: str):
    def check(db: Database, values: dict[str, Any], row_id: int | None) -> None:
        for name in fields:
            if values.get(name) is not None and db.execute(
                    "SELECT 1 FROM users WHERE id = ? AND active = 1", [values[name]]).fetchone() is None:
                raise ValidationError.single(name, "reason.unknown_person")
    return check


PROPOSAL = Entity("proposal", "proposals", ProposalIn, extra_checks=(opp.opportunity_of_account,),
                  workflow_fields=frozenset({"outcome", "retrospective_id"}))
STEP = Entity("proposal_step", "proposal_steps", StepIn,
              extra_checks=(_same_account_as_proposal, _known_people("owner_id")))
ROLE = Entity("proposal_role", "proposal_roles", RoleIn,
              extra_checks=(_same_account_as_proposal, _known_people("user_id")))
REQUIREMENT = Entity("proposal_requirement", "proposal_requirements", RequirementIn,
                     extra_checks=(_same_account_as_proposal, _known_people("owner_id")))
THEME = Entity("win_theme", "proposal_themes", ThemeIn, extra_checks=(_same_account_as_proposal,))
CHILDREN = {"step": STEP, "role": ROLE, "requirement": REQUIREMENT, "theme": THEME}


# ---- the proposal ------------------------------------------------------------------------------

def deadline(proposal: dict[str, Any]) -> date:
    """The submission deadline: the last working day of the cycle."""
    return working_day(date.fromisoformat(str(proposal["start_on"])), int(proposal["cycle_days"]))


def open_proposal(db: Database, actor: User, opportunity_id: int, start_on: date | None = None,
                  cycle_days: int = DEFAULT_CYCLE, owner_id: int | None = None) -> dict[str, Any]:
    """Open the war room for an open opportunity, with every step of the cycle dated and owned."""
    deal = opp.get_opportunity(db, actor, opportunity_id)
    if deal["status"] != "open":
        raise ValidationError.single("opportunity_id", "reason.proposal_needs_open_deal")
    start = start_on or clock.today()
    with store.transaction(db):
        if db.execute("SELECT 1 FROM proposals WHERE opportunity_id = ?", [opportunity_id]).fetchone():
            raise ValidationError.single("opportunity_id", "reason.proposal_exists")
        head = records.create(db, actor, PROPOSAL, {"account_id": deal["account_id"], "opportunity_id": opportunity_id,
                                                    "start_on": start, "cycle_days": cycle_days})
        owner = owner_id if owner_id is not None else (deal.get("owner_id") or actor.id)
        for step in STEPS:
            day = step_day(step, head["cycle_days"])
            records.create(db, actor, STEP, {"account_id": head["account_id"], "proposal_id": head["id"],
                                             "step": step, "day": day, "due_on": working_day(start, day),
                                             "owner_id": owner})
        return head


def get_proposal(db: Database, actor: User, proposal_id: int) -> dict[str, Any]:
    """One proposal the actor may read, with its deal, account and deadline."""
    head = records.get(db, PROPOSAL, proposal_id)
    permissions.require_read(db, actor, head["account_id"])
    deal = store.row(db, "SELECT o.name, o.number, o.amount, o.currency, o.status, a.name AS account_name "
                         "FROM opportunities o JOIN accounts a ON a.id = o.account_id WHERE o.id = ?",
                     [head["opportunity_id"]]) or {}
    return {**head, "opportunity_name": deal.get("name", ""), "opportunity_number": deal.get("number", ""),
            "amount": deal.get("amount"), "currency": deal.get("currency", ""),
            "deal_status": deal.get("status", ""), "account_name": deal.get("account_name", ""),
            "deadline": deadline(head)}


def list_proposals(db: Database, actor: User, account_id: int) -> list[dict[str, Any]]:
    """The account's proposals, open ones first, with their deal's name."""
    permissions.require_read(db, actor, account_id)
    rows = store.rows(db, """SELECT p.*, o.name AS opportunity_name FROM proposals p
                             JOIN opportunities o ON o.id = p.opportunity_id
                             WHERE p.account_id = ? ORDER BY p.outcome <> 'open', p.start_on DESC, p.id DESC""",
                      [account_id])
    for row in rows:
        row["deadline"] = deadline(row)
    return rows


def proposable_opportunities(db: Database, actor: User, account_id: int) -> list[dict[str, Any]]:
    """Open deals of the account that have no proposal yet."""
    permissions.require_read(db, actor, account_id)
    return store.rows(db, """SELECT o.id, o.name, o.number FROM opportunities o
                             WHERE o.account_id = ? AND o.status = 'open' AND o.kind = 'opportunity'
                               AND NOT EXISTS (SELECT 1 FROM proposals p WHERE p.opportunity_id = o.id)
                             ORDER BY o.expected_close, o.name""", [account_id])


def update_proposal(db: Database, actor: User, proposal_id: int, base_version: int,
                    changes: dict[str, Any]) -> dict[str, Any]:
    """Change the head (decision, kick-off, submission, pricing note); the outcome has its own use case."""
    if "outcome" in changes or "retrospective_id" in changes:
        raise ValidationError.single("outcome", "reason.read_only")
    with store.transaction(db):
        row = records.update(db, actor, PROPOSAL, proposal_id, base_version, changes)
        _tick(db, actor, row, "bid_decision", row["decision"] != "pending")
        _tick(db, actor, row, "kickoff", row["kickoff_on"] is not None)
        _tick(db, actor, row, "submission", row["submitted_on"] is not None)
        if "cycle_days" in changes or "start_on" in changes:
            _redate(db, actor, row)
        return records.get(db, PROPOSAL, proposal_id)


def _tick(db: Database, actor: User, head: dict[str, Any], step: str, done: bool) -> None:
    """Mark the step that a head field records as done (a head change is the step's evidence)."""
    found = store.row(db, "SELECT id, version, status FROM proposal_steps WHERE proposal_id = ? AND step = ?",
                      [head["id"], step])
    if found and done and found["status"] != "done":
        records.update(db, actor, STEP, found["id"], found["version"], {"status": "done"})


def _redate(db: Database, actor: User, head: dict[str, Any]) -> None:
    """Spread the steps over a new cycle length or start."""
    start = date.fromisoformat(str(head["start_on"]))
    for row in store.rows(db, "SELECT id, version, step FROM proposal_steps WHERE proposal_id = ?", [head["id"]]):
        day = step_day(row["step"], head["cycle_days"])
        records.update(db, actor, STEP, row["id"], row["version"], {"day": day, "due_on": working_day(start, day)})


def record_outcome(db: Database, actor: User, proposal_id: int, base_version: int, outcome: str,
                   reason: str = "") -> dict[str, Any]:
    """Won, lost or withdrawn. A win or loss closes the deal; a loss opens its retrospective (D10)."""
    from kamcore.learning import retrospectives

    if outcome not in OUTCOMES or outcome == "open":
        raise ValidationError.single("proposal_outcome", "reason.proposal_outcome")
    if outcome in ("won", "lost") and not reason.strip():
        raise ValidationError.single("close_reason", "reason.outcome_needs_reason")
    with store.transaction(db):
        head = get_proposal(db, actor, proposal_id)
        if head["outcome"] != "open" and head["version"] == base_version:
            raise ValidationError.single("proposal_outcome", "reason.proposal_closed")
        changes: dict[str, Any] = {"outcome": outcome}
        if outcome in ("won", "lost"):
            deal = opp.get_opportunity(db, actor, head["opportunity_id"])
            if deal["status"] == "open":
                opp.close_opportunity(db, actor, deal["id"], deal["version"], outcome, reason.strip())
        if outcome == "lost":
            retro = retrospectives.create_retrospective(db, actor, {
                "account_id": head["account_id"], "opportunity_id": head["opportunity_id"],
                "review_type": "deal", "result": "lost", "title": head["opportunity_name"][:200],
                "summary": reason.strip()[:6000]})
            changes["retrospective_id"] = retro["id"]
        return records.update(db, actor, PROPOSAL, proposal_id, base_version, changes)


# ---- steps, roles, requirements, themes -------------------------------------------------------

def _child(db: Database, actor: User, proposal_id: int, values: dict[str, Any]) -> dict[str, Any]:
    head = get_proposal(db, actor, proposal_id)
    return {**values, "account_id": head["account_id"], "proposal_id": proposal_id}


def add_part(db: Database, actor: User, part: str, proposal_id: int, values: dict[str, Any]) -> dict[str, Any]:
    """Add a role, requirement or win theme to a proposal."""
    if part not in CHILDREN or part == "step":
        raise NotFoundError("err.not_found")
    return records.create(db, actor, CHILDREN[part], _child(db, actor, proposal_id, values))


def update_part(db: Database, actor: User, part: str, row_id: int, base_version: int,
                changes: dict[str, Any]) -> dict[str, Any]:
    """Change a step, role, requirement or theme, refusing a stale version."""
    return records.update(db, actor, CHILDREN[part], row_id, base_version, changes)


def delete_part(db: Database, actor: User, part: str, row_id: int, base_version: int) -> None:
    """Remove a role, requirement or theme."""
    if part == "step":
        raise ValidationError.single("step", "reason.read_only")
    records.delete(db, actor, CHILDREN[part], row_id, base_version)


def parts(db: Database, actor: User, proposal_id: int) -> dict[str, list[dict[str, Any]]]:
    """Every step, role, requirement and theme of a proposal, with people's names."""
    get_proposal(db, actor, proposal_id)
    named = "LEFT JOIN users u ON u.id = x.{col}"
    return {
        "step": store.rows(db, f"SELECT x.*, coalesce(u.display_name, '') AS owner_name FROM proposal_steps x "
                               f"{named.format(col='owner_id')} WHERE x.proposal_id = ? ORDER BY x.day, x.id",
                           [proposal_id]),
        "role": store.rows(db, f"SELECT x.*, coalesce(u.display_name, '') AS person FROM proposal_roles x "
                               f"{named.format(col='user_id')} WHERE x.proposal_id = ? ORDER BY x.role, x.id",
                           [proposal_id]),
        "requirement": store.rows(db, f"SELECT x.*, coalesce(u.display_name, '') AS owner_name "
                                      f"FROM proposal_requirements x {named.format(col='owner_id')} "
                                      f"WHERE x.proposal_id = ? ORDER BY x.ref, x.id", [proposal_id]),
        "theme": store.rows(db, "SELECT * FROM proposal_themes WHERE proposal_id = ? ORDER BY id", [proposal_id]),
    }


def compliance(requirements: list[dict[str, Any]]) -> dict[str, int]:
    """Requirements per status, plus how many are still open (not yet answered and checked)."""
    counts = {status: 0 for status in REQUIREMENT_STATUSES}
    for row in requirements:
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    counts["still_open"] = sum(counts[s] for s in OPEN_REQUIREMENT)
    counts["total"] = len(requirements)
    return counts


def people(db: Database, actor: User, proposal_id: int) -> dict[int, str]:
    """Who can own a step or requirement: the account team and the proposal team, by name."""
    head = get_proposal(db, actor, proposal_id)
    rows = db.execute("""SELECT u.id, u.display_name FROM users u WHERE u.active = 1 AND (
                            u.id IN (SELECT user_id FROM account_team WHERE account_id = ?)
                            OR u.id IN (SELECT user_id FROM proposal_roles WHERE proposal_id = ?))
                         ORDER BY u.display_name""", [head["account_id"], proposal_id]).fetchall()
    return dict(rows)


def all_people(db: Database) -> dict[int, str]:
    """Every active person who can be named to a proposal team (sales, pricing, legal, delivery…)."""
    return dict(db.execute("SELECT id, display_name FROM users WHERE active = 1 AND global_role <> 'admin' "
                           "ORDER BY display_name").fetchall())


# ---- the countdown for the huddle agenda -----------------------------------------------------

@dataclass
class Countdown:
    """A live proposal: how many working days are left and what is still open."""

    proposal_id: int
    account_id: int
    account_name: str
    opportunity_id: int
    opportunity_name: str
    deadline: date
    days_left: int
    open_requirements: int
    next_step: str | None
    next_step_due: date | None
    next_owner_id: int | None
    next_owner_name: str


def proposal_countdowns(db: Database, account_ids: list[int], today: date) -> list[Countdown]:
    """Every live proposal (not no-bid, not submitted, no outcome) of these accounts, nearest deadline first."""
    if not account_ids:
        return []
    marks = ",".join("?" for _ in account_ids)
    heads = store.rows(db, f"""SELECT p.*, a.name AS account_name, o.name AS opportunity_name,
                                 (SELECT count(*) FROM proposal_requirements r WHERE r.proposal_id = p.id
                                    AND r.status IN ('open', 'drafted')) AS open_requirements
                               FROM proposals p JOIN accounts a ON a.id = p.account_id
                               JOIN opportunities o ON o.id = p.opportunity_id
                               WHERE p.account_id IN ({marks}) AND p.outcome = 'open'
                                 AND p.decision <> 'no_bid' AND p.submitted_on IS NULL""", list(account_ids))
    out = []
    for head in heads:
        step = store.row(db, """SELECT s.step, s.due_on, s.owner_id, coalesce(u.display_name, '') AS owner_name
                                FROM proposal_steps s LEFT JOIN users u ON u.id = s.owner_id
                                WHERE s.proposal_id = ? AND s.status = 'open' ORDER BY s.day, s.id LIMIT 1""",
                         [head["id"]]) or {}
        end = deadline(head)
        out.append(Countdown(head["id"], head["account_id"], head["account_name"], head["opportunity_id"],
                             head["opportunity_name"], end, working_days_left(today, end),
                             head["open_requirements"], step.get("step"),
                             date.fromisoformat(step["due_on"]) if step.get("due_on") else None,
                             step.get("owner_id"), step.get("owner_name", "")))
    return sorted(out, key=lambda c: (c.deadline, c.account_name))
