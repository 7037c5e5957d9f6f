"""Sign-in sessions, so a page reload or a link opened in a new tab keeps the user signed in.

Only a SHA-256 of each token is stored; the token itself lives in the browser's cookie.
"""

from sqlite_utils import Database

from db.sql import run_script

SCHEMA = """
CREATE TABLE sign_in_sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sign_in_sessions_by_user ON sign_in_sessions(user_id);
"""


def up(db: Database) -> None:
    """Create the sign-in session table."""
    run_script(db, SCHEMA)
