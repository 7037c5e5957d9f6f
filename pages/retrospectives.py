"""Retrospectives (复盘): facts timeline, success/failure factors, five whys, lessons, improvement actions."""

from datetime import date

import pandas as pd
import streamlit as st

from kamcore import permissions
from kamcore.accounts import parse_account_id
from kamcore.i18n import choice_label
from kamcore.learning import playbook, retrospectives, rules
from kamcore.learning.retrospectives import ACTION_STATUSES, DIMENSIONS, HORIZONS, POLARITIES, WHY_LINKS
from kamcore.learning.rules import SEVERITIES
from kamcore.pipeline import stage_model
from kamui import context
from kamui.editing import EditableTable, VersionedForm, attempt, flash
from kamui.rules_view import condition_builder, severity_label

page = context.page()
st.title(page.t("retro.title"))
st.caption(page.t("retro.caption"))
if page.account_id is None:
    st.info(page.t("account.none_selected"))
    st.stop()
editable = permissions.can_edit(page.db, page.user, page.account_id)


def label(kind: str, value: str) -> str:
    return choice_label(kind, value, page.lang)


def new_retrospective() -> None:
    """Open a retrospective for a closed deal, an open one (mid-deal review) or an account period."""
    deals = retrospectives.reviewable_opportunities(page.db, page.user, page.account_id)
    by_id = {d["id"]: d for d in deals}
    kind = st.radio(page.t("field.review_type"), retrospectives.REVIEW_TYPES, key="retro.new.type",
                    format_func=lambda k: label("review_type", k), horizontal=True)
    values: dict = {"account_id": page.account_id, "review_type": kind}
    if kind == "period":
        left, mid, right = st.columns(3)
        values["review_from"] = left.date_input(page.t("field.review_from"), value=None, key="retro.new.from")
        values["review_to"] = mid.date_input(page.t("field.review_to"), value=None, key="retro.new.to")
        values["result"] = right.selectbox(page.t("field.result"), ("goal_missed", "goal_met"), key="retro.new.result",
                                           format_func=lambda r: label("result", r))
        values["title"] = st.text_input(page.t("field.title"), key="retro.new.title")
    else:
        wanted = [d for d in deals if (d["status"] == "open") == (kind == "mid_deal")]
        if not wanted:
            st.info(page.t("retro.no_deals_mid" if kind == "mid_deal" else "retro.no_deals_closed"))
        values["opportunity_id"] = st.selectbox(
            page.t("field.opportunity_id"), [d["id"] for d in wanted], key="retro.new.opp",
            format_func=lambda i: f"{by_id[i]['number']} {by_id[i]['name']} · {label('result', by_id[i]['status'])}")
    values["rival"] = st.text_input(page.t("field.rival"), key="retro.new.rival")
    if st.button(page.t("retro.create"), key="retro.new.create", type="primary", disabled=not editable):
        clean = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in values.items() if v not in ("", None)}
        ok, row = attempt(lambda: retrospectives.create_retrospective(page.db, page.user, clean))
        if ok:
            flash(page.t("retro.created", title=row["title"]))
            st.query_params["retro"] = str(row["id"])
            st.rerun()


def head(retro: dict) -> None:
    """Title, rival, summary and status, edited on the version they were read at."""
    form = VersionedForm(f"retro.head.{retro['id']}", retro, ("title", "rival", "summary", "status"))

    def write(version: int, changes: dict) -> dict:
        return retrospectives.update_retrospective(page.db, page.user, retro["id"], version, changes)

    form.conflict_panel(write, page.t("account.saved", version=retro["version"] + 1))
    form.stale_notice()
    with st.form(f"retro.head.form.{retro['id']}"):
        left, right = st.columns([3, 1])
        left.text_input(page.t("field.title"), key=form.widget("title"), disabled=not editable)
        right.selectbox(page.t("field.status"), ("draft", "final"), key=form.widget("status"),
                        format_func=lambda s: label("retro_status", s), disabled=not editable)
        st.text_input(page.t("field.rival"), key=form.widget("rival"), disabled=not editable)
        st.text_area(page.t("field.summary"), key=form.widget("summary"), height=100, disabled=not editable)
        if st.form_submit_button(page.t("common.save"), disabled=not editable):
            form.save(write, page.t("account.saved", version=retro["version"] + 1))


def timeline(retro: dict) -> None:
    facts = retrospectives.timeline(page.db, page.user, retro["id"])
    if not facts:
        st.info(page.t("retro.timeline_empty"))
        return
    st.dataframe(pd.DataFrame([{
        page.t("col.at"): f["at"][:10], page.t("retro.col.event"): page.t(f"timeline.{f['kind']}"),
        page.t("retro.col.subject"): f["subject"], page.t("col.old"): "" if f["old"] is None else str(f["old"]),
        page.t("col.new"): "" if f["new"] is None else str(f["new"]), page.t("col.actor"): f["actor"]}
        for f in facts]), hide_index=True, width="stretch")


def part_table(retro: dict, part: str, rows: list[dict], columns: dict, label_of) -> None:
    """Existing rows of one part, each saved on its own version (several people edit at once)."""
    if not rows:
        st.info(page.t(f"retro.{part}_empty"))
        return
    frame = pd.DataFrame([{**{c: r[c] for c in columns}, "id": r["id"], "version": r["version"]} for r in rows])
    table = EditableTable(f"retro.{part}.{retro['id']}", frame, label_of)
    table.refused_panel(lambda rid, changes: retrospectives.update_part(
        page.db, page.user, part, rid, _version(rows, rid), changes))
    table.render(column_config=columns, column_order=list(columns), hide_index=True, width="stretch",
                 disabled=not editable, num_rows="dynamic" if editable else "fixed")
    if editable and st.button(page.t("table.save"), key=f"retro.{part}.save.{retro['id']}"):
        table.save(lambda rid, ver, ch: retrospectives.update_part(page.db, page.user, part, rid, ver, ch),
                   delete=lambda rid, ver: retrospectives.delete_part(page.db, page.user, part, rid, ver))


def _version(rows: list[dict], row_id: int) -> int:
    found = retrospectives.parts(page.db, page.user, rows[0]["retrospective_id"])
    return next(r["version"] for group in found.values() for r in group if r["id"] == row_id)


def factors(retro: dict, rows: list[dict]) -> None:
    cols = {
        "dimension": st.column_config.SelectboxColumn(page.t("field.dimension"), options=DIMENSIONS, required=True),
        "polarity": st.column_config.SelectboxColumn(page.t("field.polarity"), options=POLARITIES, required=True),
        "text": st.column_config.TextColumn(page.t("field.text"), required=True, width="large"),
        "impact": st.column_config.NumberColumn(page.t("field.impact"), min_value=1, max_value=3, step=1),
    }
    part_table(retro, "factor", rows, cols, lambda r: str(r["text"])[:40])
    if editable:
        with st.form(f"retro.factor.add.{retro['id']}", clear_on_submit=True):
            a, b, c = st.columns([2, 2, 1])
            dimension = a.selectbox(page.t("field.dimension"), DIMENSIONS, key="retro.factor.dimension",
                                    format_func=lambda d: label("dimension", d))
            polarity = b.selectbox(page.t("field.polarity"), POLARITIES, key="retro.factor.polarity",
                                   format_func=lambda p: label("polarity", p))
            impact = c.number_input(page.t("field.impact"), 1, 3, 2, key="retro.factor.impact")
            text = st.text_input(page.t("field.text"), key="retro.factor.text")
            if st.form_submit_button(page.t("retro.add_factor")):
                _add("factor", retro, {"dimension": dimension, "polarity": polarity, "text": text, "impact": impact})


def whys(retro: dict, rows: list[dict]) -> None:
    for chain in rows:
        links = [chain[n] for n in WHY_LINKS if chain[n]]
        st.markdown(f"**{chain['problem']}** → " + " → ".join(links) +
                    f" ⇒ **{page.t('field.root_cause')}: {chain['root_cause']}**")
    if not rows:
        st.info(page.t("retro.why_empty"))
    if editable:
        with st.form(f"retro.why.add.{retro['id']}"):
            dimension = st.selectbox(page.t("field.dimension"), DIMENSIONS, key="retro.why.dimension",
                                     format_func=lambda d: label("dimension", d))
            values = {"dimension": dimension,
                      "problem": st.text_input(page.t("field.problem"), key="retro.why.problem")}
            for name in WHY_LINKS:
                values[name] = st.text_input(page.t(f"field.{name}"), key=f"retro.why.{name}")
            values["root_cause"] = st.text_input(page.t("field.root_cause"), key="retro.why.root_cause")
            if st.form_submit_button(page.t("retro.add_why")):
                _add("why", retro, values)


def lessons(retro: dict, rows: list[dict]) -> None:
    if not rows:
        st.info(page.t("retro.lesson_empty"))
    for lesson in rows:
        badge = " · 📘 " + page.t("retro.in_playbook") if lesson["playbook_entry_id"] else ""
        with st.expander(f"**{lesson['title']}** — {label('dimension', lesson['dimension'])}{badge}"):
            if lesson["detail"]:
                st.write(lesson["detail"])
            if not editable:
                continue
            left, right = st.columns(2)
            if not lesson["playbook_entry_id"] and left.button(page.t("retro.promote"),
                                                                key=f"retro.promote.{lesson['id']}"):
                ok, _ = attempt(lambda le=lesson: playbook.promote(page.db, page.user, le["id"], le["version"], {}))
                if ok:
                    flash(page.t("retro.promoted"))
                    st.rerun()
            with right.popover(page.t("retro.make_rule"), width="stretch"):
                rule_from_lesson(lesson)
    if editable:
        with st.form(f"retro.lesson.add.{retro['id']}", clear_on_submit=True):
            title = st.text_input(page.t("field.title"), key="retro.lesson.title")
            detail = st.text_area(page.t("field.detail"), key="retro.lesson.detail", height=80)
            a, b = st.columns(2)
            dimension = a.selectbox(page.t("field.dimension"), DIMENSIONS, key="retro.lesson.dimension",
                                    format_func=lambda d: label("dimension", d))
            stages = {s["key"]: stage_model.stage_name(s, page.lang) for s in stage_model.list_stages(page.db)}
            stage = b.selectbox(page.t("field.stage"), ["", *stages], key="retro.lesson.stage",
                                format_func=lambda k: stages.get(k, "—"))
            if st.form_submit_button(page.t("retro.add_lesson")):
                _add("lesson", retro, {"title": title, "detail": detail, "dimension": dimension, "stage": stage})


def rule_from_lesson(lesson: dict) -> None:
    """Turn this lesson into a rule: pick the conditions that would have warned us."""
    key = f"retro.rule.{lesson['id']}"
    st.caption(page.t("retro.make_rule_help"))
    severity = st.selectbox(page.t("field.severity"), SEVERITIES, index=1, key=f"{key}.severity",
                            format_func=severity_label)
    conditions = condition_builder(key)
    if st.button(page.t("retro.create_rule"), key=f"{key}.create", type="primary"):
        ok, rule = attempt(lambda: rules.rule_from_lesson(page.db, page.user, lesson["id"],
                                                          {"severity": severity, "conditions": conditions}))
        if ok:
            flash(page.t("retro.rule_created", name=rule["name"]))
            st.rerun()


def actions(retro: dict, rows: list[dict]) -> None:
    owners = retrospectives.owner_choices(page.db, page.user, page.account_id)
    cols = {
        "text": st.column_config.TextColumn(page.t("field.text"), required=True, width="large"),
        "owner_id": st.column_config.SelectboxColumn(page.t("field.owner_id"), options=list(owners), required=True),
        "due_date": st.column_config.TextColumn(page.t("field.due_date"), required=True),
        "horizon": st.column_config.SelectboxColumn(page.t("field.horizon"), options=HORIZONS),
        "status": st.column_config.SelectboxColumn(page.t("field.status"), options=ACTION_STATUSES),
    }
    if rows:
        st.caption(", ".join(f"{i} = {n}" for i, n in owners.items()))
    part_table(retro, "action", rows, cols, lambda r: str(r["text"])[:40])
    if editable and owners:
        with st.form(f"retro.action.add.{retro['id']}", clear_on_submit=True):
            text = st.text_input(page.t("field.text"), key="retro.action.text")
            a, b, c = st.columns(3)
            owner = a.selectbox(page.t("field.owner_id"), list(owners), format_func=owners.get,
                                key="retro.action.owner")
            due = b.date_input(page.t("field.due_date"), value=None, key="retro.action.due")
            horizon = c.selectbox(page.t("field.horizon"), HORIZONS, index=1, key="retro.action.horizon",
                                  format_func=lambda h: label("horizon", h))
            if st.form_submit_button(page.t("retro.add_action")):
                _add("action", retro, {"text": text, "owner_id": owner, "horizon": horizon,
                                       "due_date": due.isoformat() if due else None})


def _add(part: str, retro: dict, values: dict) -> None:
    ok, _ = attempt(lambda: retrospectives.add_part(page.db, page.user, part, retro["id"], values))
    if ok:
        flash(page.t("retro.added"))
        st.rerun()


listing = retrospectives.list_retrospectives(page.db, page.user, page.account_id)
with st.expander(page.t("retro.new"), expanded=not listing, icon=":material/add:"):
    if editable:
        new_retrospective()
    else:
        st.caption(page.t("shell.read_only"))
if not listing:
    st.info(page.t("retro.empty"))
    st.stop()
by_id = {r["id"]: r for r in listing}
asked = parse_account_id(st.query_params.get("retro"))
if asked in by_id and st.session_state.get("retro.pick") not in by_id:
    st.session_state["retro.pick"] = asked
chosen = st.selectbox(page.t("retro.pick"), list(by_id), key="retro.pick",
                      format_func=lambda i: f"{by_id[i]['title']} · {label('result', by_id[i]['result'])} · "
                                            f"{label('review_type', by_id[i]['review_type'])}")
retro = retrospectives.get_retrospective(page.db, page.user, chosen)
st.header(retro["title"])
st.caption(" · ".join(x for x in (
    label("review_type", retro["review_type"]), label("result", retro["result"]),
    retro["opportunity_name"] or f"{retro['review_from']} – {retro['review_to']}",
    (page.t("field.rival") + ": " + retro["rival"]) if retro["rival"] else "") if x))
head(retro)
st.subheader(page.t("retro.timeline"))
timeline(retro)
parts = retrospectives.parts(page.db, page.user, retro["id"])
tabs = st.tabs([page.t("retro.tab.factors", count=len(parts["factor"])),
                page.t("retro.tab.whys", count=len(parts["why"])),
                page.t("retro.tab.lessons", count=len(parts["lesson"])),
                page.t("retro.tab.actions", count=len(parts["action"]))])
with tabs[0]:
    factors(retro, parts["factor"])
with tabs[1]:
    whys(retro, parts["why"])
with tabs[2]:
    lessons(retro, parts["lesson"])
with tabs[3]:
    actions(retro, parts["action"])
