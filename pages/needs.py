"""Needs iceberg (D5): an account's needs above and beneath the waterline, each judged a need or a want
(a want names the need behind it); record a need of the account or of one of its deals. The SPIN tab: every
visit preparation of the account's deals with its open/closed question funnel, to edit and add to."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from kamcore import permissions
from kamcore.decision_chain import stakeholders
from kamcore.pipeline import discovery
from kamcore.pipeline import opportunities as opp
from kamui import spin
from kamui.chores import BLANK, act, labels, open_page, pick, plain, tabs
from kamui.editing import EditableTable

page = open_page("needs.title", "needs.caption")
db, user, t, ACCOUNT = page.db, page.user, page.t, page.account_id
CAN_EDIT = permissions.can_edit(db, user, ACCOUNT)
if not CAN_EDIT:
    st.caption(t("shell.read_only"))
level_label, nature_label = labels("need_level"), labels("nature")
needs = discovery.list_account_needs(db, user, ACCOUNT)
ice = discovery.iceberg(needs)
DEALS = {d["id"]: f"{d['number']} · {d['name']}" for d in opp.list_opportunities(db, user, ACCOUNT, status="open")}


def where(need: dict) -> str:
    """The deal a need hangs off, or the account itself."""
    return f"{need['deal_number']} · {need['deal_name']}" if need["opportunity_id"] else t("needs.account_itself")


def judged(need: dict) -> str:
    """'Need', 'Want (behind it: …)' or 'Not judged yet'."""
    if need["nature"] is None:
        return "" if need["level"] == "criterion" else t("nature.unjudged")
    text = nature_label(need["nature"])
    return f"{text} — {t('needs.behind', need=need['need_behind'])}" if need["need_behind"] else text


def iceberg_chart() -> None:
    """One column per place (the account, each deal): visible needs rise above the waterline, hidden ones
    sink beneath it."""
    rows = [{"where": where(n), "side": t("needs.hidden" if n["level"] == "implicit" else "needs.visible"),
             "count": -1 if n["level"] == "implicit" else 1} for n in needs]
    frame = pd.DataFrame(rows).groupby(["where", "side"], as_index=False)["count"].sum()
    bars = alt.Chart(frame).mark_bar().encode(
        x=alt.X("where:N", title=None, axis=alt.Axis(labelAngle=0, labelLimit=220)),
        y=alt.Y("count:Q", title=t("needs.count"), axis=alt.Axis(labelExpr="abs(datum.value)", tickMinStep=1)),
        color=alt.Color("side:N", title=None, scale=alt.Scale(
            domain=[t("needs.visible"), t("needs.hidden")], range=["#cfe8f7", "#1f4e79"])),
        tooltip=[alt.Tooltip("where:N", title=t("needs.source")), alt.Tooltip("side:N", title=" "),
                 alt.Tooltip("count:Q", title=t("needs.count"))])
    water = alt.Chart(pd.DataFrame({"y": [0], "label": [t("needs.waterline")]}))
    line = water.mark_rule(color="#2a9df4", strokeWidth=2).encode(y="y:Q")
    label = water.mark_text(align="left", dx=4, dy=-6, color="#2a9df4").encode(y="y:Q", text="label:N")
    st.altair_chart((bars + line + label).properties(height=260), width="stretch")


def side(title: str, rows: list[dict]) -> None:
    """One side of the waterline as a list."""
    st.markdown(f"**{title}**")
    if not rows:
        st.caption(t("needs.none_here"))
    for n in rows:
        extra = " · ".join(x for x in (level_label(n["level"]), judged(n), where(n)) if x)
        st.markdown(f"- {plain(n['statement'])}  \n  :gray[{plain(extra)}]")


def iceberg_view() -> None:
    """The waterline, the hidden share against D5's ~90%, and what to dig for."""
    if not needs:
        st.info(t("needs.none"))
        return
    a, b, c = st.columns(3)
    a.metric(t("needs.visible"), len(ice["visible"]))
    b.metric(t("needs.hidden"), len(ice["hidden"]))
    c.metric(t("needs.hidden_share"), f"{round(ice['hidden_share'] * 100)}%", help=t("needs.hidden_share_help"))
    if ice["only_the_tip"]:
        st.warning(t("needs.only_the_tip", pct=round(ice["hidden_share"] * 100)))
    if ice["wants_without_need"]:
        st.warning(t("needs.wants_without_need",
                     items="; ".join(plain(n["statement"]) for n in ice["wants_without_need"])))
    if ice["unjudged"]:
        st.caption(t("needs.unjudged", count=ice["unjudged"]))
    st.caption(t("needs.tally", needs=ice["needs"], wants=ice["wants"]))
    iceberg_chart()
    above, below = st.columns(2)
    with above, st.container(border=True):
        side(t("needs.above"), ice["visible"])
    with below, st.container(border=True):
        side(t("needs.below"), ice["hidden"])


def judge_table() -> None:
    """Judge each need a need or a want, and name the need behind a want."""
    if not needs or not CAN_EDIT:
        return
    st.subheader(t("needs.all"))
    st.caption(t("needs.want_hint"))
    behind = {n["id"]: n["statement"][:60] for n in needs if n["nature"] == "need"}
    frame = pd.DataFrame([{"id": n["id"], "version": n["version"], "statement": n["statement"],
                           "level": n["level"], "where": n["deal_number"] or t("needs.account_short"),
                           "nature": n["nature"],
                           "need_behind_id": n["need_behind_id"]} for n in needs])
    table = EditableTable(f"needs.judge.{ACCOUNT}", frame, label=lambda r: r["statement"][:40])
    table.render(hide_index=True, width="stretch", num_rows="fixed",
                 column_order=["statement", "nature", "need_behind_id", "level", "where"],
                 column_config={
                     "statement": st.column_config.TextColumn(t("field.statement"), required=True, width="medium"),
                     "level": st.column_config.SelectboxColumn(t("opp.level"), options=list(opp.NEED_LEVELS),
                                                               required=True, format_func=level_label),
                     "where": st.column_config.TextColumn(t("needs.source"), disabled=True, width="small"),
                     "nature": st.column_config.SelectboxColumn(t("field.nature"), options=list(discovery.NATURES),
                                                                format_func=nature_label),
                     "need_behind_id": st.column_config.SelectboxColumn(
                         t("field.need_behind_id"), options=list(behind),
                         format_func=lambda i: behind.get(i, BLANK)),
                 })
    if st.button(t("table.save"), key="needs.judge.save"):
        table.save(lambda i, v, c: discovery.update_need(db, user, i, v, c))
    table.refused_panel()


def add_form() -> None:
    """Record a need of the account itself or of one of its open deals."""
    if not CAN_EDIT:
        return
    places = {None: t("needs.account_itself"), **DEALS}
    behind = {None: BLANK, **{n["id"]: n["statement"][:60] for n in needs if n["nature"] == "need"}}
    if st.session_state.pop("needs.new._clear", False):  # before the box is drawn, so the browser shows it blank
        st.session_state["needs.new.statement"] = ""
    with st.expander(t("needs.add"), expanded=not needs), st.form("needs.new"):
        statement = st.text_input(t("field.statement"), key="needs.new.statement")  # what was heard, first
        a, b = st.columns(2)
        deal = a.selectbox(t("needs.source"), list(places), format_func=places.get, key="needs.new.deal")
        level = b.selectbox(t("opp.level"), [n for n in opp.NEED_LEVELS if n != "criterion"],
                            format_func=level_label, key="needs.new.level")
        nature = a.selectbox(t("field.nature"), [None, *discovery.NATURES], key="needs.new.nature",
                             format_func=lambda v: t("nature.unjudged") if v is None else nature_label(v))
        need_behind = b.selectbox(t("field.need_behind_id"), list(behind), format_func=behind.get,
                                  key="needs.new.behind")
        if st.form_submit_button(t("needs.add"), type="primary"):
            values = {"level": level, "statement": statement, "nature": nature, "need_behind_id": need_behind}
            def record() -> dict:
                made = (discovery.add_account_need(db, user, ACCOUNT, values) if deal is None
                        else discovery.add_need(db, user, deal, values))
                st.session_state["needs.new._clear"] = True  # a blank box for the next need; a refused one keeps it
                return made
            act(record, t("needs.added"))


def spin_tab() -> None:
    """Every SPIN preparation of the account's deals: pick one, see its funnel, edit its questions; prepare a
    new one for a deal."""
    plans = discovery.account_spin_plans(db, user, ACCOUNT)
    if not plans:
        st.info(t("needs.spin_none" if DEALS or not CAN_EDIT else "needs.spin_no_deal"))
        if not DEALS and CAN_EDIT:
            st.page_link("pages/opportunities.py", label=t("needs.open_deals"), icon=":material/add_circle:")
    else:
        by_id = {p["id"]: p for p in plans}
        chosen = pick("needs.spin.plan", list(by_id), lambda i: spin.plan_label(by_id[i]), param="plan",
                      title=t("needs.spin_pick"))
        plan = by_id[chosen]
        with st.container(border=True):
            st.markdown(f"**{spin.plan_heading(plan)}**")
            spin.funnel_view(plan["questions"], can_edit=CAN_EDIT)
            if CAN_EDIT:
                spin.question_editor(db, user, plan, plan["questions"], f"needs.spin.{plan['id']}")
    if CAN_EDIT and DEALS:
        new_plan_form()


def new_plan_form() -> None:
    """Prepare a SPIN plan for a visit on one of the account's open deals."""
    people = {None: t("spin.anyone"), **{p["id"]: p["name"] for p in
                                         stakeholders.list_stakeholders(db, user, ACCOUNT, limit=1000)}}
    with st.expander(t("spin.new_plan")), st.form("needs.spin.new"):
        a, b, c = st.columns(3)
        deal = a.selectbox(t("field.opportunity_id"), list(DEALS), format_func=DEALS.get, key="needs.spin.new.deal")
        visit = b.date_input(t("field.visit_on"), value=None, key="needs.spin.new.visit")
        person = c.selectbox(t("spin.for_person"), list(people), format_func=people.get, key="needs.spin.new.person")
        if st.form_submit_button(t("opp.spin_add"), type="primary"):
            act(lambda: discovery.add_spin_plan(db, user, deal, {"visit_on": visit, "stakeholder_id": person}),
                t("spin.plan_added"), select="needs.spin.plan")


iceberg_tab, spin_tab_ = tabs([t("needs.tab.iceberg"), t("needs.tab.spin")], "needs.tabs")
with iceberg_tab:
    iceberg_view()
    judge_table()
    add_form()
with spin_tab_:
    spin_tab()
