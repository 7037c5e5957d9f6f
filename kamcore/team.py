"""The account team: the iron triangle (D7) plus executives and viewers.

Each account names exactly one first-responsible person; handing that over is a
single audited change that clears the previous holder in the same transaction.
"""

from __future__ import annotations

from typing import Any, Literal

from sqlite_utils import Database

from kamcore import permissions, records, store
from kamcore.errors import ValidationError
from kamcore.records import Action, Entity, Record
from kamcore.store import transaction
from kamcore.users import User

ROLES = permissions.TEAM_ROLES


class TeamMemberIn(Record):
    """One person's place on one account's team."""

    account_id: int
    user_id: int
    role: Literal["account_manager", "solution_manager", "delivery_manager", "executive", "viewer"]
    first_responsible: bool = False


def _authorize(db: Database, actor: User, account_id: int | None, action: Action) -> None:
    if account_id is None:
        permissions.require_admin(actor)
    else:
        permissions.require_team_manager(db, actor, account_id)


def _one_first_responsible(db: Database, values: dict[str, Any], row_id: int | None) -> None:
    if not values.get("first_responsible"):
        return
    other = db.execute(
        "SELECT u.display_name FROM account_team t JOIN users u ON u.id = t.user_id "
        "WHERE t.account_id = ? AND t.first_responsible = 1 AND t.id IS NOT ?",
        [values["account_id"], row_id],
    ).fetchone()
    if other:
        raise ValidationError.single("first_responsible", "reason.second_first_responsible", name=other[0])


def _editing_role_for_first_responsible(db: Database, values: dict[str, Any], row_id: int | None) -> None:
    if values.get("first_responsible") and values["role"] not in permissions.EDITING_ROLES:
        raise ValidationError.single("first_responsible", "reason.first_responsible_role")


ENTITY = Entity(
    "team_member",
    "account_team",
    TeamMemberIn,
    authorize=_authorize,
    extra_checks=(_one_first_responsible, _editing_role_for_first_responsible),
)


def add_member(db: Database, actor: User, account_id: int, user_id: int, role: str,
               first_responsible: bool = False) -> dict[str, Any]:
    """Put a user on an account's team with a role."""
    values = {"account_id": account_id, "user_id": user_id, "role": role,
              "first_responsible": first_responsible}
    return records.create(db, actor, ENTITY, values)


def change_member(db: Database, actor: User, member_id: int, base_version: int,
                  changes: dict[str, Any]) -> dict[str, Any]:
    """Change a member's role (or first-responsible flag), refusing a stale version."""
    return records.update(db, actor, ENTITY, member_id, base_version, changes)


def remove_member(db: Database, actor: User, member_id: int, base_version: int) -> None:
    """Take a user off the team; the first-responsible person must be handed over first."""
    row = records.get(db, ENTITY, member_id)
    if row["first_responsible"]:
        raise ValidationError.single("first_responsible", "reason.hand_over_first")
    records.delete(db, actor, ENTITY, member_id, base_version)


def hand_over_first_responsibility(db: Database, actor: User, account_id: int, to_member_id: int,
                                   to_member_version: int) -> dict[str, Any]:
    """Make another member the first-responsible person, in one transaction."""
    with transaction(db):
        current = db.execute(
            "SELECT id, version FROM account_team WHERE account_id = ? AND first_responsible = 1",
            [account_id],
        ).fetchone()
        if current and current[0] == to_member_id:
            return records.get(db, ENTITY, to_member_id)
        if current:
            records.update(db, actor, ENTITY, current[0], current[1], {"first_responsible": False})
        return records.update(db, actor, ENTITY, to_member_id, to_member_version, {"first_responsible": True})


def list_team(db: Database, actor: User, account_id: int) -> list[dict[str, Any]]:
    """The account's team with names, iron-triangle roles first."""
    permissions.require_read(db, actor, account_id)
    order = " ".join(f"WHEN '{r}' THEN {i}" for i, r in enumerate(ROLES))
    return store.rows(
        db,
        f"""SELECT t.id, t.user_id, u.display_name, u.username, t.role, t.first_responsible, t.version
            FROM account_team t JOIN users u ON u.id = t.user_id
            WHERE t.account_id = ? ORDER BY CASE t.role {order} END, u.display_name""",
        [account_id],
    )
