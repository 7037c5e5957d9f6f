"""Start `streamlit run serve.py` (or Home.py) on a given database and a free localhost port; stop it afterwards
(through scripts/appserver.py, the same start the load test and the cluster script use)."""

from __future__ import annotations

import contextlib
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

from scripts import appserver

PORTS = range(8609, 8620)  # this project's range for browser tests and benchmarks


def free_port() -> int:
    """The first port of PORTS nobody listens on."""
    for port in PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {PORTS.start}-{PORTS.stop - 1}")


@contextlib.contextmanager
def running_app(db_path: str | Path, timeout: float = 90, entry: str = "serve.py") -> Iterator[str]:
    """Yield the base URL of the app serving `db_path` (started from `entry`: serve.py, the way users run it, or
    Home.py); the server stops when the block ends."""
    with appserver.running(db_path, free_port(), timeout=timeout, entry=entry) as (url, _proc):
        yield url


@contextlib.contextmanager
def app_on_account(demo_template, tmp_path_factory, folder: str, account: str):
    """A module's own app on a fresh copy of the demo: (base URL, a `Db` of its file, the id of `account`)."""
    from tests.browser.test_team_soak import Db

    path = tmp_path_factory.mktemp(folder) / "app.db"
    shutil.copy(demo_template, path)
    with running_app(path) as url:
        db = Db(path)
        (account_id,) = db.one("SELECT id FROM accounts WHERE name = ?", [account])
        yield url, db, account_id
