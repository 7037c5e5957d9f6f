"""The working rhythm (D9): hand in logs, plans and summaries; reminders; the lead reviews and sees who is late."""

import pandas as pd
import streamlit as st

from kamcore import clock
from kamcore.rhythm import entries
from kamui import calendar_view
from kamui.chores import act, labels, open_page, plain, tabs

page = open_page("rhythm.title", "rhythm.caption", needs_account=False)
calendar_view.download(("rhythm",), "rhythm")
db, user, t = page.db, page.user, page.t
kind_label = labels("rhythm_kind")


def when(moment) -> str:
    """A deadline or hand-in time in the reader's zone and language (`clock.stamp`)."""
    return page.stamp(moment)


for due in entries.reminders(db, user):
    text = t("rhythm.overdue" if due.overdue else "rhythm.reminder", kind=kind_label(due.kind),
             period=page.day(due.period_start), due=when(due.due))
    (st.error if due.overdue else st.warning)(text)

names = [t("rhythm.tab.write"), t("rhythm.tab.mine"), t("rhythm.tab.lead")]
write_tab, mine_tab, lead_tab = tabs(names, "rhythm.tabs")

with write_tab:
    choices = entries.link_choices(db, user, st.session_state.get("rhythm.account"))  # the deals of the one picked
    a, b = st.columns(2)
    kind = a.selectbox(t("field.kind"), entries.KINDS, format_func=kind_label, key="rhythm.kind")
    day = b.date_input(t("rhythm.period_day"), value=clock.today(), key="rhythm.day", help=t("rhythm.period_hint"))
    if st.session_state.pop("rhythm.body._clear", False):  # before the box is drawn: the browser shows it blank
        st.session_state["rhythm.body"] = ""
    body = st.text_area(t("field.rhythm_entry.body"), key="rhythm.body", height=120)
    st.markdown(f"**{t('rhythm.links')}**")
    a, b, c = st.columns(3)
    accounts = choices["account"]
    account = a.selectbox(t("field.account_id"), [None, *accounts], key="rhythm.account",
                          format_func=lambda i: "—" if i is None else accounts[i])
    deals, people = choices["opportunity"], choices["stakeholder"]
    deal = b.selectbox(t("field.opportunity_id"), [None, *deals], key="rhythm.deal",
                       format_func=lambda i: "—" if i is None else deals[i])
    person = c.selectbox(t("field.stakeholder_id"), [None, *people], key="rhythm.person",
                         format_func=lambda i: "—" if i is None else people[i])
    if st.button(t("rhythm.write"), type="primary", key="rhythm.submit"):
        def hand_in() -> dict:
            made = entries.write_entry(db, user, {"kind": kind, "period_start": day, "body": body, "account_id": account,
                                                  "opportunity_id": deal, "stakeholder_id": person})
            st.session_state["rhythm.body._clear"] = True  # a blank box for the next entry; a refused one keeps it
            return made
        act(hand_in, t("rhythm.written"))


def table(rows: list[dict]) -> pd.DataFrame:
    """Entries as a table with readable columns."""
    return pd.DataFrame([{
        t("field.rhythm_entry.period_start"): r["period_start"], t("field.kind"): kind_label(r["kind"]),
        t("field.author_id"): r["author"], t("rhythm.entry"): r["body"],
        t("rhythm.concerns"): " · ".join(x for x in (r["account_name"], r["opportunity_name"], r["stakeholder_name"])
                                         if x) or "—",
        t("rhythm.due"): when(r["due"]), t("rhythm.when"): when(r["submitted_at"]),
        t("field.status"): t("rhythm.late_mark") if r["late"] else t("rhythm.on_time"),
        t("field.review_status"): labels("review_status")(r["review_status"]),
        t("field.reviewed_by"): r["reviewer"] or "—", t("field.review_note"): r["review_note"] or "—"} for r in rows])


with mine_tab:
    mine = entries.list_entries(db, user, author_id=user.id)
    reviewed = sorted((r for r in mine if r["review_status"] == "reviewed"), key=lambda r: r["reviewed_at"] or "",
                      reverse=True)[:3]
    if reviewed:  # the lead's latest word, readable without scrolling the table sideways
        st.markdown(f"**{t('rhythm.feedback_title')}**")
        for r in reviewed:
            st.markdown("- " + plain(t("rhythm.feedback", reviewer=r["reviewer"], kind=kind_label(r["kind"]),
                                       period=page.day(r["period_start"]), note=r["review_note"] or "—",
                                       when=when(r["reviewed_at"]))))
    if mine:
        st.dataframe(table(mine), hide_index=True, width="stretch")
    else:
        st.info(t("rhythm.none"))

with lead_tab:
    view = entries.lead_view(db, user)
    if view is None:
        st.info(t("rhythm.lead_only"))
    else:
        counts = view["counts"]  # the same figures as the digest on My work
        a, b, c = st.columns(3)
        a.metric(t("rhythm.count.late"), counts["late"])
        b.metric(t("rhythm.count.missing"), counts["missing"])
        c.metric(t("rhythm.count.to_review"), counts["to_review"])
        st.markdown(f"**{t('rhythm.late_title')}**")
        if view["late"]:
            st.dataframe(table(view["late"]), hide_index=True, width="stretch")
        else:
            st.success(t("rhythm.no_late"))
        st.markdown(f"**{t('rhythm.missing_title')}**")
        if view["missing"]:
            st.dataframe(pd.DataFrame([{t("rhythm.person"): d.name, t("field.kind"): kind_label(d.kind),
                                        t("field.rhythm_entry.period_start"): page.day(d.period_start),
                                        t("rhythm.due"): when(d.due)} for d in view["missing"]]),
                         hide_index=True, width="stretch")
        else:
            st.success(t("rhythm.no_missing"))
        st.markdown(f"**{t('rhythm.to_review')}**")
        waiting = {r["id"]: r for r in view["to_review"]}
        seen = st.session_state.get("rhythm.review.pick")  # the entry the reader had open on the last run
        if seen is not None and seen not in waiting:
            # it left the list since (its author's lead changed, someone reviewed it): keep it on screen so a
            # click on "Mark reviewed" goes to kamcore for THIS entry and is refused with the reason — never
            # silently to whichever entry now comes first
            kept = entries.get_entry(db, user, seen)
            if kept is not None and kept["review_status"] == "pending":
                waiting = {seen: kept, **waiting}
            else:
                st.session_state.pop("rhythm.review.pick")
                st.info(t("rhythm.review_gone"))
        if not waiting:
            st.success(t("rhythm.nothing_to_review"))
        else:
            chosen = st.selectbox(t("rhythm.entry"), list(waiting), key="rhythm.review.pick",  # outside the form:
                                  format_func=lambda i: f"{waiting[i]['author']} · {kind_label(waiting[i]['kind'])} · "
                                                        f"{waiting[i]['period_start']}")  # the text follows the pick
            row = waiting[chosen]
            if st.session_state.pop("rhythm.review.note._clear", False):
                st.session_state["rhythm.review.note"] = ""
            with st.form(f"rhythm.review.{chosen}"):  # a submit reviews the entry it was drawn for, or nothing
                st.caption(plain(row["body"]))
                note = st.text_input(t("field.review_note"), key="rhythm.review.note")
                if st.form_submit_button(t("rhythm.review"), type="primary"):
                    def review() -> dict:
                        done = entries.review(db, user, row["id"], row["version"], note)
                        st.session_state["rhythm.review.note._clear"] = True  # the next entry: a blank note
                        return done
                    act(review, t("rhythm.reviewed"))
