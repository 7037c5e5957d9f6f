"""Pareto / ABC (D1): cumulative revenue and profit curves, ABC classes, the share of the top 20%."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from kamcore import permissions, store
from kamcore.users import User

A_CUT = 80.0
B_CUT = 95.0


@dataclass(frozen=True)
class ParetoRow:
    """One account on the curve: its value, cumulative share, rank share and class."""

    account_id: int
    name: str
    value: float
    share_pct: float
    cumulative_pct: float
    rank_pct: float
    abc: str


def pareto_table(values: list[tuple[int, str, float]], a_cut: float = A_CUT, b_cut: float = B_CUT
                 ) -> list[ParetoRow]:
    """Sort by value (largest first) and classify: A while the share before the account is below `a_cut`, etc.

    An account belongs to A if it is needed to reach `a_cut`% of the total, to B if needed to reach `b_cut`%.
    """
    ordered = sorted(values, key=lambda v: (-v[2], v[1]))
    total = sum(v[2] for v in ordered)
    out: list[ParetoRow] = []
    running = 0.0
    n = len(ordered)
    for rank, (account_id, name, value) in enumerate(ordered, start=1):
        before = 100 * running / total if total > 0 else 100.0
        running += value
        cumulative = 100 * running / total if total > 0 else 0.0
        abc = "A" if before < a_cut else "B" if before < b_cut else "C"
        out.append(ParetoRow(account_id, name, value, round(100 * value / total, 2) if total > 0 else 0.0,
                             round(cumulative, 2), round(100 * rank / n, 2), abc))
    return out


def top_share(rows: list[ParetoRow], top_pct: float = 20.0) -> float | None:
    """The share of the total brought by the top `top_pct`% of accounts (at least one account)."""
    if not rows:
        return None
    count = max(1, math.ceil(len(rows) * top_pct / 100 - 1e-9))
    total = sum(r.value for r in rows)
    return round(100 * sum(r.value for r in rows[:count]) / total, 1) if total > 0 else None


def portfolio_pareto(db: Database, actor: User, year: int, measure: str = "revenue") -> list[ParetoRow]:
    """The Pareto table over the accounts the actor can read, for one year's revenue or gross profit."""
    if measure not in ("revenue", "gross_profit"):
        raise ValueError(measure)
    ids = permissions.readable_account_ids(db, actor)
    if not ids:
        return []
    marks = ",".join("?" for _ in ids)
    found = store.rows(
        db,
        f"""SELECT a.id, a.name, f.{measure} AS value FROM account_financials f JOIN accounts a ON a.id = f.account_id
            WHERE f.year = ? AND a.id IN ({marks})""",
        [year, *ids],
    )
    return pareto_table([(r["id"], r["name"], float(r["value"])) for r in found])


def as_records(rows: list[ParetoRow]) -> list[dict[str, Any]]:
    """Rows as dicts (for tables and charts)."""
    return [r.__dict__.copy() for r in rows]
