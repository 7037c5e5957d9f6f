"""The outbox: queued messages, each person's choices of what to receive, and what the admin page shows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from kamcore import clock, permissions, store
from kamcore.errors import ValidationError
from kamcore.users import User

KINDS = ("mention", "assigned", "overdue", "tender", "digest")


@dataclass(frozen=True)
class Message:
    """One message for one person: what kind, its once-only key, and its text in the person's language."""

    user_id: int
    kind: str
    dedupe_key: str
    subject: str
    body: str


def recipient(db: Database, user_id: int) -> str:
    """The person's e-mail address ('' when they have none or are inactive)."""
    found = store.row(db, "SELECT email, active FROM users WHERE id = ?", [user_id])
    return found["email"] if found and found["active"] else ""


def wants(db: Database, user_id: int, kind: str) -> bool:
    """Has the person left this kind of mail on?"""
    return store.row(db, "SELECT 1 AS off FROM mail_preferences WHERE user_id = ? AND kind = ?",
                     [user_id, kind]) is None


def queue(db: Database, message: Message) -> bool:
    """Put a message in the outbox unless the person turned its kind off, has no address, or it is queued
    already (same dedupe key). Returns whether it was queued."""
    address = recipient(db, message.user_id)
    if not address or not wants(db, message.user_id, message.kind):
        return False
    now = clock.now_iso()
    with store.transaction(db):
        cursor = db.execute(
            """INSERT INTO mail_outbox (user_id, kind, dedupe_key, recipient, subject, body, created_at, next_try_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dedupe_key) DO NOTHING""",
            [message.user_id, message.kind, message.dedupe_key, address, message.subject, message.body, now, now])
    return cursor.rowcount == 1


def preferences(db: Database, actor: User) -> dict[str, bool]:
    """{kind: on?} for the actor."""
    off = {r[0] for r in db.execute("SELECT kind FROM mail_preferences WHERE user_id = ?", [actor.id])}
    return {kind: kind not in off for kind in KINDS}


def set_preference(db: Database, actor: User, kind: str, on: bool) -> None:
    """Turn one kind of the actor's own mail on or off."""
    if kind not in KINDS:
        raise ValidationError.single("kind", "reason.literal_error")
    with store.transaction(db):
        if on:
            db.execute("DELETE FROM mail_preferences WHERE user_id = ? AND kind = ?", [actor.id, kind])
        else:
            db.execute("INSERT OR IGNORE INTO mail_preferences (user_id, kind) VALUES (?, ?)", [actor.id, kind])


def status(db: Database, actor: User) -> dict[str, Any]:
    """For the admin page: how many wait, were sent and are failing (with the latest errors), and who gets no
    mail because they have no address."""
    permissions.require_admin(actor)
    counts = store.row(db, """SELECT count(*) FILTER (WHERE sent_at IS NULL) AS waiting,
                                     count(*) FILTER (WHERE sent_at IS NOT NULL) AS sent,
                                     count(*) FILTER (WHERE sent_at IS NULL AND last_error <> '') AS failing
                              FROM mail_outbox""")
    errors = store.rows(db, """SELECT recipient, subject, attempts, last_error, next_try_at FROM mail_outbox
                               WHERE sent_at IS NULL AND last_error <> '' ORDER BY id DESC LIMIT 5""")
    without = [r[0] for r in db.execute("SELECT display_name FROM users WHERE active = 1 AND email = '' "
                                        "ORDER BY display_name")]
    return {**counts, "errors": errors, "without_email": without}
