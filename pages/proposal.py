"""The proposal / tender war room (D13): timeline, compliance matrix, win themes, team, decision, outcome."""

from datetime import date

import pandas as pd
import streamlit as st

from kamcore import clock, permissions
from kamcore.proposals import rooms
from kamcore.proposals.timeline import DEFAULT_CYCLE, working_days_left
from kamui import calendar_view
from kamui.chores import act, labels, open_page, pick, plain, tabs
from kamui.editing import NewForm, VersionedForm

page = open_page("proposal.title", "proposal.caption")
calendar_view.download(("tender",), "proposal")
db, user, t = page.db, page.user, page.t
editable = permissions.can_edit(db, user, page.account_id)


def iso(value):
    """A date widget's value as stored text (None stays None)."""
    return value.isoformat() if isinstance(value, date) else value


def iso_dates(changes: dict) -> dict:
    """A form's changes with dates as stored text."""
    return {name: iso(value) for name, value in changes.items()}


def as_date(value):
    """Stored date text as a date widget's value (None stays None)."""
    return date.fromisoformat(str(value)[:10]) if value else None


def new_proposal(expanded: bool) -> None:
    """Open a war room for an open opportunity that has none."""
    deals = rooms.proposable_opportunities(db, user, page.account_id)
    with st.expander(t("proposal.new"), expanded=expanded):
        if not deals:
            st.info(t("proposal.no_deal"))
            return
        names = {d["id"]: f"{d['number']} · {d['name']}" for d in deals}
        with st.form("proposal.new"):
            deal = st.selectbox(t("field.opportunity_id"), list(names), format_func=names.get, key="proposal.new.deal")
            left, right = st.columns(2)
            start = left.date_input(t("field.start_on"), value=clock.today(), key="proposal.new.start")
            cycle = right.number_input(t("field.cycle_days"), min_value=rooms.MIN_CYCLE, max_value=rooms.MAX_CYCLE,
                                       value=DEFAULT_CYCLE, key="proposal.new.cycle")
            if st.form_submit_button(t("proposal.create"), type="primary", disabled=not editable):
                act(lambda: rooms.open_proposal(db, user, deal, start, int(cycle)), t("proposal.created"),
                    select="proposal.pick")


listed = rooms.list_proposals(db, user, page.account_id)
if not listed:
    st.info(t("proposal.none"))
    new_proposal(expanded=True)
    st.stop()

by_id = {p["id"]: p for p in listed}
chosen = pick("proposal.pick", list(by_id), lambda i: f"{by_id[i]['opportunity_name']} · "
              f"{labels('proposal_outcome')(by_id[i]['outcome'])}", param="proposal", title=t("proposal.pick"))
head = rooms.get_proposal(db, user, chosen)
got = rooms.parts(db, user, chosen)
matrix = rooms.compliance(got["requirement"])
today = clock.today()
left = working_days_left(today, head["deadline"])

st.subheader(f"{plain(head['opportunity_number'])} · {plain(head['opportunity_name'])}")
cols = st.columns(4)
cols[0].metric(t("proposal.deadline"), page.day(head["deadline"]))
cols[1].metric(t("proposal.days_left"), left if head["outcome"] == "open" and not head["submitted_on"] else "—")
cols[2].metric(t("proposal.open_items"), matrix["still_open"])
cols[3].metric(t("proposal.decision_now"), labels("decision")(head["decision"]))
if head["outcome"] != "open":
    st.info(t("proposal.outcome_done", outcome=labels("proposal_outcome")(head["outcome"])))
elif head["submitted_on"]:
    st.success(t("proposal.submitted", day=head["submitted_on"]))
elif head["decision"] != "no_bid":
    key = "proposal.overdue" if left < 0 else "proposal.due_today" if left == 0 else "proposal.countdown"
    (st.error if left <= 2 else st.warning)(t(key, days=left, open=matrix["still_open"]))

people = rooms.people(db, user, chosen)
person = lambda i: people.get(i, "—")  # noqa: E731 - a format_func
names = [t("proposal.tab.timeline"), t("proposal.tab.compliance"), t("proposal.tab.themes"), t("proposal.tab.team"),
         t("proposal.tab.decision"), t("proposal.tab.outcome")]
timeline, compliance, themes, team_tab, decision, outcome = tabs(names, "proposal.tabs")

with timeline:
    steps = got["step"]
    st.dataframe(pd.DataFrame([{
        t("field.day"): t("proposal.day_n", day=s["day"]), t("field.step"): labels("proposal_step")(s["step"]),
        t("field.due_on"): s["due_on"], t("field.owner_id"): s["owner_name"] or "—",
        t("field.status"): labels("step_status")(s["status"]), t("field.note"): s["note"]} for s in steps]),
        hide_index=True, width="stretch")
    by_step = {s["id"]: s for s in steps}
    st.markdown(f"**{t('proposal.step_edit')}**")
    sid = pick("proposal.step.id", list(by_step), lambda i: labels("proposal_step")(by_step[i]["step"]),
               title=t("field.step"))  # outside the form: the fields below show the picked step's values
    step = VersionedForm("proposal.step", {**by_step[sid], "due_on": as_date(by_step[sid]["due_on"])},
                         ("owner_id", "due_on", "status", "note"))
    with st.form("proposal.step"):
        a, b, c = st.columns(3)
        a.selectbox(t("field.owner_id"), [None, *people], format_func=person,
                    **step.choice("owner_id", [None, *people]))
        b.date_input(t("field.due_on"), **step.field("due_on"))
        c.selectbox(t("field.status"), rooms.STEP_STATUSES, format_func=labels("step_status"),
                    **step.choice("status", rooms.STEP_STATUSES))
        st.text_input(t("field.note"), **step.field("note"))
        if st.form_submit_button(t("proposal.step_save"), disabled=not editable):
            step.save(lambda version, changes: rooms.update_part(db, user, "step", sid, version, iso_dates(changes)),
                      t("proposal.saved"))

with compliance:
    reqs = got["requirement"]
    st.caption(" · ".join(f"{labels('req_status')(s)}: {matrix[s]}" for s in rooms.REQUIREMENT_STATUSES))
    if reqs:
        st.dataframe(pd.DataFrame([{
            t("field.ref"): r["ref"], t("field.requirement"): r["requirement"], t("field.answer"): r["answer"],
            t("field.owner_id"): r["owner_name"] or "—", t("field.status"): labels("req_status")(r["status"]),
            t("field.evidence"): r["evidence"]} for r in reqs]), hide_index=True, width="stretch")
        by_req = {r["id"]: r for r in reqs}
        st.markdown(f"**{t('proposal.req_edit')}**")
        rid = pick("proposal.req.id", list(by_req), title=t("field.requirement"),
                   label=lambda i: f"{by_req[i]['ref']} {by_req[i]['requirement'][:80]}".strip())
        req = VersionedForm("proposal.req", by_req[rid], ("status", "owner_id", "answer", "evidence"))
        with st.form("proposal.req.edit"):
            a, b = st.columns(2)
            a.selectbox(t("field.status"), rooms.REQUIREMENT_STATUSES, format_func=labels("req_status"),
                        **req.choice("status", rooms.REQUIREMENT_STATUSES))
            b.selectbox(t("field.owner_id"), [None, *people], format_func=person,
                        **req.choice("owner_id", [None, *people]))
            st.text_area(t("field.answer"), **req.field("answer"), height=80)
            st.text_input(t("field.evidence"), **req.field("evidence"))
            if st.form_submit_button(t("proposal.req_save"), disabled=not editable):
                req.save(lambda version, changes: rooms.update_part(db, user, "requirement", rid, version, changes),
                         t("proposal.saved"))
    else:
        st.info(t("proposal.req_none"))
    asked = NewForm(f"proposal.req.new.{chosen}", {"ref": "", "requirement": "", "owner_id": None})
    with st.form("proposal.req.add"):
        st.markdown(f"**{t('proposal.req_add')}**")
        a, b = st.columns([1, 3])
        a.text_input(t("field.ref"), **asked.field("ref"))
        b.text_input(t("field.requirement"), **asked.field("requirement"))
        st.selectbox(t("field.owner_id"), [None, *people], format_func=person, **asked.choice("owner_id", [None, *people]))
        if st.form_submit_button(t("proposal.req_add"), disabled=not editable):
            asked.add(lambda values: rooms.add_part(db, user, "requirement", chosen, values), t("proposal.req_added"))

with themes:
    if not got["theme"]:
        st.info(t("proposal.theme_none"))
    for theme in got["theme"]:
        with st.container(border=True):
            st.markdown(f"**{plain(theme['theme'])}**")
            for line in [x for x in theme["differentiators"].splitlines() if x.strip()]:
                st.markdown(f"- {plain(line)}")
            if theme["proof"]:
                st.caption(f"{t('field.proof')}: {plain(theme['proof'])}")
    with st.form("proposal.theme.add"):
        name = st.text_input(t("field.theme"), key="proposal.theme.name")
        diffs = st.text_area(t("field.differentiators"), key="proposal.theme.diffs", height=80,
                             placeholder=t("proposal.differentiator_hint"))
        proof = st.text_input(t("field.proof"), key="proposal.theme.proof")
        if st.form_submit_button(t("proposal.theme_add"), disabled=not editable):
            act(lambda: rooms.add_part(db, user, "theme", chosen,
                                       {"theme": name, "differentiators": diffs, "proof": proof}),
                t("proposal.theme_added"))

with team_tab:
    if got["role"]:
        st.dataframe(pd.DataFrame([{t("field.role"): labels("proposal_role")(r["role"]), t("field.user_id"): r["person"]}
                                   for r in got["role"]]), hide_index=True, width="stretch")
    else:
        st.info(t("proposal.role_none"))
    everyone = rooms.all_people(db)
    with st.form("proposal.role.add"):
        a, b = st.columns(2)
        role = a.selectbox(t("field.role"), rooms.ROLES, format_func=labels("proposal_role"), key="proposal.role.role")
        who = b.selectbox(t("field.user_id"), list(everyone), format_func=everyone.get, key="proposal.role.user")
        if st.form_submit_button(t("proposal.role_add"), disabled=not editable):
            act(lambda: rooms.add_part(db, user, "role", chosen, {"role": role, "user_id": who}), t("proposal.role_added"))

HEAD = ("decision", "cycle_days", "decision_reason", "kickoff_on", "submitted_on", "price_note")
decided = VersionedForm("proposal.head", head, HEAD,
                        shown=lambda row: {"kickoff_on": as_date(row["kickoff_on"]),
                                           "submitted_on": as_date(row["submitted_on"]),
                                           "cycle_days": int(row["cycle_days"])})
with decision, st.form("proposal.head"):
    a, b = st.columns(2)
    a.radio(t("field.decision"), rooms.DECISIONS, format_func=labels("decision"), horizontal=True,
            **decided.choice("decision", rooms.DECISIONS))
    b.number_input(t("field.cycle_days"), min_value=rooms.MIN_CYCLE, max_value=rooms.MAX_CYCLE,
                   **decided.field("cycle_days"))
    st.text_area(t("field.decision_reason"), **decided.field("decision_reason"), height=80)
    a, b = st.columns(2)
    a.date_input(t("field.kickoff_on"), **decided.field("kickoff_on"))
    b.date_input(t("field.submitted_on"), **decided.field("submitted_on"))
    st.text_area(t("field.price_note"), **decided.field("price_note"), height=80)
    if st.form_submit_button(t("proposal.save_head"), type="primary", disabled=not editable):
        decided.save(lambda version, changes: rooms.update_proposal(db, user, chosen, version, iso_dates(changes)),
                     t("proposal.saved"))

with outcome:
    if head["outcome"] != "open":
        st.info(t("proposal.outcome_done", outcome=labels("proposal_outcome")(head["outcome"])))
        if head["retrospective_id"]:
            st.page_link("pages/retrospectives.py", label=t("proposal.retro_link"), icon=":material/history_edu:",
                         query_params={"account": str(head["account_id"]), "retro": str(head["retrospective_id"])})
    else:
        st.caption(t("proposal.lost_hint"))
        with st.form("proposal.outcome"):
            result = st.radio(t("field.proposal_outcome"), rooms.OUTCOMES[1:], format_func=labels("proposal_outcome"),
                              horizontal=True, key="proposal.outcome.result")
            why = st.text_area(t("field.close_reason"), key="proposal.outcome.reason", height=80)
            if st.form_submit_button(t("proposal.outcome_save"), disabled=not editable):
                act(lambda: rooms.record_outcome(db, user, chosen, head["version"], result, why),
                    t("proposal.outcome_saved"))

new_proposal(expanded=False)
