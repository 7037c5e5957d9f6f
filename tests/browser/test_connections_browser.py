"""Issue 21: many sessions come and go through pages with fragments and callbacks; the server's
open handles on the database and its WAL return to where they were, without forcing gc.

Sessions speak Streamlit's own websocket protocol (scripts/loadtest.py), as a browser tab does:
sign in through the form, open the test-hooks page (a polling fragment, a callback that reads
the database), rerun its fragment, press the callback button, step the walk-through (callbacks).
"""

from __future__ import annotations

import shutil
import threading
import time

import pytest

from scripts import loadtest
from tests.browser.server import running_app

SESSIONS = 24
AT_ONCE = 6


@pytest.fixture(scope="module")
def hooks_app(demo_template, tmp_path_factory):
    path = tmp_path_factory.mktemp("connections") / "app.db"
    shutil.copy(demo_template, path)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KAM_TEST_HOOKS", "1")
        mp.setenv("KAM_JANITOR", "0")  # no collection of any kind: scopes alone must close the handles
        with running_app(path) as url:
            yield url, path


def server_pid(url: str) -> int:
    """The `streamlit run` process listening on the URL's port (started by running_app)."""
    import os
    from pathlib import Path

    port = url.rsplit(":", 1)[1].encode()
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"streamlit" in b" ".join(cmdline) and port in cmdline:
            return int(entry)
    raise LookupError(f"no streamlit process on port {port!r}")


def one_session(url: str, number: int, problems: list[str]) -> None:
    session = None
    try:
        session, _home = loadtest.sign_in(url, loadtest.USERS[number % len(loadtest.USERS)])
        hooks = session.rerun("test-hooks")
        loadtest.check(hooks)
        assert any("fragment read" in text for text in hooks.texts), hooks.texts[:5]
        fragment_ids = [f for f, interval in hooks.auto_rerun.items() if interval]
        assert fragment_ids, "the polling fragment announces its auto-rerun"
        for _ in range(2):
            loadtest.check(session.rerun("test-hooks", fragment_id=fragment_ids[0]))
        touched = session.rerun("test-hooks", widgets=[loadtest.press(loadtest.find(hooks, "hooks.touch"))])
        loadtest.check(touched)
        assert not any("touched 0" in text for text in touched.texts), "the callback ran"
        walk = session.rerun("walkthrough")
        loadtest.check(walk)
        loadtest.check(session.rerun("walkthrough", widgets=[loadtest.press(loadtest.find(walk, "walk.next"))]))
    except Exception as exc:  # noqa: BLE001 - reported by the test below
        problems.append(f"session {number}: {type(exc).__name__}: {exc}")
    finally:
        if session is not None:
            session.close()


def test_database_handles_return_after_many_sessions(hooks_app):
    url, db_path = hooks_app
    pid = server_pid(url)
    problems: list[str] = []
    one_session(url, 0, problems)  # imports, caches and the demo's first reads happen once
    assert not problems, problems
    time.sleep(1)
    before = loadtest.db_handles(pid, db_path)

    peak, sampling = [before], threading.Event()

    def sample() -> None:  # shows the counter does see the connections while runs are going on
        while not sampling.is_set():
            peak[0] = max(peak[0], loadtest.db_handles(pid, db_path))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.monotonic()
    for first in range(0, SESSIONS, AT_ONCE):
        crowd = [threading.Thread(target=one_session, args=(url, n, problems)) for n in range(first, first + AT_ONCE)]
        for thread in crowd:
            thread.start()
        for thread in crowd:
            thread.join(120)
    sampling.set()
    sampler.join()
    assert not problems, problems[:3]

    after = loadtest.db_handles(pid, db_path)
    deadline = time.monotonic() + 10
    while after > before + 2 and time.monotonic() < deadline:  # a last run may still be finishing
        time.sleep(0.5)
        after = loadtest.db_handles(pid, db_path)
    print(f"{SESSIONS} sessions in {time.monotonic() - started:.0f} s; db handles before {before}, "
          f"peak {peak[0]}, after {after}")
    assert after <= before + 2, f"database handles: before {before}, after {after}"
