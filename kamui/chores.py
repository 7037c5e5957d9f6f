"""One way to do each page chore, so every page behaves alike.

- `open_page(title_key, caption_key=None, needs_account=True)`: the page opening — context, title,
  caption, and (when the page is about one account) a clear "pick an account" stop.
- `act(write, success, select=None)`: run a kamcore write; a refusal is shown and the user's input
  stays on screen; a success is flashed, the record just written becomes the picked one, and the
  page reruns in the same place.
- `labels(kind)`: the `format_func` for a choice (stage, status, role…): its translated label,
  never its key; blanks read "—".
- `pick(key, options, label, param=None)`: a "pick one" selector whose choice follows, in this
  order, the record just created (`act(..., select=key)`), the URL `?param=`, then the user's last
  pick; the URL is kept in step so a link names the record on screen.
- `tabs(labels, key)`: tabs that keep the open tab across reruns (saving never throws the page
  back to the first tab).
- `plain(text)`: `kamcore.text.plain`, the one way to put user text (and `?account=`) into Markdown,
  labels included.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any

import streamlit as st

from kamcore.errors import KamError
from kamcore.i18n import choice_label
from kamcore.text import plain as plain  # the one escaper, passed on to the pages: user text in Markdown
from kamui import context
from kamui.context import PageContext, lang, tr
from kamui.editing import flash, show_error

BLANK = "—"


def open_page(title_key: str, caption_key: str | None = None, *, needs_account: bool = True,
              **caption_params: Any) -> PageContext:
    """The page's context after drawing its title (and caption); stops with a hint when the page
    needs an account and none is chosen."""
    page = context.page()
    st.title(page.t(title_key))
    if caption_key:
        st.caption(page.t(caption_key, **caption_params))
    if needs_account and page.account_id is None:
        st.info(page.t("page.pick_account"))
        st.stop()
    return page


def act(write: Callable[[], Any], success: str, *, select: str | None = None,
        id_of: Callable[[Any], Hashable] = lambda row: row["id"]) -> Any:
    """Run `write`. Refused: show why and return None (the form keeps the user's input). Done: flash
    `success`, make the written record the pick of selector `select`, and rerun."""
    try:
        result = write()
    except KamError as exc:
        show_error(exc)
        return None
    if select is not None:
        st.session_state[_chosen_key(select)] = id_of(result)
    flash(success)
    st.rerun()
    return result  # not reached: st.rerun() raises; kept for readers and type checkers


def labels(kind: str) -> Callable[[Any], str]:
    """`format_func` for a choice: the translated label of each value, "—" for a blank."""
    current = lang()

    def label(value: Any) -> str:
        return BLANK if value is None or value == "" else choice_label(kind, value, current)
    return label


def _chosen_key(key: str) -> str:
    return f"_chosen.{key}"


def pick(key: str, options: Sequence[Hashable], label: Callable[[Any], str], *, param: str | None = None,
         where: Any = st, title: str | None = None) -> Any:
    """A selectbox over `options` whose choice is the record on screen (see the module docstring).
    Returns the chosen option, or None when there are no options."""
    if not options:
        return None
    state = st.session_state
    just_made = state.pop(_chosen_key(key), None)
    linked = st.query_params.get(param) if param else None
    seen = state.get(f"_seen_param.{key}")
    if just_made in options:
        state[key] = just_made
    elif linked is not None and linked != seen:
        match = next((o for o in options if str(o) == linked), None)
        if match is not None:
            state[key] = match
    # assigned on every run, so the browser is sent the choice with its label in the reader's language (a
    # selectbox keeps the label it last showed: after a switch to 中文 it would still read "Open")
    state[key] = state.get(key) if state.get(key) in options else options[0]
    choice = where.selectbox(title or tr("page.pick"), list(options), format_func=label, key=key)
    if param:
        st.query_params[param] = str(choice)
        state[f"_seen_param.{key}"] = str(choice)
    return choice


def tabs(names: Sequence[str], key: str, *, lazy: bool = False) -> Sequence[Any]:
    """`st.tabs` that stays on the open tab across reruns. `lazy=True`: a click on a tab reruns the page,
    and the page draws only the tab whose `.open` is true (for a tab whose content is expensive)."""
    return st.tabs(list(names), key=key, on_change="rerun" if lazy else "ignore")
