"""Leads and opportunities (D6): numbering, the stage model, qualification, needs (D5) and competitors.

Public API other modules rely on (names are stable):

- `open_pipeline(db, account_ids, product_line_id=None, period_start=None, period_end=None)`
  -> unweighted and weighted sums of open deals (plan coverage, portfolio).
- `list_opportunities(db, user, account_id, ...)` -> one account's deals, filtered and paged in SQL.
- `stage_probability(db, key)` / `stage_probabilities(db)` / `effective_probability(row, probs)`.
- `quoted_before_needs(db, account_ids)` -> open deals whose price was quoted before any
  explicit need was confirmed (the deal-health rule of D9 "quoting price too early").
- `man_assessment(money, authority, need)` -> the D6 tactic for the eight MAN combinations.

Writes go through `kamcore.records`. A stage move, a close and a reopen each add a
row to `stage_history` in the same transaction as the audited change, so pipeline
analytics (kamcore.pipeline) can date every move.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError
from sqlite_utils import Database

from kamcore import clock, permissions, records, store
from kamcore.errors import FieldProblem, NotFoundError, ValidationError
from kamcore.records import Entity, Record
from kamcore.users import User

STATUSES = ("open", "won", "lost", "no_decision")
CLOSED = ("won", "lost", "no_decision")
KINDS = ("lead", "opportunity")
NEED_LEVELS = ("implicit", "explicit", "criterion")
ASPECTS = ("name", "specification", "looks", "function", "technology", "price", "settlement_terms")
FOLLOW_UPS = ("continue", "pause", "keep")
REVISIT_DAYS = (20, 40, 60, 80)
MAX_SCORE = 10
PAGE_SIZE = 200


# ---------------------------------------------------------------- stage model


class StageIn(Record):
    """A configurable pipeline stage: order, names, default probability."""

    key: str = Field(min_length=1, max_length=30, pattern=r"^[a-z][a-z0-9_]*$")
    position: int = Field(ge=0, le=10_000)
    name_en: str = Field(min_length=1, max_length=60)
    name_zh: str = Field(min_length=1, max_length=60)
    probability: int = Field(ge=0, le=100)
    is_lead: bool = False
    active: bool = True

    @field_validator("key")
    @classmethod
    def _not_a_status(cls, value: str) -> str:
        if value in STATUSES:
            raise PydanticCustomError("reason.stage_key_reserved", "reserved for a close status")
        return value


class StageCriterionIn(Record):
    """One entry criterion of a stage (a checklist item that must be met to enter it)."""

    stage_id: int
    position: int = Field(default=0, ge=0, le=10_000)
    label_en: str = Field(min_length=1, max_length=200)
    label_zh: str = Field(min_length=1, max_length=200)


def _stage_key_fixed(db: Database, values: dict[str, Any], row_id: int | None) -> None:
    if row_id is None:
        return
    old = db.execute("SELECT key FROM stages WHERE id = ?", [row_id]).fetchone()
    if old and old[0] != values["key"]:
        raise ValidationError.single("key", "reason.read_only")


STAGE = Entity("stage", "stages", StageIn, account_field=None, extra_checks=(_stage_key_fixed,))
STAGE_CRITERION = Entity("stage_criterion", "stage_criteria", StageCriterionIn, account_field=None)


def list_stages(db: Database, active_only: bool = True) -> list[dict[str, Any]]:
    """The stages in pipeline order (admins configure them)."""
    where = "WHERE active = 1" if active_only else ""
    return store.rows(db, f"SELECT * FROM stages {where} ORDER BY position, id")


def stage_name(stage: dict[str, Any], lang: str = "en") -> str:
    """A stage's display name in the language."""
    return stage["name_zh"] if lang == "zh" else stage["name_en"]


def stage_probabilities(db: Database) -> dict[str, int]:
    """Default probability (0–100) of every stage, by key."""
    return {k: p for k, p in db.execute("SELECT key, probability FROM stages").fetchall()}


def stage_probability(db: Database, key: str) -> int:
    """The default probability of one stage, or NotFoundError."""
    found = db.execute("SELECT probability FROM stages WHERE key = ?", [key]).fetchone()
    if found is None:
        raise NotFoundError("err.not_found_entity", entity="stage", id=key)
    return found[0]


def effective_probability(row: dict[str, Any], probabilities: dict[str, int]) -> int:
    """A deal's probability: won 100, lost/no decision 0, else its override or its stage default."""
    if row.get("status") == "won":
        return 100
    if row.get("status") in ("lost", "no_decision"):
        return 0
    if row.get("probability") is not None:
        return int(row["probability"])
    return probabilities.get(row["stage"], 0)


def create_stage(db: Database, actor: User, values: dict[str, Any]) -> dict[str, Any]:
    """Add a stage (admins)."""
    return records.create(db, actor, STAGE, values)


def update_stage(db: Database, actor: User, stage_id: int, base_version: int,
                 changes: dict[str, Any]) -> dict[str, Any]:
    """Change a stage's name, order, probability or activity (admins); its key is fixed."""
    return records.update(db, actor, STAGE, stage_id, base_version, changes)


def list_criteria(db: Database, stage_id: int | None = None) -> list[dict[str, Any]]:
    """Entry criteria, in stage then checklist order."""
    where, params = ("WHERE c.stage_id = ?", [stage_id]) if stage_id is not None else ("", [])
    return store.rows(
        db,
        f"""SELECT c.*, s.key AS stage_key, s.name_en, s.name_zh FROM stage_criteria c JOIN stages s ON s.id = c.stage_id
            {where} ORDER BY s.position, c.position, c.id""",
        params,
    )


def create_criterion(db: Database, actor: User, values: dict[str, Any]) -> dict[str, Any]:
    """Add an entry criterion to a stage (admins)."""
    return records.create(db, actor, STAGE_CRITERION, values)


def update_criterion(db: Database, actor: User, criterion_id: int, base_version: int,
                     changes: dict[str, Any]) -> dict[str, Any]:
    """Change an entry criterion (admins)."""
    return records.update(db, actor, STAGE_CRITERION, criterion_id, base_version, changes)


def delete_criterion(db: Database, actor: User, criterion_id: int, base_version: int) -> None:
    """Remove an entry criterion (admins); deals' ticks for it go with it."""
    records.delete(db, actor, STAGE_CRITERION, criterion_id, base_version)


# ---------------------------------------------------------------- opportunities


class OpportunityIn(Record):
    """A lead or opportunity's stored fields."""

    account_id: int
    product_line_id: int
    number: str = Field(min_length=1, max_length=40)
    external_id: str | None = Field(default=None, max_length=80)
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["lead", "opportunity"] = "lead"
    amount: float = Field(default=0, ge=0, allow_inf_nan=False)
    currency: str = Field(default="CNY", pattern=r"^[A-Z]{3}$")
    opened_on: date
    expected_close: date | None = None
    stage: str = Field(min_length=1, max_length=30)
    probability: int | None = Field(default=None, ge=0, le=100)
    owner_id: int | None = None
    next_step: str = Field(default="", max_length=500)
    competitors: str = Field(default="", max_length=500)
    status: Literal["open", "won", "lost", "no_decision"] = "open"
    close_reason: str = Field(default="", max_length=1000)
    closed_on: date | None = None
    converted_on: date | None = None
    price_quoted_on: date | None = None
    man_money: bool | None = None
    man_authority: bool | None = None
    man_need: bool | None = None
    follow_up: Literal["continue", "pause", "keep"] | None = None
    revisit_days: Literal[20, 40, 60, 80] | None = None
    notes: str = Field(default="", max_length=4000)

    @model_validator(mode="after")
    def _dates_and_close(self) -> OpportunityIn:
        if self.expected_close is not None and self.expected_close < self.opened_on:
            raise PydanticCustomError("reason.close_before_open", "expected close is before the deal was opened",
                                      {"field": "expected_close", "opened_on": self.opened_on.isoformat()})
        if self.status != "open":
            if not self.close_reason:
                raise PydanticCustomError("reason.close_reason_required", "a closed deal needs a reason",
                                          {"field": "close_reason"})
            if self.closed_on is None:
                raise PydanticCustomError("reason.closed_on_required", "a closed deal needs a date",
                                          {"field": "closed_on"})
        if self.closed_on is not None and self.closed_on < self.opened_on:
            raise PydanticCustomError("reason.close_before_open", "closed before the deal was opened",
                                      {"field": "closed_on", "opened_on": self.opened_on.isoformat()})
        return self


def _known_references(db: Database, values: dict[str, Any], row_id: int | None) -> None:
    """Stage, product line and owner must exist; a lead sits in a lead stage, an opportunity does not."""
    problems: list[FieldProblem] = []
    stage = store.row(db, "SELECT key, is_lead, active FROM stages WHERE key = ?", [values["stage"]])
    if stage is None:
        problems.append(FieldProblem("stage", "reason.unknown_stage", {"value": values["stage"]}))
    elif bool(stage["is_lead"]) != (values["kind"] == "lead"):
        problems.append(FieldProblem("stage", "reason.stage_kind_mismatch", {"value": values["stage"]}))
    if not db.execute("SELECT 1 FROM product_lines WHERE id = ?", [values["product_line_id"]]).fetchone():
        problems.append(FieldProblem("product_line_id", "reason.unknown_product_line",
                                     {"value": values["product_line_id"]}))
    if values.get("owner_id") is not None and not db.execute(
        "SELECT 1 FROM users WHERE id = ?", [values["owner_id"]]
    ).fetchone():
        problems.append(FieldProblem("owner_id", "reason.opp_unknown_owner", {"value": values["owner_id"]}))
    if problems:
        raise ValidationError(problems)


OPPORTUNITY = Entity(
    "opportunity", "opportunities", OpportunityIn, extra_checks=(_known_references,),
    workflow_fields=frozenset({"stage", "status", "kind", "number", "closed_on", "converted_on"}),
)


def next_number(db: Database, product_line_id: int, year: int) -> str:
    """The next deal number for a product line and year, e.g. CORE-2026-007."""
    found = db.execute("SELECT code FROM product_lines WHERE id = ?", [product_line_id]).fetchone()
    if found is None:
        raise ValidationError.single("product_line_id", "reason.unknown_product_line", value=product_line_id)
    prefix = f"{found[0].upper()}-{year}-"
    last = db.execute(
        "SELECT max(CAST(substr(number, ?) AS INTEGER)) FROM opportunities WHERE number LIKE ? || '%'",
        [len(prefix) + 1, prefix],
    ).fetchone()[0]
    return f"{prefix}{(last or 0) + 1:03d}"


def _first_stage(db: Database, lead: bool) -> str:
    found = db.execute(
        "SELECT key FROM stages WHERE active = 1 AND is_lead = ? ORDER BY position, id LIMIT 1", [int(lead)]
    ).fetchone()
    if found is None:
        raise ValidationError.single("stage", "reason.no_stages")
    return found[0]


def _record_move(db: Database, actor: User, row: dict[str, Any], from_stage: str | None, to_stage: str,
                 moved_at: str | None = None) -> None:
    db.conn.execute(
        "INSERT INTO stage_history (opportunity_id, account_id, from_stage, to_stage, moved_at, moved_by) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [row["id"], row["account_id"], from_stage, to_stage, moved_at or clock.now_iso(), actor.id],
    )


def create_opportunity(db: Database, actor: User, values: dict[str, Any]) -> dict[str, Any]:
    """Open a lead or opportunity; it gets the next number of its product line.

    Defaults: opened today, in the account's currency, in the first lead stage (or
    the first opportunity stage when `kind` is 'opportunity').
    """
    data = dict(values)
    data["account_id"] = _as_int(data.get("account_id"), "account_id")
    permissions.require_edit(db, actor, data["account_id"])
    currency = db.execute("SELECT currency FROM accounts WHERE id = ?", [data["account_id"]]).fetchone()[0]
    data.setdefault("currency", currency)
    data.setdefault("opened_on", clock.today().isoformat())
    if not data.get("stage"):
        data["stage"] = _first_stage(db, data.get("kind", "lead") == "lead")
    if "kind" not in data:
        lead = db.execute("SELECT is_lead FROM stages WHERE key = ?", [data["stage"]]).fetchone()
        data["kind"] = "lead" if lead is None or lead[0] else "opportunity"
    with store.transaction(db):
        opened = _parse_date(data["opened_on"], "opened_on")
        data["number"] = next_number(db, _as_int(data.get("product_line_id"), "product_line_id"), opened.year)
        row = records.create(db, actor, OPPORTUNITY, data)
        _record_move(db, actor, row, None, row["stage"])
    return row


def _parse_date(value: Any, field_name: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise ValidationError.single(field_name, "reason.date_parsing") from None


def _as_int(value: Any, field_name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationError.single(field_name, "reason.int_parsing") from None


def get_opportunity(db: Database, actor: User, opportunity_id: int) -> dict[str, Any]:
    """One deal the actor may read, or NotFoundError."""
    fits = isinstance(opportunity_id, int) and 0 < opportunity_id < 2**63  # SQLite's integer range
    row = store.row(db, "SELECT account_id FROM opportunities WHERE id = ?", [opportunity_id]) if fits else None
    if row is None:
        raise NotFoundError("err.not_found_entity", entity="opportunity", id=opportunity_id)
    permissions.require_read(db, actor, row["account_id"])
    return records.get(db, OPPORTUNITY, opportunity_id)


def update_opportunity(db: Database, actor: User, opportunity_id: int, base_version: int,
                       changes: dict[str, Any]) -> dict[str, Any]:
    """Edit a deal's fields; stage, status, kind and number change only through their own actions."""
    for name in sorted(OPPORTUNITY.workflow_fields):
        if name in changes:
            raise ValidationError.single(name, "reason.use_stage_move")
    return records.update(db, actor, OPPORTUNITY, opportunity_id, base_version, changes)


def delete_opportunity(db: Database, actor: User, opportunity_id: int, base_version: int) -> None:
    """Delete a deal (entered by mistake) with its history, needs and competitors."""
    records.delete(db, actor, OPPORTUNITY, opportunity_id, base_version)


class UnmetCriteria(ValidationError):
    """A forward stage move refused because entry criteria of the target (or skipped) stages are not met."""

    def __init__(self, unmet: list[dict[str, Any]]) -> None:
        self.unmet = unmet
        super().__init__([FieldProblem("stage", "reason.entry_criteria_unmet", {"count": len(unmet)})])

    def message(self, lang: str = "en") -> str:
        from kamcore.i18n import t

        label = "label_zh" if lang == "zh" else "label_en"
        items = "; ".join(f"{stage_name(c, lang)}: {c[label]}" for c in self.unmet)
        return t("opp.err.unmet_criteria", lang, items=items)


def unmet_criteria(db: Database, opportunity_id: int, from_stage: str, to_stage: str) -> list[dict[str, Any]]:
    """Entry criteria not yet met for every stage after `from_stage` up to and including `to_stage`."""
    return store.rows(
        db,
        """SELECT c.id, c.label_en, c.label_zh, s.key AS stage_key, s.name_en, s.name_zh
           FROM stage_criteria c JOIN stages s ON s.id = c.stage_id
           LEFT JOIN opportunity_criteria oc ON oc.criterion_id = c.id AND oc.opportunity_id = ?
           WHERE s.position > (SELECT position FROM stages WHERE key = ?)
             AND s.position <= (SELECT position FROM stages WHERE key = ?)
             AND coalesce(oc.met, 0) = 0
           ORDER BY s.position, c.position, c.id""",
        [opportunity_id, from_stage, to_stage],
    )


def move_stage(db: Database, actor: User, opportunity_id: int, base_version: int, to_stage: str) -> dict[str, Any]:
    """Move an open deal to another stage, dated in the stage history.

    A forward move needs every entry criterion of the target stage and of any stage it
    skips (`UnmetCriteria` otherwise). Moving a lead into an opportunity stage converts
    it (kind 'opportunity', converted today), keeping its number and history. Moving
    back is always allowed, except an opportunity back into a lead stage.
    """
    with store.transaction(db):
        current = get_opportunity(db, actor, opportunity_id)
        permissions.require_edit(db, actor, current["account_id"])
        if current["version"] != base_version:
            return records.update(db, actor, OPPORTUNITY, opportunity_id, base_version, {})  # raises ConflictError
        if current["status"] != "open":
            raise ValidationError.single("status", "reason.deal_closed")
        target = store.row(db, "SELECT * FROM stages WHERE key = ?", [to_stage])
        if target is None or not target["active"]:
            raise ValidationError.single("stage", "reason.unknown_stage", value=to_stage)
        if to_stage == current["stage"]:
            return current
        here = store.row(db, "SELECT position FROM stages WHERE key = ?", [current["stage"]])
        changes: dict[str, Any] = {"stage": to_stage}
        if target["is_lead"] and current["kind"] == "opportunity":
            raise ValidationError.single("stage", "reason.cannot_unconvert")
        if target["position"] > (here["position"] if here else -1):
            unmet = unmet_criteria(db, opportunity_id, current["stage"], to_stage)
            if unmet:
                raise UnmetCriteria(unmet)
        if not target["is_lead"] and current["kind"] == "lead":
            changes |= {"kind": "opportunity", "converted_on": clock.today().isoformat()}
        row = records.update(db, actor, OPPORTUNITY, opportunity_id, base_version, changes)
        _record_move(db, actor, row, current["stage"], to_stage)
    return row


def convert_lead(db: Database, actor: User, opportunity_id: int, base_version: int,
                 to_stage: str | None = None) -> dict[str, Any]:
    """Turn a lead into an opportunity (we can serve the need): a move into the first opportunity stage."""
    return move_stage(db, actor, opportunity_id, base_version, to_stage or _first_stage(db, lead=False))


def close_opportunity(db: Database, actor: User, opportunity_id: int, base_version: int, status: str,
                      reason: str, closed_on: date | str | None = None) -> dict[str, Any]:
    """Close a deal as won, lost or no decision, with a reason; dated in the stage history."""
    if status not in CLOSED:
        raise ValidationError.single("status", "reason.literal_error", expected=", ".join(CLOSED))
    with store.transaction(db):
        current = get_opportunity(db, actor, opportunity_id)
        if current["status"] != "open" and current["version"] == base_version:
            raise ValidationError.single("status", "reason.deal_closed")
        day = closed_on.isoformat() if isinstance(closed_on, date) else (closed_on or clock.today().isoformat())
        row = records.update(db, actor, OPPORTUNITY, opportunity_id, base_version,
                             {"status": status, "close_reason": reason, "closed_on": day})
        _record_move(db, actor, row, current["stage"], status)
    return row


def reopen_opportunity(db: Database, actor: User, opportunity_id: int, base_version: int) -> dict[str, Any]:
    """Reopen a closed deal in the stage it was closed from."""
    with store.transaction(db):
        current = get_opportunity(db, actor, opportunity_id)
        permissions.require_edit(db, actor, current["account_id"])
        if current["status"] == "open" and current["version"] == base_version:
            return current
        row = records.update(db, actor, OPPORTUNITY, opportunity_id, base_version,
                             {"status": "open", "close_reason": "", "closed_on": None})
        _record_move(db, actor, row, current["status"], row["stage"])
    return row


def stage_history(db: Database, actor: User, opportunity_id: int) -> list[dict[str, Any]]:
    """A deal's dated stage moves, oldest first, with who moved it."""
    get_opportunity(db, actor, opportunity_id)
    return store.rows(
        db,
        """SELECT h.*, coalesce(u.display_name, 'System') AS moved_by_name FROM stage_history h
           LEFT JOIN users u ON u.id = h.moved_by WHERE h.opportunity_id = ? ORDER BY h.moved_at, h.id""",
        [opportunity_id],
    )


def _list_where(account_ids: list[int], status: str | None, kind: str | None, stage: str | None,
                product_line_id: int | None, owner_id: int | None, search: str | None) -> tuple[str, list[Any]]:
    marks = ",".join("?" for _ in account_ids) or "NULL"
    clauses, params = [f"o.account_id IN ({marks})"], list(account_ids)
    for clause, value in (("o.status = ?", status), ("o.kind = ?", kind), ("o.stage = ?", stage),
                          ("o.product_line_id = ?", product_line_id), ("o.owner_id = ?", owner_id)):
        if value is not None:
            clauses.append(clause)
            params.append(value)
    if search:
        clauses.append("(o.name LIKE ? OR o.number LIKE ? OR o.competitors LIKE ?)")
        params += [f"%{search}%"] * 3
    return " AND ".join(clauses), params


def list_opportunities(db: Database, user: User, account_id: int | None, *, status: str | None = None,
                       kind: str | None = None, stage: str | None = None, product_line_id: int | None = None,
                       owner_id: int | None = None, search: str | None = None, limit: int = PAGE_SIZE,
                       offset: int = 0, account_ids: list[int] | None = None) -> list[dict[str, Any]]:
    """Deals of one account (or of `account_ids`, all readable by `user`), newest first, paged in SQL.

    Each row adds product_line_code, owner_name, account_name, stage_position,
    stage_probability, effective probability `win_probability` and `weighted_amount`.
    """
    ids = _readable(db, user, account_id, account_ids)
    where, params = _list_where(ids, status, kind, stage, product_line_id, owner_id, search)
    found = store.rows(
        db,
        f"""SELECT o.*, p.code AS product_line_code, u.display_name AS owner_name, a.name AS account_name,
                   s.position AS stage_position, s.probability AS stage_probability,
                   s.name_en AS stage_name_en, s.name_zh AS stage_name_zh
            FROM opportunities o
            JOIN product_lines p ON p.id = o.product_line_id
            JOIN accounts a ON a.id = o.account_id
            LEFT JOIN stages s ON s.key = o.stage
            LEFT JOIN users u ON u.id = o.owner_id
            WHERE {where}
            ORDER BY o.status = 'open' DESC, o.opened_on DESC, o.id DESC LIMIT ? OFFSET ?""",
        [*params, limit, offset],
    )
    for row in found:
        probability = effective_probability(row, {row["stage"]: row["stage_probability"] or 0})
        row["win_probability"] = probability
        row["weighted_amount"] = round(row["amount"] * probability / 100, 2)
    return found


def count_opportunities(db: Database, user: User, account_id: int | None, *, status: str | None = None,
                        kind: str | None = None, stage: str | None = None, product_line_id: int | None = None,
                        owner_id: int | None = None, search: str | None = None,
                        account_ids: list[int] | None = None) -> int:
    """How many deals match the same filters as `list_opportunities`."""
    ids = _readable(db, user, account_id, account_ids)
    where, params = _list_where(ids, status, kind, stage, product_line_id, owner_id, search)
    return db.execute(f"SELECT count(*) FROM opportunities o WHERE {where}", params).fetchone()[0]


def _readable(db: Database, user: User, account_id: int | None, account_ids: list[int] | None) -> list[int]:
    if account_id is not None:
        permissions.require_read(db, user, account_id)
        return [account_id]
    allowed = set(permissions.readable_account_ids(db, user))
    return [a for a in (account_ids or []) if a in allowed]


def open_pipeline(db: Database, account_ids: list[int], product_line_id: int | None = None,
                  period_start: date | str | None = None, period_end: date | str | None = None) -> dict[str, Any]:
    """Open deals of these accounts: count, unweighted `amount` and probability-`weighted` sums.

    Period bounds filter on expected close (inclusive; deals without one are left out
    when a bound is given). Callers pass account ids the user may read. Amounts are summed
    as stored; `by_currency` and `by_product_line` split the totals so mixed currencies
    can be shown apart.
    """
    if not account_ids:
        return {"count": 0, "amount": 0.0, "weighted": 0.0, "by_currency": {}, "by_product_line": {}}
    marks = ",".join("?" for _ in account_ids)
    clauses, params = [f"o.account_id IN ({marks})", "o.status = 'open'"], list(account_ids)
    if product_line_id is not None:
        clauses.append("o.product_line_id = ?")
        params.append(product_line_id)
    if period_start is not None:
        clauses.append("o.expected_close >= ?")
        params.append(str(period_start)[:10])
    if period_end is not None:
        clauses.append("o.expected_close <= ?")
        params.append(str(period_end)[:10])
    found = store.rows(
        db,
        f"""SELECT o.product_line_id, o.currency, count(*) AS count, sum(o.amount) AS amount,
                   sum(o.amount * coalesce(o.probability, s.probability, 0) / 100.0) AS weighted
            FROM opportunities o LEFT JOIN stages s ON s.key = o.stage
            WHERE {" AND ".join(clauses)} GROUP BY o.product_line_id, o.currency""",
        params,
    )
    out: dict[str, Any] = {"count": 0, "amount": 0.0, "weighted": 0.0, "by_currency": {}, "by_product_line": {}}
    for row in found:
        for bucket in (out, out["by_currency"].setdefault(row["currency"], {"count": 0, "amount": 0.0, "weighted": 0.0}),
                       out["by_product_line"].setdefault(row["product_line_id"],
                                                         {"count": 0, "amount": 0.0, "weighted": 0.0})):
            bucket["count"] += row["count"]
            bucket["amount"] += row["amount"] or 0.0
            bucket["weighted"] += row["weighted"] or 0.0
    return out


# ---------------------------------------------------------------- entry-criteria checklist


class CriterionCheckIn(Record):
    """Whether one deal has met one entry criterion."""

    account_id: int
    opportunity_id: int
    criterion_id: int
    met: bool = False
    met_on: date | None = None
    note: str = Field(default="", max_length=500)


CRITERION_CHECK = Entity("criterion_check", "opportunity_criteria", CriterionCheckIn)


def checklist(db: Database, actor: User, opportunity_id: int) -> list[dict[str, Any]]:
    """Every stage's entry criteria with this deal's tick (met, met_on, note, check id and version)."""
    get_opportunity(db, actor, opportunity_id)
    return store.rows(
        db,
        """SELECT c.id AS criterion_id, c.label_en, c.label_zh, s.key AS stage_key, s.name_en, s.name_zh,
                  s.position AS stage_position, coalesce(oc.met, 0) AS met, oc.met_on, coalesce(oc.note, '') AS note,
                  oc.id AS check_id, oc.version AS check_version
           FROM stage_criteria c JOIN stages s ON s.id = c.stage_id
           LEFT JOIN opportunity_criteria oc ON oc.criterion_id = c.id AND oc.opportunity_id = ?
           WHERE s.active = 1 ORDER BY s.position, c.position, c.id""",
        [opportunity_id],
    )


def set_criterion(db: Database, actor: User, opportunity_id: int, criterion_id: int, met: bool,
                  note: str = "", base_version: int | None = None) -> dict[str, Any]:
    """Tick or untick an entry criterion for a deal (dated today when ticked)."""
    with store.transaction(db):
        opp = get_opportunity(db, actor, opportunity_id)
        existing = store.row(db, "SELECT * FROM opportunity_criteria WHERE opportunity_id = ? AND criterion_id = ?",
                             [opportunity_id, criterion_id])
        met_on = clock.today().isoformat() if met else None
        if existing is None:
            if not db.execute("SELECT 1 FROM stage_criteria WHERE id = ?", [criterion_id]).fetchone():
                raise ValidationError.single("criterion_id", "reason.unknown_criterion", value=criterion_id)
            return records.create(db, actor, CRITERION_CHECK, {
                "account_id": opp["account_id"], "opportunity_id": opportunity_id, "criterion_id": criterion_id,
                "met": met, "met_on": met_on, "note": note})
        version = existing["version"] if base_version is None else base_version
        if bool(existing["met"]) == met:
            met_on = existing["met_on"]
        return records.update(db, actor, CRITERION_CHECK, existing["id"], version,
                              {"met": met, "met_on": met_on, "note": note})


# ---------------------------------------------------------------- MAN qualification


@dataclass(frozen=True)
class ManAssessment:
    """MAN qualification: the code (capital = present) and the D6 tactic for it."""

    code: str
    action: str

    @property
    def tactic_key(self) -> str:
        """The i18n key of the tactic text."""
        return f"man.tactic.{self.action}"


MAN_ACTIONS = {
    "MAN": "pursue",
    "MAn": "develop_need",
    "MaN": "find_authority",
    "mAN": "check_credit",
    "maN": "nurture",
    "mAn": "nurture",
    "Man": "nurture",
    "man": "stop",
}


def man_assessment(money: bool | None, authority: bool | None, need: bool | None) -> ManAssessment | None:
    """The D6 tactic for a MAN combination; None until all three are assessed."""
    if money is None or authority is None or need is None:
        return None
    code = ("M" if money else "m") + ("A" if authority else "a") + ("N" if need else "n")
    return ManAssessment(code, MAN_ACTIONS[code])


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


def _same_opportunity(table: str, field_name: str):
    def check(db: Database, values: dict[str, Any], row_id: int | None) -> None:
        ref = values.get(field_name)
        if ref is None:
            return
        found = db.execute(f"SELECT opportunity_id FROM [{table}] WHERE id = ?", [ref]).fetchone()
        if found is None or found[0] != values["opportunity_id"] or ref == row_id:
            raise ValidationError.single(field_name, "reason.other_opportunity")
    return check


def _opportunity_of_account(db: Database, values: dict[str, Any], row_id: int | None) -> None:
    found = db.execute("SELECT account_id FROM opportunities WHERE id = ?", [values["opportunity_id"]]).fetchone()
    if found is None or found[0] != values["account_id"]:
        raise ValidationError.single("opportunity_id", "reason.other_opportunity")


NEED = Entity("need", "needs", NeedIn, extra_checks=(_opportunity_of_account, _same_opportunity("needs", "parent_id")))


def _child_values(db: Database, actor: User, opportunity_id: int, values: dict[str, Any]) -> dict[str, Any]:
    opp = get_opportunity(db, actor, opportunity_id)
    return {**values, "account_id": opp["account_id"], "opportunity_id": opportunity_id}


def add_need(db: Database, actor: User, opportunity_id: int, values: dict[str, Any]) -> dict[str, Any]:
    """Record a need for a deal."""
    return records.create(db, actor, NEED, _child_values(db, actor, opportunity_id, values))


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


FIVE_WHYS = Entity("five_whys", "five_whys", FiveWhysIn, extra_checks=(_opportunity_of_account,))


def add_five_whys(db: Database, actor: User, opportunity_id: int, values: dict[str, Any]) -> dict[str, Any]:
    """Record a five-why chain for a deal."""
    return records.create(db, actor, FIVE_WHYS, _child_values(db, actor, opportunity_id, values))


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


SPIN_PLAN = Entity("spin_plan", "spin_plans", SpinPlanIn, extra_checks=(_opportunity_of_account,))
SPIN_MINIMUM = {"situation": 1, "problem": 3, "implication": 3, "need_payoff": 1}


def add_spin_plan(db: Database, actor: User, opportunity_id: int, values: dict[str, Any]) -> dict[str, Any]:
    """Prepare a SPIN plan for a visit."""
    return records.create(db, actor, SPIN_PLAN, _child_values(db, actor, opportunity_id, values))


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


# ---------------------------------------------------------------- competitors and comparison sheet (D6)


class CompetitorIn(Record):
    """A rival (or us, `is_us`) on one deal, with its SWOT."""

    account_id: int
    opportunity_id: int
    name: str = Field(min_length=1, max_length=120)
    is_us: bool = False
    product: str = Field(default="", max_length=200)
    strengths: str = Field(default="", max_length=2000)
    weaknesses: str = Field(default="", max_length=2000)
    opportunities: str = Field(default="", max_length=2000)
    threats: str = Field(default="", max_length=2000)


COMPETITOR = Entity("competitor", "competitors", CompetitorIn, extra_checks=(_opportunity_of_account,))


class ComparisonItemIn(Record):
    """One aspect of one product on the comparison sheet: described and scored 0–10."""

    account_id: int
    opportunity_id: int
    competitor_id: int
    aspect: Literal["name", "specification", "looks", "function", "technology", "price", "settlement_terms"]
    description: str = Field(default="", max_length=1000)
    score: int = Field(default=0, ge=0, le=MAX_SCORE)


COMPARISON_ITEM = Entity("comparison_item", "comparison_items", ComparisonItemIn,
                         extra_checks=(_opportunity_of_account, _same_opportunity("competitors", "competitor_id")))


def add_competitor(db: Database, actor: User, opportunity_id: int, values: dict[str, Any]) -> dict[str, Any]:
    """Add a rival (or our own entry) to a deal."""
    return records.create(db, actor, COMPETITOR, _child_values(db, actor, opportunity_id, values))


def update_competitor(db: Database, actor: User, competitor_id: int, base_version: int,
                      changes: dict[str, Any]) -> dict[str, Any]:
    """Change a rival's SWOT or product."""
    return records.update(db, actor, COMPETITOR, competitor_id, base_version, changes)


def delete_competitor(db: Database, actor: User, competitor_id: int, base_version: int) -> None:
    """Remove a rival and its comparison items."""
    records.delete(db, actor, COMPETITOR, competitor_id, base_version)


def list_competitors(db: Database, actor: User, opportunity_id: int) -> list[dict[str, Any]]:
    """A deal's rivals (us first) with their comparison score (sum of item scores)."""
    get_opportunity(db, actor, opportunity_id)
    return store.rows(
        db,
        """SELECT c.*, coalesce((SELECT sum(i.score) FROM comparison_items i WHERE i.competitor_id = c.id), 0)
                  AS comparison_score,
                  (SELECT count(*) FROM comparison_items i WHERE i.competitor_id = c.id) AS items_scored
           FROM competitors c WHERE c.opportunity_id = ? ORDER BY c.is_us DESC, c.name""",
        [opportunity_id],
    )


def set_comparison_item(db: Database, actor: User, competitor_id: int, aspect: str, description: str, score: int,
                        base_version: int | None = None) -> dict[str, Any]:
    """Describe and score one aspect of one product (create or update)."""
    competitor = store.row(db, "SELECT * FROM competitors WHERE id = ?", [competitor_id])
    if competitor is None:
        raise NotFoundError("err.not_found_entity", entity="competitor", id=competitor_id)
    values = {"account_id": competitor["account_id"], "opportunity_id": competitor["opportunity_id"],
              "competitor_id": competitor_id, "aspect": aspect, "description": description, "score": score}
    with store.transaction(db):
        existing = store.row(db, "SELECT id, version FROM comparison_items WHERE competitor_id = ? AND aspect = ?",
                             [competitor_id, aspect])
        if existing is None:
            return records.create(db, actor, COMPARISON_ITEM, values)
        version = existing["version"] if base_version is None else base_version
        return records.update(db, actor, COMPARISON_ITEM, existing["id"], version,
                              {"description": description, "score": score})


def comparison_sheet(db: Database, actor: User, opportunity_id: int) -> list[dict[str, Any]]:
    """Every scored item of a deal's comparison sheet, with the competitor's name."""
    get_opportunity(db, actor, opportunity_id)
    return store.rows(
        db,
        """SELECT i.*, c.name AS competitor_name, c.is_us FROM comparison_items i
           JOIN competitors c ON c.id = i.competitor_id WHERE i.opportunity_id = ?
           ORDER BY c.is_us DESC, c.name, i.aspect""",
        [opportunity_id],
    )


def comparison_scores(items: list[dict[str, Any]]) -> dict[str, int]:
    """Total comparison score per product name: the sum of its item scores."""
    totals: dict[str, int] = {}
    for item in items:
        totals[item["competitor_name"]] = totals.get(item["competitor_name"], 0) + int(item["score"])
    return totals


_NUMBER = re.compile(r"^([A-Za-z0-9_-]+)-(\d{4})-(\d+)$")


def parse_number(number: str) -> tuple[str, int, int] | None:
    """Split a deal number into (product line code, year, sequence), or None if it is not one."""
    match = _NUMBER.match(number or "")
    return (match.group(1), int(match.group(2)), int(match.group(3))) if match else None
