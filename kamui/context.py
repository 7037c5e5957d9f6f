"""Per-run state: the database connection, the signed-in user, the language, the account."""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st
from sqlite_utils import Database
from streamlit.runtime.pages_manager import PagesManager

from kamcore import accounts, demo, permissions, sessions, store, users
from kamcore.errors import KamError
from kamcore.i18n import t
from kamcore.users import User

log = logging.getLogger("kamwarroom")
_local = threading.local()


@st.cache_resource(show_spinner=False)
def _prepared(path: str) -> bool:
    """Once per process and database: migrate, and fill the default database with the demo."""
    db = store.connect(path)
    try:
        if Path(path) == store.DEFAULT_PATH and store.is_empty(db):
            demo.build(db)
    finally:
        db.close()
    return True


def db() -> Database:
    """This thread's connection (Streamlit runs each session's script in its own thread)."""
    path = str(store.database_path())
    _prepared(path)
    conns: dict[str, Database] = _local.__dict__.setdefault("conns", {})
    if path not in conns:
        conns[path] = store.connect(path)
    return conns[path]


def lang() -> str:
    """The UI language chosen in the sidebar (default: the user's preference, else English)."""
    return st.session_state.get("lang", "en")


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
    try:
        row = users.get_user_row(db(), user_id)
    except KamError:  # the user was removed: signed out
        row = None
    if row is None or not row["active"]:
        st.session_state.pop("user_id", None)
        return None
    return users.get_user(db(), user_id)


def debug() -> bool:
    """Tests set KAM_DEBUG=1 so unexpected errors surface instead of a friendly message."""
    return os.environ.get("KAM_DEBUG") == "1"


@dataclass(frozen=True)
class PageContext:
    """What a page needs: the connection, who is acting, the language, and the account in view."""

    db: Database
    user: User
    lang: str
    account_id: int | None

    def t(self, key: str, **params: Any) -> str:
        """Translate into this page's language."""
        return t(key, self.lang, **params)


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
    user = current_user()
    if user is None:  # only reachable when a page file is run on its own (AppTest)
        st.switch_page("Home.py", query_params=st.query_params.to_dict())
    show_flash()
    return PageContext(db(), user, lang(), _account_in_view(user))


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
