"""The store: connection settings, numbered migrations (fresh and upgrade), transactions, backup."""

import sqlite3

import pytest

from db import MIGRATIONS
from kamcore import accounts, store


def test_connection_uses_wal_foreign_keys_and_a_busy_timeout(tmp_path):
    db = store.connect(tmp_path / "w.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] == store.BUSY_TIMEOUT_MS


def test_fresh_database_gets_every_migration_recorded_in_order(tmp_path):
    db = store.connect(tmp_path / "fresh.db")
    names = store.applied_migrations(db)
    assert names == sorted(names)
    assert names == [m.name for m in MIGRATIONS._migrations]
    assert names[0] == "m001_foundation"


def test_migrating_twice_applies_nothing_the_second_time(tmp_path):
    path = tmp_path / "twice.db"
    store.connect(path).close()
    db = store.connect(path)
    assert store.migrate(db) == []


def test_database_at_an_older_level_upgrades_in_place_keeping_its_data(tmp_path):
    names = [m.name for m in MIGRATIONS._migrations]
    path = tmp_path / "old.db"
    db = store.Database(sqlite3.connect(path))
    MIGRATIONS.apply(db, stop_before=names[1])  # the foundation level, as an older release left it
    # rows as that release wrote them (today's code writes columns later migrations add)
    db.execute("INSERT INTO accounts (name, industry, region, created_at, updated_at) "
               "VALUES ('Kept', 'X', 'Y', '2026-01-01T00:00:00', '2026-01-01T00:00:00')")
    db.conn.commit()
    assert store.applied_migrations(db) == names[:1]
    db.close()

    upgraded = store.connect(path)
    assert store.applied_migrations(upgraded) == names
    assert upgraded.execute("SELECT name FROM accounts").fetchall() == [("Kept",)]


def test_a_failed_transaction_leaves_nothing_behind(fresh_db, admin):
    with pytest.raises(RuntimeError), store.transaction(fresh_db):
        accounts.create_account(fresh_db, admin, {"name": "Ghost", "industry": "X", "region": "Y"})
        raise RuntimeError("boom")
    assert fresh_db.execute("SELECT count(*) FROM accounts").fetchone()[0] == 0
    assert fresh_db.execute("SELECT count(*) FROM audit_log WHERE entity = 'account'").fetchone()[0] == 0


def test_online_backup_copies_the_live_database(tmp_path, fresh_db, admin):
    accounts.create_account(fresh_db, admin, {"name": "Saved", "industry": "X", "region": "Y"})
    dest = store.backup(fresh_db, tmp_path / "backups" / "b.db")
    copy = sqlite3.connect(dest)
    assert copy.execute("SELECT name FROM accounts").fetchall() == [("Saved",)]


def test_database_path_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(store.ENV_VAR, str(tmp_path / "elsewhere.db"))
    assert store.database_path() == tmp_path / "elsewhere.db"
    monkeypatch.delenv(store.ENV_VAR)
    assert store.database_path() == store.DEFAULT_PATH
