"""The one-time code a page trades for its HttpOnly session cookie (issue 20 item 11)."""

from datetime import UTC, datetime, timedelta

from kamcore import clock, sessions


def test_a_code_gives_its_token_once(fresh_db, admin):
    token = sessions.start(fresh_db, admin)
    code = sessions.hand_over(fresh_db, token)
    assert code != token
    assert sessions.redeem(fresh_db, code) == token
    assert sessions.redeem(fresh_db, code) is None


def test_the_database_holds_neither_the_token_nor_the_code(fresh_db, admin):
    token = sessions.start(fresh_db, admin)
    code = sessions.hand_over(fresh_db, token)
    stored = " ".join(str(v) for row in fresh_db.execute("SELECT * FROM sign_in_handoffs") for v in row)
    assert token not in stored and code not in stored and token.encode().hex() not in stored


def test_an_expired_unknown_or_odd_code_gives_nothing(fresh_db, admin):
    code = sessions.hand_over(fresh_db, sessions.start(fresh_db, admin))
    with clock.at(clock.now() + sessions.HANDOFF_LIFETIME + timedelta(seconds=1)):
        assert sessions.redeem(fresh_db, code) is None
    for odd in (None, "", "x" * 500, 42, "made-up"):
        assert sessions.redeem(fresh_db, odd) is None


MONDAY = datetime(2026, 11, 30, 8, 55, tzinfo=UTC)


def test_a_kept_session_lasts_thirty_days_and_a_plain_one_a_working_day(fresh_db, admin):
    with clock.at(MONDAY):
        kept, plain = sessions.start(fresh_db, admin, kept=True), sessions.start(fresh_db, admin)
        listed = sessions.list_for(fresh_db, admin, kept)
        assert [(s["kept"], s["current"]) for s in listed] == [(False, False), (True, True)]
    with clock.at(MONDAY + sessions.LIFETIME + timedelta(minutes=1)):
        assert sessions.resume(fresh_db, plain) is None
        assert sessions.resume(fresh_db, kept) == admin
    with clock.at(MONDAY + sessions.KEPT_LIFETIME + timedelta(minutes=1)):
        assert sessions.resume(fresh_db, kept) is None


def test_a_person_ends_one_of_their_own_sessions_and_no_one_elses(fresh_db, admin):
    from kamcore import users

    with clock.at(MONDAY):
        other = users.create_user(fresh_db, admin, "someone", "Someone", "long-enough-1")
        mine, theirs = sessions.start(fresh_db, admin, kept=True), sessions.start(fresh_db, other, kept=True)
        their_id = sessions.list_for(fresh_db, other)[0]["id"]
        assert not sessions.end_one(fresh_db, admin, their_id), "not theirs to end"
        assert sessions.resume(fresh_db, theirs) == other
        my_id = sessions.list_for(fresh_db, admin)[0]["id"]
        assert sessions.end_one(fresh_db, admin, my_id)
        assert sessions.resume(fresh_db, mine) is None and sessions.list_for(fresh_db, admin) == []
