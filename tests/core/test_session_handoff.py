"""The one-time code a page trades for its HttpOnly session cookie (issue 20 item 11)."""

from datetime import timedelta

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
