"""Working rhythm (D9): deadlines, reminders, late flags for the lead (fixed clock), the lead's review."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from kamcore import clock, store
from kamcore.errors import PermissionDenied, ValidationError
from kamcore.huddle import what_changed
from kamcore.rhythm import entries
from tests.conftest import account_id, signed_in_app
from tests.managed_account import managed_account, member
from tests.proposals.screen_text import problems
from tests.rhythm.days import MON, at


@pytest.fixture
def world(fresh_db, admin):
    db = fresh_db
    account, am = managed_account(db, admin)
    lead = member(db, admin, "lead", "Team Lead", "executive")
    return {"db": db, "am": am, "lead": lead, "account": account}


def test_deadlines_follow_the_seeds():
    assert entries.deadline("weekly_summary", MON) == at(20, 17, 30)
    assert entries.deadline("weekly_plan", MON) == at(13, 17, 30)
    assert entries.deadline("monthly_summary", date(2026, 11, 1)) == at(28, 17, 30)
    assert entries.deadline("monthly_plan", date(2026, 12, 1)) == at(28, 17, 30)


def test_a_summary_after_friday_1730_is_flagged_late_for_the_lead(world):
    db, am, lead = world["db"], world["am"], world["lead"]
    with clock.at(at(20, 17, 45)):
        entries.write_entry(db, am, {"kind": "weekly_summary", "period_start": "2026-11-18", "body": "Done"})
    flagged = entries.late_for_lead(db, lead, at(23, 9))
    assert [(r["kind"], r["period_start"]) for r in flagged["late"]] == [("weekly_summary", "2026-11-16")]


def test_an_on_time_summary_is_not_flagged_but_a_missing_plan_is(world):
    db, am, lead = world["db"], world["am"], world["lead"]
    with clock.at(at(20, 17, 25)):
        entries.write_entry(db, am, {"kind": "weekly_summary", "period_start": MON, "body": "Done"})
    flagged = entries.late_for_lead(db, lead, at(23, 9))
    assert flagged["late"] == []
    assert ("weekly_plan", date(2026, 11, 23)) in [(d.kind, d.period_start) for d in flagged["missing"]]
    assert ("weekly_summary", MON) not in [(d.kind, d.period_start) for d in flagged["missing"]]


def test_a_reminder_comes_the_day_before_and_goes_once_handed_in(world):
    db, am = world["db"], world["am"]
    this_week = ("weekly_summary", MON)
    assert this_week not in [(d.kind, d.period_start) for d in entries.reminders(db, am, at(18, 9))]  # too early
    due = [d for d in entries.reminders(db, am, at(19, 18)) if (d.kind, d.period_start) == this_week]
    assert due and not due[0].overdue
    with clock.at(at(20, 10)):
        entries.write_entry(db, am, {"kind": "weekly_summary", "period_start": MON, "body": "Done"})
    assert this_week not in [(d.kind, d.period_start) for d in entries.reminders(db, am, at(20, 11))]


def test_a_weekly_summary_for_a_future_week_is_refused(world):
    db, am = world["db"], world["am"]
    with clock.at(at(18, 10)), pytest.raises(ValidationError) as err:
        entries.write_entry(db, am, {"kind": "weekly_summary", "period_start": "2026-11-23", "body": "Too soon"})
    assert "not begun" in err.value.message("en")
    assert db.execute("SELECT count(*) FROM rhythm_entries").fetchone()[0] == 0
    with clock.at(at(18, 10)):  # a plan for next week is fine
        entries.write_entry(db, am, {"kind": "weekly_plan", "period_start": "2026-11-23", "body": "Plan"})


def test_only_the_lead_reviews(world):
    db, am, lead = world["db"], world["am"], world["lead"]
    with clock.at(at(20, 10)):
        row = entries.write_entry(db, am, {"kind": "weekly_summary", "period_start": MON, "body": "Done"})
    with pytest.raises(PermissionDenied):
        entries.review(db, am, row["id"], row["version"], "Self-approved")
    assert entries.list_entries(db, am)[0]["review_status"] == "pending"
    done = entries.review(db, lead, row["id"], row["version"], "Good")
    assert done["review_status"] == "reviewed" and done["reviewed_by"] == lead.id
    with pytest.raises(PermissionDenied):
        entries.late_for_lead(db, am)
    assert entries.reminders(db, lead, at(27, 17)) == []


def test_an_entry_about_an_account_shows_in_what_changed(world):
    db, am = world["db"], world["am"]
    before = what_changed.count_changes(db, am, [world["account"]], "2026-01-01")
    with clock.at(at(18, 18)):
        entries.write_entry(db, am, {"kind": "daily_log", "period_start": "2026-11-18", "body": "Visit",
                                     "account_id": world["account"]})
    assert what_changed.count_changes(db, am, [world["account"]], "2026-01-01") > before


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("who", ["li.wei", "chen.jie"])
def test_the_page_in_both_languages(demo_path, lang, who):
    at_ = signed_in_app(demo_path, who, "pages/rhythm.py", account_id(demo_path, "Jiangnan Power Grid"), lang=lang)
    assert not at_.exception, at_.exception
    assert not problems(at_), problems(at_)
    if who == "li.wei":
        assert at_.dataframe, "li.wei's week of entries is listed"
    else:
        assert any(m.value.strip("*") in ("Handed in late", "迟交") for m in at_.markdown), "the lead sees the late list"


def test_handing_in_a_future_summary_on_the_page_is_refused(demo_path, demo_clock):
    at_ = signed_in_app(demo_path, "li.wei", "pages/rhythm.py")
    db = store.connect(demo_path)
    before = db.execute("SELECT count(*) FROM rhythm_entries").fetchone()[0]
    at_.selectbox(key="rhythm.kind").set_value("weekly_summary")
    at_.date_input(key="rhythm.day").set_value(clock.today() + timedelta(days=14))
    at_.text_area(key="rhythm.body").set_value("From the future")
    at_.button(key="rhythm.submit").click().run()
    assert any("not begun" in e.value for e in at_.error), [e.value for e in at_.error]
    assert db.execute("SELECT count(*) FROM rhythm_entries").fetchone()[0] == before
    db.close()


def test_the_deal_and_person_choices_are_those_of_the_account_picked(demo_path):
    grid = account_id(demo_path, "Jiangnan Power Grid")
    db = store.connect(demo_path)
    deals = {r[0] for r in db.execute("SELECT name FROM opportunities WHERE account_id = ? AND status = 'open'", [grid])}
    people = {r[0] for r in db.execute("SELECT name FROM stakeholders WHERE account_id = ?", [grid])}
    db.close()
    assert deals and people
    at_ = signed_in_app(demo_path, "chen.jie", "pages/rhythm.py")
    assert at_.selectbox(key="rhythm.deal").options == ["—"], "no account picked: no deal to choose"
    at_.selectbox(key="rhythm.account").set_value(grid).run()
    assert not at_.exception, at_.exception
    assert set(at_.selectbox(key="rhythm.deal").options) - {"—"} == deals
    assert set(at_.selectbox(key="rhythm.person").options) - {"—"} == people
