"""A small account with an iron triangle and product lines, shared by the plan tests."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from kamcore import accounts, product_lines, team, users
from kamcore.users import User


@dataclass
class World:
    """One account, its triangle (am, sm, dm), an outsider, and two product lines."""

    db: Database
    admin: User
    am: User
    sm: User
    dm: User
    outsider: User
    account: dict[str, Any]
    core: dict[str, Any]
    cloud: dict[str, Any]

    @property
    def account_id(self) -> int:
        return self.account["id"]

    def goal(self, **over: Any) -> dict[str, Any]:
        """Valid goal values, with overrides."""
        return {"account_id": self.account_id, "year": 2026, "quadrant": "financial", "metric": "revenue",
                "target": 100.0, "actual": None, "owner_id": self.am.id,
                "split_am": 50, "split_sm": 30, "split_dm": 20, **over}

    def share(self, **over: Any) -> dict[str, Any]:
        """Valid share-plan values, with overrides."""
        return {"account_id": self.account_id, "product_line_id": self.core["id"], "wallet": 1000.0,
                "current_share": 10.0, "base_year": 2026, "target_share_1": 20.0, "target_share_2": 30.0,
                **over}


def build_world(db: Database) -> World:
    """Create the users, account, team and lines."""
    admin = users.create_user(db, users.SYSTEM, "admin", "Admin", "admin-pass-1", "admin")
    am = users.create_user(db, admin, "am.one", "Ann Manager", "password-1")
    sm = users.create_user(db, admin, "sm.one", "Sol Manager", "password-1")
    dm = users.create_user(db, admin, "dm.one", "Del Manager", "password-1")
    outsider = users.create_user(db, admin, "out.one", "Otto Outsider", "password-1")
    account = accounts.create_account(db, admin, {"name": "Acme", "industry": "X", "region": "Y"})
    team.add_member(db, admin, account["id"], am.id, "account_manager", first_responsible=True)
    team.add_member(db, admin, account["id"], sm.id, "solution_manager")
    team.add_member(db, admin, account["id"], dm.id, "delivery_manager")
    core = product_lines.create_product_line(db, admin, {"code": "CORE", "name": "Core"})
    cloud = product_lines.create_product_line(db, admin, {"code": "CLOUD", "name": "Cloud"})
    return World(db, admin, am, sm, dm, outsider, account, core, cloud)


def fresh_world() -> Iterator[World]:
    """A fresh in-memory database with one planned account (wrap it in a fixture)."""
    from kamcore import store

    db = store.connect(":memory:")
    yield build_world(db)
    db.close()
