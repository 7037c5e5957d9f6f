"""Leads and opportunities (D6): numbering, the deal record, stage moves, closing, the entry-criteria checklist.

- `open_pipeline(db, account_ids, product_line_id=None, period_start=None, period_end=None)`
  -> unweighted and weighted sums of open deals (plan coverage, portfolio).
- `list_opportunities(db, user, account_id, ...)` -> one account's deals, filtered and paged in SQL.

Writes go through `kamcore.records`. A stage move, a close and a reopen each add a
row to `stage_history` in the same transaction as the audited change, so pipeline
analytics (kamcore.pipeline.analytics) can date every move. The stage model, MAN
qualification, needs discovery and competitors live in their own modules beside this one.
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any, Literal

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError
from sqlite_utils import Database

from kamcore import clock, data_cache, permissions, records, store
from kamcore.errors import FieldProblem, NotFoundError, ValidationError
from kamcore.i18n import t
from kamcore.money_format import Whole
from kamcore.pipeline.stage_model import CLOSED, STAGE_JOIN, WEIGHTED_AMOUNT_SQL, effective_probability, stage_name
from kamcore.read_models import Deal, DealRow
from kamcore.records import Entity, Record
from kamcore.users import User

KINDS = ("lead", "opportunity")
NEED_LEVELS = ("implicit", "explicit", "criterion")
ASPECTS = ("name", "specification", "looks", "function", "technology", "price", "settlement_terms")
FOLLOW_UPS = ("continue", "pause", "keep")
REVISIT_DAYS = (20, 40, 60, 80)
MAX_SCORE = 10
PAGE_SIZE = 200


# ---------------------------------------------------------------- opportunities


class OpportunityIn(Record):
    """A lead or opportunity's stored fields."""

    account_id: int
    product_line_id: int | None = None  # None: the CRM export had no product (m024); D6 does not need one
    number: str = Field(min_length=1, max_length=40)
    external_id: str | None = Field(default=None, max_length=80)
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["lead", "opportunity"] = "lead"
    amount: Whole | None = Field(default=0, ge=0, allow_inf_nan=False)  # None: the CRM had no amount (m014)
    currency: str = Field(default="CNY", pattern=r"^[A-Z]{3}$")
    opened_on: date | None = None  # None only for imported deals the CRM has no date for (m014)
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
    external_owner: str = Field(default="", max_length=120)  # a CRM owner who is not a user

    @model_validator(mode="after")
    def _dates_and_close(self) -> OpportunityIn:
        if self.expected_close is not None and self.opened_on is not None and self.expected_close < self.opened_on:
            raise PydanticCustomError("reason.close_before_open", "expected close is before the deal was opened",
                                      {"field": "expected_close", "opened_on": self.opened_on.isoformat()})
        if self.status != "open":
            if not self.close_reason and self.external_id is None:  # an imported deal keeps the CRM's (lack of) reason
                raise PydanticCustomError("reason.close_reason_required", "a closed deal needs a reason",
                                          {"field": "close_reason"})
            if self.closed_on is None:
                raise PydanticCustomError("reason.closed_on_required", "a closed deal needs a date",
                                          {"field": "closed_on"})
        if self.closed_on is not None and self.opened_on is not None and self.closed_on < self.opened_on:
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
    if values.get("product_line_id") is not None and not db.execute(
            "SELECT 1 FROM product_lines WHERE id = ?", [values["product_line_id"]]).fetchone():
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
    money_fields={"amount": "currency"},
)


def next_number(db: Database, product_line_id: int | None, year: int) -> str:
    """The next deal number for a product line and year, e.g. CORE-2026-007 (DEAL-2026-007 without a line)."""
    found = ("DEAL",) if product_line_id is None else db.execute(
        "SELECT code FROM product_lines WHERE id = ?", [product_line_id]).fetchone()
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
        data["number"] = next_number(db, None if data.get("product_line_id") is None else
                                     _as_int(data.get("product_line_id"), "product_line_id"), opened.year)
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


def get_opportunity(db: Database, actor: User, opportunity_id: int) -> DealRow:
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
        """The refused stage move with the entry criteria still unmet, in `lang`."""
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
        clauses.append("(o.name LIKE ? OR o.number LIKE ? OR o.competitors LIKE ? OR o.external_owner LIKE ?)")
        params += [f"%{search}%"] * 4
    return " AND ".join(clauses), params


def list_opportunities(db: Database, user: User, account_id: int | None, *, status: str | None = None,
                       kind: str | None = None, stage: str | None = None, product_line_id: int | None = None,
                       owner_id: int | None = None, search: str | None = None, limit: int = PAGE_SIZE,
                       offset: int = 0, account_ids: list[int] | None = None) -> list[Deal]:
    """Deals of one account (or of `account_ids`, all readable by `user`), newest first, paged in SQL.

    Each row adds product_line_code, owner_name, account_name, stage_position,
    stage_probability, effective probability `win_probability` and `weighted_amount`.
    """
    ids = _readable(db, user, account_id, account_ids)
    where, params = _list_where(ids, status, kind, stage, product_line_id, owner_id, search)
    found = store.rows(
        db,
        f"""SELECT o.*, p.code AS product_line_code, coalesce(u.display_name, nullif(o.external_owner, ''))
                   AS owner_name, a.name AS account_name,
                   s.position AS stage_position, s.probability AS stage_probability,
                   s.name_en AS stage_name_en, s.name_zh AS stage_name_zh
            FROM opportunities o
            LEFT JOIN product_lines p ON p.id = o.product_line_id
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
        row["weighted_amount"] = None if row["amount"] is None else round(row["amount"] * probability / 100, 2)
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
    """Open deals of these accounts: count, unweighted `amount` and probability-`weighted` sums — THE
    pipeline figure of Home, Portfolio, the walk-through and the pipeline page (docs/figures.md).

    Period bounds filter on expected close (inclusive; deals without one are left out
    when a bound is given). Callers pass account ids the user may read. Amounts are summed
    as stored; `by_currency`, `by_product_line` and `by_account` (with its own `by_currency`) split
    the totals so mixed currencies can be shown apart.
    """
    if not account_ids:
        return {"count": 0, "amount": 0.0, "weighted": 0.0, "by_currency": {}, "by_product_line": {}, "by_account": {}}
    if product_line_id is None and period_start is None and period_end is None:  # the unfiltered figure: per account, kept
        # the merged figure too, until the next write anywhere (2,000 accounts' sums are not re-added per view);
        # after a write only the touched accounts are summed again. Shared, read-only.
        return data_cache.cached(db, "opportunities.open_pipeline", tuple(sorted(set(account_ids))),
                                 lambda: _merged(deal_sums(db, account_ids)))
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
        f"""SELECT o.account_id, o.product_line_id, o.currency, count(*) AS count, sum(o.amount) AS amount,
                   sum({WEIGHTED_AMOUNT_SQL}) AS weighted
            FROM opportunities o {STAGE_JOIN}
            WHERE {" AND ".join(clauses)} GROUP BY o.account_id, o.product_line_id, o.currency
            ORDER BY o.account_id, o.product_line_id, o.currency""",
        params,
    )
    return _pipeline_of(found)


def _pipeline_of(found: list[dict[str, Any]]) -> dict[str, Any]:
    """open_pipeline's figure from rows grouped by account, product line and currency (in that order)."""
    out: dict[str, Any] = {"count": 0, "amount": 0.0, "weighted": 0.0, "by_currency": {}, "by_product_line": {},
                           "by_account": {}}

    def fresh() -> dict[str, Any]:
        return {"count": 0, "amount": 0.0, "weighted": 0.0}

    for row in found:
        account = out["by_account"].setdefault(row["account_id"], {**fresh(), "by_currency": {}})
        for bucket in (out, out["by_currency"].setdefault(row["currency"], fresh()),
                       out["by_product_line"].setdefault(row["product_line_id"], fresh()),
                       account, account["by_currency"].setdefault(row["currency"], fresh())):
            bucket["count"] += row["count"]
            bucket["amount"] += row["amount"] or 0.0
            bucket["weighted"] += row["weighted"] or 0.0
    return out


def deal_sums(db: Database, account_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Per account: `rows`, its deals grouped by status, product line and currency (in that order) with
    `count`, `amount` and probability-`weighted` sums (empty without deals), and `open`, its open pipeline
    (totals, `by_currency`, `by_product_line`) as open_pipeline sums it. Kept per account
    data version (kamcore.data_cache.per_account): after a write only the accounts it touched are summed
    again, so the figures over 2,000 accounts cost what changed. Shared, read-only."""
    def compute(ids: list[int]) -> dict[int, dict[str, Any]]:
        rows: dict[int, list[dict[str, Any]]] = {a: [] for a in ids}
        for row in store.rows(
            db,
            f"""SELECT o.account_id, o.status, o.product_line_id, o.currency, count(*) AS count,
                       sum(o.amount) AS amount, sum({WEIGHTED_AMOUNT_SQL}) AS weighted
                FROM opportunities o {STAGE_JOIN} WHERE o.account_id IN (SELECT value FROM json_each(?))
                GROUP BY o.account_id, o.status, o.product_line_id, o.currency
                ORDER BY o.account_id, o.status, o.product_line_id, o.currency""",
            [json.dumps(ids)],
        ):
            rows[row.pop("account_id")].append(row)
        out = {}
        for a, found in rows.items():
            pipe = _pipeline_of([{"account_id": a, **r} for r in found if r["status"] == "open"])
            out[a] = {"rows": found, "open": {**pipe["by_account"].get(a, {**_empty(), "by_currency": {}}),
                                              "by_product_line": pipe["by_product_line"]}}
        return out

    return data_cache.per_account(db, "opportunities.deal_sums", account_ids, compute)


def _empty() -> dict[str, Any]:
    return {"count": 0, "amount": 0.0, "weighted": 0.0}


def _merged(sums: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """open_pipeline's figure from each account's own open sums (deal_sums), by account id."""
    out: dict[str, Any] = {**_empty(), "by_currency": {}, "by_product_line": {}, "by_account": {}}
    for a in sorted(sums):
        mine = sums[a]["open"]
        if not mine["count"]:
            continue
        out["by_account"][a] = {"count": mine["count"], "amount": mine["amount"], "weighted": mine["weighted"],
                                "by_currency": {c: dict(b) for c, b in mine["by_currency"].items()}}
        for split, part in (("by_currency", mine["by_currency"]), ("by_product_line", mine["by_product_line"])):
            for name, bucket in part.items():
                into = out[split].setdefault(name, _empty())
                into["count"] += bucket["count"]
                into["amount"] += bucket["amount"]
                into["weighted"] += bucket["weighted"]
        out["count"] += mine["count"]
        out["amount"] += mine["amount"]
        out["weighted"] += mine["weighted"]
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


_NUMBER = re.compile(r"^([A-Za-z0-9_-]+)-(\d{4})-(\d+)$")


def parse_number(number: str) -> tuple[str, int, int] | None:
    """Split a deal number into (product line code, year, sequence), or None if it is not one."""
    match = _NUMBER.match(number or "")
    return (match.group(1), int(match.group(2)), int(match.group(3))) if match else None


# ---------------------------------------------------------------- records that hang off a deal


def same_opportunity(table: str, field_name: str, *, same_table: bool = False):
    """An extra check: the row that `field_name` points to in `table` belongs to the same deal.

    `same_table`: the reference points into the checked row's own table (a need's parent need), so a
    row may not point at itself. Ids of two different tables say nothing about each other: a
    comparison item may well have its competitor's id."""
    def check(db: Database, values: dict[str, Any], row_id: int | None) -> None:
        ref = values.get(field_name)
        if ref is None:
            return
        found = db.execute(f"SELECT opportunity_id FROM [{table}] WHERE id = ?", [ref]).fetchone()
        if found is None or found[0] != values["opportunity_id"] or (same_table and ref == row_id):
            raise ValidationError.single(field_name, "reason.other_opportunity")
    return check


def opportunity_of_account(db: Database, values: dict[str, Any], row_id: int | None) -> None:
    """An extra check: the deal a child row names belongs to the row's account."""
    found = db.execute("SELECT account_id FROM opportunities WHERE id = ?", [values["opportunity_id"]]).fetchone()
    if found is None or found[0] != values["account_id"]:
        raise ValidationError.single("opportunity_id", "reason.other_opportunity")


def child_values(db: Database, actor: User, opportunity_id: int, values: dict[str, Any]) -> dict[str, Any]:
    """The values of a record that hangs off a deal, with the deal's account filled in (read permission checked)."""
    opp = get_opportunity(db, actor, opportunity_id)
    return {**values, "account_id": opp["account_id"], "opportunity_id": opportunity_id}
