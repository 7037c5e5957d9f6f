"""Figures reconcile: one source per figure (docs/figures.md), money with currency and unit, one
meaning of "supportive" — checked through the pages (AppTest) and kamcore, over the demo and the
generated M data."""

from __future__ import annotations

import importlib
import os
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kamcore import accounts, clock, money, store, users
from kamcore.decision_chain import scale
from kamcore.errors import ValidationError
from kamcore.pipeline import opportunities
from kamcore.plan import goals, pipeline_coverage
from kamcore.portfolio import financials, overview
from kamui.portfolio_view import money_by_currency
from tests.conftest import DEMO_DAY, ROOT, signed_in_app

FIGURES = ROOT / "docs" / "figures.md"


@pytest.fixture(autouse=True)
def demo_today(monkeypatch):
    moment = datetime.combine(DEMO_DAY, datetime.min.time(), tzinfo=UTC).replace(hour=9)
    monkeypatch.setattr(clock, "now", lambda: moment)


# ------------------------------------------------------------------------------------------ the glossary


def test_every_function_the_glossary_names_exists():
    named = set()
    for line in FIGURES.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) > 5 and cells[4].startswith("`kamcore"):
            named.update(re.findall(r"`(kamcore\.[\w.]+)`", cells[4]))
    assert len(named) >= 20
    for dotted in sorted(named):
        module, _, name = dotted.rpartition(".")
        assert hasattr(importlib.import_module(module), name), dotted


# ------------------------------------------------------------------------------------------------ money


@pytest.mark.parametrize(("value", "currency", "en", "zh"), [
    (170_000_000, "CNY", "CNY 170.00 M", "1.70 亿元"),
    (46_276_000, "CNY", "CNY 46.28 M", "4,627.60 万元"),
    (850_000, "USD", "USD 850.0 k", "85.00 万美元"),
    (2_500_000_000, "HKD", "HKD 2.50 B", "25.00 亿港元"),
    (None, "CNY", "—", "—"),
])
def test_one_formatter_says_currency_and_unit_in_both_languages(value, currency, en, zh):
    assert money.fmt(value, currency, "en") == en
    assert money.fmt(value, currency, "zh") == zh


@pytest.fixture
def three_currencies(empty_path):
    """CNY, USD and HKD accounts with 2026 revenue, an EUR account without a rate (hand-computed below)."""
    db = store.connect(empty_path)
    admin = users.find_by_username(db, "admin")
    made = {}
    for name, currency, revenue in (("Alpha CN", "CNY", 1_000_000), ("Beta US", "USD", 200_000),
                                    ("Gamma HK", "HKD", 500_000), ("Delta EU", "EUR", 300_000)):
        made[currency] = accounts.create_account(db, admin, {"name": name, "industry": "Tech", "region": "Asia",
                                                             "currency": currency})
        financials.create_financials(db, admin, {"account_id": made[currency]["id"], "year": 2026,
                                                 "revenue": revenue, "gross_profit": revenue / 4})
    money.save_rate(db, admin, {"currency": "USD", "year": 2026, "rate": 7.0})
    money.save_rate(db, admin, {"currency": "HKD", "year": 2026, "rate": 0.9})
    db.close()
    return empty_path, made


def test_portfolio_totals_convert_at_the_stored_rates_and_keep_what_has_no_rate(three_currencies):
    path, made = three_currencies
    db = store.connect(path)
    admin = users.find_by_username(db, "admin")
    totals = overview.portfolio_totals(db, admin, 2026)
    db.close()
    # by hand: CNY 1,000,000 + USD 200,000 × 7.0 + HKD 500,000 × 0.9 = CNY 2,850,000; EUR 300,000 has no rate
    assert totals["revenue"]["amount"] == pytest.approx(2_850_000)
    assert totals["revenue"]["rates"] == {"USD": 7.0, "HKD": 0.9}
    assert totals["revenue"]["unconverted"] == {"EUR": 300_000}
    assert totals["revenue_reporting"][made["USD"]["id"]] == pytest.approx(1_400_000)
    assert totals["revenue_reporting"][made["EUR"]["id"]] is None

    at = signed_in_app(path, "admin", "pages/portfolio.py")
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Portfolio revenue 2026"] == "CNY 2.85 M"
    captions = " ".join(c.value for c in at.caption)
    assert "converted into CNY at the 2026 rates: HKD 0.9, USD 7" in captions
    assert "EUR 300.0 k not converted: no 2026 rate" in captions
    table = at.dataframe[0].value
    by_name = {r["Name"]: r for r in table.to_dict("records")}
    assert by_name["Beta US"]["In the account's currency"] == "USD 200.0 k"
    assert by_name["Beta US"]["In CNY"] == "CNY 1.40 M"
    assert by_name["Gamma HK"]["In CNY"] == "CNY 450.0 k"
    assert by_name["Delta EU"]["In CNY"] == "no 2026 rate for EUR"

    zh = signed_in_app(path, "admin", "pages/portfolio.py", lang="zh")
    assert {m.label: m.value for m in zh.metric}["2026 年组合总收入"] == "285.00 万元"


def test_a_rate_of_zero_negative_or_missing_is_refused_and_a_bad_csv_writes_nothing(fresh_db, admin):
    for bad in (0, -7.1, None):
        with pytest.raises(ValidationError) as caught:
            money.save_rate(fresh_db, admin, {"currency": "USD", "year": 2026, "rate": bad})
        assert caught.value.problems[0].field == "rate"
    data = b"currency,year,rate\nUSD,2026,7.1\nHKD,2026,0\nEUR,2026,\n"
    with pytest.raises(ValidationError) as caught:
        money.import_rates(fresh_db, admin, data)
    assert [(p.row, p.field) for p in caught.value.problems] == [(3, "rate"), (4, "rate")]
    assert money.list_rates(fresh_db) == []
    assert money.import_rates(fresh_db, admin, b"currency,year,rate\nusd,2026,7.1\n") == {"rates": 1}
    assert money.rate(fresh_db, "USD", 2026) == 7.1
    assert money.missing_rates(fresh_db, 2025) == []  # nothing in use yet


# --------------------------------------------------------------------------- reconciliation over the demo


def _ids(path: Path) -> dict[int, str]:
    db = store.connect(path)
    try:
        return dict(db.execute("SELECT id, name FROM accounts ORDER BY id").fetchall())
    finally:
        db.close()


def _visit(at, account_id: int):
    at.query_params["account"] = str(account_id)
    at.run()
    assert not at.exception, at.exception
    return " ".join(m.value for m in at.markdown)


def test_figures_shown_in_two_places_agree_on_every_demo_account(demo_path):
    ids = _ids(demo_path)
    db = store.connect(demo_path)
    admin = users.find_by_username(db, "admin")
    cards = {a: overview.account_card(db, admin, a) for a in ids}
    db.close()

    home = signed_in_app(demo_path, "admin", "pages/home.py")
    home_rows = {r["Name"]: r for r in home.dataframe[0].value.to_dict("records")}
    walk = signed_in_app(demo_path, "admin", "pages/walkthrough.py")
    walk.query_params["order"] = ",".join(str(a) for a in ids)
    chain = signed_in_app(demo_path, "admin", "pages/decision_chain.py")
    pipe = signed_in_app(demo_path, "admin", "pages/pipeline.py")
    checked = {"revenue": 0, "pipeline": 0, "supportive": 0}
    for account, name in ids.items():
        card = cards[account]
        text = _visit(walk, account)
        metrics = {m.label: m.value for m in walk.metric}
        # walk-through header revenue == "Goals vs actuals" revenue actual
        line = next((g for g in card["goals"]["lines"] if g["metric"] == "revenue"), None)
        if line and line["actual"] is not None and card["revenue"]:
            header = metrics[f"Revenue {card['revenue']['year']}"]
            assert header == money.fmt(line["actual"], card["currency"]), name
            assert f"<span>{header} of " in text, name
            checked["revenue"] += 1
        # Home pipeline == walk-through pipeline == pipeline page
        weighted = {c: b["weighted"] for c, b in card["pipeline"]["by_currency"].items()}
        if weighted:
            assert home_rows[name]["Weighted pipeline"] == money_by_currency(weighted, "en"), name
            for currency, value in weighted.items():
                assert f"{money.fmt(value, currency)} weighted" in text, name
            pipe.session_state["pipe.scope"] = "account"
            page_text = _visit(pipe, account)
            assert f"weighted pipeline {money_by_currency(weighted, 'en')}" in page_text, name
            checked["pipeline"] += 1
        # supportive on the walk-through == the map's summary
        rel = card["relationships"]
        if rel["people"]:
            sentence = f"{rel['supportive']} of {rel['people']} people supportive"
            assert sentence in text, name
            chain_text = _visit(chain, account)
            assert sentence in chain_text, name
            checked["supportive"] += 1
    assert all(checked.values()), checked


def test_plan_and_pipeline_pages_show_the_same_coverage(demo_path):
    ids = _ids(demo_path)
    plan = signed_in_app(demo_path, "admin", "pages/plan.py")
    pipe = signed_in_app(demo_path, "admin", "pages/pipeline.py")
    pipe.session_state["pipe.scope"] = "account"
    pipe.session_state["pipe.tabs"] = "Goal coverage by product line"  # drawn when its tab is opened
    compared = 0
    for account in list(ids)[:5]:
        _visit(plan, account)
        _visit(pipe, account)
        tables = [d.value for d in plan.dataframe if "Coverage (weighted) %" in d.value.columns]
        other = [d.value for d in pipe.dataframe if any("overage" in str(c) for c in d.value.columns)]
        if tables and other:
            mine, theirs = tables[0], other[0]
            assert list(mine.iloc[:, 0]) == list(theirs.iloc[:, 0])
            assert list(mine["Coverage (weighted) %"]) == list(theirs.iloc[:, -1])
            assert list(mine["Won in the period"]) == list(theirs.iloc[:, 2])
            compared += 1
    assert compared


# ------------------------------------------------------------------------------ reconciliation over M data

M_PATH = os.environ.get("KAM_FIGURES_M_DB")


@pytest.fixture(scope="module")
def m_db(tmp_path_factory):
    """The generated M war room (`python -m kamcore --db X generate --size M`); reuse a built one through
    $KAM_FIGURES_M_DB, else build it (a few minutes on a busy machine)."""
    if M_PATH and Path(M_PATH).exists():
        path = Path(M_PATH)
    else:
        from kamcore.demo import scale as generated

        path = tmp_path_factory.mktemp("m") / "m.db"
        db = store.connect(path)
        generated.generate(db, "M", today=DEMO_DAY)
        db.close()
    db = store.connect(path)
    yield db
    db.close()


def test_figures_agree_over_the_generated_m_data(m_db):
    admin = users.find_by_username(m_db, "admin")
    rows = overview.overview(m_db, admin, DEMO_DAY.year)
    ids = [r["account_id"] for r in rows]
    assert len(ids) >= 200
    pipe = opportunities.open_pipeline(m_db, ids)["by_account"]
    counts = scale.stance_counts(m_db, ids)
    for row in rows:
        a = row["account_id"]
        card = overview.account_card(m_db, admin, a)
        # Home / Portfolio pipeline == walk-through pipeline == the pipeline function
        expected = {c: round(b["weighted"], 2) for c, b in (pipe.get(a) or {"by_currency": {}})["by_currency"].items()}
        assert (row.get("pipeline_weighted") or {}) == expected
        assert {c: b["weighted"] for c, b in card["pipeline"]["by_currency"].items()} == expected
        # supportive: walk-through == stance counts (the map's summary)
        assert card["relationships"]["supportive"] == counts[a]["supportive"]
        assert card["relationships"]["people"] == counts[a]["total"]
        # walk-through header revenue == goals vs actuals revenue actual (when measured)
        line = next((g for g in card["goals"]["lines"] if g["metric"] == "revenue"), None)
        if line and line["source"] == "financials":
            assert card["revenue"]["amount"] == line["actual"]
        # portfolio goal reached == walk-through goal reached
        if line and line["attainment_pct"] is not None:
            assert row["goal_reached_pct"] == line["attainment_pct"]
        # plan coverage "won" == the orders goals' actual, per product line
        for cov in pipeline_coverage.pipeline_coverage(m_db, admin, a, DEMO_DAY.year):
            orders = [g for g in goals.list_goals(m_db, admin, a, DEMO_DAY.year, None)
                      if g["metric"] == "orders" and g["product_line_id"] == cov["product_line_id"]]
            for goal in orders:
                if goal["actual_source"] == "won_deals":
                    assert goal["actual"] == cov["won_amount"]
    line_totals = overview.portfolio_totals(m_db, admin, DEMO_DAY.year)
    # never dropped: converted + unconverted covers every account with revenue
    counted = sum(1 for r in rows if r.get("revenue") is not None)
    assert counted == len(line_totals["revenue_reporting"])


# ------------------------------------------------------------------- goal progress and rule scope (issue 27.5)


def test_the_agenda_the_plan_and_the_walk_through_read_one_goal_progress(demo_db):
    """For every demo account: the huddle agenda's "Goals behind plan" reads the same progress as the plan's
    goals table and the walk-through's goals vs actuals (`kamcore.plan.goals.progress` of the measured actual)
    — it read the typed `goals.actual`, empty for measured goals, and said Huaxin Revenue "0 % / 92 %"."""
    from kamcore.huddle import agenda

    admin = users.find_by_username(demo_db, "admin")
    ids = [a["id"] for a in accounts.list_accounts(demo_db, admin)]
    assert len(ids) == 14
    behind = {item.source: item for item in agenda.goals_behind(demo_db, ids, DEMO_DAY)}
    compared = 0
    for account in ids:
        plan_rows = goals.list_goals(demo_db, admin, account, DEMO_DAY.year, "any")  # the plan page's rows
        walk = {line["metric"]: line for line in goals.financial_lines(demo_db, admin, account, DEMO_DAY.year)}
        for goal in plan_rows:
            shown = goals.progress(goal["target"], goal["actual"])
            item = behind.get(f"goal:{goal['id']}")
            if item is not None:
                assert item.detail.split(" / ")[0] == f"{shown or 0:.0%}", (goal, item.detail)
                compared += 1
            line = walk.get(goal["metric"])
            if line and goal["quadrant"] == "financial" and goal["product_line_id"] is None and goal["quarter"] is None:
                assert line["attainment_pct"] == (None if shown is None else round(100 * shown, 1)), (goal, line)
                compared += 1
    assert compared >= 14
    huaxin = next(a for a in ids if demo_db.execute("SELECT name FROM accounts WHERE id = ?", [a]).fetchone()[0]
                  == "Huaxin Semiconductor")
    revenue = [i for i in behind.values() if i.account_id == huaxin and i.title_key == "metric.revenue"]
    assert not any(i.detail.startswith("0%") for i in revenue), "a measured revenue goal is not read as 0 %"


def test_a_rules_preview_states_its_scope_and_equals_its_firings(demo_db):
    """The preview said "would flag 1 live deals" (the author's accounts); saved, the rule flagged 4 across the
    company. The preview now gives both counts, each with its scope, and each equals what the saved rule does."""
    from kamcore.learning import rules

    author = users.find_by_username(demo_db, "li.wei")
    conditions = [{"field": "stage", "op": ">=", "value": "solution"}]
    found = rules.preview(demo_db, author, conditions)
    assert found["company_count"] >= len(found["flags"])
    rule = rules.create_rule(demo_db, author, {"name": "Past needs, watched", "lesson": "Check the needs again.",
                                               "conditions": conditions})
    rules.sweep(demo_db)
    firings = demo_db.execute("SELECT count(*) FROM rule_firings WHERE rule_id = ? AND cleared_at IS NULL",
                              [rule["id"]]).fetchone()[0]
    seen = [f for f in rules.evaluate(demo_db, author) if f.rule_id == rule["id"]]
    assert firings == found["company_count"], "company-wide: the preview's count is the saved rule's firings"
    assert len(seen) == len(found["flags"]), "in the accounts you can see: the preview's count is what you see"
    assert "company-wide" in t_en("rules.preview_deals") and "accounts you can see" in t_en("rules.preview_deals")


def t_en(key: str) -> str:
    from kamcore.i18n import t

    return t(key, "en", count=1, company=4)
