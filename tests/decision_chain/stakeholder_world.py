"""A small decision-chain world for the issue-6 tests (imported by tests/test_stakeholder*, test_relationship*,
test_visits*, test_map*)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database

from kamcore import accounts, product_lines, team, users
from kamcore.decision_chain import stakeholders as sh
from kamcore.pipeline import opportunities
from kamcore.users import User


@dataclass
class World:
    """Account A (team: am, sm, viewer) and account B (team: other); an executive reading everything."""

    db: Database
    admin: User
    am: User
    sm: User
    viewer: User
    executive: User
    other: User
    a: int
    b: int
    line: int
    people: dict[str, dict[str, Any]] = field(default_factory=dict)

    def person(self, key: str, account: int | None = None, **values: Any) -> dict[str, Any]:
        """Create a stakeholder (as the account manager of A, or `other` for B) and remember it by key."""
        actor = self.am if (account or self.a) == self.a else self.other
        row = sh.create_stakeholder(self.db, actor, account or self.a, {"name": key.title(), **values})
        self.people[key] = row
        return row

    def deal(self, name: str = "Phase two", account: int | None = None) -> dict[str, Any]:
        """An open opportunity on account A (or B)."""
        actor = self.am if (account or self.a) == self.a else self.other
        return opportunities.create_opportunity(self.db, actor, {
            "account_id": account or self.a, "product_line_id": self.line, "name": name, "amount": 1000})

    def fresh(self, key: str) -> dict[str, Any]:
        """The current row of a remembered stakeholder."""
        self.people[key] = sh.get_stakeholder(self.db, self.am, self.people[key]["id"])
        return self.people[key]


def make_world(db: Database, admin: User) -> World:
    """Build the world on a fresh database."""
    a = accounts.create_account(db, admin, {"name": "Pudong", "industry": "Manufacturing", "region": "Shanghai"})
    b = accounts.create_account(db, admin, {"name": "Xibei", "industry": "Metro", "region": "Northwest"})
    am = users.create_user(db, admin, "am.user", "Ann Manager", "password-1", "member")
    sm = users.create_user(db, admin, "sm.user", "Sol Manager", "password-1", "member")
    viewer = users.create_user(db, admin, "viewer", "Vic Viewer", "password-1", "member")
    executive = users.create_user(db, admin, "exec", "Eve Exec", "password-1", "executive")
    other = users.create_user(db, admin, "other", "Otto Other", "password-1", "member")
    team.add_member(db, admin, a["id"], am.id, "account_manager", first_responsible=True)
    team.add_member(db, admin, a["id"], sm.id, "solution_manager")
    team.add_member(db, admin, a["id"], viewer.id, "viewer")
    team.add_member(db, admin, b["id"], other.id, "account_manager", first_responsible=True)
    line = product_lines.create_product_line(db, admin, {"code": "CORE", "name": "Core"})
    return World(db, admin, am, sm, viewer, executive, other, a["id"], b["id"], line["id"])
