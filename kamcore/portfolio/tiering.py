"""Tiering criteria as one shared, versioned agreement (D1), and each account's tier.

A criteria set scores accounts over indicators from the four D1 families
(transaction, customer characteristics, financial, need match): each indicator
maps its value linearly onto 0..1 between a `low` and a `high` threshold (or the
other way round when lower is better), and contributes `weight`% of the score
(0..100). The score gives the tier (key / general / small); the need-match
score gives the type (strategic / value / transactional). The set also holds the
fake-key-account flag thresholds and the potential-grid thresholds.

A new set is drafted, previewed (which accounts would change tier, and why), agreed
by each person signing off in the app (`agree`, recorded in `signoffs`; a changed
draft loses its sign-offs) and activated once enough have agreed; the set keeps
the agreeing names (`agreed_by`, JSON) for its history. Activation retires the previous
set and re-tiers every account in one transaction, each assignment recording
the criteria number and every indicator's contribution.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import PydanticCustomError
from sqlite_utils import Database

from kamcore import clock, data_cache, permissions, records, signoffs, store
from kamcore.errors import FieldProblem, NotFoundError, PermissionDenied, ValidationError
from kamcore.portfolio import financials
from kamcore.records import Action, Entity, Record
from kamcore.users import User

TIERS = ("key", "general", "small")
TYPES = ("strategic", "value", "transactional")
STATUSES = ("draft", "active", "retired")
# indicator -> (family, higher is better by default)
INDICATORS: dict[str, tuple[str, bool]] = {
    "cum_revenue": ("transaction", True),
    "cum_profit": ("transaction", True),
    "avg_deal_size": ("transaction", True),
    "scale": ("characteristics", True),
    "industry_rank": ("characteristics", False),
    "margin_pct": ("financial", True),
    "dso_days": ("financial", False),
    "overdue_pct": ("financial", False),
    "value_fit": ("need_match", True),
    "purchase_fit": ("need_match", True),
}
MONEY_INDICATORS = ("cum_revenue", "cum_profit", "avg_deal_size")  # amounts, in the account's currency
FAMILIES = ("transaction", "characteristics", "financial", "need_match")
WEIGHT_TOTAL = 100.0
WEIGHT_TOLERANCE = 0.01


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Indicator(_Strict):
    """One scored indicator: its weight (% of the score) and the range mapped onto 0..1."""

    key: Literal[
        "cum_revenue", "cum_profit", "avg_deal_size", "scale", "industry_rank",
        "margin_pct", "dso_days", "overdue_pct", "value_fit", "purchase_fit",
    ]
    weight: float = Field(gt=0, le=100, allow_inf_nan=False)
    low: float = Field(allow_inf_nan=False)
    high: float = Field(allow_inf_nan=False)
    higher_is_better: bool = True

    @model_validator(mode="after")
    def _ordered(self) -> Indicator:
        if self.low >= self.high:
            raise PydanticCustomError("reason.low_not_below_high", "low must be below high",
                                      {"field": "high", "low": self.low, "high": self.high})
        return self


class FlagThresholds(_Strict):
    """When an account is a fake key account (D1)."""

    one_off_share_pct: float = Field(default=80, gt=0, le=100)
    one_off_max_deals: int = Field(default=2, ge=1)
    high_volume_revenue: float = Field(default=50_000_000, ge=0)
    thin_margin_pct: float = Field(default=8, ge=-100, le=100)
    squeezer_dso_days: float = Field(default=120, gt=0)
    squeezer_overdue_pct: float = Field(default=30, gt=0, le=100)
    squeezer_price_cuts: int = Field(default=2, ge=1)
    squeezer_min_signals: int = Field(default=2, ge=1, le=3)


class GridThresholds(_Strict):
    """The potential grid (D2): band edges and the points each priority needs."""

    sales_low: float = Field(default=50_000_000, ge=0)
    sales_high: float = Field(default=200_000_000, ge=0)
    share_low: float = Field(default=30, ge=0, le=100)
    share_high: float = Field(default=70, ge=0, le=100)
    priority1_points: int = Field(default=5, ge=0, le=6)
    priority2_points: int = Field(default=3, ge=0, le=6)

    @model_validator(mode="after")
    def _ordered(self) -> GridThresholds:
        for low, high in (("sales_low", "sales_high"), ("share_low", "share_high")):
            if getattr(self, low) >= getattr(self, high):
                raise PydanticCustomError("reason.thresholds_out_of_order", "out of order",
                                          {"field": high, "lower": getattr(self, low)})
        if self.priority2_points > self.priority1_points:
            raise PydanticCustomError("reason.thresholds_out_of_order", "out of order",
                                      {"field": "priority1_points", "lower": self.priority2_points})
        return self


class Definition(_Strict):
    """A whole criteria set."""

    years: int = Field(default=3, ge=1, le=10)
    indicators: list[Indicator] = Field(min_length=1)
    key_min: float = Field(default=70, ge=0, le=100)
    general_min: float = Field(default=40, ge=0, le=100)
    strategic_min: float = Field(default=75, ge=0, le=100)
    value_min: float = Field(default=45, ge=0, le=100)
    flags: FlagThresholds = Field(default_factory=FlagThresholds)
    grid: GridThresholds = Field(default_factory=GridThresholds)

    @field_validator("indicators")
    @classmethod
    def _weights(cls, value: list[Indicator]) -> list[Indicator]:
        keys = [i.key for i in value]
        twice = sorted({k for k in keys if keys.count(k) > 1})
        if twice:
            raise PydanticCustomError("reason.indicator_twice", "twice", {"field": "key", "key": twice[0]})
        total = sum(i.weight for i in value)
        if abs(total - WEIGHT_TOTAL) > WEIGHT_TOLERANCE:
            raise PydanticCustomError("reason.criteria_weights_sum", "weights must sum to 100",
                                      {"field": "weight", "total": round(total, 2)})
        return value

    @model_validator(mode="after")
    def _ordered(self) -> Definition:
        if self.general_min >= self.key_min:
            raise PydanticCustomError("reason.thresholds_out_of_order", "out of order",
                                      {"field": "key_min", "lower": self.general_min})
        if self.value_min >= self.strategic_min:
            raise PydanticCustomError("reason.thresholds_out_of_order", "out of order",
                                      {"field": "strategic_min", "lower": self.value_min})
        return self


def parse_definition(raw: dict[str, Any] | str) -> Definition:
    """A criteria definition from a dict or JSON, or ValidationError naming each field (and indicator row)."""
    try:
        data = json.loads(raw) if isinstance(raw, str) else raw
        return Definition.model_validate(data)
    except ValueError as exc:
        if isinstance(exc, PydanticValidationError):
            raise ValidationError([_problem(e) for e in exc.errors()]) from None
        raise ValidationError.single("definition", "reason.value_error", detail=str(exc)[:80]) from None


def _problem(err: Any) -> FieldProblem:
    loc = list(err.get("loc", ()))
    ctx = dict(err.get("ctx") or {})
    names = [str(p) for p in loc if not isinstance(p, int)]
    rows = [p for p in loc if isinstance(p, int)]
    name = str(ctx.pop("field", None) or (names[-1] if names else "definition"))
    if "error" in ctx:
        ctx = {"detail": str(ctx["error"])}
    kind = err["type"]
    key = kind if kind.startswith("reason.") else f"reason.{kind}"
    return FieldProblem(name, key, ctx, rows[0] + 1 if rows else None)


DEFAULT_DEFINITION: dict[str, Any] = {
    "years": 3,
    "indicators": [
        {"key": "cum_revenue", "weight": 40, "low": 10_000_000, "high": 150_000_000},
        {"key": "cum_profit", "weight": 20, "low": 0, "high": 30_000_000},
        {"key": "scale", "weight": 15, "low": 1, "high": 5},
        {"key": "value_fit", "weight": 15, "low": 1, "high": 5},
        {"key": "purchase_fit", "weight": 10, "low": 1, "high": 5},
    ],
    "key_min": 60,
    "general_min": 35,
    "strategic_min": 75,
    "value_min": 45,
}


# --- storage ------------------------------------------------------------------------------------------


class CriteriaIn(Record):
    """A stored criteria set; `definition` and `agreed_by` are JSON text."""

    number: int = Field(ge=1)
    name: str = Field(min_length=1, max_length=120)
    status: Literal["draft", "active", "retired"] = "draft"
    definition: str
    agreed_by: str = "[]"
    activated_at: str | None = None
    notes: str = Field(default="", max_length=2000)

    @field_validator("definition")
    @classmethod
    def _canonical(cls, value: str) -> str:
        return parse_definition(value).model_dump_json()


class TierIn(Record):
    """One account's tier under one criteria version, with each indicator's contribution (JSON)."""

    account_id: int
    criteria_id: int
    criteria_number: int
    score: float
    tier: Literal["key", "general", "small"]
    account_type: Literal["strategic", "value", "transactional"] | None = None
    contributions: str = "[]"


def require_steward(actor: User) -> None:
    """Criteria are company-wide: administrators and executives draft and activate them."""
    if not (actor.is_admin or actor.is_executive):
        raise PermissionDenied("err.criteria_stewards_only")


def _authorize(db: Database, actor: User, account_id: int | None, action: Action) -> None:
    require_steward(actor)


CRITERIA = Entity("tiering_criteria", "tiering_criteria", CriteriaIn, account_field=None, authorize=_authorize)
TIER = Entity("account_tier", "account_tiers", TierIn, authorize=_authorize)


def list_criteria(db: Database) -> list[dict[str, Any]]:
    """Every criteria version, newest first, with agreeing names decoded."""
    found = store.rows(
        db,
        """SELECT c.*, u.display_name AS updated_by_name FROM tiering_criteria c
           LEFT JOIN users u ON u.id = c.updated_by ORDER BY c.number DESC""",
    )
    return [_decoded(r) for r in found]


def get_criteria(db: Database, criteria_id: int) -> dict[str, Any]:
    """One criteria version, or NotFoundError."""
    return _decoded(records.get(db, CRITERIA, criteria_id))


def active_criteria(db: Database) -> dict[str, Any] | None:
    """The criteria version in force, or None before the first agreement."""
    found = store.row(db, "SELECT * FROM tiering_criteria WHERE status = 'active'")
    return _decoded(found) if found else None


def _decoded(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "agreed_by": json.loads(row["agreed_by"] or "[]"), "parsed": parse_definition(row["definition"])}


def create_draft(db: Database, actor: User, name: str, definition: dict[str, Any] | None = None,
                 notes: str = "") -> dict[str, Any]:
    """Start a new draft version (by default a copy of the active set, else the default set)."""
    require_steward(actor)
    if definition is None:
        active = active_criteria(db)
        definition = active["parsed"].model_dump() if active else DEFAULT_DEFINITION
    parsed = parse_definition(definition)
    number = db.execute("SELECT coalesce(max(number), 0) + 1 FROM tiering_criteria").fetchone()[0]
    row = records.create(db, actor, CRITERIA, {"number": number, "name": name, "status": "draft",
                                               "definition": parsed.model_dump_json(), "notes": notes})
    return _decoded(row)


def update_draft(db: Database, actor: User, criteria_id: int, base_version: int, *, name: str | None = None,
                 definition: dict[str, Any] | None = None, notes: str | None = None) -> dict[str, Any]:
    """Change a draft; active and retired versions are never edited. A changed definition withdraws the
    draft's sign-offs: what they agreed to is no longer what is on the table."""
    changes: dict[str, Any] = {}
    if name is not None:
        changes["name"] = name
    if notes is not None:
        changes["notes"] = notes
    if definition is not None:
        changes["definition"] = parse_definition(definition).model_dump_json()
    with store.transaction(db):
        current = records.get(db, CRITERIA, criteria_id)
        if current["status"] != "draft":
            raise ValidationError.single("status", "reason.only_drafts_edited")
        row = records.update(db, actor, CRITERIA, criteria_id, base_version, changes)
        if "definition" in changes and changes["definition"] != current["definition"]:
            signoffs.withdraw_all(db, actor, CRITERIA.name, criteria_id, "agree")
    return _decoded(row)


def delete_draft(db: Database, actor: User, criteria_id: int, base_version: int) -> None:
    """Throw a draft away, with its sign-offs."""
    with store.transaction(db):
        current = records.get(db, CRITERIA, criteria_id)
        if current["status"] != "draft":
            raise ValidationError.single("status", "reason.only_drafts_edited")
        records.delete(db, actor, CRITERIA, criteria_id, base_version)
        signoffs.withdraw_all(db, actor, CRITERIA.name, criteria_id, "agree")


# --- scoring ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Contribution:
    """What one indicator added to an account's score."""

    key: str
    family: str
    value: float | None
    weight: float
    points: float


@dataclass(frozen=True)
class Scored:
    """An account's score, tier, type and the contributions behind them."""

    account_id: int
    score: float
    tier: str
    account_type: str | None
    contributions: tuple[Contribution, ...]


def indicator_points(ind: Indicator, value: float | None) -> float:
    """The points (0..weight) one indicator gives a value; a missing value gives none."""
    if value is None:
        return 0.0
    share = (value - ind.low) / (ind.high - ind.low)
    if not ind.higher_is_better:
        share = 1 - share
    return round(ind.weight * min(1.0, max(0.0, share)), 4)


def tier_for(score: float, definition: Definition) -> str:
    """key / general / small by the set's thresholds."""
    if score >= definition.key_min:
        return "key"
    if score >= definition.general_min:
        return "general"
    return "small"


def type_for(facts: dict[str, Any], definition: Definition) -> str | None:
    """strategic / value / transactional from the need-match fit (both 1..5), None if unassessed."""
    fits = [facts.get("value_fit"), facts.get("purchase_fit")]
    known = [f for f in fits if f is not None]
    if not known:
        return None
    need = 100 * (sum(known) / len(known) - 1) / 4
    if need >= definition.strategic_min:
        return "strategic"
    if need >= definition.value_min:
        return "value"
    return "transactional"


def score_account(account_id: int, facts: dict[str, Any], definition: Definition) -> Scored:
    """Score one account's indicator values under a criteria set."""
    contributions = tuple(
        Contribution(ind.key, INDICATORS[ind.key][0], facts.get(ind.key), ind.weight,
                     indicator_points(ind, facts.get(ind.key)))
        for ind in definition.indicators
    )
    score = round(sum(c.points for c in contributions), 2)
    return Scored(account_id, score, tier_for(score, definition), type_for(facts, definition), contributions)


def account_facts(db: Database, account_ids: list[int], years: int, last_year: int | None = None
                  ) -> dict[int, dict[str, Any]]:
    """Indicator values per account: window sums from financials, the team's assessment of fit and scale."""
    last = last_year or _last_year(db)
    out: dict[int, dict[str, Any]] = {a: {} for a in account_ids}
    sums = {} if last is None else financials.totals(db, account_ids, last - years + 1, last)
    for account_id, s in sums.items():
        latest = s.get("latest") or {}
        outstanding = latest.get("receivables_outstanding") or 0
        out[account_id].update(
            cum_revenue=s["revenue"],
            cum_profit=s["gross_profit"],
            avg_deal_size=s["revenue"] / s["deals_count"] if s["deals_count"] else None,
            margin_pct=100 * s["gross_profit"] / s["revenue"] if s["revenue"] else None,
            dso_days=latest.get("dso_days"),
            overdue_pct=100 * (latest.get("receivables_overdue") or 0) / outstanding if outstanding else None,
            deals_count=s["deals_count"],
            price_cuts=s["price_cuts"],
            best_year_revenue=s["best_year_revenue"],
            receivables_overdue=latest.get("receivables_overdue"),
            years_with_figures=s["years"],
        )
    if account_ids:
        marks = ",".join("?" for _ in account_ids)
        for r in store.rows(db, f"SELECT account_id, scale, industry_rank, value_fit, purchase_fit "
                                f"FROM account_positions WHERE account_id IN ({marks})", account_ids):
            out[r["account_id"]].update({k: v for k, v in r.items() if k != "account_id"})
    return out


def _last_year(db: Database) -> int | None:
    return db.execute("SELECT max(year) FROM account_financials").fetchone()[0]


def _all_account_ids(db: Database) -> list[int]:
    return [r[0] for r in db.execute("SELECT id FROM accounts ORDER BY name")]


def score_all(db: Database, definition: Definition, account_ids: list[int] | None = None) -> dict[int, Scored]:
    """Score every (or the given) account under a criteria set."""
    ids = _all_account_ids(db) if account_ids is None else account_ids
    facts = account_facts(db, ids, definition.years)
    return {a: score_account(a, facts[a], definition) for a in ids}


# --- preview and activation ---------------------------------------------------------------------------


def preview(db: Database, actor: User, criteria_id: int) -> list[dict[str, Any]]:
    """Per readable account: its tier now and under this version, and the indicators that moved it most."""
    draft = get_criteria(db, criteria_id)
    ids = permissions.readable_account_ids(db, actor)

    def compute(missing: list[int]) -> dict[int, dict[str, Any]]:
        new = score_all(db, draft["parsed"], missing)
        current = assignments(db, missing)
        names = {r["id"]: r["name"] for r in store.rows(
            db, "SELECT id, name FROM accounts WHERE id IN (SELECT value FROM json_each(?))", [json.dumps(missing)])}
        found = {}
        for account_id in missing:
            before = current.get(account_id)
            after = new[account_id]
            old_points = {c["key"]: c["points"] for c in (before["contributions"] if before else [])}
            new_points = {c.key: c.points for c in after.contributions}
            deltas = sorted(
                ((k, round(new_points.get(k, 0) - old_points.get(k, 0), 2)) for k in set(old_points) | set(new_points)),
                key=lambda kv: -abs(kv[1]),
            )
            found[account_id] = {
                "account_id": account_id,
                "name": names[account_id],
                "tier_before": before["tier"] if before else None,
                "score_before": before["score"] if before else None,
                "tier_after": after.tier,
                "score_after": after.score,
                "type_after": after.account_type,
                "changes": bool(before is None or before["tier"] != after.tier),
                "drivers": [kv for kv in deltas if kv[1]][:3],
            }
        return found

    # each account's row is kept per account data version, under this draft's version and the latest year with
    # figures (the scoring window ends there, whichever account's figures set it): a write re-scores its account
    rows = data_cache.per_account(db, "tiering.preview", ids, compute,
                                  key=(criteria_id, draft["version"], _last_year(db)))
    out = [rows[a] for a in ids]
    out.sort(key=lambda r: (not r["changes"], -r["score_after"]))
    return out


MIN_AGREEING = 2


def may_agree(db: Database, actor: User) -> bool:
    """Criteria are agreed by those who live with them: admins, executives, and anyone who edits an account."""
    if actor.is_admin or actor.is_executive:
        return True
    marks = ",".join("?" for _ in permissions.EDITING_ROLES)
    return db.execute(f"SELECT 1 FROM account_team WHERE user_id = ? AND role IN ({marks}) LIMIT 1",
                      [actor.id, *permissions.EDITING_ROLES]).fetchone() is not None


def _may_sign(db: Database, actor: User, criteria_id: int, purpose: str) -> None:
    """A draft is agreed (never 'reviewed') by those `may_agree` names."""
    current = records.get(db, CRITERIA, criteria_id)
    if purpose != "agree" or not may_agree(db, actor):
        raise PermissionDenied("err.criteria_agree_who")
    if current["status"] != "draft":
        raise ValidationError.single("status", "reason.only_drafts_agreed")


def _may_withdraw(db: Database, actor: User, criteria_id: int, purpose: str) -> None:
    """Those who change a draft (the stewards) withdraw what was agreed to it."""
    require_steward(actor)


signoffs.register(CRITERIA.name, signoffs.Subject(lambda db, criteria_id: None, _may_sign, _may_withdraw))


def agree(db: Database, actor: User, criteria_id: int, comment: str = "") -> dict[str, Any]:
    """`actor` records, for themselves, that they agree with a draft (once; only a draft can be agreed)."""
    return signoffs.sign(db, actor, CRITERIA.name, criteria_id, "agree", comment=comment)


def agreements(db: Database, criteria_id: int) -> list[dict[str, Any]]:
    """The recorded sign-offs on a criteria version: who (`name`), when (`signed_at`), `comment`; oldest first."""
    return signoffs.list_signoffs(db, CRITERIA.name, criteria_id, "agree")


def activate(db: Database, actor: User, criteria_id: int, base_version: int) -> dict[str, Any]:
    """Put a draft in force once enough people have signed off; retire the old set; re-tier every account."""
    require_steward(actor)
    with store.transaction(db):
        current = records.get(db, CRITERIA, criteria_id)
        if current["status"] != "draft":
            raise ValidationError.single("status", "reason.only_drafts_activated")
        names = [s["name"] for s in agreements(db, criteria_id)]
        if len(names) < MIN_AGREEING:
            raise ValidationError.single("agreed_by", "reason.agreement_needs", min=MIN_AGREEING,
                                         count=len(names))
        old = active_criteria(db)
        if old:
            records.update(db, actor, CRITERIA, old["id"], old["version"], {"status": "retired"})
        row = records.update(db, actor, CRITERIA, criteria_id, base_version, {
            "status": "active", "agreed_by": json.dumps(names, ensure_ascii=False),
            "activated_at": clock.now_iso(),
        })
        _retier(db, actor, _decoded(row))
    return get_criteria(db, criteria_id)


def retier(db: Database, actor: User) -> int:
    """Re-score every account under the active version (after new figures); returns how many changed."""
    require_steward(actor)
    active = active_criteria(db)
    if active is None:
        raise NotFoundError("err.no_active_criteria")
    with store.transaction(db):
        return _retier(db, actor, active)


def _retier(db: Database, actor: User, criteria: dict[str, Any]) -> int:
    scored = score_all(db, criteria["parsed"])
    existing = {r["account_id"]: r for r in store.rows(db, "SELECT * FROM account_tiers")}
    changed = 0
    for account_id, s in scored.items():
        values = {
            "account_id": account_id, "criteria_id": criteria["id"], "criteria_number": criteria["number"],
            "score": s.score, "tier": s.tier, "account_type": s.account_type,
            "contributions": json.dumps([c.__dict__ for c in s.contributions], ensure_ascii=False),
        }
        row = existing.get(account_id)
        if row is None:
            records.create(db, actor, TIER, values)
            changed += 1
        else:
            before = row["tier"]
            records.update(db, actor, TIER, row["id"], row["version"],
                           {k: v for k, v in values.items() if k != "account_id"})
            changed += before != s.tier
    return changed


def assignments(db: Database, account_ids: list[int] | None = None) -> dict[int, dict[str, Any]]:
    """Stored tier assignments by account, contributions decoded."""
    if account_ids is not None and not account_ids:
        return {}
    where, params = "", []
    if account_ids is not None:
        where = f"WHERE account_id IN ({','.join('?' for _ in account_ids)})"
        params = list(account_ids)
    found = store.rows(db, f"SELECT * FROM account_tiers {where}", params)
    return {r["account_id"]: {**r, "contributions": json.loads(r["contributions"])} for r in found}


def get_assignment(db: Database, actor: User, account_id: int) -> dict[str, Any] | None:
    """An account's tier, the criteria version that gave it, and each indicator's contribution."""
    permissions.require_read(db, actor, account_id)
    return assignments(db, [account_id]).get(account_id)
