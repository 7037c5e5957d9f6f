"""Per-run state: the database connection, the signed-in user, the language, the account.

Connection scopes
-----------------
Streamlit runs a script run, a fragment rerun and a widget callback on whatever thread serves
them, and a SQLite connection belongs to the thread that opened it. So a connection lives
exactly one *scope* and is closed when that scope ends:

- `Home.py` wraps the whole routed run in `with context.scope():` (closed in `finally`);
- `@context.fragment(...)` (instead of `@st.fragment`) gives every fragment rerun its own scope;
- `on_click=context.callback(fn, *args)` gives a widget callback its own scope;
- a page file run on its own (AppTest's `switch_page`, which skips `Home.py`) gets a scope from
  `context.page()` that closes when Streamlit reports the end of that run.

`context.db()` returns the current scope's connection, opened on first use. Outside any scope it
raises when so configured (KAM_DEBUG=1 or KAM_STRICT_SCOPES=1, as tests/conftest.py sets); in production it logs a warning
and opens a scope that closes with the current run, so a forgotten wrapper costs a log line,
not a crash. Either way a connection is never reused on another thread and nothing keeps one
alive after its run. `PageContext` holds no connection either; its
`db` attribute reads the current scope's.

The fragment and callback wrappers are also the error boundary: an unexpected exception is
logged with a short reference and the user sees the friendly message quoting it, never a
traceback (tests set KAM_DEBUG=1 to let it through).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import secrets
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st
from sqlite_utils import Database
from streamlit.runtime.pages_manager import PagesManager
from streamlit.runtime.scriptrunner_utils.exceptions import ScriptControlException
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

from kamcore import accounts, clock, demo, permissions, sessions, settings, store, time_zones, users
from kamcore.errors import KamError
from kamcore.i18n import t
from kamcore.users import User
from kamui import janitor

log = logging.getLogger("kamwarroom")
if not log.handlers:  # the server log (stderr): time, level, and the reference users quote
    _handler = logging.StreamHandler()
    _handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log.addHandler(_handler)
    log.setLevel(logging.INFO)
    log.propagate = False

_local = threading.local()  # .scopes: this thread's open scopes, innermost last


@st.cache_resource(show_spinner=False)
def _prepared(path: str) -> bool:
    """Once per process and database: migrate, and fill the default database with the demo.
    Also starts the server's memory janitor (kamui/janitor.py; once per process)."""
    janitor.start()
    db = store.connect(path)
    try:
        if Path(path) == store.DEFAULT_PATH and store.is_empty(db):
            demo.build(db)
    finally:
        db.close()
    return True


class ScopeError(RuntimeError):
    """`context.db()` was called where no scope is open (a programming error)."""


class _Scope:
    """The connections one run, fragment rerun or callback opened; all closed together."""

    def __init__(self) -> None:
        self.conns: dict[str, Database] = {}
        self.thread = threading.get_ident()

    def connection(self, path: str) -> Database:
        if path not in self.conns:
            _prepared(path)
            self.conns[path] = store.connect(path)
        return self.conns[path]

    def close(self) -> None:
        conns, self.conns = self.conns, {}
        for conn in conns.values():
            with contextlib.suppress(Exception):
                conn.conn.close()


def _scopes() -> list[_Scope]:
    found = getattr(_local, "scopes", None)
    if found is None:
        found = _local.scopes = []
    return found


@contextlib.contextmanager
def scope() -> Iterator[None]:
    """A connection scope around a unit of work on this thread. Nested scopes share the outer
    one's connection (a fragment's first run happens inside the page run that draws it)."""
    stack = _scopes()
    if stack:
        yield
        return
    own = _Scope()
    stack.append(own)
    try:
        yield
    finally:
        stack.remove(own)
        own.close()


def in_scope() -> bool:
    """True when `db()` may be called on this thread."""
    return bool(_scopes())


def db() -> Database:
    """The current scope's connection (opened on first use, closed when the scope ends)."""
    stack = _scopes()
    if not stack:
        problem = ("context.db() outside a connection scope: run it inside Home.py's run, "
                   "a @context.fragment, or a callback wrapped with context.callback(...)")
        if _strict() or get_script_run_ctx() is None:
            raise ScopeError(problem)
        # Production safety net for a fragment or callback not (yet) wrapped: a scope that
        # closes when this run ends, and a warning naming the mistake.
        log.warning("%s; opening a scope for the rest of this run", problem, stack_info=True)
        _run_scope()
        stack = _scopes()
    return stack[-1].connection(str(store.database_path()))


def _strict() -> bool:
    """With KAM_DEBUG=1 or KAM_STRICT_SCOPES=1 (tests set both) a missing scope is an error."""
    configured = settings.current()
    return configured.debug or configured.strict_scopes


def _run_scope() -> None:
    """Open a scope that ends with the current script run (a page file run without Home.py).

    The end of a run is Streamlit's ScriptRunner `on_event` signal (SCRIPT_STOPPED_* /
    FRAGMENT_STOPPED_* / SHUTDOWN, sent on the script thread). The runner is reached through
    the run context's enqueue method, which is bound to it. Should a future Streamlit hide it,
    the scope is closed at the start of the next scope on this thread instead (one connection
    kept per idle script thread at most) — see `_close_orphans`.
    """
    _close_orphans()
    own = _Scope()
    _scopes().append(own)
    runner = getattr(getattr(get_script_run_ctx(), "_enqueue", None), "__self__", None)
    signal = getattr(runner, "on_event", None)
    if signal is None:
        own.orphan_ok = True  # type: ignore[attr-defined]
        return

    def finished(sender: Any, event: Any = None, **_: Any) -> None:
        name = getattr(event, "name", "")
        if not (name.startswith(("SCRIPT_STOPPED", "FRAGMENT_STOPPED")) or name == "SHUTDOWN"):
            return
        if threading.get_ident() != own.thread:  # pragma: no cover - Streamlit sends these on the script thread
            return
        with contextlib.suppress(Exception):
            signal.disconnect(finished)
        with contextlib.suppress(ValueError):
            _scopes().remove(own)
        own.close()

    signal.connect(finished, weak=False)


def _close_orphans() -> None:
    stack = _scopes()
    for stale in [s for s in stack if getattr(s, "orphan_ok", False)]:
        stack.remove(stale)
        stale.close()


def debug() -> bool:
    """Tests set KAM_DEBUG=1 so unexpected errors surface instead of a friendly message."""
    return settings.current().debug


def report_unexpected(where: str) -> str:
    """Log the exception being handled with a short reference; show the friendly message quoting it."""
    ref = secrets.token_hex(4)
    log.exception("Unexpected error [ref %s] in %s", ref, where)
    st.error(tr("shell.unexpected_ref", ref=ref))
    return ref


@contextlib.contextmanager
def boundary(where: str) -> Iterator[None]:
    """The error boundary: a refusal (KamError) is shown as such, anything else is logged with
    a reference and shown as the friendly message. Streamlit's rerun/stop pass through."""
    from kamui.editing import show_error

    try:
        yield
    except ScriptControlException:
        raise
    except KamError as exc:
        show_error(exc)
    except Exception:
        if debug():
            raise
        report_unexpected(where)


def fragment(func: Callable[..., Any] | None = None, *, run_every: Any = None, **options: Any) -> Any:
    """`@st.fragment` with its own connection scope and the error boundary around every rerun."""

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def body(*args: Any, **kwargs: Any) -> Any:
            with scope(), boundary(f"fragment {fn.__qualname__}"):
                return fn(*args, **kwargs)
            return None

        return st.fragment(body, run_every=run_every, **options)

    return wrap(func) if func is not None else wrap


def callback(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Callable[[], None]:
    """A widget callback (`on_click=`/`on_change=`) run in its own scope behind the error boundary.

    Callbacks run at the start of the next run, before Home.py, possibly on another thread:
    inside, use `context.db()` (or a PageContext's `.db`, which reads the current scope).
    What a callback shows appears at the top of the page of the run that follows it.
    """

    @functools.wraps(fn)
    def run() -> None:
        with scope(), boundary(f"callback {getattr(fn, '__qualname__', fn)}"):
            fn(*args, **kwargs)

    return run


def lang() -> str:
    """The UI language chosen in the sidebar (default: the user's preference, else English)."""
    return st.session_state.get("lang", "en")


def zone() -> str:
    """The signed-in reader's time zone (their own, else the company's); the company's when nobody is."""
    user_id = st.session_state.get("user_id")
    own = time_zones.own_zone(db(), user_id) if user_id is not None else None
    return own or time_zones.company_zone(db())


def tr(key: str, **params: Any) -> str:
    """Translate `key` into the current UI language."""
    return t(key, lang(), **params)


def current_user() -> User | None:
    """The signed-in user, re-read from the database each run (a deactivated user is signed out).

    After a page reload Streamlit's session state is empty; the session cookie set at sign-in
    brings the user back.
    """
    user_id = st.session_state.get("user_id")
    if user_id is None:
        token = st.context.cookies.get(sessions.COOKIE)
        user = sessions.resume(db(), token)
        if user is None:
            return None
        st.session_state["user_id"] = user.id
        st.session_state["_session_token"] = token
        st.session_state.setdefault("_pending_lang", user.lang)
        return user
    token = st.session_state.get("_session_token")
    if token is not None and getattr(sessions.resume(db(), token), "id", None) != user_id:
        # the session ended elsewhere: a password reset or change, a sign-out in another tab, a restore
        for key in ("user_id", "_session_token", "account_id"):
            st.session_state.pop(key, None)
        st.session_state["_session_ended"] = True
        st.session_state["_cookie_op"] = ("clear", "")
        return None
    try:
        row = users.get_user_row(db(), user_id)
    except KamError:  # the user was removed: signed out
        row = None
    if row is None or not row["active"]:
        st.session_state.pop("user_id", None)
        return None
    return users.get_user(db(), user_id)


@dataclass(frozen=True)
class PageContext:
    """What a page needs: who is acting, the language, the account in view — and `db`, the
    connection of whatever scope is running now (never one captured from an earlier run)."""

    user: User
    lang: str
    account_id: int | None
    zone: str = "UTC"  # the reader's time zone: their own, else the company's (kamcore.time_zones)

    @property
    def db(self) -> Database:
        return db()

    def t(self, key: str, **params: Any) -> str:
        """Translate into this page's language."""
        return t(key, self.lang, **params)

    def stamp(self, moment: Any) -> str:
        """A stored moment as this reader reads it: their zone and language (`clock.stamp`)."""
        return clock.stamp(moment, self.lang, self.zone)

    def day(self, day: Any) -> str:
        """A date as this reader reads it (`clock.day_text`)."""
        return clock.day_text(day, self.lang, self.zone)


def page() -> PageContext:
    """The context set up by Home.py for the page being run."""
    from kamui.editing import show_flash

    if PagesManager.uses_pages_directory and st.context.headers.get("Host"):
        # Until Home.py has called st.navigation once in this server process, Streamlit runs a
        # browser's deep link straight from pages/ (its legacy pages-directory mode). Leave that
        # mode the way st.navigation does and rerun, so the router draws this same URL.
        # (AppTest has no request headers and runs switched-to pages on their own by design.)
        PagesManager.uses_pages_directory = False
        st.rerun()
    if not in_scope():  # a page file run on its own (AppTest): a scope for the rest of this run
        _run_scope()
    user = current_user()
    if user is None:  # only reachable when a page file is run on its own (AppTest)
        st.switch_page("Home.py", query_params=st.query_params.to_dict())
    show_flash()
    return PageContext(user, lang(), _account_in_view(user), time_zones.reader_zone(db(), user))


def _account_in_view(user: User) -> int | None:
    """The account chosen in the sidebar; a newer valid ?account= (set by this page) wins."""
    chosen = st.session_state.get("account_id")
    linked = accounts.parse_account_id(st.query_params.get("account"))
    if linked is None or linked == chosen:
        return chosen
    try:
        permissions.require_read(db(), user, linked)
    except KamError:
        return chosen
    st.session_state["account_id"] = linked
    return linked
