"""Applied migrations never change: each `db/mNNN_*.py` has its text's hash recorded in
`db/migration_hashes.json`, and a file whose text differs from its record fails here.

Adding a migration: commit the new file together with its entry in `db/migration_hashes.json`;
the failure message of `test_every_migration_has_a_recorded_hash` prints the exact line to add.
Changing an applied migration is never the fix: write a new, higher-numbered one (as m026 does
for the table m018 gained after it had landed).
"""

import hashlib
import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from db import MIGRATIONS, m026_sign_in_handoffs_where_missing
from kamcore import clock, sessions, store

DB_DIR = Path(__file__).resolve().parents[2] / "db"
RECORD = DB_DIR / "migration_hashes.json"


def text_hash(path: Path) -> str:
    """sha256 of the file's text with line endings normalised (a checkout's CRLF is no change)."""
    return hashlib.sha256(path.read_text(encoding="utf-8").replace("\r\n", "\n").encode()).hexdigest()


def migration_files() -> dict[str, Path]:
    return {p.name: p for p in sorted(DB_DIR.glob("m[0-9][0-9][0-9]_*.py"))}


def recorded() -> dict[str, str]:
    return json.loads(RECORD.read_text(encoding="utf-8"))


def test_no_applied_migration_has_changed_since_its_hash_was_recorded():
    files = migration_files()
    changed = sorted(name for name, digest in recorded().items() if name in files and text_hash(files[name]) != digest)
    assert changed == [], (
        f"{changed} changed after landing: a database that already applied them will never run the new "
        "text. Restore the file and put the change in a new, higher-numbered migration.")


def test_every_migration_has_a_recorded_hash():
    missing = {name: text_hash(path) for name, path in migration_files().items() if name not in recorded()}
    lines = "\n".join(f'  "{name}": "{digest}",' for name, digest in missing.items())
    assert missing == {}, f"New migration(s): add to db/migration_hashes.json in the same commit:\n{lines}"


def test_no_recorded_migration_was_deleted_or_renamed():
    gone = sorted(set(recorded()) - set(migration_files()))
    assert gone == [], f"{gone} were recorded but are gone: databases may have applied them under that name"


def test_every_registered_migration_is_a_recorded_file():
    registered = {m.name + ".py" for m in MIGRATIONS._migrations}
    assert registered == set(recorded())


def test_a_database_migrated_before_m018_gained_the_handoff_table_gets_it(tmp_path):
    names = [m.name for m in MIGRATIONS._migrations]
    path = tmp_path / "old-m018.db"
    db = store.Database(sqlite3.connect(path))
    MIGRATIONS.apply(db, stop_before="m019_discovery_aids_team_leads")
    db.execute("DROP TABLE sign_in_handoffs")  # m018 as it first landed, before the table was added to it
    db.conn.commit()
    assert "sign_in_handoffs" not in db.table_names()
    db.close()

    upgraded = store.connect(path)
    assert store.applied_migrations(upgraded) == names
    columns = {c.name: (c.type, c.notnull, c.is_pk) for c in upgraded["sign_in_handoffs"].columns}
    assert columns == {"code_hash": ("TEXT", 0, 1), "sealed_token": ("TEXT", 1, 0), "expires_at": ("TEXT", 1, 0)}
    with clock.at(datetime(2026, 12, 1, 9, 0, tzinfo=UTC)):
        assert sessions.redeem(upgraded, sessions.hand_over(upgraded, "a-session-token")) == "a-session-token"


def test_the_handoff_repair_keeps_the_table_and_its_rows_where_m018_made_it(tmp_path):
    db = store.connect(tmp_path / "current.db")
    with clock.at(datetime(2026, 12, 1, 9, 0, tzinfo=UTC)):
        code = sessions.hand_over(db, "kept-token")
        with store.transaction(db):
            m026_sign_in_handoffs_where_missing.up(db)
        assert sessions.redeem(db, code) == "kept-token"
