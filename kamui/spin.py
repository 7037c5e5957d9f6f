"""A SPIN preparation on screen (D5): its open/closed question funnel drawn broad → narrow, the funnel's
warnings, the parts short of the minimum, and (for editors) its questions to edit, order and add.

Used by the Needs page's SPIN tab (every plan of the account) and by the deal page (the plans of one deal)."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import streamlit as st
from sqlite_utils import Database

from kamcore.pipeline import discovery
from kamcore.users import User
from kamui.chores import labels, plain
from kamui.context import tr
from kamui.editing import EditableTable, attempt, flash


def _short(text: str, limit: int = 70) -> str:
    """A question cut to fit the chart's axis at a word, with an ellipsis (not mid-word)."""
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    return cut.rstrip(" ,;:") + "…"


def funnel_chart(questions: list[dict[str, Any]]) -> None:
    """The questions in the order asked, drawn as a funnel: open questions wide, closed ones narrow."""
    form_label, part_label = labels("spin_form"), labels("spin_part")
    frame = pd.DataFrame([{"step": f"{n}. {_short(q['question'])}", "order": n,
                           "form": form_label(q["form"]), "part": part_label(q["part"]),
                           "left": -2 if q["form"] == "open" else -1, "right": 2 if q["form"] == "open" else 1}
                          for n, q in enumerate(questions, start=1)])
    chart = alt.Chart(frame).mark_bar().encode(
        x=alt.X("left:Q", title=None, axis=None, scale=alt.Scale(domain=[-2.2, 2.2])), x2="right:Q",
        y=alt.Y("step:N", title=None, sort=alt.EncodingSortField("order"), axis=alt.Axis(labelLimit=420)),
        color=alt.Color("form:N", title=tr("field.form"), scale=alt.Scale(
            domain=[form_label("open"), form_label("closed")], range=["#4c9be8", "#e8a14c"])),
        tooltip=[alt.Tooltip("part:N", title=tr("field.part")),
                 alt.Tooltip("form:N", title=tr("field.form"))])
    st.altair_chart(chart.properties(height=28 * len(questions) + 40), width="stretch")


def funnel_view(questions: list[dict[str, Any]], can_edit: bool = True) -> None:
    """The funnel of one plan with its warnings and the parts short of D5's minimum."""
    funnel = discovery.question_funnel(questions)
    if not questions:
        st.info(tr("spin.no_questions_next" if can_edit else "spin.no_questions"))
    else:
        st.markdown(f"*{tr('spin.funnel')}* — {tr('spin.tally', open=funnel['open'], closed=funnel['closed'])}",
                    help=tr("spin.funnel_help"))
        if funnel["starts_closed"]:
            st.warning(tr("spin.starts_closed"))
        if funnel["no_open"]:
            st.warning(tr("spin.no_open"))
        if funnel["widens"]:
            st.caption(tr("spin.widens", parts=", ".join(labels("spin_part")(p) for p in funnel["widens"])))
        funnel_chart(funnel["ordered"])
    gaps = discovery.spin_gaps(questions)
    if gaps:
        st.caption(tr("opp.spin_gaps", parts=", ".join(f"{tr(f'opp.spin.{p}')} +{n}" for p, n in gaps.items())))


def question_editor(db: Database, user: User, plan: dict[str, Any], questions: list[dict[str, Any]],
                    key: str) -> None:
    """Edit, delete, order and add the questions of one plan; a stale save is refused naming who changed what
    and the user's values stay in the refused panel."""
    if questions:
        frame = pd.DataFrame([{"id": q["id"], "version": q["version"], "part": q["part"], "position": q["position"],
                               "question": q["question"], "form": q["form"]}
                              for q in discovery.funnel_order(questions)])
        table = EditableTable(f"{key}.questions", frame, label=lambda r: r["question"][:40])
        table.render(hide_index=True, width="stretch", num_rows="dynamic",
                     column_order=["part", "position", "question", "form"],
                     column_config={
                         "part": st.column_config.SelectboxColumn(tr("field.part"),
                                                                  options=list(discovery.SPIN_PARTS),
                                                                  required=True, format_func=labels("spin_part")),
                         "position": st.column_config.NumberColumn(tr("field.position"), min_value=0, step=1),
                         "question": st.column_config.TextColumn(tr("field.question"), required=True,
                                                                 width="large"),
                         "form": st.column_config.SelectboxColumn(tr("field.form"), options=list(discovery.FORMS),
                                                                  required=True, format_func=labels("spin_form")),
                     })
        save, order = st.columns(2)
        if save.button(tr("table.save"), key=f"{key}.save"):
            table.save(lambda i, v, c: discovery.update_spin_question(db, user, i, v, c),
                       create=lambda v: discovery.add_spin_question(db, user, plan["id"], v),
                       delete=lambda i, v: discovery.delete_spin_question(db, user, i, v))
        if order.button(tr("spin.order"), key=f"{key}.order"):
            ok, moved = attempt(lambda: discovery.order_broad_to_narrow(db, user, plan["id"]))
            if ok:
                flash(tr("spin.ordered", count=moved))
                st.rerun()
        table.refused_panel()
    if st.session_state.pop(f"{key}._clear", False):  # set before the box is drawn: the browser shows it blank
        st.session_state[f"{key}.question"] = ""
    with st.form(f"{key}.new"):
        a, b, c = st.columns([2, 5, 2])
        part = a.selectbox(tr("field.part"), discovery.SPIN_PARTS, format_func=labels("spin_part"),
                           key=f"{key}.part")
        question = b.text_input(tr("field.question"), key=f"{key}.question")
        form = c.radio(tr("field.form"), discovery.FORMS, format_func=labels("spin_form"), key=f"{key}.form",
                       horizontal=True)
        if st.form_submit_button(tr("spin.add_question")):
            ok, _ = attempt(lambda: discovery.add_spin_question(db, user, plan["id"], {
                "part": part, "question": question, "form": form}))
            if ok:
                st.session_state[f"{key}._clear"] = True  # a blank box after an add; a refused one keeps the text
                flash(tr("spin.question_added"))
                st.rerun()


def plan_heading(plan: dict[str, Any]) -> str:
    """'Visit 2026-12-02 · for Wang Jun · deal OPP-… name' (Markdown-safe)."""
    person = plain(plan["stakeholder_name"]) or tr("spin.anyone")
    visit = str(plan["visit_on"]) if plan["visit_on"] else tr("spin.no_day")
    return tr("spin.heading", visit=visit, person=person,
              deal=plain(f"{plan['deal_number']} · {plan['deal_name']}"))


def plan_label(plan: dict[str, Any]) -> str:
    """A plan in a picker: visit day, person, deal. No question count: a picker kept by its key showed the count
    of an earlier run beside a funnel with one more question."""
    person = plan["stakeholder_name"] or tr("spin.anyone")
    visit = str(plan["visit_on"]) if plan["visit_on"] else tr("spin.no_day")
    return tr("spin.label", visit=visit, person=person, deal=plan["deal_name"])
