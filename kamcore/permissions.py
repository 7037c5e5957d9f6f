"""Who may read and change what. Enforced here, in the domain, for every write.

- Team members with an iron-triangle role (account, solution, delivery manager)
  edit their own accounts.
- A team member with the executive or viewer role reads that account.
- Users with the global executive role read every account; admins do everything.
- Managing an account's team: admins and the account's first-responsible person.
"""

from __future__ import annotations

from sqlite_utils import Database

from kamcore.errors import NotFoundError, PermissionDenied
from kamcore.identity import User

EDITING_ROLES = ("account_manager", "solution_manager", "delivery_manager")
TEAM_ROLES = (*EDITING_ROLES, "executive", "viewer")


def team_role(db: Database, user: User, account_id: int) -> str | None:
    """The user's role on the account's team, or None."""
    row = db.execute(
        "SELECT role FROM account_team WHERE account_id = ? AND user_id = ?", [account_id, user.id]
    ).fetchone()
    return row[0] if row else None


def can_read(db: Database, user: User, account_id: int) -> bool:
    """May the user see this account?"""
    return user.is_admin or user.is_executive or team_role(db, user, account_id) is not None


def can_edit(db: Database, user: User, account_id: int) -> bool:
    """May the user change this account's plans, deals and people?"""
    return user.is_admin or team_role(db, user, account_id) in EDITING_ROLES


def can_see_private(db: Database, user: User, account_id: int) -> bool:
    """Personal profile data (D4) is for the account's own team only, not executives or admins."""
    return team_role(db, user, account_id) is not None


def is_first_responsible(db: Database, user: User, account_id: int) -> bool:
    """Is the user the account's single first-responsible person?"""
    row = db.execute(
        "SELECT 1 FROM account_team WHERE account_id = ? AND user_id = ? AND first_responsible = 1",
        [account_id, user.id],
    ).fetchone()
    return row is not None


def require_read(db: Database, user: User, account_id: int) -> None:
    """Raise NotFoundError unless the account exists and the user may see it.

    A foreign account answers "not found", so ids cannot be probed.
    """
    if isinstance(account_id, int) and not -(2**63) <= account_id < 2**63:  # no such id can be stored
        raise NotFoundError("err.account_not_found", id=str(account_id)[:20])
    exists = db.execute("SELECT 1 FROM accounts WHERE id = ?", [account_id]).fetchone()
    if not exists or not can_read(db, user, account_id):
        raise NotFoundError("err.account_not_found", id=account_id)


def require_edit(db: Database, user: User, account_id: int) -> None:
    """Raise unless the user may change this account."""
    require_read(db, user, account_id)
    if not can_edit(db, user, account_id):
        raise PermissionDenied("err.read_only_account")


def require_team_manager(db: Database, user: User, account_id: int) -> None:
    """Raise unless the user may change this account's team."""
    require_read(db, user, account_id)
    if not (user.is_admin or is_first_responsible(db, user, account_id)):
        raise PermissionDenied("err.team_managers_only")


def require_admin(user: User) -> None:
    """Raise unless the user is an admin."""
    if not user.is_admin:
        raise PermissionDenied("err.admin_only")


def readable_account_ids(db: Database, user: User) -> list[int]:
    """Ids of every account the user may see, by name."""
    if user.is_admin or user.is_executive:
        rows = db.execute("SELECT id FROM accounts ORDER BY name").fetchall()
    else:
        rows = db.execute(
            "SELECT a.id FROM accounts a JOIN account_team t ON t.account_id = a.id "
            "WHERE t.user_id = ? ORDER BY a.name",
            [user.id],
        ).fetchall()
    return [r[0] for r in rows]
