"""Money with its currency: the reporting currency, exchange rates per currency and year, and the
reason a goal's typed actual overrides the figure the war room measures itself.

Amounts stay stored in thousands of their own currency (accounts, deals, goals, financials);
`kamcore.money` converts and formats them.
"""

from sqlite_utils import Database

from db.sql import run_script

SCHEMA = """
CREATE TABLE money_settings (
    id INTEGER PRIMARY KEY,
    reporting_currency TEXT NOT NULL DEFAULT 'CNY',
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by INTEGER REFERENCES users(id)
);
CREATE TABLE exchange_rates (
    id INTEGER PRIMARY KEY,
    currency TEXT NOT NULL,
    to_currency TEXT NOT NULL,
    year INTEGER NOT NULL,
    rate REAL NOT NULL CHECK (rate > 0),
    note TEXT NOT NULL DEFAULT '',
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by INTEGER REFERENCES users(id),
    UNIQUE (currency, to_currency, year)
);
ALTER TABLE goals ADD COLUMN actual_reason TEXT NOT NULL DEFAULT '';
"""


def up(db: Database) -> None:
    """Create the money tables and the goal override reason."""
    run_script(db, SCHEMA)
