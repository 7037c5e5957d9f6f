"""Meeting roles and per-section remarks for huddles, and paged slides on the shared screen.

- `huddles.presenter_id / reviewer_id / coach_id`: who presents, who reviews (asks the hard
  questions), who coaches (recommends). Existing huddles get their last editor as presenter.
- `huddle_remarks`: a reviewer's question or a coach's recommendation about one section of one
  account in a huddle; `action_id` points at the action it became.
- `huddle_sessions.page`: which slide of a long section is on the shared screen.
"""

from sqlite_utils import Database

from db.sql import run_script

SCHEMA = """
ALTER TABLE huddles ADD COLUMN presenter_id INTEGER REFERENCES users(id);
ALTER TABLE huddles ADD COLUMN reviewer_id INTEGER REFERENCES users(id);
ALTER TABLE huddles ADD COLUMN coach_id INTEGER REFERENCES users(id);
UPDATE huddles SET presenter_id = updated_by WHERE presenter_id IS NULL;

ALTER TABLE huddle_sessions ADD COLUMN page INTEGER NOT NULL DEFAULT 0;

CREATE TABLE huddle_remarks (
    id INTEGER PRIMARY KEY,
    huddle_id INTEGER NOT NULL REFERENCES huddles(id) ON DELETE CASCADE,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    section TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('question', 'recommendation')),
    text TEXT NOT NULL,
    author_id INTEGER REFERENCES users(id),
    action_id INTEGER REFERENCES huddle_items(id) ON DELETE SET NULL,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by INTEGER REFERENCES users(id)
);
CREATE INDEX huddle_remarks_by_huddle ON huddle_remarks(huddle_id, account_id, section);
"""


def up(db: Database) -> None:
    """Add the role columns, the remarks table and the slide page."""
    run_script(db, SCHEMA)
