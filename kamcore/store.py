"""The one door to SQLite: opening a connection, migrating, and write transactions.

Streamlit runs every browser session in its own thread, so callers open one
connection per script run (see `connect`); nothing here is a shared global.
"""

from __future__ import annotations

import collections
import contextlib
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from kamcore import clock, settings

ENV_VAR = "KAM_DB"  # the setting `settings.Settings.database_path`
DEFAULT_PATH = settings.DEFAULT_DATABASE
BUSY_TIMEOUT_MS = 10_000


def database_path() -> Path:
    """The database file: `$KAM_DB` (or the secret of that name) if set, else the demo file under `db/`."""
    return settings.current().database_path


def connect(path: str | Path | None = None) -> Database:
    """Open a connection with WAL, foreign keys and a busy timeout; apply pending migrations.

    `path=":memory:"` gives a private in-memory database (tests).
    """
    target = str(path if path is not None else database_path())
    if target != ":memory:":
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(target, timeout=BUSY_TIMEOUT_MS / 1000)
    db = Database(conn)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    if target != ":memory:":
        db.enable_wal()  # must run outside any transaction
        conn.execute("PRAGMA synchronous = NORMAL")
    migrate(db)
    clock.use_company_zone(company_time_zone(db))
    return db


def company_time_zone(db: Database) -> str | None:
    """The company time zone stored in this database, or None before an admin picks one (read on every
    connect so days follow it from the first query; `kamcore.time_zones` owns the setting)."""
    found = db.execute("SELECT time_zone FROM company_settings ORDER BY id LIMIT 1").fetchone()
    return found[0] if found else None


def migrate(db: Database) -> list[str]:
    """Apply pending numbered migrations from `db/`; return the names applied."""
    from db import MIGRATIONS

    pending = [m.name for m in MIGRATIONS.pending(db)]
    if pending:
        MIGRATIONS.apply(db)
    return pending


def applied_migrations(db: Database) -> list[str]:
    """Names of the migrations this database has recorded, in order."""
    from db import MIGRATIONS

    return [m.name for m in MIGRATIONS.applied(db)]


class FairLock:
    """A re-entrant lock granted in the order it was asked for (first come, first served).

    `threading.RLock` is not fair: a thread that releases it and asks again at once (a big import
    committing batch after batch) usually gets it back before a waiting thread wakes, so a teammate's
    save could wait for many batches instead of one."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._owner: int | None = None
        self._depth = 0
        self._queue: collections.deque[int] = collections.deque()

    def acquire(self) -> None:
        """Wait for the turn of this thread (at once if it already holds the lock)."""
        me = threading.get_ident()
        with self._cond:
            if self._owner == me:
                self._depth += 1
                return
            self._queue.append(me)
            while self._owner is not None or self._queue[0] != me:
                self._cond.wait()
            self._queue.popleft()
            self._owner, self._depth = me, 1

    def release(self) -> None:
        """Give the lock up (to the thread that asked next) when the outermost holder is done."""
        with self._cond:
            self._depth -= 1
            if self._depth == 0:
                self._owner = None
                self._cond.notify_all()

    def __enter__(self) -> FairLock:
        self.acquire()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release()


# The writers of this process queue here, in turn, rather than in SQLite's busy handler, which retries by
# sleeping and lets one writer starve past the busy timeout when many threads write at once (50 users
# signing in together got "database is locked"). Re-entrant: a writer may open a second connection's unit
# of work inside its own. Fair: a long batched import (records.create_many) lets a waiting save or sign-in
# in after each batch. Other processes still meet SQLite's lock and its busy timeout.
_WRITERS = FairLock()


@contextlib.contextmanager
def transaction(db: Database) -> Iterator[Database]:
    """One unit of work: all of it commits, or none of it.

    Opens with BEGIN IMMEDIATE so a read-check-write (the version check) cannot be
    overtaken by another writer between the read and the write; nested blocks use
    savepoints.
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    with _WRITERS:
        db.conn.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            if db.conn.in_transaction:
                db.conn.execute("ROLLBACK")
            raise
        else:
            db.conn.execute("COMMIT")


def rows(db: Database, sql: str, params: list[Any] | tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    """Run a query and return its rows as dicts."""
    cur = db.execute(sql, list(params))
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def row(db: Database, sql: str, params: list[Any] | tuple[Any, ...] = ()) -> dict[str, Any] | None:
    """Run a query and return its first row as a dict, or None."""
    cur = db.execute(sql, list(params))
    first = cur.fetchone()
    return None if first is None else dict(zip([d[0] for d in cur.description], first, strict=True))


def is_empty(db: Database) -> bool:
    """True when the database holds no users yet (a brand-new install)."""
    return db.execute("SELECT count(*) FROM users").fetchone()[0] == 0


def backup(db: Database, destination: str | Path, progress: Callable[[int, int], None] | None = None,
           step_pages: int = 256) -> Path:
    """Copy the live database to `destination` with SQLite's online backup API.

    The copy goes `step_pages` pages at a time, calling `progress(done, total)` after each step (for a
    progress bar; the last call has done == total). It reads one snapshot: the source connection holds a
    read transaction throughout, so writes by others neither restart the copy (without it a stepped backup
    restarts after every write and may never finish) nor tear it. The copy is written beside the target
    and renamed when complete: an interrupted backup leaves no half file to be listed or restored.
    """
    dest = Path(destination)
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".part")
    conn = db.conn
    snapshot = not conn.in_transaction
    target = sqlite3.connect(str(partial))
    try:
        if snapshot:
            conn.execute("BEGIN")
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # the read snapshot starts here

        def report(_status: int, remaining: int, total: int) -> None:
            if progress is not None:
                progress(total - remaining, total)

        conn.backup(target, pages=step_pages if progress is not None else -1, progress=report)
        target.close()
        partial.replace(dest)
    finally:
        target.close()
        if snapshot and conn.in_transaction:
            conn.execute("ROLLBACK")
        partial.unlink(missing_ok=True)
    return dest
