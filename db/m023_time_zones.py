"""Time zones: the company's (one settings row; UTC until an admin picks one) and each person's own
override (`users.time_zone`, NULL = the company's). Moments stay stored in UTC; `kamcore.clock` reads
days and shows timestamps in these zones.
"""

from sqlite_utils import Database

from db.sql import run_script

SCHEMA = """
CREATE TABLE company_settings (
    id INTEGER PRIMARY KEY,
    time_zone TEXT NOT NULL DEFAULT 'UTC',
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by INTEGER REFERENCES users(id)
);
ALTER TABLE users ADD COLUMN time_zone TEXT;
"""


def up(db: Database) -> None:
    """Add the company settings table and the per-person zone."""
    run_script(db, SCHEMA)
