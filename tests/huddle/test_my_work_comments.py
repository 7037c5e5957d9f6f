"""My work: a person deletes their own comment there, and only their own."""

from datetime import UTC, datetime

import pytest

from kamcore import clock
from tests.conftest import DEMO_DAY, account_id, query, query_value, signed_in_app

HUAXIN = "Huaxin Semiconductor"


@pytest.fixture(autouse=True)
def demo_today(monkeypatch):
    moment = datetime.combine(DEMO_DAY, datetime.min.time(), tzinfo=UTC).replace(hour=9)
    monkeypatch.setattr(clock, "now", lambda: moment)


def delete_buttons(at) -> dict[int, object]:
    return {int(b.key.rsplit(".", 1)[1]): b for b in at.button if (b.key or "").startswith("comment.delete.")}


def test_the_author_deletes_their_own_comment_and_nobody_elses(demo_path):
    at = signed_in_app(demo_path, "li.wei", "pages/my_work.py", account_id(demo_path, HUAXIN))
    at.text_area(key="comment.body").input("A note to take back")
    at.button(key="comment.submit").click().run()
    assert not at.exception, at.exception
    mine = query_value(demo_path, "SELECT id FROM comments WHERE body = 'A note to take back'")
    li_wei = query_value(demo_path, "SELECT id FROM users WHERE username = 'li.wei'")
    shown = delete_buttons(at)
    authors = {query_value(demo_path, "SELECT author_id FROM comments WHERE id = ?", [c]) for c in shown}
    assert mine in shown and authors == {li_wei}, "a button only under one's own comments"
    before = query_value(demo_path, "SELECT count(*) FROM comments")

    shown[mine].click().run()
    assert not at.exception, at.exception
    assert query_value(demo_path, "SELECT count(*) FROM comments") == before - 1
    assert query_value(demo_path, "SELECT count(*) FROM comments WHERE id = ?", [mine]) == 0
    assert query_value(demo_path, "SELECT count(*) FROM audit_log WHERE entity = 'comment' AND entity_id = ? "
                                  "AND action = 'delete'", [mine]) > 0, "the deletion is audited"
    assert mine not in delete_buttons(at)


def test_someone_else_sees_no_delete_button_under_that_comment(demo_path):
    others = query(demo_path, "SELECT c.id FROM comments c JOIN users u ON u.id = c.author_id "
                              "WHERE u.username != 'zhang.min' AND c.account_id = ?", [account_id(demo_path, HUAXIN)])
    assert others, "the demo has comments on Huaxin by people other than Zhang Min"
    at = signed_in_app(demo_path, "zhang.min", "pages/my_work.py", account_id(demo_path, HUAXIN))
    assert not at.exception, at.exception
    assert not {c for (c,) in others} & set(delete_buttons(at))
