"""The scale generator and the audit-log replay that checks it (and every stress/crash run)."""

import pytest

from kamcore import accounts, store, users
from kamcore.data import replay  # noqa: E402
from kamcore.demo import scale
from tests.conftest import DEMO_DAY

TINY = scale.Size("T", accounts=30, opportunities=300, stakeholders=150, audit_rows=6_000, goals_per_account=2)


def _tables(db) -> set[str]:
    return {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


@pytest.fixture(scope="module")
def tiny_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("scale") / "tiny.db"
    db = store.connect(path)
    counts = scale.generate(db, TINY, today=DEMO_DAY)
    db.close()
    return path, counts


def test_generated_war_room_has_the_requested_size(tiny_path):
    path, counts = tiny_path
    db = store.connect(path)
    assert db.execute("SELECT count(*) FROM accounts").fetchone()[0] == 30
    assert db.execute("SELECT count(*) FROM audit_log").fetchone()[0] >= 6_000
    if "opportunities" in _tables(db):
        assert counts["opportunity"] == 300
        assert db.execute("SELECT count(*) FROM opportunities").fetchone()[0] >= 300
    if "stakeholders" in _tables(db):
        assert counts["stakeholder"] == 150
    db.close()


def test_generated_rows_replay_from_the_audit_log_and_the_file_is_sound(tiny_path):
    db = store.connect(tiny_path[0])
    report = replay.compare(db)
    assert report.ok, [str(d) for d in report.differences]
    assert report.rows["account"] == 30
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    db.close()


def test_every_generated_account_has_one_first_responsible_person(tiny_path):
    db = store.connect(tiny_path[0])
    lonely = db.execute(
        "SELECT a.id FROM accounts a WHERE (SELECT count(*) FROM account_team t "
        "WHERE t.account_id = a.id AND t.first_responsible = 1) != 1").fetchall()
    assert lonely == []
    db.close()


def _comparable(db, table):
    """Rows without what may differ between two builds: salted password hashes, and the wall-clock
    times of rows that migrations seed by the system (updated_by / actor_id NULL)."""
    cur = db.execute(f"SELECT * FROM [{table}] ORDER BY rowid")
    names = [d[0] for d in cur.description]
    out = []
    for found in cur.fetchall():
        row = dict(zip(names, found, strict=True))
        row.pop("password_hash", None)
        if row.get("updated_by", 0) is None or ("actor_id" in row and row["actor_id"] is None):
            for clock_column in ("at", "created_at", "updated_at"):
                row.pop(clock_column, None)
        out.append(row)
    return out


def test_generator_is_deterministic(tiny_path, tmp_path):
    again = store.connect(tmp_path / "again.db")
    scale.generate(again, TINY, today=DEMO_DAY)
    first = store.connect(tiny_path[0])
    tables = [t for t in replay.content(first) if t != "_sqlite_migrations"]
    for table in tables:
        assert _comparable(again, table) == _comparable(first, table), table
    first.close()
    again.close()


def test_generated_data_is_editable_through_kamcore(tiny_path, tmp_path):
    db = store.connect(tiny_path[0])
    store.backup(db, tmp_path / "copy.db")
    db.close()
    db = store.connect(tmp_path / "copy.db")
    admin = users.find_by_username(db, "admin")
    row = db.execute("SELECT id, version FROM accounts ORDER BY id DESC LIMIT 1").fetchone()
    updated = accounts.update_account(db, admin, row[0], row[1], {"notes": "edited after generation"})
    assert updated["version"] == row[1] + 1
    assert replay.compare(db).ok
    db.close()


def test_replay_notices_a_write_that_bypassed_the_audit_log(demo_db):
    row = demo_db.execute("SELECT id FROM accounts ORDER BY id LIMIT 1").fetchone()
    demo_db.conn.execute("UPDATE accounts SET notes = 'sneaky' WHERE id = ?", [row[0]])
    report = replay.compare(demo_db)
    assert not report.ok
    assert [(d.entity, d.entity_id, d.field, d.live) for d in report.differences] == [
        ("account", row[0], "notes", "sneaky")]


def test_replay_notices_a_row_deleted_without_audit(demo_db):
    member = demo_db.execute("SELECT id FROM account_team WHERE first_responsible = 0 LIMIT 1").fetchone()[0]
    demo_db.conn.execute("DELETE FROM account_team WHERE id = ?", [member])
    report = replay.compare(demo_db)
    assert [(d.entity, d.entity_id, d.field) for d in report.differences] == [("team_member", member, "__row__")]


def test_digest_changes_with_any_row_and_only_then(demo_db):
    before = replay.digest(demo_db)
    assert replay.digest(demo_db) == before
    demo_db.conn.execute("UPDATE product_lines SET description = description || '.' WHERE id = 1")
    assert replay.digest(demo_db) != before


def test_unknown_size_is_refused(fresh_db):
    with pytest.raises(ValueError, match="size"):
        scale.generate(fresh_db, "XL")
