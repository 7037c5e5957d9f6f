"""Which time zone days and timestamps are read in: the company's (an admin setting; the demo uses
Asia/Shanghai) and each person's own override (NULL = the company's). Both are stored through
`kamcore.records` (versioned, audited); an unknown zone is refused naming the field.

The reader's zone — their override, else the company's — is what every timestamp on their screen is
shown in (`clock.stamp`); the company zone is what "today", overdue, this week and the rhythm deadlines
are computed in (`clock.today`).
"""

from __future__ import annotations

from typing import Any

from pydantic import field_validator
from sqlite_utils import Database

from kamcore import clock, records, store, users
from kamcore.identity import User
from kamcore.records import Entity, Record


class CompanySettingsIn(Record):
    """The company-wide settings row: its time zone."""

    time_zone: str = clock.DEFAULT_ZONE

    @field_validator("time_zone", mode="before")
    @classmethod
    def _zone(cls, value: Any) -> Any:
        return clock.checked_zone(value) or clock.DEFAULT_ZONE


SETTINGS = Entity("company_settings", "company_settings", CompanySettingsIn, account_field=None)


def company_zone(db: Database) -> str:
    """The company's time zone name (UTC until an admin picks one)."""
    return store.company_time_zone(db) or clock.DEFAULT_ZONE


def set_company_zone(db: Database, actor: User, name: str) -> dict[str, Any]:
    """Change the company's time zone (admins; audited); days are read in it from now on."""
    found = store.row(db, "SELECT id, version FROM company_settings ORDER BY id LIMIT 1")
    if found is None:
        row = records.create(db, actor, SETTINGS, {"time_zone": name})
    else:
        row = records.update(db, actor, SETTINGS, found["id"], found["version"], {"time_zone": name})
    clock.use_company_zone(row["time_zone"])
    return row


def own_zone(db: Database, user_id: int) -> str | None:
    """A person's own time zone, or None when they read the company's."""
    found = db.execute("SELECT time_zone FROM users WHERE id = ?", [user_id]).fetchone()
    return found[0] if found and found[0] else None


def set_own_zone(db: Database, actor: User, name: str | None) -> None:
    """A person picks their own time zone (None: the company's again); refused naming `time_zone` when the
    zone does not exist."""
    row = users.get_user_row(db, actor.id)
    users.update_user(db, actor, actor.id, row["version"], {"time_zone": (name or "").strip() or None})


def reader_zone(db: Database, user: User) -> str:
    """The zone a person reads timestamps in: their own, else the company's."""
    own = own_zone(db, user.id) if user.id is not None else None
    return own or company_zone(db)
