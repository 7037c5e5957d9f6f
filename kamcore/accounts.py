"""Key accounts: the customers a war room is run for."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field
from sqlite_utils import Database

from kamcore import permissions, records, store
from kamcore.records import Action, Entity, Record
from kamcore.users import User

STATUSES = ("prospect", "active", "at_risk", "dormant", "lost")


class AccountIn(Record):
    """An account's editable fields."""

    name: str = Field(min_length=1, max_length=120)
    industry: str = Field(min_length=1, max_length=60)
    region: str = Field(min_length=1, max_length=60)
    currency: str = Field(default="CNY", pattern=r"^[A-Z]{3}$")
    status: Literal["prospect", "active", "at_risk", "dormant", "lost"] = "active"
    notes: str = Field(default="", max_length=4000)


def _authorize(db: Database, actor: User, account_id: int | None, action: Action) -> None:
    if action == "update" and account_id is not None:
        permissions.require_edit(db, actor, account_id)
    else:
        permissions.require_admin(actor)


ENTITY = Entity("account", "accounts", AccountIn, account_field="id", authorize=_authorize)


def create_account(db: Database, actor: User, values: dict[str, Any]) -> dict[str, Any]:
    """Open a new account (admins)."""
    return records.create(db, actor, ENTITY, values)


def update_account(
    db: Database, actor: User, account_id: int, base_version: int, changes: dict[str, Any]
) -> dict[str, Any]:
    """Change an account's profile, refusing a stale version."""
    return records.update(db, actor, ENTITY, account_id, base_version, changes)


def get_account(db: Database, actor: User, account_id: int) -> dict[str, Any]:
    """One account the actor may read, or NotFoundError."""
    permissions.require_read(db, actor, account_id)
    return records.get(db, ENTITY, account_id)


def parse_account_id(raw: object) -> int | None:
    """An account id from a URL parameter, or None when it is not a positive whole number."""
    text = str(raw).strip() if raw is not None else ""
    return int(text) if text.isdigit() and 0 < int(text) < 2**62 else None


def list_accounts(db: Database, actor: User) -> list[dict[str, Any]]:
    """Accounts the actor may read, with their first-responsible person and team size."""
    ids = permissions.readable_account_ids(db, actor)
    if not ids:
        return []
    marks = ",".join("?" for _ in ids)
    return store.rows(
        db,
        f"""SELECT a.*, u.display_name AS first_responsible_name,
                   (SELECT count(*) FROM account_team t2 WHERE t2.account_id = a.id) AS team_size
            FROM accounts a
            LEFT JOIN account_team t ON t.account_id = a.id AND t.first_responsible = 1
            LEFT JOIN users u ON u.id = t.user_id
            WHERE a.id IN ({marks}) ORDER BY a.name""",
        ids,
    )
