"""Where a team lives (issue 31): calendar feeds, the mail outbox and preferences, read marks, e-mail addresses.

- `calendar_feeds`: one secret subscription address per person; only the token's hash is kept, and revoking
  deletes the row (the address then answers 404).
- `mail_outbox`: messages waiting for the sender; a sender claims a row with one atomic UPDATE … WHERE
  claimed_by IS NULL, so several server processes send each message once. `dedupe_key` makes queuing the
  same message twice (e.g. the daily overdue mail) a no-op.
- `mail_preferences`: a kind of mail a person turned off (no row = on).
- `read_marks`: when a person last opened *My work* (the unread count counts what came after).
- `users.email`: where a person's mail goes ('' = none: skipped, named on the admin page).
"""

from sqlite_utils import Database

from db.sql import run_script

SCHEMA = """
CREATE TABLE calendar_feeds (
    user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);
CREATE TABLE mail_outbox (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('mention', 'assigned', 'overdue', 'tender', 'digest')),
    dedupe_key TEXT NOT NULL UNIQUE,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_try_at TEXT NOT NULL,
    claimed_by TEXT,
    claimed_at TEXT,
    sent_at TEXT,
    last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX mail_outbox_waiting ON mail_outbox(sent_at, next_try_at);
CREATE TABLE mail_preferences (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    PRIMARY KEY (user_id, kind)
);
CREATE TABLE read_marks (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    what TEXT NOT NULL,
    read_at TEXT NOT NULL,
    PRIMARY KEY (user_id, what)
);
ALTER TABLE users ADD COLUMN email TEXT NOT NULL DEFAULT '';
"""


def up(db: Database) -> None:
    """Add the feed, outbox, preference and read-mark tables and `users.email`."""
    run_script(db, SCHEMA)
