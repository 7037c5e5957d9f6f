"""Issue 31 item 3: the unread count beside *My work* — mentions and actions assigned by someone else since the
person last opened the page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from kamcore import clock, comments, inbox
from kamcore.relationships import pdca
from kamui import shell
from tests.conftest import signed_in_app
from tests.decision_chain.stakeholder_world import make_world

MONDAY = datetime(2026, 11, 23, 9, tzinfo=UTC)


def test_mentions_and_assignments_by_others_count_until_my_work_is_opened(fresh_db, admin):
    w = make_world(fresh_db, admin)
    with clock.at(MONDAY):
        person = w.person("md")
        assert inbox.unread(fresh_db, w.am) == {"mentions": 0, "assigned": 0}
        comments.add_comment(fresh_db, w.sm, "stakeholder", person["id"], "@am.user can you call the MD?")
        comments.add_comment(fresh_db, w.am, "stakeholder", person["id"], "@sm.user done")  # mine: not for me
        pdca.create_action(fresh_db, w.sm, w.a, {"stakeholder_id": person["id"], "kind": "hq_visit",
                                                 "due_date": "2026-12-10", "owner_id": w.am.id})
        pdca.create_action(fresh_db, w.am, w.a, {"stakeholder_id": person["id"], "kind": "event",
                                                 "due_date": "2026-12-11", "owner_id": w.am.id})  # I took it myself
    with clock.at(MONDAY + timedelta(minutes=5)):
        assert inbox.unread(fresh_db, w.am) == {"mentions": 1, "assigned": 1}
        assert inbox.unread(fresh_db, w.sm) == {"mentions": 1, "assigned": 0}
        inbox.mark_read(fresh_db, w.am)
        assert inbox.unread_count(fresh_db, w.am) == 0
    with clock.at(MONDAY + timedelta(hours=1)):
        comments.add_comment(fresh_db, w.sm, "stakeholder", person["id"], "@am.user and the CFO")
        assert inbox.unread_count(fresh_db, w.am) == 1
    with clock.at(MONDAY + timedelta(days=40)):  # older than the window: no longer "unread"
        assert inbox.unread_count(fresh_db, w.am) == 0


def test_the_navigation_title_carries_the_count_and_opening_my_work_reads_it(demo_path, demo_db):
    from kamcore import users

    li, zhang = users.find_by_username(demo_db, "li.wei"), users.find_by_username(demo_db, "zhang.min")
    account = demo_db.execute("SELECT account_id FROM account_team WHERE user_id = ? ORDER BY account_id",
                              [li.id]).fetchone()[0]
    goal = demo_db.execute("SELECT id FROM goals WHERE account_id = ? LIMIT 1", [account]).fetchone()[0]
    comments.add_comment(demo_db, zhang, "goal", goal, "@li.wei the revenue goal needs your numbers")
    before = inbox.unread(demo_db, li)
    assert before["mentions"] >= 1
    at = signed_in_app(demo_path, "li.wei", "pages/my_work.py", account)
    assert not at.exception
    assert inbox.unread_count(demo_db, li) == 0  # opened: read
    assert any("new mention" in i.value for i in at.info)
    assert shell.nav_title("nav.my_work", 3) == "My work (3)" and shell.nav_title("nav.my_work") == "My work"
