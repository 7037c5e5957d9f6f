"""The portfolio overview: one row per account, assembled from what the war room already knows.

Columns: tier and type (tiering), the year's revenue, margin and DSO (financials),
fake-key-account flags, grid priority and posture (positioning), and from the other
features the revenue goal reached, open deals and weighted pipeline, relationship
level and open deal-health flags. A figure with no data behind it is absent from the
row, never filled with a placeholder.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlite_utils import Database

from kamcore import clock, data_cache, money, permissions, store
from kamcore.decision_chain import coverage, scale
from kamcore.learning import rules
from kamcore.pipeline import opportunities
from kamcore.plan import goals, scorecard
from kamcore.portfolio import fake_key_accounts, financials, positioning, tiering
from kamcore.read_models import AccountCard
from kamcore.relationships import health
from kamcore.users import User


def overview(db: Database, actor: User, year: int | None = None,
             account_ids: list[int] | None = None) -> list[dict[str, Any]]:
    """One row per readable account for `year` (default: the latest year with figures), by name; with
    `account_ids` (e.g. one page from `page_ids`) only those readable accounts, in that order."""
    readable = permissions.readable_account_ids(db, actor)
    if account_ids is None:
        ids = readable
    else:
        allowed = set(readable)
        ids = list(dict.fromkeys(a for a in account_ids if a in allowed))
    if not ids:
        return []
    marks = ",".join("?" for _ in ids)
    found = {r["id"]: r for r in store.rows(
        db, f"SELECT id, name, industry, region, status, currency FROM accounts WHERE id IN ({marks})", ids)}
    accounts = [found[a] for a in ids if a in found]  # readable ids come by name
    known_years = financials.years(db)
    year = year if year is not None else (known_years[0] if known_years else None)
    figures = {}
    if year is not None:
        figures = {r["account_id"]: financials.with_ratios(r) for r in store.rows(
            db, f"SELECT * FROM account_financials WHERE year = ? AND account_id IN ({marks})", [year, *ids])}
    tiers = tiering.assignments(db, ids)
    definition = fake_key_accounts.definition_in_force(db)
    facts = tiering.account_facts(db, ids, definition.years)
    currencies = fake_key_accounts.account_currencies(db, ids)
    flags = {a: fake_key_accounts.flags_for(facts[a], definition.flags, currencies.get(a)) for a in ids}  # as flags_by_account
    grid = {r["account_id"]: r for r in positioning.grid(db, actor) if r["account_id"] in facts}
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
            "currency": account["currency"],
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


PAGE_SIZE = 25
# sort keys of `page_ids`: SQL expressions over accounts a, account_tiers t, account_financials f
SORTS = {
    "name": "a.name COLLATE NOCASE",
    "status": "a.status",
    "tier": "CASE t.tier WHEN 'key' THEN 0 WHEN 'general' THEN 1 WHEN 'small' THEN 2 END",
    "score": "t.score",
    "revenue": "f.revenue",
    "gross_profit": "f.gross_profit",
}


def page_ids(db: Database, actor: User, *, sort: str = "name", descending: bool = False, limit: int = PAGE_SIZE,
             offset: int = 0, year: int | None = None, tiers: list[str] | None = None,
             types: list[str] | None = None, only: list[int] | None = None) -> tuple[list[int], int]:
    """One page of the readable accounts, sorted and paged in SQL: (account ids in order, how many match).
    Empty values sort last either way; ties go by name. `only` keeps just those accounts (a filter computed
    elsewhere, e.g. the flagged ones)."""
    if sort not in SORTS:
        raise ValueError(f"unknown sort {sort!r}")
    ids = permissions.readable_account_ids(db, actor)
    if only is not None:
        keep = set(only)
        ids = [a for a in ids if a in keep]
    if not ids:
        return [], 0
    if year is None:
        known = financials.years(db)
        year = known[0] if known else None
    where, params = ["a.id IN (SELECT value FROM json_each(?))"], [json.dumps(ids)]
    if tiers:
        where.append("t.tier IN (SELECT value FROM json_each(?))")
        params.append(json.dumps(list(tiers)))
    if types:
        where.append("t.account_type IN (SELECT value FROM json_each(?))")
        params.append(json.dumps(list(types)))
    body = (f"FROM accounts a LEFT JOIN account_tiers t ON t.account_id = a.id "
            f"LEFT JOIN account_financials f ON f.account_id = a.id AND f.year = ? WHERE {' AND '.join(where)}")
    total = db.execute(f"SELECT count(*) {body}", [year, *params]).fetchone()[0]
    if limit > 0 and offset >= total:
        offset = max(0, (total - 1) // limit * limit)  # past the end (a filter shrank the list): the last page
    key = SORTS[sort]
    found = db.execute(
        f"SELECT a.id {body} ORDER BY ({key}) IS NULL, {key} {'DESC' if descending else 'ASC'}, "
        f"a.name COLLATE NOCASE, a.id LIMIT ? OFFSET ?", [year, *params, max(limit, 0), max(offset, 0)]).fetchall()
    return [r[0] for r in found], total


def names(db: Database, actor: User, account_ids: list[int]) -> dict[int, str]:
    """{account id: name} of those accounts the actor can read."""
    allowed = set(permissions.readable_account_ids(db, actor))
    ids = [a for a in account_ids if a in allowed]
    return {r[0]: r[1] for r in db.execute("SELECT id, name FROM accounts WHERE id IN (SELECT value FROM json_each(?))",
                                           [json.dumps(ids)]).fetchall()}


def totals(db: Database, actor: User) -> dict[str, int]:
    """Portfolio-wide counts for the headline figures: accounts, accounts at risk, open deal-health flags
    (each account's flags kept per account version: after a write only that account is re-evaluated; the sum
    is kept until the next write anywhere, so a warm view does not look up 2,000 accounts' versions)."""
    ids = permissions.readable_account_ids(db, actor)
    at_risk = db.execute("SELECT count(*) FROM accounts WHERE status = 'at_risk' AND id IN "
                         "(SELECT value FROM json_each(?))", [json.dumps(ids)]).fetchone()[0]

    def open_flags() -> int:
        counts = rules.flag_counts(db, actor, ids)
        return sum(c["open"] for c in counts.values() if c["total"])

    return {"accounts": len(ids), "at_risk": at_risk,
            "risk_flags": data_cache.cached(db, "overview.open_flags", tuple(ids), open_flags)}


FEATURE_COLUMNS = ("revenue_goal", "goal_reached_pct", "open_deals", "pipeline_weighted", "relationship_level",
                   "supportive", "risk_flags", "health_score")
MONEY_COLUMNS = ("revenue", "gross_profit", "revenue_goal")  # whole units, in the row's `currency`
# columns holding {currency: amount in whole units} (a deal may be in another currency than its account)
MONEY_BY_CURRENCY_COLUMNS = ("pipeline_weighted",)  # what _extensions adds to a row when there is data behind it


def _extensions() -> list[Any]:
    """The columns that come from the other features: goals, pipeline, relationships, deal health."""
    return [_goal_columns, _pipeline_columns, _relationship_columns, _risk_columns, _health_columns]


def _health_columns(db: Database, actor: User, rows: list[dict[str, Any]], year: int | None) -> None:
    """The account health score 0–100 (`relationships.health.health_score`) of each row shown."""
    scores = health.health_scores(db, actor, [r["account_id"] for r in rows])  # kept per account
    for row in rows:
        row["health_score"] = scores[row["account_id"]]["score"]


def _goal_columns(db: Database, actor: User, rows: list[dict[str, Any]], year: int | None) -> None:
    """Full-year revenue goal and how much of it is reached: the revenue line of `goals.financial_lines`."""
    if year is None:
        return
    for row in rows:
        line = next((g for g in goals.financial_lines(db, actor, row["account_id"], year) if g["metric"] == "revenue"),
                    None)
        if line is None:
            continue
        row["revenue_goal"] = line["target"]
        if line["attainment_pct"] is not None:
            row["goal_reached_pct"] = line["attainment_pct"]


def _pipeline_columns(db: Database, actor: User, rows: list[dict[str, Any]], year: int | None) -> None:
    """Open deals and their probability-weighted value per currency: `opportunities.open_pipeline`."""
    if not rows:
        return
    pipe = opportunities.open_pipeline(db, [r["account_id"] for r in rows])["by_account"]
    for row in rows:
        found = pipe.get(row["account_id"])
        if not found:
            continue
        row["open_deals"] = found["count"]
        row["pipeline_weighted"] = {c: round(b["weighted"], 2) for c, b in sorted(found["by_currency"].items())}


def _relationship_columns(db: Database, actor: User, rows: list[dict[str, Any]], year: int | None) -> None:
    """Relationship level (the average D4 score -1..3 of the scored stakeholders) and how many people are
    supportive (`scale.stance_counts`)."""
    if not rows:
        return
    levels = {r[0]: round(r[1] / r[2], 2) for r in db.execute(
        "SELECT account_id, sum(score), count(score) FROM stakeholders "
        "WHERE account_id IN (SELECT value FROM json_each(?)) AND score IS NOT NULL GROUP BY account_id",
        [json.dumps([r["account_id"] for r in rows])]).fetchall()}
    counts = scale.stance_counts(db, [r["account_id"] for r in rows])
    for row in rows:
        if row["account_id"] in levels:
            row["relationship_level"] = levels[row["account_id"]]
        if counts[row["account_id"]]["total"]:
            row["supportive"] = counts[row["account_id"]]["supportive"]


def _risk_columns(db: Database, actor: User, rows: list[dict[str, Any]], year: int | None) -> None:
    """Deal-health flags raised by the rules and not yet acknowledged."""
    counts = rules.flag_counts(db, actor, [r["account_id"] for r in rows])
    for row in rows:
        found = counts.get(row["account_id"])
        if found and found["total"]:
            row["risk_flags"] = found["open"]


def portfolio_totals(db: Database, actor: User, year: int | None) -> dict[str, Any]:
    """The portfolio's revenue and weighted pipeline over every account `actor` may read, in the
    reporting currency at `year`'s rates (`money.total`): each total with the rates it used and what it
    could not convert (kept in its own currency, never dropped). Grouped in SQL, so a paged list of
    2,000 accounts still totals all of them without building their rows."""
    ids = permissions.readable_account_ids(db, actor)
    marks = ",".join("?" for _ in ids)
    revenues = [] if year is None or not ids else db.execute(
        f"""SELECT f.account_id, f.revenue, a.currency FROM account_financials f JOIN accounts a ON a.id = f.account_id
            WHERE f.year = ? AND f.revenue IS NOT NULL AND f.account_id IN ({marks})""", [year, *ids]).fetchall()
    revenue = money.total(db, [(amount, currency) for _, amount, currency in revenues], year)
    pipe = opportunities.open_pipeline(db, ids)
    weighted = money.total(db, [(b["weighted"], c) for c, b in pipe["by_currency"].items()], year)
    per_account = {}
    for account_id, amount, currency in revenues:  # each account's revenue in the reporting currency
        one = money.total(db, [(amount, currency)], year)
        per_account[account_id] = None if one.unconverted else one.amount  # None: no rate, shown unconverted
    return {"year": year, "currency": revenue.currency, "revenue": revenue.as_dict(),
            "pipeline_weighted": weighted.as_dict(), "revenue_reporting": per_account}


def account_card(db: Database, actor: User, account_id: int) -> AccountCard:
    """Everything the walk-through shows for one account: who it is, why it is (or is not) a key
    account, how it is doing, where it is at risk, and the chosen strategy."""
    permissions.require_read(db, actor, account_id)
    account = store.row(db, "SELECT id, name, industry, region, status, notes, currency FROM accounts WHERE id = ?",
                        [account_id])
    definition = fake_key_accounts.definition_in_force(db)
    facts = tiering.account_facts(db, [account_id], definition.years)[account_id]
    card = {
        **account,
        "tier": tiering.get_assignment(db, actor, account_id),
        "financials": financials.list_financials(db, actor, account_id),
        "flags": fake_key_accounts.flags_for(facts, definition.flags, account["currency"]),
        "position": positioning.get_position(db, actor, account_id),
        "facts": facts,
    }
    for extend in _card_extensions():
        extend(db, actor, card)
    return card


def _card_extensions() -> list[Any]:
    """Per-account figures from the other capabilities: goals vs actuals, pipeline, relationships, deal health."""
    return [_card_goals, _card_pipeline, _card_relationships, _card_health, _card_health_score]


def _card_health_score(db: Database, actor: User, card: dict[str, Any]) -> None:
    """The account health score with its components (the same function as the relationships page)."""
    card["health_score"] = health.health_score(db, actor, card["id"])


CLOSING_SOON_DAYS = 60  # a deal "closes soon" when its expected close is at most this many days away (or past)
TOP = 3  # how many deal-health flags, coverage flags and closing deals a walk-through screen names


def _card_goals(db: Database, actor: User, card: dict[str, Any]) -> None:
    """This year's full-year financial goals (`goals.financial_lines`), the balanced-scorecard score, and the
    header's revenue figure: the financials of the goal year (else the latest year) — the same row the
    revenue goal's actual is measured from, so header and "Goals vs actuals" agree."""
    year = clock.today().year
    lines = goals.financial_lines(db, actor, card["id"], year)
    count = db.execute("SELECT count(*) FROM goals WHERE account_id = ? AND year = ? AND quarter IS NULL",
                       [card["id"], year]).fetchone()[0]
    card["goals"] = {"year": year, "count": count, "lines": lines,
                     "score": scorecard.scorecard(db, actor, card["id"], year).score if count else None}
    figures = card["financials"]
    header = next((f for f in figures if f["year"] == year), figures[0] if figures else None)
    card["revenue"] = None if header is None else {"year": header["year"], "amount": header["revenue"],
                                                   "currency": card["currency"]}


def _card_pipeline(db: Database, actor: User, card: dict[str, Any]) -> None:
    """Open deals: how many, unweighted and probability-weighted sums per currency, and the deals closing soon."""
    today = clock.today()
    soon_until = today + timedelta(days=CLOSING_SOON_DAYS)
    pipe = opportunities.open_pipeline(db, [card["id"]])
    soon = opportunities.open_pipeline(db, [card["id"]], period_end=soon_until)
    closing = []
    if soon["count"]:
        deals = opportunities.list_opportunities(db, actor, card["id"], status="open")
        closing = sorted((d for d in deals if d["expected_close"] and str(d["expected_close"])[:10] <= str(soon_until)),
                         key=lambda d: (str(d["expected_close"]), -(d["amount"] or 0)))
    card["pipeline"] = {
        "count": pipe["count"],
        "by_currency": {c: {"amount": round(b["amount"], 2), "weighted": round(b["weighted"], 2), "count": b["count"]}
                        for c, b in sorted(pipe["by_currency"].items())},
        "closing_days": CLOSING_SOON_DAYS,
        "closing_count": soon["count"],
        "closing": [{"id": d["id"], "name": d["name"], "amount": d["amount"], "currency": d["currency"],
                     "expected_close": str(d["expected_close"])[:10], "stage": d["stage"],
                     "stage_name_en": d.get("stage_name_en"), "stage_name_zh": d.get("stage_name_zh"),
                     "win_probability": d["win_probability"],
                     "overdue": str(d["expected_close"])[:10] < today.isoformat()} for d in closing[:TOP]],
    }


def _card_relationships(db: Database, actor: User, card: dict[str, Any]) -> None:
    """Relationship level (average D4 score −1..3 of the scored stakeholders), how many people are mapped and
    supportive (`scale.stance_counts`, the same count as the relationship map), and the decision-chain
    coverage flags (most severe first)."""
    counts = scale.stance_counts(db, [card["id"]])[card["id"]]
    scored, average = db.execute(
        "SELECT count(score), avg(score) FROM stakeholders WHERE account_id = ?", [card["id"]]).fetchone()
    flags = coverage.account_flags(db, card["id"]) if counts["total"] else []
    card["relationships"] = {
        "people": counts["total"], "scored": scored, "supportive": counts["supportive"], "stances": counts,
        "average": round(average, 2) if average is not None else None,
        "coverage_flags": flags[:TOP], "coverage_flag_count": len(flags),
    }


def _card_health(db: Database, actor: User, card: dict[str, Any]) -> None:
    """Deal-health flags of the account and its open deals (rule and lesson): counts and the top ones,
    not-yet-acknowledged and most severe first."""
    flags = rules.flags_for_account(db, actor, card["id"])
    card["health"] = {
        "total": len(flags),
        "open": sum(f.acknowledged is None for f in flags),
        "top": flags[:TOP],
    }


def walk_order(db: Database, actor: User) -> list[int]:
    """The default walk-through: every account the actor may read, the top accounts first — by tier (key,
    general, small, untiered), then by the latest year's revenue in the reporting currency, highest first
    (an account without figures, or without a rate, after those with; then by name). An import that adds
    untiered accounts never puts them ahead of the key accounts."""
    ids = permissions.readable_account_ids(db, actor)
    tiers = tiering.assignments(db, ids)
    rank = {"key": 0, "general": 1, "small": 2}
    latest = financials.years(db)
    revenue = portfolio_totals(db, actor, latest[0])["revenue_reporting"] if latest else {}
    names = {r[0]: r[1] for r in db.execute("SELECT id, name FROM accounts")}
    return sorted(ids, key=lambda a: (rank.get((tiers.get(a) or {}).get("tier"), 3), revenue.get(a) is None,
                                      -(revenue.get(a) or 0), names.get(a, "")))


def parse_order(raw: str | None, allowed: list[int]) -> list[int]:
    """Account ids from a URL's `order=3,7,12`, keeping only readable ones, in the given order."""
    out: list[int] = []
    for part in (raw or "").split(","):
        part = part.strip()
        if part.isdigit() and int(part) in allowed and int(part) not in out:
            out.append(int(part))
    return out
