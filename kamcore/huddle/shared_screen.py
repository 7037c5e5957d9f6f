"""The shared screen: where the presenter is, so every laptop on the same huddle follows.

One small row per huddle (`huddle_sessions`) holds the account and section on
screen and a version that goes up with every move; followers poll it and
re-render when the version changes. It is UI state, not business data, so it
is versioned but not audited (a hundred "next" clicks are not history).
"""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from kamcore import clock, store
from kamcore.errors import ValidationError
from kamcore.huddle import huddles
from kamcore.users import User

SECTIONS = ("changes", "late", "risks", "decisions")


def steps(huddle: dict[str, Any]) -> list[tuple[int, str]]:
    """Every screen of a huddle, in order: each account of its scope, each section."""
    return [(account_id, section) for account_id in huddles.scope_ids(huddle) for section in SECTIONS]


def current(db: Database, actor: User, huddle_id: int) -> dict[str, Any]:
    """Where the presentation of this huddle is now (the first screen if nobody has presented yet)."""
    huddle = huddles.get_huddle(db, actor, huddle_id)
    row = store.row(db, "SELECT * FROM huddle_sessions WHERE huddle_id = ?", [huddle_id])
    if row is None:
        account_id, section = steps(huddle)[0]
        return {"huddle_id": huddle_id, "account_id": account_id, "section": section, "version": 0,
                "presenter_id": None}
    return row


def version(db: Database, huddle_id: int) -> int:
    """The presentation's version only: the cheap poll followers run every few seconds."""
    found = db.execute("SELECT version FROM huddle_sessions WHERE huddle_id = ?", [huddle_id]).fetchone()
    return found[0] if found else 0


def go_to(db: Database, actor: User, huddle_id: int, account_id: int, section: str) -> dict[str, Any]:
    """Put one screen of the huddle on everyone's display."""
    huddle = huddles.get_huddle(db, actor, huddle_id)
    if account_id not in huddles.scope_ids(huddle):
        raise ValidationError.single("account_id", "reason.not_in_huddle_scope")
    if section not in SECTIONS:
        raise ValidationError.single("section", "reason.literal_error", expected=", ".join(SECTIONS))
    now = clock.now_iso()
    with store.transaction(db):
        db.conn.execute(
            """INSERT INTO huddle_sessions (huddle_id, account_id, section, presenter_id, version, created_at,
                                            updated_at, updated_by)
               VALUES (?, ?, ?, ?, 1, ?, ?, ?)
               ON CONFLICT (huddle_id) DO UPDATE SET account_id = excluded.account_id, section = excluded.section,
                   presenter_id = excluded.presenter_id, version = huddle_sessions.version + 1,
                   updated_at = excluded.updated_at, updated_by = excluded.updated_by""",
            [huddle_id, account_id, section, actor.id, now, now, actor.id],
        )
    return current(db, actor, huddle_id)


def step(db: Database, actor: User, huddle_id: int, delta: int) -> dict[str, Any]:
    """Move the shared screen `delta` screens forward (negative: back), stopping at the ends."""
    huddle = huddles.get_huddle(db, actor, huddle_id)
    order = steps(huddle)
    here = current(db, actor, huddle_id)
    position = order.index((here["account_id"], here["section"])) if (here["account_id"], here["section"]) in order else 0
    account_id, section = order[max(0, min(len(order) - 1, position + delta))]
    return go_to(db, actor, huddle_id, account_id, section)
