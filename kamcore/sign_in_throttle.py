"""Sign-in that resists guessing: after a few failures, a growing wait per username and per client address.

Each attempt is counted *before* its password is checked (inside one BEGIN IMMEDIATE with the check
of the wait), so parallel guesses from several tabs or processes cannot slip past the limit; the
attempt's row is removed again when the password is right. While a wait runs, no password is checked:
the right one is refused too, so a guesser learns nothing. A success clears the user's counter; the
address counter runs on (one valid account does not wipe an address's record of guessing others).

The failures live in SQLite (`sign_in_failures`, migration m018), so every process of the nginx
cluster sees the same count. Time comes from `kamcore.clock`, so tests use a fixed clock.

Limits: per username FREE_PER_USER failures in WINDOW, then FIRST_WAIT doubling with each further
failure up to MAX_WAIT; per address the same from FREE_PER_ADDRESS (an office behind one NAT address
shares it; only finished failures count there, so a crowd signing in at once is not a guesser). A guesser can lock a known username for at most MAX_WAIT at a time: the price of the limit.
"""

from __future__ import annotations

import ipaddress
import math
from datetime import datetime, timedelta

from sqlite_utils import Database

from kamcore import clock, settings, store, users
from kamcore.errors import KamError
from kamcore.identity import User

FREE_PER_USER = 5
FREE_PER_ADDRESS = 20
WINDOW = timedelta(minutes=15)
FIRST_WAIT = timedelta(seconds=2)
MAX_WAIT = timedelta(minutes=15)
LOCAL = "local"  # no address known: a browser on this machine (or a test)
TRUSTED_PROXIES = "KAM_TRUSTED_PROXIES"


class TooManyAttempts(KamError):
    """Sign-in refused for now: too many failed attempts; names the seconds to wait."""

    key = "err.sign_in_wait"

    def __init__(self, seconds: int) -> None:
        self.seconds = seconds
        super().__init__(self.key, seconds=seconds)


def trusted_proxies() -> frozenset[str]:
    """The operator's proxies (KAM_TRUSTED_PROXIES, comma-separated addresses; scripts/cluster.py and
    scripts/start.sh name their nginx): only a connection from one of these may say, in X-Forwarded-For,
    which client it speaks for. Unset: none — every client is counted by its own connection."""
    return frozenset(_normal(part) for part in settings.current().trusted_proxies)


def client_address(peer: str | None, forwarded_for: str | None = None,
                   trusted: frozenset[str] | None = None) -> str:
    """The client address to count failures against.

    `peer` is the connection's own address (`st.context.ip_address`, None on loopback). Only when it is
    one of the `trusted` proxies (default `trusted_proxies()`) does X-Forwarded-For count, and then only
    its LAST entry, the one that proxy wrote (earlier entries come from the client). Anyone else —
    a local process or a proxy the operator did not name — is the client itself, whatever its headers
    say: a loopback peer counts as LOCAL, so rotating the header defeats nothing.
    """
    trusted = trusted_proxies() if trusted is None else trusted
    seen = _normal(peer)
    hops = [hop.strip() for hop in (forwarded_for or "").split(",") if hop.strip()]
    if hops and seen in trusted:
        return hops[-1][:64]
    return LOCAL if _is_loopback(seen) else seen[:64]


def _normal(address: str | None) -> str:
    """An address as one spelling: None and '' (Streamlit's loopback) are 127.0.0.1, IPv4-mapped IPv6
    (serve.py's server reports ::ffff:127.0.0.1) is its IPv4 address."""
    if address in (None, "", "localhost"):
        return "127.0.0.1"
    try:
        found = ipaddress.ip_address(str(address))
    except ValueError:
        return str(address)
    mapped = getattr(found, "ipv4_mapped", None)
    return str(mapped or found)


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def _name(username: object) -> str:
    return (username if isinstance(username, str) else "").strip().lower()[:80]


def seconds_to_wait(db: Database, username: str, address: str) -> int:
    """How long sign-in stays refused for this username or address (0: it may try now)."""
    now = clock.now()
    since = (now - WINDOW).isoformat(timespec="microseconds")
    waits = [_wait(db, "username", _name(username), since, FREE_PER_USER, now, in_flight=True),
             _wait(db, "address", address or LOCAL, since, FREE_PER_ADDRESS, now, in_flight=False)]
    return max(waits)


def _wait(db: Database, column: str, value: str, since: str, free: int, now: datetime, *, in_flight: bool) -> int:
    """The wait one counter imposes; `in_flight`: attempts whose check has not ended count as failures."""
    settled = "" if in_flight else " AND settled = 1"
    found = db.execute(f"SELECT count(*), max(failed_at) FROM sign_in_failures WHERE {column} = ? AND failed_at > ?"
                       f"{settled}", [value, since]).fetchone()
    count, last = found[0], found[1]
    if count < free or last is None:
        return 0
    wait = min(MAX_WAIT, FIRST_WAIT * 2 ** min(count - free, 30))
    left = (datetime.fromisoformat(last) + wait - now).total_seconds()
    return max(0, math.ceil(left))


def sign_in(db: Database, username: str, password: str, address: str) -> User | None:
    """The user if the password is right and no wait runs; None for a wrong username or password.

    Raises TooManyAttempts (nothing checked) while this username or address must wait.
    """
    name, where = _name(username), address or LOCAL
    now = clock.now()
    with store.transaction(db):
        wait = seconds_to_wait(db, name, where)
        if wait:
            raise TooManyAttempts(wait)
        db.conn.execute("DELETE FROM sign_in_failures WHERE failed_at <= ?",
                        [(now - WINDOW).isoformat(timespec="microseconds")])
        attempt = db.conn.execute("INSERT INTO sign_in_failures (username, address, failed_at, settled) "
                                  "VALUES (?, ?, ?, 0)",
                                  [name, where, now.isoformat(timespec="microseconds")]).lastrowid
    user = users.authenticate(db, username, password)
    with store.transaction(db):
        if user is not None:
            db.conn.execute("DELETE FROM sign_in_failures WHERE username = ? OR id = ?", [name, attempt])
        else:
            db.conn.execute("UPDATE sign_in_failures SET settled = 1 WHERE id = ?", [attempt])
    return user


def clear(db: Database, username: str) -> None:
    """Forget a username's failures (an admin who just reset its password lets its owner in at once)."""
    with store.transaction(db):
        db.conn.execute("DELETE FROM sign_in_failures WHERE username = ?", [_name(username)])
