"""The sign-in hand-over table for databases that missed it.

`sign_in_handoffs` was added to m018's text after m018 had landed, so a database migrated to m018
before that edit recorded m018 as applied without the table, and server-set session cookies fail
there. This creates it where it is missing, with m018's exact schema; elsewhere it changes nothing.
"""

from sqlite_utils import Database

from db.sql import run_script

SCHEMA = """
CREATE TABLE IF NOT EXISTS sign_in_handoffs (
    code_hash TEXT PRIMARY KEY,
    sealed_token TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
"""


def up(db: Database) -> None:
    """Create `sign_in_handoffs` unless m018 already did."""
    run_script(db, SCHEMA)
