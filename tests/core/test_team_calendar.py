"""Issue 31 item 1: every `.ics` the app writes, read back with an independent parser (vobject, not the icalendar
library that wrote it): valid, the company zone as VTIMEZONE, times in that zone, stable UIDs, cancellations."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
import vobject

from kamcore import clock, permissions, team_calendar, users
from kamcore.proposals import rooms
from kamcore.relationships import visits
from tests.conftest import DEMO_DAY

NOON = datetime.combine(DEMO_DAY, time(10), tzinfo=UTC)


@pytest.fixture(autouse=True)
def demo_clock():
    with clock.at(NOON):
        yield


def parse(data: bytes):
    """The calendar as vobject reads it, and its events by UID."""
    calendar = vobject.readOne(data.decode("utf-8"))
    return calendar, {e.uid.value: e for e in calendar.contents.get("vevent", [])}


def _zone_of(calendar) -> str:
    return calendar.vtimezone.tzid.value


def _member(db, name="li.wei"):
    return users.find_by_username(db, name)


@pytest.mark.parametrize("kinds", [(k,) for k in team_calendar.KINDS] + [team_calendar.KINDS])
def test_every_download_parses_with_the_company_zone_and_its_times(demo_db, kinds):
    li = _member(demo_db)
    zone = team_calendar.company_zone(demo_db)
    seen = 0
    for account_id in [None, *permissions.readable_account_ids(demo_db, li)]:
        if account_id is None and kinds != ("rhythm",):
            continue
        calendar, events = parse(team_calendar.account_ics(demo_db, li, account_id, kinds, "en"))
        assert _zone_of(calendar) == zone.key
        expected = {f"{i.uid}@{team_calendar.UID_DOMAIN}": i for i in team_calendar.items(
            demo_db, li, [] if account_id is None else [account_id], kinds)}
        assert set(events) == set(expected)
        for uid, event in events.items():
            start, item = event.dtstart.value, expected[uid]
            if isinstance(item.start, datetime):  # timed: written in the company zone, the same instant
                assert isinstance(start, datetime) and start.utcoffset() == zone.utcoffset(item.start.replace(
                    tzinfo=None))
                assert start == item.start
                assert event.dtstart.params["X-VOBJ-ORIGINAL-TZID"] == [zone.key]  # TZID of the VTIMEZONE
            else:  # all-day: the record's date
                assert not isinstance(start, datetime) and start == item.start
            assert event.url.value.endswith(item.link)
            seen += 1
    assert seen > 0


def test_a_tender_deadline_is_its_last_working_day_at_half_past_five_in_the_company_zone(demo_db):
    head = demo_db.execute("SELECT id, account_id, start_on, cycle_days FROM proposals WHERE outcome = 'open'"
                           ).fetchone()
    account_id = head[1]
    zone = team_calendar.company_zone(demo_db)
    admin = users.find_by_username(demo_db, "admin")
    _calendar, events = parse(team_calendar.account_ics(demo_db, admin, account_id, ("tender",), "en"))
    event = events[f"proposal-{head[0]}@{team_calendar.UID_DOMAIN}"]
    last_day = rooms.deadline({"start_on": head[2], "cycle_days": head[3]})
    assert event.dtstart.value == datetime.combine(last_day, time(17, 30), tzinfo=zone)
    assert event.dtstart.params["X-VOBJ-ORIGINAL-TZID"] == [zone.key]  # written with its TZID, not UTC


def test_an_edited_visit_keeps_its_uid_and_a_cancelled_one_is_marked_cancelled(demo_db):
    li = _member(demo_db)
    account_id = permissions.readable_account_ids(demo_db, li)[0]
    visit = visits.plan_visit(demo_db, li, account_id, {"purpose": "maintain", "planned_on": "2026-11-30",
                                                         "goal": "Pilot line review"})
    uid = f"visit-{visit['id']}@{team_calendar.UID_DOMAIN}"
    _c, before = parse(team_calendar.account_ics(demo_db, li, account_id, ("visit",), "en"))
    assert before[uid].status.value == "CONFIRMED" and "Pilot line review" in before[uid].summary.value
    moved = visits.update_visit(demo_db, li, visit["id"], visit["version"], {"planned_on": "2026-12-02",
                                                                            "goal": "Pilot line go/no-go"})
    _c, edited = parse(team_calendar.account_ics(demo_db, li, account_id, ("visit",), "en"))
    assert set(edited) == set(before)  # the same UIDs: the calendar updates the event, no duplicate
    assert edited[uid].dtstart.value == date(2026, 12, 2) and "go/no-go" in edited[uid].summary.value
    assert int(edited[uid].sequence.value) > int(before[uid].sequence.value)
    visits.update_visit(demo_db, li, visit["id"], moved["version"], {"status": "cancelled"})
    _c, cancelled = parse(team_calendar.account_ics(demo_db, li, account_id, ("visit",), "en"))
    assert cancelled[uid].status.value == "CANCELLED"
    assert int(cancelled[uid].sequence.value) > int(edited[uid].sequence.value)


def test_titles_are_in_the_readers_language(demo_db):
    li = _member(demo_db)
    account_id = permissions.readable_account_ids(demo_db, li)[0]
    _c, english = parse(team_calendar.account_ics(demo_db, li, account_id, ("visit", "huddle"), "en"))
    _c, chinese = parse(team_calendar.account_ics(demo_db, li, account_id, ("visit", "huddle"), "zh"))
    assert set(english) == set(chinese)
    assert all(e.summary.value.startswith(("Visit: ", "Huddle: ")) for e in english.values())
    assert all(e.summary.value.startswith(("拜访：", "例会：")) for e in chinese.values())


def test_the_feed_lists_the_persons_accounts_and_stops_when_revoked(demo_db):
    li = _member(demo_db)
    token = team_calendar.start_feed(demo_db, li)
    stored = " ".join(str(v) for row in demo_db.execute("SELECT * FROM calendar_feeds") for v in row)
    assert token not in stored  # only its hash is kept
    _c, events = parse(team_calendar.feed_ics(demo_db, token))
    theirs = {i.account_name for i in team_calendar.feed_items(demo_db, li) if i.account_id}
    team = {r[0] for r in demo_db.execute("SELECT a.name FROM account_team t JOIN accounts a ON a.id = t.account_id "
                                          "WHERE t.user_id = ?", [li.id])}
    assert theirs == team
    assert {e.uid.value.split("-")[0] for e in events.values()} >= {"visit", "huddle", "rhythm"}
    assert team_calendar.feed_ics(demo_db, token + "x") is None
    renewed = team_calendar.start_feed(demo_db, li)
    assert team_calendar.feed_ics(demo_db, token) is None and team_calendar.feed_ics(demo_db, renewed) is not None
    team_calendar.revoke_feed(demo_db, li)
    assert team_calendar.feed_ics(demo_db, renewed) is None
    assert team_calendar.feed_started(demo_db, li) is None
