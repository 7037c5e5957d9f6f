"""Customer reviews (QBR): agenda, delivered vs goals, customer voice, SWOT, commitments, print-ready export."""

import pandas as pd
import streamlit as st

from kamcore import clock, permissions
from kamcore.reviews import qbr
from kamui import calendar_view
from kamui.chores import act, labels, open_page, pick, plain, tabs
from kamui.editing import NewForm, VersionedForm

page = open_page("qbr.title", "qbr.caption")
calendar_view.download(("review",), "reviews")
db, user, t = page.db, page.user, page.t
editable = permissions.can_edit(db, user, page.account_id)


def new_review(expanded: bool) -> None:
    today = clock.today()
    with st.expander(t("qbr.new"), expanded=expanded), st.form("qbr.new"):
        title = st.text_input(t("field.title"), key="qbr.new.title")
        a, b, c = st.columns(3)
        year = a.number_input(t("field.year"), 2000, 2100, today.year, key="qbr.new.year")
        quarter = b.selectbox(t("field.quarter"), (1, 2, 3, 4), index=(today.month - 1) // 3, key="qbr.new.quarter")
        meeting = c.date_input(t("field.meeting_on"), value=today, key="qbr.new.meeting")
        if st.form_submit_button(t("qbr.create"), type="primary", disabled=not editable):
            act(lambda: qbr.create_qbr(db, user, {"account_id": page.account_id, "title": title, "year": int(year),
                                                  "quarter": quarter, "meeting_on": meeting}),
                t("qbr.created"), select="qbr.pick")


listed = qbr.list_qbrs(db, user, page.account_id)
if not listed:
    st.info(t("qbr.none"))
    new_review(expanded=True)
    st.stop()
by_id = {r["id"]: r for r in listed}
chosen = pick("qbr.pick", list(by_id), lambda i: f"{by_id[i]['title']} · {by_id[i]['meeting_on']}", param="qbr",
              title=t("qbr.pick"))
review = qbr.get_qbr(db, user, chosen)
st.subheader(f"{plain(review['title'])} · {t('qbr.period', year=review['year'], quarter=review['quarter'])}")
promises = qbr.commitments(db, user, chosen)
due = [c for c in qbr.commitments_due(db, [page.account_id], clock.today()) if c["qbr_id"] == chosen]
if due:
    st.warning(t("qbr.due_soon", count=len(due)))

names = [t("qbr.tab.agenda"), t("qbr.tab.delivered"), t("qbr.tab.swot"), t("qbr.tab.commitments"),
         t("qbr.tab.print")]
agenda_tab, delivered_tab, swot_tab, commit_tab, print_tab = tabs(names, "qbr.tabs")

VOICE = ("agenda", "satisfaction", "complaints", "requests")
voice = VersionedForm("qbr.voice", review, VOICE)
swot = VersionedForm("qbr.swot", review, qbr.SWOT)


def review_save(form: VersionedForm) -> None:
    """Save the fields of the review the person changed (an untouched satisfaction stays as stored)."""
    form.save(lambda version, changes: qbr.update_qbr(db, user, chosen, version, changes), t("qbr.saved"))


with agenda_tab:
    voice.conflict_panel(lambda version, changes: qbr.update_qbr(db, user, chosen, version, changes), t("qbr.saved"))
    with st.form("qbr.voice"):
        st.text_area(t("field.agenda"), **voice.field("agenda"), height=160)
        st.markdown(f"**{t('qbr.voice')}**")
        st.number_input(t("field.satisfaction"), 1, 10, **voice.field("satisfaction"), placeholder="—")
        a, b = st.columns(2)
        a.text_area(t("field.complaints"), **voice.field("complaints"))
        b.text_area(t("field.requests"), **voice.field("requests"))
        if st.form_submit_button(t("qbr.save"), type="primary", disabled=not editable):
            review_save(voice)

with delivered_tab:
    rows = qbr.delivered(db, user, review)
    if rows:
        st.dataframe(pd.DataFrame([{
            t("qbr.goal"): qbr.goal_label(g, page.lang),
            t("qbr.target"): qbr.figure(g, g["target"], page.lang), t("qbr.actual"): qbr.figure(g, g["actual"], page.lang),
            t("qbr.attainment"): "—" if g["attainment"] is None else f"{g['attainment']:.0%}"} for g in rows]),
            hide_index=True, width="stretch")
    else:
        st.info(t("qbr.no_goals"))

with swot_tab:
    swot.conflict_panel(lambda version, changes: qbr.update_qbr(db, user, chosen, version, changes), t("qbr.saved"))
    with st.form("qbr.swot"):
        a, b = st.columns(2)
        for i, k in enumerate(qbr.SWOT):
            (a if i % 2 == 0 else b).text_area(t(f"field.{k}"), **swot.field(k))
        if st.form_submit_button(t("qbr.save"), type="primary", disabled=not editable):
            review_save(swot)

with commit_tab:
    if promises:
        st.dataframe(pd.DataFrame([{
            t("qbr.side"): labels("qbr_side")(c["side"]), t("qbr.commitment"): c["text"], t("field.owner"): c["owner"],
            t("field.due_on"): c["due_on"], t("field.status"): labels("commitment_status")(c["status"])}
            for c in promises]), hide_index=True, width="stretch")
        by_c = {c["id"]: c for c in promises}
        st.markdown(f"**{t('qbr.commitment_edit')}**")
        a, b = st.columns([3, 1])
        cid = a.selectbox(t("qbr.commitment"), list(by_c), format_func=lambda i: by_c[i]["text"],
                          key="qbr.commitment.pick")  # outside the form: the status below follows the pick
        promise = VersionedForm("qbr.commitment", by_c[cid], ("status",))
        with b.form("qbr.commitment.edit"):
            st.selectbox(t("field.status"), qbr.STATUSES, format_func=labels("commitment_status"),
                         **promise.choice("status", qbr.STATUSES))
            if st.form_submit_button(t("qbr.commitment_save"), disabled=not editable):
                promise.save(lambda version, changes: qbr.update_commitment(db, user, cid, version, changes),
                             t("qbr.saved"))
    else:
        st.info(t("qbr.no_commitments"))
    promised = NewForm(f"qbr.new_c.{chosen}", {"side": qbr.SIDES[0], "text": "", "owner": "", "due_on": None})
    with st.form("qbr.commitment.add"):
        st.markdown(f"**{t('qbr.add_commitment')}**")
        a, b, c, d = st.columns([1, 3, 2, 2])
        a.selectbox(t("qbr.side"), qbr.SIDES, format_func=labels("qbr_side"), **promised.choice("side", qbr.SIDES))
        b.text_input(t("qbr.commitment"), **promised.field("text"))
        c.text_input(t("field.owner"), **promised.field("owner"))
        d.date_input(t("field.due_on"), **promised.field("due_on"))
        if st.form_submit_button(t("qbr.add_commitment"), disabled=not editable):
            promised.add(lambda values: qbr.add_commitment(db, user, chosen, values), t("qbr.commitment_added"))

with print_tab:
    document = qbr.export_html(db, user, chosen, page.lang)
    st.caption(t("qbr.print_hint"))
    st.download_button(t("qbr.download"), document, file_name=f"qbr-{review['year']}-q{review['quarter']}.html",
                       mime="text/html", key="qbr.download")
    st.iframe(document, height=600)

new_review(expanded=False)
