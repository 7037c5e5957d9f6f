"""Relationship plan (D8, PDCA) and visits (D9): plan, do, check, review; 6W2H visits and the revisit due list."""

from __future__ import annotations

from datetime import timedelta

import altair as alt
import pandas as pd
import streamlit as st

from kamcore import accounts, clock, money, permissions
from kamcore.decision_chain import stakeholders as sh
from kamcore.decision_chain import targets
from kamcore.i18n import choice_label
from kamcore.pipeline import discovery
from kamcore.relationships import guidance, health, pdca, visits
from kamcore.text import plain
from kamui import calendar_view, chores
from kamui.amounts import amount_input
from kamui.editing import attempt, flash

page = chores.open_page("nav.relationships")  # stops with a hint when no account is chosen
t = page.t


def label(kind: str):
    """A format_func for enumerated values."""
    return lambda value: "—" if value is None else choice_label(kind, value, page.lang)


def review_section(account_id: int) -> None:
    """The routine review: plan vs done, overdue, the score it moved."""
    summary = pdca.review(page.db, page.user, account_id)
    cols = st.columns(5)
    cols[0].metric(t("rel.planned"), summary["planned"])
    cols[1].metric(t("rel.done"), summary["done"], help=t("rel.on_time", count=summary["done_on_time"]))
    cols[2].metric(t("rel.open"), summary["open"])
    cols[3].metric(t("rel.overdue"), summary["overdue"])
    cols[4].metric(t("rel.score_moved"), f"{summary['score_moved']:+d}")
    if summary["by_owner"]:
        st.dataframe(pd.DataFrame([{t("sh.our_owner"): o["owner"], t("rel.planned"): o["planned"],
                                    t("rel.done"): o["done"], t("rel.overdue"): o["overdue"]}
                                   for o in summary["by_owner"]]), hide_index=True)


def plan_tab(account_id: int, editable: bool, people: dict[int, str], owners: dict[int | None, str]) -> None:
    """Actions list, a new action, and the check of an open one."""
    review_section(account_id)
    actions = pdca.list_actions(page.db, page.user, account_id)
    if actions:
        st.dataframe(pd.DataFrame([{
            t("field.due_date"): a["due_date"], t("field.stakeholder_id"): a["stakeholder_name"],
            t("field.action_kind"): choice_label("action_kind", a["kind"], page.lang), t("field.plan"): a["plan"],
            t("sh.our_owner"): a["owner_name"] or "—", t("field.status"): choice_label("action_status", a["status"], page.lang),
            t("rel.overdue"): "⚠" if a["overdue"] else "", t("field.check_result"): a["check_result"],
            t("field.score_change"): "" if a["score_change"] is None else f"{a['score_change']:+d}",
            t("field.aims_to"): (f"{choice_label('aims_at', a['aims_at'], page.lang)}: "
                                 f"{choice_label(a['aims_at'], a['aims_to'], page.lang)}") if a["aims_to"] else "",
            t("field.budget_planned"): amount(a["budget_planned"]), t("field.budget_spent"): amount(a["budget_spent"]),
        } for a in actions]), hide_index=True, width="stretch")
    else:
        st.info(t("rel.no_actions"))
    if not editable or not people:
        return
    left, right = st.columns(2)
    with left.form("action.new"):
        st.markdown(f"**{t('rel.new_action')}**")
        who = st.selectbox(t("field.stakeholder_id"), list(people), key="action.who", format_func=people.get)
        kind = st.selectbox(t("field.action_kind"), pdca.ACTION_KINDS, key="action.kind", format_func=label("action_kind"))
        plan = st.text_area(t("field.plan"), key="action.plan", height=70)
        owner = st.selectbox(t("sh.our_owner"), list(owners), key="action.owner", format_func=owners.get)
        due = st.date_input(t("field.due_date"), key="action.due", value=clock.today() + timedelta(days=14))
        steps = [None] + [("stage", v) for v in sh.STAGES] + [("standing", v) for v in sh.STANDINGS]
        aim = st.selectbox(t("field.aims_to"), steps, key="action.aim", format_func=lambda v: "—" if v is None else
                           f"{choice_label('aims_at', v[0], page.lang)}: {choice_label(v[0], v[1], page.lang)}")
        b1, b2 = st.columns(2)
        planned = amount_input(b1, t("field.budget_planned"), currency, "action.budget")
        spent = amount_input(b2, t("field.budget_spent"), currency, "action.spent")
        key_visit = st.checkbox(t("field.key_visit"), key="action.key_visit")
        if st.form_submit_button(t("rel.add_action"), type="primary"):
            ok, result = attempt(lambda: pdca.create_action(page.db, page.user, account_id, {
                "stakeholder_id": who, "kind": kind, "plan": plan, "owner_id": owner, "due_date": due,
                "aims_at": aim[0] if aim else None, "aims_to": aim[1] if aim else None,
                "budget_planned": money.parse(planned, "budget_planned", page.lang, currency=currency),
                "budget_spent": money.parse(spent, "budget_spent", page.lang, currency=currency),
                "key_visit": key_visit}))
            if ok:
                flash(" ".join([t("rel.action_added"), *(t(w) for w in result[1])]),
                      "warning" if result[1] else "success")
                st.rerun()
    open_actions = {a["id"]: a for a in actions if a["status"] in pdca.OPEN_STATUSES}
    with right.form("action.check"):
        st.markdown(f"**{t('rel.check_action')}**")
        if not open_actions:
            st.caption(t("rel.nothing_to_check"))
        chosen = st.selectbox(t("rel.which_action"), list(open_actions), key="check.action",
                              format_func=lambda i: f"{open_actions[i]['due_date']} · {open_actions[i]['stakeholder_name']}"
                              f" · {choice_label('action_kind', open_actions[i]['kind'], page.lang)}")
        result = st.text_area(t("field.check_result"), key="check.result", height=70)
        change = st.select_slider(t("field.score_change"), (-2, -1, 0, 1, 2), value=0, key="check.change")
        apply = st.checkbox(t("rel.apply_score"), value=True, key="check.apply")
        cancel = st.checkbox(t("rel.cancel_instead"), key="check.cancel")
        if st.form_submit_button(t("rel.record_check"), disabled=not open_actions) and chosen is not None:
            row = open_actions[chosen]
            if cancel:
                write = lambda: pdca.update_action(page.db, page.user, chosen, row["version"],  # noqa: E731
                                                  {"status": "cancelled", "check_result": result})
            else:
                write = lambda: pdca.check_action(page.db, page.user, chosen, row["version"], result,  # noqa: E731
                                                 change or None, apply)
            ok, _ = attempt(write)
            if ok:
                flash(t("rel.checked"))
                st.rerun()


def amount(value: float | None) -> str:
    """An amount of the account's currency with its currency and unit (blank when there is none)."""
    return "" if value is None else money.fmt(value, currency, page.lang)


def flag_box(found: list) -> None:
    if not found:
        st.success(t("rel.no_guidance"))
    for flag in found:
        (st.error if flag.severity == "high" else st.warning)(plain(flag.message(page.lang)), icon=":material/flag:")


def targets_tab(account_id: int) -> None:
    """Current vs target per contact (ranked), freshness per person and account, budget and guidance flags."""
    plan_budget = guidance.budget(page.db, account_id)
    st.caption(t("rel.budget_line", spent=amount(plan_budget["spent"]), planned=amount(plan_budget["planned"])))
    last = guidance.account_last_contact(page.db, [account_id])[account_id]
    st.caption(t("rel.account_last_contact", day=last["last_contact"], days=last["days_since"])
               if last["last_contact"] else t("rel.account_never"))
    st.markdown(f"**{t('rel.guidance')}**")
    flag_box(guidance.flags(page.db, page.user, account_id))
    st.markdown(f"**{t('rel.gaps')}**")
    ranked = targets.gaps(page.db, page.user, account_id)
    if ranked:
        st.dataframe(pd.DataFrame([{
            t("field.stakeholder_id"): g["name"],
            t("field.stakeholder.stage"): f"{label('stage')(g['stage'])} → {label('stage')(g['stage_target'])}",
            t("field.standing"): f"{label('standing')(g['standing'])} → {label('standing')(g['standing_target'])}",
            t("rel.steps_behind"): g["steps_behind"], t("field.target_date"): g["target_date"] or "",
            t("rel.days_left"): g["days_left"],  # a number or blank ("—"): one type, so Arrow takes it as is
        } for g in ranked]), hide_index=True, width="stretch", placeholder="—")
    fresh = sorted(guidance.stakeholder_freshness(page.db, page.user, account_id).values(),
                   key=lambda p: (not p["checkin_due"], p["importance"], p["name"]))
    st.dataframe(pd.DataFrame([{
        t("field.stakeholder_id"): p["name"], t("rel.last_contact"): p["last_contact"] or t("rel.never"),
        t("rel.days_since"): p["days_since"],  # a number or blank ("—"): one type, so Arrow takes it as is
        t("rel.checkin_every"): p["checkin_every"], t("rel.checkin_due"): "⚠" if p["checkin_due"] else "",
    } for p in fresh]), hide_index=True, width="stretch", placeholder="—")


def health_tab(account_id: int) -> None:
    """The account health score with every component and the reason for it, and its trend."""
    found = health.snapshot(page.db, page.user, account_id)
    st.metric(t("ahealth.score"), f"{found['score']} / 100")
    st.caption(t("ahealth.weights_version", version=found["weights_version"]))
    st.markdown(f"**{t('ahealth.why')}**")
    st.dataframe(pd.DataFrame([{
        t("ahealth.component"): t(f"ahealth.{c['key']}"), t("ahealth.value"): c["value"],
        t("ahealth.weight"): c["weight"], t("ahealth.points"): c["points"], t("ahealth.detail"): because(c),
    } for c in found["components"]]), hide_index=True, width="stretch")
    history = health.trend(page.db, page.user, account_id)
    if len(history) > 1:
        st.markdown(f"**{t('ahealth.trend')}**")
        frame = pd.DataFrame([{"day": h["day"], "score": h["score"]} for h in history])
        st.altair_chart(alt.Chart(frame).mark_line(point=True).encode(
            x=alt.X("day:T", title=t("ahealth.day")), y=alt.Y("score:Q", title=t("ahealth.score"),
                                                               scale=alt.Scale(domain=[0, 100])),
            tooltip=["day", "score"]).properties(height=200), width="stretch")


def because(component: dict) -> str:
    """The component's reason in words."""
    key, detail = component["key"], component["detail"]
    if key == "pipeline_coverage" and detail["goal"] is None:
        return t("ahealth.d.pipeline_coverage.none")
    if key == "goal_attainment" and detail["pct"] is None:
        return t("ahealth.d.goal_attainment.none")
    params = {k: (amount(v) if key == "pipeline_coverage" and k in ("goal", "covered") else v)
              for k, v in detail.items() if k != "missing"}
    return t(f"ahealth.d.{key}", **params)


def outcome_form(visit_rows: list[dict]) -> None:
    """Record a visit's outcome (first on the tab, for the phone after the meeting): my visit of today comes first,
    "visited on" defaults to today."""
    planned = {v["id"]: v for v in visits.outcome_order(visit_rows, page.user.id, clock.today())}
    if not planned:
        return
    if st.session_state.pop("outcome.saved", False):
        st.session_state.update({"outcome.visit": next(iter(planned)), "outcome.visited_on": clock.today(),
                                 "outcome.text": "", "outcome.next": "", "outcome.revisit": None})
    with st.form("visit.outcome"):
        st.markdown(f"**{t('rel.record_outcome')}**")
        chosen = st.selectbox(t("rel.which_visit"), list(planned), key="outcome.visit",
                              format_func=lambda i: f"{planned[i]['planned_on']} · "
                              f"{planned[i]['stakeholder_name'] or '—'} · {planned[i]['goal']}")
        st.session_state.setdefault("outcome.visited_on", clock.today())
        visited_on = st.date_input(t("field.visited_on"), max_value=clock.today(), key="outcome.visited_on")
        outcome = st.text_area(t("field.outcome"), key="outcome.text", height=70)
        next_step = st.text_input(t("field.next_step"), key="outcome.next")
        revisit = st.selectbox(t("field.revisit_days"), [None, *pdca.REVISIT_CLASSES], key="outcome.revisit",
                               format_func=label("revisit"))
        if st.form_submit_button(t("rel.save_outcome"), type="primary"):
            ok, _ = attempt(lambda: visits.record_outcome(page.db, page.user, chosen, planned[chosen]["version"],
                                                       outcome=outcome, next_step=next_step, revisit_days=revisit,
                                                       visited_on=visited_on))
            if ok:
                st.session_state["outcome.saved"] = True  # the next visit's outcome starts empty
                flash(t("rel.outcome_saved"))
                st.rerun()


def visits_tab(account_id: int, editable: bool, people: dict[int, str], owners: dict[int | None, str]) -> None:
    """Recording an outcome, the visit list and a 6W2H plan."""
    visit_rows = visits.list_visits(page.db, page.user, account_id)
    if editable:
        outcome_form(visit_rows)
    if visit_rows:
        st.dataframe(pd.DataFrame([{
            t("field.planned_on"): v["planned_on"], t("field.stakeholder_id"): v["stakeholder_name"] or "—",
            t("field.purpose"): choice_label("purpose", v["purpose"], page.lang), t("field.goal"): v["goal"],
            t("field.status"): choice_label("visit_status", v["status"], page.lang), t("field.outcome"): v["outcome"],
            t("field.next_step"): v["next_step"],
            t("field.revisit_days"): choice_label("revisit", v["revisit_days"], page.lang) if v["revisit_days"] else "",
        } for v in visit_rows]), hide_index=True, width="stretch")
    else:
        st.info(t("rel.no_visits"))
    calendar_view.download(("visit", "action"), "visits")
    planned = [v for v in visit_rows if v["status"] == "planned" and v["spin_plan_id"]]
    weak = discovery.funnel_warnings(page.db, page.user, [v["spin_plan_id"] for v in planned])
    for v in planned:  # the question funnel of each coming visit's SPIN preparation (D5)
        if v["spin_plan_id"] in weak:
            key = "spin.starts_closed" if weak[v["spin_plan_id"]]["starts_closed"] else "spin.no_open"
            st.warning(f"{v['planned_on']} · {chores.plain(v['stakeholder_name'] or '—')}: {t(key)}")
    if not editable:
        return
    spins = visits.spin_plan_choices(page.db, page.user, account_id, st.session_state.get("visit.who"))
    spin_names = {None: "—"} | {s["id"]: s["label"] for s in spins}
    choices = {None: "—"} | people
    with st.expander(t("rel.plan_visit"), expanded=not visit_rows), st.form("visit.new"):
        a, b, c = st.columns(3)
        values = {
            "stakeholder_id": a.selectbox(t("field.stakeholder_id"), list(choices), key="visit.who",
                                          format_func=choices.get),
            "purpose": b.selectbox(t("field.purpose"), pdca.PURPOSES, key="visit.purpose", format_func=label("purpose")),
            "planned_on": c.date_input(t("field.planned_on"), key="visit.when", value=clock.today() + timedelta(days=7)),
            "owner_id": a.selectbox(t("sh.our_owner"), list(owners), key="visit.owner", format_func=owners.get),
            "place": b.text_input(t("field.place"), key="visit.place"),
            "spin_plan_id": c.selectbox(t("field.spin_plan_id"), list(spin_names), key="visit.spin",
                                        format_func=spin_names.get),
        }
        left, right = st.columns(2)
        for index, name in enumerate(("goal", "stage_goal", "attendees", "why", "alternatives", "approach",
                                      "budget", "resources")):
            values[name] = (left if index % 2 == 0 else right).text_input(t(f"field.{name}"), key=f"visit.{name}")
        if st.form_submit_button(t("rel.add_visit"), type="primary"):
            ok, _ = attempt(lambda: visits.plan_visit(page.db, page.user, account_id, values))
            if ok:
                flash(t("rel.visit_added"))
                st.rerun()
def due_tab(account_id: int) -> None:
    """Who is due a revisit (this account, or every account I can see)."""
    everywhere = st.toggle(t("rel.all_accounts"), key="due.all")
    ids = permissions.readable_account_ids(page.db, page.user) if everywhere else [account_id]
    due = visits.revisit_due(page.db, page.user, ids)
    if not due:
        st.info(t("rel.nothing_due"))
        return
    st.dataframe(pd.DataFrame([{
        t("shell.account"): d["account_name"], t("field.stakeholder_id"): d["stakeholder_name"] or "—",
        t("field.visited_on"): d["visited_on"], t("field.revisit_days"): choice_label("revisit", d["revisit_days"], page.lang),
        t("rel.due_on"): d["due_on"], t("rel.days_left"): d["days_left"], t("field.next_step"): d["next_step"],
        t("rel.next_planned"): d["next_planned"] or "—", t("sh.our_owner"): d["owner_name"] or "—",
    } for d in due]), hide_index=True, width="stretch")


account_id = page.account_id
account = accounts.get_account(page.db, page.user, account_id)
editable = permissions.can_edit(page.db, page.user, account_id)
st.header(plain(account["name"]))
if not editable:
    st.caption(t("shell.read_only"))
people = {p["id"]: p["name"] for p in sh.list_stakeholders(page.db, page.user, account_id, limit=1000)}
if not people:
    st.info(t("rel.map_first"))
owners: dict[int | None, str] = {None: t("sh.nobody")} | {
    o["id"]: o["name"] for o in sh.owner_choices(page.db, page.user, account_id)}
currency = account.get("currency") or ""
plan, visits_, due, targets_, health_ = chores.tabs([t("rel.tab.plan"), t("rel.tab.visits"), t("rel.tab.due"),
                                                    t("rel.tab.targets"), t("rel.tab.health")], "rel.tabs")
with plan:
    plan_tab(account_id, editable, people, owners)
with visits_:
    visits_tab(account_id, editable, people, owners)
with due:
    due_tab(account_id)
with targets_:
    targets_tab(account_id)
with health_:
    health_tab(account_id)
