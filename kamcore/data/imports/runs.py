"""One commit per preview: a second click (or a second tab) on the same preview returns the first
result instead of writing twice or turning a success into an error."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable
from typing import Any

from sqlite_utils import Database

from kamcore import clock, store
from kamcore.errors import ValidationError
from kamcore.users import User


def new_token() -> str:
    """A fresh token for one preview."""
    return secrets.token_urlsafe(16)


def committed(db: Database, token: str) -> dict[str, Any] | None:
    """The earlier result of this preview's commit, or None."""
    found = store.row(db, "SELECT kind, rows, summary, at FROM import_runs WHERE token = ?", [token])
    if found is None or found["rows"] == PENDING:
        return None
    return {**json.loads(found["summary"]), "rows": found["rows"], "kind": found["kind"], "at": found["at"],
            "repeated": True}


PENDING = -1  # `rows` of a claimed token whose batched commit is still running
WAIT_SECONDS = 900  # how long a second click waits for the first commit of its preview


def claim(db: Database, actor: User, token: str, kind: str) -> dict[str, Any] | None:
    """Start the batched commit of one preview (`records.create_many` commits batch by batch, so no single
    transaction covers the whole run): claim its token, or return the result of the commit that already
    ran. While another commit of the same token is running, wait for it and return its result."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        with store.transaction(db):
            found = store.row(db, "SELECT rows FROM import_runs WHERE token = ?", [token])
            if found is None:
                db.conn.execute("INSERT INTO import_runs (token, kind, actor_id, rows, summary, at) "
                                "VALUES (?, ?, ?, ?, '{}', ?)", [token, kind, actor.id, PENDING, clock.now_iso()])
                return None
            if found["rows"] != PENDING:
                return committed(db, token)
        if time.monotonic() > deadline:
            raise ValidationError.single("file", "reason.import_still_running")
        time.sleep(0.2)  # outside the transaction: the first commit's batches go on meanwhile


def finish(db: Database, token: str, result: dict[str, Any]) -> None:
    """Record the claimed commit's result (inside its last transaction)."""
    db.conn.execute("UPDATE import_runs SET rows = ?, summary = ?, at = ? WHERE token = ?",
                    [int(result.get("rows", 0)), json.dumps(result, default=str), clock.now_iso(), token])


def release(db: Database, token: str) -> None:
    """Give the token back after a failed commit: the preview may be committed again."""
    with store.transaction(db):
        db.conn.execute("DELETE FROM import_runs WHERE token = ? AND rows = ?", [token, PENDING])


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
