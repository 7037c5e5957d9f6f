"""Sign-in sessions: a random token in the browser's cookie, its hash here, an expiry.

Streamlit forgets its session state on every page reload; without this a refresh,
a shared link or a second tab would sign the user out in the middle of a huddle.

A session lasts LIFETIME (a working day) and its cookie ends with the browser. "Keep me signed in on this
computer" opens a kept session instead: KEPT_LIFETIME (30 days) with a cookie that outlives the browser, so
the Monday crowd does not sign in at all. A person lists their sessions and ends any of them
(`list_for`, `end_one`); sign-out, a password reset or change and a restore end them as before.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlite_utils import Database

from kamcore import clock, store, users
from kamcore.users import User

COOKIE = "kam_session"
LIFETIME = timedelta(hours=12)
KEPT_LIFETIME = timedelta(days=30)
HANDOFF_LIFETIME = timedelta(seconds=60)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def lifetime(kept: bool) -> timedelta:
    """How long a session lasts: KEPT_LIFETIME for "keep me signed in on this computer", else LIFETIME."""
    return KEPT_LIFETIME if kept else LIFETIME


def start(db: Database, user: User, kept: bool = False) -> str:
    """Open a session for a user who just signed in (`kept`: "keep me signed in on this computer");
    returns the token for the cookie."""
    token = secrets.token_urlsafe(32)
    now = clock.now()
    with store.transaction(db):
        db.conn.execute("DELETE FROM sign_in_sessions WHERE expires_at < ?", [now.isoformat(timespec="seconds")])
        db.conn.execute(
            "INSERT INTO sign_in_sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
            [_hash(token), user.id, now.isoformat(timespec="seconds"),
             (now + lifetime(kept)).isoformat(timespec="seconds")],
        )
    return token


def list_for(db: Database, user: User, current_token: str | None = None) -> list[dict]:
    """The person's own live sessions, newest first: id, created_at, expires_at, kept (a "keep me signed
    in" session) and current (this browser's)."""
    here = _hash(current_token) if current_token else ""
    found = store.rows(db, "SELECT rowid AS id, token_hash, created_at, expires_at FROM sign_in_sessions "
                           "WHERE user_id = ? AND expires_at > ? ORDER BY created_at DESC, rowid DESC",
                       [user.id, clock.now_iso()])
    for row in found:
        span = datetime.fromisoformat(row["expires_at"]) - datetime.fromisoformat(row["created_at"])
        row["kept"] = span > LIFETIME
        row["current"] = row.pop("token_hash") == here
    return found


def end_one(db: Database, user: User, session_id: int) -> bool:
    """End one of the person's own sessions (a laptop left at a customer's); False if it was not theirs or
    had already ended."""
    with store.transaction(db):
        return db.conn.execute("DELETE FROM sign_in_sessions WHERE rowid = ? AND user_id = ?",
                               [int(session_id), user.id]).rowcount == 1


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


def _keystream(code: str, length: int) -> bytes:
    return hashlib.shake_256(b"kam-handoff:" + code.encode()).digest(length)


def hand_over(db: Database, token: str) -> str:
    """A one-time code the browser trades for its HttpOnly session cookie (kamui.session_cookie): the
    page's script only ever sees this code, never the token. Stored: the code's hash and the token sealed
    with the code (so the database holds no usable token either), valid for HANDOFF_LIFETIME."""
    code = secrets.token_urlsafe(32)
    raw = token.encode()
    sealed = bytes(a ^ b for a, b in zip(raw, _keystream(code, len(raw)), strict=True)).hex()
    now = clock.now()
    with store.transaction(db):
        db.conn.execute("DELETE FROM sign_in_handoffs WHERE expires_at < ?", [now.isoformat(timespec="seconds")])
        db.conn.execute("INSERT INTO sign_in_handoffs (code_hash, sealed_token, expires_at) VALUES (?, ?, ?)",
                        [_hash(code), sealed, (now + HANDOFF_LIFETIME).isoformat(timespec="seconds")])
    return code


def redeem(db: Database, code: object) -> str | None:
    """The session token a hand-over code stands for, once (the code is used up), or None (unknown,
    used or expired)."""
    if not isinstance(code, str) or not code or len(code) > 200:
        return None
    with store.transaction(db):
        found = store.row(db, "SELECT sealed_token, expires_at FROM sign_in_handoffs WHERE code_hash = ?", [_hash(code)])
        db.conn.execute("DELETE FROM sign_in_handoffs WHERE code_hash = ?", [_hash(code)])
    if found is None or found["expires_at"] < clock.now_iso():
        return None
    sealed = bytes.fromhex(found["sealed_token"])
    return bytes(a ^ b for a, b in zip(sealed, _keystream(code, len(sealed)), strict=True)).decode()
