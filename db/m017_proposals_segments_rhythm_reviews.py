"""Proposal war rooms (D13), customer segments with value propositions (D5, D13), the working
rhythm (D9) and customer reviews (QBR).

Every table is versioned and audited through `kamcore.records`. Child rows carry their
account id (denormalised) so permissions and History need no join. Segments and their
rival scores are company-wide (no account); an account's segment is its own row.
"""

from sqlite_utils import Database

from db.sql import run_script

BOOKKEEPING = """
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by INTEGER REFERENCES users(id)"""

SCHEMA = f"""
CREATE TABLE proposals (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    opportunity_id INTEGER NOT NULL UNIQUE REFERENCES opportunities(id),
    start_on TEXT NOT NULL,
    cycle_days INTEGER NOT NULL DEFAULT 10,
    decision TEXT NOT NULL DEFAULT 'pending' CHECK (decision IN ('pending', 'bid', 'no_bid')),
    decision_reason TEXT NOT NULL DEFAULT '',
    kickoff_on TEXT,
    submitted_on TEXT,
    price_note TEXT NOT NULL DEFAULT '',
    outcome TEXT NOT NULL DEFAULT 'open' CHECK (outcome IN ('open', 'won', 'lost', 'withdrawn')),
    retrospective_id INTEGER,{BOOKKEEPING}
);
CREATE INDEX proposals_account ON proposals(account_id, outcome);

CREATE TABLE proposal_steps (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    proposal_id INTEGER NOT NULL REFERENCES proposals(id),
    step TEXT NOT NULL,
    day INTEGER NOT NULL,
    due_on TEXT NOT NULL,
    owner_id INTEGER REFERENCES users(id),
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done')),
    note TEXT NOT NULL DEFAULT '',{BOOKKEEPING},
    UNIQUE (proposal_id, step)
);

CREATE TABLE proposal_roles (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    proposal_id INTEGER NOT NULL REFERENCES proposals(id),
    role TEXT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users(id),{BOOKKEEPING},
    UNIQUE (proposal_id, role, user_id)
);

CREATE TABLE proposal_requirements (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    proposal_id INTEGER NOT NULL REFERENCES proposals(id),
    ref TEXT NOT NULL DEFAULT '',
    requirement TEXT NOT NULL,
    answer TEXT NOT NULL DEFAULT '',
    owner_id INTEGER NOT NULL REFERENCES users(id),
    status TEXT NOT NULL DEFAULT 'open',
    evidence TEXT NOT NULL DEFAULT '',{BOOKKEEPING}
);
CREATE INDEX proposal_requirements_proposal ON proposal_requirements(proposal_id, status);

CREATE TABLE proposal_themes (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    proposal_id INTEGER NOT NULL REFERENCES proposals(id),
    theme TEXT NOT NULL,
    differentiators TEXT NOT NULL DEFAULT '',
    proof TEXT NOT NULL DEFAULT '',{BOOKKEEPING}
);

CREATE TABLE segments (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    value_proposition TEXT NOT NULL DEFAULT '',
    w_price INTEGER NOT NULL DEFAULT 0,
    w_quality INTEGER NOT NULL DEFAULT 0,
    w_performance INTEGER NOT NULL DEFAULT 0,
    w_lead_time INTEGER NOT NULL DEFAULT 0,
    w_delivery_accuracy INTEGER NOT NULL DEFAULT 0,
    w_technical_support INTEGER NOT NULL DEFAULT 0,{BOOKKEEPING}
);

CREATE TABLE segment_scores (
    id INTEGER PRIMARY KEY,
    segment_id INTEGER NOT NULL REFERENCES segments(id),
    name TEXT NOT NULL,
    is_us INTEGER NOT NULL DEFAULT 0,
    s_price INTEGER NOT NULL DEFAULT 0,
    s_quality INTEGER NOT NULL DEFAULT 0,
    s_performance INTEGER NOT NULL DEFAULT 0,
    s_lead_time INTEGER NOT NULL DEFAULT 0,
    s_delivery_accuracy INTEGER NOT NULL DEFAULT 0,
    s_technical_support INTEGER NOT NULL DEFAULT 0,{BOOKKEEPING},
    UNIQUE (segment_id, name)
);

CREATE TABLE account_segments (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL UNIQUE REFERENCES accounts(id),
    segment_id INTEGER NOT NULL REFERENCES segments(id),{BOOKKEEPING}
);

CREATE TABLE rhythm_entries (
    id INTEGER PRIMARY KEY,
    author_id INTEGER NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL CHECK (kind IN ('daily_log', 'weekly_plan', 'weekly_summary', 'monthly_plan',
                                       'monthly_summary')),
    period_start TEXT NOT NULL,
    body TEXT NOT NULL,
    account_id INTEGER REFERENCES accounts(id),
    opportunity_id INTEGER REFERENCES opportunities(id),
    stakeholder_id INTEGER,
    submitted_at TEXT NOT NULL,
    review_status TEXT NOT NULL DEFAULT 'pending' CHECK (review_status IN ('pending', 'reviewed')),
    reviewed_by INTEGER REFERENCES users(id),
    reviewed_at TEXT,
    review_note TEXT NOT NULL DEFAULT '',{BOOKKEEPING},
    UNIQUE (author_id, kind, period_start)
);
CREATE INDEX rhythm_entries_period ON rhythm_entries(kind, period_start);

CREATE TABLE qbrs (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    title TEXT NOT NULL,
    year INTEGER NOT NULL,
    quarter INTEGER NOT NULL,
    meeting_on TEXT NOT NULL,
    agenda TEXT NOT NULL DEFAULT '',
    satisfaction INTEGER,
    complaints TEXT NOT NULL DEFAULT '',
    requests TEXT NOT NULL DEFAULT '',
    strengths TEXT NOT NULL DEFAULT '',
    weaknesses TEXT NOT NULL DEFAULT '',
    opportunities TEXT NOT NULL DEFAULT '',
    threats TEXT NOT NULL DEFAULT '',{BOOKKEEPING}
);
CREATE INDEX qbrs_account ON qbrs(account_id, meeting_on);

CREATE TABLE qbr_commitments (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    qbr_id INTEGER NOT NULL REFERENCES qbrs(id),
    side TEXT NOT NULL CHECK (side IN ('us', 'customer')),
    text TEXT NOT NULL,
    owner TEXT NOT NULL,
    due_on TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'dropped')),{BOOKKEEPING}
);
CREATE INDEX qbr_commitments_due ON qbr_commitments(account_id, status, due_on);
"""


def up(db: Database) -> None:
    """Create the proposal, segment, rhythm and customer-review tables."""
    run_script(db, SCHEMA)
