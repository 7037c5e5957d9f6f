"""Permissions live in kamcore: team members edit their accounts, executives read all, viewers read theirs."""

import pytest

from kamcore import accounts, permissions, team, users
from kamcore.errors import NotFoundError, PermissionDenied


@pytest.fixture
def world(fresh_db, admin):
    db = fresh_db
    people = {name: users.create_user(db, admin, name, name.title(), "password-1", role)
              for name, role in [("amgr", "member"), ("outsider", "member"), ("exec", "executive"), ("guest", "member")]}
    mine = accounts.create_account(db, admin, {"name": "Mine", "industry": "X", "region": "Y"})
    other = accounts.create_account(db, admin, {"name": "Other", "industry": "X", "region": "Y"})
    team.add_member(db, admin, mine["id"], people["amgr"].id, "account_manager", first_responsible=True)
    team.add_member(db, admin, mine["id"], people["guest"].id, "viewer")
    return db, admin, people, mine, other


def test_team_member_edits_own_account(world):
    db, _, people, mine, _ = world
    assert accounts.update_account(db, people["amgr"], mine["id"], 1, {"notes": "ok"})["version"] == 2


def test_outsider_cannot_even_see_a_foreign_account(world):
    db, _, people, mine, _ = world
    with pytest.raises(NotFoundError):
        accounts.get_account(db, people["outsider"], mine["id"])
    with pytest.raises(NotFoundError):
        accounts.update_account(db, people["outsider"], mine["id"], 1, {"notes": "x"})
    assert accounts.get_account(db, people["amgr"], mine["id"])["version"] == 1


def test_executive_reads_every_account_but_cannot_edit(world):
    db, _, people, mine, other = world
    assert {a["id"] for a in accounts.list_accounts(db, people["exec"])} == {mine["id"], other["id"]}
    with pytest.raises(PermissionDenied) as caught:
        accounts.update_account(db, people["exec"], mine["id"], 1, {"notes": "x"})
    assert "cannot" in caught.value.message("en") or "not" in caught.value.message("en")


def test_viewer_reads_what_they_are_given_and_nothing_else(world):
    db, _, people, mine, _ = world
    assert [a["name"] for a in accounts.list_accounts(db, people["guest"])] == ["Mine"]
    with pytest.raises(PermissionDenied):
        accounts.update_account(db, people["guest"], mine["id"], 1, {"notes": "x"})


def test_only_admins_create_accounts_and_users(world):
    db, _, people, _, _ = world
    with pytest.raises(PermissionDenied):
        accounts.create_account(db, people["amgr"], {"name": "New", "industry": "X", "region": "Y"})
    with pytest.raises(PermissionDenied):
        users.create_user(db, people["amgr"], "newbie", "Newbie", "password-1")


def test_first_responsible_person_manages_the_team_but_others_do_not(world):
    db, _, people, mine, _ = world
    team.add_member(db, people["amgr"], mine["id"], people["outsider"].id, "delivery_manager")
    with pytest.raises(PermissionDenied):
        team.add_member(db, people["guest"], mine["id"], people["exec"].id, "viewer")


def test_refused_write_changes_nothing(world):
    db, _, people, mine, _ = world
    before = db.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    with pytest.raises(PermissionDenied):
        accounts.update_account(db, people["guest"], mine["id"], 1, {"notes": "x"})
    assert db.execute("SELECT count(*) FROM audit_log").fetchone()[0] == before


def test_private_profile_data_is_for_the_team_only(world):
    db, admin, people, mine, _ = world
    assert permissions.can_see_private(db, people["guest"], mine["id"])
    assert not permissions.can_see_private(db, people["exec"], mine["id"])
    assert not permissions.can_see_private(db, admin, mine["id"])
