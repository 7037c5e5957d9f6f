"""Failed sign-ins, so guessing slows down per username and per client address.

One row per refused password; read by `kamcore.sign_in_throttle`. In SQLite (not process memory), so
every process behind the nginx cluster sees the same count.
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
"""


def up(db: Database) -> None:
    """Create the failed sign-in table."""
    run_script(db, SCHEMA)
