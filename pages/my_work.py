"""My work: my open actions across every account, mentions of me, and comments with @mentions."""

import streamlit as st

from kamcore import clock, comments, inbox
from kamcore.huddle import agenda, huddles
from kamcore.rhythm import entries
from kamcore.text import plain
from kamui import calendar_view, context, mail_view
from kamui.editing import attempt, flash

page = context.page()
st.title(page.t("mywork.title"))
st.caption(page.t("mywork.caption"))
waiting = inbox.unread(page.db, page.user)
if any(waiting.values()):  # opened = read; the navigation above still shows the count, so draw the page again
    inbox.mark_read(page.db, page.user)
    st.session_state["mywork.was_unread"] = waiting
    st.rerun()
if seen := st.session_state.pop("mywork.was_unread", None):
    st.info(page.t("mywork.unread", **seen))
COMMENT_KINDS = ("goal", "opportunity", "stakeholder", "retrospective")

left, right = st.columns([3, 2])
with left:
    st.subheader(page.t("mywork.actions"))
    mine = agenda.for_owner(page.db, page.user, page.user.id, clock.today()) if page.user.id else []
    if not mine:
        st.info(page.t("mywork.no_actions"))
    for item in mine:
        text, done = st.columns([5, 1])
        late = ":red[●] " if item.section == "overdue" else ""
        text.markdown(f"{late}[{plain(item.display_title(page.lang))}]({item.link}) — {plain(item.account_name)} · "
                      f"{page.t(item.kind)} · "
                      f"{page.t('agenda.due_label', due=item.due)}")
        entity, _, raw_id = item.source.partition(":")
        if entity == "huddle_item" and done.button(page.t("huddle.mark_done"), key=f"mywork.done.{raw_id}"):
            row = huddles.get_item(page.db, page.user, int(raw_id))
            ok, _ = attempt(lambda r=row: huddles.set_item_status(page.db, page.user, r["id"], r["version"], "done"))
            if ok:
                flash(page.t("huddle.marked_done"))
                st.rerun()
    digest = entries.lead_digest(page.db, page.user) if page.user.id else None
    if digest and (digest["late"] or digest["missing"] or digest["to_review"]):  # flagged for the lead (D9)
        st.subheader(page.t("mywork.rhythm"))
        (st.warning if digest["late"] or digest["missing"] else st.info)(page.t("mywork.rhythm_digest", **digest))
        st.page_link("pages/rhythm.py", label=page.t("mywork.rhythm_open"), icon=":material/event_repeat:")
with right:
    st.subheader(page.t("mywork.mentions"))
    mentions = comments.my_mentions(page.db, page.user)
    if not mentions:
        st.info(page.t("mywork.no_mentions"))
    for comment in mentions:
        st.markdown(f"**{plain(comment['author'])}** · {plain(comment['account_name'])} · "
                    f"{page.t('entity.' + comment['entity'])} · {page.day(comment['created_at'])}")
        st.caption(plain(comment["body"]))

st.divider()
calendar_view.feed_panel()
mail_view.preferences_panel()
st.divider()
st.subheader(page.t("mywork.comment"))
if page.account_id is None:
    st.info(page.t("page.pick_account"))
    st.stop()
kind = st.segmented_control(page.t("field.entity"), COMMENT_KINDS, default=COMMENT_KINDS[0], key="comment.entity",
                            format_func=lambda k: page.t(f"entity.{k}")) or COMMENT_KINDS[0]
choices = comments.commentable_records(page.db, page.user, page.account_id, kind)
if not choices:
    st.info(page.t("mywork.no_records", entity=page.t(f"entity.{kind}")))
else:
    if st.session_state.pop("comment.body._clear", False):  # before the box is drawn: the browser shows it blank
        st.session_state["comment.body"] = ""
    with st.form("comment.form"):
        record_id = st.selectbox(page.t("mywork.comment_on"), list(choices), format_func=choices.get,
                                 key="comment.record")
        body = st.text_area(page.t("field.body"), help=page.t("mywork.body_help"), key="comment.body", height=90)
        if st.form_submit_button(page.t("mywork.post"), type="primary", key="comment.submit"):
            ok, _ = attempt(lambda: comments.add_comment(page.db, page.user, kind, record_id, body))
            if ok:
                st.session_state["comment.body._clear"] = True  # a blank box after a post; a refused one keeps it
                flash(page.t("mywork.posted"))
                st.rerun()
st.markdown(f"#### {page.t('mywork.recent_comments')}")
recent = comments.account_comments(page.db, page.user, page.account_id, limit=20, lang=page.lang)
if not recent:
    st.caption(page.t("mywork.no_comments"))
for comment in recent:
    st.markdown(f"**{plain(comment['author'])}** · {page.t('entity.' + comment['entity'])}: {plain(comment['record'])} · "
                f"{page.stamp(comment['created_at'])}")
    st.caption(plain(comment["body"]))
    if comment["author_id"] == page.user.id and st.button(page.t("mywork.delete_comment"), type="tertiary",
                                                          key=f"comment.delete.{comment['id']}"):
        ok, _ = attempt(lambda c=comment: comments.delete_comment(page.db, page.user, c["id"], c["version"]))
        if ok:
            flash(page.t("mywork.comment_deleted"))
            st.rerun()
