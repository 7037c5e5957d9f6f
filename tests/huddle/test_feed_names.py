"""Change feeds name things (issue 27 item 6): What changed and Home's Recent changes over the whole demo, in
both languages — people by name, records by title, choices translated, times in the reader's zone, newest
first, and nothing the rendered-text check flags."""

from __future__ import annotations

import pytest

from kamcore import activity, users
from kamcore.huddle import what_changed
from tests.conftest import DEMO_DAY
from tests.visible_text import slips

SINCE = "2026-01-01T00:00:00+00:00"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_what_changed_over_every_demo_account_names_everything_and_reads_newest_first(demo_db, demo_clock, lang):
    chen = users.find_by_username(demo_db, "chen.jie")
    ids = [r[0] for r in demo_db.execute("SELECT id FROM accounts ORDER BY id")]
    items = what_changed.feed(demo_db, chen, ids, SINCE, lang, DEMO_DAY, zone="Asia/Shanghai")
    text = "\n".join(s for item in items for s in what_changed.sentences(item))
    assert len(items) > 100
    assert slips(text) == []
    assert "(removed)" not in text and "（已删除）" not in text
    newest = [max(line.at for line in item.lines) for item in items]
    assert newest == sorted(newest, reverse=True)
    assert all([line.at for line in item.lines] == sorted((line.at for line in item.lines), reverse=True)
               for item in items)


def test_a_status_move_is_translated_in_chinese(demo_db, demo_clock):
    chen = users.find_by_username(demo_db, "chen.jie")
    ids = [r[0] for r in demo_db.execute("SELECT id FROM accounts ORDER BY id")]
    english = [s for i in what_changed.feed(demo_db, chen, ids, SINCE, "en", DEMO_DAY) for s in what_changed.sentences(i)]
    chinese = [s for i in what_changed.feed(demo_db, chen, ids, SINCE, "zh", DEMO_DAY) for s in what_changed.sentences(i)]
    assert any("Status:" in s for s in english)
    moves = [s for s in chinese if "→" in s]
    assert moves and not any(word in s for s in moves for word in (" planned ", " done", "open →", "→ open"))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_homes_recent_changes_name_people_and_records(demo_db, demo_clock, lang):
    chen = users.find_by_username(demo_db, "chen.jie")
    rows = activity.recent_changes(demo_db, chen, days=30, limit=400, lang=lang)
    values = [str(r[side]) for r in rows for side in ("old_value", "new_value")
              if r["action"] != "create" and r["field"] and r["field"].endswith(("_id", "_by"))]  # creates: one line
    assert values and not any(v.isdigit() for v in values), "a reference shown as a bare number"
    assert all(r["record"] for r in rows)


def test_a_new_requirement_is_named_by_its_requirement_not_by_its_owner(demo_db, demo_clock):
    chen = users.find_by_username(demo_db, "chen.jie")
    ids = [r[0] for r in demo_db.execute("SELECT id FROM accounts ORDER BY id")]
    stored = dict(demo_db.execute("SELECT id, requirement FROM proposal_requirements").fetchall())
    items = [i for i in what_changed.feed(demo_db, chen, ids, "2026-10-23T00:00:00+00:00", "en", DEMO_DAY)
             if i.entity == "proposal_requirement"]  # the last month (the feed reads the first 2,000 rows after since)
    assert items, "the demo adds requirements to its live tender"
    assert all(item.title == stored[item.entity_id][:70] or stored[item.entity_id].startswith(item.title[:-1])
               for item in items)
    assert all(f"New requirement: {item.title}" in what_changed.sentences(item)[0] or item.title in
               what_changed.sentences(item)[0] for item in items)
