"""Issue 30: argon2id at the parameters OWASP's Password Storage Cheat Sheet names (19 MiB, 2 passes, 1 lane),
and a hash made with other parameters upgraded on its owner's next successful sign-in — not on a wrong one."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from argon2 import PasswordHasher, Type, extract_parameters

from kamcore import clock, sign_in_throttle, users

OWASP = {"type": Type.ID, "memory_cost": 19456, "time_cost": 2, "parallelism": 1}
OLD_DEFAULT = PasswordHasher()  # argon2-cffi's default profile: 64 MiB, 3 passes, 4 lanes


def test_the_production_hasher_uses_owasps_argon2id_parameters():
    assert users.HASH_PARAMETERS == OWASP
    made = extract_parameters(users.PASSWORD_HASHER.hash("correct horse battery"))
    assert (made.type, made.memory_cost, made.time_cost, made.parallelism) == (Type.ID, 19456, 2, 1)


@pytest.fixture
def production_hasher():
    users.use_hasher(users.PASSWORD_HASHER)
    yield
    from tests.conftest import TEST_HASHER

    users.use_hasher(TEST_HASHER)


def _stored(db, username):
    return db.execute("SELECT password_hash, version FROM users WHERE username = ?", [username]).fetchone()


@clock.at(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
def test_an_old_hash_is_upgraded_on_the_next_successful_sign_in_only(fresh_db, admin, production_hasher):
    person = users.create_user(fresh_db, admin, "old.hash", "Old Hash", "long-enough-1")
    fresh_db.conn.execute("UPDATE users SET password_hash = ? WHERE id = ?",  # as stored before this change
                          [OLD_DEFAULT.hash("long-enough-1"), person.id])
    old_hash, old_version = _stored(fresh_db, "old.hash")
    assert extract_parameters(old_hash).memory_cost == 65536
    assert sign_in_throttle.sign_in(fresh_db, "old.hash", "wrong-password", "local") is None
    assert _stored(fresh_db, "old.hash") == (old_hash, old_version), "a wrong password upgrades nothing"
    assert sign_in_throttle.sign_in(fresh_db, "old.hash", "long-enough-1", "local").id == person.id
    new_hash, new_version = _stored(fresh_db, "old.hash")
    made = extract_parameters(new_hash)
    assert (made.type, made.memory_cost, made.time_cost, made.parallelism) == (Type.ID, 19456, 2, 1)
    assert new_version == old_version + 1
    audit = fresh_db.execute("SELECT actor_id, old_value, new_value FROM audit_log WHERE entity = 'user' "
                             "AND entity_id = ? AND field = 'password_hash' ORDER BY id DESC LIMIT 1",
                             [person.id]).fetchone()
    assert audit[0] == person.id and old_hash not in str(audit) and new_hash not in str(audit)
    assert users.authenticate(fresh_db, "old.hash", "long-enough-1").id == person.id
    assert _stored(fresh_db, "old.hash") == (new_hash, new_version), "an up-to-date hash is left alone"
