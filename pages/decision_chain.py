"""Decision chain (D4): the relationship map, the people and their links, coverage and risk flags, trends."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from kamcore import accounts, permissions
from kamcore.decision_chain import coverage, scale
from kamcore.decision_chain import relationship_map as rm
from kamcore.decision_chain import stakeholders as sh
from kamcore.i18n import choice_label
from kamcore.relationships import guidance
from kamui import chores
from kamui.chores import plain
from kamui.editing import FormFields, NewForm, VersionedForm, attempt, flash
from kamui.portfolio_view import stance_line
from kamui.vega import named

page = chores.open_page("nav.decision_chain")  # stops with a hint when no account is chosen
t = page.t
EDIT_FIELDS = ("name", "job_title", "department", "level", "roles", "stance", "score", "favoured_rival", "owner_id",
               "org_interests", "personal_interests", "needs", "notes", *sh.TARGET_FIELDS, *sh.MARKS, "checkin_days",
               *sh.KEY_PERSON_FIELDS)


def label(kind: str):
    """A format_func for enumerated values."""
    return lambda value: "—" if value is None else choice_label(kind, value, page.lang)


def person_values(row: dict[str, Any]) -> dict[str, Any]:
    """A stored stakeholder as the form's widgets hold it: roles as a list, the target date as a date,
    marks as booleans, key-person notes as text."""
    day = date.fromisoformat(row["target_date"]) if row.get("target_date") else None
    return ({"roles": sh.role_list(row.get("roles")), "target_date": day}
            | {mark: bool(row.get(mark)) for mark in sh.MARKS}
            | {text: row.get(text) or "" for text in ("kp_governance", "kp_expertise", "kp_style")})


TEXTS = ("name", "job_title", "department", "favoured_rival", "org_interests", "personal_interests", "needs", "notes")
NEW_PERSON = {name: None for name in EDIT_FIELDS + sh.PROFILE_FIELDS} | {n: "" for n in TEXTS} | person_values(
    {"level": "execution"}) | {"level": "execution", "stance": "neutral", "score": 0}


def person_fields(form: FormFields, owners: dict[int | None, str], editable: bool, private: bool) -> None:
    """The widgets of a stakeholder form, drawn from the form's values."""
    left, mid, right = st.columns(3)
    left.text_input(t("field.name"), **form.field("name"), disabled=not editable)
    left.text_input(t("field.job_title"), **form.field("job_title"), disabled=not editable)
    left.text_input(t("field.department"), **form.field("department"), disabled=not editable)
    mid.selectbox(t("field.stakeholder_level"), sh.LEVELS, **form.choice("level", sh.LEVELS),
                  format_func=label("level"), disabled=not editable)
    mid.multiselect(t("field.roles"), sh.BUYING_ROLES, **form.many("roles"), format_func=label("buying_role"),
                    disabled=not editable)
    mid.selectbox(t("field.stance"), sh.STANCES, **form.choice("stance", sh.STANCES), format_func=label("stance"),
                  disabled=not editable)
    score = right.select_slider(t("sh.score_label"), sh.SCORES, **form.field("score"), disabled=not editable,
                                format_func=lambda s: str(s))
    right.caption(t(f"score.{score}"))
    right.selectbox(t("sh.our_owner"), list(owners), **form.choice("owner_id", list(owners)), format_func=owners.get,
                    disabled=not editable)
    right.text_input(t("field.favoured_rival"), **form.field("favoured_rival"), disabled=not editable)
    a, b = st.columns(2)
    a.text_area(t("field.org_interests"), **form.field("org_interests"), height=80, disabled=not editable)
    b.text_area(t("field.personal_interests"), **form.field("personal_interests"), height=80, disabled=not editable)
    a.text_area(t("field.needs"), **form.field("needs"), height=80, disabled=not editable)
    b.text_area(t("field.notes"), **form.field("notes"), height=80, disabled=not editable)
    st.markdown(f"**{t('sh.targets')}**")
    g = st.columns(5)
    for col, name, kind, options in ((g[0], "stage", "stage", sh.STAGES), (g[1], "stage_target", "stage", sh.STAGES),
                                     (g[2], "standing", "standing", sh.STANDINGS),
                                     (g[3], "standing_target", "standing", sh.STANDINGS)):
        title = t("field.stakeholder.stage") if name == "stage" else t(f"field.{name}")
        col.selectbox(title, [None, *options], **form.choice(name, [None, *options]), format_func=label(kind),
                      disabled=not editable)
    g[4].date_input(t("field.target_date"), **form.field("target_date"), disabled=not editable)
    m = st.columns(5)
    for index, mark in enumerate(sh.MARKS):
        m[index].checkbox(t(f"field.{mark}"), **form.field(mark), disabled=not editable)
    m[4].selectbox(t("field.checkin_days"), [None, *sh.CHECKIN_CLASSES],
                   **form.choice("checkin_days", [None, *sh.CHECKIN_CLASSES]), format_func=label("revisit"),
                   disabled=not editable)
    with st.expander(t("sh.key_person_sheet")):
        k = st.columns(2)
        k[0].text_area(t("field.kp_governance"), **form.field("kp_governance"), height=70, disabled=not editable)
        k[1].text_area(t("field.kp_expertise"), **form.field("kp_expertise"), height=70, disabled=not editable)
        k[0].text_area(t("field.kp_style"), **form.field("kp_style"), height=70, disabled=not editable)
        k[1].number_input(t("field.kp_purchase_share"), min_value=0, max_value=100, step=1,
                          **form.field("kp_purchase_share"), disabled=not editable)
    if private:
        with st.expander(t("sh.profile_sheet")):
            st.caption(t("sh.profile_note"))
            cols = st.columns(2)
            for index, name in enumerate(sh.PROFILE_FIELDS):
                cols[index % 2].text_area(t(f"field.{name}"), **form.field(name), height=70, disabled=not editable)


def ladder_text(ladder: str, person: dict) -> str:
    """"Current → target" of one ladder, e.g. "Familiar → Interest" ("—" where unset)."""
    now, target = person.get(ladder), person.get(f"{ladder}_target")
    if now is None and target is None:
        return ""
    text = label(ladder)
    return t("rel.current_vs_target", now=text(now), target=text(target)) if target else text(now)


def counts_line(account_id: int, deal: int | None = None) -> None:
    """The one count of coaches, supporters, neutrals, opponents and blockers (kamcore.decision_chain.scale)."""
    counts = scale.stance_counts(page.db, [account_id], deal)[account_id]
    parts = " · ".join(f"{choice_label('stance', s, page.lang)} {counts[s]}" for s in sh.STANCES)
    st.caption(t("sh.counts_line", parts=parts, supportive=counts["supportive"], total=counts["total"]))


def map_tab(account_id: int, deals: list[dict]) -> None:
    """Filters, layouts and the map itself."""
    a, b, c, d, e = st.columns([1.1, 1.1, 1.4, 1.2, 1.2])
    layout = a.radio(t("sh.layout"), ("network", "org"), key="dc.layout", format_func=lambda v: t(f"sh.layout.{v}"))
    size_by = b.radio(t("sh.size_by"), ("level", "influence"), key="dc.size_by",
                      format_func=lambda v: t(f"sh.size_by.{v}"))
    deal_names = {None: t("sh.all")} | {o["id"]: f"{o['number']} {o['name']}" for o in deals}
    deal = c.selectbox(t("field.opportunity_id"), list(deal_names), key="dc.map.deal", format_func=deal_names.get)
    departments = [None, *sh.departments(page.db, page.user, account_id)]
    department = d.selectbox(t("field.department"), departments, key="dc.map.department",
                             format_func=lambda v: t("sh.all") if v is None else v)
    stance = e.selectbox(t("field.stance"), [None, *sh.STANCES], key="dc.map.stance",
                         format_func=lambda v: t("sh.all") if v is None else choice_label("stance", v, page.lang))
    options = rm.MapOptions(layout=layout, size_by=size_by, opportunity_id=deal, department=department, stance=stance)
    st.markdown(stance_line(scale.stance_counts(page.db, [account_id])[account_id], page.lang))  # as the walk-through
    st.iframe(rm.render_map(page.db, page.user, account_id, page.lang, options), height=options.height_px + 120)


def people_tab(account_id: int, editable: bool, private: bool, owners: dict[int | None, str],
               deals: list[dict]) -> None:
    """The list, one person's form, their part in opportunities, and a new-person form."""
    search = st.text_input(t("sh.search"), key="dc.search", placeholder=t("sh.search_hint"))
    people = sh.list_stakeholders(page.db, page.user, account_id, search=search or None)
    counts_line(account_id)
    fresh = guidance.stakeholder_freshness(page.db, page.user, account_id)
    if people:
        st.dataframe(
            pd.DataFrame([{
                t("field.name"): p["name"], t("field.job_title"): p["job_title"], t("field.department"): p["department"],
                t("field.stakeholder_level"): choice_label("level", p["level"], page.lang),
                t("field.roles"): ", ".join(choice_label("buying_role", r, page.lang) for r in p["role_list"]),
                t("field.stance"): choice_label("stance", p["stance"], page.lang), t("sh.score_label"): p["score"],
                t("sh.our_owner"): p["owner_name"] or "—", t("field.favoured_rival"): p["favoured_rival"],
                t("field.stakeholder.stage"): ladder_text("stage", p),
                t("field.standing"): ladder_text("standing", p),
                t("field.target_date"): p["target_date"] or "",
                t("rel.last_contact"): fresh[p["id"]]["last_contact"] or t("rel.never"),
                t("rel.days_since"): "" if fresh[p["id"]]["days_since"] is None else str(fresh[p["id"]]["days_since"]),
                t("rel.checkin_due"): "⚠" if fresh[p["id"]]["checkin_due"] else "",
                t("sh.marks"): ", ".join(t(f"field.{m}") for m in sh.MARKS if p.get(m)),
            } for p in people]),
            hide_index=True, width="stretch",
        )
        by_id = {p["id"]: p for p in people}
        chosen = st.selectbox(t("sh.edit_person"), list(by_id), key="dc.person", format_func=lambda i: by_id[i]["name"])
        edit_person(chosen, editable, private, owners, deals)
    else:
        st.info(t("sh.no_people"))
    if editable:
        new_person(account_id, owners, private)


def edit_person(person_id: int, editable: bool, private: bool, owners: dict[int | None, str],
                deals: list[dict]) -> None:
    """One stakeholder under version rules, with profile erasure, removal and opportunity roles."""
    row = sh.get_stakeholder(page.db, page.user, person_id)
    fields = EDIT_FIELDS + (sh.PROFILE_FIELDS if private else ())
    form = VersionedForm("person", row, fields, shown=person_values)

    def write(version: int, changes: dict) -> dict:
        return sh.update_stakeholder(page.db, page.user, person_id, version, changes)

    form.conflict_panel(write, t("sh.saved", name=row["name"]))
    form.stale_notice()
    with st.form("person.form"):
        person_fields(form, owners, editable, private)
        if st.form_submit_button(t("common.save"), type="primary", disabled=not editable):
            form.save(write, t("sh.saved", name=row["name"]))
    if not editable:
        return
    left, right = st.columns(2)
    if private and any(row[f] for f in sh.PROFILE_FIELDS) and left.button(t("sh.erase_profile"), key="person.erase"):
        ok, _ = attempt(lambda: sh.erase_profile(page.db, page.user, person_id, row["version"]))
        if ok:
            st.session_state["person._reload"] = True
            flash(t("sh.profile_erased", name=row["name"]))
            st.rerun()
    if right.button(t("sh.delete_person"), key="person.delete"):
        ok, _ = attempt(lambda: sh.delete_stakeholder(page.db, page.user, person_id, row["version"]))
        if ok:
            flash(t("sh.deleted", name=row["name"]))
            st.rerun()
    participation(row, deals)


def participation(row: dict, deals: list[dict]) -> None:
    """Which opportunities the person takes part in, and adding one."""
    st.markdown(f"**{t('sh.opportunities_of', name=plain(row['name']))}**")
    parts = [p for p in sh.list_participation(page.db, page.user, row["account_id"]) if p["stakeholder_id"] == row["id"]]
    for part in parts:
        st.markdown(f"- {plain(part['opportunity_number'])} {plain(part['opportunity_name'])} — "
                    f"{choice_label('buying_role', part['role'], page.lang)}")
    if not deals:
        st.caption(t("sh.no_deals"))
        return
    names = {o["id"]: f"{o['number']} {o['name']}" for o in deals}
    with st.form("part.form"):
        a, b, c = st.columns([2, 1, 2])
        deal = a.selectbox(t("field.opportunity_id"), list(names), key="part.deal", format_func=names.get)
        role = b.selectbox(t("field.role"), sh.PARTICIPATION_ROLES, key="part.role", format_func=label("buying_role"))
        note = c.text_input(t("field.note"), key="part.note")
        if st.form_submit_button(t("sh.add_to_deal")):
            ok, _ = attempt(lambda: sh.add_participation(page.db, page.user, row["account_id"], row["id"], deal,
                                                         role, note))
            if ok:
                flash(t("sh.added_to_deal"))
                st.rerun()


def new_person(account_id: int, owners: dict[int | None, str], private: bool) -> None:
    """Add a stakeholder (the form is empty again after the add)."""
    form = NewForm("new_person", NEW_PERSON)
    with st.expander(t("sh.new_person")), st.form("new_person.form"):
        person_fields(form, owners, True, private)
        if st.form_submit_button(t("sh.add_person"), type="primary"):
            form.add(lambda values: sh.create_stakeholder(page.db, page.user, account_id, values),
                     lambda created: t("sh.added", name=created["name"]))


def links_tab(account_id: int, editable: bool) -> None:
    """The links table, adding and removing links."""
    links = sh.list_links(page.db, page.user, account_id)
    if links:
        st.dataframe(pd.DataFrame([{
            t("field.from_id"): link["from_name"], t("field.link_kind"): choice_label("link_kind", link["kind"], page.lang),
            t("field.to_id"): link["to_name"], t("field.strength"): choice_label("strength", link["strength"], page.lang),
            t("field.note"): link["note"]} for link in links]), hide_index=True, width="stretch")
    else:
        st.info(t("sh.no_links"))
    if not editable:
        return
    people = {p["id"]: p["name"] for p in sh.list_stakeholders(page.db, page.user, account_id, limit=1000)}
    if len(people) < 2:
        return
    with st.form("link.form"):
        a, b, c, d = st.columns([2, 1.3, 2, 1])
        source = a.selectbox(t("field.from_id"), list(people), key="link.from", format_func=people.get)
        kind = b.selectbox(t("field.link_kind"), sh.LINK_KINDS, key="link.kind", format_func=label("link_kind"))
        target = c.selectbox(t("field.to_id"), list(people), key="link.to", format_func=people.get, index=1)
        strength = d.selectbox(t("field.strength"), (1, 2, 3), key="link.strength", index=1,
                               format_func=label("strength"))
        note = st.text_input(t("field.note"), key="link.note")
        if st.form_submit_button(t("sh.add_link"), type="primary"):
            ok, _ = attempt(lambda: sh.add_link(page.db, page.user, account_id, source, target, kind, strength, note))
            if ok:
                flash(t("sh.link_added"))
                st.rerun()
    if links:
        by_id = {link["id"]: link for link in links}
        gone = st.selectbox(t("sh.remove_link"), list(by_id), key="link.remove",
                            format_func=lambda i: f"{by_id[i]['from_name']} — "
                            f"{choice_label('link_kind', by_id[i]['kind'], page.lang)} — {by_id[i]['to_name']}")
        if st.button(t("sh.remove_link"), key="link.remove.go"):
            ok, _ = attempt(lambda: sh.delete_link(page.db, page.user, gone, by_id[gone]["version"]))
            if ok:
                flash(t("sh.link_removed"))
                st.rerun()


def coverage_tab(account_id: int, deals: list[dict]) -> None:
    """Roles × owners, and the flags (account-wide or one opportunity)."""
    names = {None: t("sh.whole_account")} | {o["id"]: f"{o['number']} {o['name']}" for o in deals}
    deal = st.selectbox(t("sh.scope"), list(names), key="dc.cov.deal", format_func=names.get)
    matrix = coverage.coverage_matrix(page.db, page.user, account_id, deal)
    counts_line(account_id, deal)
    columns = {o["id"]: o["name"] or t("sh.nobody") for o in matrix["owners"]}
    st.dataframe(pd.DataFrame([
        {t("field.roles"): choice_label("buying_role", row["role"], page.lang)}
        | {columns[k]: ", ".join(f"{p['name']} ({p['score']})" for p in v) for k, v in row["cells"].items()}
        for row in matrix["rows"]
    ]), hide_index=True, width="stretch")
    st.caption(t("sh.matrix_note"))
    found = coverage.flags(page.db, page.user, account_id, deal) + guidance.flags(page.db, page.user, account_id, deal)
    if not found:
        st.success(t("sh.no_flags"))
    for flag in found:
        (st.error if flag.severity == "high" else st.warning)(plain(flag.message(page.lang)), icon=":material/flag:")


def trends_tab(account_id: int) -> None:
    """Account heat per month and department, and one person's score over time."""
    by = st.radio(t("field.by"), ("department", "level"), key="dc.heat.by", horizontal=True,
                  format_func=lambda v: t(f"sh.by.{v}"))
    heat = pd.DataFrame(sh.account_heat(page.db, page.user, account_id, by=by))
    if heat.empty:
        st.info(t("sh.no_history"))
        return
    if by == "level":
        heat["group"] = heat["group"].map(lambda g: choice_label("level", g, page.lang))
    st.vega_lite_chart(spec=named(heat, {  # a plain Vega-Lite spec: Altair's schema checks cost more than the page
        "mark": "rect",
        "height": {"step": 28},
        "encoding": {
            "x": {"field": "period", "type": "ordinal", "title": t("sh.month"), "axis": {"labelAngle": -30}},
            "y": {"field": "group", "type": "nominal", "title": None},
            "color": {"field": "avg_score", "type": "quantitative", "title": t("sh.avg_score"),
                      "scale": {"domain": [-1, 3], "scheme": "redyellowgreen"}},
            "tooltip": [{"field": f} for f in ("period", "group", "avg_score", "people")],
        },
    }), width="stretch")
    people = {p["id"]: p["name"] for p in sh.list_stakeholders(page.db, page.user, account_id, limit=1000)}
    if not people:
        return
    chosen = st.selectbox(t("sh.trend_of"), list(people), key="dc.trend.person", format_func=people.get)
    history = pd.DataFrame(sh.score_history(page.db, page.user, chosen))
    if len(history):
        history["stance"] = history["stance"].map(lambda s: choice_label("stance", s, page.lang))
        st.vega_lite_chart(spec=named(history, {
            "mark": {"type": "line", "interpolate": "step-after", "point": True},
            "height": 220,
            "encoding": {
                "x": {"field": "at", "type": "temporal", "title": None},
                "y": {"field": "score", "type": "quantitative", "title": t("sh.score_label"),
                      "scale": {"domain": [-1, 3]}},
                "tooltip": [{"field": f} for f in ("day", "score", "stance")],
            },
        }), width="stretch")


account_id = page.account_id
account = accounts.get_account(page.db, page.user, account_id)
editable = permissions.can_edit(page.db, page.user, account_id)
private = permissions.can_see_private(page.db, page.user, account_id)
st.header(plain(account["name"]))
if not editable:
    st.caption(t("shell.read_only"))
owners: dict[int | None, str] = {None: t("sh.nobody")} | {
    o["id"]: o["name"] for o in sh.owner_choices(page.db, page.user, account_id)}
deals = sh.opportunity_choices(page.db, page.user, account_id)
high = [f for f in coverage.flags(page.db, page.user, account_id) if f.severity == "high"]
if high:
    st.warning(t("sh.high_flags", count=len(high)), icon=":material/warning:")
# A click on a tab reruns the page: the trend charts are drawn only while their tab is open. The tabs with
# forms are drawn on every run, so input typed there survives a look at another tab.
tabs = chores.tabs([t("sh.tab.map"), t("sh.tab.people"), t("sh.tab.links"), t("sh.tab.coverage"), t("sh.tab.trends")],
                   key="dc.tabs", lazy=True)
with tabs[0]:
    map_tab(account_id, deals)
with tabs[1]:
    people_tab(account_id, editable, private, owners, deals)
with tabs[2]:
    links_tab(account_id, editable)
with tabs[3]:
    coverage_tab(account_id, deals)
with tabs[4]:
    if tabs[4].open:
        trends_tab(account_id)
