"""Users, accounts, the iron-triangle team, product lines and the audit log.

Every editable table carries `version` (optimistic concurrency) and
`updated_at` / `updated_by`; `audit_log` holds one row per changed field.
"""

from sqlite_utils import Database

from db.sql import run_script

SCHEMA = """
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE COLLATE NOCASE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    global_role TEXT NOT NULL DEFAULT 'member'
        CHECK (global_role IN ('admin', 'executive', 'member')),
    lang TEXT NOT NULL DEFAULT 'en' CHECK (lang IN ('en', 'zh')),
    active INTEGER NOT NULL DEFAULT 1,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by INTEGER
);

CREATE TABLE accounts (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    industry TEXT NOT NULL,
    region TEXT NOT NULL,
    currency TEXT NOT NULL DEFAULT 'CNY',
    status TEXT NOT NULL DEFAULT 'active'
        CHECK (status IN ('prospect', 'active', 'at_risk', 'dormant', 'lost')),
    notes TEXT NOT NULL DEFAULT '',
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by INTEGER REFERENCES users(id)
);

CREATE TABLE account_team (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users(id),
    role TEXT NOT NULL CHECK (role IN (
        'account_manager', 'solution_manager', 'delivery_manager', 'executive', 'viewer')),
    first_responsible INTEGER NOT NULL DEFAULT 0 CHECK (first_responsible IN (0, 1)),
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by INTEGER REFERENCES users(id),
    UNIQUE (account_id, user_id)
);
CREATE UNIQUE INDEX one_first_responsible_per_account
    ON account_team(account_id) WHERE first_responsible = 1;
CREATE INDEX account_team_user ON account_team(user_id);

CREATE TABLE product_lines (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    active INTEGER NOT NULL DEFAULT 1,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by INTEGER REFERENCES users(id)
);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor_id INTEGER REFERENCES users(id),
    account_id INTEGER,
    entity TEXT NOT NULL,
    entity_id INTEGER NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('create', 'update', 'delete', 'restore', 'redact')),
    field TEXT,
    old_value TEXT,
    new_value TEXT,
    version INTEGER
);
CREATE INDEX audit_by_account_time ON audit_log(account_id, at);
CREATE INDEX audit_by_entity ON audit_log(entity, entity_id, version);
CREATE INDEX audit_by_actor ON audit_log(actor_id, at);

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


def up(db: Database) -> None:
    """Create the foundation tables."""
    run_script(db, SCHEMA)
