"""Issue 20 item 10: a password change needs the current password and is audited as the person who did
it; an admin reset (screen or command line) ends every sign-in session of that user; one's own change
ends the user's other sessions."""

import pytest

from kamcore import passwords, sessions, sign_in_throttle, users
from kamcore.__main__ import main
from kamcore.errors import PermissionDenied, ValidationError


@pytest.fixture
def member(fresh_db, admin):
    return users.create_user(fresh_db, admin, "member", "Mia Member", "member-pass-1")


def audit_actors(db, user_id):
    return [r[0] for r in db.execute("SELECT actor_id FROM audit_log WHERE entity = 'user' AND entity_id = ? "
                                     "AND field = 'password_hash' ORDER BY id", [user_id])]


def test_a_borrowed_signed_in_laptop_cannot_change_the_password_without_the_current_one(fresh_db, member):
    before = users.get_user_row(fresh_db, member.id)["version"]
    with pytest.raises(ValidationError) as refused:
        passwords.change_own_password(fresh_db, member, "not-the-password", "taken-over-1")
    assert refused.value.problems[0].field == "current_password"
    assert "Current password" in refused.value.message("en") and "当前密码" in refused.value.message("zh")
    assert users.get_user_row(fresh_db, member.id)["version"] == before
    assert users.authenticate(fresh_db, "member", "member-pass-1") == member


def test_ones_own_change_is_audited_as_that_person_and_ends_the_other_sessions(fresh_db, member):
    here, laptop, phone = (sessions.start(fresh_db, member) for _ in range(3))
    passwords.change_own_password(fresh_db, member, "member-pass-1", "member-pass-2", keep_token=here)
    assert audit_actors(fresh_db, member.id)[-1] == member.id  # not None (System)
    assert users.authenticate(fresh_db, "member", "member-pass-2") == member
    assert sessions.resume(fresh_db, here) == member
    assert sessions.resume(fresh_db, laptop) is None and sessions.resume(fresh_db, phone) is None


def test_a_member_cannot_reset_a_password_without_the_current_one_even_their_own(fresh_db, member, admin):
    with pytest.raises(PermissionDenied):
        passwords.reset_password(fresh_db, member, member.id, "no-current-needed")
    with pytest.raises(PermissionDenied):
        passwords.reset_password(fresh_db, member, admin.id, "take-over-admin")
    assert users.authenticate(fresh_db, "member", "member-pass-1") == member


def test_an_admin_reset_ends_every_session_of_the_user_and_is_audited_as_the_admin(fresh_db, member, admin):
    tokens = [sessions.start(fresh_db, member) for _ in range(3)]
    admin_token = sessions.start(fresh_db, admin)
    for n in range(sign_in_throttle.FREE_PER_USER):  # the owner had been locked out by a guesser
        sign_in_throttle.sign_in(fresh_db, "member", f"guess-{n}", "203.0.113.7")
    passwords.reset_password(fresh_db, admin, member.id, "fresh-start-1")
    assert all(sessions.resume(fresh_db, t) is None for t in tokens)
    assert sessions.resume(fresh_db, admin_token) == admin, "other users' sessions stay"
    assert audit_actors(fresh_db, member.id)[-1] == admin.id
    assert sign_in_throttle.sign_in(fresh_db, "member", "fresh-start-1", "198.51.100.1") == member


def test_changing_ones_own_name_or_language_is_audited_as_that_person_and_cannot_touch_the_role(fresh_db, member):
    row = users.get_user_row(fresh_db, member.id)
    users.update_user(fresh_db, member, member.id, row["version"], {"lang": "zh"})
    actor = fresh_db.execute("SELECT actor_id FROM audit_log WHERE entity = 'user' AND entity_id = ? "
                             "AND field = 'lang' AND action = 'update'", [member.id]).fetchone()[0]
    assert actor == member.id
    row = users.get_user_row(fresh_db, member.id)
    with pytest.raises(PermissionDenied):
        users.update_user(fresh_db, member, member.id, row["version"], {"global_role": "admin"})
    from kamcore import records  # the generic path (History → Restore) stays admin-only for user rows
    with pytest.raises(PermissionDenied):
        records.update(fresh_db, member, users.ENTITY, member.id, row["version"], {"global_role": "admin"})


def test_the_command_line_reset_ends_every_session(tmp_path, monkeypatch):
    from kamcore import store

    path = tmp_path / "ops.db"
    monkeypatch.setenv("KAM_PASSWORD", "first-password")
    assert main(["--db", str(path), "create-user", "ops", "Ops Person"]) == 0
    db = store.connect(path)
    token = sessions.start(db, users.find_by_username(db, "ops"))
    monkeypatch.setenv("KAM_PASSWORD", "second-password")
    assert main(["--db", str(path), "reset-password", "ops"]) == 0
    assert sessions.resume(db, token) is None
    db.close()
