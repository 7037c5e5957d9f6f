"""AppTest for the portfolio pages on the demo and an empty database, and their main edit paths."""

import pytest

from kamcore import store, users
from kamcore.portfolio import financials, positioning, tiering
from tests.conftest import account_id, signed_in_app
from tests.forms import field
from tests.visible_text import slips, unescape, visible_text

PAGES = ["pages/portfolio.py", "pages/tiering.py", "pages/financials.py", "pages/walkthrough.py"]


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_portfolio_pages_render_on_demo_data(demo_path, page, lang):
    at = signed_in_app(demo_path, "li.wei", page, account_id(demo_path, "Sunrise Logistics"), lang=lang)
    assert not at.exception, at.exception
    assert at.title
    assert not at.error


@pytest.mark.parametrize("page", PAGES)
def test_portfolio_pages_on_an_empty_database_say_what_to_do(empty_path, page):
    at = signed_in_app(empty_path, "admin", page)
    assert not at.exception, at.exception
    assert at.info, "an empty page tells the user what to do next"


def _texts(at):
    return unescape(" ".join(m.value for m in at.markdown))  # as the screen shows the Markdown


def test_portfolio_shows_flags_with_their_numbers_and_the_tier_version(demo_path):
    at = signed_in_app(demo_path, "admin", "pages/portfolio.py", account_id(demo_path, "Sunrise Logistics"))
    assert "One-off bulk buyer" not in _texts(at)  # every flagged account's lines: drawn when the tab is opened
    at.session_state["portfolio.tabs"] = "Fake key accounts"
    at.run()
    assert not at.exception, at.exception
    text = _texts(at)
    assert "One-off bulk buyer: 97.7%" in text  # Qilu
    assert "4.0% gross margin" in text  # Sunrise
    assert "tiered by criteria **v1**" in text
    assert at.dataframe, "the accounts table, Pareto table and grid table render"


def test_portfolio_table_filters_by_tier(demo_path):
    at = signed_in_app(demo_path, "admin", "pages/portfolio.py")
    at.multiselect(key="portfolio.filter.tier").set_value(["key"]).run()
    assert not at.exception
    db = store.connect(demo_path)
    keys = sorted(r[0] for r in db.execute("SELECT a.name FROM account_tiers t JOIN accounts a ON a.id = t.account_id "
                                            "WHERE t.tier = 'key'"))
    assert 0 < len(keys) < 14
    assert sorted(at.dataframe[0].value["Name"]) == keys


def test_saving_the_chosen_posture_writes_a_new_version(demo_path):
    sunrise = account_id(demo_path, "Sunrise Logistics")
    at = signed_in_app(demo_path, "li.wei", "pages/portfolio.py", sunrise)
    field(at, "position", "chosen_posture").set_value("flank")
    field(at, "position", "rationale").set_value("Flank the incumbent on payment terms")
    at.button(key="FormSubmitter:position.form-Save").click().run()
    assert not at.exception, at.exception
    db = store.connect(demo_path)
    got = positioning.get_position(db, users.find_by_username(db, "li.wei"), sunrise)
    assert (got["chosen_posture"], got["rationale"]) == ("flank", "Flank the incumbent on payment terms")


def _activate_button(at):
    return next(b for b in at.button if b.label == "Activate this version")


def test_activation_waits_for_two_recorded_agreements_then_lists_the_signers(demo_path):
    db = store.connect(demo_path)
    draft = next(v for v in tiering.list_criteria(db) if v["status"] == "draft")
    assert tiering.agreements(db, draft["id"]) == []
    at = signed_in_app(demo_path, "chen.jie", "pages/tiering.py")
    assert "would change tier" in _texts(at)
    assert _activate_button(at).disabled
    assert "Activation needs at least 2 recorded agreements; 0 so far." in " ".join(c.value for c in at.caption)
    at.text_input(key=f"tiering.agree.{draft['id']}.comment").set_value("Profit first, agreed")
    next(b for b in at.button if b.label == "I agree with this draft").click().run()
    assert not at.exception, at.exception
    assert [(s["name"], s["comment"]) for s in tiering.agreements(db, draft["id"])] == [
        ("Chen Jie", "Profit first, agreed")]
    assert not [b for b in at.button if b.label == "I agree with this draft"], "nobody signs twice"
    assert _activate_button(at).disabled
    member = signed_in_app(demo_path, "li.wei", "pages/tiering.py")
    next(b for b in member.button if b.label == "I agree with this draft").click().run()
    assert not member.exception, member.exception
    at.run()
    assert not _activate_button(at).disabled
    _activate_button(at).click().run()
    assert not at.exception, at.exception
    active = tiering.active_criteria(db)
    assert (active["number"], active["agreed_by"]) == (2, ["Chen Jie", "Li Wei"])
    sunrise = account_id(demo_path, "Sunrise Logistics")
    assert tiering.assignments(db, [sunrise])[sunrise]["criteria_number"] == 2


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_draft_lists_who_agreed_when_and_why_without_slips(demo_path, lang):
    db = store.connect(demo_path)
    draft = next(v for v in tiering.list_criteria(db) if v["status"] == "draft")
    tiering.agree(db, users.find_by_username(db, "zhang.min"), draft["id"], "Collection period matters")
    at = signed_in_app(demo_path, "wang.fang", "pages/tiering.py", lang=lang)
    assert not at.exception, at.exception
    signers = next(f.value for f in at.dataframe if "Collection period matters" in f.value.to_string())
    assert list(signers.iloc[:, 0]) == ["Zhang Min"]
    assert slips(visible_text(at)) == []


def test_draft_thresholds_out_of_order_are_refused_on_screen(demo_path):
    at = signed_in_app(demo_path, "chen.jie", "pages/tiering.py")
    db = store.connect(demo_path)
    draft = next(v for v in tiering.list_criteria(db) if v["status"] == "draft")
    key = f"tiering.draft.{draft['id']}.{draft['version']}"
    at.number_input(key=f"{key}.general_min").set_value(90.0)
    next(b for b in at.button if b.label == "Save draft").click().run()
    assert "General account from score" not in at.error[0].value
    assert "Key account from score: must be above the lower threshold (90.0)" in unescape(at.error[0].value)
    assert tiering.get_criteria(db, draft["id"])["version"] == draft["version"]


def test_members_see_criteria_but_cannot_draft(demo_path):
    at = signed_in_app(demo_path, "li.wei", "pages/tiering.py")
    assert "Only administrators and executives" in " ".join(c.value for c in at.caption)
    assert not [b for b in at.button if b.label == "Activate this version"]


def test_editing_a_year_in_the_financials_table_saves_it(demo_path):
    sunrise = account_id(demo_path, "Sunrise Logistics")
    at = signed_in_app(demo_path, "li.wei", "pages/financials.py", sunrise)
    at.session_state[f"financials.{sunrise}.editor.0"] = {
        "edited_rows": {0: {"price_cuts": 3}}, "added_rows": [], "deleted_rows": []}
    at.run()
    at.button(key=f"financials.{sunrise}.save").click().run()
    assert not at.exception, at.exception
    db = store.connect(demo_path)
    latest = financials.list_financials(db, users.find_by_username(db, "li.wei"), sunrise)[0]
    assert (latest["price_cuts"], latest["version"]) == (3, 3)


def test_financials_table_refuses_negative_revenue_and_keeps_the_row(demo_path):
    sunrise = account_id(demo_path, "Sunrise Logistics")
    at = signed_in_app(demo_path, "li.wei", "pages/financials.py", sunrise)
    at.session_state[f"financials.{sunrise}.editor.0"] = {
        "edited_rows": {0: {"revenue": -1}}, "added_rows": [], "deleted_rows": []}
    at.run()
    at.button(key=f"financials.{sunrise}.save").click().run()
    assert any("Revenue: must be at least 0" in unescape(m.value) for m in at.markdown)


def test_walkthrough_moves_to_the_next_account_in_the_chosen_order(demo_path):
    jiangnan, qilu, sunrise = (account_id(demo_path, n) for n in
                               ("Jiangnan Power Grid", "Qilu Petrochemical", "Sunrise Logistics"))
    at = signed_in_app(demo_path, "chen.jie", None, jiangnan)
    at.query_params["order"] = f"{jiangnan},{qilu},{sunrise}"
    at.switch_page("pages/walkthrough.py").run()
    assert at.title[0].value == "Jiangnan Power Grid"
    assert "Account 1 of 3" in _texts(at)
    at.button(key="walk.next").click().run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Qilu Petrochemical"
    assert "One-off bulk buyer" in _texts(at)
    assert at.query_params["account"] == [str(qilu)] or at.query_params["account"] == str(qilu)
    at.button(key="walk.previous").click().run()
    assert at.title[0].value == "Jiangnan Power Grid"


def test_one_pager_is_a_complete_html_page_with_user_text_escaped(demo_path):
    from kamcore.portfolio import overview
    from kamui.portfolio_view import one_pager_html

    db = store.connect(demo_path)
    chen = users.find_by_username(db, "chen.jie")
    sunrise = account_id(demo_path, "Sunrise Logistics")
    card = overview.account_card(db, chen, sunrise)
    card["position"]["rationale"] = "<script>alert(1)</script>"
    page = one_pager_html(card, "zh")
    assert page.startswith("<!doctype html>") and page.rstrip().endswith("</html>")
    assert "Sunrise Logistics" in page and "扒皮大户" in page and "分级标准 v1" in page
    assert "<script>" not in page and "&lt;script&gt;" in page


def _charts(at):
    return [e for e in at.main if "vega" in e.type.lower()]


def test_the_pareto_and_grid_tabs_are_drawn_only_when_opened(demo_path):
    at = signed_in_app(demo_path, "admin", "pages/portfolio.py", account_id(demo_path, "Sunrise Logistics"))
    assert not at.exception, at.exception
    closed = {m.label for m in at.metric}
    assert "Class A accounts" not in closed and not _charts(at)
    at.session_state["portfolio.tabs"] = "Pareto / ABC"
    at.run()
    assert not at.exception, at.exception
    assert "Class A accounts" in {m.label for m in at.metric}
    assert len(_charts(at)) == 1
    at.session_state["portfolio.tabs"] = "Potential grid"
    at.run()
    assert not at.exception, at.exception
    assert "Class A accounts" not in {m.label for m in at.metric}
    assert len(_charts(at)) == 1
    assert any("Potential" in c for f in at.dataframe for c in f.value.columns)
