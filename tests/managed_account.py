"""The smallest world most feature tests start from: one account led by one account manager."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from kamcore import accounts, team, users
from kamcore.users import User


def member(db: Database, admin: User, username: str, name: str, role: str = "member") -> User:
    """A user with the tests' usual password."""
    return users.create_user(db, admin, username, name, "password-1", role)


def managed_account(db: Database, admin: User, name: str = "Jiangnan", industry: str = "Energy",
                    region: str = "East", **more: Any) -> tuple[int, User]:
    """An account (id) and its first-responsible account manager, the member 'am.user'."""
    account = accounts.create_account(db, admin, {"name": name, "industry": industry, "region": region, **more})
    am = member(db, admin, "am.user", "Account Manager")
    team.add_member(db, admin, account["id"], am.id, "account_manager", first_responsible=True)
    return account["id"], am
