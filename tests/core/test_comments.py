"""Comments with @mentions: validated against the war room's users and the account's readers."""

from datetime import UTC, datetime

import pytest

from kamcore import accounts, clock, comments, team, users
from kamcore.errors import PermissionDenied, ValidationError
from kamcore.huddle import huddles


@pytest.fixture
def world(fresh_db, admin):
    db = fresh_db
    li = users.create_user(db, admin, "li.wei", "Li Wei", "password-123")
    zhang = users.create_user(db, admin, "zhang.min", "Zhang Min", "password-123")
    outsider = users.create_user(db, admin, "omar", "Omar", "password-123")
    viewer = users.create_user(db, admin, "guest", "Guest", "password-123")
    account = accounts.create_account(db, admin, {"name": "Acme", "industry": "Steel", "region": "East"})
    team.add_member(db, admin, account["id"], li.id, "account_manager", True)
    team.add_member(db, admin, account["id"], zhang.id, "solution_manager")
    team.add_member(db, admin, account["id"], viewer.id, "viewer")
    huddle = huddles.start_huddle(db, li, [account["id"]])
    return {"db": db, "li": li, "zhang": zhang, "outsider": outsider, "viewer": viewer, "account": account["id"],
            "huddle": huddle["id"]}


def count(db):
    return db.execute("SELECT count(*) FROM comments").fetchone()[0]


def test_mentions_are_found_once_each_and_emails_are_not_mentions():
    assert comments.mentioned_usernames("@zhang.min see @li.wei, and @zhang.min again.") == ["zhang.min", "li.wei"]
    assert comments.mentioned_usernames("mail li@example.com") == []


def test_a_comment_stores_who_it_mentions_and_they_find_it_in_my_work(world):
    db = world["db"]
    with clock.at(datetime.now(UTC)):
        comments.add_comment(db, world["li"], "huddle", world["huddle"], "@zhang.min please check the terms")
    mine = comments.my_mentions(db, world["zhang"])
    assert [c["body"] for c in mine] == ["@zhang.min please check the terms"]
    assert mine[0]["author"] == "Li Wei" and mine[0]["account_name"] == "Acme"
    assert comments.my_mentions(db, world["li"]) == []


def test_an_unknown_user_is_refused_by_name_and_nothing_is_written(world):
    db = world["db"]
    with pytest.raises(ValidationError) as caught:
        comments.add_comment(db, world["li"], "huddle", world["huddle"], "@zhang.min and @nobody.here")
    assert caught.value.problems[0].field == "mentions"
    assert "@nobody.here" in caught.value.message("en")
    assert count(db) == 0


def test_a_user_who_cannot_see_the_account_cannot_be_mentioned(world):
    with pytest.raises(ValidationError) as caught:
        comments.add_comment(world["db"], world["li"], "huddle", world["huddle"], "@omar look")
    assert caught.value.problems[0].reason_key == "reason.mention_not_on_team"


def test_readers_may_comment_but_outsiders_may_not(world):
    db = world["db"]
    comments.add_comment(db, world["viewer"], "huddle", world["huddle"], "Looks good")
    with pytest.raises(Exception):  # noqa: B017 - NotFoundError: the account is not shared with them
        comments.add_comment(db, world["outsider"], "huddle", world["huddle"], "Hi")
    assert count(db) == 1


def test_only_the_author_edits_a_comment_and_mentions_are_re_read(world):
    db = world["db"]
    comment = comments.add_comment(db, world["li"], "huddle", world["huddle"], "draft")
    with pytest.raises(PermissionDenied):
        comments.edit_comment(db, world["zhang"], comment["id"], comment["version"], "hijack")
    edited = comments.edit_comment(db, world["li"], comment["id"], comment["version"], "@zhang.min final")
    assert edited["mentions"] == str(world["zhang"].id)


def test_comments_on_unknown_kinds_or_rows_are_refused(world):
    with pytest.raises(ValidationError):
        comments.add_comment(world["db"], world["li"], "password", 1, "x")
    with pytest.raises(Exception):  # noqa: B017 - NotFoundError for a missing row
        comments.add_comment(world["db"], world["li"], "huddle", 999, "x")


def test_empty_comment_is_refused(world):
    with pytest.raises(ValidationError) as caught:
        comments.add_comment(world["db"], world["li"], "huddle", world["huddle"], "   ")
    assert caught.value.problems[0].field == "body"
