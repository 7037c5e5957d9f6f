"""Pipeline coverage (D3): does this period's pipeline cover this period's goal, per product line?

The goal is the sum of the period's order-intake goals numbered against a product line;
the pipeline is the account's open opportunities (not leads) expected to close in the
period, unweighted and weighted by probability (the deal's own, else its stage default),
plus what was already won in the period. Coverage = (won + weighted open) / goal.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlite_utils import Database

from kamcore import permissions, store
from kamcore.pipeline.stage_model import STAGE_JOIN, WEIGHTED_AMOUNT_SQL
from kamcore.users import User


def period_bounds(year: int, quarter: int | None = None) -> tuple[str, str]:
    """First and last day of a year or one of its quarters, as ISO dates."""
    if quarter is None:
        return date(year, 1, 1).isoformat(), date(year, 12, 31).isoformat()
    first = date(year, 3 * quarter - 2, 1)
    last = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return first.isoformat(), date.fromordinal(last.toordinal() - 1).isoformat()


def won_orders(db: Database, account_id: int, year: int, quarter: int | None = None) -> dict[int, float]:
    """Orders won in the period, per product line: the amounts (whole units, as stored) of the account's
    won opportunities closed in the period. THE "won" figure of pipeline coverage and of the orders
    goals' actual (docs/figures.md)."""
    start, end = period_bounds(year, quarter)
    return {line: amount or 0.0 for line, amount in db.execute(
        """SELECT o.product_line_id, sum(o.amount) FROM opportunities o
           WHERE o.account_id = ? AND o.kind = 'opportunity' AND o.status = 'won'
             AND substr(o.closed_on, 1, 10) BETWEEN ? AND ?
           GROUP BY o.product_line_id""", [account_id, start, end]).fetchall()}


def pipeline_coverage(db: Database, actor: User, account_id: int, year: int,
                      quarter: int | None = None) -> list[dict[str, Any]]:
    """Per product line with an order goal in the period: goal, won, open and weighted pipeline, coverage."""
    permissions.require_read(db, actor, account_id)
    start, end = period_bounds(year, quarter)
    rows = store.rows(
        db,
        f"""WITH goal AS (
               SELECT product_line_id, sum(target) AS goal FROM goals
               WHERE account_id = ? AND year = ? AND quarter IS ? AND metric = 'orders'
                 AND product_line_id IS NOT NULL
               GROUP BY product_line_id),
           deals AS (
               SELECT o.product_line_id, sum(o.amount) AS open_amount, sum({WEIGHTED_AMOUNT_SQL}) AS weighted_amount
               FROM opportunities o {STAGE_JOIN}
               WHERE o.account_id = ? AND o.kind = 'opportunity' AND o.status = 'open'
                 AND o.expected_close BETWEEN ? AND ?
               GROUP BY o.product_line_id)
           SELECT p.code AS product_line_code, g.product_line_id, g.goal,
                  coalesce(d.open_amount, 0) AS open_amount, coalesce(d.weighted_amount, 0) AS weighted_amount
           FROM goal g JOIN product_lines p ON p.id = g.product_line_id
           LEFT JOIN deals d ON d.product_line_id = g.product_line_id
           ORDER BY p.code""",
        [account_id, year, quarter, account_id, start, end],
    )
    won = won_orders(db, account_id, year, quarter)
    for row in rows:
        row["won_amount"] = won.get(row["product_line_id"], 0.0)
        row["coverage"] = (row["won_amount"] + row["weighted_amount"]) / row["goal"] if row["goal"] else None
    return rows
