"""Recorded agreement for tests: executives sign a criteria draft, in the app's way, before it is activated."""

from __future__ import annotations

from typing import Any

from kamcore import users
from kamcore.errors import NotFoundError
from kamcore.portfolio import tiering


def executive(db: Any, admin: Any, name: str) -> Any:
    """An executive named `name` (created once per database)."""
    username = name.lower().replace(" ", ".")
    try:
        return users.find_by_username(db, username)
    except NotFoundError:
        return users.create_user(db, admin, username, name, "exec-pass-1", "executive")


def agree_and_activate(db: Any, admin: Any, draft: dict, names: tuple[str, ...] = ("Chen Jie", "Li Wei")) -> dict:
    """Each named executive signs off on `draft`, then `admin` activates it."""
    for name in names:
        tiering.agree(db, executive(db, admin, name), draft["id"])
    current = tiering.get_criteria(db, draft["id"])
    return tiering.activate(db, admin, draft["id"], current["version"])
