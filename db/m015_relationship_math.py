"""Relationship math (issue 17): one scale, targets per contact, budgets, key-person marks, health score.

1. One scale (D4): the score −1…3 is the measure and the stance its label (see
   kamcore/decision_chain/scale.py). Rows whose stance disagrees with their score get the stance
   of their score (an opponent/blocker choice at −1 is kept). Each such fix is a normal audited
   change (version + 1, one `update` audit row for `stance`, actor NULL = the system), so the
   relationship history gains one dated step and loses none, and the replay of the audit log
   still rebuilds the live rows. New columns are nullable without defaults for the same reason:
   rows written before this migration have no audit value for them, and NULL is what replay gives.
2. Current vs target per contact (D8): relationship stage and our standing, each with a target,
   and one target date; key-person worksheet (D4's four factors) and inner-circle /
   executive-sponsor / champion / key-contact marks; a check-in interval (revisit class).
3. Relationship actions: planned and spent budget, and the step they aim to move.
4. Visits: the SPIN plan is prepared for the person met (checked in kamcore).
5. Company-wide settings: health-score weights (versioned rows, must add to 100) and the
   coverage thresholds; health snapshots for the trend.
"""

from sqlite_utils import Database

from db.sql import run_script

STANCE_OF_SCORE = {3: "coach", 2: "supporter", 1: "supporter", 0: "neutral", -1: "opponent"}
STAGES = "'stranger', 'familiar', 'personal_trust', 'interest', 'organisational_trust'"
STANDINGS = "'vendor', 'credible_source', 'problem_solver', 'trusted_advisor'"

SCHEMA = f"""
ALTER TABLE stakeholders ADD COLUMN stage TEXT CHECK (stage IS NULL OR stage IN ({STAGES}));
ALTER TABLE stakeholders ADD COLUMN stage_target TEXT CHECK (stage_target IS NULL OR stage_target IN ({STAGES}));
ALTER TABLE stakeholders ADD COLUMN standing TEXT CHECK (standing IS NULL OR standing IN ({STANDINGS}));
ALTER TABLE stakeholders ADD COLUMN standing_target TEXT
    CHECK (standing_target IS NULL OR standing_target IN ({STANDINGS}));
ALTER TABLE stakeholders ADD COLUMN target_date TEXT;
ALTER TABLE stakeholders ADD COLUMN key_contact INTEGER;
ALTER TABLE stakeholders ADD COLUMN inner_circle INTEGER;
ALTER TABLE stakeholders ADD COLUMN executive_sponsor INTEGER;
ALTER TABLE stakeholders ADD COLUMN champion INTEGER;
ALTER TABLE stakeholders ADD COLUMN checkin_days INTEGER
    CHECK (checkin_days IS NULL OR checkin_days IN (20, 40, 60, 80));
ALTER TABLE stakeholders ADD COLUMN kp_governance TEXT;
ALTER TABLE stakeholders ADD COLUMN kp_expertise TEXT;
ALTER TABLE stakeholders ADD COLUMN kp_style TEXT;
ALTER TABLE stakeholders ADD COLUMN kp_purchase_share INTEGER
    CHECK (kp_purchase_share IS NULL OR kp_purchase_share BETWEEN 0 AND 100);

ALTER TABLE relationship_actions ADD COLUMN budget_planned REAL CHECK (budget_planned IS NULL OR budget_planned >= 0);
ALTER TABLE relationship_actions ADD COLUMN budget_spent REAL CHECK (budget_spent IS NULL OR budget_spent >= 0);
ALTER TABLE relationship_actions ADD COLUMN aims_at TEXT CHECK (aims_at IS NULL OR aims_at IN ('stage', 'standing'));
ALTER TABLE relationship_actions ADD COLUMN aims_to TEXT;
ALTER TABLE relationship_actions ADD COLUMN key_visit INTEGER;

CREATE TABLE health_weights (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL DEFAULT '',
    plan_completeness INTEGER NOT NULL DEFAULT 10,
    key_people_coverage INTEGER NOT NULL DEFAULT 20,
    relationship_vs_target INTEGER NOT NULL DEFAULT 15,
    freshness INTEGER NOT NULL DEFAULT 15,
    pipeline_coverage INTEGER NOT NULL DEFAULT 15,
    goal_attainment INTEGER NOT NULL DEFAULT 15,
    risk_flags INTEGER NOT NULL DEFAULT 10,
    note TEXT NOT NULL DEFAULT '',
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by INTEGER REFERENCES users(id)
);

CREATE TABLE relationship_settings (
    id INTEGER PRIMARY KEY,
    key_contacts_min INTEGER NOT NULL DEFAULT 10,
    key_contacts_max INTEGER NOT NULL DEFAULT 15,
    executive_sponsors_min INTEGER NOT NULL DEFAULT 1,
    not_contacted_days INTEGER NOT NULL DEFAULT 60,
    default_checkin_days INTEGER NOT NULL DEFAULT 60,
    budget_spent_pct INTEGER NOT NULL DEFAULT 80,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by INTEGER REFERENCES users(id)
);

CREATE TABLE health_snapshots (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    day TEXT NOT NULL,
    score INTEGER NOT NULL,
    components TEXT NOT NULL,
    weights_version INTEGER NOT NULL,
    UNIQUE (account_id, day)
);
"""


def up(db: Database) -> None:
    """Add the columns and tables, then put every stakeholder's stance on the one scale (audited)."""
    run_script(db, SCHEMA)
    now = db.execute("SELECT strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now')").fetchone()[0]
    off = db.execute(
        """SELECT id, account_id, stance, score, version FROM stakeholders WHERE NOT (
               (score = 3 AND stance = 'coach') OR (score IN (1, 2) AND stance = 'supporter')
            OR (score = 0 AND stance = 'neutral') OR (score = -1 AND stance IN ('opponent', 'blocker')))
           ORDER BY id""").fetchall()
    for row_id, account_id, stance, score, version in off:
        new = STANCE_OF_SCORE[score]
        db.conn.execute("UPDATE stakeholders SET stance = ?, version = ?, updated_at = ?, updated_by = NULL "
                        "WHERE id = ?", [new, version + 1, now, row_id])
        db.conn.execute(
            "INSERT INTO audit_log (at, actor_id, account_id, entity, entity_id, action, field, old_value, "
            "new_value, version) VALUES (?, NULL, ?, 'stakeholder', ?, 'update', 'stance', ?, ?, ?)",
            [now, account_id, row_id, f'"{stance}"', f'"{new}"', version + 1])
