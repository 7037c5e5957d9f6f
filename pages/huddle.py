"""Huddle (例会): start or continue the weekly meeting — what changed, the agenda, decisions and actions, minutes."""

from datetime import UTC, date, datetime

import streamlit as st

from kamcore import accounts, clock, permissions, team
from kamcore.errors import KamError
from kamcore.huddle import agenda, huddles, minutes, what_changed
from kamcore.i18n import choice_label
from kamui import context
from kamui.editing import attempt, flash, show_error

page = context.page()
st.title(page.t("huddle.title"))
st.caption(page.t("huddle.caption"))
if page.account_id is None:
    st.info(page.t("account.none_selected"))
    st.stop()

ICON = {"critical": ":red[●]", "warning": ":orange[●]", "info": ":blue[●]"}


def start_form(has_past: bool) -> None:
    """Open a huddle for this account (or a group); "since" defaults to the previous huddle of the same scope."""
    visible = {a["id"]: a["name"] for a in accounts.list_accounts(page.db, page.user)}
    since_default = huddles.default_since(page.db, [page.account_id])
    previous = huddles.previous_huddle(page.db, [page.account_id])
    with st.expander(page.t("huddle.start"), expanded=not has_past), st.form("huddle.new"):
        chosen = st.multiselect(page.t("huddle.scope"), list(visible), default=[page.account_id],
                                format_func=visible.get, key="huddle.new.accounts")
        title = st.text_input(page.t("field.title"), key="huddle.new.title")
        left, right = st.columns(2)
        held_on = left.date_input(page.t("field.held_on"), value=clock.today(), key="huddle.new.held_on")
        default_day = date.fromisoformat(since_default[:10])
        since = right.date_input(page.t("field.since"), value=default_day, key="huddle.new.since")
        st.caption(page.t("huddle.since_default", since=since_default[:16].replace("T", " ")) if previous
                   else page.t("huddle.since_first"))
        if st.form_submit_button(page.t("huddle.start_submit"), type="primary", key="huddle.new.submit"):
            moment = None if since == default_day and chosen == [page.account_id] else (
                datetime.combine(since, datetime.min.time(), tzinfo=UTC) if since else None)
            ok, row = attempt(lambda: huddles.start_huddle(page.db, page.user, chosen, held_on=held_on,
                                                           since=moment, title=title))
            if ok:
                st.query_params["huddle"] = str(row["id"])
                flash(page.t("huddle.started"))
                st.rerun()


def owners_for(scope: list[int]) -> dict[int, str]:
    """People who can own an action: the teams of the huddle's accounts."""
    people: dict[int, str] = {}
    for account_id in scope:
        for member in team.list_team(page.db, page.user, account_id):
            people.setdefault(member["user_id"], member["display_name"])
    return people


def what_changed_section(huddle: dict, scope: list[int]) -> None:
    """The audit log since the huddle's "since", as readable sentences grouped by kind of record."""
    items = what_changed.feed(page.db, page.user, scope, huddle["since"], page.lang, clock.today())
    since = huddle["since"][:16].replace("T", " ")
    if not items:
        st.info(page.t("huddle.no_changes", since=since))
        return
    st.caption(page.t("huddle.changes_since", count=sum(len(i.lines) for i in items), since=since))
    current = None
    for item in items:
        if item.entity != current:
            current = item.entity
            st.markdown(f"#### {page.t('entity.' + item.entity).capitalize()}")
        where = f" · {item.account_name}" if len(scope) > 1 else ""
        mark = ":orange[▲] " if item.highlight else ""
        lines = "\n".join(f"  - {'**' + line.text + '**' if line.highlight else line.text}" for line in item.lines)
        st.markdown(f"- {mark}[{item.title}]({item.link}){where}\n{lines}")


def agenda_tab(huddle: dict, scope: list[int], editable: bool, people: dict[int, str]) -> None:
    """Overdue and due actions, flags, closing deals, goals behind — and turning one into a decision or action."""
    sections = agenda.build(page.db, page.user, scope, clock.today())
    every = [item for section in agenda.SECTIONS for item in sections[section]]
    if not every:
        st.info(page.t("agenda.empty"))
    for section in agenda.SECTIONS:
        if not sections[section]:
            continue
        st.markdown(f"#### {page.t('agenda.' + section)} ({len(sections[section])})")
        for item in sections[section]:
            bits = [page.t(item.kind)]
            if len(scope) > 1:
                bits.append(item.account_name)
            if item.due:
                bits.append(page.t("agenda.due_label", due=item.due))
            if item.owner_name:
                bits.append(page.t("agenda.owner_label", name=item.owner_name))
            if item.detail:
                bits.append(item.detail)
            if item.display_lesson(page.lang):
                bits.append(f"*{item.display_lesson(page.lang)}*")
            st.markdown(f"- {ICON.get(item.severity, '')} [{item.display_title(page.lang)}]({item.link}) — {' · '.join(bits)}")
    if not every or not editable:
        return
    by_source = {item.source: item for item in every}
    with st.form("huddle.agenda"):
        st.markdown(f"**{page.t('agenda.turn_into')}**")
        source = st.selectbox(page.t("agenda.item"), list(by_source), key="huddle.agenda.item",
                              format_func=lambda s: f"{by_source[s].display_title(page.lang)} ({page.t('agenda.' + by_source[s].section)})")
        kind = st.radio(page.t("field.kind"), huddles.KINDS, horizontal=True, key="huddle.agenda.kind",
                        format_func=lambda k: page.t(f"item_kind.{k}"))
        text = st.text_input(page.t("field.text"), key="huddle.agenda.text")
        left, right = st.columns(2)
        owner = left.selectbox(page.t("field.owner_id"), [None, *people], key="huddle.agenda.owner",
                               format_func=lambda u: page.t("huddle.no_owner") if u is None else people[u])
        due = right.date_input(page.t("field.due_on"), value=None, key="huddle.agenda.due")
        if st.form_submit_button(page.t("huddle.add"), key="huddle.agenda.submit"):
            item = by_source[source]
            ok, _ = attempt(lambda: huddles.add_item(
                page.db, page.user, huddle["id"], kind, text or item.display_title(page.lang), account_id=item.account_id,
                owner_id=owner, due_on=due, source=source))
            if ok:
                flash(page.t("huddle.item_added"))
                st.rerun()


def items_tab(huddle: dict, scope: list[int], editable: bool, people: dict[int, str]) -> None:
    """The huddle's decisions and actions; open actions can be marked done; new ones recorded."""
    items = huddles.list_items(page.db, page.user, huddle["id"])
    decisions = [i for i in items if i["kind"] == "decision"]
    actions = [i for i in items if i["kind"] == "action"]
    st.markdown(f"#### {page.t('huddle.decisions')}")
    if not decisions:
        st.caption(page.t("huddle.no_decisions"))
    for item in decisions:
        st.markdown(f"- {item['text']}" + (f" · {item['account_name']}" if len(scope) > 1 else ""))
    st.markdown(f"#### {page.t('huddle.actions')}")
    if not actions:
        st.caption(page.t("huddle.no_actions"))
    for item in actions:
        late = item["status"] == "open" and (item["due_on"] or "") < clock.today().isoformat()
        text, done = st.columns([5, 1])
        text.markdown(f"{':red[●] ' if late else ''}{'~~' if item['status'] != 'open' else ''}{item['text']}"
                      f"{'~~' if item['status'] != 'open' else ''} — {item['owner_name']} · {item['due_on']} · "
                      f"{choice_label('item_status', item['status'], page.lang)}")
        if editable and item["status"] == "open" and done.button(page.t("huddle.mark_done"),
                                                                 key=f"huddle.done.{item['id']}"):
            ok, _ = attempt(lambda i=item: huddles.set_item_status(page.db, page.user, i["id"], i["version"], "done"))
            if ok:
                flash(page.t("huddle.marked_done"))
                st.rerun()
    if not editable:
        return
    names = {a: n for a, n in ((a, accounts.get_account(page.db, page.user, a)["name"]) for a in scope)}
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
            ok, _ = attempt(lambda: huddles.add_item(page.db, page.user, huddle["id"], kind, text,
                                                     account_id=account_id, owner_id=owner, due_on=due))
            if ok:
                flash(page.t("huddle.item_added"))
                st.rerun()


def minutes_tab(huddle: dict, editable: bool, people: dict[int, str]) -> None:
    """Attendees and notes (saved on the huddle's version), closing, and the minutes downloads."""
    hid = huddle["id"]
    attendees = [int(u) for u in huddle["attendees"].split(",") if u]
    everyone = {**people, **{u: n for u, n in zip(attendees, huddles.attendee_names(page.db, huddle), strict=False)}}
    with st.form(f"huddle.notes.{hid}"):
        chosen = st.multiselect(page.t("huddle.attendees"), list(everyone), default=attendees,
                                format_func=everyone.get, key=f"huddle.notes.{hid}.attendees", disabled=not editable)
        notes = st.text_area(page.t("field.notes"), value=huddle["notes"], height=160,
                             key=f"huddle.notes.{hid}.text", disabled=not editable)
        save, close = st.columns(2)
        if save.form_submit_button(page.t("huddle.save_notes"), disabled=not editable):
            ok, _ = attempt(lambda: huddles.update_huddle(page.db, page.user, hid, huddle["version"],
                                                          {"notes": notes, "attendees": chosen}))
            if ok:
                flash(page.t("huddle.notes_saved"))
                st.rerun()
        if close.form_submit_button(page.t("huddle.close"), disabled=not editable or huddle["status"] == "closed"):
            ok, _ = attempt(lambda: huddles.update_huddle(page.db, page.user, hid, huddle["version"],
                                                          {"notes": notes, "attendees": chosen, "status": "closed"}))
            if ok:
                flash(page.t("huddle.closed"))
                st.rerun()
    st.markdown(f"#### {page.t('huddle.minutes')}")
    record = minutes.gather(page.db, page.user, hid, page.lang)
    left, right = st.columns(2)
    left.download_button(page.t("huddle.minutes_md"), minutes.to_markdown(record).encode("utf-8"),
                         file_name=minutes.filename(record, "md"), mime="text/markdown", key="huddle.minutes.md")
    right.download_button(page.t("huddle.minutes_docx"), minutes.to_docx(record),
                          file_name=minutes.filename(record, "docx"), key="huddle.minutes.docx",
                          mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document")


past = huddles.list_huddles(page.db, page.user, page.account_id)
start_form(bool(past))
if not past:
    st.info(page.t("huddle.none_yet"))
    st.stop()
by_id = {h["id"]: h for h in past}
try:
    wanted = huddles.require_huddle(page.db, page.user, st.query_params.get("huddle"))
except KamError as exc:
    show_error(exc)
    wanted = None
if wanted is not None and wanted["id"] not in by_id:
    wanted = None
if "huddle.pick" not in st.session_state or st.session_state["huddle.pick"] not in by_id or (
        wanted is not None and st.session_state.get("huddle._from_url") != wanted["id"]):
    st.session_state["huddle.pick"] = wanted["id"] if wanted else past[0]["id"]
    st.session_state["huddle._from_url"] = wanted["id"] if wanted else None
hid = st.selectbox(
    page.t("huddle.pick"), list(by_id), key="huddle.pick",
    format_func=lambda i: f"{by_id[i]['held_on']} · {by_id[i]['title'] or page.t('huddle.title')} · "
    f"{choice_label('huddle_status', by_id[i]['status'], page.lang)}",
)
st.query_params["huddle"] = str(hid)
huddle = huddles.get_huddle(page.db, page.user, hid)
scope = huddles.scope_ids(huddle)
editable = permissions.can_edit(page.db, page.user, huddle["account_id"])
if not editable:
    st.caption(page.t("huddle.readonly"))
st.markdown(f"[{page.t('huddle.present_link')} ↗](/present?huddle={hid}&account={page.account_id})")
people = owners_for(scope)
tabs = st.tabs([page.t("huddle.tab.changes"), page.t("huddle.tab.agenda"), page.t("huddle.tab.items"),
                page.t("huddle.tab.minutes")])
with tabs[0]:
    what_changed_section(huddle, scope)
with tabs[1]:
    agenda_tab(huddle, scope, editable, people)
with tabs[2]:
    items_tab(huddle, scope, editable, people)
with tabs[3]:
    minutes_tab(huddle, editable, people)
