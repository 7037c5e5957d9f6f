"""Long work behind one button (export, backup, import commit): a progress bar that moves as kamcore
reports `progress(done, total)`, the button disabled while the work runs, and a repeated click that can
neither start the work a second time nor turn its success into an error.

How: every drawing of the button carries a ticket (in its widget key). A click asks for the work of
that ticket; the work runs while the ticket is asked for and not yet finished, then the ticket is
spent and a new button is drawn. A second click on the same drawing asks for the same ticket:
if the first run is still going, Streamlit stops it and the rerun continues the same piece of work
(kamcore's work is all-or-nothing, so a stopped run leaves nothing half-written); if it has finished,
the ticket is spent and nothing runs again. A click on a button drawn before is a spent ticket too.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st

from kamcore.errors import KamError
from kamui import context
from kamui.editing import show_error

T = TypeVar("T")
Progress = Callable[[int, int], None]


def _ticket(key: str) -> str:
    return st.session_state.setdefault(f"{key}._ticket", secrets.token_urlsafe(8))


def _ask(key: str, ticket: str) -> None:
    st.session_state[f"{key}._asked"] = ticket


def running(key: str) -> bool:
    """True while the work behind button `key` has been asked for and has not finished."""
    return st.session_state.get(f"{key}._asked") == _ticket(key)


def button(key: str, label: str, work: Callable[[Progress], T], *, working: str, where: Any = st,
           disabled: bool = False, kind: str = "primary") -> tuple[bool, T | None] | None:
    """Draw the button; when its work is asked for, run `work(progress)` under a progress bar.

    Returns None when nothing ran in this script run, (True, result) when the work finished, and
    (False, None) when kamcore refused it (the reason is already shown). `working` is the bar's text.
    """
    ticket = _ticket(key)
    busy = running(key)
    where.button(label, key=f"{key}.{ticket}", type=kind, disabled=disabled or busy,
                 on_click=context.callback(_ask, key, ticket))
    if not busy:
        return None
    bar = where.progress(0.0, text=working)
    shown = [-1]

    def progress(done: int, total: int) -> None:
        share = min(max(done / total, 0.0), 1.0) if total else 1.0
        percent = int(share * 100)
        if percent != shown[0]:  # one message to the browser per percent, not per row
            shown[0] = percent
            bar.progress(share, text=f"{working} {percent}%")

    try:
        result = work(progress)
    except KamError as exc:
        st.session_state[f"{key}._ticket"] = secrets.token_urlsafe(8)
        show_error(exc)
        return False, None
    st.session_state[f"{key}._ticket"] = secrets.token_urlsafe(8)
    progress(1, 1)
    return True, result
