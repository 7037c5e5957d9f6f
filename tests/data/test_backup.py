"""Backups: SQLite online backup, listing, restore with a preview of what would be lost, and the CLI."""

import pytest

from kamcore import accounts, store, users
from kamcore.__main__ import main
from kamcore.data import backups
from kamcore.data.portability import NeedsConfirmation
from kamcore.errors import PermissionDenied, ValidationError


@pytest.fixture
def live(tmp_path):
    db = store.connect(tmp_path / "live.db")
    admin = users.create_user(db, users.SYSTEM, "admin", "Admin", "admin-pass-1", "admin")
    account = accounts.create_account(db, admin, {"name": "Acme", "industry": "Steel", "region": "East"})
    yield db, admin, account, tmp_path / "backups"
    db.close()


def test_a_backup_is_listed_with_its_schema_level(live):
    db, admin, _, folder = live
    path = backups.create_backup(db, admin, folder)
    listed = backups.list_backups(folder)
    assert [b.name for b in listed] == [path.name]
    assert listed[0].problem is None
    assert listed[0].schema == sorted(store.applied_migrations(db))


def test_only_admins_back_up_and_restore(live):
    db, admin, _, folder = live
    member = users.create_user(db, admin, "li.wei", "Li Wei", "password-123")
    with pytest.raises(PermissionDenied):
        backups.create_backup(db, member, folder)
    path = backups.create_backup(db, admin, folder)
    with pytest.raises(PermissionDenied):
        backups.restore_backup(db, member, path, confirm=True)


def test_a_file_that_is_not_a_database_is_listed_as_such_and_cannot_be_restored(live):
    db, admin, _, folder = live
    folder.mkdir()
    bogus = folder / "notes.db"
    bogus.write_text("these are my meeting notes, not a database")
    assert backups.list_backups(folder)[0].problem == "reason.not_a_database"
    with pytest.raises(ValidationError) as caught:
        backups.restore_backup(db, admin, bogus, confirm=True)
    assert "is not a SQLite database" in caught.value.message("en")
    assert accounts.get_account(db, admin, 1)["name"] == "Acme"


def test_a_backup_from_another_schema_level_is_refused(live, tmp_path):
    db, admin, _, folder = live
    other = store.connect(tmp_path / "other.db")
    other.conn.execute("DELETE FROM _sqlite_migrations WHERE name = (SELECT max(name) FROM _sqlite_migrations)")
    other.conn.commit()
    other.close()
    with pytest.raises(ValidationError) as caught:
        backups.restore_backup(db, admin, tmp_path / "other.db", confirm=True)
    assert caught.value.problems[0].reason_key == "reason.schema_mismatch"


def test_restore_shows_what_would_be_lost_and_needs_confirmation(live):
    db, admin, account, folder = live
    path = backups.create_backup(db, admin, folder)
    accounts.update_account(db, admin, account["id"], 1, {"notes": "after the backup"})
    accounts.create_account(db, admin, {"name": "Newer", "industry": "I", "region": "R"})
    plan = backups.plan_restore(db, admin, path)
    table = next(t for t in plan.tables if t.table == "accounts")
    assert (table.changed, table.only_in_db, table.newer_in_db) == (1, 1, [account["id"]])
    with pytest.raises(NeedsConfirmation):
        backups.restore_backup(db, admin, path)
    assert db.execute("SELECT count(*) FROM accounts").fetchone()[0] == 2, "nothing written without confirmation"
    _, safety = backups.restore_backup(db, admin, path, confirm=True, safety_dir=folder)
    assert db.execute("SELECT name, notes FROM accounts").fetchall() == [("Acme", "")]
    assert safety is not None and safety.exists()
    back = store.connect(safety)
    assert back.execute("SELECT count(*) FROM accounts").fetchone()[0] == 2, "the safety copy keeps the newer data"
    back.close()


def test_restoring_an_identical_backup_needs_no_confirmation(live):
    db, admin, _, folder = live
    path = backups.create_backup(db, admin, folder)
    plan, safety = backups.restore_backup(db, admin, path)
    assert backups.losses(plan) == 0 and safety.exists(), "a safety copy is always taken"


def test_command_line_lists_and_restores_backups(live, capsys):
    db, admin, account, folder = live
    db_path = folder.parent / "live.db"
    path = backups.create_backup(db, admin, folder)
    accounts.update_account(db, admin, account["id"], 1, {"notes": "newer"})
    db.close()
    assert main(["--db", str(db_path), "list-backups"]) == 0
    assert path.name in capsys.readouterr().out
    assert main(["--db", str(db_path), "restore-backup", str(path)]) == 3
    assert "--yes" in capsys.readouterr().err
    assert main(["--db", str(db_path), "restore-backup", str(path), "--yes"]) == 0
    check = store.connect(db_path)
    assert check.execute("SELECT notes FROM accounts").fetchone()[0] == ""
    check.close()
    (folder / "junk.db").write_bytes(b"junk")
    assert main(["--db", str(db_path), "restore-backup", str(folder / "junk.db"), "--yes"]) == 2
    assert "not a SQLite database" in capsys.readouterr().err
