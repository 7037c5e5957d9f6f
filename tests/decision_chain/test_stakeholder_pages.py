"""AppTest of the decision-chain and relationship pages: demo and empty databases, and the main edit paths."""

from __future__ import annotations

from datetime import date

import pytest

from kamcore import store
from tests.conftest import account_id, query, signed_in_app
from tests.forms import field

PAGES = ["pages/decision_chain.py", "pages/relationships.py"]


def submit(at, label: str):
    """Click the form-submit or plain button with this label."""
    matches = [b for b in at.button if b.label == label]
    assert matches, f"no button {label!r}: {[b.label for b in at.button]}"
    return matches[0].click().run()


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_pages_render_on_demo_data(demo_path, page, lang):
    at = signed_in_app(demo_path, "li.wei", page, account_id(demo_path, "Jiangnan Power Grid"), lang=lang)
    assert not at.exception, at.exception
    assert at.title and not at.error


@pytest.mark.parametrize("page", PAGES)
def test_pages_on_an_empty_database_say_what_to_do(empty_path, page):
    at = signed_in_app(empty_path, "admin", page)
    assert not at.exception, at.exception
    assert at.info


def test_an_account_without_stakeholders_says_to_map_the_chain(demo_path):
    db = store.connect(demo_path)
    db.conn.execute("DELETE FROM stakeholders WHERE account_id = ?", [account_id(demo_path, "Longma Heavy Trucks")])
    db.conn.commit()
    db.close()
    at = signed_in_app(demo_path, "li.wei", "pages/decision_chain.py", account_id(demo_path, "Longma Heavy Trucks"))
    assert not at.exception
    assert any("add the decision maker first" in i.value for i in at.info)
    at = signed_in_app(demo_path, "li.wei", "pages/relationships.py", account_id(demo_path, "Longma Heavy Trucks"))
    assert any("Map the decision chain first" in i.value for i in at.info)


def test_pudong_shows_the_single_threaded_and_uncovered_md_flags_to_an_executive(demo_path):
    at = signed_in_app(demo_path, "chen.jie", "pages/decision_chain.py",
                       account_id(demo_path, "Pudong Precision Instruments"))
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    assert "Decision maker Tang Wei is not covered" in errors
    assert "Gao Feng is the only supportive contact" in errors
    assert at.warning  # the high-risk banner
    # an executive outside the team sees no profile sheet
    assert not any(e.label.startswith("Profile sheet") for e in at.expander)


def test_the_team_sees_the_profile_sheet(demo_path):
    at = signed_in_app(demo_path, "li.wei", "pages/decision_chain.py", account_id(demo_path, "Jiangnan Power Grid"))
    assert any(e.label.startswith("Profile sheet") for e in at.expander)


def test_editing_a_stakeholder_saves_a_new_version(demo_path):
    acc = account_id(demo_path, "Jiangnan Power Grid")
    at = signed_in_app(demo_path, "li.wei", "pages/decision_chain.py", acc)
    person_id = at.selectbox(key="dc.person").value
    field(at, "person", "score").set_value(-1)
    field(at, "person", "notes").input("Cold after the tender review")
    at = submit(at, "Save")
    assert not at.exception
    score, notes = query(demo_path, "SELECT score, notes FROM stakeholders WHERE id = ?", [person_id])[0]
    assert (score, notes) == (-1, "Cold after the tender review")


def test_a_bad_new_stakeholder_shows_the_reason_and_writes_nothing(demo_path):
    acc = account_id(demo_path, "Jiangnan Power Grid")
    before = query(demo_path, "SELECT count(*) FROM stakeholders")[0][0]
    at = signed_in_app(demo_path, "li.wei", "pages/decision_chain.py", acc)
    field(at, "new_person", "name").input("x" * 130)
    at = submit(at, "Add")
    assert any("Name" in e.value and "too long" in e.value for e in at.error)
    assert query(demo_path, "SELECT count(*) FROM stakeholders")[0][0] == before


def test_a_reports_to_loop_is_refused_on_the_page(demo_path):
    acc = account_id(demo_path, "Jiangnan Power Grid")
    boss, worker = query(demo_path, "SELECT to_id, from_id FROM stakeholder_links WHERE account_id = ? "
                                    "AND kind = 'reports_to' LIMIT 1", [acc])[0]
    before = query(demo_path, "SELECT count(*) FROM stakeholder_links")[0][0]
    at = signed_in_app(demo_path, "li.wei", "pages/decision_chain.py", acc)
    at.selectbox(key="link.from").set_value(boss)
    at.selectbox(key="link.kind").set_value("reports_to")
    at.selectbox(key="link.to").set_value(worker)
    at = submit(at, "Add link")
    assert any("reporting loop" in e.value for e in at.error)
    assert query(demo_path, "SELECT count(*) FROM stakeholder_links")[0][0] == before


def test_a_past_due_action_is_saved_with_a_warning(demo_path):
    acc = account_id(demo_path, "Jiangnan Power Grid")
    before = query(demo_path, "SELECT count(*) FROM relationship_actions WHERE account_id = ?", [acc])[0][0]
    at = signed_in_app(demo_path, "li.wei", "pages/relationships.py", acc)
    at.text_area(key="action.plan").input("Catch-up dinner we forgot to log")
    at.date_input(key="action.due").set_value(date(2020, 1, 1))
    at = submit(at, "Add to plan")
    assert not at.exception
    assert any("already past" in w.value for w in at.warning)
    assert query(demo_path, "SELECT count(*) FROM relationship_actions WHERE account_id = ?", [acc])[0][0] == before + 1


def test_recording_a_visit_outcome_marks_it_done(demo_path):
    acc = account_id(demo_path, "Jiangnan Power Grid")
    at = signed_in_app(demo_path, "li.wei", "pages/relationships.py", acc)
    visit_id = at.selectbox(key="outcome.visit").value
    at.text_area(key="outcome.text").input("Director agreed to a reference-site visit")
    at.selectbox(key="outcome.revisit").set_value(40)
    at = submit(at, "Save outcome")
    assert not at.exception
    assert query(demo_path, "SELECT status, revisit_days FROM visits WHERE id = ?", [visit_id])[0] == ("done", 40)


def test_a_viewer_reads_but_gets_no_edit_forms(demo_path):
    at = signed_in_app(demo_path, "guest", "pages/relationships.py", account_id(demo_path, "Jiangnan Power Grid"))
    assert not at.exception
    assert not [b for b in at.button if b.label == "Add to plan"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_trend_charts_are_drawn_when_their_tab_is_opened(demo_path, lang):
    """The trends tab draws its two charts only while it is open (a click on a tab reruns the page); the
    person form is drawn either way, so what a user typed there (held by the browser until Save) stays."""
    from kamcore.i18n import t

    at = signed_in_app(demo_path, "li.wei", "pages/decision_chain.py", account_id(demo_path, "Jiangnan Power Grid"),
                       lang=lang)
    assert not at.get("vega_lite_chart"), "no trend chart while the map tab is open"
    at.session_state["dc.tabs"] = t("sh.tab.trends", lang)
    at.run()
    assert not at.exception, at.exception
    charts = at.get("vega_lite_chart")
    assert len(charts) == 2, "the heat map and the person's score history"
    assert field(at, "person", "notes") and field(at, "new_person", "name"), "the forms stay drawn"
