"""The paging control of the executive lists: sort key, direction and page, kept per list.

`sort_controls(key)` (above the list) and `window(key)` give the arguments of
`kamcore.portfolio.overview.page_ids`; `page_picker(key, total)` (below the list) draws the
page number. The page only ever asks kamcore for the rows it shows.
"""

from __future__ import annotations

import streamlit as st

from kamcore.portfolio import overview
from kamui.context import tr


def sort_controls(key: str) -> tuple[str, bool]:
    """Sort key and direction."""
    cols = st.columns([2, 1, 3])
    names = {k: tr(f"paging.sort.{k}") for k in overview.SORTS}  # fixed now: the label must not depend on when
    sort = cols[0].selectbox(tr("paging.sort"), list(names), key=f"{key}.sort", format_func=names.__getitem__)
    descending = cols[1].toggle(tr("paging.descending"), key=f"{key}.desc")
    return sort, descending


def window(key: str, size: int = overview.PAGE_SIZE) -> tuple[int, int]:
    """(limit, offset) of the page chosen last time (page_ids clamps it to the last page)."""
    return size, (max(1, int(st.session_state.get(f"{key}.page", 1))) - 1) * size


def page_picker(key: str, total: int, size: int = overview.PAGE_SIZE) -> None:
    """The page number (when there is more than one page) and "1–25 of 2,000 accounts"."""
    pages = max(1, -(-total // size))
    if st.session_state.get(f"{key}.page", 1) > pages:
        st.session_state[f"{key}.page"] = pages
    number = 1
    if pages > 1:
        number = int(st.number_input(tr("paging.page"), 1, pages, key=f"{key}.page", step=1))
    if total:
        first = (min(number, pages) - 1) * size
        st.caption(tr("paging.of", first=first + 1, last=min(first + size, total), total=f"{total:,}"))
