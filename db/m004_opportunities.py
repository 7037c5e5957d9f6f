"""Leads and opportunities (D6), their stage model and history, qualification,
the needs funnel (D5), competitors and the product comparison sheet.

- `stages` is configurable: key, order, default probability, whether it is a
  lead stage; `stage_criteria` are the entry criteria a deal must meet to enter
  a stage; `opportunity_criteria` records which criteria one deal has met.
- `stage_history` is append-only: one row per stage move or close, dated, written
  in the same transaction as the opportunity's audited change.
- `opportunities.opened_on` is the business date the lead was opened (a CRM
  import keeps the CRM date); `created_at` stays the bookkeeping time.
- `stakeholder_id` columns are plain integers: the stakeholders table belongs to
  a later migration.
"""

from datetime import UTC, datetime

from sqlite_utils import Database

from db.sql import run_script

SCHEMA = """
CREATE TABLE stages (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    position INTEGER NOT NULL,
    name_en TEXT NOT NULL,
    name_zh TEXT NOT NULL,
    probability INTEGER NOT NULL CHECK (probability BETWEEN 0 AND 100),
    is_lead INTEGER NOT NULL DEFAULT 0 CHECK (is_lead IN (0, 1)),
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by INTEGER REFERENCES users(id)
);
CREATE INDEX stages_position ON stages(position);

CREATE TABLE stage_criteria (
    id INTEGER PRIMARY KEY,
    stage_id INTEGER NOT NULL REFERENCES stages(id) ON DELETE CASCADE,
    position INTEGER NOT NULL DEFAULT 0,
    label_en TEXT NOT NULL,
    label_zh TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by INTEGER REFERENCES users(id)
);
CREATE INDEX stage_criteria_stage ON stage_criteria(stage_id, position);

CREATE TABLE opportunities (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    product_line_id INTEGER NOT NULL REFERENCES product_lines(id),
    number TEXT NOT NULL UNIQUE,
    external_id TEXT,
    name TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'lead' CHECK (kind IN ('lead', 'opportunity')),
    amount REAL NOT NULL DEFAULT 0 CHECK (amount >= 0),
    currency TEXT NOT NULL DEFAULT 'CNY',
    opened_on TEXT NOT NULL,
    expected_close TEXT,
    stage TEXT NOT NULL REFERENCES stages(key),
    probability INTEGER CHECK (probability IS NULL OR probability BETWEEN 0 AND 100),
    owner_id INTEGER REFERENCES users(id),
    next_step TEXT NOT NULL DEFAULT '',
    competitors TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'won', 'lost', 'no_decision')),
    close_reason TEXT NOT NULL DEFAULT '',
    closed_on TEXT,
    converted_on TEXT,
    price_quoted_on TEXT,
    man_money INTEGER CHECK (man_money IS NULL OR man_money IN (0, 1)),
    man_authority INTEGER CHECK (man_authority IS NULL OR man_authority IN (0, 1)),
    man_need INTEGER CHECK (man_need IS NULL OR man_need IN (0, 1)),
    follow_up TEXT CHECK (follow_up IS NULL OR follow_up IN ('continue', 'pause', 'keep')),
    revisit_days INTEGER CHECK (revisit_days IS NULL OR revisit_days IN (20, 40, 60, 80)),
    notes TEXT NOT NULL DEFAULT '',
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by INTEGER REFERENCES users(id)
);
CREATE INDEX opportunities_account_status ON opportunities(account_id, status, stage);
CREATE INDEX opportunities_line ON opportunities(product_line_id, status);
CREATE INDEX opportunities_close ON opportunities(expected_close);
CREATE INDEX opportunities_owner ON opportunities(owner_id);
CREATE UNIQUE INDEX opportunities_external_id ON opportunities(external_id) WHERE external_id IS NOT NULL;

CREATE TABLE stage_history (
    id INTEGER PRIMARY KEY,
    opportunity_id INTEGER NOT NULL REFERENCES opportunities(id) ON DELETE CASCADE,
    account_id INTEGER NOT NULL,
    from_stage TEXT,
    to_stage TEXT NOT NULL,
    moved_at TEXT NOT NULL,
    moved_by INTEGER REFERENCES users(id)
);
CREATE INDEX stage_history_opportunity ON stage_history(opportunity_id, moved_at);
CREATE INDEX stage_history_account ON stage_history(account_id, moved_at);

CREATE TABLE opportunity_criteria (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    opportunity_id INTEGER NOT NULL REFERENCES opportunities(id) ON DELETE CASCADE,
    criterion_id INTEGER NOT NULL REFERENCES stage_criteria(id) ON DELETE CASCADE,
    met INTEGER NOT NULL DEFAULT 0 CHECK (met IN (0, 1)),
    met_on TEXT,
    note TEXT NOT NULL DEFAULT '',
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by INTEGER REFERENCES users(id),
    UNIQUE (opportunity_id, criterion_id)
);

CREATE TABLE needs (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    opportunity_id INTEGER NOT NULL REFERENCES opportunities(id) ON DELETE CASCADE,
    level TEXT NOT NULL CHECK (level IN ('implicit', 'explicit', 'criterion')),
    statement TEXT NOT NULL,
    parent_id INTEGER REFERENCES needs(id) ON DELETE SET NULL,
    stakeholder_id INTEGER,
    confirmed INTEGER NOT NULL DEFAULT 0 CHECK (confirmed IN (0, 1)),
    confirmed_on TEXT,
    weight REAL CHECK (weight IS NULL OR weight BETWEEN 0 AND 100),
    notes TEXT NOT NULL DEFAULT '',
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by INTEGER REFERENCES users(id)
);
CREATE INDEX needs_opportunity ON needs(opportunity_id, level);
CREATE INDEX needs_account ON needs(account_id);

CREATE TABLE five_whys (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    opportunity_id INTEGER NOT NULL REFERENCES opportunities(id) ON DELETE CASCADE,
    problem TEXT NOT NULL,
    why_1 TEXT NOT NULL DEFAULT '',
    why_2 TEXT NOT NULL DEFAULT '',
    why_3 TEXT NOT NULL DEFAULT '',
    why_4 TEXT NOT NULL DEFAULT '',
    why_5 TEXT NOT NULL DEFAULT '',
    root_need TEXT NOT NULL DEFAULT '',
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by INTEGER REFERENCES users(id)
);
CREATE INDEX five_whys_opportunity ON five_whys(opportunity_id);

CREATE TABLE spin_plans (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    opportunity_id INTEGER NOT NULL REFERENCES opportunities(id) ON DELETE CASCADE,
    stakeholder_id INTEGER,
    visit_on TEXT,
    situation TEXT NOT NULL DEFAULT '',
    problem TEXT NOT NULL DEFAULT '',
    implication TEXT NOT NULL DEFAULT '',
    need_payoff TEXT NOT NULL DEFAULT '',
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by INTEGER REFERENCES users(id)
);
CREATE INDEX spin_plans_opportunity ON spin_plans(opportunity_id);
CREATE INDEX spin_plans_stakeholder ON spin_plans(stakeholder_id);

CREATE TABLE competitors (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    opportunity_id INTEGER NOT NULL REFERENCES opportunities(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    is_us INTEGER NOT NULL DEFAULT 0 CHECK (is_us IN (0, 1)),
    product TEXT NOT NULL DEFAULT '',
    strengths TEXT NOT NULL DEFAULT '',
    weaknesses TEXT NOT NULL DEFAULT '',
    opportunities TEXT NOT NULL DEFAULT '',
    threats TEXT NOT NULL DEFAULT '',
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by INTEGER REFERENCES users(id),
    UNIQUE (opportunity_id, name)
);
CREATE UNIQUE INDEX competitors_one_us ON competitors(opportunity_id) WHERE is_us = 1;

CREATE TABLE comparison_items (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    opportunity_id INTEGER NOT NULL REFERENCES opportunities(id) ON DELETE CASCADE,
    competitor_id INTEGER NOT NULL REFERENCES competitors(id) ON DELETE CASCADE,
    aspect TEXT NOT NULL CHECK (aspect IN (
        'name', 'specification', 'looks', 'function', 'technology', 'price', 'settlement_terms')),
    description TEXT NOT NULL DEFAULT '',
    score INTEGER NOT NULL DEFAULT 0 CHECK (score BETWEEN 0 AND 10),
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by INTEGER REFERENCES users(id),
    UNIQUE (competitor_id, aspect)
);
CREATE INDEX comparison_items_opportunity ON comparison_items(opportunity_id);
"""

# key, position, English, 中文, default probability, is_lead, entry criteria (en, zh)
DEFAULT_STAGES = [
    ("lead", 10, "Lead", "线索", 10, 1, [
        ("The customer has stated a clear purchase intention", "客户已表达明确的采购意向"),
    ]),
    ("qualify", 20, "Qualify", "机会验证", 20, 0, [
        ("We can serve the need with a product line", "我方有产品线能满足该需求"),
        ("MAN (money, authority, need) assessed", "已完成 MAN（资金、权力、需求）评估"),
    ]),
    ("needs", 30, "Needs confirmed", "需求确认", 40, 0, [
        ("Explicit needs confirmed with the customer", "已与客户确认明确需求"),
        ("Decision chain mapped: decision maker, technical evaluator, purchaser, user",
         "已梳理决策链：决策者、技术者、采购者、使用者"),
    ]),
    ("solution", 40, "Solution", "方案呈现", 60, 0, [
        ("Purchase criteria and their weights known", "已掌握采购标准及权重"),
        ("Solution presented to the technical evaluator", "已向技术者呈现方案"),
    ]),
    ("negotiation", 50, "Negotiation", "商务谈判", 80, 0, [
        ("Decision maker supports our offer", "决策者支持我方方案"),
        ("Commercial terms (price, payment, delivery) tabled", "已提交商务条款（价格、付款、交付）"),
    ]),
]


def up(db: Database) -> None:
    """Create the opportunity tables and the default stage model."""
    run_script(db, SCHEMA)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    for key, position, en, zh, probability, is_lead, criteria in DEFAULT_STAGES:
        cur = db.conn.execute(
            "INSERT INTO stages (key, position, name_en, name_zh, probability, is_lead, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [key, position, en, zh, probability, is_lead, now, now],
        )
        for index, (label_en, label_zh) in enumerate(criteria):
            db.conn.execute(
                "INSERT INTO stage_criteria (stage_id, position, label_en, label_zh, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [cur.lastrowid, index, label_en, label_zh, now, now],
            )
