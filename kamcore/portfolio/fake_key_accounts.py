"""Fake key accounts (假大户, D1): flagged with the numbers behind them, not celebrated.

- one-off bulk buyer: most of the window's revenue fell in one year, over very few deals;
- high volume, thin margin: a big revenue with a gross margin at or below the floor;
- squeezer (扒皮大户): enough of — long collection period, a large overdue share,
  repeated price cuts.

Thresholds live in the active criteria set (`tiering.FlagThresholds`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database

from kamcore import permissions
from kamcore.portfolio import tiering
from kamcore.portfolio.tiering import Definition, FlagThresholds
from kamcore.users import User

KINDS = ("one_off", "thin_margin", "squeezer")


@dataclass(frozen=True)
class Flag:
    """One fake-key-account flag and the figures (with their thresholds) that raised it."""

    kind: str
    numbers: dict[str, Any] = field(default_factory=dict)
    currency: str | None = None  # the account's currency: the amounts among `numbers` (MONEY_NUMBERS) are in it


MONEY_NUMBERS = ("cum_revenue", "limit_revenue")  # the amounts among a flag's numbers


def flags_for(facts: dict[str, Any], limits: FlagThresholds, currency: str | None = None) -> list[Flag]:
    """The flags one account's window figures raise (see `tiering.account_facts` for the keys); `currency` is
    the account's, which the amounts are in."""
    out: list[Flag] = []
    revenue = facts.get("cum_revenue") or 0
    if revenue > 0 and (facts.get("years_with_figures") or 0) >= 2:
        best_share = 100 * (facts.get("best_year_revenue") or 0) / revenue
        deals = facts.get("deals_count") or 0
        if best_share >= limits.one_off_share_pct and deals <= limits.one_off_max_deals:
            out.append(Flag("one_off", {"best_year_share_pct": round(best_share, 1), "deals_count": deals,
                                        "limit_share_pct": limits.one_off_share_pct,
                                        "limit_deals": limits.one_off_max_deals}))
    margin = facts.get("margin_pct")
    if revenue >= limits.high_volume_revenue and margin is not None and margin <= limits.thin_margin_pct:
        out.append(Flag("thin_margin", {"cum_revenue": round(revenue, 2), "margin_pct": round(margin, 1),
                                        "limit_revenue": limits.high_volume_revenue,
                                        "limit_margin_pct": limits.thin_margin_pct}, currency))
    signals: dict[str, Any] = {}
    dso = facts.get("dso_days")
    if dso is not None and dso >= limits.squeezer_dso_days:
        signals.update(dso_days=round(dso, 1), limit_dso_days=limits.squeezer_dso_days)
    overdue = facts.get("overdue_pct")
    if overdue is not None and overdue >= limits.squeezer_overdue_pct:
        signals.update(overdue_pct=round(overdue, 1), limit_overdue_pct=limits.squeezer_overdue_pct)
    cuts = facts.get("price_cuts") or 0
    if cuts >= limits.squeezer_price_cuts:
        signals.update(price_cuts=cuts, limit_price_cuts=limits.squeezer_price_cuts)
    count = sum(1 for k in ("dso_days", "overdue_pct", "price_cuts") if k in signals)
    if count >= limits.squeezer_min_signals:
        out.append(Flag("squeezer", {**signals, "signals": count}))
    return out


def definition_in_force(db: Database) -> Definition:
    """The active criteria set, or the default set before anything is agreed."""
    active = tiering.active_criteria(db)
    return active["parsed"] if active else tiering.parse_definition(tiering.DEFAULT_DEFINITION)


def flags_by_account(db: Database, actor: User, definition: Definition | None = None) -> dict[int, list[Flag]]:
    """Flags for every account the actor can read, under the given (default: active) criteria."""
    rules = definition or definition_in_force(db)
    ids = permissions.readable_account_ids(db, actor)
    facts = tiering.account_facts(db, ids, rules.years)
    currencies = account_currencies(db, ids)
    return {a: flags_for(facts[a], rules.flags, currencies.get(a)) for a in ids}


def account_currencies(db: Database, account_ids: list[int]) -> dict[int, str]:
    """Each account's currency."""
    if not account_ids:
        return {}
    marks = ",".join("?" for _ in account_ids)
    return dict(db.execute(f"SELECT id, currency FROM accounts WHERE id IN ({marks})", account_ids).fetchall())
