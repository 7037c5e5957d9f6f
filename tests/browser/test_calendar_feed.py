"""Issue 31 item 1: the personal feed served by the app's own server (serve.py): a live address gives the
person's calendar; a revoked or guessed one answers 404 with nothing in it."""

from __future__ import annotations

import urllib.error
import urllib.request

import vobject

from kamcore import store, team_calendar, users


def _get(url: str) -> tuple[int, bytes, str]:
    try:
        with urllib.request.urlopen(url, timeout=60) as answer:
            return answer.status, answer.read(), answer.headers.get("Content-Type", "")
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read(), ""


def test_the_feed_address_serves_the_calendar_until_revoked(app):
    url, db_path = app
    db = store.connect(db_path)
    try:
        li = users.find_by_username(db, "li.wei")
        token = team_calendar.start_feed(db, li)
        status, body, kind = _get(f"{url}{team_calendar.FEED_PATH}/{token}.ics")
        assert (status, kind.split(";")[0]) == (200, "text/calendar")
        calendar = vobject.readOne(body.decode("utf-8"))
        assert calendar.vtimezone.tzid.value == team_calendar.company_zone(db).key
        assert len(calendar.contents["vevent"]) == len(team_calendar.feed_items(db, li))
        for guess in (token[:-1] + ("A" if token[-1] != "A" else "B"), "x" * 32, "x" * 500):
            assert _get(f"{url}{team_calendar.FEED_PATH}/{guess}.ics")[:2] == (404, b""), guess
        status, body, _ = _get(f"{url}{team_calendar.FEED_PATH}/%00.ics")
        assert status in (400, 404) and b"VCALENDAR" not in body
        team_calendar.revoke_feed(db, li)
        assert _get(f"{url}{team_calendar.FEED_PATH}/{token}.ics")[:2] == (404, b"")
    finally:
        db.close()
