"""Issue 31 on *My work*: the person makes, sees once and stops their calendar feed address, and sets their
e-mail address and the kinds of mail they get."""

from __future__ import annotations

from kamcore import team_calendar, users
from kamcore.mail import outbox
from tests.conftest import signed_in_app
from tests.visible_text import unescape


def test_the_feed_address_is_made_shown_once_and_stopped(demo_path, demo_db):
    li = users.find_by_username(demo_db, "li.wei")
    assert team_calendar.feed_started(demo_db, li) is None
    at = signed_in_app(demo_path, "li.wei", "pages/my_work.py")
    at.button(key="cal.feed.make").click().run()
    assert not at.exception
    shown = [c.value for c in at.code if team_calendar.FEED_PATH in c.value]
    assert len(shown) == 1
    token = shown[0].rsplit("/", 1)[1].removesuffix(".ics")
    assert team_calendar.feed_ics(demo_db, token) is not None
    at.run()  # shown once: the next run no longer has it
    assert not [c for c in at.code if team_calendar.FEED_PATH in c.value]
    at.button(key="cal.feed.stop").click().run()
    assert team_calendar.feed_started(demo_db, li) is None and team_calendar.feed_ics(demo_db, token) is None


def test_a_person_sets_their_address_and_turns_a_kind_of_mail_off(demo_path, demo_db):
    li = users.find_by_username(demo_db, "li.wei")
    assert users.get_user_row(demo_db, li.id)["email"] == ""
    at = signed_in_app(demo_path, "li.wei", "pages/my_work.py")
    at.text_input(key="mail.email").input("li.wei@example.com")
    at.toggle(key="mail.kind.digest").set_value(False)
    at.button(key="FormSubmitter:mail.prefs-Save my e-mail address").click().run()
    assert not at.exception
    assert users.get_user_row(demo_db, li.id)["email"] == "li.wei@example.com"
    assert outbox.preferences(demo_db, li) == {**dict.fromkeys(outbox.KINDS, True), "digest": False}
    at.text_input(key="mail.email").input("not an address")
    at.button(key="FormSubmitter:mail.prefs-Save my e-mail address").click().run()
    assert users.get_user_row(demo_db, li.id)["email"] == "li.wei@example.com"
    assert any("E-mail" in unescape(e.value) for e in at.error)  # the field named
