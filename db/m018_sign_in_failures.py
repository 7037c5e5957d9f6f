"""Failed sign-ins, so guessing slows down per username and per client address; and the one-time
hand-over codes through which the server itself sets the HttpOnly session cookie.

`sign_in_failures`: one row per checked password; read by `kamcore.sign_in_throttle`.
`sign_in_handoffs`: a code's hash, the session token sealed with that code, a one-minute expiry
(`kamcore.sessions.hand_over` / `redeem`). Both in SQLite (not process memory), so every process behind
the nginx cluster sees them.
"""

from sqlite_utils import Database

from db.sql import run_script

SCHEMA = """
CREATE TABLE sign_in_failures (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL,
    address TEXT NOT NULL,
    failed_at TEXT NOT NULL
);
CREATE INDEX sign_in_failures_by_username ON sign_in_failures(username, failed_at);
CREATE INDEX sign_in_failures_by_address ON sign_in_failures(address, failed_at);
CREATE TABLE sign_in_handoffs (
    code_hash TEXT PRIMARY KEY,
    sealed_token TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
"""


def up(db: Database) -> None:
    """Create the failed sign-in and hand-over tables."""
    run_script(db, SCHEMA)
