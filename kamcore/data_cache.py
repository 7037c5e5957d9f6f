"""A small process-wide cache for expensive read-only results, invalidated by any write.

Every write through kamcore appends audit rows in the same transaction, so the highest
audit-log id is a data version: when it moves, anything may have changed. A cached
value is keyed by the database file (path and inode: a replaced file is a new database),
that version, today's date (results that depend on "today" go stale at midnight) and
the caller's own key. In-memory databases are never cached.

Values are shared between callers and sessions: treat them as read-only.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlite_utils import Database

from kamcore import clock

T = TypeVar("T")
MAX_ENTRIES = 32

_entries: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
_lock = threading.Lock()


def data_version(db: Database) -> int:
    """The highest audit-log id: bumped by every write that goes through kamcore."""
    return db.execute("SELECT coalesce(max(id), 0) FROM audit_log").fetchone()[0]


def _file_of(db: Database) -> tuple[str, int] | None:
    found = next((r[2] for r in db.execute("PRAGMA database_list").fetchall() if r[1] == "main"), "")
    if not found:
        return None
    try:
        return found, os.stat(found).st_ino
    except OSError:
        return None


def cached(db: Database, name: str, key: Hashable, compute: Callable[[], T]) -> T:
    """`compute()` once per (database file, data version, today, name, key); later calls reuse the value."""
    where = _file_of(db)
    if where is None:
        return compute()
    full = (*where, data_version(db), clock.today().isoformat(), name, key)
    with _lock:
        if full in _entries:
            _entries.move_to_end(full)
            return _entries[full]
    value = compute()
    with _lock:
        _entries[full] = value
        while len(_entries) > MAX_ENTRIES:
            _entries.popitem(last=False)
    return value


def clear() -> None:
    """Forget everything: after a restore replaced the data under the same file (and tests)."""
    with _lock:
        _entries.clear()
