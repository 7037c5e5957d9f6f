"""Pipeline analytics (D6): funnel, stage conversion, days in stage, aging, two forecasts and their backtest.

Everything is computed from the deals and their dated `stage_history`:

- funnel: open deals per stage (count, amount, weighted amount);
- conversion: of the decided deals that reached a stage, the share that went further
  (a later stage or won); deals still open in that stage are not yet decided and left out;
- days in stage: the time between entering a stage and the next move, averaged;
- aging: open deals' age, days in their current stage, overdue expected close, stale flag;
- forecasts of open deals: (1) weighted by stage probabilities (or a deal's override),
  (2) from historical conversion — the share of closed deals that, having reached the
  deal's stage, were won: the account's own rate when it has `MIN_HISTORY` such deals,
  else the team's (all accounts in scope), else the stage probability;
- backtest: each closed deal is forecast from the stage it stood in `horizon_days`
  before it closed, by both methods; the historical one only uses deals closed before
  that moment (walk-forward, no peeking). Errors: Brier score per deal, and MAE and
  bias of expected won value per month of close.

Pure functions take plain lists of dicts so hand-made fixtures can test the maths;
`load_*` functions read the database (aggregated in SQL where it can be).
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlite_utils import Database

from kamcore import clock, store
from kamcore.pipeline.stage_model import CLOSED, STAGE_JOIN, WEIGHTED_AMOUNT_SQL, effective_probability, list_stages

MIN_HISTORY = 5
STALE_FALLBACK_DAYS = 90
STALE_FACTOR = 2.0
DEFAULT_HORIZON_DAYS = 30


# ---------------------------------------------------------------- loading


def _scope(account_ids: list[int], product_line_id: int | None, alias: str = "o") -> tuple[str, list[Any]]:
    marks = ",".join("?" for _ in account_ids) or "NULL"
    where, params = f"{alias}.account_id IN ({marks})", list(account_ids)
    if product_line_id is not None:
        where += f" AND {alias}.product_line_id = ?"
        params.append(product_line_id)
    return where, params


def load_deals(db: Database, account_ids: list[int], product_line_id: int | None = None) -> list[dict[str, Any]]:
    """Deals in scope with the furthest stage position they reached (from the stage history)."""
    where, params = _scope(account_ids, product_line_id)
    return store.rows(
        db,
        f"""SELECT o.id, o.account_id, o.product_line_id, o.number, o.name, coalesce(o.amount, 0) AS amount,
                   o.currency, o.status,
                   o.stage, o.probability, o.opened_on, o.expected_close, o.closed_on, o.kind,
                   cur.position AS stage_position,
                   max(coalesce((SELECT max(s.position) FROM stage_history h JOIN stages s ON s.key = h.to_stage
                                 WHERE h.opportunity_id = o.id), -1),
                       coalesce(cur.position, -1)) AS max_position
            FROM opportunities o
            LEFT JOIN stages cur ON cur.key = o.stage
            WHERE {where}""",
        params,
    )


def load_history(db: Database, account_ids: list[int], product_line_id: int | None = None,
                 closed_only: bool = False) -> dict[int, list[tuple[str, str]]]:
    """Each deal's stage history as [(moved_at, to_stage)], oldest first."""
    where, params = _scope(account_ids, product_line_id)
    if closed_only:
        where += " AND o.status != 'open'"
    out: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for opp_id, moved_at, to_stage in db.execute(
        f"""SELECT h.opportunity_id, h.moved_at, h.to_stage FROM stage_history h
            JOIN opportunities o ON o.id = h.opportunity_id WHERE {where}
            ORDER BY h.opportunity_id, h.moved_at, h.id""",
        params,
    ).fetchall():
        out[opp_id].append((moved_at, to_stage))
    return out


# ---------------------------------------------------------------- funnel, conversion, days in stage


def funnel(db: Database, account_ids: list[int], product_line_id: int | None = None) -> list[dict[str, Any]]:
    """Open deals per active stage, in pipeline order: count, amount, weighted amount."""
    where, params = _scope(account_ids, product_line_id)
    counts = {
        r["stage"]: r
        for r in store.rows(
            db,
            f"""SELECT o.stage, count(*) AS count, coalesce(sum(o.amount), 0) AS amount,
                       coalesce(sum({WEIGHTED_AMOUNT_SQL}), 0) AS weighted
                FROM opportunities o {STAGE_JOIN}
                WHERE {where} AND o.status = 'open' GROUP BY o.stage""",
            params,
        )
    }
    return [
        {"stage": s["key"], "name_en": s["name_en"], "name_zh": s["name_zh"], "position": s["position"],
         "probability": s["probability"], "count": counts.get(s["key"], {}).get("count", 0),
         "amount": counts.get(s["key"], {}).get("amount", 0.0),
         "weighted": counts.get(s["key"], {}).get("weighted", 0.0)}
        for s in list_stages(db)
    ]


def conversion_rates(deals: list[dict[str, Any]], stages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per stage: decided deals that reached it, how many went further, and the rate (None if none decided).

    A deal "reached" a stage when its furthest position is at least the stage's; it "went
    further" when it reached a later stage or was won. Open deals still in the stage are
    undecided and excluded.
    """
    ordered = sorted(stages, key=lambda s: s["position"])
    out = []
    for index, stage in enumerate(ordered):
        later = ordered[index + 1]["position"] if index + 1 < len(ordered) else None
        reached = advanced = 0
        for deal in deals:
            if deal["max_position"] is None or deal["max_position"] < stage["position"]:
                continue
            went_further = deal["status"] == "won" or (later is not None and deal["max_position"] >= later)
            if deal["status"] == "open" and not went_further:
                continue
            reached += 1
            advanced += went_further
        out.append({"stage": stage["key"], "reached": reached, "advanced": advanced,
                    "rate": advanced / reached if reached else None})
    return out


def win_rates(deals: list[dict[str, Any]], stages: list[dict[str, Any]]) -> dict[str, tuple[int, int]]:
    """Per stage: (won, closed) among closed deals that reached it — the historical win rate from that stage."""
    out: dict[str, tuple[int, int]] = {}
    for stage in stages:
        reached = [d for d in deals if d["status"] in CLOSED and (d["max_position"] or -1) >= stage["position"]]
        out[stage["key"]] = (sum(1 for d in reached if d["status"] == "won"), len(reached))
    return out


def days_in_stage(db: Database, account_ids: list[int], product_line_id: int | None = None) -> list[dict[str, Any]]:
    """Average, median-free days spent in each stage, from consecutive stage-history rows (completed stays only)."""
    where, params = _scope(account_ids, product_line_id)
    found = {
        r["stage"]: r
        for r in store.rows(
            db,
            f"""SELECT stage, count(*) AS stays, avg(julianday(substr(next_at, 1, 10)) - julianday(substr(moved_at, 1, 10)))
                       AS avg_days
                FROM (SELECT h.to_stage AS stage, h.moved_at,
                             lead(h.moved_at) OVER (PARTITION BY h.opportunity_id ORDER BY h.moved_at, h.id) AS next_at
                      FROM stage_history h JOIN opportunities o ON o.id = h.opportunity_id WHERE {where})
                WHERE next_at IS NOT NULL AND stage IN (SELECT key FROM stages)
                GROUP BY stage""",
            params,
        )
    }
    return [
        {"stage": s["key"], "name_en": s["name_en"], "name_zh": s["name_zh"],
         "stays": found.get(s["key"], {}).get("stays", 0), "avg_days": found.get(s["key"], {}).get("avg_days")}
        for s in list_stages(db)
    ]


def aging(db: Database, account_ids: list[int], product_line_id: int | None = None,
          today: date | None = None) -> list[dict[str, Any]]:
    """Open deals with age, days in current stage, overdue close and a stale flag, stalest first.

    Stale: in its current stage more than twice the average stay of that stage
    (or more than 90 days where there is no history yet).
    """
    day = today or clock.today()
    averages = {r["stage"]: r["avg_days"] for r in days_in_stage(db, account_ids, product_line_id)}
    where, params = _scope(account_ids, product_line_id)
    found = store.rows(
        db,
        f"""SELECT o.id, o.account_id, o.number, o.name, o.stage, o.amount, o.currency, o.opened_on,
                   o.expected_close, o.next_step, a.name AS account_name,
                   (SELECT max(h.moved_at) FROM stage_history h WHERE h.opportunity_id = o.id) AS last_move
            FROM opportunities o JOIN accounts a ON a.id = o.account_id
            WHERE {where} AND o.status = 'open'""",
        params,
    )
    for row in found:
        # an imported deal may have no opened date (m014): its age is unknown, not invented
        row["age_days"] = (day - clock.day_of(row["opened_on"])).days if row["opened_on"] else None
        since = row["last_move"] or row["opened_on"]
        row["days_in_stage"] = (day - clock.day_of(since)).days if since else 0
        row["overdue"] = bool(row["expected_close"]) and row["expected_close"] < day.isoformat()
        limit = averages.get(row["stage"])
        row["stale_after"] = round(STALE_FACTOR * limit) if limit else STALE_FALLBACK_DAYS
        row["stale"] = row["days_in_stage"] > row["stale_after"]
    found.sort(key=lambda r: (not r["stale"], not r["overdue"], -r["days_in_stage"]))
    return found


# ---------------------------------------------------------------- forecasts


def _rate(won_closed: tuple[int, int] | None, min_history: int) -> float | None:
    if won_closed is None or won_closed[1] < min_history:
        return None
    return won_closed[0] / won_closed[1]


def historical_probability(deal: dict[str, Any], account_rates: dict[int, dict[str, tuple[int, int]]],
                           team_rates: dict[str, tuple[int, int]], probabilities: dict[str, int],
                           min_history: int = MIN_HISTORY) -> tuple[float, str]:
    """P(win) of a deal from history: (probability 0–1, basis 'account' | 'team' | 'stage')."""
    rate = _rate(account_rates.get(deal["account_id"], {}).get(deal["stage"]), min_history)
    if rate is not None:
        return rate, "account"
    rate = _rate(team_rates.get(deal["stage"]), min_history)
    if rate is not None:
        return rate, "team"
    return probabilities.get(deal["stage"], 0) / 100, "stage"


@dataclass
class Forecast:
    """Expected won value of the open deals, by one method."""

    method: str
    expected: float
    amount: float
    count: int
    by_deal: list[dict[str, Any]] = field(default_factory=list)


def weighted_forecast(open_deals: list[dict[str, Any]], probabilities: dict[str, int]) -> Forecast:
    """Σ amount × probability, the probability being a deal's override or its stage default."""
    rows = [{"id": d["id"], "probability": effective_probability(d, probabilities) / 100} for d in open_deals]
    expected = sum(d["amount"] * r["probability"] for d, r in zip(open_deals, rows, strict=True))
    return Forecast("weighted", expected, sum(d["amount"] for d in open_deals), len(open_deals), rows)


def historical_forecast(open_deals: list[dict[str, Any]], closed_deals: list[dict[str, Any]],
                        stages: list[dict[str, Any]], probabilities: dict[str, int],
                        min_history: int = MIN_HISTORY) -> Forecast:
    """Σ amount × the account's (else team's) historical win rate from the deal's stage."""
    team = win_rates(closed_deals, stages)
    per_account: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for deal in closed_deals:
        per_account[deal["account_id"]].append(deal)
    accounts = {a: win_rates(d, stages) for a, d in per_account.items()}
    rows, expected = [], 0.0
    for deal in open_deals:
        if deal.get("probability") is not None:  # a stated override is the team's judgement: keep it
            p, basis = deal["probability"] / 100, "override"
        else:
            p, basis = historical_probability(deal, accounts, team, probabilities, min_history)
        rows.append({"id": deal["id"], "probability": p, "basis": basis})
        expected += deal["amount"] * p
    return Forecast("historical", expected, sum(d["amount"] for d in open_deals), len(open_deals), rows)


def forecasts(db: Database, account_ids: list[int], product_line_id: int | None = None,
              period_start: date | str | None = None, period_end: date | str | None = None,
              min_history: int = MIN_HISTORY) -> dict[str, Forecast]:
    """Both forecasts for the open deals in scope (optionally those expected to close in a period)."""
    stages = list_stages(db, active_only=False)
    probabilities = {s["key"]: s["probability"] for s in stages}
    deals = load_deals(db, account_ids, product_line_id)
    start = str(period_start)[:10] if period_start else None
    end = str(period_end)[:10] if period_end else None
    open_deals = [d for d in deals if d["status"] == "open"
                  and (start is None or (d["expected_close"] or "") >= start)
                  and (end is None or (d["expected_close"] or "9999") <= end)]
    closed = [d for d in deals if d["status"] in CLOSED]
    return {
        "weighted": weighted_forecast(open_deals, probabilities),
        "historical": historical_forecast(open_deals, closed, stages, probabilities, min_history),
    }


# ---------------------------------------------------------------- backtest


@dataclass
class BacktestResult:
    """How one forecast method would have predicted the deals already closed."""

    method: str
    deals: int
    brier: float | None
    mae: float | None
    bias: float | None
    predicted_total: float
    actual_total: float
    periods: list[dict[str, Any]] = field(default_factory=list)


def stage_at(history: list[tuple[str, str]], moment: str, stage_keys: set[str]) -> str | None:
    """The stage a deal stood in at `moment` (ISO text): the last stage entered on or before it, else its first."""
    stage_rows = [(at, s) for at, s in history if s in stage_keys]
    if not stage_rows:
        return None
    current = stage_rows[0][1]
    for at, stage in stage_rows:
        if at[:10] <= moment[:10]:
            current = stage
        else:
            break
    return current


def backtest(closed_deals: list[dict[str, Any]], histories: dict[int, list[tuple[str, str]]],
             stages: list[dict[str, Any]], horizon_days: int = DEFAULT_HORIZON_DAYS,
             min_history: int = MIN_HISTORY) -> dict[str, BacktestResult]:
    """Forecast every closed deal from its stage `horizon_days` before closing, by both methods.

    The historical method only learns from deals closed strictly before the snapshot
    day (walk-forward). Errors: Brier score (mean squared error of P(win) against the
    outcome), and per month of close the expected won value against the actual won
    value — MAE (mean absolute error) and bias (mean of predicted − actual).
    """
    probabilities = {s["key"]: s["probability"] for s in stages}
    positions = {s["key"]: s["position"] for s in stages}
    keys = set(positions)
    ordered = sorted((d for d in closed_deals if d["status"] in CLOSED and d["closed_on"]),
                     key=lambda d: d["closed_on"])
    close_days = [d["closed_on"][:10] for d in ordered]
    # running counters over deals closed so far: per stage (won, closed), team and per account
    team: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    per_account: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    snapshots = []
    for deal in ordered:
        moment = (date.fromisoformat(deal["closed_on"][:10]) - timedelta(days=horizon_days)).isoformat()
        stage = stage_at(histories.get(deal["id"], []), moment, keys) or deal["stage"]
        snapshots.append((moment, deal, stage))
    snapshots.sort(key=lambda s: s[0])
    applied = 0
    predictions: list[tuple[dict[str, Any], float, float]] = []
    for moment, deal, stage in snapshots:
        limit = bisect.bisect_left(close_days, moment[:10])  # deals closed strictly before the snapshot day
        while applied < limit:
            done = ordered[applied]
            won = done["status"] == "won"
            for key, pos in positions.items():
                if (done["max_position"] if done["max_position"] is not None else -1) >= pos:
                    team[key][0] += won
                    team[key][1] += 1
                    per_account[done["account_id"]][key][0] += won
                    per_account[done["account_id"]][key][1] += 1
            applied += 1
        p_stage = probabilities.get(stage, 0) / 100
        account_counts = per_account.get(deal["account_id"], {})
        rate = _rate(tuple(account_counts[stage]) if stage in account_counts else None, min_history)
        if rate is None:
            rate = _rate(tuple(team[stage]) if stage in team else None, min_history)
        p_hist = p_stage if rate is None else rate
        predictions.append((deal, p_stage, p_hist))
    return {
        "weighted": _errors("weighted", [(d, p) for d, p, _ in predictions]),
        "historical": _errors("historical", [(d, p) for d, _, p in predictions]),
    }


def _errors(method: str, predictions: list[tuple[dict[str, Any], float]]) -> BacktestResult:
    if not predictions:
        return BacktestResult(method, 0, None, None, None, 0.0, 0.0, [])
    brier = sum((p - (d["status"] == "won")) ** 2 for d, p in predictions) / len(predictions)
    months: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])
    for deal, p in predictions:
        bucket = months[deal["closed_on"][:7]]
        bucket[0] += deal["amount"] * p
        bucket[1] += deal["amount"] if deal["status"] == "won" else 0.0
        bucket[2] += 1
    periods = [{"period": m, "predicted": v[0], "actual": v[1], "deals": int(v[2]), "error": v[0] - v[1]}
               for m, v in sorted(months.items())]
    mae = sum(abs(p["error"]) for p in periods) / len(periods)
    bias = sum(p["error"] for p in periods) / len(periods)
    return BacktestResult(method, len(predictions), brier, mae, bias,
                          sum(p["predicted"] for p in periods), sum(p["actual"] for p in periods), periods)


def run_backtest(db: Database, account_ids: list[int], product_line_id: int | None = None,
                 horizon_days: int = DEFAULT_HORIZON_DAYS, min_history: int = MIN_HISTORY) -> dict[str, BacktestResult]:
    """Backtest both forecasts over the closed deals in scope."""
    stages = list_stages(db, active_only=False)
    deals = [d for d in load_deals(db, account_ids, product_line_id) if d["status"] in CLOSED]
    histories = load_history(db, account_ids, product_line_id, closed_only=True)
    return backtest(deals, histories, stages, horizon_days, min_history)


# ---------------------------------------------------------------- summary figures


def summary(db: Database, account_ids: list[int], product_line_id: int | None = None) -> dict[str, Any]:
    """Headline figures: won count and value, lost, no decision, win rate, open count and amount, the
    currencies the amounts are in (`won_value` is summed as stored: one currency is the case it is shown for),
    and the won value per currency (`won_by_currency`, what a page shows when the currencies are mixed)."""
    where, params = _scope(account_ids, product_line_id)
    row = store.row(
        db,
        f"""SELECT sum(o.status = 'won') AS won, coalesce(sum(CASE WHEN o.status = 'won' THEN o.amount END), 0)
                   AS won_value, sum(o.status = 'lost') AS lost, sum(o.status = 'no_decision') AS no_decision,
                   sum(o.status = 'open') AS open, coalesce(sum(CASE WHEN o.status = 'open' THEN o.amount END), 0)
                   AS open_amount
            FROM opportunities o WHERE {where}""",
        params,
    ) or {}
    out = {k: (v or 0) for k, v in row.items()}
    out["currencies"] = [r[0] for r in db.execute(
        f"SELECT DISTINCT o.currency FROM opportunities o WHERE {where} ORDER BY 1", params).fetchall()]
    out["won_by_currency"] = {r[0]: r[1] for r in db.execute(
        f"SELECT o.currency, sum(o.amount) FROM opportunities o WHERE {where} AND o.status = 'won' "
        f"GROUP BY o.currency ORDER BY 1", params).fetchall()}
    closed = out.get("won", 0) + out.get("lost", 0) + out.get("no_decision", 0)
    out["win_rate"] = out["won"] / closed if closed else None
    return out


def won_by_product_line(db: Database, account_ids: list[int]) -> list[dict[str, Any]]:
    """Won deals per product line and currency: count and value."""
    where, params = _scope(account_ids, None)
    return store.rows(
        db,
        f"""SELECT coalesce(p.code, '—') AS code, o.currency, count(*) AS won, sum(o.amount) AS won_value
            FROM opportunities o LEFT JOIN product_lines p ON p.id = o.product_line_id
            WHERE {where} AND o.status = 'won' GROUP BY p.code, o.currency ORDER BY p.code, o.currency""",
        params,
    )


def currencies(db: Database, account_ids: list[int]) -> list[str]:
    """The currencies the deals in scope are recorded in (sums across several are only indicative)."""
    where, params = _scope(account_ids, None)
    return [r[0] for r in db.execute(f"SELECT DISTINCT o.currency FROM opportunities o WHERE {where} ORDER BY 1",
                                     params).fetchall()]
