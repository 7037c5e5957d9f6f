"""Run a multi-statement SQL script inside the migration's transaction.

`executescript` would COMMIT first and break the all-or-nothing migration, so
statements are split and executed one by one.
"""

from __future__ import annotations

import sqlite3

from sqlite_utils import Database


def run_script(db: Database, script: str) -> None:
    """Execute each complete statement of `script` on `db`'s open transaction."""
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            db.conn.execute(statement)
            statement = ""
    if statement.strip():
        raise ValueError(f"Incomplete SQL statement at end of script: {statement[:80]!r}")
