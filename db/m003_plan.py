"""The account plan (D2, D3): plan settings and scorecard weights, goals, share-growth plans,
purchase factors, barrier plans and approved baselines.

Plan-level settings live in `account_plans` (one row per account) so the foundation
`accounts` table stays as it is. Ids are AUTOINCREMENT: a deleted goal's id is never
reused, so the audit log and baseline comparisons cannot mistake a new row for an old one.
"""

from sqlite_utils import Database

from db.sql import run_script

SCHEMA = """
CREATE TABLE account_plans (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL UNIQUE REFERENCES accounts(id) ON DELETE CASCADE,
    lifecycle_stage TEXT NOT NULL DEFAULT 'growth'
        CHECK (lifecycle_stage IN ('breakthrough', 'growth', 'mature')),
    weight_financial INTEGER NOT NULL,
    weight_customer INTEGER NOT NULL,
    weight_process INTEGER NOT NULL,
    weight_learning INTEGER NOT NULL,
    custom_weights INTEGER NOT NULL DEFAULT 0 CHECK (custom_weights IN (0, 1)),
    period_start TEXT NOT NULL,
    period_end TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by INTEGER REFERENCES users(id)
);

CREATE TABLE goals (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    year INTEGER NOT NULL,
    quarter INTEGER CHECK (quarter IS NULL OR quarter BETWEEN 1 AND 4),
    quadrant TEXT NOT NULL CHECK (quadrant IN ('financial', 'customer', 'process', 'learning')),
    metric TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    product_line_id INTEGER REFERENCES product_lines(id),
    target REAL NOT NULL,
    actual REAL,
    owner_id INTEGER NOT NULL REFERENCES users(id),
    split_am INTEGER NOT NULL,
    split_sm INTEGER NOT NULL,
    split_dm INTEGER NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by INTEGER REFERENCES users(id)
);
CREATE INDEX goals_by_account_period ON goals(account_id, year, quarter);
CREATE INDEX goals_by_owner ON goals(owner_id);

CREATE TABLE share_plans (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    product_line_id INTEGER NOT NULL REFERENCES product_lines(id),
    wallet REAL NOT NULL,
    current_share REAL NOT NULL,
    base_year INTEGER NOT NULL,
    target_share_1 REAL,
    target_share_2 REAL,
    target_share_3 REAL,
    actions TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'planned',
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by INTEGER REFERENCES users(id),
    UNIQUE (account_id, product_line_id)
);
CREATE INDEX share_plans_by_line ON share_plans(product_line_id);

CREATE TABLE purchase_factors (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    factor TEXT NOT NULL CHECK (factor IN ('risk', 'benefit', 'switching_cost')),
    score INTEGER NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by INTEGER REFERENCES users(id),
    UNIQUE (account_id, factor)
);

CREATE TABLE barrier_actions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('technical', 'commercial', 'process')),
    product_line_id INTEGER REFERENCES product_lines(id),
    level TEXT,
    action TEXT NOT NULL,
    owner_id INTEGER NOT NULL REFERENCES users(id),
    due_date TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open',
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by INTEGER REFERENCES users(id)
);
CREATE INDEX barrier_actions_by_account ON barrier_actions(account_id, kind);

CREATE TABLE plan_baselines (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    approved_on TEXT NOT NULL,
    snapshot TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by INTEGER REFERENCES users(id),
    UNIQUE (account_id, name)
);
"""


def up(db: Database) -> None:
    """Create the account-plan tables."""
    run_script(db, SCHEMA)
