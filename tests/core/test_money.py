"""Money in whole units: the one parser, the one formatter, exact cent sums, and m022 converting a database
that held thousands."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlite_utils import Database

from db import MIGRATIONS
from kamcore import clock, money, product_lines, records, store, team, users
from kamcore.data import replay
from kamcore.decision_chain import stakeholders
from kamcore.errors import ValidationError
from kamcore.learning import retrospectives, rules
from kamcore.pipeline import opportunities
from kamcore.plan import baselines, goals, share_plans
from kamcore.portfolio import financials, positioning, tiering
from kamcore.relationships import pdca
from tests.managed_account import managed_account

# ------------------------------------------------------------------------------------------- formatter


@pytest.mark.parametrize(("value", "currency", "en", "zh"), [
    (20_000, "CNY", "CNY 20.0 k", "2.00 万元"),
    (1_700_000, "CNY", "CNY 1.70 M", "170.00 万元"),
    (170_000_000, "CNY", "CNY 170.00 M", "1.70 亿元"),
    (2_500_000_000, "USD", "USD 2.50 B", "25.00 亿美元"),
    (950, "CNY", "CNY 950", "950 元"),
    (12.5, "EUR", "EUR 12.50", "12.50 欧元"),
    (-44_006_000, "CNY", "CNY -44.01 M", "-4,400.60 万元"),
    (1234, "SEK", "SEK 1.2 k", "1,234 SEK"),
    (None, "CNY", "—", "—"),
])
def test_fmt_writes_every_amount_with_its_currency_and_unit(value, currency, en, zh):
    assert money.fmt(value, currency, "en") == en
    assert money.fmt(value, currency, "zh") == zh


def test_an_amount_in_a_message_is_formatted_in_the_readers_language():
    params = money.localized({"spent": money.Amount(20_070_000, "CNY"), "visits": 2}, "zh")
    assert params == {"spent": "2,007.00 万元", "visits": 2}


# ---------------------------------------------------------------------------------------------- parser


@pytest.mark.parametrize(("text", "lang", "expected"), [
    ("1,234.50", "en", 1234.5), ("1234.5", "en", 1234.5), ("20000", "en", 20000.0), (" 20,000 ", "en", 20000.0),
    ("12万", "zh", 120_000.0), ("1.5亿", "zh", 150_000_000.0), ("3千", "zh", 3000.0), ("1,234.50", "zh", 1234.5),
    ("12万元", "zh", 120_000.0), ("0.125", "en", 0.13), (1234.567, "en", 1234.57), ("", "en", None),
])
def test_parse_reads_what_people_type(text, lang, expected):
    assert money.parse(text, "budget_planned", lang) == expected


def test_parse_rounds_to_the_currencys_minor_unit():
    assert money.parse("1,234.56", "amount", "en", currency="JPY") == 1235.0
    assert money.amount(0.1 + 0.2, "CNY") == 0.3


@pytest.mark.parametrize(("text", "lang", "reason", "example"), [
    ("12abc", "en", "reason.amount_unreadable", "1,234.50"),
    ("1.234.5", "en", "reason.amount_unreadable", "1,234.50"),
    ("1,23,4", "en", "reason.amount_unreadable", "1,234.50"),
    ("12万", "en", "reason.amount_zh_unit_in_en", "1,234.50"),
    ("-5", "en", "reason.amount_negative", "1,234.50"),
    ("十二", "zh", "reason.amount_unreadable", "12万"),
])
def test_parse_refuses_naming_the_field_with_an_example(text, lang, reason, example):
    with pytest.raises(ValidationError) as caught:
        money.parse(text, "budget_planned", lang)
    (problem,) = caught.value.problems
    assert (problem.field, problem.reason_key) == ("budget_planned", reason)
    message = caught.value.message(lang)
    assert example in message and ("Budget planned" in message or "计划预算" in message or "预算" in message)


def test_a_negative_is_read_where_it_is_allowed_and_a_blank_where_it_is_required_is_refused():
    assert money.parse("-1,000", "gross_profit", "en", allow_negative=True) == -1000.0
    with pytest.raises(ValidationError):
        money.parse("", "review_amount", "en", required=True)


@given(st.lists(st.integers(min_value=0, max_value=10**14), max_size=60))
def test_sums_of_cent_amounts_round_back_to_the_exact_cent_sum(cents):
    """Amounts are REAL rounded to the cent: below 10^13 units a sum rounded once at display is exact."""
    stored = [money.amount(c / 100) for c in cents]
    assert all(round(s * 100) == c for s, c in zip(stored, cents, strict=True))
    assert round(round(sum(stored), 2) * 100) == sum(cents)


# ----------------------------------------------------------------------------------------- m022


NOW = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def _database_waiting_for_m022() -> Database:
    db = Database(sqlite3.connect(":memory:"))
    db.conn.execute("PRAGMA foreign_keys = ON")
    MIGRATIONS.apply(db, stop_before="m022_money_whole_units")
    # today's write path needs the later schema steps (time zones, id counters…), none of which touches an
    # amount: they are applied and recorded first, so the only migration left to run is m022
    for migration in MIGRATIONS._migrations:
        if migration.name > "m022_money_whole_units":
            with db.atomic():
                migration.fn(db)
                MIGRATIONS._record_applied(db, migration.name)
    return db


def _world_in_thousands(db: Database) -> dict[str, int]:
    """Rows written by the app as it was: every amount in thousands (20 = 20,000 CNY)."""
    admin = users.create_user(db, users.SYSTEM, "admin", "Admin", "admin-pass-1", "admin")
    account_id, am = managed_account(db, admin, currency="CNY")
    line = product_lines.create_product_line(db, admin, {"code": "CORE", "name": "Core"})
    person = stakeholders.create_stakeholder(db, am, account_id, {"name": "Wang", "level": "decision"})
    made = {
        "financials": financials.create_financials(db, am, {
            "account_id": account_id, "year": 2026, "revenue": 44_006.0, "gross_profit": 8_800.5,
            "receivables_outstanding": 1_200.0, "receivables_overdue": 300.0})["id"],
        "goal_money": goals.create_goal(db, am, {
            "account_id": account_id, "year": 2026, "quadrant": "financial", "metric": "collections",
            "target": 62_500.0, "owner_id": am.id, "split_am": 100, "split_sm": 0, "split_dm": 0})["id"],
        "goal_score": goals.create_goal(db, am, {
            "account_id": account_id, "year": 2026, "quadrant": "customer", "metric": "satisfaction",
            "target": 85.0, "actual": 80.0, "owner_id": am.id, "split_am": 100, "split_sm": 0, "split_dm": 0})["id"],
        "deal": opportunities.create_opportunity(db, am, {
            "account_id": account_id, "product_line_id": line["id"], "name": "Backbone", "amount": 71.0})["id"],
        "action": pdca.create_action(db, am, account_id, {
            "stakeholder_id": person["id"], "kind": "executive_visit", "due_date": date(2026, 4, 1),
            "budget_planned": 20.07, "budget_spent": 19.5})[0]["id"],
        "share": share_plans.create_share_plan(db, am, {
            "account_id": account_id, "product_line_id": line["id"], "wallet": 36_000.0, "current_share": 10,
            "base_year": 2026, "target_share_1": 20})["id"],
        "rule": rules.create_rule(db, admin, {
            "name": "Big deal without a coach", "lesson": "Coach first", "severity": "warning",
            "conditions": [{"field": "amount", "op": ">=", "value": 5_000},
                           {"field": "no_coach", "op": "==", "value": True}]})["id"],
    }
    positioning.save_position(db, am, account_id, None, {"potential_sales": 7_500.0, "obtainable_share": 40})
    made["position"] = db.execute("SELECT id FROM account_positions").fetchone()[0]
    made["criteria"] = tiering.create_draft(db, admin, "v1", {
        **tiering.DEFAULT_DEFINITION,
        "indicators": [{"key": "cum_revenue", "weight": 60, "low": 10_000, "high": 150_000},
                       {"key": "scale", "weight": 40, "low": 1, "high": 5}],
        "flags": {"high_volume_revenue": 50_000}, "grid": {"sales_low": 50_000, "sales_high": 200_000}})["id"]
    made["baseline"] = baselines.take_baseline(db, am, account_id, "2026 plan", date(2026, 3, 1))["id"]
    retrospectives.set_review_amount(db, admin, 1_000)
    made["account"] = account_id
    goals.update_goal(db, am, made["goal_money"], 1, {"target": 65_620.0})
    return made


def test_m022_turns_every_stored_thousand_into_whole_units_once():
    db = _database_waiting_for_m022()
    with clock.at(NOW):
        made = _world_in_thousands(db)
    audit_before = db.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    MIGRATIONS.apply(db)
    assert "m022_money_whole_units" in store.applied_migrations(db)

    fin = db.execute("SELECT revenue, gross_profit, receivables_outstanding, receivables_overdue "
                     "FROM account_financials WHERE id = ?", [made["financials"]]).fetchone()
    assert fin == (44_006_000.0, 8_800_500.0, 1_200_000.0, 300_000.0)
    assert db.execute("SELECT target FROM goals WHERE id = ?", [made["goal_money"]]).fetchone() == (65_620_000.0,)
    assert db.execute("SELECT target, actual FROM goals WHERE id = ?", [made["goal_score"]]).fetchone() == (85.0, 80.0)
    assert db.execute("SELECT amount FROM opportunities").fetchone() == (71_000.0,)
    assert db.execute("SELECT budget_planned, budget_spent FROM relationship_actions").fetchone() == (20_070.0, 19_500.0)
    assert db.execute("SELECT wallet, current_share FROM share_plans").fetchone() == (36_000_000.0, 10.0)
    assert db.execute("SELECT potential_sales, obtainable_share FROM account_positions").fetchone() == (7_500_000.0, 40.0)
    assert retrospectives.review_amount(db) == 1_000_000.0
    conditions = json.loads(db.execute("SELECT conditions FROM rules WHERE id = ?", [made["rule"]]).fetchone()[0])
    assert conditions[0]["value"] == 5_000_000 and conditions[1]["value"] is True
    definition = tiering.parse_definition(db.execute("SELECT definition FROM tiering_criteria").fetchone()[0])
    money_indicator, scale = definition.indicators
    assert (money_indicator.low, money_indicator.high, scale.low, scale.high) == (10_000_000, 150_000_000, 1, 5)
    assert (definition.flags.high_volume_revenue, definition.grid.sales_low, definition.grid.sales_high) == (
        50_000_000, 50_000_000, 200_000_000)
    frozen = json.loads(db.execute("SELECT snapshot FROM plan_baselines").fetchone()[0])["rows"]
    assert frozen["goal"][str(made["goal_money"])]["target"] == 62_500_000.0
    assert frozen["goal"][str(made["goal_score"])]["target"] == 85.0
    assert frozen["share_plan"][str(made["share"])]["wallet"] == 36_000_000.0

    # History speaks the new unit: the audit values moved with the rows, and replaying the log rebuilds them
    assert db.execute("SELECT count(*) FROM audit_log").fetchone()[0] == audit_before
    change = db.execute("SELECT old_value, new_value FROM audit_log WHERE entity = 'goal' AND field = 'target' "
                        "AND action = 'update'").fetchone()
    assert [records.decode(v) for v in change] == [62_500_000.0, 65_620_000.0]
    score = db.execute("SELECT new_value FROM audit_log WHERE entity = 'goal' AND field = 'actual' "
                       "AND entity_id = ?", [made["goal_score"]]).fetchone()
    assert records.decode(score[0]) == 80.0
    report = replay.compare(db, ["financials", "goal", "opportunity", "relationship_action", "share_plan",
                                 "account_position", "rule", "tiering_criteria"])
    assert report.ok, [str(d) for d in report.differences]
    # recorded once: a later start-up does not multiply again
    MIGRATIONS.apply(db)
    assert db.execute("SELECT amount FROM opportunities").fetchone() == (71_000.0,)


def test_a_budget_typed_as_20000_cny_is_stored_as_20000_and_shown_with_its_unit(fresh_db, admin):
    account_id, am = managed_account(fresh_db, admin, currency="CNY")
    person = stakeholders.create_stakeholder(fresh_db, am, account_id, {"name": "Wang", "level": "decision"})
    typed = money.parse("20000", "budget_planned", "en", currency="CNY")
    action, _ = pdca.create_action(fresh_db, am, account_id, {
        "stakeholder_id": person["id"], "kind": "executive_visit", "due_date": date(2026, 4, 1),
        "budget_planned": typed})
    stored = fresh_db.execute("SELECT budget_planned FROM relationship_actions WHERE id = ?", [action["id"]]).fetchone()
    assert stored == (20000.0,)
    assert money.fmt(stored[0], "CNY", "en") == "CNY 20.0 k"
    assert money.fmt(stored[0], "CNY", "zh") == "2.00 万元"
    assert team.list_team(fresh_db, am, account_id)  # the account manager is on the team that may plan it


def test_conflicts_history_and_what_changed_show_amounts_with_their_currency(fresh_db, admin):
    """Issue 26: "71000.0" in conflict messages and History, "Revenue: Target 62,500 → 65,620" in What changed."""
    from kamcore import audit
    from kamcore.errors import ConflictError
    from kamcore.huddle import what_changed

    account_id, am = managed_account(fresh_db, admin, currency="USD")
    with clock.at(NOW):
        line = product_lines.create_product_line(fresh_db, admin, {"code": "CORE", "name": "Core"})
        deal = opportunities.create_opportunity(fresh_db, am, {
            "account_id": account_id, "product_line_id": line["id"], "name": "Backbone", "amount": 70_000,
            "currency": "USD"})
        opportunities.update_opportunity(fresh_db, am, deal["id"], deal["version"], {"amount": 71_000})
        with pytest.raises(ConflictError) as caught:
            opportunities.update_opportunity(fresh_db, admin, deal["id"], deal["version"], {"amount": 69_000})
    assert "USD 70.0 k" in caught.value.message("en") and "USD 71.0 k" in caught.value.message("en")
    assert "7.10 万美元" in caught.value.message("zh") and "71000" not in caught.value.message("en")
    rows = [r for r in audit.history(fresh_db, am, account_id) if r["field"] == "amount"]
    assert {r["currency"] for r in rows} == {"USD"}
    changed = [r for r in rows if r["action"] == "update"][0]
    text, _ = what_changed.describe_change("opportunity", "amount", changed["old_value"], changed["new_value"], "en",
                                           currency=changed["currency"])
    assert "USD 70.0 k → USD 71.0 k" in text
    others = [r for r in audit.history(fresh_db, am, account_id) if r["field"] == "name"]
    assert others and all(r["currency"] is None for r in others)
