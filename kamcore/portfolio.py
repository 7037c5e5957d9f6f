"""The portfolio overview: one row per account, assembled from what the war room already knows.

Columns come only from data that exists: tier and type (tiering), the year's
revenue, margin and DSO (financials), fake-key-account flags, grid priority and
posture (positioning). Figures owned by other capabilities (goals, pipeline,
relationship level, deal-health flags) are added when their modules provide them;
otherwise the column is absent, never filled with placeholders.
"""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from kamcore import fake_accounts, financials, permissions, positioning, store, tiering
from kamcore.users import User


def overview(db: Database, actor: User, year: int | None = None) -> list[dict[str, Any]]:
    """One row per readable account for `year` (default: the latest year with figures)."""
    ids = permissions.readable_account_ids(db, actor)
    if not ids:
        return []
    marks = ",".join("?" for _ in ids)
    accounts = store.rows(db, f"SELECT id, name, industry, region, status FROM accounts WHERE id IN ({marks}) "
                              "ORDER BY name", ids)
    known_years = financials.years(db)
    year = year if year is not None else (known_years[0] if known_years else None)
    figures = {}
    if year is not None:
        figures = {r["account_id"]: financials.with_ratios(r) for r in store.rows(
            db, f"SELECT * FROM account_financials WHERE year = ? AND account_id IN ({marks})", [year, *ids])}
    tiers = tiering.assignments(db, ids)
    flags = fake_accounts.flags_by_account(db, actor)
    grid = {r["account_id"]: r for r in positioning.grid(db, actor)}
    rows = []
    for account in accounts:
        a = account["id"]
        tier = tiers.get(a)
        fig = figures.get(a)
        pos = grid.get(a)
        rows.append({
            "account_id": a,
            "name": account["name"],
            "industry": account["industry"],
            "status": account["status"],
            "tier": tier["tier"] if tier else None,
            "account_type": tier["account_type"] if tier else None,
            "score": tier["score"] if tier else None,
            "criteria_number": tier["criteria_number"] if tier else None,
            "revenue": fig["revenue"] if fig else None,
            "gross_profit": fig["gross_profit"] if fig else None,
            "margin_pct": fig["margin_pct"] if fig else None,
            "dso_days": fig["dso_days"] if fig else None,
            "obtainable_share": pos["obtainable_share"] if pos else None,
            "priority": pos["priority"] if pos else None,
            "chosen_posture": pos["chosen_posture"] if pos else None,
            "flags": [f.kind for f in flags.get(a, [])],
        })
    for extend in _extensions():
        extend(db, actor, rows, year)
    return rows


def _extensions() -> list[Any]:
    """Figures from capabilities that may or may not be installed (goals, pipeline, relationships, rules)."""
    return []
