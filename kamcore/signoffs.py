"""Recorded agreement: each person signs off in the app, for themselves, on one thing (never a typed name).

A sign-off names what was agreed (`entity`, `entity_id`), why (`purpose`:
'agree' for tiering criteria and a retrospective's conclusions, 'review' for the
reviewer's sign-off of a retrospective), who (the signed-in person), when and an
optional comment. The feature that owns the entity decides who may sign
(`may_sign`); the write goes through `records` (versioned, audited).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from pydantic import Field
from sqlite_utils import Database

from kamcore import clock, permissions, records, store
from kamcore.errors import ValidationError
from kamcore.records import Action, Entity, Record
from kamcore.users import User

Purpose = Literal["agree", "review"]


class SignoffIn(Record):
    """One person's sign-off on one thing."""

    entity: Literal["tiering_criteria", "retrospective"]
    entity_id: int
    purpose: Purpose
    account_id: int | None = None
    user_id: int
    comment: str = Field(default="", max_length=1000)
    signed_at: str


def _authorize(db: Database, actor: User, account_id: int | None, action: Action) -> None:
    """Nobody signs for someone else; the owning feature has already checked that this person may sign."""
    if actor.id is None:
        permissions.require_admin(actor)


SIGNOFF = Entity("signoff", "signoffs", SignoffIn, authorize=_authorize)


def sign(db: Database, actor: User, entity: str, entity_id: int, purpose: Purpose, *,
         account_id: int | None = None, comment: str = "",
         may_sign: Callable[[Database, User], None] | None = None) -> dict[str, Any]:
    """Record that `actor` agrees (or, as reviewer, signs off); a second sign-off by the same person is refused."""
    with store.transaction(db):
        if may_sign is not None:
            may_sign(db, actor)
        if signed(db, entity, entity_id, purpose, actor.id):
            raise ValidationError.single("user_id", "reason.already_signed")
        return records.create(db, actor, SIGNOFF, {
            "entity": entity, "entity_id": entity_id, "purpose": purpose, "account_id": account_id,
            "user_id": actor.id, "comment": comment, "signed_at": clock.now_iso()})


def signed(db: Database, entity: str, entity_id: int, purpose: Purpose, user_id: int | None) -> bool:
    """Has this person already signed this?"""
    return db.execute("SELECT 1 FROM signoffs WHERE entity = ? AND entity_id = ? AND purpose = ? AND user_id = ?",
                      [entity, entity_id, purpose, user_id]).fetchone() is not None


def list_signoffs(db: Database, entity: str, entity_id: int, purpose: Purpose | None = None) -> list[dict[str, Any]]:
    """Who signed, when and with what comment, oldest first."""
    extra, params = ("AND s.purpose = ?", [purpose]) if purpose else ("", [])
    return store.rows(
        db,
        f"""SELECT s.*, u.display_name AS name FROM signoffs s JOIN users u ON u.id = s.user_id
            WHERE s.entity = ? AND s.entity_id = ? {extra} ORDER BY s.signed_at, s.id""",
        [entity, entity_id, *params],
    )


def withdraw_all(db: Database, actor: User, entity: str, entity_id: int, purpose: Purpose) -> None:
    """Remove every sign-off of one purpose (when what was agreed changes), each deletion audited."""
    with store.transaction(db):
        for row in store.rows(db, "SELECT id, version FROM signoffs WHERE entity = ? AND entity_id = ? AND purpose = ?",
                              [entity, entity_id, purpose]):
            records.delete(db, actor, SIGNOFF, row["id"], row["version"])
