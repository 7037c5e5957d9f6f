"""Recorded agreement: each person signs off in the app, for themselves, on one thing (never a typed name).

A sign-off names what was agreed (`entity`, `entity_id`), why (`purpose`:
'agree' for tiering criteria and a retrospective's conclusions, 'review' for the
reviewer's sign-off of a retrospective), who (the signed-in person), when and an
optional comment. The feature that owns the entity registers a `Subject`: whose
account the thing is, who may sign it and who may withdraw its sign-offs. Those
rules are the sign-off entity's own (`records.authorize`), so they hold on every
path — `sign`, `withdraw_all` and a direct `records.create`/`delete` alike: a
person signs only for themselves, only what the owning feature lets them sign.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field
from sqlite_utils import Database

from kamcore import clock, permissions, records, store
from kamcore.errors import PermissionDenied, ValidationError
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


@dataclass(frozen=True)
class Subject:
    """What the feature owning a kind of signed thing decides (each check raises a domain error)."""

    account_of: Callable[[Database, int], int | None]  # the account the thing belongs to (None: company-wide)
    may_sign: Callable[[Database, User, int, Purpose], None]  # may this person sign this, for this purpose?
    may_withdraw: Callable[[Database, User, int, Purpose], None]  # may this person withdraw everyone's?


SUBJECTS: dict[str, Subject] = {}


def register(entity: str, subject: Subject) -> None:
    """The owning feature's rules for sign-offs on its `entity` (called once, when that module is imported)."""
    SUBJECTS[entity] = subject


def _subject(entity: str) -> Subject:
    if entity not in SUBJECTS:
        records.all_entities()  # imports every feature, so each has registered its subject
    found = SUBJECTS.get(entity)
    if found is None:
        raise ValidationError.single("entity", "reason.not_signable")
    return found


def _authorize(db: Database, actor: User, account_id: int | None, action: Action) -> None:
    """A sign-off about an account needs that account readable; the row check decides the rest."""
    if actor.id is None:
        raise PermissionDenied("err.permission")
    if account_id is not None:
        permissions.require_read(db, actor, account_id)


def _authorize_row(db: Database, actor: User, row: dict[str, Any], action: Action, changed: frozenset[str]) -> None:
    """Nobody signs for someone else, and only what the owning feature lets them sign; a sign-off keeps what it
    agreed to (its own signer may change the comment); sign-offs are withdrawn by their signer or by whoever may
    change what was agreed."""
    subject = _subject(row["entity"])
    if action == "create":
        if row.get("user_id") != actor.id:
            raise PermissionDenied("err.sign_own_only")
        if row.get("account_id") != subject.account_of(db, row["entity_id"]):
            raise ValidationError.single("account_id", "reason.read_only")
        subject.may_sign(db, actor, row["entity_id"], row["purpose"])
    elif action == "update":
        if row.get("user_id") != actor.id:
            raise PermissionDenied("err.sign_own_only")
        if changed - {"comment"}:
            raise ValidationError.single(sorted(changed - {"comment"})[0], "reason.read_only")
    elif row.get("user_id") != actor.id:
        subject.may_withdraw(db, actor, row["entity_id"], row["purpose"])


SIGNOFF = Entity("signoff", "signoffs", SignoffIn, authorize=_authorize, authorize_row=_authorize_row)


def sign(db: Database, actor: User, entity: str, entity_id: int, purpose: Purpose, *,
         comment: str = "") -> dict[str, Any]:
    """Record that `actor` agrees (or, as reviewer, signs off), if the owning feature's `Subject` lets them; a
    second sign-off by the same person is refused."""
    subject = _subject(entity)
    with store.transaction(db):
        subject.may_sign(db, actor, entity_id, purpose)  # before anything is read or revealed
        if signed(db, entity, entity_id, purpose, actor.id):
            raise ValidationError.single("user_id", "reason.already_signed")
        return records.create(db, actor, SIGNOFF, {
            "entity": entity, "entity_id": entity_id, "purpose": purpose,
            "account_id": subject.account_of(db, entity_id),
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
    """Remove every sign-off of one purpose (when what was agreed changes), each deletion audited; only by
    whoever the owning feature lets withdraw them, and nothing is removed otherwise."""
    subject = _subject(entity)
    with store.transaction(db):
        subject.may_withdraw(db, actor, entity_id, purpose)  # nothing is removed, or read, otherwise
        for row in store.rows(db, "SELECT id, version FROM signoffs WHERE entity = ? AND entity_id = ? AND purpose = ?",
                              [entity, entity_id, purpose]):
            records.delete(db, actor, SIGNOFF, row["id"], row["version"])
