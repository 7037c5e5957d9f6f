"""Writers of one process take turns on a lock before BEGIN IMMEDIATE.

SQLite's busy handler sleeps and retries; with many threads of one server writing at once, one of
them could sleep past its timeout and get "database is locked" (50 users signing in together did).
"""

from __future__ import annotations

import sqlite3
import threading
import time

from kamcore import store

THREADS, ROUNDS, HOLD_S = 6, 5, 0.01


def test_threads_writing_at_once_never_meet_a_locked_database(tmp_path):
    path = tmp_path / "writers.db"
    store.connect(path).close()
    failures: list[str] = []
    start = threading.Barrier(THREADS)

    def writer(number: int) -> None:
        db = store.connect(path)
        db.conn.execute("PRAGMA busy_timeout = 5")  # far shorter than the others hold the lock
        try:
            start.wait()
            for round_ in range(ROUNDS):
                try:
                    with store.transaction(db):
                        db.execute("INSERT INTO meta_probe (writer, round) VALUES (?, ?)", [number, round_])
                        time.sleep(HOLD_S)
                except sqlite3.OperationalError as error:
                    failures.append(str(error))
        finally:
            db.close()

    setup = store.connect(path)
    setup.execute("CREATE TABLE meta_probe (writer INTEGER, round INTEGER)")
    setup.close()
    threads = [threading.Thread(target=writer, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    check = store.connect(path)
    (written,) = check.execute("SELECT count(*) FROM meta_probe").fetchone()
    check.close()
    assert failures == []
    assert written == THREADS * ROUNDS
