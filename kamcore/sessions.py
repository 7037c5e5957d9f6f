"""Sign-in sessions: a random token in the browser's cookie, its hash here, an expiry.

Streamlit forgets its session state on every page reload; without this a refresh,
a shared link or a second tab would sign the user out in the middle of a huddle.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlite_utils import Database

from kamcore import clock, store, users
from kamcore.users import User

COOKIE = "kam_session"
LIFETIME = timedelta(hours=12)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(db: Database, user: User) -> str:
    """Open a session for a user who just signed in; returns the token for the cookie."""
    token = secrets.token_urlsafe(32)
    now = clock.now()
    with store.transaction(db):
        db.conn.execute("DELETE FROM sign_in_sessions WHERE expires_at < ?", [now.isoformat(timespec="seconds")])
        db.conn.execute(
            "INSERT INTO sign_in_sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
            [_hash(token), user.id, now.isoformat(timespec="seconds"),
             (now + LIFETIME).isoformat(timespec="seconds")],
        )
    return token


def resume(db: Database, token: object) -> User | None:
    """The active user a cookie's token belongs to, or None (unknown, expired, or user deactivated)."""
    if not isinstance(token, str) or not token or len(token) > 200:
        return None
    found = store.row(
        db,
        "SELECT s.user_id FROM sign_in_sessions s JOIN users u ON u.id = s.user_id "
        "WHERE s.token_hash = ? AND s.expires_at > ? AND u.active = 1",
        [_hash(token), clock.now_iso()],
    )
    return users.get_user(db, found["user_id"]) if found else None


def end(db: Database, token: str | None) -> None:
    """Sign out: the token stops working at once."""
    if token:
        with store.transaction(db):
            db.conn.execute("DELETE FROM sign_in_sessions WHERE token_hash = ?", [_hash(token)])


def end_all(db: Database, user_id: int, keep_token: str | None = None) -> int:
    """End every sign-in session of a user (a password reset), but `keep_token`'s (the browser that
    changed its own password). Open tabs notice on their next run (kamui.context.current_user)."""
    keep = _hash(keep_token) if keep_token else ""
    with store.transaction(db):
        return db.conn.execute("DELETE FROM sign_in_sessions WHERE user_id = ? AND token_hash != ?",
                               [user_id, keep]).rowcount
