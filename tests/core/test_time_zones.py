"""Time in the reader's zone (issue 26 item 5): the company's zone and a person's own, "today", due this week
and the rhythm deadlines on the company's calendar, and every timestamp shown in the reader's zone."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from kamcore import accounts, audit, clock, store, team, time_zones, users
from kamcore.errors import PermissionDenied, ValidationError
from kamcore.huddle import agenda, huddles, what_changed
from kamcore.rhythm import entries
from tests.conftest import signed_in_app
from tests.managed_account import managed_account, member
from tests.visible_text import slips, unescape, visible_text

LATE_EVENING_UTC = datetime(2026, 11, 26, 23, 30, tzinfo=UTC)  # Thursday 23:30 UTC = Friday 07:30 in Beijing
BEIJING_DAY = date(2026, 11, 27)


@pytest.fixture
def world(fresh_db, admin):
    """One account with its manager, in a company that works in Beijing time."""
    with clock.at(datetime(2026, 11, 2, 2, tzinfo=UTC)):
        account, am = managed_account(fresh_db, admin)
        time_zones.set_company_zone(fresh_db, admin, "Asia/Shanghai")
    return {"db": fresh_db, "admin": admin, "account": account, "am": am}


def test_days_are_read_in_the_company_zone_and_moments_stay_utc():
    with clock.at(LATE_EVENING_UTC):
        assert clock.today("Asia/Shanghai") == BEIJING_DAY
        assert clock.today("UTC") == date(2026, 11, 26)
        assert clock.now_iso() == "2026-11-26T23:30:00+00:00"
    assert clock.moment_of(BEIJING_DAY, entries.DUE_TIME, "Asia/Shanghai") == datetime(2026, 11, 27, 9, 30, tzinfo=UTC)
    assert clock.week_of(date(2026, 11, 26)) == (date(2026, 11, 23), date(2026, 11, 29))


def test_one_formatter_writes_a_moment_in_the_readers_zone_and_language_never_iso():
    with clock.at(LATE_EVENING_UTC):
        assert clock.stamp("2026-11-28T09:30:00+00:00", "en", "Asia/Shanghai") == "2026-11-28 17:30"
        assert clock.stamp("2026-11-28T09:30:00+00:00", "zh", "Asia/Shanghai") == "11月28日 17:30"
        assert clock.stamp("2025-11-28T09:30:00+00:00", "zh", "Asia/Shanghai") == "2025年11月28日 17:30"
        assert clock.day_text(date(2026, 11, 28), "zh") == "11月28日"
        assert clock.day_text("2026-11-26T23:30:00+00:00", "en", "Asia/Shanghai") == "2026-11-27"
    assert clock.stamp(None) == "—"


def test_an_unknown_zone_is_refused_naming_the_field_and_nothing_is_written(world):
    db, admin, am = world["db"], world["admin"], world["am"]
    audit_rows = db.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    for bad in ("Mars/Olympus", "asia/shanghai ", "+08:00"):
        with pytest.raises(ValidationError) as refused:
            time_zones.set_company_zone(db, admin, bad)
        assert refused.value.problems[0].field == "time_zone"
        assert "time zone" in refused.value.message("en") and "时区" in refused.value.message("zh")
    with pytest.raises(ValidationError) as refused:
        time_zones.set_own_zone(db, am, "Atlantis/Capital")
    assert refused.value.problems[0].field == "time_zone"
    assert db.execute("SELECT count(*) FROM audit_log").fetchone()[0] == audit_rows
    assert time_zones.company_zone(db) == "Asia/Shanghai" and time_zones.own_zone(db, am.id) is None


def test_only_an_admin_sets_the_company_zone_and_anyone_their_own(world):
    db, am = world["db"], world["am"]
    with pytest.raises(PermissionDenied):
        time_zones.set_company_zone(db, am, "Europe/Berlin")
    assert time_zones.reader_zone(db, am) == "Asia/Shanghai"
    time_zones.set_own_zone(db, am, "Europe/Berlin")
    assert time_zones.reader_zone(db, am) == "Europe/Berlin"
    time_zones.set_own_zone(db, am, None)
    assert time_zones.reader_zone(db, am) == "Asia/Shanghai"


def _action_due(world, due: date) -> None:
    db, am = world["db"], world["am"]
    with clock.at(datetime(2026, 11, 20, 2, tzinfo=UTC)):
        huddle = huddles.start_huddle(db, am, [world["account"]])
        huddles.add_item(db, am, huddle["id"], "action", "Send the price model", account_id=world["account"],
                         owner_id=am.id, due_on=due)


@pytest.mark.parametrize(("zone", "expected"), [("Asia/Shanghai", "due today"), ("UTC", "due tomorrow")])
def test_at_2330_utc_an_action_due_the_next_day_is_due_today_for_a_beijing_team(world, zone, expected):
    _action_due(world, BEIJING_DAY)
    time_zones.set_company_zone(world["db"], world["admin"], zone)
    with clock.at(LATE_EVENING_UTC):
        day = clock.today()
        found = agenda.by_account(world["db"], world["am"], [world["account"]], day)[0].groups["due"]
    assert [i.urgency("en") for i in found] == [expected]


def test_due_this_week_is_this_calendar_week_not_the_next_seven_days(world):
    for due in (date(2026, 11, 29), date(2026, 11, 30), date(2026, 12, 3)):  # Sunday; next Monday; +7 days
        _action_due(world, due)
    with clock.at(datetime(2026, 11, 26, 2, tzinfo=UTC)):  # Thursday in Beijing
        found = agenda.by_account(world["db"], world["am"], [world["account"]], clock.today())[0].groups["due"]
    assert [i.due for i in found] == ["2026-11-29"]


def _weekly_summary(world, zone: str, handed_in: datetime) -> dict:
    time_zones.set_company_zone(world["db"], world["admin"], zone)
    with clock.at(handed_in):
        return entries.write_entry(world["db"], world["am"], {"kind": "weekly_summary",
                                                              "period_start": date(2026, 11, 23), "body": "Done"})


def test_the_friday_1730_deadline_is_beijing_time_for_a_beijing_team(world):
    friday_noon_utc = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)  # 20:00 in Beijing: after its 17:30
    assert entries.deadline("weekly_summary", date(2026, 11, 23)) == datetime(2026, 11, 27, 9, 30, tzinfo=UTC)
    assert entries.is_late(_weekly_summary(world, "Asia/Shanghai", friday_noon_utc))
    clock.use_company_zone("UTC")
    assert entries.deadline("weekly_summary", date(2026, 11, 23)) == datetime(2026, 11, 27, 17, 30, tzinfo=UTC)


def test_the_monthly_deadline_on_the_28th_and_the_reminders_follow_the_company_zone(world):
    clock.use_company_zone("Asia/Shanghai")
    assert entries.deadline("monthly_summary", date(2026, 11, 1)) == datetime(2026, 11, 28, 9, 30, tzinfo=UTC)
    with clock.at(datetime(2026, 11, 28, 10, 0, tzinfo=UTC)):  # 18:00 on the 28th in Beijing: overdue there
        owed = {d.kind: d.overdue for d in entries.reminders(world["db"], world["am"])}
    assert owed["monthly_summary"] is True
    time_zones.set_company_zone(world["db"], world["admin"], "UTC")
    with clock.at(datetime(2026, 11, 28, 10, 0, tzinfo=UTC)):  # 10:00 UTC: not yet due in London
        owed = {d.kind: d.overdue for d in entries.reminders(world["db"], world["am"])}
    assert owed["monthly_summary"] is False


def test_an_edit_at_2330_utc_shows_0730_the_next_day_on_history_for_a_beijing_reader(demo_path):
    db = store.connect(demo_path)
    li = users.find_by_username(db, "li.wei")
    account = db.execute("SELECT id FROM accounts WHERE name = 'Huaxin Semiconductor'").fetchone()[0]
    row = accounts.get_account(db, li, account)
    with clock.at(LATE_EVENING_UTC):
        accounts.update_account(db, li, account, row["version"], {"notes": "Edited late at night"})
    with clock.pinned(LATE_EVENING_UTC):
        page = signed_in_app(demo_path, "li.wei", "pages/history.py", account)
        assert not page.exception
        shown = page.dataframe[0].value
        assert shown.iloc[0]["When"] == "2026-11-27 07:30", "the newest edit first, in Beijing time"
        assert "2026-11-26 23:30" not in set(shown["When"])
        time_zones.set_own_zone(db, li, "Europe/London")  # a person's own zone wins over the company's
        page = signed_in_app(demo_path, "li.wei", "pages/history.py", account)
        assert page.dataframe[0].value.iloc[0]["When"] == "2026-11-26 23:30"
        chinese = signed_in_app(demo_path, "li.wei", "pages/history.py", account, lang="zh")
        assert chinese.dataframe[0].value.iloc[0].iloc[0] == "11月26日 23:30"
        assert slips(visible_text(chinese)) == []
    db.close()


def test_feeds_name_people_and_records_translate_choices_and_show_times_in_the_readers_zone(world):
    db, admin, am = world["db"], world["admin"], world["am"]
    lead = member(db, admin, "lead", "Chen Jie")
    team.add_member(db, admin, world["account"], lead.id, "solution_manager")
    users.set_lead(db, admin, am.id, users.get_user_row(db, am.id)["version"], lead.id)
    with clock.at(datetime(2026, 11, 27, 8, tzinfo=UTC)):
        entry = entries.write_entry(db, am, {"kind": "weekly_summary", "period_start": date(2026, 11, 23),
                                             "body": "Done", "account_id": world["account"]})
    with clock.at(datetime(2026, 11, 28, 1, 30, tzinfo=UTC)):
        entries.review(db, lead, entry["id"], entry["version"], "Good")
    since = "2026-11-27T09:00:00+00:00"
    for lang, reviewed in (("en", "2026-11-28 09:30"), ("zh", "11月28日 09:30")):
        items = what_changed.feed(db, am, [world["account"]], since, lang, zone="Asia/Shanghai")
        text = "\n".join(line for item in items for line in what_changed.sentences(item))
        assert "Chen Jie" in text and reviewed in text, text
        assert slips(text) == [], text
    english = "\n".join(s for i in what_changed.feed(db, am, [world["account"]], since, "en")
                        for s in what_changed.sentences(i))
    chinese = "\n".join(s for i in what_changed.feed(db, am, [world["account"]], since, "zh")
                        for s in what_changed.sentences(i))
    assert "Pending → Reviewed" in english or "pending" not in english.lower()
    assert "reviewed" not in chinese and "pending" not in chinese


def test_a_reference_to_a_record_reads_its_title_and_a_removed_one_says_so(world):
    db, am = world["db"], world["am"]
    rows = [{"entity": "rhythm_entry", "field": "reviewed_by", "old_value": None, "new_value": am.id},
            {"entity": "rhythm_entry", "field": "account_id", "old_value": 99999, "new_value": world["account"]}]
    named = audit.with_reference_names(db, rows, "en")
    assert named[0]["new_value"] == "Account Manager"
    assert (named[1]["old_value"], named[1]["new_value"]) == ("(removed)", "Jiangnan")


def test_the_admin_sets_the_company_zone_and_a_member_their_own_on_the_admin_page(demo_path):
    db = store.connect(demo_path)
    before = time_zones.company_zone(db)
    admin = signed_in_app(demo_path, "admin", "pages/admin.py")
    assert admin.selectbox(key="admin.time_zone").value == before == "Asia/Shanghai"
    admin.selectbox(key="admin.time_zone").set_value("Asia/Tokyo")
    admin.button(key="admin.time_zone.save").click().run()
    assert not admin.exception and not admin.error
    assert time_zones.company_zone(db) == "Asia/Tokyo"
    member_page = signed_in_app(demo_path, "li.wei", "pages/admin.py", lang="zh")
    assert member_page.selectbox(key="admin.my_zone.pick").value is None  # the company's, until they pick
    member_page.selectbox(key="admin.my_zone.pick").set_value("Europe/Berlin")
    member_page.button(key="admin.my_zone.save").click().run()
    assert not member_page.exception and not member_page.error
    li = users.find_by_username(db, "li.wei")
    assert time_zones.own_zone(db, li.id) == "Europe/Berlin" and time_zones.company_zone(db) == "Asia/Tokyo"
    db.close()


def test_the_minutes_give_the_since_moment_and_the_days_in_the_readers_zone_and_language(world):
    from kamcore.huddle import minutes

    _action_due(world, BEIJING_DAY)
    huddle_id = world["db"].execute("SELECT id FROM huddles").fetchone()[0]
    with clock.at(LATE_EVENING_UTC):
        chinese = minutes.to_markdown(minutes.gather(world["db"], world["am"], huddle_id, "zh", "Asia/Shanghai"))
        english = minutes.to_markdown(minutes.gather(world["db"], world["am"], huddle_id, "en", "Asia/Shanghai"))
    assert "11月27日" in chinese and "11月13日 10:00" in chinese, chinese  # since: a week before, 10:00 Beijing
    assert "2026-11-13 10:00" in unescape(english) and "2026-11-27" in unescape(english)
    assert slips(chinese) == [] and slips(english) == []


def test_a_stored_moment_counts_on_the_company_day_and_a_date_on_itself():
    """Day counts (last contact, days in stage, days since activity) read a moment on the company's day."""
    late = "2026-11-28T18:30:00+00:00"  # 02:30 on the 29th in Beijing
    assert clock.day_of(late, "Asia/Shanghai") == date(2026, 11, 29)
    assert clock.day_of(late, "UTC") == date(2026, 11, 28)
    assert clock.day_of("2026-11-28", "Asia/Shanghai") == date(2026, 11, 28)
    assert clock.day_of(date(2026, 11, 28)) == date(2026, 11, 28)
