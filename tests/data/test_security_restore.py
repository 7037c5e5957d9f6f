"""Restores are exclusive and safe (issue 20, items 2 and 3): a writer racing a restore loses no acknowledged
write, a safety copy is always taken, sessions end, today's passwords stay, foreign schema objects are
refused, caches are forgotten."""

import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from kamcore import accounts, data_cache, sessions, store, users
from kamcore.data import backups
from kamcore.errors import ValidationError

WRITER = textwrap.dedent("""
    import sqlite3
    import sys
    from kamcore import accounts, store, users
    from kamcore.errors import KamError
    db = store.connect(sys.argv[1])
    admin = users.find_by_username(db, "admin")
    for number in range(int(sys.argv[2])):
        name = f"written-{number}"
        try:
            accounts.create_account(db, admin, {"name": name, "industry": "I", "region": "R"})
        except (KamError, sqlite3.Error) as exc:  # refused or timed out: not acknowledged
            print("refused", type(exc).__name__, file=sys.stderr, flush=True)
            continue
        print(name, flush=True)  # acknowledged: the write committed
""")


@pytest.fixture
def live(tmp_path):
    db = store.connect(tmp_path / "live.db")
    admin = users.create_user(db, users.SYSTEM, "admin", "Admin", "admin-pass-1", "admin")
    accounts.create_account(db, admin, {"name": "Acme", "industry": "Steel", "region": "East"})
    yield db, admin, tmp_path
    db.close()


def names_in(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {r[0] for r in conn.execute("SELECT name FROM accounts")}
    finally:
        conn.close()


def test_a_writer_racing_a_restore_loses_no_acknowledged_write(live):
    db, admin, tmp_path = live
    backup = backups.create_backup(db, admin, tmp_path / "backups")
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path / "live.db"), "400"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              cwd=Path(__file__).resolve().parents[2])
    acknowledged: list[str] = []
    while len(acknowledged) < 30:  # the writer is in full swing
        line = writer.stdout.readline()
        assert line, writer.stderr.read()
        acknowledged.append(line.strip())
    safeties = []
    for _ in range(3):  # several restores while the writer keeps writing
        _plan, safety = backups.restore_backup(db, admin, backup, confirm=True, safety_dir=tmp_path / "backups")
        safeties.append(safety)
        time.sleep(0.05)
    out, err = writer.communicate(timeout=120)
    acknowledged += out.split()
    assert len(acknowledged) > 60
    kept = names_in(tmp_path / "live.db").union(*(names_in(s) for s in safeties))
    lost = [name for name in acknowledged if name not in kept]
    assert not lost, f"{len(lost)} acknowledged writes are in neither the live database nor a safety backup"


def test_a_restore_ends_every_session_and_keeps_todays_passwords(live):
    db, admin, tmp_path = live
    backup = backups.create_backup(db, admin, tmp_path / "backups")  # holds admin-pass-1
    token = sessions.start(db, admin)
    db.conn.execute("UPDATE users SET password_hash = ? WHERE id = ?", [users.hash_password("new-pass-2"), admin.id])
    plan, safety = backups.restore_backup(db, admin, backup, confirm=True)
    assert safety.exists()
    assert sessions.resume(db, token) is None, "a session open before the restore no longer signs anyone in"
    assert db.execute("SELECT count(*) FROM sign_in_sessions").fetchone()[0] == 0
    assert users.authenticate(db, "admin", "new-pass-2") is not None, "today's password still works"
    assert users.authenticate(db, "admin", "admin-pass-1") is None, "the backup's old password does not come back"


def test_a_signed_out_session_in_the_backup_does_not_come_back(live):
    db, admin, tmp_path = live
    token = sessions.start(db, admin)
    backup = backups.create_backup(db, admin, tmp_path / "backups")  # the session is in the backup
    sessions.end(db, token)
    backups.restore_backup(db, admin, backup, confirm=True)
    assert sessions.resume(db, token) is None


@pytest.mark.parametrize("planted", [
    "CREATE TRIGGER make_admin AFTER INSERT ON audit_log BEGIN "
    "UPDATE users SET global_role = 'admin'; END",
    "CREATE VIEW everyone AS SELECT * FROM users",
    "CREATE TABLE extra (id INTEGER PRIMARY KEY)",
])
def test_a_backup_with_foreign_schema_objects_is_refused(live, planted):
    db, admin, tmp_path = live
    backup = backups.create_backup(db, admin, tmp_path / "backups")
    conn = sqlite3.connect(backup)
    conn.execute(planted)
    conn.commit()
    conn.close()
    before = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    with pytest.raises(ValidationError) as caught:
        backups.restore_backup(db, admin, backup, confirm=True)
    assert caught.value.problems[0].reason_key == "reason.foreign_schema"
    assert "never triggers" in caught.value.message("en")
    assert db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == before


def test_a_restore_forgets_cached_results(live):
    db, admin, tmp_path = live
    backup = backups.create_backup(db, admin, tmp_path / "backups")
    data_cache.cached(db, "test.count", None, lambda: "value of the discarded data")
    accounts.create_account(db, admin, {"name": "Later", "industry": "I", "region": "R"})
    backups.restore_backup(db, admin, backup, confirm=True)
    assert data_cache.cached(db, "test.count", None, lambda: "fresh") == "fresh"
