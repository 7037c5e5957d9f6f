"""m015 puts existing stances on the one scale: every relationship-history row stays, and replay still matches."""

from __future__ import annotations

import json
import sqlite3

from sqlite_utils import Database

from db import MIGRATIONS
from kamcore.data import replay
from kamcore.decision_chain import stakeholders as sh

NOW = "2026-03-01T10:00:00+00:00"
# (id, stance, score) as the two unlinked scales allowed them before
LEGACY = [(1, "neutral", 1), (2, "supporter", 3), (3, "coach", 3), (4, "blocker", -1), (5, "opponent", 0),
          (6, "supporter", 2)]


def _legacy_db() -> Database:
    db = Database(sqlite3.connect(":memory:"))
    db.conn.execute("PRAGMA foreign_keys = ON")
    MIGRATIONS.apply(db, stop_before="m015_relationship_math")
    db.conn.execute("INSERT INTO users (id, username, display_name, password_hash, created_at, updated_at) "
                    "VALUES (1, 'am', 'Ann', 'x', ?, ?)", [NOW, NOW])
    db.conn.execute("INSERT INTO accounts (id, name, industry, region, created_at, updated_at) VALUES (1, 'Huaxin', 'Chips', 'East', ?, ?)", [NOW, NOW])
    audit = []
    for row_id, stance, score in LEGACY:
        db.conn.execute("INSERT INTO stakeholders (id, account_id, name, stance, score, version, created_at, updated_at) "
                        "VALUES (?, 1, ?, 'neutral', 0, 2, ?, ?)", [row_id, f"P{row_id}", NOW, NOW])
        cur = db.conn.execute("SELECT * FROM stakeholders WHERE id = ?", [row_id])
        created = {d[0]: v for d, v in zip(cur.description, cur.fetchone(), strict=True)
                   if d[0] not in ("id", "version", "created_at", "updated_at", "updated_by")}
        db.conn.execute("UPDATE stakeholders SET stance = ?, score = ? WHERE id = ?", [stance, score, row_id])
        audit += [(NOW, 1, 1, "stakeholder", row_id, "create", f, None, None if v is None else json.dumps(v), 1)
                  for f, v in created.items()]
        audit += [("2026-04-01T10:00:00+00:00", 1, 1, "stakeholder", row_id, "update", f, json.dumps(o), json.dumps(n), 2)
                  for f, o, n in (("stance", "neutral", stance), ("score", 0, score)) if o != n]
    db.conn.executemany("INSERT INTO audit_log (at, actor_id, account_id, entity, entity_id, action, field, old_value, "
                        "new_value, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", audit)
    db.conn.commit()
    return db


def test_migration_keeps_every_history_row_fixes_the_pairs_and_replay_matches():
    db = _legacy_db()
    before = db.execute("SELECT * FROM audit_log ORDER BY id").fetchall()
    assert not replay.compare(db, ["stakeholder"]).differences  # the legacy world replays before the migration
    MIGRATIONS.apply(db)
    after = db.execute("SELECT * FROM audit_log ORDER BY id").fetchall()
    assert after[:len(before)] == before  # no history row lost or changed
    added = after[len(before):]
    assert {(r[5], r[7], r[8], r[9]) for r in added} == {
        (1, "stance", '"neutral"', '"supporter"'), (2, "stance", '"supporter"', '"coach"'),
        (5, "stance", '"opponent"', '"neutral"')}
    rows = {r[0]: (r[1], r[2]) for r in db.execute("SELECT id, stance, score FROM stakeholders")}
    assert rows == {1: ("supporter", 1), 2: ("coach", 3), 3: ("coach", 3), 4: ("blocker", -1), 5: ("neutral", 0),
                    6: ("supporter", 2)}
    report = replay.compare(db, ["stakeholder"])
    assert report.ok, [str(d) for d in report.differences]
    assert report.rows["stakeholder"] == len(LEGACY)
    assert sh.STANCES  # the entity module is loaded, so replay compares every audited field


def test_the_demo_replays_after_the_new_relationship_fields(demo_db):
    report = replay.compare(demo_db, ["stakeholder", "relationship_action", "visit", "health_weights"])
    assert report.ok, [str(d) for d in report.differences[:5]]
