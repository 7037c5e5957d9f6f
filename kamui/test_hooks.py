"""A page that exists only when KAM_TEST_HOOKS=1: errors and database reads inside a fragment
and a callback, for the browser tests of the error boundary and of connection lifetimes.

Never registered in production (Home.py checks the variable); its texts are plain English on
purpose, as nobody but a test sees them.
"""

from __future__ import annotations

import streamlit as st

from kamcore import settings, users
from kamcore.text import plain
from kamui import context


def enabled() -> bool:
    return settings.current().test_hooks


class PlantedError(RuntimeError):
    """The error the hooks raise on purpose."""


def _count_users() -> int:
    return len(users.list_users(context.db()))


def _explode(where: str) -> None:
    _count_users()
    raise PlantedError(f"planted failure in {where} — SECRET-TRACEBACK-MARKER")


def _touch() -> None:
    st.session_state["hooks.touched"] = st.session_state.get("hooks.touched", 0) + _count_users()


@context.fragment(run_every=1)
def _polling() -> None:
    st.caption(f"fragment read {_count_users()} users")


@context.fragment
def _fragment_box() -> None:
    if st.button("Break inside the fragment", key="hooks.fragment_break"):
        _explode("fragment")
    st.caption("fragment ready")


def render() -> None:
    page = context.page()
    st.header("Test hooks")
    st.caption(f"{plain(page.user.display_name)} · touched {st.session_state.get('hooks.touched', 0)}")
    st.button("Touch in a callback", key="hooks.touch", on_click=context.callback(_touch))
    st.button("Break in a callback", key="hooks.callback_break", on_click=context.callback(_explode, "callback"))
    _fragment_box()
    _polling()
