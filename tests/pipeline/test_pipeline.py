"""Pipeline analytics on hand-made fixtures: conversion, win rates, forecasts, backtest, days in stage, aging."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from kamcore import accounts, clock, product_lines
from kamcore.pipeline import analytics
from kamcore.pipeline import opportunities as opp

STAGES = [
    {"key": "lead", "position": 10, "probability": 10},
    {"key": "qualify", "position": 20, "probability": 20},
    {"key": "needs", "position": 30, "probability": 40},
]
PROBS = {s["key"]: s["probability"] for s in STAGES}
CLOSED = [
    {"id": 1, "account_id": 1, "status": "won", "max_position": 30, "stage": "needs"},
    {"id": 2, "account_id": 1, "status": "lost", "max_position": 20, "stage": "qualify"},
    {"id": 4, "account_id": 2, "status": "no_decision", "max_position": 10, "stage": "lead"},
]
STILL_OPEN = {"id": 3, "account_id": 1, "status": "open", "max_position": 20, "stage": "qualify"}


def test_conversion_counts_decided_deals_that_reached_each_stage():
    rates = {r["stage"]: (r["reached"], r["advanced"], r["rate"]) for r in
             analytics.conversion_rates([*CLOSED, STILL_OPEN], STAGES)}
    # lead: all four reached; the open deal already went further; the no-decision did not
    assert rates["lead"] == (4, 3, 0.75)
    # qualify: the open deal still sits there (undecided) and is left out
    assert rates["qualify"] == (2, 1, 0.5)
    assert rates["needs"] == (1, 1, 1.0)


def test_conversion_rate_is_none_when_no_deal_decided():
    assert analytics.conversion_rates([STILL_OPEN], STAGES)[1]["rate"] is None


def test_win_rates_from_each_stage_use_closed_deals_only():
    assert analytics.win_rates([*CLOSED, STILL_OPEN], STAGES) == {"lead": (1, 3), "qualify": (1, 2), "needs": (1, 1)}


OPEN = [
    {"id": 10, "account_id": 1, "stage": "needs", "amount": 1000, "probability": None, "status": "open"},
    {"id": 11, "account_id": 1, "stage": "qualify", "amount": 500, "probability": None, "status": "open"},
    {"id": 12, "account_id": 2, "stage": "lead", "amount": 300, "probability": None, "status": "open"},
]


def test_weighted_forecast_is_amount_times_stage_probability():
    forecast = analytics.weighted_forecast(OPEN, PROBS)
    assert forecast.expected == pytest.approx(1000 * 0.4 + 500 * 0.2 + 300 * 0.1)
    assert (forecast.amount, forecast.count) == (1800, 3)


def test_weighted_forecast_uses_a_deals_probability_override():
    deals = [dict(OPEN[0], probability=90)]
    assert analytics.weighted_forecast(deals, PROBS).expected == pytest.approx(900)


def test_historical_forecast_prefers_account_then_team_then_stage_rate():
    forecast = analytics.historical_forecast(OPEN, CLOSED, STAGES, PROBS, min_history=2)
    basis = {r["id"]: (r["probability"], r["basis"]) for r in forecast.by_deal}
    assert basis[10] == (0.4, "stage")  # one closed deal reached "needs": too little history anywhere
    assert basis[11] == (0.5, "account")  # account 1: two closed deals reached "qualify", one won
    assert basis[12] == (pytest.approx(1 / 3), "team")  # account 2 has one; the team three, one won
    assert forecast.expected == pytest.approx(400 + 250 + 100)


def _closed(deal_id, status, amount, closed_on, max_position, history, account_id=1):
    return ({"id": deal_id, "account_id": account_id, "status": status, "amount": amount, "closed_on": closed_on,
             "max_position": max_position, "stage": history[-1][1]}, history)


BACKTEST = [
    _closed(1, "won", 100, "2026-03-31", 30, [("2026-01-01", "lead"), ("2026-02-01", "qualify"),
                                               ("2026-03-15", "needs"), ("2026-03-31", "won")]),
    _closed(2, "lost", 200, "2026-04-30", 20, [("2026-01-10", "lead"), ("2026-04-10", "qualify"),
                                                ("2026-04-30", "lost")]),
    _closed(3, "won", 50, "2026-05-20", 20, [("2026-04-01", "qualify"), ("2026-05-20", "won")]),
]


def test_stage_at_is_the_last_stage_entered_by_then():
    history = BACKTEST[0][1]
    keys = {s["key"] for s in STAGES}
    assert analytics.stage_at(history, "2026-03-01", keys) == "qualify"
    assert analytics.stage_at(history, "2025-12-01", keys) == "lead"  # before it was opened: its first stage
    assert analytics.stage_at(history, "2026-04-30", keys) == "needs"  # close statuses are not stages


def test_backtest_errors_match_a_hand_computation():
    deals = [d for d, _ in BACKTEST]
    histories = {d["id"]: h for d, h in BACKTEST}
    result = analytics.backtest(deals, histories, STAGES, horizon_days=30, min_history=1)
    weighted, historical = result["weighted"], result["historical"]
    # snapshots 30 days before close: deal 1 in qualify (0.2), deal 2 in lead (0.1), deal 3 in qualify (0.2)
    assert weighted.deals == 3
    assert weighted.brier == pytest.approx((0.64 + 0.01 + 0.64) / 3)
    assert [p["error"] for p in weighted.periods] == pytest.approx([20 - 100, 20 - 0, 10 - 50])
    assert weighted.mae == pytest.approx((80 + 20 + 40) / 3)
    assert weighted.bias == pytest.approx((-80 + 20 - 40) / 3)
    # historical: only deal 3's snapshot (2026-04-20) has a deal closed before it — deal 1, won from qualify
    assert historical.brier == pytest.approx((0.64 + 0.01 + 0.0) / 3)
    assert historical.mae == pytest.approx((80 + 20 + 0) / 3)
    assert historical.bias == pytest.approx((-80 + 20 + 0) / 3)
    assert (historical.predicted_total, historical.actual_total) == (pytest.approx(20 + 20 + 50), 150)


def test_backtest_does_not_learn_from_the_deal_itself_or_later_deals():
    deals = [d for d, _ in BACKTEST]
    histories = {d["id"]: h for d, h in BACKTEST}
    result = analytics.backtest(deals, histories, STAGES, horizon_days=0, min_history=1)
    # with no horizon deal 1 is forecast from "needs" on its close day: nothing closed strictly before
    first = result["historical"].periods[0]
    assert first["predicted"] == pytest.approx(100 * 0.4)


def test_backtest_of_nothing_has_no_error_figures():
    result = analytics.backtest([], {}, STAGES)
    assert (result["weighted"].deals, result["weighted"].mae, result["weighted"].brier) == (0, None, None)


# ---------------------------------------------------------------- on a database


@pytest.fixture
def dated(fresh_db, admin):
    """Two deals moved through stages on known days, one lost, seen from 2026-04-11."""
    db = fresh_db
    start = datetime(2026, 1, 1, 9, tzinfo=UTC)

    def on(days):
        return clock.at(start + timedelta(days=days))

    with on(0):
        account = accounts.create_account(db, admin, {"name": "A", "industry": "x", "region": "y"})
        line = product_lines.create_product_line(db, admin, {"code": "CORE", "name": "Core"})
        x = opp.create_opportunity(db, admin, {"account_id": account["id"], "product_line_id": line["id"],
                                               "name": "X", "amount": 1000, "expected_close": "2026-03-01"})
        y = opp.create_opportunity(db, admin, {"account_id": account["id"], "product_line_id": line["id"],
                                               "name": "Y", "amount": 500})
        z = opp.create_opportunity(db, admin, {"account_id": account["id"], "product_line_id": line["id"],
                                               "name": "Z", "amount": 70})
        for deal in (x, y):
            for item in opp.checklist(db, admin, deal["id"]):
                if item["stage_key"] in ("qualify", "needs"):
                    opp.set_criterion(db, admin, deal["id"], item["criterion_id"], True)
    with on(4):
        y = opp.move_stage(db, admin, y["id"], y["version"], "qualify")
    with on(10):
        x = opp.move_stage(db, admin, x["id"], x["version"], "qualify")
    with on(30):
        x = opp.move_stage(db, admin, x["id"], x["version"], "needs")
    with on(24):
        opp.close_opportunity(db, admin, z["id"], z["version"], "lost", "no budget")
    return {"db": db, "account": account["id"], "today": date(2026, 4, 11)}


def test_days_in_stage_average_completed_stays(dated):
    days = {r["stage"]: (r["stays"], r["avg_days"]) for r in analytics.days_in_stage(dated["db"], [dated["account"]])}
    assert days["lead"] == (3, pytest.approx((10 + 4 + 24) / 3))
    assert days["qualify"] == (1, pytest.approx(20))
    assert days["needs"] == (0, None)


def test_funnel_counts_open_deals_per_stage(dated):
    funnel = {r["stage"]: (r["count"], r["amount"], r["weighted"]) for r in analytics.funnel(dated["db"], [dated["account"]])}
    assert funnel["qualify"] == (1, 500, pytest.approx(100))
    assert funnel["needs"] == (1, 1000, pytest.approx(400))
    assert funnel["lead"] == (0, 0, 0)


def test_aging_flags_overdue_and_stale_deals(dated):
    rows = {r["name"]: r for r in analytics.aging(dated["db"], [dated["account"]], today=dated["today"])}
    assert set(rows) == {"X", "Y"}
    assert (rows["Y"]["days_in_stage"], rows["Y"]["stale_after"], rows["Y"]["stale"]) == (96, 40, True)
    assert (rows["X"]["days_in_stage"], rows["X"]["stale_after"], rows["X"]["stale"]) == (70, 90, False)
    assert rows["X"]["overdue"] and not rows["Y"]["overdue"]
    assert rows["X"]["age_days"] == 100


def test_summary_and_forecasts_on_the_database(dated):
    figures = analytics.summary(dated["db"], [dated["account"]])
    assert (figures["open"], figures["open_amount"], figures["lost"], figures["win_rate"]) == (2, 1500, 1, 0.0)
    both = analytics.forecasts(dated["db"], [dated["account"]])
    assert both["weighted"].expected == pytest.approx(400 + 100)
    assert both["historical"].expected == pytest.approx(500)  # too little history: stage probabilities
    only_march = analytics.forecasts(dated["db"], [dated["account"]], period_start="2026-03-01",
                                    period_end="2026-03-31")
    assert only_march["weighted"].count == 1
