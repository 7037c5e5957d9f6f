"""Issue 20 item 9: guessing passwords slows down per username and per client address (fixed clock)."""

from datetime import UTC, datetime, timedelta

import pytest

from kamcore import clock, sign_in_throttle, store, users
from kamcore.sign_in_throttle import TooManyAttempts, client_address

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def attempt(db, username, password, address="203.0.113.7", at=T0):
    """One sign-in at a fixed time: the user, None (wrong), or the seconds it must wait."""
    with clock.at(at):
        try:
            return sign_in_throttle.sign_in(db, username, password, address)
        except TooManyAttempts as exc:
            return exc.seconds


def test_thirty_wrong_passwords_then_the_right_one_is_refused_until_the_wait_passes(fresh_db, admin):
    results = [attempt(fresh_db, "admin", f"guess-{n}") for n in range(30)]
    assert results[: sign_in_throttle.FREE_PER_USER] == [None] * sign_in_throttle.FREE_PER_USER
    assert all(isinstance(r, int) and r > 0 for r in results[sign_in_throttle.FREE_PER_USER:])
    before = attempt(fresh_db, "admin", "admin-pass-1")
    assert isinstance(before, int) and before > 0, "the right password during the wait is refused too"
    # only the evaluated guesses counted: the refused ones did not lengthen the wait
    assert before == sign_in_throttle.FIRST_WAIT.total_seconds()
    assert attempt(fresh_db, "admin", "admin-pass-1", at=T0 + timedelta(seconds=before - 1)) > 0
    assert attempt(fresh_db, "admin", "admin-pass-1", at=T0 + timedelta(seconds=before)) == admin


def test_the_wait_grows_with_each_further_failure_and_is_capped(fresh_db, admin):
    now, waits = T0, []
    for n in range(20):
        result = attempt(fresh_db, "admin", f"guess-{n}", at=now)
        assert result is None, "after each wait, one more guess is checked"
        with clock.at(now):
            wait = sign_in_throttle.seconds_to_wait(fresh_db, "admin", "203.0.113.7")
        waits.append(wait)
        now += timedelta(seconds=wait)
    grown = [w for w in waits if w]
    assert grown[:4] == [2, 4, 8, 16]
    assert max(waits) <= sign_in_throttle.MAX_WAIT.total_seconds()


def test_a_success_clears_the_users_counter(fresh_db, admin):
    for n in range(sign_in_throttle.FREE_PER_USER - 1):
        assert attempt(fresh_db, "admin", f"guess-{n}") is None
    assert attempt(fresh_db, "admin", "admin-pass-1") == admin
    left = fresh_db.execute("SELECT count(*) FROM sign_in_failures WHERE username = 'admin'").fetchone()[0]
    assert left == 0
    for n in range(sign_in_throttle.FREE_PER_USER):  # a fresh allowance
        assert attempt(fresh_db, "admin", f"again-{n}") is None


def test_one_address_guessing_many_usernames_is_slowed_down(fresh_db, admin):
    spray = [attempt(fresh_db, f"user{n}", "Password1", address="198.51.100.9")
             for n in range(sign_in_throttle.FREE_PER_ADDRESS + 5)]
    assert spray[: sign_in_throttle.FREE_PER_ADDRESS] == [None] * sign_in_throttle.FREE_PER_ADDRESS
    assert all(isinstance(r, int) and r > 0 for r in spray[sign_in_throttle.FREE_PER_ADDRESS:])
    # the right password from that address waits too; from another address the user signs in
    assert isinstance(attempt(fresh_db, "admin", "admin-pass-1", address="198.51.100.9"), int)
    assert attempt(fresh_db, "admin", "admin-pass-1", address="192.0.2.44") == admin


def test_failures_are_shared_by_every_process_through_the_database(tmp_path):
    path = tmp_path / "shared.db"
    first, second = store.connect(path), store.connect(path)  # two cluster processes, one file
    try:
        users.create_user(first, users.SYSTEM, "admin", "Admin", "admin-pass-1", "admin")
        for n in range(sign_in_throttle.FREE_PER_USER):
            assert attempt(first if n % 2 else second, "admin", f"guess-{n}") is None
        assert isinstance(attempt(second, "admin", "admin-pass-1"), int)
    finally:
        first.close()
        second.close()


def test_usernames_count_together_whatever_their_case_or_spaces(fresh_db, admin):
    for n, name in enumerate(["admin", "ADMIN", " Admin ", "aDmin", "admin "]):
        assert attempt(fresh_db, name, f"guess-{n}") is None
    assert isinstance(attempt(fresh_db, "admin", "admin-pass-1"), int)


NGINX = frozenset({"127.0.0.1"})  # the proxy the operator named (scripts/cluster.py: KAM_TRUSTED_PROXIES)


@pytest.mark.parametrize(("peer", "forwarded", "trusted", "expected"), [
    (None, None, NGINX, sign_in_throttle.LOCAL),
    (None, "203.0.113.7", NGINX, "203.0.113.7"),                  # the named nginx on this machine named the client
    (None, "10.0.0.1, 203.0.113.7", NGINX, "203.0.113.7"),       # the client's own header is not trusted
    ("198.51.100.9", "203.0.113.7", NGINX, "198.51.100.9"),      # a direct client cannot claim another address
    ("::ffff:127.0.0.1", "203.0.113.7", NGINX, "203.0.113.7"),  # serve.py's server reports IPv4-mapped loopback
    ("::1", None, NGINX, sign_in_throttle.LOCAL),
    (None, "203.0.113.7", frozenset(), sign_in_throttle.LOCAL),  # no proxy named: a local process is itself
    ("::ffff:127.0.0.1", "203.0.113.8", frozenset(), sign_in_throttle.LOCAL),
    ("10.1.1.1", "203.0.113.7", frozenset({"10.1.1.1"}), "203.0.113.7"),  # a proxy on another host, named
    ("10.1.1.2", "203.0.113.7", frozenset({"10.1.1.1"}), "10.1.1.2"),     # one not named
])
def test_the_client_address_trusts_only_the_proxies_the_operator_names(peer, forwarded, trusted, expected):
    assert client_address(peer, forwarded, trusted) == expected


def test_the_trusted_proxies_come_from_the_setting(monkeypatch):
    monkeypatch.delenv(sign_in_throttle.TRUSTED_PROXIES, raising=False)
    assert client_address(None, "203.0.113.7") == sign_in_throttle.LOCAL, "unset: no proxy is trusted"
    monkeypatch.setenv(sign_in_throttle.TRUSTED_PROXIES, " 127.0.0.1 , 10.1.1.1")
    assert sign_in_throttle.trusted_proxies() == {"127.0.0.1", "10.1.1.1"}
    assert client_address(None, "203.0.113.7") == "203.0.113.7"


def test_the_wait_message_names_the_seconds_in_both_languages():
    exc = TooManyAttempts(42)
    assert "42 s" in exc.message("en") and "Too many attempts" in exc.message("en")
    assert "42 秒" in exc.message("zh") and "尝试次数过多" in exc.message("zh")


def test_a_crowd_signing_in_at_once_from_one_address_is_not_taken_for_a_guesser(fresh_db, admin):
    """50 colleagues behind one office address: their attempts are in flight at the same moment. In-flight
    attempts count toward their own username's limit, not the address's; finished failures do."""
    with clock.at(T0), store.transaction(fresh_db):
        for n in range(50):  # what 50 concurrent sign-ins have written before any check ends
            fresh_db.conn.execute("INSERT INTO sign_in_failures (username, address, failed_at, settled) "
                                  "VALUES (?, ?, ?, 0)", [f"colleague-{n}", "203.0.113.7", T0.isoformat()])
    assert attempt(fresh_db, "admin", "admin-pass-1") == admin
    for n in range(sign_in_throttle.FREE_PER_ADDRESS):  # the same number of finished failures does slow it
        attempt(fresh_db, f"nobody-{n}", "wrong-pass-1")
    assert isinstance(attempt(fresh_db, "admin", "admin-pass-1"), int)
