"""Issue 31 item 1: the personal feed served by the app's own server (serve.py): a live address gives the
person's calendar; a revoked or guessed one answers 404 with nothing in it."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from pathlib import Path

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


def test_the_walk_through_deck_and_a_calendar_download_from_the_browser(app, new_page, tmp_path):
    """The deck is built when its button is pressed (deferred data, its own connection) on the real server."""
    from pptx import Presentation

    from kamcore.i18n import t
    from tests.browser.test_browser_app import _huaxin, _no_error, _open

    url, db_path = app
    page = new_page(1366, 900)
    _open(page, url, "walkthrough", _huaxin(db_path), username="chen.jie")
    position = page.get_by_text(re.compile(r"Account \d+ of \d+")).first.inner_text()
    with page.expect_download(timeout=120_000) as caught:
        page.get_by_role("button", name=t("deck.download", "en")).click()
    deck = tmp_path / "walk.pptx"
    caught.value.save_as(deck)
    assert len(Presentation(str(deck)).slides) == int(position.rsplit(" ", 1)[1])
    _open(page, url, "relationships", _huaxin(db_path))
    page.get_by_role("tab", name=t("rel.tab.visits", "en")).click()
    with page.expect_download(timeout=120_000) as caught:
        page.get_by_role("button", name=t("cal.download", "en")).click()
    calendar = vobject.readOne(Path(caught.value.path()).read_text(encoding="utf-8"))
    assert calendar.vtimezone and calendar.contents["vevent"]
    _no_error(page)
