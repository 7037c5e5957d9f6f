"""Opportunities: one account's leads and deals — list, create, edit, and per deal the stage
checklist, MAN qualification, needs funnel, five whys, SPIN plans, competitors and the close."""

from __future__ import annotations

from datetime import date
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from kamcore import accounts, clock, money, permissions, product_lines, team
from kamcore.decision_chain import stakeholders
from kamcore.i18n import choice_label
from kamcore.learning import rules
from kamcore.pipeline import competitors, discovery, qualification, stage_model
from kamcore.pipeline import opportunities as opp
from kamui import chores, context, spin
from kamui.amounts import amount_input
from kamui.chores import labels, plain
from kamui.editing import EditableTable, VersionedForm, attempt, flash
from kamui.flag_panel import flag_section

page = context.page()
t = page.t
st.title(t("opp.title"))
st.caption(t("opp.caption"))
if page.account_id is None:
    st.info(t("opp.no_account"))
    st.stop()
ACCOUNT = page.account_id
ACCOUNT_CURRENCY = accounts.get_account(page.db, page.user, ACCOUNT)["currency"]
CAN_EDIT = permissions.can_edit(page.db, page.user, ACCOUNT)
if not CAN_EDIT:
    st.caption(t("shell.read_only"))
LINES = {line["id"]: f"{line['code']} · {line['name']}" for line in product_lines.list_product_lines(page.db)}
STAGES = stage_model.list_stages(page.db)
STAGE_NAMES = {s["key"]: stage_model.stage_name(s, page.lang) for s in STAGES}
OWNERS: dict[int | None, str] = {None: "—", **{m["user_id"]: m["display_name"]
                                               for m in team.list_team(page.db, page.user, ACCOUNT)
                                               if m["role"] in permissions.EDITING_ROLES}}
DATE_FIELDS = ("expected_close", "price_quoted_on")
EDIT_FIELDS = ("name", "product_line_id", "amount", "currency", "expected_close", "probability", "owner_id",
               "next_step", "competitors", "price_quoted_on", "follow_up", "revisit_days", "notes")


def _as_date(value: Any) -> date | None:
    return date.fromisoformat(value[:10]) if isinstance(value, str) and value else None


def _label(kind: str, value: Any) -> str:
    return choice_label(kind, value, page.lang) if value is not None else "—"


def new_deal_form() -> None:
    """Open a lead (or an opportunity straight away)."""
    if not CAN_EDIT:
        return
    if not LINES:
        st.warning(t("opp.no_lines"))
        return
    with st.expander(t("opp.new"), expanded=False), st.form("opp.new"):
        left, right = st.columns(2)
        values = {
            "name": left.text_input(t("field.name"), key="opp.new.name"),
            "product_line_id": right.selectbox(t("field.product_line_id"), list(LINES), format_func=LINES.get,
                                               key="opp.new.line"),
            "kind": left.selectbox(t("opp.kind"), opp.KINDS, format_func=lambda k: _label("opp_kind", k),
                                   key="opp.new.kind"),
            "amount": amount_input(right, t("field.amount"), ACCOUNT_CURRENCY, "opp.new.amount"),
            "expected_close": left.date_input(t("field.expected_close"), value=None, key="opp.new.close"),
            "owner_id": right.selectbox(t("field.owner"), list(OWNERS), format_func=OWNERS.get, key="opp.new.owner"),
            "next_step": st.text_input(t("field.next_step"), key="opp.new.next_step"),
            "competitors": st.text_input(t("field.competitors"), key="opp.new.competitors"),
        }
        if st.form_submit_button(t("opp.create"), type="primary"):
            ok, row = attempt(lambda: opp.create_opportunity(page.db, page.user, {
                "account_id": ACCOUNT, **values,
                "amount": money.parse(values["amount"], "amount", page.lang, currency=ACCOUNT_CURRENCY)}))
            if ok:
                flash(t("opp.created", number=row["number"]))
                st.session_state["opp.pick"] = row["id"]
                st.rerun()


def deal_list() -> list[dict[str, Any]]:
    """Filters and the list; quick edits of the main fields in the table."""
    c1, c2, c3, c4, c5 = st.columns([1, 1, 1, 1, 2])
    status = c1.selectbox(t("field.status"), [None, *stage_model.STATUSES], key="opp.filter.status",
                          format_func=lambda s: t("history.all") if s is None else _label("opp_status", s))
    kind = c2.selectbox(t("opp.kind"), [None, *opp.KINDS], key="opp.filter.kind",
                        format_func=lambda k: t("history.all") if k is None else _label("opp_kind", k))
    stage = c3.selectbox(t("field.stage"), [None, *STAGE_NAMES], key="opp.filter.stage",
                         format_func=lambda s: t("history.all") if s is None else STAGE_NAMES[s])
    line = c4.selectbox(t("field.product_line_id"), [None, *LINES], key="opp.filter.line",
                        format_func=lambda i: t("history.all") if i is None else LINES[i])
    search = c5.text_input(t("opp.search"), key="opp.filter.search")
    filters = {"status": status, "kind": kind, "stage": stage, "product_line_id": line, "search": search or None}
    total = opp.count_opportunities(page.db, page.user, ACCOUNT, **filters)
    pages = max(1, -(-total // opp.PAGE_SIZE))
    number = st.number_input(t("history.page"), 1, pages, 1, key="opp.page") if pages > 1 else 1
    rows = opp.list_opportunities(page.db, page.user, ACCOUNT, **filters, offset=(number - 1) * opp.PAGE_SIZE)
    if not rows:
        st.info(t("opp.empty") if total == 0 and not any(filters.values()) else t("opp.none_match"))
        return []
    st.caption(t("opp.count", count=total))
    frame = pd.DataFrame([{
        "id": r["id"], "version": r["version"], "number": r["number"], "name": r["name"],
        "stage": STAGE_NAMES.get(r["stage"], r["stage"]), "status": _label("opp_status", r["status"]),
        "amount": r["amount"], "currency": r["currency"], "probability": r["probability"],
        "weighted": r["weighted_amount"], "expected_close": _as_date(r["expected_close"]),
        "owner": r["owner_name"] or "—", "next_step": r["next_step"],
    } for r in rows])
    table = EditableTable("opp.table", frame, label=lambda row: row["number"])
    currencies = "/".join(sorted({r["currency"] for r in rows}))  # an account's deals are mostly in one currency
    table.render(
        hide_index=True, width="stretch", disabled=not CAN_EDIT, num_rows="fixed",
        column_order=["number", "name", "stage", "status", "amount", "currency", "probability", "weighted",
                      "expected_close", "owner", "next_step"],
        column_config={
            "number": st.column_config.TextColumn(t("opp.number"), disabled=True),
            "name": st.column_config.TextColumn(t("field.name")),
            "stage": st.column_config.TextColumn(t("field.stage"), disabled=True),
            "status": st.column_config.TextColumn(t("field.status"), disabled=True),
            "amount": st.column_config.NumberColumn(money.label(t("field.amount"), currencies), min_value=0,
                                                    format="localized"),
            "currency": st.column_config.TextColumn(t("field.currency"), disabled=True),
            "probability": st.column_config.NumberColumn(t("field.probability"), min_value=0, max_value=100),
            "weighted": st.column_config.NumberColumn(money.label(t("opp.weighted"), currencies), disabled=True,
                                                      format="localized"),
            "expected_close": st.column_config.DateColumn(t("field.expected_close")),
            "owner": st.column_config.TextColumn(t("field.owner"), disabled=True),
            "next_step": st.column_config.TextColumn(t("field.next_step")),
        },
    )
    if CAN_EDIT and st.button(t("table.save"), key="opp.table.save"):
        table.save(lambda i, v, c: opp.update_opportunity(page.db, page.user, i, v, _plain_dates(c)))
    table.refused_panel(lambda i, c: opp.update_opportunity(
        page.db, page.user, i, opp.get_opportunity(page.db, page.user, i)["version"], _plain_dates(c)))
    return rows


def _plain_dates(changes: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat()[:10] if hasattr(v, "isoformat") else v) for k, v in changes.items()}


def overview(deal: dict[str, Any]) -> None:
    """The deal's fields in a versioned form."""
    loaded = {**deal, **{f: _as_date(deal[f]) for f in DATE_FIELDS}}
    form = VersionedForm(f"opp.edit.{deal['id']}", loaded, EDIT_FIELDS, money_fields={"amount": deal["currency"]})

    def write(version: int, changes: dict[str, Any]) -> dict[str, Any]:
        return opp.update_opportunity(page.db, page.user, deal["id"], version, changes)

    form.conflict_panel(write, t("opp.saved"))
    form.stale_notice()
    with st.form(f"opp.edit.form.{deal['id']}"):
        left, right = st.columns(2)
        left.text_input(t("field.name"), **form.field("name"), disabled=not CAN_EDIT)
        right.selectbox(t("field.product_line_id"), [None, *LINES], format_func=lambda i: LINES.get(i, "—"),
                        **form.choice("product_line_id", [None, *LINES]), disabled=not CAN_EDIT)  # None: not known yet
        amount_input(left, t("field.amount"), deal["currency"], form.widget("amount"), form.row["amount"],
                     disabled=not CAN_EDIT)
        right.text_input(t("field.currency"), **form.field("currency"), disabled=not CAN_EDIT)
        left.date_input(t("field.expected_close"), **form.field("expected_close"), disabled=not CAN_EDIT)
        right.number_input(t("field.probability"), min_value=0, max_value=100, step=5,
                           **form.field("probability"), disabled=not CAN_EDIT,
                           help=t("opp.probability_help", stage=stage_model.stage_probabilities(page.db).get(deal["stage"], 0)))
        owner_options = list(OWNERS) if deal["owner_id"] in OWNERS else [*OWNERS, deal["owner_id"]]
        left.selectbox(t("field.owner"), owner_options, format_func=lambda i: OWNERS.get(i, str(i)),
                       **form.choice("owner_id", owner_options), disabled=not CAN_EDIT)
        right.date_input(t("field.price_quoted_on"), **form.field("price_quoted_on"), disabled=not CAN_EDIT)
        left.selectbox(t("field.follow_up"), [None, *opp.FOLLOW_UPS], **form.choice("follow_up", [None, *opp.FOLLOW_UPS]),
                       format_func=lambda v: _label("follow_up", v), disabled=not CAN_EDIT)
        right.selectbox(t("field.revisit_days"), [None, *opp.REVISIT_DAYS],
                        **form.choice("revisit_days", [None, *opp.REVISIT_DAYS]),
                        format_func=lambda v: "—" if v is None else t("opp.days", days=v), disabled=not CAN_EDIT)
        st.text_input(t("field.next_step"), **form.field("next_step"), disabled=not CAN_EDIT)
        st.text_input(t("field.competitors"), **form.field("competitors"), disabled=not CAN_EDIT)
        st.text_area(t("field.notes"), **form.field("notes"), height=80, disabled=not CAN_EDIT)
        if st.form_submit_button(t("opp.save"), type="primary", disabled=not CAN_EDIT):
            form.save(write, t("opp.saved"))


def stage_section(deal: dict[str, Any]) -> None:
    """Entry-criteria checklist, stage move, close / reopen, and the dated history."""
    items = opp.checklist(page.db, page.user, deal["id"])
    label = "label_zh" if page.lang == "zh" else "label_en"
    current = next((s["position"] for s in STAGES if s["key"] == deal["stage"]), -1)
    with st.form(f"opp.checklist.{deal['id']}"):
        st.markdown(f"**{t('opp.checklist')}**")
        for item in items:
            mark = " ←" if item["stage_key"] == deal["stage"] else ""
            st.checkbox(f"{plain(stage_model.stage_name(item, page.lang))} · {plain(item[label])}{mark}", value=bool(item["met"]),
                        key=f"opp.check.{deal['id']}.{item['criterion_id']}", disabled=not CAN_EDIT)
        if st.form_submit_button(t("opp.checklist_save"), disabled=not CAN_EDIT):
            changed = [i for i in items if st.session_state[f"opp.check.{deal['id']}.{i['criterion_id']}"] != bool(i["met"])]
            ok = all(attempt(lambda i=i: opp.set_criterion(page.db, page.user, deal["id"], i["criterion_id"],
                                                           st.session_state[f"opp.check.{deal['id']}.{i['criterion_id']}"]))[0]
                     for i in changed)
            if ok:
                flash(t("opp.checklist_saved", count=len(changed)))
                st.rerun()
    if deal["status"] == "open":
        move, close = st.columns(2)
        with move.form(f"opp.move.{deal['id']}"):
            targets = [s["key"] for s in STAGES if s["key"] != deal["stage"]]
            nxt = next((s["key"] for s in STAGES if s["position"] > current), None)
            to = st.selectbox(t("opp.move_to"), targets, format_func=STAGE_NAMES.get, key="opp.move.to",
                              index=targets.index(nxt) if nxt in targets else 0)
            if st.form_submit_button(t("opp.move"), type="primary", disabled=not CAN_EDIT):
                ok, row = attempt(lambda: opp.move_stage(page.db, page.user, deal["id"], deal["version"], to))
                if ok:
                    flash(t("opp.moved", stage=STAGE_NAMES[row["stage"]]))
                    st.rerun()
        with close.form(f"opp.close.{deal['id']}"):
            status = st.selectbox(t("opp.close_as"), stage_model.CLOSED, format_func=lambda s: _label("opp_status", s),
                                  key="opp.close.status")
            reason = st.text_input(t("field.close_reason"), key="opp.close.reason")
            day = st.date_input(t("field.closed_on"), value=clock.today(), key="opp.close.on")
            if st.form_submit_button(t("opp.close"), disabled=not CAN_EDIT):
                ok, _ = attempt(lambda: opp.close_opportunity(page.db, page.user, deal["id"], deal["version"],
                                                              status, reason, day))
                if ok:
                    flash(t("opp.closed", status=_label("opp_status", status)))
                    st.rerun()
    else:
        st.info(t("opp.is_closed", status=_label("opp_status", deal["status"]), on=deal["closed_on"],
                  reason=plain(deal["close_reason"])))
        if CAN_EDIT and st.button(t("opp.reopen"), key="opp.reopen"):
            ok, _ = attempt(lambda: opp.reopen_opportunity(page.db, page.user, deal["id"], deal["version"]))
            if ok:
                flash(t("opp.reopened"))
                st.rerun()
    history = opp.stage_history(page.db, page.user, deal["id"])
    st.markdown(f"**{t('opp.history')}**")
    st.dataframe(pd.DataFrame([{
        t("opp.from"): STAGE_NAMES.get(h["from_stage"], _label("opp_status", h["from_stage"])),
        t("opp.to"): STAGE_NAMES.get(h["to_stage"], _label("opp_status", h["to_stage"])),
        t("col.at"): page.stamp(h["moved_at"]), t("col.actor"): h["moved_by_name"],
    } for h in history]), hide_index=True, width="stretch")


def man_section(deal: dict[str, Any]) -> None:
    """MAN qualification: three present/absent answers and the D6 tactic."""
    choices = [None, True, False]

    def fmt(v: bool | None) -> str:
        return "—" if v is None else t("opp.present") if v else t("opp.absent")

    man = ("man_money", "man_authority", "man_need")
    form = VersionedForm(f"opp.man.{deal['id']}", deal, man,
                         shown=lambda row: {name: None if row[name] is None else bool(row[name]) for name in man})
    with st.form(f"opp.man.{deal['id']}"):
        cols = st.columns(3)
        for col, name in zip(cols, man, strict=True):
            col.radio(t(f"field.{name}"), choices, **form.choice(name, choices), format_func=fmt, horizontal=True,
                      disabled=not CAN_EDIT)
        if st.form_submit_button(t("common.save"), disabled=not CAN_EDIT):
            form.save(lambda version, changes: opp.update_opportunity(page.db, page.user, deal["id"], version, changes),
                      t("opp.saved"))
    result = qualification.man_assessment(deal["man_money"], deal["man_authority"], deal["man_need"])
    if result is None:
        st.info(t("opp.man_unassessed"))
    else:
        box = st.success if result.action == "pursue" else st.error if result.action == "stop" else st.warning
        box(f"**{result.code}** — {t(result.tactic_key)}")


def needs_section(deal: dict[str, Any]) -> None:
    """The needs funnel: implicit → explicit (confirmed) → purchase criteria with weights."""
    needs = discovery.list_needs(page.db, page.user, deal["id"])
    funnel = discovery.needs_funnel(needs)
    if discovery.price_quoted_too_early(deal, needs):
        st.warning(t("opp.quoted_too_early", on=deal["price_quoted_on"]))
    cols = st.columns(3)
    for col, level in zip(cols, opp.NEED_LEVELS, strict=True):
        col.metric(_label("need_level", level), funnel["counts"][level])
    if funnel["counts"]["criterion"] and not funnel["weights_complete"]:
        st.caption(t("opp.weights_total", total=funnel["criteria_weight_total"]))
    if needs:
        frame = pd.DataFrame([{"id": n["id"], "version": n["version"], "level": n["level"],
                               "statement": n["statement"], "nature": n["nature"], "confirmed": bool(n["confirmed"]),
                               "confirmed_on": _as_date(n["confirmed_on"]), "weight": n["weight"]} for n in needs])
        table = EditableTable(f"opp.needs.{deal['id']}", frame, label=lambda r: r["statement"][:40])
        table.render(hide_index=True, width="stretch", disabled=not CAN_EDIT, num_rows="dynamic" if CAN_EDIT else "fixed",
                     column_order=["level", "statement", "nature", "confirmed", "confirmed_on", "weight"],
                     column_config={
                         "level": st.column_config.SelectboxColumn(t("opp.level"), options=list(opp.NEED_LEVELS),
                                                                   required=True, format_func=labels("need_level")),
                         "nature": st.column_config.SelectboxColumn(t("field.nature"), options=list(discovery.NATURES),
                                                                    format_func=labels("nature")),
                         "statement": st.column_config.TextColumn(t("field.statement"), required=True),
                         "confirmed": st.column_config.CheckboxColumn(t("field.confirmed")),
                         "confirmed_on": st.column_config.DateColumn(t("field.confirmed_on"), disabled=True),
                         "weight": st.column_config.NumberColumn(t("field.weight"), min_value=0, max_value=100),
                     })
        if CAN_EDIT and st.button(t("table.save"), key="opp.needs.save"):
            table.save(lambda i, v, c: discovery.update_need(page.db, page.user, i, v, _plain_dates(c)),
                       create=lambda v: discovery.add_need(page.db, page.user, deal["id"], _plain_dates(v)),
                       delete=lambda i, v: discovery.delete_need(page.db, page.user, i, v))
        table.refused_panel()
        st.page_link("pages/needs.py", label=t("needs.title"), icon=":material/water:")
    if not CAN_EDIT:
        return
    with st.form(f"opp.need.new.{deal['id']}"):
        left, right = st.columns([1, 3])
        level = left.selectbox(t("opp.level"), opp.NEED_LEVELS, format_func=lambda v: _label("need_level", v),
                               key="opp.need.level")
        statement = right.text_input(t("field.statement"), key="opp.need.statement")
        weight = left.number_input(t("field.weight"), min_value=0.0, max_value=100.0, value=None, key="opp.need.weight")
        confirmed = right.checkbox(t("field.confirmed"), key="opp.need.confirmed")
        if st.form_submit_button(t("opp.need_add")):
            ok, _ = attempt(lambda: discovery.add_need(page.db, page.user, deal["id"], {
                "level": level, "statement": statement, "weight": weight, "confirmed": confirmed}))
            if ok:
                flash(t("opp.saved"))
                st.rerun()


def whys_section(deal: dict[str, Any]) -> None:
    """Five-why chains from a stated problem to the root need."""
    for chain in discovery.list_five_whys(page.db, page.user, deal["id"]):
        steps = [plain(chain["problem"]), *[plain(chain[f"why_{i}"]) for i in range(1, 6) if chain[f"why_{i}"]]]
        st.markdown(" → ".join(steps) + (f" ⇒ **{plain(chain['root_need'])}**" if chain["root_need"] else ""))
    if not CAN_EDIT:
        return
    with st.form(f"opp.whys.new.{deal['id']}"):
        values = {"problem": st.text_input(t("field.problem"), key="opp.whys.problem")}
        cols = st.columns(5)
        for i, col in enumerate(cols, start=1):
            values[f"why_{i}"] = col.text_input(t(f"field.why_{i}"), key=f"opp.whys.why_{i}")
        values["root_need"] = st.text_input(t("field.root_need"), key="opp.whys.root")
        if st.form_submit_button(t("opp.whys_add")):
            ok, _ = attempt(lambda: discovery.add_five_whys(page.db, page.user, deal["id"], values))
            if ok:
                flash(t("opp.saved"))
                st.rerun()


def spin_plan_box(plan: dict[str, Any], questions: list[dict[str, Any]]) -> None:
    """One visit's SPIN preparation, drawn as on the Needs page: funnel, warnings and (for editors) questions."""
    person = plain(plan["stakeholder_name"]) or t("spin.anyone")
    st.markdown(f"**{t('field.visit_on')}: {plan['visit_on'] or '—'} · {t('spin.for_person')}: {person}**")
    spin.funnel_view(questions, can_edit=CAN_EDIT)
    if CAN_EDIT:
        spin.question_editor(page.db, page.user, plan, questions, f"opp.spin.{plan['id']}")


def spin_section(deal: dict[str, Any]) -> None:
    """SPIN preparations for visits: each one's open/closed question funnel and what falls short of D5's minimum."""
    questions = discovery.list_spin_questions(page.db, page.user, deal["id"])
    for plan in discovery.list_spin_plans(page.db, page.user, deal["id"]):
        with st.container(border=True):
            spin_plan_box(plan, questions.get(plan["id"], []))
    if not CAN_EDIT:
        return
    people = {None: t("spin.anyone"), **{p["id"]: p["name"] for p in
                                         stakeholders.list_stakeholders(page.db, page.user, ACCOUNT, limit=1000)}}
    with st.form(f"opp.spin.new.{deal['id']}"):
        st.markdown(f"**{t('spin.new_plan')}**")
        a, b = st.columns(2)
        visit = a.date_input(t("field.visit_on"), value=None, key="opp.spin.visit")
        person = b.selectbox(t("spin.for_person"), list(people), format_func=people.get, key="opp.spin.person")
        if st.form_submit_button(t("opp.spin_add")):
            ok, _ = attempt(lambda: discovery.add_spin_plan(page.db, page.user, deal["id"],
                                                            {"visit_on": visit, "stakeholder_id": person}))
            if ok:
                flash(t("spin.plan_added"))
                st.rerun()


def competitors_section(deal: dict[str, Any]) -> None:
    """Rivals (and us) with SWOT, and the product comparison sheet summing to a score."""
    rivals = competitors.list_competitors(page.db, page.user, deal["id"])
    if not rivals:
        st.info(t("opp.no_competitors"))
    for rival in rivals:
        title = f"{plain(rival['name'])}{' (' + t('field.is_us') + ')' if rival['is_us'] else ''} — " + \
            t("opp.comparison_score", score=rival["comparison_score"], items=rival["items_scored"])
        with st.expander(title):
            cols = st.columns(4)
            for col, part in zip(cols, ("strengths", "weaknesses", "opportunities", "threats"), strict=True):
                col.markdown(f"**{t('field.' + part)}**")
                col.markdown(plain(rival[part] or None))
    sheet = competitors.comparison_sheet(page.db, page.user, deal["id"])
    if sheet:
        frame = pd.DataFrame([{"product": i["competitor_name"], "aspect": _label("aspect", i["aspect"]),
                               "score": i["score"], "description": i["description"]} for i in sheet])
        chart = alt.Chart(frame).mark_bar().encode(
            x=alt.X("sum(score):Q", title=t("opp.score_total")),
            y=alt.Y("product:N", title=None, sort="-x"),
            color=alt.Color("aspect:N", title=t("field.aspect")),
            tooltip=["product", "aspect", "score", "description"])
        st.altair_chart(chart, width="stretch")
    if not CAN_EDIT:
        return
    left, right = st.columns(2)
    with left.form(f"opp.rival.new.{deal['id']}"):
        st.markdown(f"**{t('opp.rival_add')}**")
        values = {"name": st.text_input(t("field.name"), key="opp.rival.name"),
                  "is_us": st.checkbox(t("field.is_us"), key="opp.rival.is_us"),
                  "product": st.text_input(t("field.product"), key="opp.rival.product")}
        for part in ("strengths", "weaknesses", "opportunities", "threats"):
            values[part] = st.text_input(t(f"field.{part}"), key=f"opp.rival.{part}")
        if st.form_submit_button(t("opp.rival_add")):
            ok, _ = attempt(lambda: competitors.add_competitor(page.db, page.user, deal["id"], values))
            if ok:
                flash(t("opp.saved"))
                st.rerun()
    if rivals:
        with right.form(f"opp.score.{deal['id']}"):
            st.markdown(f"**{t('opp.score_item')}**")
            names = {r["id"]: r["name"] for r in rivals}
            who = st.selectbox(t("field.product"), list(names), format_func=names.get, key="opp.score.who")
            aspect = st.selectbox(t("field.aspect"), opp.ASPECTS, format_func=lambda a: _label("aspect", a),
                                  key="opp.score.aspect")
            description = st.text_input(t("field.description"), key="opp.score.description")
            score = st.slider(t("opp.score"), 0, opp.MAX_SCORE, 5, key="opp.score.value")
            if st.form_submit_button(t("common.save")):
                ok, _ = attempt(lambda: competitors.set_comparison_item(page.db, page.user, who, aspect, description, score))
                if ok:
                    flash(t("opp.saved"))
                    st.rerun()


def detail(rows: list[dict[str, Any]]) -> None:
    """Pick one deal and work on it."""
    by_id = {r["id"]: r for r in rows}
    picked = st.session_state.get("opp.pick")
    if picked not in by_id:
        st.session_state["opp.pick"] = rows[0]["id"]
    deal_id = st.selectbox(t("opp.pick"), list(by_id), key="opp.pick",
                           format_func=lambda i: f"{by_id[i]['number']} · {by_id[i]['name']}")
    deal = opp.get_opportunity(page.db, page.user, deal_id)
    st.subheader(f"{plain(deal['number'])} · {plain(deal['name'])}")
    st.caption(t("opp.headline", kind=_label("opp_kind", deal["kind"]), stage=STAGE_NAMES.get(deal["stage"]),
                 status=_label("opp_status", deal["status"]), amount=money.fmt(deal["amount"], deal["currency"], page.lang),
                 probability=stage_model.effective_probability(deal, stage_model.stage_probabilities(page.db))))
    deal_flags = [f for f in rules.flags_for_opportunity(page.db, page.user, deal_id) if f.opportunity_id == deal_id]
    flag_section(page, deal_flags, key="opp.flags", account_id=ACCOUNT)
    tabs = chores.tabs([t("opp.tab.overview"), t("opp.tab.stage"), t("opp.tab.man"), t("opp.tab.needs"),
                        t("opp.tab.whys"), t("opp.tab.spin"), t("opp.tab.competitors")], key=f"opp.tabs.{deal_id}")
    sections = (overview, stage_section, man_section, needs_section, whys_section, spin_section, competitors_section)
    for tab, section in zip(tabs, sections, strict=True):
        with tab:
            section(deal)


new_deal_form()
listed = deal_list()
if listed:
    detail(listed)
