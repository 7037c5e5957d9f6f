"""One commit per preview: a second click (or a second tab) on the same preview returns the first
result instead of writing twice or turning a success into an error."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from typing import Any

from sqlite_utils import Database

from kamcore import clock, store
from kamcore.users import User


def new_token() -> str:
    """A fresh token for one preview."""
    return secrets.token_urlsafe(16)


def committed(db: Database, token: str) -> dict[str, Any] | None:
    """The earlier result of this preview's commit, or None."""
    found = store.row(db, "SELECT kind, rows, summary, at FROM import_runs WHERE token = ?", [token])
    if found is None:
        return None
    return {**json.loads(found["summary"]), "rows": found["rows"], "kind": found["kind"], "at": found["at"],
            "repeated": True}


def commit_once(db: Database, actor: User, token: str, kind: str, write: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run `write` inside one transaction unless this token already committed; record the token with the result.

    Under BEGIN IMMEDIATE the check and the write cannot interleave with another commit of the same token.
    """
    with store.transaction(db):
        earlier = committed(db, token)
        if earlier is not None:
            return earlier
        result = write()
        db.conn.execute("INSERT INTO import_runs (token, kind, actor_id, rows, summary, at) VALUES (?, ?, ?, ?, ?, ?)",
                        [token, kind, actor.id, int(result.get("rows", 0)), json.dumps(result, default=str),
                         clock.now_iso()])
    return {**result, "repeated": False}
