"""Customer reviews (QBR): agenda, delivered vs goals, customer voice, SWOT, commitments, print-ready export."""

import pandas as pd
import streamlit as st

from kamcore import clock, permissions
from kamcore.i18n import choice_label
from kamcore.reviews import qbr
from kamui import calendar_view
from kamui.chores import act, labels, open_page, pick, plain, tabs

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

with agenda_tab, st.form("qbr.voice"):
    agenda = st.text_area(t("field.agenda"), value=review["agenda"], height=160, key=f"qbr.agenda.{chosen}")
    st.markdown(f"**{t('qbr.voice')}**")
    score = st.slider(t("field.satisfaction"), 1, 10, review["satisfaction"] or 5, key=f"qbr.satisfaction.{chosen}")
    a, b = st.columns(2)
    complaints = a.text_area(t("field.complaints"), value=review["complaints"], key=f"qbr.complaints.{chosen}")
    requests = b.text_area(t("field.requests"), value=review["requests"], key=f"qbr.requests.{chosen}")
    if st.form_submit_button(t("qbr.save"), type="primary", disabled=not editable):
        act(lambda: qbr.update_qbr(db, user, chosen, review["version"], {
            "agenda": agenda, "satisfaction": score, "complaints": complaints, "requests": requests}), t("qbr.saved"))

with delivered_tab:
    rows = qbr.delivered(db, user, review)
    if rows:
        st.dataframe(pd.DataFrame([{
            t("qbr.goal"): g["title"] or choice_label("metric", g["metric"], page.lang),
            t("field.metric"): " ".join(x for x in (choice_label("metric", g["metric"], page.lang), g["product_line"])
                                        if x),
            t("qbr.target"): qbr.figure(g["target"], g, page.lang), t("qbr.actual"): qbr.figure(g["actual"], g, page.lang),
            t("qbr.attainment"): "—" if g["attainment"] is None else f"{g['attainment']:.0%}"} for g in rows]),
            hide_index=True, width="stretch")
    else:
        st.info(t("qbr.no_goals"))

with swot_tab, st.form("qbr.swot"):
    a, b = st.columns(2)
    swot = {k: (a if i % 2 == 0 else b).text_area(t(f"field.{k}"), value=review[k], key=f"qbr.{k}.{chosen}")
            for i, k in enumerate(qbr.SWOT)}
    if st.form_submit_button(t("qbr.save"), type="primary", disabled=not editable):
        act(lambda: qbr.update_qbr(db, user, chosen, review["version"], swot), t("qbr.saved"))

with commit_tab:
    if promises:
        st.dataframe(pd.DataFrame([{
            t("qbr.side"): labels("qbr_side")(c["side"]), t("qbr.commitment"): c["text"], t("field.owner"): c["owner"],
            t("field.due_on"): c["due_on"], t("field.status"): labels("commitment_status")(c["status"])}
            for c in promises]), hide_index=True, width="stretch")
        by_c = {c["id"]: c for c in promises}
        with st.form("qbr.commitment.edit"):
            st.markdown(f"**{t('qbr.commitment_edit')}**")
            a, b = st.columns([3, 1])
            cid = a.selectbox(t("qbr.commitment"), list(by_c), format_func=lambda i: by_c[i]["text"],
                              key="qbr.commitment.pick")
            status = b.selectbox(t("field.status"), qbr.STATUSES, format_func=labels("commitment_status"),
                                 key="qbr.commitment.status")
            if st.form_submit_button(t("qbr.commitment_save"), disabled=not editable):
                act(lambda: qbr.update_commitment(db, user, cid, by_c[cid]["version"], {"status": status}),
                    t("qbr.saved"))
    else:
        st.info(t("qbr.no_commitments"))
    with st.form("qbr.commitment.add"):
        st.markdown(f"**{t('qbr.add_commitment')}**")
        a, b, c, d = st.columns([1, 3, 2, 2])
        side = a.selectbox(t("qbr.side"), qbr.SIDES, format_func=labels("qbr_side"), key="qbr.new_c.side")
        text = b.text_input(t("qbr.commitment"), key="qbr.new_c.text")
        owner = c.text_input(t("field.owner"), key="qbr.new_c.owner")
        when = d.date_input(t("field.due_on"), value=None, key="qbr.new_c.due")
        if st.form_submit_button(t("qbr.add_commitment"), disabled=not editable):
            act(lambda: qbr.add_commitment(db, user, chosen, {"side": side, "text": text, "owner": owner,
                                                              "due_on": when}), t("qbr.commitment_added"))

with print_tab:
    document = qbr.export_html(db, user, chosen, page.lang)
    st.caption(t("qbr.print_hint"))
    st.download_button(t("qbr.download"), document, file_name=f"qbr-{review['year']}-q{review['quarter']}.html",
                       mime="text/html", key="qbr.download")
    st.iframe(document, height=600)

new_review(expanded=False)
