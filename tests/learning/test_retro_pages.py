"""AppTest for the retrospectives, playbook and deal-health pages on the demo and on an empty database."""

from __future__ import annotations

import pytest

from kamcore import store, users
from kamcore.learning import playbook, retrospectives, rules
from tests.conftest import account_id, query_value, signed_in_app
from tests.visible_text import unescape

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


def _draft(path, title="Mid-deal check"):
    """A fresh draft retrospective on Huaxin (a mid-deal review of an open deal), newest so shown first."""
    db = _db(path)
    li = users.find_by_username(db, "li.wei")
    huaxin = db.execute("SELECT id FROM accounts WHERE name = 'Huaxin Semiconductor'").fetchone()[0]
    deal = db.execute("SELECT id FROM opportunities WHERE account_id = ? AND status = 'open' ORDER BY id",
                      [huaxin]).fetchone()[0]
    row = retrospectives.create_retrospective(db, li, {"account_id": huaxin, "opportunity_id": deal,
                                                       "review_type": "mid_deal", "title": title})
    db.close()
    return row


def test_the_demo_retrospective_shows_its_timeline_and_parts(demo_path):
    at = signed_in_app(demo_path, "li.wei", "pages/retrospectives.py", account_id(demo_path, "Huaxin Semiconductor"))
    assert at.header[0].value
    assert len(at.dataframe) >= 1
    assert any("Five whys" in t.label for t in at.tabs)


def test_adding_a_five_why_chain_with_a_gap_shows_the_reason_and_writes_nothing(demo_path):
    huaxin = account_id(demo_path, "Huaxin Semiconductor")
    _draft(demo_path)
    at = signed_in_app(demo_path, "li.wei", "pages/retrospectives.py", huaxin)
    before = query_value(demo_path, "SELECT count(*) FROM retro_whys")
    at.text_input(key="retro.why.problem").set_value("Lost again")
    at.text_input(key="retro.why.why1").set_value("Price")
    at.text_input(key="retro.why.why3").set_value("Budget")
    at.text_input(key="retro.why.root_cause").set_value("No coach")
    next(b for b in at.button if b.label == "Add five-why chain").click().run()
    assert not at.exception
    assert any("Why 2" in e.value for e in at.error)
    assert query_value(demo_path, "SELECT count(*) FROM retro_whys") == before


def test_adding_a_factor_from_the_page_writes_a_versioned_row_on_the_retrospective_shown(demo_path):
    huaxin = account_id(demo_path, "Huaxin Semiconductor")
    draft = _draft(demo_path)
    at = signed_in_app(demo_path, "li.wei", "pages/retrospectives.py", huaxin)
    assert unescape(at.header[0].value) == draft["title"]
    at.text_input(key="retro.factor.text").set_value("Rival had the design institute")
    next(b for b in at.button if b.label == "Add factor").click().run()
    assert not at.exception and not at.error
    db = _db(demo_path)
    row = db.execute("SELECT version, account_id, retrospective_id FROM retro_factors WHERE text = ?",
                     ["Rival had the design institute"]).fetchone()
    db.close()
    assert row == (1, huaxin, draft["id"])


def test_starting_a_review_shows_the_new_retrospective_not_the_one_picked_before(demo_path):
    huaxin = account_id(demo_path, "Huaxin Semiconductor")
    at = signed_in_app(demo_path, "li.wei", "pages/retrospectives.py", huaxin)
    first = at.session_state["retro.pick"]
    before = query_value(demo_path, "SELECT count(*) FROM retrospectives WHERE review_type = 'mid_deal'")
    at.radio(key="retro.new.type").set_value("mid_deal").run()
    assert at.selectbox(key="retro.new.opp").options, "the demo has an open Huaxin deal to review"
    at.button(key="retro.new.create").click().run()
    assert not at.exception and not at.error
    assert query_value(demo_path, "SELECT count(*) FROM retrospectives WHERE review_type = 'mid_deal'") == before + 1
    newest = query_value(demo_path, "SELECT max(id) FROM retrospectives")
    assert newest != first
    assert at.session_state["retro.pick"] == newest
    assert at.query_params["retro"] == [str(newest)] or at.query_params["retro"] == str(newest)
    assert unescape(at.header[0].value) == _title(demo_path, newest)


def _title(path, retro_id):
    db = _db(path)
    try:
        return db.execute("SELECT title FROM retrospectives WHERE id = ?", [retro_id]).fetchone()[0]
    finally:
        db.close()


def test_a_final_retrospective_cannot_be_edited_on_the_page_and_reopening_is_audited(demo_path):
    huaxin = account_id(demo_path, "Huaxin Semiconductor")
    at = signed_in_app(demo_path, "li.wei", "pages/retrospectives.py", huaxin)
    retro_id = at.session_state["retro.pick"]
    assert query_value(demo_path, "SELECT count(*) FROM retrospectives WHERE id = ? AND status = 'final'", [retro_id]) == 1
    assert all(w.disabled for w in at.text_area if w.key and w.key.startswith(f"retro.head.{retro_id}"))
    assert not [b for b in at.button if b.label in ("Add factor", "Add five-why chain", "Add lesson")]
    assert not [b for b in at.button if b.key and b.key.startswith("retro.factor.save")]
    reopened = ("SELECT count(*) FROM audit_log WHERE entity = 'retrospective' AND entity_id = ? "
                "AND field = 'reopen_reason' AND new_value = ?")
    said = [retro_id, '"The customer debrief changed the story"']
    before = query_value(demo_path, reopened, said)
    at.text_input(key=f"retro.life.{retro_id}.reason").set_value("The customer debrief changed the story")
    at.button(key=f"retro.life.{retro_id}.reopen").click().run()
    assert not at.exception and not at.error
    assert query_value(demo_path, reopened, said) == before + 1
    assert any(b.label == "Add factor" for b in at.button)


def _rule_conditions(at, key, field, op, value):
    at.selectbox(key=f"{key}.field.0").set_value(field).run()
    at.selectbox(key=f"{key}.op.0").set_value(op).run()
    at.number_input(key=f"{key}.value.0.{field}").set_value(value).run()


def test_a_rule_from_a_lesson_flags_as_many_deals_as_its_preview_said(demo_path):
    huaxin = account_id(demo_path, "Huaxin Semiconductor")
    at = signed_in_app(demo_path, "li.wei", "pages/retrospectives.py", huaxin)
    lesson = query_value(demo_path, "SELECT min(id) FROM lessons WHERE retrospective_id = ?", [at.session_state["retro.pick"]])
    key = f"retro.rule.{lesson}"
    _rule_conditions(at, key, "days_since_activity", ">=", 21)
    said = next(m.value for m in at.markdown if "This rule would flag" in m.value)
    preview_count = int(said.split("**")[1])
    before = query_value(demo_path, "SELECT count(*) FROM rules")
    at.button(key=f"{key}.create").click().run()
    assert not at.exception and not at.error
    assert query_value(demo_path, "SELECT count(*) FROM rules") == before + 1
    db = _db(demo_path)
    li = users.find_by_username(db, "li.wei")
    rule_id = db.execute("SELECT max(id) FROM rules").fetchone()[0]
    raised = [f for f in rules.evaluate(db, li) if f.rule_id == rule_id]
    db.close()
    assert preview_count > 0
    assert len(raised) == preview_count


def test_a_rule_matching_every_live_deal_is_warned_about_and_not_saved(demo_path):
    at = signed_in_app(demo_path, "li.wei", "pages/health.py", account_id(demo_path, "Huaxin Semiconductor"))
    at.text_input(key="health.rule.name").set_value("Everything")
    at.text_area(key="health.rule.lesson").set_value("Flags all")
    _rule_conditions(at, "health.rule", "days_since_activity", ">=", 0)
    assert any("matches every one" in w.value for w in at.warning)
    before = query_value(demo_path, "SELECT count(*) FROM rules")
    at.button(key="health.rule.create").click().run()
    assert not at.exception
    assert any("would flag all" in e.value for e in at.error)
    assert query_value(demo_path, "SELECT count(*) FROM rules") == before


def test_a_rule_made_on_the_health_page_is_the_one_picked_and_its_conditions_get_versions(demo_path):
    at = signed_in_app(demo_path, "li.wei", "pages/health.py", account_id(demo_path, "Huaxin Semiconductor"))
    at.text_input(key="health.rule.name").set_value("Stalled 45 days")
    at.text_area(key="health.rule.lesson").set_value("A deal untouched for six weeks is drifting")
    _rule_conditions(at, "health.rule", "days_since_activity", ">=", 45)
    at.button(key="health.rule.create").click().run()
    assert not at.exception and not at.error
    rule_id = query_value(demo_path, "SELECT id FROM rules WHERE name = 'Stalled 45 days'")
    assert at.session_state["health.rule.pick"] == rule_id
    key = f"health.rule.edit.{rule_id}.1"
    at.number_input(key=f"{key}.value.0.days_since_activity").set_value(60).run()
    at.button(key="health.rule.save_conditions").click().run()
    assert not at.exception and not at.error
    db = _db(demo_path)
    versions = rules.rule_versions(db, rule_id)
    rules.sweep(db)
    fired = {r[0] for r in db.execute("SELECT rule_version FROM rule_firings WHERE rule_id = ?", [rule_id])}
    db.close()
    assert [v["version"] for v in versions] == [2, 1]
    assert versions[0]["conditions"][0]["value"] == 60
    assert fired <= {2}


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


def test_the_playbook_search_finds_a_demo_practice_and_links_its_deal(demo_path):
    at = signed_in_app(demo_path, "li.wei", "pages/playbook.py", account_id(demo_path, "Huaxin Semiconductor"))
    assert not at.exception
    at.text_input(key="playbook.q").set_value("definition").run()
    assert not at.exception
    assert any("definition" in m.value.lower() for m in at.markdown)


def test_retrospectives_page_for_a_viewer_is_read_only(demo_path):
    grid = account_id(demo_path, "Jiangnan Power Grid")
    db = _db(demo_path)
    admin = users.find_by_username(db, "admin")
    retrospectives.create_retrospective(db, admin, {
        "account_id": grid, "review_type": "period", "title": "FY2025 grid goal", "result": "goal_missed",
        "review_from": "2025-01-01", "review_to": "2025-12-31"})
    db.close()
    at = signed_in_app(demo_path, "guest", "pages/retrospectives.py", grid)
    assert not at.exception
    assert unescape(at.header[0].value) == "FY2025 grid goal"
    assert not [b for b in at.button if b.label in ("Add factor", "Send to review")]
    assert all(r.disabled for r in at.radio if r.key and r.key.startswith("retro.goals"))


def test_a_practice_just_promoted_is_shown_first_when_its_link_is_opened(demo_path):
    huaxin = account_id(demo_path, "Huaxin Semiconductor")
    db = store.connect(demo_path)
    li = users.find_by_username(db, "li.wei")
    retro = retrospectives.create_retrospective(db, li, {
        "account_id": huaxin, "review_type": "period", "title": "Quarter review", "result": "goal_missed",
        "review_from": "2026-01-01", "review_to": "2026-03-31"})
    made = retrospectives.add_lesson(db, li, retro["id"], {"title": "Brief the buyer's CFO before the tender",
                                                           "detail": "The CFO decided on payment terms.",
                                                           "dimension": "relationship", "stage": ""})
    entry = playbook.promote(db, li, made["id"], made["version"], {})
    at = signed_in_app(demo_path, "li.wei", "pages/playbook.py", huaxin)
    at.text_input(key="playbook.q").set_value("definition").run()  # a search the new practice does not match
    assert not any("Brief the buyer's CFO" in unescape(m.value) for m in at.markdown)
    at.query_params["entry"] = str(entry["id"])
    at.run()
    assert not at.exception, at.exception
    assert [s.value for s in at.subheader] == ["The practice you opened"]
    assert "#### Brief the buyer's CFO before the tender" in [unescape(m.value) for m in at.markdown]
    db.close()
