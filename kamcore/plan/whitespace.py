"""The portfolio whitespace page at any size: headline figures aggregated in SQL, and one page of
accounts (sorted and paged in SQL) whose account × product-line cells are the only ones computed.

At 2,000 accounts × 6 product lines the full matrix is 12,000 cells; an executive reads the top of it.
`page` picks the accounts of one page in the database (sorted by their total potential, total gap,
average current share or name) and asks `share_plans.whitespace` — the one function that computes a
cell — for those accounts only, so a cell on screen is exactly the cell the full matrix would hold.
`summary` gives the headline figures over every readable account without building a cell.
"""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database

from kamcore import clock, money, permissions
from kamcore.plan import share_plans
from kamcore.plan.share_plans import _FINAL, _POTENTIAL
from kamcore.users import User

PAGE_SIZE = 25
# sort keys of `page`: SQL over the per-account aggregate w (plans on active lines) and accounts a
SORTS = {
    "potential": "w.potential",
    "gap": "w.gap",
    "current_share": "w.current_share",
    "name": "a.name COLLATE NOCASE",
}

_PER_ACCOUNT = f"""SELECT s.account_id, count(*) AS plans, sum({_POTENTIAL}) AS potential,
                          sum({_FINAL} - s.current_share) AS gap, avg(s.current_share) AS current_share,
                          sum(s.current_share = 0) AS breakthroughs
                   FROM share_plans s JOIN product_lines p ON p.id = s.product_line_id AND p.active = 1
                   WHERE s.account_id IN (SELECT value FROM json_each(?))
                   GROUP BY s.account_id"""


def summary(db: Database, actor: User) -> dict[str, Any]:
    """Over every account `actor` may read: accounts, active product lines, cells (accounts × lines), cells
    with a plan, breakthrough plans (current share 0), cells without a plan, accounts with a plan and the
    total potential — the figures `share_plans.whitespace` would give summed over all its cells. Potential is in
    each account's currency, so its total is `money.total` (the reporting currency at this year's rates, with
    what had no rate kept apart), never a sum of CNY and USD."""
    ids = permissions.readable_account_ids(db, actor)
    lines = db.execute("SELECT count(*) FROM product_lines WHERE active = 1").fetchone()[0]
    planned, breakthroughs, with_plan = db.execute(
        f"SELECT coalesce(sum(plans), 0), coalesce(sum(breakthroughs), 0), count(*) FROM ({_PER_ACCOUNT})",
        [json.dumps(ids)]).fetchone()
    by_currency = db.execute(
        f"SELECT sum(w.potential), a.currency FROM ({_PER_ACCOUNT}) w JOIN accounts a ON a.id = w.account_id "
        f"GROUP BY a.currency", [json.dumps(ids)]).fetchall()
    cells = len(ids) * lines
    return {"accounts": len(ids), "lines": lines, "cells": cells, "planned": planned,
            "breakthroughs": breakthroughs, "unplanned": cells - planned, "accounts_with_plan": with_plan,
            "potential": money.total(db, by_currency, clock.today().year).as_dict()}


def page(db: Database, actor: User, *, sort: str = "potential", descending: bool = True,
         planned_only: bool = False, limit: int = PAGE_SIZE, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """One page of readable accounts, sorted and paged in SQL, as whitespace cells (`share_plans.whitespace`,
    accounts in page order, lines by code), and how many accounts match. Accounts without a plan sort after
    those with one on every figure; ties go by name. `planned_only` keeps the accounts with at least one plan
    on an active line. An offset past the end gives the last page."""
    if sort not in SORTS:
        raise ValueError(f"unknown sort {sort!r}")
    ids = permissions.readable_account_ids(db, actor)
    if not ids:
        return [], 0
    params: list[Any] = [json.dumps(ids), json.dumps(ids)]
    body = (f"FROM accounts a LEFT JOIN ({_PER_ACCOUNT}) w ON w.account_id = a.id "
            f"WHERE a.id IN (SELECT value FROM json_each(?)){' AND w.plans > 0' if planned_only else ''}")
    total = db.execute(f"SELECT count(*) {body}", params).fetchone()[0]
    if limit > 0 and offset >= total:
        offset = max(0, (total - 1) // limit * limit)
    key = SORTS[sort]
    order = [a for (a,) in db.execute(
        f"SELECT a.id {body} ORDER BY ({key}) IS NULL, {key} {'DESC' if descending else 'ASC'}, "
        f"a.name COLLATE NOCASE, a.id LIMIT ? OFFSET ?", [*params, max(limit, 0), max(offset, 0)]).fetchall()]
    if not order:
        return [], total
    rank = {a: i for i, a in enumerate(order)}
    cells = share_plans.whitespace(db, actor, order)
    return sorted(cells, key=lambda c: (rank[c["account_id"]], c["product_line_code"])), total
