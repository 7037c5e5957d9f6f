"""The account team: roles, exactly one first-responsible person, hand-over."""

import pytest

from kamcore import accounts, team, users
from kamcore.errors import ValidationError


@pytest.fixture
def account_with_team(fresh_db, admin):
    db = fresh_db
    a = users.create_user(db, admin, "a.a", "Ann", "password-1")
    b = users.create_user(db, admin, "b.b", "Bo", "password-1")
    account = accounts.create_account(db, admin, {"name": "Acme", "industry": "X", "region": "Y"})
    first = team.add_member(db, admin, account["id"], a.id, "account_manager", first_responsible=True)
    second = team.add_member(db, admin, account["id"], b.id, "solution_manager")
    return db, admin, account, first, second


def test_a_second_first_responsible_person_is_refused_naming_the_current_one(account_with_team):
    db, admin, account, first, second = account_with_team
    with pytest.raises(ValidationError) as caught:
        team.change_member(db, admin, second["id"], second["version"], {"first_responsible": True})
    assert caught.value.problems[0].field == "first_responsible"
    assert "Ann" in caught.value.message("en")


def test_hand_over_moves_first_responsibility_in_one_step(account_with_team):
    db, admin, account, first, second = account_with_team
    team.hand_over_first_responsibility(db, admin, account["id"], second["id"], second["version"])
    flags = {m["display_name"]: m["first_responsible"] for m in team.list_team(db, admin, account["id"])}
    assert flags == {"Ann": 0, "Bo": 1}


def test_unknown_role_is_refused(account_with_team):
    db, admin, account, _, _ = account_with_team
    c = users.create_user(db, admin, "c.c", "Cy", "password-1")
    with pytest.raises(ValidationError) as caught:
        team.add_member(db, admin, account["id"], c.id, "wizard")
    assert caught.value.problems[0].field == "role"


def test_the_same_person_twice_on_a_team_is_refused(account_with_team):
    db, admin, account, first, _ = account_with_team
    with pytest.raises(ValidationError):
        team.add_member(db, admin, account["id"], first["user_id"], "viewer")


def test_first_responsible_person_cannot_be_removed_before_hand_over(account_with_team):
    db, admin, _, first, _ = account_with_team
    with pytest.raises(ValidationError):
        team.remove_member(db, admin, first["id"], first["version"])


def test_viewers_cannot_be_first_responsible(account_with_team):
    db, admin, account, _, _ = account_with_team
    c = users.create_user(db, admin, "c.c", "Cy", "password-1")
    member = team.add_member(db, admin, account["id"], c.id, "viewer")
    with pytest.raises(ValidationError):
        team.hand_over_first_responsibility(db, admin, account["id"], member["id"], member["version"])
    names = [m["display_name"] for m in team.list_team(db, admin, account["id"]) if m["first_responsible"]]
    assert names == ["Ann"]  # the failed hand-over rolled back entirely
