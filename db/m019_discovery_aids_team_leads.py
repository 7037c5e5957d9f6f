"""Needs discovery aids (D5) and the team lead (D9).

- `needs` may belong to the account itself, not only to a deal (`opportunity_id` may be empty):
  the iceberg is the account's, and a hidden need is often found before any deal serves it.
  Each need is judged a need or a want (`nature`; empty: not judged yet), and a want names the
  need behind it (`need_behind_id`). SQLite cannot relax a NOT NULL column in place, so the
  table is rebuilt (the documented create-copy-drop-rename), keeping ids, versions and indexes.
- `spin_questions`: the questions of a SPIN plan as rows, each tagged open or closed, in order
  (broad to narrow). The plan's four text parts held one question per line; their lines become
  rows here, tagged by the wording (a closed question asks for yes/no: "Do…", "Is…", "…吗？",
  "是否…"), and the text parts are emptied so the questions live in one place.
- `users.lead_id`: the team lead who reviews a person's rhythm (D9), set by an admin.
"""

from __future__ import annotations

import re

from sqlite_utils import Database

from db.sql import run_script

NEEDS = """
CREATE TABLE needs_new (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    opportunity_id INTEGER REFERENCES opportunities(id) ON DELETE CASCADE,
    level TEXT NOT NULL CHECK (level IN ('implicit', 'explicit', 'criterion')),
    statement TEXT NOT NULL,
    parent_id INTEGER REFERENCES needs_new(id) ON DELETE SET NULL,
    stakeholder_id INTEGER,
    confirmed INTEGER NOT NULL DEFAULT 0 CHECK (confirmed IN (0, 1)),
    confirmed_on TEXT,
    weight REAL CHECK (weight IS NULL OR weight BETWEEN 0 AND 100),
    notes TEXT NOT NULL DEFAULT '',
    nature TEXT CHECK (nature IS NULL OR nature IN ('need', 'want')),
    need_behind_id INTEGER REFERENCES needs_new(id) ON DELETE SET NULL,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by INTEGER REFERENCES users(id)
);
INSERT INTO needs_new (id, account_id, opportunity_id, level, statement, parent_id, stakeholder_id, confirmed,
                       confirmed_on, weight, notes, version, created_at, updated_at, updated_by)
    SELECT id, account_id, opportunity_id, level, statement, parent_id, stakeholder_id, confirmed,
           confirmed_on, weight, notes, version, created_at, updated_at, updated_by FROM needs;
DROP TABLE needs;
ALTER TABLE needs_new RENAME TO needs;
CREATE INDEX needs_opportunity ON needs(opportunity_id, level);
CREATE INDEX needs_account ON needs(account_id, level);
"""

QUESTIONS = """
CREATE TABLE spin_questions (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    spin_plan_id INTEGER NOT NULL REFERENCES spin_plans(id) ON DELETE CASCADE,
    part TEXT NOT NULL CHECK (part IN ('situation', 'problem', 'implication', 'need_payoff')),
    position INTEGER NOT NULL DEFAULT 0,
    question TEXT NOT NULL,
    form TEXT NOT NULL CHECK (form IN ('open', 'closed')),
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by INTEGER REFERENCES users(id)
);
CREATE INDEX spin_questions_plan ON spin_questions(spin_plan_id, part, position);
"""

LEADS = """
ALTER TABLE users ADD COLUMN lead_id INTEGER REFERENCES users(id);
CREATE INDEX users_lead ON users(lead_id);
"""

PARTS = ("situation", "problem", "implication", "need_payoff")
# yes/no openers in English, and the Chinese yes/no forms; anything else is taken as open
_CLOSED_EN = re.compile(r"^(do|does|did|is|are|was|were|can|could|will|would|should|shall|have|has|had|may|might|"
                        r"must|am|isn't|aren't|don't|doesn't|didn't|won't|wouldn't|can't)\b", re.IGNORECASE)
_CLOSED_ZH = re.compile(r"(吗[？?]?$|是不是|有没有|能不能|会不会|对不对|是否|可否)")


def _form(question: str) -> str:
    """How the wording reads: 'closed' for a yes/no question, else 'open'."""
    return "closed" if _CLOSED_EN.match(question) or _CLOSED_ZH.search(question) else "open"


def _move_questions(db: Database) -> None:
    plans = db.execute("SELECT id, account_id, situation, problem, implication, need_payoff, updated_at, updated_by "
                       "FROM spin_plans").fetchall()
    for plan_id, account_id, *texts, updated_at, updated_by in plans:
        for part, text in zip(PARTS, texts, strict=True):
            lines = [line.strip(" -•\t") for line in (text or "").splitlines() if line.strip(" -•\t")]
            for index, question in enumerate(lines, start=1):
                db.execute("INSERT INTO spin_questions (account_id, spin_plan_id, part, position, question, form, "
                           "created_at, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           [account_id, plan_id, part, index * 10, question, _form(question), updated_at,
                            updated_at, updated_by])
    db.execute("UPDATE spin_plans SET situation = '', problem = '', implication = '', need_payoff = ''")


def up(db: Database) -> None:
    """Rebuild needs (account-level needs, need or want), add SPIN question rows, add the user's lead."""
    run_script(db, NEEDS)
    run_script(db, QUESTIONS)
    _move_questions(db)
    run_script(db, LEADS)
