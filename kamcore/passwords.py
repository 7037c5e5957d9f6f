"""Password changes and resets, and what they do to sign-in sessions.

- A person changes their own password only with the current one (a borrowed, still signed-in laptop is
  not enough); their other sessions end, this browser's stays. Audited as that person.
- An administrator (or the operator's command line, as System) resets anyone's: every session of that
  user ends and their failed sign-ins are forgotten. Audited as the admin.
Hashes never reach the audit log (the users entity hides them).
"""

from __future__ import annotations

from sqlite_utils import Database

from kamcore import permissions, records, sessions, sign_in_throttle, store, users
from kamcore.errors import PermissionDenied, ValidationError
from kamcore.identity import User


def reset_password(db: Database, actor: User, user_id: int, new_password: str, keep_token: str | None = None) -> None:
    """An administrator sets a new password; every sign-in session of that user ends (but `keep_token`'s:
    an admin resetting their own from this browser)."""
    permissions.require_admin(actor)
    new_hash = users.hash_password(new_password)
    with store.transaction(db):
        row = users.get_user_row(db, user_id)
        records.update(db, actor, users.ENTITY, user_id, row["version"], {"password_hash": new_hash})
        sessions.end_all(db, user_id, keep_token=keep_token)
    sign_in_throttle.clear(db, row["username"])


def change_own_password(db: Database, actor: User, current_password: str, new_password: str,
                        keep_token: str | None = None) -> None:
    """The signed-in person changes their own password; the current one must be right. Their other
    sign-in sessions end; this browser's (`keep_token`) stays."""
    if actor.id is None:
        raise PermissionDenied("err.admin_only")
    row = users.get_user_row(db, actor.id)
    if users.authenticate(db, row["username"], current_password) is None:
        raise ValidationError.single("current_password", "reason.wrong_current_password")
    new_hash = users.hash_password(new_password)
    with store.transaction(db), users.as_self(actor):
        row = users.get_user_row(db, actor.id)
        records.update(db, actor, users.ENTITY, actor.id, row["version"], {"password_hash": new_hash})
        sessions.end_all(db, actor.id, keep_token=keep_token)
