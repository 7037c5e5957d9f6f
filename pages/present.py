"""Presentation mode: the huddle on the shared screen, one section per screen, readable across the room.

Every laptop that opens the same link (/present?huddle=N) follows the shared
screen: the position lives in SQLite (kamcore.huddle.shared_screen) and a small
fragment polls its version every few seconds.
"""

import streamlit as st

from kamcore import accounts, clock
from kamcore.errors import KamError
from kamcore.huddle import agenda, huddles, shared_screen, what_changed
from kamcore.i18n import choice_label
from kamui import context
from kamui.editing import attempt, show_error

page = context.page()
MAX_LINES = 7
POLL_SECONDS = 2
STYLE = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], header[data-testid="stHeader"] {display: none;}
.block-container {padding-top: 1.2rem; padding-bottom: 0.5rem; max-width: 100%;}
.stApp {background: #0b0f19;}
.stApp, .stApp p, .stApp li, .stApp span, .stApp label {color: #ffffff;}
.stMarkdown p, .stMarkdown li {font-size: 2.05rem; line-height: 1.3;}
.stMarkdown li {margin-bottom: 0.35rem;}
.stApp h1 {font-size: 1.6rem; color: #8ecae6; padding: 0;}
.stApp h2 {font-size: 3.1rem; color: #ffd166; padding: 0.2rem 0;}
.stApp a {color: #ffd166;}
.stButton button {font-size: 1.6rem; padding: 0.4rem 2rem; background: #ffd166; color: #0b0f19; border: none;}
.stButton button p {color: #0b0f19; font-size: 1.6rem; font-weight: 700;}
[data-testid="stCaptionContainer"] p {font-size: 1.3rem; color: #cfd8e3;}
[data-testid="stWidgetLabel"] p, .stCheckbox p {font-size: 1.3rem;}
.stButton button:disabled {opacity: 0.35;}
</style>
"""
ICON = {"critical": ":red[●]", "warning": ":orange[●]", "info": ":blue[●]"}  # glyphs every font has

st.title(page.t("present.title"))
if page.account_id is None:
    st.info(page.t("account.none_selected"))
    st.stop()
try:
    huddle = huddles.require_huddle(page.db, page.user, st.query_params.get("huddle"))
except KamError as exc:
    show_error(exc)
    huddle = None
if huddle is None:
    latest = huddles.list_huddles(page.db, page.user, page.account_id, limit=1)
    if not latest:
        st.info(page.t("present.none"))
        st.stop()
    huddle = latest[0]
hid = huddle["id"]
st.query_params["huddle"] = str(hid)
st.markdown(STYLE, unsafe_allow_html=True)

order = shared_screen.steps(huddle)
shared = shared_screen.current(page.db, page.user, hid)
follow = st.session_state.get("present.follow", True)
if follow:
    account_id, section = shared["account_id"], shared["section"]
    st.session_state["present.local"] = order.index((account_id, section)) if (account_id, section) in order else 0
else:
    account_id, section = order[min(st.session_state.get("present.local", 0), len(order) - 1)]
if follow and account_id != page.account_id:  # the URL follows the account on the shared screen
    st.query_params["account"] = str(account_id)


def short(text: str, limit: int = 95) -> str:
    """One line on a 1920-pixel screen at presentation size."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def lines_for(account: int, name: str) -> list[str]:
    """The bullet lines of one screen."""
    if name == "changes":
        items = what_changed.feed(page.db, page.user, [account], huddle["since"], page.lang, clock.today())
        return [f"{':orange[▲] ' if item.highlight else ''}" + (short(item.lines[-1].text) if item.created else
                f"**{short(item.title, 40)}** — {short(item.lines[-1].text, 60)}") for item in items if item.lines]
    if name in ("late", "risks"):
        built = agenda.build(page.db, page.user, [account], clock.today())
        keys = ("overdue", "due") if name == "late" else ("flags", "closing", "behind")
        return [f"{ICON.get(i.severity, '')} **{short(i.display_title(page.lang), 50)}** — "
                f"{short(' · '.join(b for b in (i.due or '', i.owner_name, i.detail, i.display_lesson(page.lang)) if b) or page.t(i.kind), 50)}"
                for key in keys for i in built[key]]
    items = [i for i in huddles.list_items(page.db, page.user, hid) if i["account_id"] == account]
    return [f":green[✔] {short(i['text'])}" if i["kind"] == "decision" else
            f":orange[→] {short(i['text'], 60)} — **{i['owner_name']}**, {i['due_on']} "
            f"({choice_label('item_status', i['status'], page.lang)})" for i in items]


name = accounts.get_account(page.db, page.user, account_id)["name"]
position = order.index((account_id, section)) if (account_id, section) in order else 0
st.markdown(f"## {name} · {page.t(f'present.section.{section}')}")
st.caption(page.t("present.step", n=position + 1, total=len(order)) + " · " +
           (huddle["title"] or huddle["held_on"]))
lines = lines_for(account_id, section)
if not lines:
    st.markdown(page.t("present.nothing"))
st.markdown("\n".join(f"- {line}" for line in lines[:MAX_LINES]))
if len(lines) > MAX_LINES:
    st.caption(page.t("present.more", count=len(lines) - MAX_LINES))

prev, nxt, toggle = st.columns([1, 1, 2])


def move(delta: int) -> None:
    """Step the shared screen (or only this laptop when not following)."""
    if st.session_state.get("present.follow", True):
        attempt(lambda: shared_screen.step(page.db, page.user, hid, delta))
    else:
        st.session_state["present.local"] = max(0, min(len(order) - 1, position + delta))


prev.button(page.t("present.prev"), key="present.prev", on_click=move, args=(-1,), disabled=position == 0)
nxt.button(page.t("present.next"), key="present.next", on_click=move, args=(1,), disabled=position >= len(order) - 1)
toggle.toggle(page.t("present.follow"), value=True, key="present.follow")


@st.fragment(run_every=POLL_SECONDS)
def follow_the_presenter(seen: int) -> None:
    """Re-render the whole page when someone moves the shared screen."""
    if st.session_state.get("present.follow", True) and shared_screen.version(page.db, hid) != seen:
        st.rerun(scope="app")


follow_the_presenter(shared["version"])
