"""Administration: users and their global roles, passwords, the product-line catalogue, and the company-wide
settings (health weights, relationship thresholds, the retrospective review amount, the company time zone);
anyone signed in changes their own password and time zone here."""


import pandas as pd
import streamlit as st

from kamcore import clock, money, passwords, product_lines, sessions, time_zones, users
from kamcore.i18n import LANG_NAMES, choice_label
from kamcore.learning import retrospectives
from kamcore.relationships import guidance, health
from kamcore.text import plain
from kamcore.users import GLOBAL_ROLES, LANGS
from kamui import mail_view, shell
from kamui.chores import act, open_page, tabs
from kamui.editing import EditableTable, attempt, flash

page = open_page("admin.title", needs_account=False)

with st.expander(page.t("admin.my_password")), st.form("admin.my_password"):
    current = st.text_input(page.t("field.current_password"), type="password", key="admin.my_password.current")
    mine = st.text_input(page.t("admin.new_password"), type="password", key="admin.my_password.value")
    if st.form_submit_button(page.t("admin.my_password")):
        ok, _ = attempt(lambda: passwords.change_own_password(page.db, page.user, current, mine,
                                                          keep_token=shell.session_token()))
        if ok:
            flash(page.t("admin.password_changed"))
            st.rerun()

company_zone = time_zones.company_zone(page.db)
with st.expander(page.t("zone.own")), st.form("admin.my_zone"):
    st.caption(page.t("zone.own_help", zone=company_zone))
    own = time_zones.own_zone(page.db, page.user.id)
    zone_choices = [None, *clock.zone_names()]
    chosen_zone = st.selectbox(page.t("field.time_zone"), zone_choices, index=zone_choices.index(own),
                               key="admin.my_zone.pick",
                               format_func=lambda z: page.t("zone.company_default", zone=company_zone) if z is None else z)
    if st.form_submit_button(page.t("zone.save"), key="admin.my_zone.save"):
        act(lambda: time_zones.set_own_zone(page.db, page.user, chosen_zone), page.t("zone.saved"))

with st.expander(page.t("sessions.title")):
    st.caption(page.t("sessions.intro"))
    for signed_in in sessions.list_for(page.db, page.user, shell.session_token()):
        what = [page.t("sessions.opened", when=page.stamp(signed_in['created_at'])),
                page.t("sessions.until", when=page.stamp(signed_in['expires_at']))]
        if signed_in["kept"]:
            what.append(page.t("sessions.kept"))
        if signed_in["current"]:
            what.append(page.t("sessions.this_browser"))
        text, end = st.columns([5, 1])
        text.text(" · ".join(what))
        if not signed_in["current"] and end.button(page.t("sessions.end"), key=f"sessions.end.{signed_in['id']}"):
            sessions.end_one(page.db, page.user, signed_in["id"])
            flash(page.t("sessions.ended"))
            st.rerun()

if not page.user.is_admin:
    st.info(page.t("admin.only"))
    st.stop()

users_tab, lines_tab, settings_tab = tabs([page.t("admin.users"), page.t("admin.product_lines"),
                                           page.t("admin.settings")], key="admin.tabs")

with users_tab:
    everyone = users.list_users(page.db)
    leaderless = users.without_lead(page.db)
    needs_lead = {u["id"] for u in leaderless}  # members on an account team; others show "—", not "No lead"
    st.dataframe(
        pd.DataFrame(
            {
                page.t("field.username"): [u["username"] for u in everyone],
                page.t("field.display_name"): [u["display_name"] for u in everyone],
                page.t("field.global_role"): [choice_label("global_role", u["global_role"], page.lang)
                                              for u in everyone],
                page.t("field.lead_id"): [u["lead_name"] or (page.t("admin.no_lead_set") if u["id"] in needs_lead
                                                             else "—") for u in everyone],
                page.t("field.active"): [bool(u["active"]) for u in everyone],
            }
        ),
        hide_index=True,
        width="stretch",
    )
    if leaderless:
        st.warning(page.t("admin.without_lead", names=", ".join(plain(u["display_name"]) for u in leaderless)))
    elif users.members_on_teams(page.db):
        st.success(page.t("admin.all_have_leads"))
    else:  # an empty war room: nobody to lead yet — say what comes first
        st.info(page.t("admin.no_members_yet"))
    new_col, edit_col = st.columns(2)
    with new_col.form("admin.new_user"):
        st.markdown(f"**{page.t('admin.new_user')}**")
        username = st.text_input(page.t("field.username"), key="admin.new.username")
        name = st.text_input(page.t("field.display_name"), key="admin.new.name")
        password = st.text_input(page.t("field.password"), type="password", key="admin.new.password")
        role = st.selectbox(page.t("field.global_role"), GLOBAL_ROLES, index=2, key="admin.new.role",
                            format_func=lambda r: choice_label("global_role", r, page.lang))
        if st.form_submit_button(page.t("admin.create_user"), type="primary"):
            ok, user = attempt(lambda: users.create_user(page.db, page.user, username, name, password, role))
            if ok:
                flash(page.t("admin.user_created", name=user.display_name))
                st.rerun()
    with edit_col:
        st.markdown(f"**{page.t('admin.edit_user')}**")
        by_id = {u["id"]: u for u in everyone}
        if leaderless and "admin.edit.user" not in st.session_state:  # open on the first one the warning names
            st.session_state["admin.edit.user"] = leaderless[0]["id"]
        chosen = st.selectbox(page.t("team.person"), list(by_id), key="admin.edit.user",
                              format_func=lambda i: f"{by_id[i]['display_name']} ({by_id[i]['username']})")
        target = by_id[chosen]
        with st.form(f"admin.edit_user.{chosen}"):  # keyed per user so the fields show that user's values
            role = st.selectbox(page.t("field.global_role"), GLOBAL_ROLES,
                                index=GLOBAL_ROLES.index(target["global_role"]),
                                format_func=lambda r: choice_label("global_role", r, page.lang))
            lang = st.selectbox(page.t("field.lang"), LANGS, index=LANGS.index(target["lang"]),
                                format_func=LANG_NAMES.get)
            active = st.checkbox(page.t("field.active"), value=bool(target["active"]))
            leads = [None, *(i for i, u in by_id.items() if i != chosen and u["active"])]
            lead = st.selectbox(page.t("admin.lead"), leads, index=leads.index(target["lead_id"])
                                if target["lead_id"] in leads else 0, key=f"admin.edit.lead.{chosen}",
                                format_func=lambda i: page.t("admin.no_lead_set") if i is None
                                else by_id[i]["display_name"])
            new_password = st.text_input(page.t("admin.new_password"), type="password")
            save, reset = st.columns(2)
            if save.form_submit_button(page.t("admin.save_user")):
                ok, _ = attempt(lambda: users.update_user(page.db, page.user, chosen, target["version"],
                                                          {"global_role": role, "lang": lang, "active": active,
                                                           "lead_id": lead}))
                if ok:
                    flash(page.t("table.saved", count=1))
                    st.rerun()
            if reset.form_submit_button(page.t("admin.reset_password")):
                ok, _ = attempt(lambda: passwords.reset_password(page.db, page.user, chosen, new_password,
                                                           keep_token=shell.session_token()))
                if ok:
                    flash(page.t("admin.password_reset_sessions", name=target["display_name"]))
                    st.rerun()

with lines_tab:
    lines = product_lines.list_product_lines(page.db)
    if not lines:
        st.info(page.t("admin.no_lines"))
    else:
        table = EditableTable("lines", pd.DataFrame(lines), label=lambda r: str(r["code"]))
        table.refused_panel(
            reapply=lambda line_id, changes: product_lines.update_product_line(
                page.db, page.user, line_id, product_lines.get_product_line(page.db, line_id)["version"], changes
            )
        )
        table.render(
            column_order=("code", "name", "description", "active"),
            column_config={
                "code": st.column_config.TextColumn(page.t("field.code"), required=True),
                "name": st.column_config.TextColumn(page.t("field.name"), required=True),
                "description": st.column_config.TextColumn(page.t("field.description")),
                "active": st.column_config.CheckboxColumn(page.t("field.active")),
            },
            hide_index=True,
            width="stretch",
        )
        if st.button(page.t("table.save"), key="lines.save", type="primary"):
            table.save(lambda line_id, version, changes: product_lines.update_product_line(
                page.db, page.user, line_id, version, changes))
    with st.form("admin.new_line"):
        st.markdown(f"**{page.t('admin.new_line')}**")
        code = st.text_input(page.t("field.code"), key="admin.line.code")
        name = st.text_input(page.t("field.name"), key="admin.line.name")
        description = st.text_input(page.t("field.description"), key="admin.line.description")
        if st.form_submit_button(page.t("admin.create_line")):
            ok, line = attempt(lambda: product_lines.create_product_line(
                page.db, page.user, {"code": code, "name": name, "description": description}))
            if ok:
                flash(page.t("admin.line_created", code=line["code"]))
                st.rerun()

with settings_tab:
    weights = health.weights(page.db)
    with st.form(f"admin.weights.{weights['version']}"):  # keyed per version: a saved change shows its values
        st.markdown(f"**{page.t('admin.settings.weights')}**")
        st.caption(page.t("admin.settings.weights_help"))
        cols = st.columns(4)
        chosen_weights = {c: cols[i % 4].number_input(page.t(f"ahealth.{c}"), min_value=0, max_value=100, step=1,
                                                      value=int(weights[c]), key=f"admin.weights.{c}")
                          for i, c in enumerate(health.COMPONENTS)}
        if st.form_submit_button(page.t("admin.settings.save"), type="primary"):
            act(lambda: health.save_weights(page.db, page.user, chosen_weights, weights["version"]),
                page.t("admin.settings.weights_saved"))
    limits = guidance.settings(page.db)
    with st.form(f"admin.thresholds.{limits['version']}"):
        st.markdown(f"**{page.t('admin.settings.thresholds')}**")
        st.caption(page.t("admin.settings.thresholds_help"))
        cols = st.columns(3)
        chosen_limits = {k: cols[i % 3].number_input(page.t(f"field.{k}"), min_value=0, step=1, value=int(limits[k]),
                                                     key=f"admin.thresholds.{k}")
                         for i, k in enumerate(guidance.DEFAULTS)}
        if st.form_submit_button(page.t("admin.settings.save"), type="primary"):
            act(lambda: guidance.save_settings(page.db, page.user, chosen_limits, limits["version"]),
                page.t("admin.settings.thresholds_saved"))
    with st.form("admin.time_zone"):
        st.markdown(f"**{page.t('admin.settings.time_zone')}**")
        st.caption(page.t("admin.settings.time_zone_help"))
        names = clock.zone_names()
        picked_zone = st.selectbox(page.t("field.time_zone"), names, index=names.index(company_zone),
                                   key="admin.time_zone")
        if st.form_submit_button(page.t("admin.settings.save"), type="primary", key="admin.time_zone.save"):
            act(lambda: time_zones.set_company_zone(page.db, page.user, picked_zone),
                page.t("admin.settings.time_zone_saved", zone=picked_zone))
    with st.form("admin.review"):
        st.markdown(f"**{page.t('admin.settings.review')}**")
        st.caption(page.t("admin.settings.review_help"))
        amount = st.text_input(page.t("field.review_amount"), key="admin.review_amount",
                               value=money.as_typed(retrospectives.review_amount(page.db)))
        if st.form_submit_button(page.t("admin.settings.save"), type="primary"):
            act(lambda: retrospectives.set_review_amount(
                page.db, page.user, money.parse(amount, "review_amount", page.lang, required=True)),
                page.t("admin.settings.review_saved"))

with settings_tab:
    mail_view.admin_panel()
