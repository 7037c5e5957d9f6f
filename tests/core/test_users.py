"""Users: argon2 hashes, sign-in, validation."""

import pytest

from kamcore import users
from kamcore.errors import ValidationError


def test_password_is_stored_as_an_argon2_hash(fresh_db, admin):
    stored = fresh_db.execute("SELECT password_hash FROM users WHERE id = ?", [admin.id]).fetchone()[0]
    assert stored.startswith("$argon2") and "admin-pass-1" not in stored


def test_sign_in_with_the_right_password_only(fresh_db, admin):
    assert users.authenticate(fresh_db, "admin", "admin-pass-1") == admin
    assert users.authenticate(fresh_db, "ADMIN", "admin-pass-1") == admin
    assert users.authenticate(fresh_db, "admin", "wrong") is None
    assert users.authenticate(fresh_db, "nobody", "admin-pass-1") is None


def test_inactive_users_cannot_sign_in(fresh_db, admin):
    user = users.create_user(fresh_db, admin, "gone", "Gone", "password-1")
    users.update_user(fresh_db, admin, user.id, 1, {"active": False})
    assert users.authenticate(fresh_db, "gone", "password-1") is None


@pytest.mark.parametrize(
    ("username", "name", "password", "field"),
    [("ab", "Name", "password-1", "username"), ("ok.name", "", "password-1", "display_name"),
     ("ok.name", "Name", "short", "password"), ("bad name!", "Name", "password-1", "username"),
     ("ok.name", "N" * 81, "password-1", "display_name")],
)
def test_bad_user_input_names_the_field(fresh_db, admin, username, name, password, field):
    with pytest.raises(ValidationError) as caught:
        users.create_user(fresh_db, admin, username, name, password)
    assert caught.value.problems[0].field == field
    assert fresh_db.execute("SELECT count(*) FROM users").fetchone()[0] == 1


def test_unknown_global_role_is_refused(fresh_db, admin):
    with pytest.raises(ValidationError):
        users.create_user(fresh_db, admin, "x.y", "X", "password-1", global_role="superuser")
