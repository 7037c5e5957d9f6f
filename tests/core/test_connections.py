"""A connection lives exactly one scope (a run, a fragment rerun, a callback), whatever the thread."""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

import pytest

from kamui import context
from tests.conftest import account_id, signed_in_app


def db_handles(db_path: Path) -> int:
    """Open file descriptors of this process on the database file and its WAL."""
    names = {str(db_path), f"{db_path}-wal"}
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}") in names:
                count += 1
        except OSError:
            continue
    return count


def test_db_outside_a_scope_fails_loudly(demo_path):
    assert not context.in_scope()
    with pytest.raises(context.ScopeError):
        context.db()


def test_the_scope_closes_its_connection_and_nested_scopes_share_it(demo_path):
    before = db_handles(demo_path)
    with context.scope():
        conn = context.db()
        assert context.db() is conn
        with context.scope():
            assert context.db() is conn  # a fragment's first run inside the page run
        assert conn.execute("SELECT count(*) FROM users").fetchone()[0] > 0
        assert db_handles(demo_path) > before
    with pytest.raises(sqlite3.ProgrammingError):
        conn.execute("SELECT 1")
    assert db_handles(demo_path) == before
    assert not context.in_scope()


def test_a_scope_on_another_thread_gets_its_own_connection(demo_path):
    seen = {}

    def other():
        with context.scope():
            seen["other"] = context.db()
            seen["rows"] = seen["other"].execute("SELECT count(*) FROM users").fetchone()[0]

    with context.scope():
        mine = context.db()
        worker = threading.Thread(target=other)
        worker.start()
        worker.join()
        assert seen["other"] is not mine and seen["rows"] > 0
        mine.execute("SELECT 1")  # still open: the other scope closed only its own


def test_callback_and_fragment_wrappers_open_a_scope_and_report_errors(demo_path, monkeypatch):
    monkeypatch.delenv("KAM_DEBUG", raising=False)
    shown = []
    monkeypatch.setattr(context.st, "error", lambda message, **_: shown.append(message))
    seen = []

    def works(n):
        seen.append((n, context.db().execute("SELECT 1").fetchone()[0]))

    def breaks():
        raise ZeroDivisionError("boom")

    context.callback(works, 7)()
    assert seen == [(7, 1)] and not context.in_scope()
    context.callback(breaks)()
    assert len(shown) == 1 and "boom" not in shown[0] and "ZeroDivisionError" not in shown[0]
    assert "reference" in shown[0]
    assert not context.in_scope()


def test_page_contexts_hold_no_connection(demo_path):
    fields = context.PageContext.__dataclass_fields__
    assert "db" not in fields


def test_pages_run_on_their_own_close_their_connection_at_the_end_of_the_run(demo_path):
    """AppTest runs a switched-to page without Home.py: page() opens a scope for that run."""
    huaxin = account_id(demo_path, "Huaxin Semiconductor")
    at = signed_in_app(demo_path, "li.wei", "pages/home.py", huaxin)
    baseline = db_handles(demo_path)
    for _ in range(6):
        for name in ("pages/home.py", "pages/walkthrough.py", "pages/plan.py"):
            at.switch_page(name).run()
            assert not at.exception, at.exception
    assert db_handles(demo_path) <= baseline  # no gc.collect(): closed by the end-of-run hook
