"""AppTest for the retrospectives, playbook and deal-health pages on the demo and on an empty database."""

from __future__ import annotations

import pytest

from kamcore import store, users
from kamcore.learning import retrospectives, rules
from tests.conftest import account_id, signed_in_app

PAGES = ["pages/retrospectives.py", "pages/playbook.py", "pages/health.py"]


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_page_renders_on_the_demo(demo_path, page, lang):
    at = signed_in_app(demo_path, "li.wei", page, account_id(demo_path, "Huaxin Semiconductor"), lang=lang)
    assert not at.exception, at.exception
    assert at.title
    assert not at.error, [e.value for e in at.error]


@pytest.mark.parametrize("page", PAGES)
def test_page_on_an_empty_database_says_what_to_do(empty_path, page):
    at = signed_in_app(empty_path, "admin", page)
    assert not at.exception, at.exception
    assert at.info or at.success, "an empty page tells the user what to do next"


def _db(path):
    return store.connect(path)


def test_the_demo_retrospective_shows_its_timeline_and_parts(demo_path):
    at = signed_in_app(demo_path, "li.wei", "pages/retrospectives.py", account_id(demo_path, "Huaxin Semiconductor"))
    assert at.header[0].value
    assert len(at.dataframe) >= 1
    assert any("Five whys" in t.label for t in at.tabs)


def test_adding_a_five_why_chain_with_a_gap_shows_the_reason_and_writes_nothing(demo_path):
    huaxin = account_id(demo_path, "Huaxin Semiconductor")
    at = signed_in_app(demo_path, "li.wei", "pages/retrospectives.py", huaxin)
    db = _db(demo_path)
    before = db.execute("SELECT count(*) FROM retro_whys").fetchone()[0]
    at.text_input(key="retro.why.problem").set_value("Lost again")
    at.text_input(key="retro.why.why1").set_value("Price")
    at.text_input(key="retro.why.why3").set_value("Budget")
    at.text_input(key="retro.why.root_cause").set_value("No coach")
    next(b for b in at.button if b.label == "Add five-why chain").click().run()
    assert not at.exception
    assert any("Why 2" in e.value for e in at.error)
    assert db.execute("SELECT count(*) FROM retro_whys").fetchone()[0] == before
    db.close()


def test_adding_a_factor_from_the_page_writes_a_versioned_row(demo_path):
    huaxin = account_id(demo_path, "Huaxin Semiconductor")
    at = signed_in_app(demo_path, "li.wei", "pages/retrospectives.py", huaxin)
    at.text_input(key="retro.factor.text").set_value("Rival had the design institute")
    next(b for b in at.button if b.label == "Add factor").click().run()
    assert not at.exception and not at.error
    db = _db(demo_path)
    row = db.execute("SELECT version, account_id FROM retro_factors WHERE text = ?",
                     ["Rival had the design institute"]).fetchone()
    db.close()
    assert row == (1, huaxin)


def test_starting_a_mid_deal_review_from_the_page(demo_path):
    huaxin = account_id(demo_path, "Huaxin Semiconductor")
    at = signed_in_app(demo_path, "li.wei", "pages/retrospectives.py", huaxin)
    at.radio(key="retro.new.type").set_value("mid_deal").run()
    assert at.selectbox(key="retro.new.opp").options, "the demo has an open Huaxin deal to review"
    at.button(key="retro.new.create").click().run()
    assert not at.exception and not at.error
    db = _db(demo_path)
    assert db.execute("SELECT count(*) FROM retrospectives WHERE review_type = 'mid_deal'").fetchone()[0] >= 1
    db.close()


def test_turning_a_lesson_into_a_rule_with_a_bad_threshold_is_refused_on_the_page(demo_path):
    huaxin = account_id(demo_path, "Huaxin Semiconductor")
    at = signed_in_app(demo_path, "li.wei", "pages/retrospectives.py", huaxin)
    db = _db(demo_path)
    lesson = db.execute("SELECT l.id FROM lessons l JOIN retrospectives r ON r.id = l.retrospective_id "
                        "WHERE r.id = ?", [at.session_state["retro.pick"]]).fetchone()
    before = db.execute("SELECT count(*) FROM rules").fetchone()[0]
    key = f"retro.rule.{lesson[0]}"
    at.selectbox(key=f"{key}.field.0").set_value("days_since_activity").run()
    at.text_input(key=f"{key}.value.0").set_value("a month")
    at.button(key=f"{key}.create").click().run()
    assert any("whole number" in e.value for e in at.error)
    assert db.execute("SELECT count(*) FROM rules").fetchone()[0] == before
    at.text_input(key=f"{key}.value.0").set_value("21")
    at.button(key=f"{key}.create").click().run()
    assert not at.error
    assert db.execute("SELECT count(*) FROM rules").fetchone()[0] == before + 1
    db.close()


def test_acknowledging_a_flag_on_the_health_page_is_audited(demo_path):
    huaxin = account_id(demo_path, "Huaxin Semiconductor")
    at = signed_in_app(demo_path, "li.wei", "pages/health.py", huaxin)
    assert not at.exception
    db = _db(demo_path)
    li = users.find_by_username(db, "li.wei")
    open_before = rules.flag_counts(db, li, [huaxin])[huaxin]["open"]
    assert open_before >= 1, "the demo has live flags on Huaxin"
    at.text_input(key="health.ack.reason").set_value("Agreed at the huddle: waiting for the new MD")
    next(b for b in at.button if b.label == "Acknowledge").click().run()
    assert not at.exception and not at.error
    assert rules.flag_counts(db, li, [huaxin])[huaxin]["open"] == open_before - 1
    assert db.execute("SELECT count(*) FROM audit_log WHERE entity = 'flag_ack' AND action = 'create'"
                      ).fetchone()[0] >= 1
    db.close()


def test_a_hostile_rule_from_the_health_page_is_refused_with_a_message(demo_path):
    at = signed_in_app(demo_path, "li.wei", "pages/health.py", account_id(demo_path, "Huaxin Semiconductor"))
    at.text_input(key="health.rule.name").set_value("<script>alert(1)</script>")
    at.text_area(key="health.rule.lesson").set_value("x")
    at.selectbox(key="health.rule.field.0").set_value("single_threaded").run()
    at.text_input(key="health.rule.value.0").set_value("__import__('os')")
    at.button(key="health.rule.create").click().run()
    assert not at.exception
    assert any("true or false" in e.value for e in at.error)


def test_the_playbook_search_finds_a_demo_practice_and_links_its_deal(demo_path):
    at = signed_in_app(demo_path, "li.wei", "pages/playbook.py", account_id(demo_path, "Huaxin Semiconductor"))
    assert not at.exception
    at.text_input(key="playbook.q").set_value("definition").run()
    assert not at.exception
    assert any("definition" in m.value.lower() for m in at.markdown)


def test_retrospectives_page_for_a_viewer_is_read_only(demo_path):
    at = signed_in_app(demo_path, "guest", "pages/retrospectives.py", account_id(demo_path, "Jiangnan Power Grid"))
    assert not at.exception
    db = _db(demo_path)
    guest = users.find_by_username(db, "guest")
    listing = retrospectives.list_retrospectives(db, guest, account_id(demo_path, "Jiangnan Power Grid"))
    db.close()
    if listing:
        assert not [b for b in at.button if b.label == "Add factor"]
