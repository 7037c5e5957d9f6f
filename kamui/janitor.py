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
number went down since the last look — sessions have really ended — it drops what Streamlit
left behind for them (their st.dataframe row sources: an expired session is not shut down, so
nothing else releases them), runs one full collection and `malloc_trim(0)`. Nothing happens while sessions merely come and go, and never
on a script thread.

A dropped session that is still alive after that collection is held from outside, and then its
contents are emptied (session state, fragments, queued messages). The one holder found
(scripts/memprobe.py KAM_PROBE_CHAINS): Streamlit's Runtime loop (`Runtime._loop_coroutine`, the
coroutine of `Runtime._loop_coroutine_task`) keeps its `for active_session_info in
list_active_sessions()` loop variable after the loop — the last session it flushed — until the next
flush, i.e. until another user's run sends something. Through that session's widget metadata (a
`format_func` lambda of a page) the page's whole module namespace stayed: its PageContext, its
closed Database, its DataFrames and figures. KAM_JANITOR=0 turns it off (the connections test does: database handles
must come back without any collection).
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import logging
import threading
import time
import weakref
from collections.abc import Callable

from kamcore import settings

INTERVAL = 10.0  # a look is cheap (a dict's length); only a drop costs a collection
log = logging.getLogger("kamwarroom")
_started = threading.Lock()
_thread: threading.Thread | None = None
_seen: dict[str, weakref.ref] = {}  # sessions the janitor has seen, weakly: which of them outlive their end


def _trim() -> Callable[[int], int] | None:
    with contextlib.suppress(OSError, AttributeError):
        return ctypes.CDLL("libc.so.6").malloc_trim  # glibc only; elsewhere nothing to trim
    return None


def _runtime():
    from streamlit.runtime import Runtime

    if not Runtime.exists() or type(Runtime.instance()) is not Runtime:  # AppTest installs a mock
        return None
    return Runtime.instance()


def _sessions() -> dict[str, object] | None:
    """Sessions Streamlit holds by id (active + kept for reconnect; asking drops the expired ones);
    None outside a server (AppTest)."""
    runtime = _runtime()
    manager = getattr(runtime, "_session_mgr", None)
    if manager is None:
        return None
    return {info.session.id: info.session for info in manager.list_sessions()}


def _session_ids() -> set[str] | None:
    sessions = _sessions()
    return None if sessions is None else set(sessions)


def _ended(sessions: dict[str, object]) -> list[weakref.ref]:
    """Remember the sessions held now (weakly); return the remembered ones Streamlit no longer holds."""
    gone = [_seen.pop(sid) for sid in list(_seen) if sid not in sessions]
    for sid, session in sessions.items():
        if sid not in _seen:
            with contextlib.suppress(TypeError):
                _seen[sid] = weakref.ref(session)
    return gone


def empty_session(session: object) -> bool:
    """Drop what an ended session still holds — session state (widget values and metadata with their
    callbacks and format functions, which close over the page's namespace), fragments, queued
    messages — so that whatever keeps the session object itself keeps only an empty shell."""
    emptied = False
    # SessionState.clear() leaves the widgets' metadata (WStates.widget_metadata: each widget's
    # serde with its format_func/callback, i.e. the page's closures) in place: clear it first
    widgets = getattr(getattr(session, "_session_state", None), "_new_widget_state", None)
    metadata = getattr(widgets, "widget_metadata", None)
    if isinstance(metadata, dict):
        metadata.clear()
        emptied = True
    for part in ("_session_state", "_fragment_storage", "_browser_queue"):
        clear = getattr(getattr(session, part, None), "clear", None)
        if clear is not None:
            with contextlib.suppress(Exception):
                clear()
                emptied = True
    return emptied


def _session_count() -> int | None:
    ids = _session_ids()
    return None if ids is None else len(ids)


def forget_gone_sessions(known: set[str]) -> int:
    """Drop the st.dataframe row sources (each holds its DataFrame) of sessions Streamlit no longer
    knows. Streamlit 1.67 clears them when a session shuts down, but a session that expires after
    its reconnect window is dropped without shutting down, so its sources stayed for good
    (memprobe: 50 DataFrames of 10 gone users). Returns how many sessions were forgotten."""
    sources = getattr(_runtime(), "dataframe_source_mgr", None)
    by_session = getattr(sources, "_sources_by_session_and_coord", None)
    if by_session is None:
        return 0
    gone = [sid for sid in list(by_session) if sid not in known]
    for sid in gone:
        sources.clear_session_refs(sid)
    if gone:
        sources.remove_orphaned_sources()
    return len(gone)


def sweep(previous: int | None) -> int | None:
    """One look: forget gone sessions' leftovers, then collect and trim if fewer sessions than
    `previous`. Returns the count now."""
    sessions = _sessions()
    ids = None if sessions is None else set(sessions)
    now = None if ids is None else len(ids)
    forgotten = forget_gone_sessions(ids) if ids is not None else 0
    ended = _ended(sessions) if sessions is not None else []
    if forgotten or ended or (now is not None and previous is not None and now < previous):
        gc.collect()
        # an ended session still alive now is held from outside (Streamlit's Runtime loop keeps the
        # last session it flushed): empty it, then collect what that frees (page namespaces are cycles)
        if sum(empty_session(session) for ref in ended if (session := ref()) is not None):
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
    if not settings.current().memory_janitor or _session_count() is None:
        return
    with _started:
        if _thread is None:
            _thread = threading.Thread(target=_loop, name="kam-memory-janitor", daemon=True)
            _thread.start()
            log.info("memory janitor started (every %.0f s)", INTERVAL)
