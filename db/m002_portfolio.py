"""Portfolio (D1, D2): account financials by year, versioned tiering criteria, each
account's tier assignment, and the team's assessment of each account (fit,
potential, our position, chosen competitive posture).
"""

from sqlite_utils import Database

from db.sql import run_script

SCHEMA = """
CREATE TABLE account_financials (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    year INTEGER NOT NULL,
    revenue REAL NOT NULL DEFAULT 0,
    gross_profit REAL NOT NULL DEFAULT 0,
    deals_count INTEGER NOT NULL DEFAULT 0,
    receivables_outstanding REAL NOT NULL DEFAULT 0,
    receivables_overdue REAL NOT NULL DEFAULT 0,
    dso_days REAL,
    price_cuts INTEGER NOT NULL DEFAULT 0,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by INTEGER REFERENCES users(id),
    UNIQUE (account_id, year)
);
CREATE INDEX account_financials_year ON account_financials(year);

CREATE TABLE tiering_criteria (
    id INTEGER PRIMARY KEY,
    number INTEGER NOT NULL UNIQUE,
    name TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'active', 'retired')),
    definition TEXT NOT NULL,
    agreed_by TEXT NOT NULL DEFAULT '[]',
    activated_at TEXT,
    notes TEXT NOT NULL DEFAULT '',
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by INTEGER REFERENCES users(id)
);
CREATE UNIQUE INDEX one_active_criteria ON tiering_criteria(status) WHERE status = 'active';

CREATE TABLE account_tiers (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL UNIQUE REFERENCES accounts(id) ON DELETE CASCADE,
    criteria_id INTEGER NOT NULL REFERENCES tiering_criteria(id),
    criteria_number INTEGER NOT NULL,
    score REAL NOT NULL,
    tier TEXT NOT NULL CHECK (tier IN ('key', 'general', 'small')),
    account_type TEXT CHECK (account_type IN ('strategic', 'value', 'transactional')),
    contributions TEXT NOT NULL DEFAULT '[]',
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by INTEGER REFERENCES users(id)
);
CREATE INDEX account_tiers_tier ON account_tiers(tier);

CREATE TABLE account_positions (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL UNIQUE REFERENCES accounts(id) ON DELETE CASCADE,
    scale INTEGER,
    industry_rank INTEGER,
    value_fit INTEGER,
    purchase_fit INTEGER,
    potential_sales REAL,
    obtainable_share REAL,
    horizon_years INTEGER,
    our_position TEXT,
    chosen_posture TEXT,
    rationale TEXT NOT NULL DEFAULT '',
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by INTEGER REFERENCES users(id)
);
"""


def up(db: Database) -> None:
    """Create the portfolio tables."""
    run_script(db, SCHEMA)
