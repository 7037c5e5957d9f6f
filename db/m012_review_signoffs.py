"""Retrospectives you can trust (issue 13): a review lifecycle, recorded sign-offs, rule versions in the log.

- `retrospectives.status` gains 'in_review' (draft → in review → final); a final
  retrospective is read-only until reopened with a reason (`reopen_reason`).
  `reviewer_id` names the person one level up who signs off a big loss or a
  missed goal (D10). The four `goal_*` columns record the "goals without
  results" checklist of a period review ('ok' / 'failed', NULL = not assessed).
- `signoffs`: one row per person who agreed to something (tiering criteria, a
  retrospective's conclusions, a reviewer's sign-off), generic over the entity
  kind, written by that person in the app.
- `rule_firings.rule_version`: which version of the rule's conditions fired.
- `settings['retro.review_amount']`: a lost deal from this amount (thousands, the
  deal's currency) needs a reviewer; the admin changes it.
"""

from sqlite_utils import Database

from db.sql import run_script

SCHEMA = """
ALTER TABLE retrospectives ADD COLUMN old_status TEXT;
UPDATE retrospectives SET old_status = status;
ALTER TABLE retrospectives DROP COLUMN status;
ALTER TABLE retrospectives ADD COLUMN status TEXT NOT NULL DEFAULT 'draft'
    CHECK (status IN ('draft', 'in_review', 'final'));
UPDATE retrospectives SET status = old_status;
ALTER TABLE retrospectives DROP COLUMN old_status;
ALTER TABLE retrospectives ADD COLUMN reviewer_id INTEGER REFERENCES users(id);
ALTER TABLE retrospectives ADD COLUMN reopen_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE retrospectives ADD COLUMN goal_consensus TEXT CHECK (goal_consensus IN ('ok', 'failed'));
ALTER TABLE retrospectives ADD COLUMN goal_owner TEXT CHECK (goal_owner IN ('ok', 'failed'));
ALTER TABLE retrospectives ADD COLUMN goal_incentives TEXT CHECK (goal_incentives IN ('ok', 'failed'));
ALTER TABLE retrospectives ADD COLUMN goal_core_elements TEXT CHECK (goal_core_elements IN ('ok', 'failed'));

CREATE TABLE signoffs (
    id INTEGER PRIMARY KEY,
    entity TEXT NOT NULL,
    entity_id INTEGER NOT NULL,
    purpose TEXT NOT NULL,
    account_id INTEGER REFERENCES accounts(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    comment TEXT NOT NULL DEFAULT '',
    signed_at TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by INTEGER REFERENCES users(id),
    UNIQUE (entity, entity_id, purpose, user_id)
);
CREATE INDEX signoffs_subject ON signoffs(entity, entity_id, purpose);

ALTER TABLE rule_firings ADD COLUMN rule_version INTEGER;
UPDATE rule_firings SET rule_version = (SELECT version FROM rules WHERE rules.id = rule_firings.rule_id);

INSERT INTO settings (key, value) VALUES ('retro.review_amount', '10000')
    ON CONFLICT(key) DO NOTHING;
"""


def up(db: Database) -> None:
    """Widen the retrospective status, add reviewer, reopen reason and checklist, sign-offs and rule versions."""
    run_script(db, SCHEMA)
