"""Give memory back after sessions end (issue 21, docs/scaling.md "Connections and memory").

Measured on the demo with 50 simulated users (scripts/memprobe.py, kill -USR1): when a tab
leaves, Streamlit keeps its session 120 s for a reconnect (`server.disconnectedSessionTTL`) and
then simply drops it — its `AppSession`, session state (EditableTable's frames: ~9 DataFrames a
session) and script-run objects form reference cycles, so they stay in memory until Python's
cyclic collector happens to run a full pass, which an idle server may not do for a long time.
And freed memory that glibc malloc keeps in its heaps is not returned to the system until
trimmed.

So one daemon thread per server process, every INTERVAL seconds, asks Streamlit's session
manager how many sessions it holds (the question itself drops expired ones). Only when that
number went down since the last look — sessions have really ended — it runs one full
collection and `malloc_trim(0)`. Nothing happens while sessions merely come and go, and never
on a script thread. KAM_JANITOR=0 turns it off (the connections test does: database handles
must come back without any collection).
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import logging
import os
import threading
import time
from collections.abc import Callable

INTERVAL = 10.0  # a look is cheap (a dict's length); only a drop costs a collection
ENV_VAR = "KAM_JANITOR"
log = logging.getLogger("kamwarroom")
_started = threading.Lock()
_thread: threading.Thread | None = None


def _trim() -> Callable[[int], int] | None:
    with contextlib.suppress(OSError, AttributeError):
        return ctypes.CDLL("libc.so.6").malloc_trim  # glibc only; elsewhere nothing to trim
    return None


def _session_count() -> int | None:
    """Sessions Streamlit holds (active + kept for reconnect); None outside a server (AppTest)."""
    from streamlit.runtime import Runtime

    if not Runtime.exists() or type(Runtime.instance()) is not Runtime:  # AppTest installs a mock
        return None
    manager = getattr(Runtime.instance(), "_session_mgr", None)
    if manager is None:
        return None
    return len(manager.list_sessions())


def sweep(previous: int | None) -> int | None:
    """One look: collect and trim if fewer sessions than `previous`. Returns the count now."""
    now = _session_count()
    if now is not None and previous is not None and now < previous:
        gc.collect()
        trim = _trim()
        if trim is not None:
            trim(0)
    return now


def _loop() -> None:
    previous = None
    while True:
        time.sleep(INTERVAL)
        try:
            previous = sweep(previous)
        except Exception:  # noqa: BLE001 - the janitor must never take the server down
            log.exception("memory janitor")


def start() -> None:
    """Start the janitor once per process (inside a running server only; idempotent)."""
    global _thread
    if os.environ.get(ENV_VAR) == "0" or _session_count() is None:
        return
    with _started:
        if _thread is None:
            _thread = threading.Thread(target=_loop, name="kam-memory-janitor", daemon=True)
            _thread.start()
            log.info("memory janitor started (every %.0f s)", INTERVAL)
