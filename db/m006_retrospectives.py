"""Retrospectives (复盘), the playbook, and deal-health rules with their flags and firing history (D10).

Every factor, five-why chain, lesson and improvement action is its own versioned
row, so several team members can write in one retrospective at once.
`rule_firings` is a machine-written log (like `audit_log`): when a rule started
and stopped flagging a deal, so the team can see how those deals ended.
Opportunity ids carry no foreign key: opportunities live in another migration
and a retrospective outlives a deleted deal.
"""

import json
from datetime import UTC, datetime

from sqlite_utils import Database

from db.sql import run_script

SCHEMA = """
CREATE TABLE retrospectives (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    opportunity_id INTEGER,
    review_type TEXT NOT NULL CHECK (review_type IN ('deal', 'mid_deal', 'period')),
    title TEXT NOT NULL,
    result TEXT NOT NULL CHECK (result IN ('won', 'lost', 'no_decision', 'open', 'goal_met', 'goal_missed')),
    review_from TEXT,
    review_to TEXT,
    rival TEXT NOT NULL DEFAULT '',
    summary TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'final')),
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by INTEGER REFERENCES users(id)
);
CREATE INDEX retrospectives_account ON retrospectives(account_id, created_at);
CREATE INDEX retrospectives_opportunity ON retrospectives(opportunity_id);
CREATE INDEX retrospectives_result ON retrospectives(result);

CREATE TABLE retro_factors (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    retrospective_id INTEGER NOT NULL REFERENCES retrospectives(id),
    dimension TEXT NOT NULL,
    polarity TEXT NOT NULL CHECK (polarity IN ('success', 'failure')),
    text TEXT NOT NULL,
    impact INTEGER NOT NULL DEFAULT 2,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by INTEGER REFERENCES users(id)
);
CREATE INDEX retro_factors_retro ON retro_factors(retrospective_id);
CREATE INDEX retro_factors_dimension ON retro_factors(dimension, polarity);

CREATE TABLE retro_whys (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    retrospective_id INTEGER NOT NULL REFERENCES retrospectives(id),
    dimension TEXT NOT NULL,
    problem TEXT NOT NULL,
    why1 TEXT NOT NULL,
    why2 TEXT NOT NULL DEFAULT '',
    why3 TEXT NOT NULL DEFAULT '',
    why4 TEXT NOT NULL DEFAULT '',
    why5 TEXT NOT NULL DEFAULT '',
    root_cause TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by INTEGER REFERENCES users(id)
);
CREATE INDEX retro_whys_retro ON retro_whys(retrospective_id);

CREATE TABLE playbook_entries (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL UNIQUE COLLATE NOCASE,
    practice TEXT NOT NULL,
    industry TEXT NOT NULL DEFAULT '',
    stage TEXT NOT NULL DEFAULT '',
    dimension TEXT NOT NULL,
    tags TEXT NOT NULL DEFAULT '',
    owner_id INTEGER REFERENCES users(id),
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by INTEGER REFERENCES users(id)
);
CREATE INDEX playbook_dimension ON playbook_entries(dimension);
CREATE INDEX playbook_industry ON playbook_entries(industry);

CREATE TABLE lessons (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    retrospective_id INTEGER NOT NULL REFERENCES retrospectives(id),
    title TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    dimension TEXT NOT NULL,
    stage TEXT NOT NULL DEFAULT '',
    playbook_entry_id INTEGER REFERENCES playbook_entries(id),
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by INTEGER REFERENCES users(id)
);
CREATE INDEX lessons_retro ON lessons(retrospective_id);
CREATE INDEX lessons_playbook ON lessons(playbook_entry_id);
CREATE INDEX lessons_created ON lessons(created_at);

CREATE TABLE improvement_actions (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    retrospective_id INTEGER NOT NULL REFERENCES retrospectives(id),
    text TEXT NOT NULL,
    owner_id INTEGER NOT NULL REFERENCES users(id),
    due_date TEXT NOT NULL,
    horizon TEXT NOT NULL DEFAULT 'medium' CHECK (horizon IN ('short', 'medium', 'long')),
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'dropped')),
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by INTEGER REFERENCES users(id)
);
CREATE INDEX improvement_actions_retro ON improvement_actions(retrospective_id);
CREATE INDEX improvement_actions_owner ON improvement_actions(owner_id, status, due_date);

CREATE TABLE rules (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    code TEXT UNIQUE,
    lesson TEXT NOT NULL,
    severity TEXT NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
    conditions TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    builtin INTEGER NOT NULL DEFAULT 0,
    lesson_id INTEGER REFERENCES lessons(id),
    owner_id INTEGER REFERENCES users(id),
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by INTEGER REFERENCES users(id)
);
CREATE INDEX rules_active ON rules(active);
CREATE INDEX rules_lesson ON rules(lesson_id);

CREATE TABLE flag_acks (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    rule_id INTEGER NOT NULL REFERENCES rules(id),
    opportunity_id INTEGER,
    reason TEXT NOT NULL,
    until TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by INTEGER REFERENCES users(id)
);
CREATE INDEX flag_acks_subject ON flag_acks(account_id, rule_id, opportunity_id);

CREATE TABLE rule_firings (
    id INTEGER PRIMARY KEY,
    rule_id INTEGER NOT NULL REFERENCES rules(id) ON DELETE CASCADE,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    opportunity_id INTEGER,
    first_fired_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    cleared_at TEXT,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX rule_firings_rule ON rule_firings(rule_id, opportunity_id);
CREATE INDEX rule_firings_open ON rule_firings(cleared_at, account_id);
"""


# The built-in rules from the cases (D4, D6, D8, D9, D11): code, severity, conditions, name, lesson.
BUILTIN_RULES = [
    ("single_threaded", "critical",
     [{"field": "stage", "op": ">=", "value": "qualify"}, {"field": "single_threaded", "op": "==", "value": True}],
     "Single-threaded relationship",
     "All contact ran through one friendly VP; a new managing director moved the tender to the technical "
     "department and the lowest bid still lost. Own at least two supportive relationships per live deal."),
    ("no_coach", "warning",
     [{"field": "stage", "op": ">=", "value": "needs"}, {"field": "no_coach", "op": "==", "value": True}],
     "No coach past an early stage",
     "Without a coach nobody tells us who opposes us, why, and what to do. Past qualification, find one."),
    ("hostile_decider", "critical",
     [{"field": "hostile_deciders_without_action", "op": ">=", "value": 1}],
     "Blocker or opponent in the decision layer without an action",
     "An opponent or blocker at the decision level decides against us unless a planned action works on them."),
    ("decision_maker_uncovered", "critical",
     [{"field": "stage", "op": ">=", "value": "needs"}, {"field": "decision_maker_covered", "op": "==", "value": False}],
     "Decision maker not covered",
     "The decision maker controls the money and the veto; a deal past needs without an owned, supportive "
     "relationship to them is a guess."),
    ("price_before_needs", "warning",
     [{"field": "price_quoted_before_needs_confirmed", "op": "==", "value": True}],
     "Price quoted before needs were confirmed",
     "Quoting price too early turns the talk to discounts; the best moment is just before signing, "
     "after the needs are confirmed."),
    ("no_activity", "warning",
     [{"field": "days_since_activity", "op": ">=", "value": 30}],
     "No activity for 30 days",
     "A deal nobody touched for a month is drifting: plan a visit or decide to pause it."),
    ("goal_not_covered", "warning",
     [{"field": "goal_pipeline_coverage_pct", "op": "<", "value": 100}],
     "Goal not covered by pipeline",
     "Won plus open pipeline closing this year does not reach this year's order goal: "
     "find new opportunities or say the goal is at risk."),
    ("relationship_actions_overdue", "warning",
     [{"field": "overdue_relationship_actions", "op": ">=", "value": 1}],
     "Relationship actions overdue",
     "Relationship plans run as a closed loop: an action past its date means the plan is not being worked."),
]


def up(db: Database) -> None:
    """Create the retrospective, playbook and rule tables, and install the built-in rules (audited)."""
    run_script(db, SCHEMA)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    for code, severity, conditions, name, lesson in BUILTIN_RULES:
        values = {"name": name, "code": code, "lesson": lesson, "severity": severity,
                  "conditions": json.dumps(conditions), "active": True, "builtin": True}
        cur = db.conn.execute(
            "INSERT INTO rules (name, code, lesson, severity, conditions, active, builtin, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [name, code, lesson, severity, values["conditions"], 1, 1, now, now],
        )
        db.conn.executemany(
            "INSERT INTO audit_log (at, actor_id, account_id, entity, entity_id, action, field, new_value, version) "
            "VALUES (?, NULL, NULL, 'rule', ?, 'create', ?, ?, 1)",
            [(now, cur.lastrowid, f, json.dumps(v, ensure_ascii=False)) for f, v in values.items()],
        )
