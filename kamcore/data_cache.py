"""A small process-wide cache for expensive read-only results, invalidated by any write.

Every write through kamcore appends audit rows in the same transaction, so the highest
audit-log id is a data version: when it moves, anything may have changed. A cached
value is keyed by the database file (path and inode: a replaced file is a new database),
that version, today's date (results that depend on "today" go stale at midnight) and
the caller's own key. In-memory databases are never cached.

Per-account results (`per_account`) are finer: each account's value is kept under that
account's own data version (its highest audit id) and the global one (the highest audit id
of rows with no account: rules, stages, criteria). A write to account A recomputes only A;
a global change recomputes everything. This needs index `audit_by_account_id` (m016).

Values are shared between callers and sessions: treat them as read-only.
"""

from __future__ import annotations

import json
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlite_utils import Database

from kamcore import clock

T = TypeVar("T")
MAX_ENTRIES = 32
MAX_ACCOUNT_ENTRIES = 40_000  # per-account values (e.g. 2,000 accounts x a few kinds, several databases)

_entries: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
_per_account: OrderedDict[tuple[Any, ...], tuple[tuple[Any, ...], Any]] = OrderedDict()
_lock = threading.Lock()
recomputed: dict[str, int] = {}  # accounts recomputed per name since the last clear() (tests, benchmark)


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


def account_versions(db: Database, account_ids: list[int]) -> dict[int, int]:
    """Each account's data version (its highest audit id, 0 if none); key 0 is the global version
    (the highest audit id of changes that belong to no account). One index seek per account."""
    found = {0: db.execute("SELECT coalesce(max(id), 0) FROM audit_log WHERE account_id IS NULL").fetchone()[0]}
    if account_ids:
        found.update(db.execute(
            "SELECT j.value, (SELECT coalesce(max(a.id), 0) FROM audit_log a WHERE a.account_id = j.value) "
            "FROM json_each(?) j", [json.dumps(sorted(set(account_ids)))]).fetchall())
    return found


def per_account(db: Database, name: str, account_ids: list[int],
                compute: Callable[[list[int]], dict[int, T]], key: Hashable = ()) -> dict[int, T]:
    """`compute(ids)` -> {account id: value}, called only for the accounts whose value is missing or stale
    (their own audit rows, the global rows or today changed since it was computed). An account missing from
    compute's answer is cached as absent. Returns {id: value} for the requested accounts that have one."""
    ids = sorted(set(account_ids))
    where = _file_of(db)
    if where is None:
        return compute(ids)
    versions = account_versions(db, ids)
    today = clock.today().isoformat()
    out: dict[int, T] = {}
    missing: list[int] = []
    with _lock:
        for a in ids:
            entry = _per_account.get((*where, name, key, a))
            if entry is not None and entry[0] == (versions.get(a, 0), versions[0], today):
                _per_account.move_to_end((*where, name, key, a))
                if entry[1] is not _ABSENT:
                    out[a] = entry[1]
            else:
                missing.append(a)
    if missing:
        fresh = compute(missing)
        with _lock:
            recomputed[name] = recomputed.get(name, 0) + len(missing)
            for a in missing:
                value = fresh.get(a, _ABSENT)
                _per_account[(*where, name, key, a)] = ((versions.get(a, 0), versions[0], today), value)
                if value is not _ABSENT:
                    out[a] = value
            while len(_per_account) > MAX_ACCOUNT_ENTRIES:
                _per_account.popitem(last=False)
    return out


_ABSENT: Any = object()


def clear() -> None:
    """Forget everything (tests)."""
    with _lock:
        _entries.clear()
        _per_account.clear()
        recomputed.clear()
