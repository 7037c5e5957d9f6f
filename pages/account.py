"""Account & team: the account's profile, its deal-health flags and its iron triangle, edited under version rules."""

import streamlit as st

from kamcore import accounts, permissions, team, users
from kamcore.accounts import STATUSES
from kamcore.i18n import choice_label
from kamcore.learning import rules
from kamui.chores import open_page, plain
from kamui.editing import VersionedForm, attempt, flash
from kamui.flag_panel import flag_section

page = open_page("account.title", needs_account=False)  # with no account, an admin may open one here
PROFILE_FIELDS = ("name", "industry", "region", "currency", "status", "notes")


def new_account_form() -> None:
    """Admins open new accounts."""
    with st.expander(page.t("account.new"), expanded=page.account_id is None), st.form("account.new"):
        values = {
            "name": st.text_input(page.t("field.name"), key="new_account.name"),
            "industry": st.text_input(page.t("field.industry"), key="new_account.industry"),
            "region": st.text_input(page.t("field.region"), key="new_account.region"),
            "currency": st.text_input(page.t("field.currency"), value="CNY", key="new_account.currency"),
        }
        if st.form_submit_button(page.t("account.create")):
            ok, row = attempt(lambda: accounts.create_account(page.db, page.user, values))
            if ok:
                flash(page.t("account.created", name=row["name"]))
                st.query_params["account"] = str(row["id"])
                st.rerun()


def profile(account: dict, editable: bool) -> None:
    """The profile form; a stale save shows who changed what and keeps the input."""
    st.subheader(page.t("account.profile"))
    form = VersionedForm("profile", account, PROFILE_FIELDS)

    def write(version: int, changes: dict) -> dict:
        return accounts.update_account(page.db, page.user, account["id"], version, changes)

    form.conflict_panel(write, page.t("account.saved", version=account["version"] + 1))
    form.stale_notice()
    with st.form("profile.form"):
        left, right = st.columns(2)
        left.text_input(page.t("field.name"), **form.field("name"), disabled=not editable)
        left.text_input(page.t("field.industry"), **form.field("industry"), disabled=not editable)
        left.text_input(page.t("field.region"), **form.field("region"), disabled=not editable)
        right.text_input(page.t("field.currency"), **form.field("currency"), disabled=not editable)
        right.selectbox(page.t("field.status"), STATUSES, **form.choice("status", STATUSES),
                        format_func=lambda s: choice_label("status", s, page.lang), disabled=not editable)
        st.text_area(page.t("field.notes"), **form.field("notes"), height=120, disabled=not editable)
        st.caption(f"{page.t('field.version')} {account['version']}")
        if st.form_submit_button(page.t("account.save"), type="primary", disabled=not editable):
            form.save(write, page.t("account.saved", version=account["version"] + 1))


def team_section(account_id: int) -> None:
    """The team list, with add / change role / hand over / remove for those who manage it."""
    st.subheader(page.t("team.title"))
    members = team.list_team(page.db, page.user, account_id)
    if not members:
        st.info(page.t("team.empty"))
    missing = [r for r in permissions.EDITING_ROLES if r not in {m["role"] for m in members}]
    if members and missing:
        st.warning(page.t("team.missing_roles",
                          roles=", ".join(choice_label("role", r, page.lang) for r in missing)))
    for member in members:
        star = " ⭐" if member["first_responsible"] else ""
        st.markdown(f"- **{plain(member['display_name'])}**{star} — {choice_label('role', member['role'], page.lang)}")
    can_manage = page.user.is_admin or permissions.is_first_responsible(page.db, page.user, account_id)
    if not can_manage:
        return
    everyone = users.list_users(page.db, include_inactive=False)
    names = {u["id"]: f"{u['display_name']} ({u['username']})" for u in everyone}
    add, change = st.columns(2)
    with add.form("team.add"):
        st.markdown(f"**{page.t('team.add')}**")
        outsiders = [u["id"] for u in everyone if u["id"] not in {m["user_id"] for m in members}]
        who = st.selectbox(page.t("team.person"), outsiders, format_func=names.get, key="team.add.user")
        role = st.selectbox(page.t("field.role"), team.ROLES, key="team.add.role",
                            format_func=lambda r: choice_label("role", r, page.lang))
        if st.form_submit_button(page.t("team.add")) and who is not None:
            ok, _ = attempt(lambda: team.add_member(page.db, page.user, account_id, who, role))
            if ok:
                flash(page.t("team.added", name=names[who]))
                st.rerun()
    if not members:
        return
    with change.form("team.change"):
        st.markdown(f"**{page.t('team.change_role')}**")
        by_id = {m["id"]: m for m in members}
        member_id = st.selectbox(page.t("team.member"), list(by_id), key="team.change.member",
                                 format_func=lambda i: by_id[i]["display_name"])
        role = st.selectbox(page.t("field.role"), team.ROLES, key="team.change.role",
                            format_func=lambda r: choice_label("role", r, page.lang))
        set_role, make_first, remove = st.columns(3)
        chosen = by_id[member_id]
        if set_role.form_submit_button(page.t("team.change_role")):
            ok, _ = attempt(lambda: team.change_member(page.db, page.user, member_id, chosen["version"],
                                                       {"role": role}))
            if ok:
                flash(page.t("team.role_changed"))
                st.rerun()
        if make_first.form_submit_button(page.t("team.make_first")):
            ok, _ = attempt(lambda: team.hand_over_first_responsibility(
                page.db, page.user, account_id, member_id, chosen["version"]))
            if ok:
                flash(page.t("team.first_now", name=chosen["display_name"]))
                st.rerun()
        if remove.form_submit_button(page.t("team.remove")):
            ok, _ = attempt(lambda: team.remove_member(page.db, page.user, member_id, chosen["version"]))
            if ok:
                flash(page.t("team.removed"))
                st.rerun()


if page.user.is_admin:
    new_account_form()
if page.account_id is None:
    st.info(page.t("account.none_selected" if page.user.is_admin else "page.pick_account"))
    st.stop()
current = accounts.get_account(page.db, page.user, page.account_id)
can_edit = permissions.can_edit(page.db, page.user, page.account_id)
if not can_edit:
    st.caption(page.t("shell.read_only"))
st.header(plain(current["name"]))
with st.container(border=True):
    st.markdown(f"**{page.t('health.title')}**")
    flag_section(page, rules.flags_for_account(page.db, page.user, page.account_id), key="account.flags",
                 account_id=page.account_id)
profile(current, can_edit)
team_section(page.account_id)
