"""The decision chain (D4), relationship plans (D8) and visits (D9).

- `stakeholders`: the customer's people, their level, buying roles (a validated,
  comma-separated set such as `decision_maker,purchaser`), stance, relationship
  score (-1…3), our owner, interests and the optional D4 profile-sheet fields
  (`profile_*`, NULL when not collected; erased on request).
- `stakeholder_opportunities`: who takes part in which opportunity, in what role.
- `stakeholder_links`: reports_to / influences / conflict between two people of
  the same account.
- `relationship_actions`: the PDCA relationship plan.
- `visits`: visit plans (6W2H), outcomes and the revisit class.

Score and stance history is read from the audit log (see kamcore/stakeholders.py).
"""

from sqlite_utils import Database

from db.sql import run_script

SCHEMA = """
CREATE TABLE stakeholders (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    job_title TEXT NOT NULL DEFAULT '',
    department TEXT NOT NULL DEFAULT '',
    level TEXT NOT NULL DEFAULT 'execution' CHECK (level IN ('decision', 'management', 'execution')),
    roles TEXT NOT NULL DEFAULT '',
    stance TEXT NOT NULL DEFAULT 'neutral'
        CHECK (stance IN ('coach', 'supporter', 'neutral', 'opponent', 'blocker')),
    score INTEGER NOT NULL DEFAULT 0 CHECK (score BETWEEN -1 AND 3),
    favoured_rival TEXT NOT NULL DEFAULT '',
    owner_id INTEGER REFERENCES users(id),
    org_interests TEXT NOT NULL DEFAULT '',
    personal_interests TEXT NOT NULL DEFAULT '',
    needs TEXT NOT NULL DEFAULT '',
    notes TEXT NOT NULL DEFAULT '',
    profile_personal TEXT,
    profile_personality TEXT,
    profile_career TEXT,
    profile_family TEXT,
    profile_social TEXT,
    profile_resume TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by INTEGER REFERENCES users(id)
);
CREATE INDEX stakeholders_account ON stakeholders(account_id, level, department);
CREATE INDEX stakeholders_owner ON stakeholders(owner_id);

CREATE TABLE stakeholder_opportunities (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    stakeholder_id INTEGER NOT NULL REFERENCES stakeholders(id) ON DELETE CASCADE,
    opportunity_id INTEGER NOT NULL REFERENCES opportunities(id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('decision_maker', 'technical_evaluator', 'purchaser', 'user', 'influencer')),
    note TEXT NOT NULL DEFAULT '',
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by INTEGER REFERENCES users(id),
    UNIQUE (stakeholder_id, opportunity_id)
);
CREATE INDEX stakeholder_opportunities_opportunity ON stakeholder_opportunities(opportunity_id);
CREATE INDEX stakeholder_opportunities_account ON stakeholder_opportunities(account_id);

CREATE TABLE stakeholder_links (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    from_id INTEGER NOT NULL REFERENCES stakeholders(id) ON DELETE CASCADE,
    to_id INTEGER NOT NULL REFERENCES stakeholders(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('reports_to', 'influences', 'conflict')),
    strength INTEGER NOT NULL DEFAULT 2 CHECK (strength BETWEEN 1 AND 3),
    note TEXT NOT NULL DEFAULT '',
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by INTEGER REFERENCES users(id),
    CHECK (from_id <> to_id),
    UNIQUE (from_id, to_id, kind)
);
CREATE INDEX stakeholder_links_account ON stakeholder_links(account_id, kind);
CREATE INDEX stakeholder_links_to ON stakeholder_links(to_id);

CREATE TABLE relationship_actions (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    stakeholder_id INTEGER NOT NULL REFERENCES stakeholders(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('executive_visit', 'hq_visit', 'technical_exchange',
        'reference_visit', 'home_visit', 'business_meal', 'event', 'other')),
    plan TEXT NOT NULL DEFAULT '',
    owner_id INTEGER REFERENCES users(id),
    due_date TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'planned' CHECK (status IN ('planned', 'in_progress', 'done', 'cancelled')),
    done_on TEXT,
    check_result TEXT NOT NULL DEFAULT '',
    score_change INTEGER CHECK (score_change IS NULL OR score_change BETWEEN -4 AND 4),
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by INTEGER REFERENCES users(id)
);
CREATE INDEX relationship_actions_account ON relationship_actions(account_id, status, due_date);
CREATE INDEX relationship_actions_stakeholder ON relationship_actions(stakeholder_id, status);

CREATE TABLE visits (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    stakeholder_id INTEGER REFERENCES stakeholders(id) ON DELETE SET NULL,
    owner_id INTEGER REFERENCES users(id),
    purpose TEXT NOT NULL CHECK (purpose IN ('sell', 'maintain', 'rapport', 'information', 'advise')),
    planned_on TEXT NOT NULL,
    place TEXT NOT NULL DEFAULT '',
    goal TEXT NOT NULL DEFAULT '',
    stage_goal TEXT NOT NULL DEFAULT '',
    attendees TEXT NOT NULL DEFAULT '',
    why TEXT NOT NULL DEFAULT '',
    alternatives TEXT NOT NULL DEFAULT '',
    approach TEXT NOT NULL DEFAULT '',
    budget TEXT NOT NULL DEFAULT '',
    resources TEXT NOT NULL DEFAULT '',
    spin_plan_id INTEGER,
    status TEXT NOT NULL DEFAULT 'planned' CHECK (status IN ('planned', 'done', 'cancelled')),
    visited_on TEXT,
    outcome TEXT NOT NULL DEFAULT '',
    next_step TEXT NOT NULL DEFAULT '',
    revisit_days INTEGER CHECK (revisit_days IS NULL OR revisit_days IN (20, 40, 60, 80)),
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by INTEGER REFERENCES users(id)
);
CREATE INDEX visits_account ON visits(account_id, status, planned_on);
CREATE INDEX visits_stakeholder ON visits(stakeholder_id, status, visited_on);
"""


def up(db: Database) -> None:
    """Create the decision-chain, relationship-plan and visit tables."""
    run_script(db, SCHEMA)
