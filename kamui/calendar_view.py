"""Calendar pieces of the pages: the `.ics` download of an account's events, and the personal feed panel.
Both files are built only when their button is pressed (deferred data, in a scope and connection of their own), so
a page run pays nothing for them."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from kamcore import team_calendar
from kamcore.users import User
from kamui import context


def _account_file(actor: User, account_id: int | None, kinds: tuple[str, ...], lang: str) -> Callable[[], bytes]:
    def make() -> bytes:
        with context.scope():
            return team_calendar.account_ics(context.db(), actor, account_id, kinds, lang)
    return make


def _my_file(actor: User, lang: str) -> Callable[[], bytes]:
    def make() -> bytes:
        with context.scope():
            db = context.db()
            return team_calendar.to_ics(db, team_calendar.feed_items(db, actor), lang, f"{actor.display_name} · KAM")
    return make


def download(kinds: tuple[str, ...], key: str, where=st) -> None:
    """A download button with this account's events of these kinds (rhythm: the reader's own deadlines), titles
    in the reader's language."""
    page = context.page()
    if page.account_id is None and kinds != ("rhythm",):
        return
    where.download_button(page.t("cal.download"), _account_file(page.user, page.account_id, kinds, page.lang),
                          file_name=f"kam-{'-'.join(kinds)}-{page.account_id or 'me'}.ics", mime="text/calendar",
                          help=page.t("cal.download_help"), key=f"cal.{key}", icon=":material/calendar_add_on:",
                          on_click="ignore")


def feed_panel() -> None:
    """The person's own feed: make (or renew) the secret address, see it once, stop it; and a one-off download."""
    page = context.page()
    st.subheader(page.t("cal.feed.title"))
    st.caption(page.t("cal.feed.caption"))
    made = st.session_state.pop("cal.feed.token", None)
    if made:
        st.success(page.t("cal.feed.made"))
        st.code(team_calendar.feed_url(made), language=None)
    started = team_calendar.feed_started(page.db, page.user)
    if started is None:
        st.caption(page.t("cal.feed.none"))
    elif not made:
        st.caption(page.t("cal.feed.since", when=page.stamp(started)))
    left, middle, right = st.columns(3)
    if left.button(page.t("cal.feed.renew" if started else "cal.feed.start"), key="cal.feed.make"):
        st.session_state["cal.feed.token"] = team_calendar.start_feed(page.db, page.user)
        st.rerun()
    if started and middle.button(page.t("cal.feed.revoke"), key="cal.feed.stop"):
        team_calendar.revoke_feed(page.db, page.user)
        st.toast(page.t("cal.feed.revoked"))
        st.rerun()
    right.download_button(page.t("cal.mine"), _my_file(page.user, page.lang), file_name="kam-my-calendar.ics",
                          mime="text/calendar", key="cal.mine", on_click="ignore")
