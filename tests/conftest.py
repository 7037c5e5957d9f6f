"""Shared fixtures: fresh databases (empty or demo) and signed-in AppTests."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from streamlit.testing.v1 import AppTest

from kamcore import clock, demo, store, users

ROOT = Path(__file__).resolve().parent.parent
DEMO_DAY = date(2026, 11, 23)
DEMO_MOMENT = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 on the demo day in Beijing, the demo's zone
os.environ["KAM_DEBUG"] = "1"  # unexpected errors raise in AppTest instead of a friendly box
os.environ["KAM_STRICT_SCOPES"] = "1"  # context.db() outside a scope raises, here and in the servers tests start
TEST_HASHER = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)  # production keeps users.PASSWORD_HASHER
users.use_hasher(TEST_HASHER)


@pytest.fixture(autouse=True)
def _company_zone_from_the_test_database():
    """Each test starts on UTC days until it opens a database (`store.connect` sets that database's zone), so a
    zone left by the previous test's database never leaks into the next one."""
    clock.use_company_zone(None)


@pytest.fixture
def demo_clock():
    """The clock pinned to the demo day (10:00 in Beijing), for tests that read the demo's dates: the demo is
    built for DEMO_DAY, so "today", overdue and the rhythm's deadlines must be read on that day, not the
    calendar day the suite happens to run on. Pinned process-wide: AppTest runs the app on its own thread."""
    with clock.pinned(DEMO_MOMENT):
        yield DEMO_MOMENT


@pytest.fixture
def fresh_db():
    """An empty, migrated in-memory database."""
    db = store.connect(":memory:")
    yield db
    db.close()


@pytest.fixture
def admin(fresh_db):
    """The first administrator of a fresh database."""
    return users.create_user(fresh_db, users.SYSTEM, "admin", "Admin", "admin-pass-1", "admin")


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory) -> Path:
    """The demo database built once per test run, copied for each test that needs it."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    db = store.connect(path)
    demo.build(db, today=DEMO_DAY)
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return path


@pytest.fixture
def demo_path(demo_template, tmp_path, monkeypatch) -> Path:
    """A private copy of the demo database, selected through $KAM_DB."""
    path = tmp_path / "warroom.db"
    shutil.copy(demo_template, path)
    monkeypatch.setenv(store.ENV_VAR, str(path))
    return path


@pytest.fixture
def demo_db(demo_path):
    """A connection to a private copy of the demo database."""
    db = store.connect(demo_path)
    yield db
    db.close()


@pytest.fixture
def empty_path(tmp_path, monkeypatch) -> Path:
    """A migrated database with only an administrator (what a new install looks like after setup)."""
    path = tmp_path / "empty.db"
    db = store.connect(path)
    users.create_user(db, users.SYSTEM, "admin", "Admin", "admin-pass-1", "admin")
    db.close()
    monkeypatch.setenv(store.ENV_VAR, str(path))
    return path


def signed_in_app(db_path: Path, username: str, page: str | None = None, account_id: int | str | None = None,
                  lang: str = "en") -> AppTest:
    """An AppTest of Home.py signed in as `username`, optionally switched to a page."""
    db = store.connect(db_path)
    user = users.find_by_username(db, username)
    db.close()
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=30)
    at.session_state["user_id"] = user.id
    at.session_state["lang"] = lang
    if account_id is not None:
        at.query_params["account"] = str(account_id)
    at.run()
    if page:
        at.switch_page(page).run()
    return at


def query(db_path: Path, sql: str, params: list | tuple = ()) -> list[tuple]:
    """The rows of one query on the database file, on a connection of its own (closed again at once), as a
    page test checks what a page wrote."""
    db = store.connect(db_path)
    try:
        return db.execute(sql, list(params)).fetchall()
    finally:
        db.close()


def query_row(db_path: Path, sql: str, params: list | tuple = ()) -> tuple | None:
    """The first row of one query on the database file (None when there is none)."""
    found = query(db_path, sql, params)
    return found[0] if found else None


def query_value(db_path: Path, sql: str, params: list | tuple = ()) -> Any:
    """The first value of the first row of one query on the database file (a count, an id)."""
    return query(db_path, sql, params)[0][0]


def account_id(db_path: Path, name: str) -> int:
    """The id of a demo account by name."""
    return query_value(db_path, "SELECT id FROM accounts WHERE name = ?", [name])


def pytest_collection_modifyitems(config, items):
    """Mark the tests tests/tiers.py lists as `slow` (`pytest -m "not slow"` is the everyday tier)."""
    from tests.tiers import is_slow

    for item in items:
        if is_slow(item.nodeid):
            item.add_marker(pytest.mark.slow)
