"""Retrospectives (复盘, D10): what happened, why, what we learned, and who improves what by when.

A retrospective reviews a closed opportunity (won, lost, no decision), an open
one as a "mid-deal review", or an account period (a missed or met goal). Its
factors, five-why chains, lessons and improvement actions are separate
versioned rows, so several team members write in one retrospective at once
without overwriting each other.

Lifecycle: draft → in review → final. A final retrospective and all its parts
are read-only (`RetrospectiveFinal`); reopening it needs a reason, is done by the
account's first-responsible person or the reviewer, and is audited. A lost deal
from the admin-set amount (`review_amount`), or a missed goal, is reviewed one
level up (D10): a reviewer (an executive) is named when the retrospective goes to
review, and only that person's recorded sign-off makes it final. Team members
record their agreement with the conclusions as sign-offs (`kamcore.signoffs`).
A period review of a missed goal walks the "goals without results" checklist.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError
from sqlite_utils import Database

from kamcore import clock, permissions, records, signoffs, store
from kamcore.errors import ConflictError, KamError, Label, PermissionDenied, ValidationError
from kamcore.records import Entity, Record
from kamcore.users import User

REVIEW_TYPES = ("deal", "mid_deal", "period")
OUTCOMES = ("won", "lost", "no_decision", "open", "goal_met", "goal_missed")
CLOSED = ("won", "lost", "no_decision")
DIMENSIONS = ("relationship", "solution", "commercial", "delivery", "competition", "collaboration")
POLARITIES = ("success", "failure")
HORIZONS = ("short", "medium", "long")
ACTION_STATUSES = ("open", "done", "dropped")
STATUSES = ("draft", "in_review", "final")
GOAL_CHECKS = ("goal_consensus", "goal_owner", "goal_incentives", "goal_core_elements")
REVIEW_AMOUNT_KEY = "retro.review_amount"
WORKFLOW = frozenset({"status", "reviewer_id", "reopen_reason"})
WHY_LINKS = ("why1", "why2", "why3", "why4", "why5")



class RetrospectiveFinal(KamError):
    """A final retrospective (or one of its parts) was to be changed: it must be reopened, with a reason, first."""

    key = "err.retro_final"


Dimension = Literal["relationship", "solution", "commercial", "delivery", "competition", "collaboration"]


class RetrospectiveIn(Record):
    """The head of a retrospective: what is reviewed, its outcome, the rival and a summary."""

    account_id: int
    opportunity_id: int | None = None
    review_type: Literal["deal", "mid_deal", "period"]
    title: str = Field(min_length=1, max_length=200)
    result: Literal["won", "lost", "no_decision", "open", "goal_met", "goal_missed"]
    review_from: date | None = None
    review_to: date | None = None
    rival: str = Field(default="", max_length=120)
    summary: str = Field(default="", max_length=6000)
    status: Literal["draft", "in_review", "final"] = "draft"
    reviewer_id: int | None = None
    reopen_reason: str = Field(default="", max_length=1000)
    goal_consensus: Literal["ok", "failed"] | None = None
    goal_owner: Literal["ok", "failed"] | None = None
    goal_incentives: Literal["ok", "failed"] | None = None
    goal_core_elements: Literal["ok", "failed"] | None = None

    @field_validator("opportunity_id", "review_from", "review_to", "reviewer_id", *GOAL_CHECKS, mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if value == "" else value

    @model_validator(mode="after")
    def _consistent(self) -> RetrospectiveIn:
        if self.review_type in ("deal", "mid_deal") and self.opportunity_id is None:
            raise PydanticCustomError("reason.retro_needs_opportunity", "needs an opportunity",
                                      {"field": "opportunity_id"})
        if self.review_type == "period":
            if self.review_from is None or self.review_to is None:
                missing = "review_from" if self.review_from is None else "review_to"
                raise PydanticCustomError("reason.retro_needs_period", "needs a period", {"field": missing})
            if self.review_from > self.review_to:
                raise PydanticCustomError("reason.period_order", "start after end", {"field": "review_to"})
            if self.result not in ("goal_met", "goal_missed"):
                raise PydanticCustomError("reason.retro_period_result", "period result", {"field": "result"})
        if self.result != "goal_missed":
            answered = next((name for name in GOAL_CHECKS if getattr(self, name) is not None), None)
            if answered:
                raise PydanticCustomError("reason.goal_check_missed_only", "missed goals only", {"field": answered})
        return self


def _opportunity_row(db: Database, opportunity_id: int) -> dict[str, Any] | None:
    """The opportunity's row read straight from its table (None if gone)."""
    return store.row(db, "SELECT * FROM opportunities WHERE id = ?", [opportunity_id])


def _matches_opportunity(db: Database, values: dict[str, Any], row_id: int | None) -> None:
    """A deal review needs a closed deal of this account; an open deal only as a mid-deal review.

    Checked when the link is made or changed (the deal, the kind of review, its result), not on every
    later edit: the review records the outcome as it was, so a deal reopened or deleted afterwards does
    not lock its lessons."""
    if values.get("opportunity_id") is None:
        return
    if row_id is not None:
        stored = store.row(db, "SELECT opportunity_id, review_type, result FROM retrospectives WHERE id = ?", [row_id])
        if stored is not None and all(stored[k] == values.get(k) for k in stored):
            return
    opp = _opportunity_row(db, values["opportunity_id"])
    if opp is None or opp["account_id"] != values["account_id"]:
        raise ValidationError.single("opportunity_id", "reason.retro_unknown_opportunity")
    if opp["status"] == "open" and values["review_type"] != "mid_deal":
        raise ValidationError.single("review_type", "reason.retro_open_deal")
    if opp["status"] != "open" and values["review_type"] == "mid_deal":
        raise ValidationError.single("review_type", "reason.retro_closed_mid_deal", result=opp["status"])
    expected = "open" if opp["status"] == "open" else opp["status"]
    if values["result"] != expected:
        raise ValidationError.single("result", "reason.retro_result_mismatch", result=expected)


class FactorIn(Record):
    """A success or failure factor in one dimension."""

    account_id: int
    retrospective_id: int
    dimension: Dimension
    polarity: Literal["success", "failure"]
    text: str = Field(min_length=1, max_length=1000)
    impact: int = Field(default=2, ge=1, le=3)


class WhyChainIn(Record):
    """A five-why chain from the stated problem down to a root cause; no link may be left empty."""

    account_id: int
    retrospective_id: int
    dimension: Dimension
    problem: str = Field(min_length=1, max_length=500)
    why1: str = Field(default="", max_length=500)
    why2: str = Field(default="", max_length=500)
    why3: str = Field(default="", max_length=500)
    why4: str = Field(default="", max_length=500)
    why5: str = Field(default="", max_length=500)
    root_cause: str = Field(min_length=1, max_length=500)

    @model_validator(mode="after")
    def _no_empty_links(self) -> WhyChainIn:
        links = [getattr(self, name) for name in WHY_LINKS]
        if not links[0]:
            raise PydanticCustomError("reason.why_first_missing", "first why", {"field": "why1"})
        last = max(i for i, text in enumerate(links) if text)
        for index in range(last):
            if not links[index]:
                raise PydanticCustomError("reason.why_empty_link", "empty link",
                                          {"field": WHY_LINKS[index], "number": index + 1})
        return self


class LessonIn(Record):
    """What we learned, tagged with a dimension and (optionally) the stage where it applies."""

    account_id: int
    retrospective_id: int
    title: str = Field(min_length=1, max_length=200)
    detail: str = Field(default="", max_length=4000)
    dimension: Dimension
    stage: str = Field(default="", max_length=40)
    playbook_entry_id: int | None = None


class ActionIn(Record):
    """An improvement action with one owner and a due date (medium- and long-term ones included)."""

    account_id: int
    retrospective_id: int
    text: str = Field(min_length=1, max_length=1000)
    owner_id: int
    due_date: date
    horizon: Literal["short", "medium", "long"] = "medium"
    status: Literal["open", "done", "dropped"] = "open"


def _same_account_as_retro(db: Database, values: dict[str, Any], row_id: int | None) -> None:
    """Child rows carry their retrospective's account (denormalised for permissions and History)."""
    found = db.execute("SELECT account_id FROM retrospectives WHERE id = ?", [values["retrospective_id"]]).fetchone()
    if found is None or found[0] != values["account_id"]:
        raise ValidationError.single("retrospective_id", "reason.retro_unknown")


def _owner_on_team(db: Database, values: dict[str, Any], row_id: int | None) -> None:
    """An action's owner is someone on the account's team."""
    if permissions.team_role(db, _Who(values["owner_id"]), values["account_id"]) is None:
        raise ValidationError.single("owner_id", "reason.owner_not_on_team")


class _Who:
    """Just enough of a user for `permissions.team_role`."""

    def __init__(self, user_id: int) -> None:
        self.id = user_id


def _authorize_retro(db: Database, actor: User, account_id: int | None, action: records.Action) -> None:
    """Team editors write retrospectives; a reviewer one level up (who may not edit the account) may sign off
    and reopen — the use cases below check who does what."""
    if account_id is not None and (permissions.can_edit(db, actor, account_id)
                                   or is_eligible_reviewer(db, actor.id, account_id)):
        return
    permissions.require_edit(db, actor, account_id) if account_id is not None else permissions.require_admin(actor)


def _reviewer_steps_only(db: Database, actor: User, row: dict[str, Any], action: records.Action,
                         changed: frozenset[str]) -> None:
    """On every path (records, History's restore, the import): someone who may not edit the account changes a
    retrospective only as its named reviewer, and only its lifecycle (`finalize`, `reopen`) — never its content,
    never creating or deleting one."""
    if row.get("account_id") is not None and permissions.can_edit(db, actor, row["account_id"]):
        return
    if action != "update" or row.get("reviewer_id") != actor.id or not changed <= {"status", "reopen_reason"}:
        raise PermissionDenied("err.read_only_account")


RETRO = Entity("retrospective", "retrospectives", RetrospectiveIn, workflow_fields=WORKFLOW,
               authorize=_authorize_retro, authorize_row=_reviewer_steps_only, extra_checks=(_matches_opportunity,))
FACTOR = Entity("retro_factor", "retro_factors", FactorIn, extra_checks=(_same_account_as_retro,))
WHY = Entity("why_chain", "retro_whys", WhyChainIn, extra_checks=(_same_account_as_retro,))
LESSON = Entity("lesson", "lessons", LessonIn, extra_checks=(_same_account_as_retro,))
ACTION = Entity("improvement_action", "improvement_actions", ActionIn,
                extra_checks=(_same_account_as_retro, _owner_on_team))
SETTING = SimpleNamespace(name="setting", hidden_fields=frozenset())  # how admin settings appear in the audit log
CHILDREN = {"factor": FACTOR, "why": WHY, "lesson": LESSON, "action": ACTION}


# ---- the retrospective itself ------------------------------------------------------------------

def create_retrospective(db: Database, actor: User, values: dict[str, Any]) -> dict[str, Any]:
    """Open a retrospective (as a draft); for a deal the outcome and rival default from the opportunity."""
    values = {k: v for k, v in values.items() if k not in WORKFLOW}
    if str(values.get("account_id", "")).isdigit():
        permissions.require_edit(db, actor, int(values["account_id"]))
    opp_id = values.get("opportunity_id")
    if opp_id not in (None, ""):
        opp = _opportunity_row(db, int(opp_id)) if str(opp_id).isdigit() else None
        if opp is not None:
            values.setdefault("result", opp["status"])
            values.setdefault("review_type", "mid_deal" if opp["status"] == "open" else "deal")
            values.setdefault("title", opp["name"])
            if not values.get("rival") and opp.get("competitors"):
                values["rival"] = str(opp["competitors"]).split(",")[0].strip()[:120]
    return records.create(db, actor, RETRO, values)


def update_retrospective(db: Database, actor: User, retro_id: int, base_version: int,
                         changes: dict[str, Any]) -> dict[str, Any]:
    """Change a retrospective's head (and the goal checklist), refusing a stale version or a final one.
    The status, reviewer and reopen reason change only through the lifecycle functions below."""
    locked = sorted(WORKFLOW & set(changes))
    if locked:
        raise ValidationError.single(locked[0], "reason.retro_workflow_field")
    with store.transaction(db):
        head = records.get(db, RETRO, retro_id)
        permissions.require_edit(db, actor, head["account_id"])
        _require_not_final(head)
        return records.update(db, actor, RETRO, retro_id, base_version, changes)


def delete_retrospective(db: Database, actor: User, retro_id: int, base_version: int) -> None:
    """Delete a retrospective with all its parts, each deletion audited, in one transaction."""
    with store.transaction(db):
        head = records.get(db, RETRO, retro_id)
        permissions.require_edit(db, actor, head["account_id"])
        _require_not_final(head)
        used = db.execute("SELECT count(*) FROM rules r JOIN lessons l ON l.id = r.lesson_id "
                          "WHERE l.retrospective_id = ?", [retro_id]).fetchone()[0]
        if used:
            raise ValidationError.single("record", "reason.retro_lesson_has_rule")
        for entity in CHILDREN.values():
            for child in store.rows(db, f"SELECT id, version FROM [{entity.table}] WHERE retrospective_id = ?",
                                    [retro_id]):
                records.delete(db, actor, entity, child["id"], child["version"])
        records.delete(db, actor, RETRO, retro_id, base_version)


# ---- lifecycle: draft → in review → final; reviewed one level up; reopened with a reason --------------

def review_amount(db: Database) -> float:
    """From this amount (in the deal's own currency) a lost deal is reviewed one level up (admin-set)."""
    found = db.execute("SELECT value FROM settings WHERE key = ?", [REVIEW_AMOUNT_KEY]).fetchone()
    return float(found[0]) if found else 0.0


def set_review_amount(db: Database, actor: User, amount: Any) -> float:
    """The admin sets the amount from which a lost deal needs a reviewer (audited)."""
    permissions.require_admin(actor)
    if isinstance(amount, bool) or not isinstance(amount, (int, float)) or not 0 <= amount <= 1e12:
        raise ValidationError.single("review_amount", "reason.review_amount")
    with store.transaction(db):
        old = review_amount(db)
        db.conn.execute("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET "
                        "value = excluded.value", [REVIEW_AMOUNT_KEY, str(float(amount))])
        records.write_audit(db, actor, SETTING, 0, None, "update", [("review_amount", old, float(amount))], 1)
    return float(amount)


def needs_reviewer(db: Database, head: dict[str, Any]) -> bool:
    """A missed goal, or a deal lost from the admin-set amount, is reviewed one level up (D10)."""
    if head["result"] == "goal_missed":
        return True
    if head["result"] != "lost" or head["opportunity_id"] is None:
        return False
    opp = _opportunity_row(db, head["opportunity_id"])
    return opp is not None and float(opp["amount"] or 0) >= review_amount(db)


def is_eligible_reviewer(db: Database, user_id: int | None, account_id: int) -> bool:
    """One level up from the team: an executive of the company or the account's executive sponsor."""
    if user_id is None:
        return False
    found = db.execute(
        """SELECT 1 FROM users u WHERE u.id = ? AND u.active = 1 AND (u.global_role = 'executive' OR EXISTS (
               SELECT 1 FROM account_team t WHERE t.user_id = u.id AND t.account_id = ? AND t.role = 'executive'))""",
        [user_id, account_id]).fetchone()
    return found is not None


def reviewer_choices(db: Database, actor: User, account_id: int) -> dict[int, str]:
    """Who may be named reviewer of this account's retrospectives, by name."""
    permissions.require_read(db, actor, account_id)
    found = db.execute(
        """SELECT u.id, u.display_name FROM users u WHERE u.active = 1 AND (u.global_role = 'executive' OR EXISTS (
               SELECT 1 FROM account_team t WHERE t.user_id = u.id AND t.account_id = ? AND t.role = 'executive'))
           ORDER BY u.display_name""", [account_id]).fetchall()
    return {r[0]: r[1] for r in found}


def _head_for(db: Database, actor: User, retro_id: int, status: str, base_version: int,
              may: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """The head as it is now once `may(head)` let `actor` take this step — only then refusing a stale version
    (naming who changed what) or a wrong lifecycle step, so no one else learns what changed."""
    head = records.get(db, RETRO, retro_id)
    permissions.require_read(db, actor, head["account_id"])
    may(head)
    if head["version"] != base_version:
        raise ConflictError(RETRO.name, retro_id, base_version, head["version"],
                            records.changes_since(db, RETRO, retro_id, base_version), head)
    if head["status"] != status:
        raise ValidationError.single("status", "reason.retro_status_step",
                                     status=Label(f"retro_status.{head['status']}"))
    return head


def submit_for_review(db: Database, actor: User, retro_id: int, base_version: int,
                      reviewer_id: int | None = None) -> dict[str, Any]:
    """A draft goes to review; a big loss or a missed goal must name a reviewer one level up."""
    with store.transaction(db):
        head = _head_for(db, actor, retro_id, "draft", base_version,
                         lambda head: permissions.require_edit(db, actor, head["account_id"]))
        if reviewer_id in (None, "") and needs_reviewer(db, head):
            raise ValidationError.single("reviewer_id", "reason.reviewer_needed")
        if reviewer_id not in (None, "") and not is_eligible_reviewer(db, reviewer_id, head["account_id"]):
            raise ValidationError.single("reviewer_id", "reason.reviewer_one_level_up")
        return records.update(db, actor, RETRO, retro_id, base_version,
                              {"status": "in_review", "reviewer_id": reviewer_id or None})


def finalize(db: Database, actor: User, retro_id: int, base_version: int, comment: str = "") -> dict[str, Any]:
    """Make a retrospective in review final. With a named reviewer only that person can, and their sign-off
    (who, when, comment) is recorded; without one, any team editor can."""
    def may_finalize(head: dict[str, Any]) -> None:
        if head["reviewer_id"] is None:
            permissions.require_edit(db, actor, head["account_id"])
        elif actor.id != head["reviewer_id"]:
            raise PermissionDenied("err.retro_reviewer_only")

    with store.transaction(db):
        head = _head_for(db, actor, retro_id, "in_review", base_version, may_finalize)
        if head["reviewer_id"] is not None:
            signoffs.sign(db, actor, "retrospective", retro_id, "review", comment=comment)
        return records.update(db, actor, RETRO, retro_id, base_version, {"status": "final", "reopen_reason": ""})


def reopen(db: Database, actor: User, retro_id: int, base_version: int, reason: str) -> dict[str, Any]:
    """Open a final retrospective again, with a reason (audited): by the first-responsible person or the reviewer.
    The review sign-off no longer holds, so it is withdrawn (each deletion audited)."""
    reason = str(reason or "").strip()
    if len(reason) < 5:
        raise ValidationError.single("reopen_reason", "reason.reopen_reason")
    with store.transaction(db):
        _head_for(db, actor, retro_id, "final", base_version, lambda head: _may_withdraw(db, actor, retro_id, "review"))
        signoffs.withdraw_all(db, actor, "retrospective", retro_id, "review")
        return records.update(db, actor, RETRO, retro_id, base_version, {"status": "draft", "reopen_reason": reason})


def agree_conclusions(db: Database, actor: User, retro_id: int, comment: str = "") -> dict[str, Any]:
    """A team member records, for themselves, that they agree with the conclusions (in review or final)."""
    return signoffs.sign(db, actor, "retrospective", retro_id, "agree", comment=comment)


def _may_sign(db: Database, actor: User, retro_id: int, purpose: str) -> None:
    """The review sign-off: only the named reviewer, while the retrospective is in review. Agreement with the
    conclusions: a member of the account's team (or the reviewer), once it is out of draft."""
    head = records.get(db, RETRO, retro_id)
    if purpose == "review":
        if head["reviewer_id"] is None or actor.id != head["reviewer_id"]:
            raise PermissionDenied("err.retro_reviewer_only")
        if head["status"] != "in_review":
            raise ValidationError.single("status", "reason.retro_status_step",
                                         status=Label(f"retro_status.{head['status']}"))
        return
    if permissions.team_role(db, actor, head["account_id"]) is None and actor.id != head["reviewer_id"]:
        raise PermissionDenied("err.retro_agree_team_only")
    if head["status"] == "draft":
        raise ValidationError.single("status", "reason.retro_agree_draft")


def _may_withdraw(db: Database, actor: User, retro_id: int, purpose: str) -> None:
    """The review sign-off is withdrawn when the retrospective is reopened, by whoever may reopen it; agreement with
    the conclusions only by the person who gave it."""
    head = records.get(db, RETRO, retro_id)
    if purpose != "review" or not (permissions.is_first_responsible(db, actor, head["account_id"])
            or (head["reviewer_id"] is not None and actor.id == head["reviewer_id"])):
        raise PermissionDenied("err.retro_reopen_who")


signoffs.register(RETRO.name, signoffs.Subject(lambda db, retro_id: records.get(db, RETRO, retro_id)["account_id"],
                                               _may_sign, _may_withdraw))


def failed_goal_checks(head: dict[str, Any]) -> list[str]:
    """Which of the "goals without results" checks failed (D10), in checklist order."""
    return [name for name in GOAL_CHECKS if head.get(name) == "failed"]


def signoff_list(db: Database, actor: User, retro_id: int) -> list[dict[str, Any]]:
    """Recorded sign-offs on a retrospective: the reviewer's and the team's agreement, oldest first."""
    head = records.get(db, RETRO, retro_id)
    permissions.require_read(db, actor, head["account_id"])
    return signoffs.list_signoffs(db, "retrospective", retro_id)


def get_retrospective(db: Database, actor: User, retro_id: int) -> dict[str, Any]:
    """One retrospective the actor may read, with its account and opportunity names."""
    head = records.get(db, RETRO, retro_id)
    permissions.require_read(db, actor, head["account_id"])
    account = store.row(db, "SELECT name, industry FROM accounts WHERE id = ?", [head["account_id"]]) or {}
    opp = _opportunity_row(db, head["opportunity_id"]) if head["opportunity_id"] else None
    return {**head, "account_name": account.get("name"), "industry": account.get("industry"),
            "opportunity_name": opp["name"] if opp else None,
            "opportunity_number": opp.get("number") if opp else None,
            "opportunity_status": opp["status"] if opp else None}


def list_retrospectives(db: Database, actor: User, account_id: int) -> list[dict[str, Any]]:
    """An account's retrospectives, newest first, with counts of their parts."""
    permissions.require_read(db, actor, account_id)
    return store.rows(
        db,
        """SELECT r.*, u.display_name AS updated_by_name,
                  (SELECT count(*) FROM retro_factors f WHERE f.retrospective_id = r.id) AS factors,
                  (SELECT count(*) FROM retro_whys w WHERE w.retrospective_id = r.id) AS whys,
                  (SELECT count(*) FROM lessons l WHERE l.retrospective_id = r.id) AS lessons,
                  (SELECT count(*) FROM improvement_actions a WHERE a.retrospective_id = r.id) AS actions
           FROM retrospectives r LEFT JOIN users u ON u.id = r.updated_by
           WHERE r.account_id = ? ORDER BY r.created_at DESC, r.id DESC""",
        [account_id],
    )


def reviewable_opportunities(db: Database, actor: User, account_id: int) -> list[dict[str, Any]]:
    """The account's opportunities that can be reviewed: closed ones, and open ones as mid-deal reviews."""
    permissions.require_read(db, actor, account_id)
    return store.rows(
        db,
        "SELECT id, number, name, status, stage, amount, competitors FROM opportunities "
        "WHERE account_id = ? ORDER BY status = 'open', coalesce(closed_on, expected_close) DESC, id DESC",
        [account_id],
    )


# ---- parts: factors, five whys, lessons, actions ------------------------------------------------

def _child_values(db: Database, retro_id: int, values: dict[str, Any]) -> dict[str, Any]:
    head = records.get(db, RETRO, retro_id)
    return {**values, "account_id": head["account_id"], "retrospective_id": retro_id}


def _require_not_final(head: dict[str, Any]) -> None:
    """A final retrospective is the record: nothing in it changes until it is reopened with a reason."""
    if head["status"] == "final":
        raise RetrospectiveFinal("err.retro_final", title=head["title"])


def _part_parent(db: Database, part: str, row_id: int) -> dict[str, Any]:
    """The retrospective a part belongs to (NotFoundError when the part is gone)."""
    return records.get(db, RETRO, records.get(db, CHILDREN[part], row_id)["retrospective_id"])


def add_part(db: Database, actor: User, part: str, retro_id: int, values: dict[str, Any]) -> dict[str, Any]:
    """Add a factor, five-why chain, lesson or action ('factor' | 'why' | 'lesson' | 'action'); not to a final one."""
    with store.transaction(db):
        _require_not_final(records.get(db, RETRO, retro_id))
        return records.create(db, actor, CHILDREN[part], _child_values(db, retro_id, values))


def update_part(db: Database, actor: User, part: str, row_id: int, base_version: int,
                changes: dict[str, Any]) -> dict[str, Any]:
    """Change one part on the version it was read at (not in a final retrospective)."""
    with store.transaction(db):
        _require_not_final(_part_parent(db, part, row_id))
        return records.update(db, actor, CHILDREN[part], row_id, base_version, changes)


def delete_part(db: Database, actor: User, part: str, row_id: int, base_version: int) -> None:
    """Remove one part on the version it was read at (not from a final retrospective)."""
    with store.transaction(db):
        _require_not_final(_part_parent(db, part, row_id))
        records.delete(db, actor, CHILDREN[part], row_id, base_version)


def add_factor(db: Database, actor: User, retro_id: int, values: dict[str, Any]) -> dict[str, Any]:
    """Record a success or failure factor."""
    return add_part(db, actor, "factor", retro_id, values)


def add_why_chain(db: Database, actor: User, retro_id: int, values: dict[str, Any]) -> dict[str, Any]:
    """Record a five-why chain (no empty links)."""
    return add_part(db, actor, "why", retro_id, values)


def add_lesson(db: Database, actor: User, retro_id: int, values: dict[str, Any]) -> dict[str, Any]:
    """Record a lesson learned."""
    return add_part(db, actor, "lesson", retro_id, values)


def add_action(db: Database, actor: User, retro_id: int, values: dict[str, Any]) -> dict[str, Any]:
    """Record an improvement action with its owner and due date."""
    return add_part(db, actor, "action", retro_id, values)


def parts(db: Database, actor: User, retro_id: int) -> dict[str, list[dict[str, Any]]]:
    """All parts of a retrospective, each list in the order they were written."""
    head = records.get(db, RETRO, retro_id)
    permissions.require_read(db, actor, head["account_id"])
    out = {}
    for name, entity in CHILDREN.items():
        extra = ", u.display_name AS owner_name" if name == "action" else ""
        join = "LEFT JOIN users u ON u.id = x.owner_id" if name == "action" else ""
        out[name] = store.rows(
            db, f"SELECT x.*{extra} FROM [{entity.table}] x {join} WHERE x.retrospective_id = ? ORDER BY x.id",
            [retro_id])
    return out


def owner_choices(db: Database, actor: User, account_id: int) -> dict[int, str]:
    """People who can own an improvement action: the account's team."""
    permissions.require_read(db, actor, account_id)
    found = db.execute("SELECT u.id, u.display_name FROM account_team t JOIN users u ON u.id = t.user_id "
                       "WHERE t.account_id = ? ORDER BY u.display_name", [account_id]).fetchall()
    return {r[0]: r[1] for r in found}


# ---- the facts timeline ----------------------------------------------------------------------

# (audit entity, field) -> timeline kind: the history a retrospective is built on
TIMELINE_FIELDS: dict[tuple[str, str], str] = {
    ("opportunity", "amount"): "amount",
    ("opportunity", "price_quoted_on"): "price",
    ("opportunity", "expected_close"): "close_date",
    ("stakeholder", "score"): "relationship",
    ("stakeholder", "stance"): "stance",
    ("visit", "visited_on"): "visit",
}
CREATED_FACTS = ("visit",)  # entities whose creation is itself a fact (a visit logged as done)


def window(db: Database, retro: dict[str, Any]) -> tuple[str, str]:
    """The ISO time span a retrospective's facts come from."""
    if retro["review_type"] == "period":
        start, end = retro["review_from"], retro["review_to"]
    else:
        opp = _opportunity_row(db, retro["opportunity_id"]) or {}
        start = (opp.get("opened_on") or opp.get("created_at") or retro["created_at"])[:10]
        end = (opp.get("closed_on") or clock.today().isoformat())[:10]
    end_next = (date.fromisoformat(end) + timedelta(days=1)).isoformat()
    return start, end_next


def timeline(db: Database, actor: User, retro_id: int, limit: int = 300) -> list[dict[str, Any]]:
    """What happened, oldest first: stage moves, amount/status/price changes, relationship moves, visits.

    For a deal review the opportunity's own changes plus the account's relationship
    moves and visits in the deal's lifetime; for a period, everything on the account then.
    """
    retro = records.get(db, RETRO, retro_id)
    permissions.require_read(db, actor, retro["account_id"])
    since, until = window(db, retro)
    account_id, opp_id = retro["account_id"], retro["opportunity_id"]
    facts: list[dict[str, Any]] = []
    facts += _stage_moves(db, account_id, opp_id, since, until)
    pairs = " OR ".join("(a.entity = ? AND a.field = ?)" for _ in TIMELINE_FIELDS)
    params: list[Any] = [p for pair in TIMELINE_FIELDS for p in pair]
    created = ",".join("?" for _ in CREATED_FACTS)
    opp_filter = "AND (a.entity != 'opportunity' OR a.entity_id = ?)" if opp_id else ""
    rows = store.rows(
        db,
        f"""SELECT a.at, a.entity, a.entity_id, a.field, a.old_value, a.new_value, a.action,
                   coalesce(u.display_name, 'System') AS actor
            FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id
            WHERE a.account_id = ? AND a.at >= ? AND a.at < ? AND ({pairs}) AND a.new_value IS NOT NULL
              AND (a.action IN ('update', 'restore') OR (a.action = 'create' AND a.entity IN ({created})))
              {opp_filter}
            ORDER BY a.id LIMIT ?""",
        [account_id, since, until, *params, *CREATED_FACTS, *([opp_id] if opp_id else []), limit],
    )
    names = _subject_names(db, rows)
    scored = {(r["entity_id"], r["at"]) for r in rows if r["entity"] == "stakeholder" and r["field"] == "score"}
    for row in rows:
        if row["field"] == "stance" and (row["entity_id"], row["at"]) in scored:
            continue  # one scale: the stance is the score's label, so the score's move already says it
        facts.append({"at": row["at"], "kind": TIMELINE_FIELDS[(row["entity"], row["field"])],
                      "subject": names.get((row["entity"], row["entity_id"]), ""),
                      "old": records.decode(row["old_value"]), "new": records.decode(row["new_value"]),
                      "actor": row["actor"]})
    facts.sort(key=lambda f: (f["at"], f["kind"] == "stage"))  # a close follows what happened that moment
    return facts[:limit]


def _stage_moves(db: Database, account_id: int, opp_id: int | None, since: str,
                 until: str) -> list[dict[str, Any]]:
    where, params = ("h.opportunity_id = ?", [opp_id]) if opp_id else ("h.account_id = ?", [account_id])
    rows = store.rows(
        db,
        f"""SELECT h.moved_at AS at, h.from_stage AS old, h.to_stage AS new, o.name AS subject,
                   coalesce(u.display_name, 'System') AS actor
            FROM stage_history h JOIN opportunities o ON o.id = h.opportunity_id
            LEFT JOIN users u ON u.id = h.moved_by
            WHERE {where} AND h.moved_at >= ? AND h.moved_at < ? ORDER BY h.moved_at""",
        [*params, since, until],
    )
    return [{**r, "kind": "stage"} for r in rows]


def _subject_names(db: Database, rows: list[dict[str, Any]]) -> dict[tuple[str, int], str]:
    """Display names of the things the timeline mentions (deals, stakeholders, visits)."""
    wanted: dict[str, set[int]] = {}
    for row in rows:
        wanted.setdefault(row["entity"], set()).add(row["entity_id"])
    tables = {"opportunity": ("opportunities", "name"), "stakeholder": ("stakeholders", "name"),
              "visit": ("visits", "CASE WHEN goal <> '' THEN goal ELSE purpose END")}
    out: dict[tuple[str, int], str] = {}
    for entity, ids in wanted.items():
        if entity not in tables:
            continue
        table, column = tables[entity]
        marks = ",".join("?" for _ in ids)
        found = db.execute(f"SELECT id, {column} FROM [{table}] WHERE id IN ({marks})", list(ids)).fetchall()
        out.update({(entity, r[0]): str(r[1] or "") for r in found})
    return out


# ---- win/loss analytics -------------------------------------------------------------------------

def _readable(db: Database, actor: User) -> tuple[str, list[int]]:
    ids = permissions.readable_account_ids(db, actor)
    return ",".join("?" for _ in ids) or "NULL", ids


def factor_frequency(db: Database, actor: User, by: Literal["result", "industry", "rival"] = "result"
                     ) -> list[dict[str, Any]]:
    """How often each dimension appears as a success/failure factor, grouped by outcome, industry or rival."""
    group = {"result": "r.result", "industry": "acc.industry",
             "rival": "CASE WHEN r.rival = '' THEN '—' ELSE r.rival END"}[by]
    marks, ids = _readable(db, actor)
    return store.rows(
        db,
        f"""SELECT {group} AS grp, f.dimension, f.polarity, count(*) AS factors, sum(f.impact) AS weight
            FROM retro_factors f JOIN retrospectives r ON r.id = f.retrospective_id
            JOIN accounts acc ON acc.id = r.account_id
            WHERE r.account_id IN ({marks})
            GROUP BY grp, f.dimension, f.polarity ORDER BY grp, f.dimension, f.polarity""",
        ids,
    )


def lessons_per_quarter(db: Database, actor: User) -> list[dict[str, Any]]:
    """Lessons recorded per calendar quarter, split by whether they reached the playbook."""
    marks, ids = _readable(db, actor)
    return store.rows(
        db,
        f"""SELECT substr(l.created_at, 1, 4) || '-Q' || ((CAST(substr(l.created_at, 6, 2) AS INTEGER) + 2) / 3)
                   AS quarter,
                   count(*) AS lessons, sum(l.playbook_entry_id IS NOT NULL) AS promoted
            FROM lessons l WHERE l.account_id IN ({marks})
            GROUP BY quarter ORDER BY quarter""",
        ids,
    )


def open_actions(db: Database, actor: User, account_ids: list[int] | None = None) -> list[dict[str, Any]]:
    """Open improvement actions on the actor's accounts, soonest due first (for the huddle)."""
    marks, ids = _readable(db, actor)
    if account_ids is not None:
        ids = [i for i in ids if i in set(account_ids)]
        marks = ",".join("?" for _ in ids) or "NULL"
    return store.rows(
        db,
        f"""SELECT a.*, u.display_name AS owner_name, r.title AS retrospective, acc.name AS account
            FROM improvement_actions a JOIN retrospectives r ON r.id = a.retrospective_id
            JOIN accounts acc ON acc.id = a.account_id LEFT JOIN users u ON u.id = a.owner_id
            WHERE a.status = 'open' AND a.account_id IN ({marks}) ORDER BY a.due_date, a.id""",
        ids,
    )
