"""Presentation mode: the huddle on the shared screen, one slide at a time, readable across the room.

Every laptop that opens the same link (/present?huddle=N) follows the shared screen: the position
(account, section, slide, who moved it) lives in SQLite (kamcore.huddle.shared_screen) and a small
fragment polls its version every second, then reruns the page. The fragment opens its own
connection (context.fragment + context.db()); buttons act in the run that draws them, so no
connection or PageContext crosses a thread.
"""

from __future__ import annotations

import html

import streamlit as st

from kamcore import accounts, clock
from kamcore.errors import KamError
from kamcore.huddle import huddles, shared_screen
from kamcore.i18n import choice_label
from kamui import context
from kamui.editing import flash, show_error

POLL_SECONDS = 1
STYLE = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], header[data-testid="stHeader"] {display: none;}
.block-container {padding-top: 0.8rem; padding-bottom: 0.5rem; max-width: 100%;}
.stApp {background: #0b0f19;}
.stApp, .stApp p, .stApp li, .stApp span, .stApp label {color: #ffffff;}
.stApp h1 {font-size: clamp(1rem, 2.2vh, 1.5rem); color: #8ecae6; padding: 0; margin: 0;}
.stApp a {color: #ffd166;}
.kam-slide-title {font-size: clamp(1.6rem, 4.6vh, 3.2rem); color: #ffd166; font-weight: 700; line-height: 1.15;
                  margin: 0.2rem 0 0.1rem 0;}
.kam-meta {font-size: clamp(0.9rem, 1.9vh, 1.3rem); color: #cfd8e3; margin-bottom: 0.4rem;}
.kam-meta b {color: #ffffff;}
ul.kam-slide {list-style: none; padding-left: 0; margin: 0;}
ul.kam-slide li {font-size: clamp(1.05rem, 3.4vh, 2.4rem); line-height: 1.3; margin: 0 0 0.35vh 0;
                 white-space: nowrap; overflow: hidden; text-overflow: ellipsis;}
ul.kam-slide li.kam-h {color: #8ecae6; font-weight: 700; margin-top: 0.9vh; font-size: clamp(1rem, 2.6vh, 1.8rem);}
ul.kam-slide li .kam-note {color: #cfd8e3; font-size: 0.8em;}
.kam-dot {display: inline-block; width: 0.55em; height: 0.55em; border-radius: 50%; margin-right: 0.45em;
          vertical-align: middle; background: #8d99ae;}
.kam-critical {background: #ef476f;} .kam-warning {background: #ffb703;} .kam-info {background: #4cc9f0;}
.kam-done {background: #06d6a0;}
.kam-remarks {font-size: clamp(0.9rem, 2.0vh, 1.35rem); color: #e9ecef; border-top: 1px solid #33415c;
              margin-top: 0.8vh; padding-top: 0.5vh;}
.kam-remarks span.kam-role {color: #ffd166; font-weight: 700;}
.stButton button {font-size: clamp(1rem, 2.2vh, 1.5rem); padding: 0.25rem 1.2rem; background: #ffd166;
                  color: #0b0f19; border: 2px solid #ffd166;}
.stButton button p {color: #0b0f19 !important; font-size: clamp(1rem, 2.2vh, 1.5rem); font-weight: 700;}
.stButton button:not(:disabled):focus, .stButton button:not(:disabled):hover,
.stButton button:not(:disabled):active {background: #ffe299; border-color: #ffffff;}
.stButton button:disabled {background: #3d4a63; border-color: #3d4a63; opacity: 1;}
.stButton button:disabled p {color: #9aa5b8 !important;}
[data-testid="stWidgetLabel"] p {font-size: clamp(0.9rem, 1.8vh, 1.2rem); color: #ffffff;}
/* the follow toggle: a visible track and thumb on the dark background */
.stCheckbox label div[role="checkbox"], [data-baseweb="checkbox"] > div:first-child {
    background-color: #5c677d !important; border: 2px solid #ffffff !important;}
[data-baseweb="checkbox"] input:checked + div, [data-baseweb="checkbox"] [aria-checked="true"] {
    background-color: #06d6a0 !important;}
[data-baseweb="select"] > div {background: #1b263b; border: 1px solid #8ecae6;}
[data-baseweb="select"] span, [data-baseweb="select"] div {color: #ffffff;}
.stExpander summary p, .stExpander summary span {color: #ffd166;}
.stExpander {border-color: #33415c;}
[data-testid="stAlertContainer"] {background: #1b263b; border: 1px solid #8ecae6;}
</style>
"""
TONE = {"critical": "kam-critical", "warning": "kam-warning", "info": "kam-info", "done": "kam-done"}

page = context.page()
st.markdown(STYLE, unsafe_allow_html=True)
st.title(page.t("present.title"))


def nothing_to_present(message_key: str) -> None:
    """Say why there is nothing on the shared screen and what to do, with a way back (never a dead end)."""
    st.info(page.t(message_key))
    params = {"account": str(page.account_id)} if page.account_id is not None else None
    st.page_link("pages/huddle.py", label=page.t("present.to_huddle"), icon=":material/groups:", query_params=params)
    st.page_link("pages/home.py", label=page.t("present.to_home"), icon=":material/home:")
    st.stop()


if page.account_id is None:
    nothing_to_present("present.no_account")
try:
    huddle = huddles.require_huddle(page.db, page.user, st.query_params.get("huddle"))
except KamError as exc:
    show_error(exc)
    huddle = None
if huddle is None:
    latest = huddles.list_huddles(page.db, page.user, page.account_id, limit=1)
    if not latest:
        nothing_to_present("present.none")
    huddle = huddles.get_huddle(page.db, page.user, latest[0]["id"])
hid = huddle["id"]
st.query_params["huddle"] = str(hid)

order = shared_screen.steps(huddle)
names = {a: accounts.get_account(page.db, page.user, a)["name"] for a in huddles.scope_ids(huddle)}
may_present = shared_screen.can_present(page.db, page.user, huddle)
shared = shared_screen.current(page.db, page.user, hid)
follow = st.session_state.get("present.follow", True)
local_key = f"present.local.{hid}"
if follow or local_key not in st.session_state:
    st.session_state[local_key] = (shared["account_id"], shared["section"], shared["page"])
account_id, section, slide_no = st.session_state[local_key]
if (account_id, section) not in order:
    account_id, section, slide_no = order[0][0], order[0][1], 0
if follow and account_id != page.account_id:  # the URL follows the account on the shared screen
    st.query_params["account"] = str(account_id)


def move_locally(delta: int) -> None:
    """Step this laptop only (not following), with the shared screen's slide logic."""
    where, slide = order.index((account_id, section)), slide_no
    if delta > 0:
        if slide + 1 < len(slides):
            slide += 1
        elif where + 1 < len(order):
            where, slide = where + 1, 0
    elif slide > 0:
        slide -= 1
    elif where > 0:
        where -= 1
        slide = shared_screen.slide_count(page.db, page.user, huddle, *order[where]) - 1
    st.session_state[local_key] = (*order[where], slide)


def act(move) -> None:
    """Run a move (shared or local), then rerun so every part of the page shows the new slide."""
    try:
        move()
    except KamError as exc:
        show_error(exc)
        return
    st.rerun()


# --- what is on screen
lines = shared_screen.section_lines(page.db, page.user, huddle, account_id, section, page.lang, clock.today())
slides = shared_screen.paginate(lines)
slide_no = min(slide_no, len(slides) - 1)
position = order.index((account_id, section))
at_start = position == 0 and slide_no == 0
at_end = position == len(order) - 1 and slide_no == len(slides) - 1

# --- controls (top, so they never scroll away)
prev, nxt, jump, toggle, take = st.columns([1.1, 1.1, 3.2, 2.2, 2.0], vertical_alignment="bottom")
if prev.button(page.t("present.prev"), key="present.prev", disabled=at_start or (follow and not may_present),
               use_container_width=True):
    act(lambda: shared_screen.step(page.db, page.user, hid, -1) if follow else move_locally(-1))
if nxt.button(page.t("present.next"), key="present.next", disabled=at_end or (follow and not may_present),
              use_container_width=True):
    act(lambda: shared_screen.step(page.db, page.user, hid, 1) if follow else move_locally(1))

# The jump picker shows where the screen is; a choice that differs from what it last showed is a jump.
jump_key, shown_key = f"present.jump.{hid}", f"present._shown.{hid}"
picked, shown = st.session_state.get(jump_key), st.session_state.get(shown_key)
if picked is not None and shown is not None and picked != shown and picked in range(len(order)):
    target = order[picked]
    st.session_state[shown_key] = picked
    act(lambda: shared_screen.go_to(page.db, page.user, hid, *target) if follow
        else st.session_state.__setitem__(local_key, (*target, 0)))
st.session_state[jump_key] = st.session_state[shown_key] = position
jump.selectbox(page.t("present.jump"), list(range(len(order))), key=jump_key,
               format_func=lambda i: f"{names[order[i][0]]} · {page.t(f'present.section.{order[i][1]}')}",
               disabled=follow and not may_present)
toggle.toggle(page.t("present.follow"), value=True, key="present.follow")
if follow and may_present and shared["presenter_id"] != page.user.id:
    if take.button(page.t("present.take_over"), key="present.take_over", use_container_width=True):
        act(lambda: shared_screen.take_over(page.db, page.user, hid))
elif follow and shared["presenter_id"] == page.user.id:
    take.markdown(f"**{page.t('present.you_present')}**")

# --- the slide
roles = huddles.role_names(page.db, huddle)
presenter = shared["presenter_name"] or roles["presenter_id"] or "—"
moved = (page.t("present.moved_by", name=html.escape(shared["presenter_name"]), time=shared["updated_at"][11:19])
         if shared["updated_at"] else page.t("present.nobody_yet"))
title = html.escape(huddle["title"] or huddle["held_on"])
st.markdown(
    f'<div class="kam-slide-title">{html.escape(names[account_id])} · {page.t(f"present.section.{section}")}</div>'
    f'<div class="kam-meta">{title} · {page.t("present.step", n=position + 1, total=len(order))} · '
    f'{page.t("present.slide", n=slide_no + 1, total=len(slides))} · '
    f'<b data-testid="kam-presenter">{page.t("present.presenting", name=html.escape(presenter))}</b> · {moved}'
    + ("" if may_present else f" · {page.t('present.read_only')}") + "</div>",
    unsafe_allow_html=True)


def line_html(line: shared_screen.SlideLine) -> str:
    if line.heading:
        return f'<li class="kam-h">{html.escape(line.text)}</li>'
    dot = f'<span class="kam-dot {TONE.get(line.tone, "")}"></span>'
    note = f' <span class="kam-note">— {html.escape(line.note)}</span>' if line.note else ""
    return f"<li>{dot}{html.escape(line.text)}{note}</li>"


body = slides[slide_no] or []
st.markdown(
    f'<ul class="kam-slide" data-section="{account_id}:{section}:{slide_no}">'
    + ("".join(line_html(line) for line in body) or f"<li>{html.escape(page.t('present.nothing'))}</li>")
    + "</ul>", unsafe_allow_html=True)

# --- the reviewer's questions and the coach's recommendations about this section
remarks = huddles.list_remarks(page.db, page.user, hid, account_id, section)
if remarks:
    st.markdown('<div class="kam-remarks">' + "<br>".join(
        f'<span class="kam-role">{html.escape(choice_label("remark_role", r["role"], page.lang))}</span> '
        f'({html.escape(r["author"] or "—")}): {html.escape(r["text"])}'
        + (" " + html.escape(page.t("huddle.remark_is_action", owner=r["action_owner"] or "—",
                                    due=r["action_due"] or "—",
                                    status=choice_label("item_status", r["action_status"], page.lang)))
           if r["action_id"] else "") for r in remarks) + "</div>", unsafe_allow_html=True)
with st.expander(page.t("present.remarks")), st.form(f"present.remark.{hid}", clear_on_submit=True):
    role = st.radio(page.t("field.role"), huddles.REMARK_ROLES, horizontal=True, key="present.remark.role",
                    format_func=lambda r: choice_label("remark_role", r, page.lang))
    text = st.text_input(page.t("present.remark_text"), key="present.remark.text")
    if st.form_submit_button(page.t("huddle.remark_add")):
        try:
            huddles.add_remark(page.db, page.user, hid, account_id, section, role, text)
        except KamError as exc:
            show_error(exc)
        else:
            flash(page.t("huddle.remark_added"))
            st.rerun()


@context.fragment(run_every=POLL_SECONDS)
def follow_the_presenter(huddle_id: int, seen: int) -> None:
    """Re-run the whole page when someone moves the shared screen (its own connection, every second)."""
    if st.session_state.get("present.follow", True) and shared_screen.version(context.db(), huddle_id) != seen:
        st.rerun(scope="app")


follow_the_presenter(hid, shared["version"])
