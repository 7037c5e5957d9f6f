"""Sign-in sessions survive a reload until they expire or the user signs out."""

from datetime import timedelta

from kamcore import clock, sessions, users


def test_a_token_resumes_its_user(fresh_db, admin):
    token = sessions.start(fresh_db, admin)
    assert sessions.resume(fresh_db, token) == admin


def test_only_the_hash_is_stored(fresh_db, admin):
    token = sessions.start(fresh_db, admin)
    stored = fresh_db.execute("SELECT token_hash FROM sign_in_sessions").fetchone()[0]
    assert token not in stored and len(stored) == 64


def test_unknown_expired_and_signed_out_tokens_resume_nobody(fresh_db, admin):
    assert sessions.resume(fresh_db, "made-up") is None
    assert sessions.resume(fresh_db, None) is None
    token = sessions.start(fresh_db, admin)
    with clock.at(clock.now() + sessions.LIFETIME + timedelta(minutes=1)):
        assert sessions.resume(fresh_db, token) is None
    sessions.end(fresh_db, token)
    assert sessions.resume(fresh_db, token) is None


def test_a_deactivated_user_is_not_resumed(fresh_db, admin):
    member = users.create_user(fresh_db, admin, "leaver", "Leaver", "password-1")
    token = sessions.start(fresh_db, member)
    users.update_user(fresh_db, admin, member.id, 1, {"active": False})
    assert sessions.resume(fresh_db, token) is None
