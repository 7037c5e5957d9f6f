"""The executive walk-through shows goals vs actuals, pipeline, relationships and deal-health risks.

The card (kamcore.portfolio.overview.account_card) is checked against the database directly; the page and the
print-ready summary are checked to show what the card holds, with hostile user text escaped.
"""

from datetime import UTC, datetime, timedelta

import pytest

from kamcore import accounts, clock, money, permissions, store, users
from kamcore.decision_chain import stakeholders
from kamcore.pipeline import opportunities
from kamcore.portfolio import overview, tiering
from kamui.portfolio_view import one_pager_html, percent
from tests.conftest import DEMO_DAY, account_id, signed_in_app

HOSTILE = "<img src=x onerror=alert(1)>"
ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"


@pytest.fixture(autouse=True)
def demo_today(monkeypatch):
    """'Today' is the day the demo was built for, in every thread (AppTest runs the script in its own)."""
    moment = datetime.combine(DEMO_DAY, datetime.min.time(), tzinfo=UTC).replace(hour=9)
    monkeypatch.setattr(clock, "now", lambda: moment)


def _card(path, username, name):
    db = store.connect(path)
    try:
        return overview.account_card(db, users.find_by_username(db, username), account_id(path, name))
    finally:
        db.close()


def _texts(at):
    return " ".join(m.value for m in at.markdown)


def test_card_goal_lines_are_this_years_full_year_financial_goals_with_attainment(demo_db, demo_path):
    card = _card(demo_path, "li.wei", "Sunrise Logistics")
    goals = card["goals"]
    assert goals["year"] == DEMO_DAY.year and goals["count"] > 0
    target = demo_db.execute(
        "SELECT sum(target) FROM goals WHERE account_id = ? AND year = ? AND quarter IS NULL "
        "AND metric = 'revenue' AND product_line_id IS NULL", [card["id"], DEMO_DAY.year]).fetchone()[0]
    # the revenue actual is measured from the account's financials of the year, not typed
    actual = demo_db.execute("SELECT revenue FROM account_financials WHERE account_id = ? AND year = ?",
                             [card["id"], DEMO_DAY.year]).fetchone()[0]
    revenue = next(g for g in goals["lines"] if g["metric"] == "revenue")
    assert revenue["source"] == "financials"
    assert (revenue["target"], revenue["actual"]) == (target, actual)
    assert revenue["attainment_pct"] == round(100 * actual / target, 1)
    assert [g["metric"] for g in goals["lines"]] == ["orders", "revenue", "gross_margin", "collections"]
    assert goals["score"] is not None and 0 <= goals["score"] <= 100


def test_product_line_goals_add_up_when_there_is_no_account_wide_goal(demo_db, demo_path):
    card = _card(demo_path, "li.wei", "Huaxin Semiconductor")
    orders = next(g for g in card["goals"]["lines"] if g["metric"] == "orders")
    target = demo_db.execute(
        "SELECT sum(target) FROM goals WHERE account_id = ? AND year = ? AND quarter IS NULL "
        "AND metric = 'orders'", [card["id"], DEMO_DAY.year]).fetchone()[0]
    # the orders actual is the won deals closed this year on the goals' product lines
    actual = demo_db.execute(
        "SELECT coalesce(sum(amount), 0) FROM opportunities WHERE account_id = ? AND status = 'won' "
        "AND kind = 'opportunity' AND substr(closed_on, 1, 4) = ? AND product_line_id IN "
        "(SELECT product_line_id FROM goals WHERE account_id = ? AND year = ? AND metric = 'orders' "
        "AND quarter IS NULL)", [card["id"], str(DEMO_DAY.year), card["id"], DEMO_DAY.year]).fetchone()[0]
    assert demo_db.execute("SELECT count(*) FROM goals WHERE account_id = ? AND metric = 'orders' "
                           "AND product_line_id IS NULL", [card["id"]]).fetchone()[0] == 0
    assert (orders["target"], orders["actual"]) == (target, actual)


def test_card_pipeline_counts_open_deals_and_lists_those_closing_soon(demo_db, demo_path):
    card = _card(demo_path, "li.wei", "Sunrise Logistics")
    pipe = card["pipeline"]
    deals = demo_db.execute(
        "SELECT o.amount, coalesce(o.probability, s.probability, 0), o.expected_close, o.currency FROM opportunities o "
        "LEFT JOIN stages s ON s.key = o.stage WHERE o.account_id = ? AND o.status = 'open'", [card["id"]]).fetchall()
    assert pipe["count"] == len(deals) > 0
    (currency, bucket), = pipe["by_currency"].items()
    assert currency == deals[0][3]
    assert bucket["amount"] == pytest.approx(sum(d[0] for d in deals))
    assert bucket["weighted"] == pytest.approx(sum(d[0] * d[1] / 100 for d in deals))
    horizon = (DEMO_DAY + timedelta(days=overview.CLOSING_SOON_DAYS)).isoformat()
    soon = sorted(d[2] for d in deals if d[2] and d[2] <= horizon)
    assert pipe["closing_count"] == len(soon) > 0
    assert [d["expected_close"] for d in pipe["closing"]] == soon[:overview.TOP]


def test_card_relationships_and_deal_health(demo_db, demo_path):
    card = _card(demo_path, "li.wei", "Huaxin Semiconductor")
    rel = card["relationships"]
    found = demo_db.execute("SELECT score, stance FROM stakeholders WHERE account_id = ?", [card["id"]]).fetchall()
    scores = [r[0] for r in found]
    assert rel["people"] == len(scores)
    assert rel["average"] == round(sum(scores) / len(scores), 2)
    assert rel["supportive"] == sum(r[1] in ("coach", "supporter") for r in found)  # one meaning: by stance
    assert [f.kind for f in rel["coverage_flags"]] == ["conflict_between_dependents"]
    health = card["health"]
    assert health["total"] >= len(health["top"]) > 0 and len(health["top"]) <= overview.TOP
    assert all(f.account_id == card["id"] for f in health["top"])


def test_an_account_with_nothing_yet_has_empty_sections_not_placeholders(demo_db, demo_path):
    admin = users.find_by_username(demo_db, "admin")
    new = accounts.create_account(demo_db, admin, {"name": "Blank Co", "industry": "Retail", "region": "North"})
    card = overview.account_card(demo_db, admin, new["id"])
    assert card["goals"] == {"year": DEMO_DAY.year, "count": 0, "lines": [], "score": None}
    assert card["pipeline"]["count"] == 0 and card["pipeline"]["closing"] == []
    assert card["relationships"]["people"] == 0 and card["relationships"]["average"] is None
    assert card["health"]["total"] == len(card["health"]["top"])
    at = signed_in_app(demo_path, "admin", None, new["id"])
    at.query_params["order"] = str(new["id"])
    at.switch_page("pages/walkthrough.py").run()
    assert not at.exception, at.exception
    text = _texts(at)
    assert "No goals for 2026 yet" in text and "No open deals" in text and "No people mapped yet" in text


def test_walkthrough_shows_goal_attainment_pipeline_relationships_and_a_deal_health_flag(demo_path):
    card = _card(demo_path, "li.wei", "Sunrise Logistics")
    at = signed_in_app(demo_path, "li.wei", "pages/walkthrough.py", card["id"])
    assert not at.exception, at.exception
    assert at.title[0].value == "Sunrise Logistics"
    revenue = next(g for g in card["goals"]["lines"] if g["metric"] == "revenue")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Revenue goal reached"] == percent(revenue["attainment_pct"])
    assert metrics["Scorecard score"] == f"{card['goals']['score']:.0f}"
    text = _texts(at)
    assert "Goals vs actuals 2026" in text
    assert f"{money.fmt(revenue['actual'], 'CNY')} of {money.fmt(revenue['target'], 'CNY')}" in text
    weighted = card["pipeline"]["by_currency"]["CNY"]["weighted"]
    assert f"{card['pipeline']['count']} open deal(s)" in text and f"{money.fmt(weighted, 'CNY')} weighted" in text
    assert f"{card['pipeline']['closing_count']} closing within 60 days" in text
    assert card["pipeline"]["closing"][0]["name"] in text
    assert f"Level {card['relationships']['average']:.2f}" in text
    assert "Goal not covered by pipeline" in text, "a deal-health flag names its rule"
    assert "find new opportunities" in text, "... and its lesson"
    assert "Squeezer" in text, "next to the fake-key-account flags"


def test_walkthrough_in_chinese_uses_the_translated_rule_names(demo_path):
    at = signed_in_app(demo_path, "li.wei", "pages/walkthrough.py", account_id(demo_path, "Sunrise Logistics"),
                       lang="zh")
    assert not at.exception, at.exception
    text = _texts(at)
    assert "2026 年目标与实际" in text and "销售管线" in text and "管线未覆盖目标" in text


def _make_hostile(path):
    """A deal with a flag, a stakeholder in a coverage flag and the strategy rationale carry markup."""
    db = store.connect(path)
    admin = users.find_by_username(db, "admin")
    for table, update in (("opportunities", opportunities.update_opportunity),
                          ("stakeholders", stakeholders.update_stakeholder)):
        for row_id, version in db.execute(f"SELECT id, version FROM {table} WHERE account_id IN (?, ?)",
                                          [account_id(path, "Sunrise Logistics"),
                                           account_id(path, "Huaxin Semiconductor")]).fetchall():
            update(db, admin, row_id, version, {"name": f"{HOSTILE} {row_id}"})
    db.close()


def test_walkthrough_escapes_user_text_in_deals_people_and_flags(demo_path):
    _make_hostile(demo_path)
    for name in ("Sunrise Logistics", "Huaxin Semiconductor"):
        at = signed_in_app(demo_path, "li.wei", "pages/walkthrough.py", account_id(demo_path, name))
        assert not at.exception, at.exception
        text = _texts(at)
        assert ESCAPED in text, name
        assert "<img" not in text, name


def test_one_pager_holds_goals_pipeline_relationships_and_deal_health_escaped(demo_path):
    _make_hostile(demo_path)
    card = _card(demo_path, "li.wei", "Sunrise Logistics")
    page = one_pager_html(card, "en")
    revenue = next(g for g in card["goals"]["lines"] if g["metric"] == "revenue")
    assert "Goals vs actuals 2026" in page and percent(revenue["attainment_pct"]) in page
    assert "Scorecard score:</b> " + f"{card['goals']['score']:.1f}" in page
    assert f"{card['pipeline']['count']} open deal(s)" in page and "closing within 60 days" in page
    assert "Relationships" in page and f"Level {card['relationships']['average']:.2f}" in page
    assert "Deal health:" in page and "Goal not covered by pipeline" in page
    assert any(f.opportunity_name for f in card["health"]["top"]), "a flag names a deal with hostile text"
    assert ESCAPED in page and "<img" not in page
    huaxin = one_pager_html(_card(demo_path, "li.wei", "Huaxin Semiconductor"), "zh")
    assert ESCAPED in huaxin and "<img" not in huaxin, "coverage flags name people: escaped"


def test_the_default_walk_holds_every_account_top_accounts_first_also_after_an_import(demo_path):
    db = store.connect(demo_path)
    admin = users.find_by_username(db, "admin")
    before = overview.walk_order(db, admin)
    assert len(before) == len(permissions.readable_account_ids(db, admin)) == 14, "all 14 demo accounts"
    tiers = tiering.assignments(db, before)
    rank = {"key": 0, "general": 1, "small": 2}
    ranks = [rank.get((tiers.get(a) or {}).get("tier"), 3) for a in before]
    assert ranks == sorted(ranks), "key accounts first, then general, small and untiered"
    accounts.create_account(db, admin, {"name": "Aaa Imported Account", "industry": "Retail", "region": "East"})
    after = overview.walk_order(db, admin)
    db.close()
    assert after[:len(before)] == before, "an imported, untiered account goes last, not first by name"
    at = signed_in_app(demo_path, "admin", "pages/walkthrough.py")
    shown = at.query_params["order"]
    assert (shown if isinstance(shown, str) else shown[0]) == ",".join(str(a) for a in after)
