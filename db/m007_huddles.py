"""Huddles (D7–D9): the weekly war-room meeting, its decisions and actions, comments with
@mentions, and the shared-screen presentation state.

- `huddles`: one meeting for one account or a group of accounts (`scope` is the
  sorted, comma-separated account ids; `account_id` is the first of them, so
  permissions and History work as for any account-scoped row).
- `huddle_items`: decisions and actions; actions carry an owner and a due date.
  `account_id` is the account the item is about (one of the huddle's scope).
- `comments`: a generic comment on any account-scoped record (goal, opportunity,
  stakeholder, retrospective…), with the mentioned user ids.
- `huddle_sessions`: where the presenter is (account and section) so every
  laptop showing the same huddle follows the shared screen. UI state, not
  business data: it is versioned but not audited.
"""

from sqlite_utils import Database

from db.sql import run_script

SCHEMA = """
CREATE TABLE huddles (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    scope TEXT NOT NULL,
    held_on TEXT NOT NULL,
    since TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    attendees TEXT NOT NULL DEFAULT '',
    notes TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by INTEGER REFERENCES users(id)
);
CREATE INDEX huddles_by_scope ON huddles(scope, held_on);
CREATE INDEX huddles_by_account ON huddles(account_id, held_on);

CREATE TABLE huddle_items (
    id INTEGER PRIMARY KEY,
    huddle_id INTEGER NOT NULL REFERENCES huddles(id) ON DELETE CASCADE,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('decision', 'action')),
    text TEXT NOT NULL,
    owner_id INTEGER REFERENCES users(id),
    due_on TEXT,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'dropped')),
    source TEXT NOT NULL DEFAULT '',
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by INTEGER REFERENCES users(id)
);
CREATE INDEX huddle_items_by_huddle ON huddle_items(huddle_id);
CREATE INDEX huddle_items_open_by_owner ON huddle_items(owner_id, status, due_on);
CREATE INDEX huddle_items_by_account ON huddle_items(account_id, status, due_on);

CREATE TABLE comments (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    entity TEXT NOT NULL,
    entity_id INTEGER NOT NULL,
    author_id INTEGER NOT NULL REFERENCES users(id),
    body TEXT NOT NULL,
    mentions TEXT NOT NULL DEFAULT '',
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by INTEGER REFERENCES users(id)
);
CREATE INDEX comments_by_item ON comments(entity, entity_id, created_at);
CREATE INDEX comments_by_account ON comments(account_id, created_at);

CREATE TABLE huddle_sessions (
    id INTEGER PRIMARY KEY,
    huddle_id INTEGER NOT NULL UNIQUE REFERENCES huddles(id) ON DELETE CASCADE,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    section TEXT NOT NULL,
    presenter_id INTEGER REFERENCES users(id),
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by INTEGER REFERENCES users(id)
);
"""


def up(db: Database) -> None:
    """Create the huddle, comment and presentation tables."""
    run_script(db, SCHEMA)
