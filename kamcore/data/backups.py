"""Backups with SQLite's online backup API: create, list, inspect and restore.

A restore replaces the whole database with the backup's content. It is
planned first: rows that exist now but not in the backup (they would be lost)
and rows changed since the backup are counted, and the restore refuses to go
ahead without `confirm=True` when anything would be lost. Before it writes, a
safety backup of the current database is always taken, under the same exclusive
lock as the copy, so a restore can be undone and no acknowledged write is lost.
"""

from __future__ import annotations

import re
import sqlite3
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from kamcore import clock, data_cache, permissions, store
from kamcore.data.portability import ImportPlan, NeedsConfirmation, diff_table, tables
from kamcore.errors import ValidationError
from kamcore.i18n import t
from kamcore.users import User

SQLITE_HEADER = b"SQLite format 3\x00"
PREFIX = "warroom-"


@dataclass
class BackupInfo:
    """One file in the backup folder and what it holds."""

    path: Path
    name: str
    size: int
    modified: str
    schema: list[str]
    problem: str | None = None  # an i18n reason key when the file is not a usable backup

    @property
    def level(self) -> str:
        return self.schema[-1] if self.schema else "—"


LABEL = re.compile(r"[A-Za-z0-9_-]{0,40}")


def backup_dir(db_path: str | Path | None = None) -> Path:
    """Where backups of this database live: a `backups` folder next to it."""
    return Path(db_path or store.database_path()).parent / "backups"


def create_backup(db: Database, actor: User, directory: str | Path, label: str = "",
                  progress: Callable[[int, int], None] | None = None) -> Path:
    """Write an online backup of the live database into `directory` (admins).

    `progress(done, total)` is called as the pages are copied (the last call has done == total)."""
    permissions.require_admin(actor)
    label = (label or "").strip()
    if not LABEL.fullmatch(label):  # the label becomes part of a file name: no path, no dot, no space
        raise ValidationError.single("label", "reason.backup_label")
    stamp = clock.now().strftime("%Y%m%d-%H%M%S")
    suffix = f"-{label}" if label else ""
    target = Path(directory) / f"{PREFIX}{stamp}{suffix}.db"
    number = 1
    while target.exists():
        number += 1
        target = Path(directory) / f"{PREFIX}{stamp}{suffix}-{number}.db"
    return store.backup(db, target, progress)


def open_backup(path: str | Path) -> sqlite3.Connection:
    """Open a backup read-only after checking it is an intact SQLite database; ValidationError if not."""
    file = Path(path)
    if not file.is_file():
        raise ValidationError.single("file", "reason.backup_missing", name=file.name)
    with file.open("rb") as handle:
        if handle.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise ValidationError.single("file", "reason.not_a_database", name=file.name)
    try:
        conn = sqlite3.connect(f"{file.resolve().as_uri()}?mode=ro", uri=True)
        ok = conn.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.DatabaseError:
        raise ValidationError.single("file", "reason.not_a_database", name=file.name) from None
    if ok != "ok":
        conn.close()
        raise ValidationError.single("file", "reason.damaged_database", name=file.name, detail=str(ok)[:80])
    return conn


def schema_of(conn: sqlite3.Connection) -> list[str]:
    """The migrations a database file has recorded (empty if it has none)."""
    try:
        return [r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations WHERE migration_set = 'kam' "
                                           "ORDER BY name").fetchall()]
    except sqlite3.DatabaseError:
        return []


def inspect(path: str | Path) -> BackupInfo:
    """What a backup file is: size, time, schema level, or why it cannot be used."""
    file = Path(path)
    stat = file.stat()
    modified = datetime.fromtimestamp(stat.st_mtime, UTC).isoformat(timespec="seconds")
    try:
        conn = open_backup(file)
    except ValidationError as exc:
        return BackupInfo(file, file.name, stat.st_size, modified, [], exc.problems[0].reason_key)
    try:
        return BackupInfo(file, file.name, stat.st_size, modified, schema_of(conn))
    finally:
        conn.close()


def list_backups(directory: str | Path) -> list[BackupInfo]:
    """Every `.db` file in the backup folder, newest first."""
    folder = Path(directory)
    if not folder.is_dir():
        return []
    files = sorted(folder.glob("*.db"), key=lambda p: (p.stat().st_mtime, p.name), reverse=True)
    return [inspect(p) for p in files]


def plan_restore(db: Database, actor: User, path: str | Path) -> ImportPlan:
    """What restoring this backup would change: per table, rows that come back, change, or would be lost."""
    permissions.require_admin(actor)
    conn = open_backup(path)
    try:
        theirs, ours = schema_of(conn), sorted(store.applied_migrations(db))
        if theirs != ours:
            raise ValidationError.single("file", "reason.schema_mismatch", found=theirs[-1] if theirs else "—",
                                         expected=ours[-1] if ours else "—")
        backup = Database(conn)
        plans = []
        for table in tables(db):
            found = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [table]).fetchone()
            incoming = list(backup[table].rows) if found else []
            plans.append(diff_table(db, table, incoming))
    finally:
        conn.close()
    return ImportPlan(plans, {"account_id": None}, theirs)


def losses(plan: ImportPlan) -> int:
    """Rows a restore would drop or roll back: rows added since the backup, and rows changed since."""
    return sum(t.only_in_db + t.changed + t.kept for t in plan.tables)


def foreign_objects(conn: sqlite3.Connection, db: Database) -> list[str]:
    """Schema objects (tables, views, triggers, indexes) of a backup that the migrations did not create here:
    a restore brings data back, never code (a planted trigger could make anyone an administrator later)."""
    query = "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
    ours = {(r[0], r[1]): _normal(r[2]) for r in db.execute(query).fetchall()}
    return [f"{kind} {name}" for kind, name, sql in conn.execute(query).fetchall()
            if ours.get((kind, name), "<none>") != _normal(sql)]


def _normal(sql: str | None) -> str:
    return " ".join((sql or "").split())


def restore_backup(db: Database, actor: User, path: str | Path, confirm: bool = False,
                   safety_dir: str | Path | None = None) -> tuple[ImportPlan, Path]:
    """Replace the database's data with the backup's; refuses without `confirm` when newer data would be lost.

    One lock for all of it: under BEGIN EXCLUSIVE (in WAL mode: no other writer, readers see the data as it
    was) a safety backup of the current data is ALWAYS taken, then every table is emptied and filled from
    the backup, in one transaction. A writer waits (busy timeout) or is refused; a write acknowledged before
    the lock is in the safety backup, one acknowledged after it is in the restored database. The restore ends
    every sign-in session, keeps everyone's CURRENT password (a restore never brings an old one back),
    refuses schema objects the migrations did not create, and forgets cached results.
    Returns the plan and the safety backup taken of the data as it was just before.
    """
    plan = plan_restore(db, actor, path)
    lost = losses(plan)
    if lost and not confirm:
        raise NeedsConfirmation("err.restore_loses", count=lost)
    source = open_backup(path)
    try:
        foreign = foreign_objects(source, db)
    finally:
        source.close()
    if foreign:
        raise ValidationError.single("file", "reason.foreign_schema", objects=", ".join(foreign[:5]))
    folder = Path(safety_dir or Path(path).parent)
    names = tables(db)
    conn = db.conn
    if conn.in_transaction:
        conn.execute("COMMIT")
    conn.execute("ATTACH DATABASE ? AS restore_src", [f"{Path(path).resolve().as_uri()}?mode=ro"])
    try:
        conn.execute("BEGIN EXCLUSIVE")
        try:
            safety = _safety_copy(db, actor, folder)
            conn.execute("PRAGMA defer_foreign_keys = ON")
            conn.execute("CREATE TEMP TABLE restore_passwords AS SELECT id, password_hash FROM main.users")
            for table in reversed(names):
                conn.execute(f"DELETE FROM main.[{table}]")
            for table in names:
                cols = ", ".join(f"[{c[1]}]" for c in conn.execute(f"PRAGMA main.table_info([{table}])"))
                conn.execute(f"INSERT INTO main.[{table}] ({cols}) SELECT {cols} FROM restore_src.[{table}]")
            conn.execute("UPDATE main.users SET password_hash = (SELECT p.password_hash FROM restore_passwords p "
                         "WHERE p.id = users.id) WHERE id IN (SELECT id FROM restore_passwords)")
            conn.execute("DELETE FROM main.sign_in_sessions")  # everyone signs in again, on today's passwords
            conn.execute("DROP TABLE temp.restore_passwords")
            if conn.execute("PRAGMA main.foreign_key_check").fetchone():
                raise ValidationError.single("file", "reason.damaged_database", name=Path(path).name,
                                             detail="foreign keys")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    finally:
        conn.execute("DETACH DATABASE restore_src")
    data_cache.clear()
    return plan, safety


def _safety_copy(db: Database, actor: User, folder: Path) -> Path:
    """Copy the committed data (what other connections see: nothing can commit while we hold the lock)."""
    permissions.require_admin(actor)
    live = next(r[2] for r in db.execute("PRAGMA database_list").fetchall() if r[1] == "main")
    stamp = clock.now().strftime("%Y%m%d-%H%M%S")
    target = folder / f"{PREFIX}{stamp}-before-restore.db"
    number = 1
    while target.exists():
        number += 1
        target = folder / f"{PREFIX}{stamp}-before-restore-{number}.db"
    folder.mkdir(parents=True, exist_ok=True)
    reader = sqlite3.connect(live)
    copy = sqlite3.connect(str(target))
    try:
        reader.backup(copy)
    finally:
        copy.close()
        reader.close()
    return target


def command(db: Database, args: Any, db_path: Path) -> int:
    """`list-backups` and `restore-backup` for the command line (run as the system administrator)."""
    from kamcore.users import SYSTEM

    if args.command == "list-backups":
        folder = Path(args.dir) if args.dir else backup_dir(db_path)
        found = list_backups(folder)
        if not found:
            print(f"no backups in {folder}")
        for info in found:
            state = t(info.problem, "en", name=info.name, detail="") if info.problem else f"schema {info.level}"
            print(f"{info.modified}  {info.size / 1024:9.0f} KB  {info.name}  ({state})")
        return 0
    try:
        plan, safety = restore_backup(db, SYSTEM, args.file, confirm=args.yes, safety_dir=backup_dir(db_path))
    except NeedsConfirmation as exc:
        plan = plan_restore(db, SYSTEM, args.file)
        for table in plan.tables:
            if table.only_in_db or table.changed or table.kept:
                print(f"  {table.table}: {table.only_in_db} added since the backup, {table.changed + table.kept} changed")
        print(f"error: {exc.message('en')} Run again with --yes to restore.", file=sys.stderr)
        return 3
    print(f"restored {db_path} from {args.file}; previous data saved in {safety}; every sign-in session ended")
    return 0
