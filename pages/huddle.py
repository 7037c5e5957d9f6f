"""Huddle (例会): start or continue the weekly meeting — what changed, the agenda, decisions and actions,
the reviewer's questions and the coach's recommendations, notes and minutes.

Every save keeps the page where it was (kamui.chores: the open tab, the picked huddle, the agenda
item being decided stay put) and the new item shows at once.
"""

from __future__ import annotations

import re

import streamlit as st

from kamcore import accounts, clock, permissions, team
from kamcore.huddle import agenda, huddles, minutes, what_changed
from kamcore.i18n import choice_label
from kamui import calendar_view, chores

page = chores.open_page("huddle.title", "huddle.caption")
calendar_view.download(("huddle",), "huddle")
ICON = {"critical": ":red[●]", "warning": ":orange[●]", "info": ":blue[●]"}
def start_form(has_past: bool) -> None:
    """Open a huddle for this account (or a group); "since" defaults to the previous huddle of the same scope.
    Once the account has huddles the form waits, folded, and is drawn when opened (a click reruns the page):
    its scope picker lists every account the user can see — 2,000 for an executive."""
    box = st.expander(page.t("huddle.start"), expanded=not has_past, on_change="rerun",
                      key=f"huddle.start.open.{has_past}")
    if not box.open:
        return
    visible = {a["id"]: a["name"] for a in accounts.list_accounts(page.db, page.user)}
    since_default = huddles.default_since(page.db, [page.account_id])
    previous = huddles.previous_huddle(page.db, [page.account_id])
    with box, st.form("huddle.new"):
        chosen = st.multiselect(page.t("huddle.scope"), list(visible), default=[page.account_id],
                                format_func=visible.get, key="huddle.new.accounts")
        title = st.text_input(page.t("field.title"), key="huddle.new.title")
        left, right = st.columns(2)
        held_on = left.date_input(page.t("field.held_on"), value=clock.today(), key="huddle.new.held_on")
        default_day = clock.local(since_default).date()  # the company's day the previous huddle started
        since = right.date_input(page.t("field.since"), value=default_day, key="huddle.new.since")
        st.caption(page.t("huddle.since_default", since=page.stamp(since_default)) if previous
                   else page.t("huddle.since_first"))
        if st.form_submit_button(page.t("huddle.start_submit"), type="primary", key="huddle.new.submit"):
            moment = None if since == default_day and chosen == [page.account_id] else (
                clock.start_of_day(since) if since else None)  # from the start of that company day
            chores.act(lambda: huddles.start_huddle(page.db, page.user, chosen, held_on=held_on, since=moment,
                                                    title=title), page.t("huddle.started"), select="huddle.pick")


def owners_for(scope: list[int]) -> dict[int, str]:
    """People who can own an action: the teams of the huddle's accounts."""
    people: dict[int, str] = {}
    for account_id in scope:
        for member in team.list_team(page.db, page.user, account_id):
            people.setdefault(member["user_id"], member["display_name"])
    return people


def what_changed_tab(huddle: dict, scope: list[int]) -> None:
    """The audit log since the huddle's "since" as sentences, grouped by account, then area; filterable."""
    since = page.stamp(huddle["since"])
    left, right = st.columns(2)
    people = left.multiselect(page.t("changes.filter_people"),
                              what_changed.actors(page.db, page.user, scope, huddle["since"]),
                              key=f"huddle.changes.people.{huddle['id']}")
    areas = right.multiselect(page.t("changes.filter_areas"), list(what_changed.area_names()),
                              format_func=lambda a: page.t(f"area.{a}"), key=f"huddle.changes.areas.{huddle['id']}")
    items = what_changed.feed(page.db, page.user, scope, huddle["since"], page.lang, clock.today(),
                              people=set(people) or None, areas=set(areas) or None, zone=page.zone)
    if not items:
        st.info(page.t("changes.filtered_out") if people or areas else page.t("huddle.no_changes", since=since))
        return
    st.caption(page.t("huddle.changes_since", count=sum(len(i.lines) for i in items), since=since))
    current_account = None
    for account_name, area, found in what_changed.grouped(items):
        if len(scope) > 1 and account_name != current_account:
            current_account = account_name
            st.markdown(f"### {chores.plain(account_name)}")
        st.markdown(f"#### {page.t('area.' + area)} ({sum(len(i.lines) for i in found)})")
        bullets = []
        for item in found:
            mark = ":orange[▲] " if item.highlight else ""
            for number, text in enumerate(what_changed.sentences(item)):
                bullets.append(f"- {mark if number == 0 else ''}{chores.plain(text)}")
        st.markdown("\n".join(bullets))


def decide_form(item: agenda.AgendaItem, huddle: dict, people: dict[int, str], key: str) -> None:
    """Turn one agenda item into a decision or an action, right where it is listed."""
    with st.form(f"huddle.agenda.form.{key}"):
        kind = st.radio(page.t("field.kind"), huddles.KINDS, horizontal=True, key="huddle.agenda.kind",
                        format_func=lambda k: page.t(f"item_kind.{k}"))
        text = st.text_input(page.t("field.text"), value=item.display_title(page.lang), key="huddle.agenda.text")
        left, right = st.columns(2)
        owner = left.selectbox(page.t("field.owner_id"), [None, *people], key="huddle.agenda.owner",
                               format_func=lambda u: page.t("huddle.no_owner") if u is None else people[u])
        due = right.date_input(page.t("field.due_on"), value=None, key="huddle.agenda.due")
        save, cancel = st.columns(2)
        if save.form_submit_button(page.t("huddle.add"), type="primary", key="huddle.agenda.submit"):
            def write() -> dict:
                row = huddles.add_item(page.db, page.user, huddle["id"], kind, text, account_id=item.account_id,
                                       owner_id=owner, due_on=due, source=item.source)
                st.session_state.pop("huddle.agenda.target", None)
                return row
            chores.act(write, page.t("huddle.item_added"))
        if cancel.form_submit_button(page.t("agenda.act_cancel")):
            st.session_state.pop("huddle.agenda.target", None)
            st.rerun()


def agenda_row(item: agenda.AgendaItem, huddle: dict, editable: bool, people: dict[int, str], multi: bool) -> None:
    bits = [b for b in (item.urgency(page.lang), item.owner_name, item.display_detail(page.lang)) if b]
    if item.display_lesson(page.lang):
        bits.append(f"*{chores.plain(item.display_lesson(page.lang))}*")
    text, button = st.columns([9, 2], vertical_alignment="center")
    text.markdown(f"{ICON.get(item.severity, '')} [{chores.plain(item.display_title(page.lang))}]({item.link})"
                  + (f" — {' · '.join(chores.plain(b) if not b.startswith('*') else b for b in bits)}" if bits else ""))
    key = re.sub(r"\W", "_", item.source)
    if editable and button.button(page.t("agenda.act"), key=f"huddle.agenda.act.{key}"):
        st.session_state["huddle.agenda.target"] = item.source
    if st.session_state.get("huddle.agenda.target") == item.source:
        decide_form(item, huddle, people, key)


def agenda_tab(huddle: dict, scope: list[int], editable: bool, people: dict[int, str]) -> None:
    """By account, then urgency; the top items of each group first, the rest counted and one click away."""
    grouped = agenda.by_account(page.db, page.user, scope, clock.today())
    if not any(a.total for a in grouped):
        st.info(page.t("agenda.empty"))
        return
    for account in grouped:
        st.markdown(f"### {chores.plain(account.account_name)} · {page.t('agenda.account_counts', count=account.total)}")
        for section, items in account.groups.items():
            if not items:
                continue
            st.markdown(f"**{page.t('agenda.' + section)} ({len(items)})**")
            for item in items[:agenda.TOP_PER_GROUP]:
                agenda_row(item, huddle, editable, people, len(scope) > 1)
            rest = items[agenda.TOP_PER_GROUP:]
            if rest:  # drawn only when opened (a click reruns the page): a war room's agenda runs to hundreds
                open_rest = st.session_state.get("huddle.agenda.target") in {i.source for i in rest}
                more = st.expander(page.t("agenda.more", count=len(rest)), expanded=open_rest, on_change="rerun",
                                   key=f"huddle.agenda.more.{account.account_id}.{section}.{open_rest}")
                with more:
                    if more.open:
                        for item in rest:
                            agenda_row(item, huddle, editable, people, len(scope) > 1)


def items_tab(huddle: dict, scope: list[int], editable: bool, people: dict[int, str]) -> None:
    """The huddle's decisions and actions; open actions can be marked done; new ones recorded in one form."""
    items = huddles.list_items(page.db, page.user, huddle["id"])
    decisions = [i for i in items if i["kind"] == "decision"]
    actions = [i for i in items if i["kind"] == "action"]
    st.markdown(f"#### {page.t('huddle.decisions')}")
    if not decisions:
        st.caption(page.t("huddle.no_decisions"))
    for item in decisions:
        st.markdown(f"- {chores.plain(item['text'])}" + (f" · {chores.plain(item['account_name'])}" if len(scope) > 1 else ""))
    st.markdown(f"#### {page.t('huddle.actions')}")
    if not actions:
        st.caption(page.t("huddle.no_actions"))
    for item in actions:
        late = item["status"] == "open" and (item["due_on"] or "") < clock.today().isoformat()
        text, done = st.columns([5, 1])
        strike = "~~" if item["status"] != "open" else ""
        text.markdown(f"{':red[●] ' if late else ''}{strike}{chores.plain(item['text'])}{strike} — {chores.plain(item['owner_name'])} · "
                      f"{item['due_on']} · {choice_label('item_status', item['status'], page.lang)}")
        if editable and item["status"] == "open" and done.button(page.t("huddle.mark_done"),
                                                                 key=f"huddle.done.{item['id']}"):
            chores.act(lambda i=item: huddles.set_item_status(page.db, page.user, i["id"], i["version"], "done"),
                       page.t("huddle.marked_done"))
    if not editable:
        return
    names = {a: accounts.get_account(page.db, page.user, a)["name"] for a in scope}
    with st.form("huddle.item"):
        st.markdown(f"**{page.t('huddle.add_item')}**")
        kind = st.radio(page.t("field.kind"), huddles.KINDS, horizontal=True, key="huddle.item.kind",
                        format_func=lambda k: page.t(f"item_kind.{k}"))
        text = st.text_area(page.t("field.text"), key="huddle.item.text", height=80)
        cols = st.columns(3)
        account_id = cols[0].selectbox(page.t("field.account_id"), scope, format_func=names.get,
                                       key="huddle.item.account")
        owner = cols[1].selectbox(page.t("field.owner_id"), [None, *people], key="huddle.item.owner",
                                  format_func=lambda u: page.t("huddle.no_owner") if u is None else people[u])
        due = cols[2].date_input(page.t("field.due_on"), value=None, key="huddle.item.due")
        if st.form_submit_button(page.t("huddle.add"), type="primary", key="huddle.item.submit"):
            chores.act(lambda: huddles.add_item(page.db, page.user, huddle["id"], kind, text, account_id=account_id,
                                                owner_id=owner, due_on=due), page.t("huddle.item_added"))


def remarks_tab(huddle: dict, scope: list[int], editable: bool, people: dict[int, str]) -> None:
    """The reviewer's questions and the coach's recommendations, per account and section; each can become
    an action."""
    names = {a: accounts.get_account(page.db, page.user, a)["name"] for a in scope}
    remarks = huddles.list_remarks(page.db, page.user, huddle["id"])
    if not remarks:
        st.caption(page.t("huddle.remarks_none"))
    for remark in remarks:
        section = page.t(f"present.section.{remark['section']}")
        where = f"{chores.plain(remark['account_name'])} · {section}"
        st.markdown(f"- **{choice_label('remark_role', remark['role'], page.lang)}** ({chores.plain(remark['author'] or '—')}, "
                    f"{where}): {chores.plain(remark['text'])}")
        if remark["action_id"] is not None:
            st.caption(page.t("huddle.remark_is_action", owner=chores.plain(remark["action_owner"] or None),
                              due=remark["action_due"] or "—",
                              status=choice_label("item_status", remark["action_status"], page.lang)))
        elif editable:
            with st.popover(page.t("huddle.remark_to_action")), st.form(f"huddle.remark.act.{remark['id']}"):
                owner = st.selectbox(page.t("field.owner_id"), [None, *people], key=f"huddle.remark.owner.{remark['id']}",
                                     format_func=lambda u: page.t("huddle.no_owner") if u is None else people[u])
                due = st.date_input(page.t("field.due_on"), value=None, key=f"huddle.remark.due.{remark['id']}")
                if st.form_submit_button(page.t("huddle.add"), type="primary"):
                    chores.act(lambda r=remark, o=owner, d=due: huddles.remark_to_action(
                        page.db, page.user, r["id"], r["version"], owner_id=o, due_on=d),
                               page.t("huddle.remark_made_action"))
    with st.form(f"huddle.remark.new.{huddle['id']}", clear_on_submit=True):
        cols = st.columns(3)
        account_id = cols[0].selectbox(page.t("field.account_id"), scope, format_func=names.get,
                                       key="huddle.remark.account")
        section = cols[1].selectbox(page.t("field.section"), huddles.SECTIONS, key="huddle.remark.section",
                                    format_func=lambda s: page.t(f"present.section.{s}"))
        role = cols[2].radio(page.t("field.role"), huddles.REMARK_ROLES, key="huddle.remark.role",
                             format_func=lambda r: choice_label("remark_role", r, page.lang))
        text = st.text_input(page.t("present.remark_text"), key="huddle.remark.text")
        if st.form_submit_button(page.t("huddle.remark_add")):
            chores.act(lambda: huddles.add_remark(page.db, page.user, huddle["id"], account_id, section, role, text),
                       page.t("huddle.remark_added"))


def minutes_tab(huddle: dict, editable: bool, people: dict[int, str]) -> None:
    """Roles, attendees and notes (saved on the huddle's version), closing, and the minutes downloads."""
    hid = huddle["id"]
    candidates = huddles.role_candidates(page.db, page.user, huddle)
    with st.form(f"huddle.roles.{hid}"):
        st.markdown(f"**{page.t('huddle.roles')}**")
        st.caption(page.t("huddle.roles_caption"))
        cols = st.columns(3)
        chosen_roles = {}
        for col, role in zip(cols, huddles.ROLES, strict=True):
            options = [None, *candidates]
            if huddle.get(role) is not None and huddle[role] not in candidates:
                options.append(huddle[role])
            chosen_roles[role] = col.selectbox(
                page.t(f"field.{role}"), options, index=options.index(huddle.get(role)), key=f"huddle.roles.{hid}.{role}",
                format_func=lambda u: page.t("huddle.no_role") if u is None else candidates.get(u, "—"),
                disabled=not editable)
        if st.form_submit_button(page.t("huddle.roles_save"), disabled=not editable):
            chores.act(lambda: huddles.update_huddle(page.db, page.user, hid, huddle["version"], chosen_roles),
                       page.t("huddle.roles_saved"))
    attendees = [int(u) for u in huddle["attendees"].split(",") if u]
    everyone = {**people, **{u: n for u, n in zip(attendees, huddles.attendee_names(page.db, huddle), strict=False)}}
    with st.form(f"huddle.notes.{hid}"):
        chosen = st.multiselect(page.t("huddle.attendees"), list(everyone), default=attendees,
                                format_func=everyone.get, key=f"huddle.notes.{hid}.attendees", disabled=not editable)
        notes = st.text_area(page.t("field.notes"), value=huddle["notes"], height=160,
                             key=f"huddle.notes.{hid}.text", disabled=not editable)
        save, close = st.columns(2)
        if save.form_submit_button(page.t("huddle.save_notes"), disabled=not editable):
            chores.act(lambda: huddles.update_huddle(page.db, page.user, hid, huddle["version"],
                                                     {"notes": notes, "attendees": chosen}), page.t("huddle.notes_saved"))
        if close.form_submit_button(page.t("huddle.close"), disabled=not editable or huddle["status"] == "closed"):
            chores.act(lambda: huddles.update_huddle(page.db, page.user, hid, huddle["version"],
                                                     {"notes": notes, "attendees": chosen, "status": "closed"}),
                       page.t("huddle.closed"))
    st.markdown(f"#### {page.t('huddle.minutes')}")
    record = minutes.gather(page.db, page.user, hid, page.lang, page.zone)
    left, right = st.columns(2)
    left.download_button(page.t("huddle.minutes_md"), minutes.to_markdown(record).encode("utf-8"),
                         file_name=minutes.filename(record, "md"), mime="text/markdown", key="huddle.minutes.md")
    # the Word file is built when it is asked for, from the minutes already gathered (plain data, no connection)
    right.download_button(page.t("huddle.minutes_docx"), lambda: minutes.to_docx(record),
                          file_name=minutes.filename(record, "docx"), key="huddle.minutes.docx",
                          mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document")


past = huddles.list_huddles(page.db, page.user, page.account_id)
start_form(bool(past))
if not past:
    st.info(page.t("huddle.none_yet"))
    st.stop()
by_id = {h["id"]: h for h in past}
hid = chores.pick("huddle.pick", list(by_id), lambda i: f"{by_id[i]['held_on']} · "
                  f"{by_id[i]['title'] or page.t('huddle.title')} · "
                  f"{choice_label('huddle_status', by_id[i]['status'], page.lang)}",
                  param="huddle", title=page.t("huddle.pick"))
huddle = huddles.get_huddle(page.db, page.user, hid)
scope = huddles.scope_ids(huddle)
editable = all(permissions.can_edit(page.db, page.user, a) for a in scope)
roles = huddles.role_names(page.db, huddle)
st.markdown(chores.plain(page.t("huddle.role_line", presenter=roles["presenter_id"] or "—",
                      reviewer=roles["reviewer_id"] or "—", coach=roles["coach_id"] or "—")))
if not editable:
    st.caption(page.t("huddle.readonly"))
st.markdown(f"[{page.t('huddle.present_link')} ↗](/present?huddle={hid}&account={page.account_id})")
people = owners_for(scope)
# A click on a tab reruns the page. The agenda (hundreds of rows, each with its button, in a war room) is drawn
# while its tab is open, or while one of its items is being turned into an action; the tabs with forms are
# drawn on every run, so what a user typed there survives a look at another tab.
tabs = chores.tabs([page.t("huddle.tab.changes"), page.t("huddle.tab.agenda"), page.t("huddle.tab.items"),
                    page.t("huddle.tab.roles"), page.t("huddle.tab.minutes")], key="huddle.tabs", lazy=True)
with tabs[0]:
    what_changed_tab(huddle, scope)
with tabs[1]:
    if tabs[1].open or st.session_state.get("huddle.agenda.target"):
        agenda_tab(huddle, scope, editable, people)
with tabs[2]:
    items_tab(huddle, scope, editable, people)
with tabs[3]:
    remarks_tab(huddle, scope, editable, people)
with tabs[4]:
    minutes_tab(huddle, editable, people)
