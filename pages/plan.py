"""Account plan: goals on a balanced scorecard, share growth and whitespace, strategy and barriers,
baselines — tables edited in place by the iron triangle under the version rules."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from kamcore import accounts, audit, clock, money, permissions, product_lines
from kamcore.i18n import choice_label
from kamcore.plan import baselines, goals, pipeline_coverage, scorecard, share_plans, strategy
from kamcore.plan.goals import METRICS, QUADRANTS
from kamcore.portfolio import positioning
from kamcore.text import plain
from kamui import context
from kamui.editing import EditableTable, VersionedForm, attempt, flash
from kamui.plan_view import heatmap_spec, labeller, mapper, scorecard_spec
from kamui.vega import named

page = context.page()
st.title(page.t("plan.title"))
st.caption(page.t("plan.caption"))
if page.account_id is None:
    st.info(page.t("page.pick_account"))
    st.stop()

db, user, aid = page.db, page.user, page.account_id
editable = permissions.can_edit(db, user, aid)
if not editable:
    st.caption(page.t("plan.read_only"))
owners = goals.owner_choices(db, user, aid)
lines = {r["id"]: r["code"] for r in product_lines.list_product_lines(db)}
WHOLE_ACCOUNT = 0  # the stand-in option for "no product line" in the goal and barrier tables (ids start at 1)
line_options = [WHOLE_ACCOUNT, *lines]
line_label = mapper({WHOLE_ACCOUNT: page.t("plan.line.whole_account"), **lines})
this_year = clock.today().year
years = sorted({*goals.goal_years(db, user, aid), this_year, this_year + 1})
left, right, _ = st.columns([1, 1, 3])
year = left.selectbox(page.t("plan.year"), years, index=years.index(this_year), key="plan.year")
quarter = right.selectbox(page.t("plan.quarter"), [None, 1, 2, 3, 4], key="plan.quarter",
                          format_func=lambda q: page.t("plan.full_year") if q is None else f"Q{q}")


def reapply_with(entity: str, write):
    """Re-apply refused values on top of the row's latest version."""
    return lambda row_id, values: write(row_id, audit.current_version(db, entity, row_id), values)


def settings_section() -> None:
    """Lifecycle stage, quadrant weights and plan period, as one versioned form."""
    current = scorecard.get_settings(db, user, aid)
    row = {**current, "id": current["id"] or 0,
           "period_start": date.fromisoformat(str(current["period_start"])),
           "period_end": date.fromisoformat(str(current["period_end"]))}
    fields = ("lifecycle_stage", *scorecard.WEIGHT_FIELDS, "period_start", "period_end")
    form = VersionedForm("plan.settings", row, fields)

    def write(version: int, changes: dict) -> dict:
        return scorecard.save_settings(db, user, aid, version, changes)

    with st.expander(page.t("plan.settings"), expanded=False):
        st.caption(page.t("plan.settings_hint"))
        form.conflict_panel(write, page.t("plan.settings_saved"))
        form.stale_notice()
        with st.form("plan.settings.form"):
            st.selectbox(page.t("field.lifecycle_stage"), scorecard.STAGES, **form.choice("lifecycle_stage", scorecard.STAGES),
                         format_func=labeller("stage"), disabled=not editable)
            cols = st.columns(4)
            for col, name in zip(cols, scorecard.WEIGHT_FIELDS, strict=True):
                col.number_input(page.t(f"field.{name}"), 0, 100, step=5, **form.field(name),
                                 disabled=not editable)
            a, b = st.columns(2)
            a.date_input(page.t("field.period_start"), **form.field("period_start"), disabled=not editable)
            b.date_input(page.t("field.period_end"), **form.field("period_end"), disabled=not editable)
            st.caption(page.t("plan.custom_note" if current["custom_weights"] else "plan.default_note"))
            if st.form_submit_button(page.t("plan.save_settings"), type="primary", disabled=not editable):
                form.save(write, page.t("plan.settings_saved"))
        if editable and current["custom_weights"] and st.button(page.t("plan.reset_weights"),
                                                                key="plan.settings.reset"):
            ok, _ = attempt(lambda: write(current["version"], {"custom_weights": False}))
            if ok:
                st.session_state["plan.settings._reload"] = True
                flash(page.t("plan.weights_reset"))
                st.rerun()


def scorecard_section() -> None:
    """The score, each quadrant's attainment against its weight, charted."""
    st.subheader(page.t("plan.scorecard"))
    card = scorecard.scorecard(db, user, aid, year, quarter)
    left, right = st.columns([1, 3])
    if card.score is None:
        left.metric(page.t("plan.score"), "—")
        left.caption(page.t("plan.no_score"))
    else:
        left.metric(page.t("plan.score"), f"{card.score:.1f}")
    for q in card.quadrants:
        left.caption(f"{choice_label('quadrant', q.quadrant, page.lang)}: "
                     + page.t("plan.measured", measured=q.measured, goals=q.goals))
    right.vega_lite_chart(spec=named(*scorecard_spec(card)), width="stretch")


def goals_section() -> None:
    """All goals of the period in one table: edit in place, add at the bottom, delete rows."""
    st.subheader(page.t("plan.goals"))
    columns = ["id", "version", "quadrant", "metric", "title", "product_line_id", "target", "actual",
               "actual_from", "actual_reason", "attainment", "owner_id", "split_am", "split_sm", "split_dm"]

    def source_text(r: dict) -> str:
        """Where the actual comes from: measured (won deals, financials) or typed — by whom and when."""
        if r["actual_source"] is None:
            return ""
        text = choice_label("actual_source", r["actual_source"], page.lang)
        if r["actual_source"] in ("typed", "override") and r["actual_by"]:
            text += " · " + page.t("money.typed_by", who=r["actual_by"], when=page.day(r["actual_at"]))
        return text

    def load() -> pd.DataFrame:
        rows = goals.list_goals(db, user, aid, year, quarter)
        for r in rows:
            value = goals.progress(r["target"], r["actual"])  # the one goal progress (docs/figures.md)
            r["attainment"] = None if value is None else round(100 * value, 1)
            r["actual_from"] = source_text(r)
        return pd.DataFrame(rows, columns=columns).astype(
            {"id": "Int64", "version": "Int64", "product_line_id": "Int64", "owner_id": "Int64",
             "target": "float64", "actual": "float64", "attainment": "float64",
             "split_am": "Int64", "split_sm": "Int64", "split_dm": "Int64"})

    frame = load()
    if frame.empty:
        st.info(page.t("plan.no_goals"))
    else:
        st.caption(page.t("plan.goals_hint"))
        st.caption(page.t("money.goal_unit", unit=accounts.get_account(db, user, aid)["currency"]))
    table = EditableTable("plan.goals", frame, lambda r: f"{choice_label('metric', r['metric'], page.lang)}",
                          blanks={"product_line_id": WHOLE_ACCOUNT})
    table.refused_panel(reapply_with("goal", lambda i, v, c: goals.update_goal(db, user, i, v, c)))
    metrics = [m for q in QUADRANTS for m in METRICS[q]]
    # no `required` on the columns a new row needs: the grid would hold an incomplete row back without a word
    # ("Nothing to save: no row changed"); sent, it is refused with the missing field named
    pct = {"min_value": 0, "max_value": 100, "step": 5}
    table.render(
        column_order=columns[2:], hide_index=True, num_rows="dynamic" if editable else "fixed",
        disabled=True if not editable else ["attainment", "actual_from"], width="stretch",
        column_config={
            "quadrant": st.column_config.SelectboxColumn(page.t("field.quadrant"), options=QUADRANTS,
                                                         format_func=labeller("quadrant")),
            "metric": st.column_config.SelectboxColumn(page.t("field.metric"), options=metrics,
                                                       format_func=labeller("metric")),
            "title": st.column_config.TextColumn(page.t("field.title")),
            "product_line_id": st.column_config.SelectboxColumn(page.t("field.product_line_id"),
                                                                options=line_options, format_func=line_label,
                                                                default=WHOLE_ACCOUNT, required=True),
            "target": st.column_config.NumberColumn(page.t("field.target"), format="localized"),
            "actual": st.column_config.NumberColumn(page.t("field.actual"), format="localized"),
            "actual_from": st.column_config.TextColumn(page.t("field.actual_source")),
            "actual_reason": st.column_config.TextColumn(page.t("field.actual_reason")),
            "attainment": st.column_config.ProgressColumn(page.t("plan.attainment"), min_value=0,
                                                          max_value=100, format="%.0f%%"),
            "owner_id": st.column_config.SelectboxColumn(page.t("field.owner_id"), options=list(owners),
                                                         format_func=mapper(owners)),
            "split_am": st.column_config.NumberColumn(page.t("plan.col.split_am"), help=page.t("field.split_am"), default=100, **pct),
            "split_sm": st.column_config.NumberColumn(page.t("plan.col.split_sm"), help=page.t("field.split_sm"), default=0, **pct),
            "split_dm": st.column_config.NumberColumn(page.t("plan.col.split_dm"), help=page.t("field.split_dm"), default=0, **pct),
        },
    )
    if editable:
        save, reload_col, _ = st.columns([1, 1, 4])
        with reload_col:
            table.reload_button()
        if save.button(page.t("plan.save_goals"), type="primary", key="plan.goals.save"):
            table.save(
                lambda i, v, c: goals.update_goal(db, user, i, v, c),
                lambda values: goals.create_goal(db, user, {"account_id": aid, "year": year, "quarter": quarter,
                                                            **values}),
                lambda i, v: goals.delete_goal(db, user, i, v),
            )


def coverage_section() -> None:
    """Goal versus open pipeline per product line, once deals are recorded against product lines."""
    st.subheader(page.t("plan.coverage"))
    st.caption(page.t("plan.coverage_hint"))
    rows = pipeline_coverage.pipeline_coverage(db, user, aid, year, quarter)
    if not rows:
        st.info(page.t("plan.coverage_empty"))
        return
    currency = accounts.get_account(db, user, aid)["currency"]
    st.dataframe(pd.DataFrame([{
        page.t("field.product_line_id"): r["product_line_code"],
        page.t("plan.coverage_goal"): money.fmt(r["goal"], currency, page.lang),
        page.t("plan.coverage_won"): money.fmt(r["won_amount"], currency, page.lang),
        page.t("plan.coverage_open"): money.fmt(r["open_amount"], currency, page.lang),
        page.t("plan.coverage_weighted"): money.fmt(r["weighted_amount"], currency, page.lang),
        page.t("plan.coverage_ratio"): None if r["coverage"] is None else round(100 * r["coverage"]),
    } for r in rows]), hide_index=True, width="stretch")


def share_section() -> None:
    """Share-growth and breakthrough plans per product line, edited in place."""
    st.subheader(page.t("plan.share"))
    columns = ["id", "version", "product_line_id", "plan_kind", "wallet", "current_share", "base_year",
               "target_share_1", "target_share_2", "target_share_3", "final_target", "potential", "actions",
               "status"]

    def load() -> pd.DataFrame:
        rows = share_plans.list_share_plans(db, user, aid)
        for r in rows:
            r["plan_kind"] = page.t("plan.kind.breakthrough" if r["breakthrough"] else "plan.kind.growth")
        frame = pd.DataFrame(rows, columns=columns)
        floats = ("wallet", "current_share", "target_share_1", "target_share_2", "target_share_3",
                  "final_target", "potential")
        return frame.astype({"id": "Int64", "version": "Int64", "product_line_id": "Int64", "base_year": "Int64",
                             **{c: "float64" for c in floats}})

    frame = load()
    currency = accounts.get_account(db, user, aid)["currency"]
    st.caption(page.t("plan.share_hint") if not frame.empty else page.t("plan.no_share"))
    table = EditableTable("plan.share", frame, lambda r: lines.get(int(r["product_line_id"]), "?"))
    table.refused_panel(reapply_with("share_plan", lambda i, v, c: share_plans.update_share_plan(db, user, i, v, c)))
    pct = {"min_value": 0, "max_value": 100, "format": "%.1f"}
    table.render(
        column_order=columns[2:], hide_index=True, num_rows="dynamic" if editable else "fixed", width="stretch",
        disabled=True if not editable else ["plan_kind", "final_target", "potential"],
        column_config={
            "product_line_id": st.column_config.SelectboxColumn(page.t("field.product_line_id"), options=list(lines),
                                                                format_func=mapper(lines), required=True),
            "plan_kind": st.column_config.TextColumn(page.t("plan.plan_kind")),
            "wallet": st.column_config.NumberColumn(money.label(page.t("plan.col.wallet"), currency),
                                                    help=page.t("field.wallet"), format="localized"),
            "current_share": st.column_config.NumberColumn(page.t("field.current_share"), default=0, **pct),
            "base_year": st.column_config.NumberColumn(page.t("field.base_year"), default=this_year, format="%d"),
            "target_share_1": st.column_config.NumberColumn(page.t("plan.col.target_1"), help=page.t("field.target_share_1"), **pct),
            "target_share_2": st.column_config.NumberColumn(page.t("plan.col.target_2"), help=page.t("field.target_share_2"), **pct),
            "target_share_3": st.column_config.NumberColumn(page.t("plan.col.target_3"), help=page.t("field.target_share_3"), **pct),
            "final_target": st.column_config.NumberColumn(page.t("plan.final_target"), format="%.1f"),
            "potential": st.column_config.NumberColumn(money.label(page.t("plan.potential"), currency), format="localized"),
            "actions": st.column_config.TextColumn(page.t("field.actions"), width="large"),
            "status": st.column_config.SelectboxColumn(page.t("field.status"), options=share_plans.STATUSES,
                                                       format_func=labeller("share_status"), default="planned"),
        },
    )
    if editable:
        save, reload_col, _ = st.columns([1, 1, 4])
        with reload_col:
            table.reload_button()
        if save.button(page.t("plan.save_share"), type="primary", key="plan.share.save"):
            table.save(
                lambda i, v, c: share_plans.update_share_plan(db, user, i, v, c),
                lambda values: share_plans.create_share_plan(db, user, {"account_id": aid, **values}),
                lambda i, v: share_plans.delete_share_plan(db, user, i, v),
            )
    whitespace_section()


def whitespace_section() -> None:
    """This account's whitespace: current share, final target and gap per product line."""
    st.subheader(page.t("plan.whitespace"))
    cells = share_plans.whitespace(db, user, [aid])
    if not cells:
        return
    rows = []
    for c in cells:
        for measure, value in (("whitespace.measure.current_share", c["current_share"]),
                               ("plan.final_target", c["final_target"]),
                               ("whitespace.measure.gap", c["gap"])):
            rows.append({"line": c["product_line_code"], "measure": page.t(measure), "value": value})
    st.vega_lite_chart(spec=named(*heatmap_spec(pd.DataFrame(rows), "line", "measure", "value",
                                                page.t("field.product_line_id"), "", "%", height=130)),
                       width="stretch")


def strategy_section() -> None:
    """Posture (read-only), the three purchase factors, the technical position and barrier actions."""
    position = positioning.get_position(db, user, aid)
    if position and position.get("chosen_posture"):
        st.subheader(page.t("plan.posture"))
        st.markdown(f"**{choice_label('posture', position['chosen_posture'], page.lang)}**"
                    + (f" — {plain(position['rationale'])}" if position.get("rationale") else ""))
    st.subheader(page.t("plan.factors"))
    st.caption(page.t("plan.factors_hint"))
    assessed = {f["factor"]: f for f in strategy.list_factors(db, user, aid)}
    for col, factor in zip(st.columns(3), strategy.FACTORS, strict=True):
        with col:
            factor_form(factor, assessed.get(factor))
    technical_position_section()
    barriers_section()


def technical_position_section() -> None:
    """Per product line: the level reached, the next level and the action towards it."""
    st.subheader(page.t("plan.technical_position"))
    position = strategy.technical_position(db, user, aid)
    if not position:
        st.info(page.t("plan.no_technical"))
        return
    st.dataframe(pd.DataFrame([{
        page.t("field.product_line_id"): p["product_line_code"] or "—",
        page.t("field.barrier_action.level"): choice_label("tech_level", p["level"], page.lang),
        page.t("plan.next_level"): choice_label("tech_level", p["next"], page.lang) if p["next"]
        else page.t("plan.top_level"),
        page.t("field.action"): p["action"], page.t("field.owner_id"): p["owner_name"],
        page.t("field.due_date"): p["due_date"],
    } for p in position]), hide_index=True, width="stretch")


def factor_form(factor: str, row: dict | None) -> None:
    """One purchase factor as its own versioned form, so three people can assess three factors at once."""
    shown = row or {"id": 0, "version": 0, "score": None, "note": ""}
    form = VersionedForm(f"plan.factor.{factor}", shown, ("score", "note"))
    label = choice_label("factor", factor, page.lang)

    def write(version: int, changes: dict) -> dict:
        if row is None:
            return strategy.assess_factor(db, user, {"account_id": aid, "factor": factor,
                                                     **{"score": shown["score"], "note": ""}, **changes})
        return strategy.update_factor(db, user, row["id"], version, changes)

    form.conflict_panel(write, page.t("plan.factor_saved", factor=label))
    with st.form(f"plan.factor.{factor}.form"):
        st.markdown(f"**{label}**")
        st.selectbox(page.t("field.score"), [1, 2, 3, 4, 5], **form.choice("score", [1, 2, 3, 4, 5]), disabled=not editable,
                     placeholder=page.t("plan.not_assessed"))
        st.text_area(page.t("field.note"), **form.field("note"), height=90, disabled=not editable)
        if st.form_submit_button(page.t("plan.save_factor"), disabled=not editable):
            form.save(write, page.t("plan.factor_saved", factor=label))


def barriers_section() -> None:
    """Technical, commercial and process-embedding actions with owners and due dates."""
    st.subheader(page.t("plan.barriers"))
    columns = ["id", "version", "kind", "product_line_id", "level", "action", "owner_id", "due_date", "status"]

    def load() -> pd.DataFrame:
        frame = pd.DataFrame(strategy.list_actions(db, user, aid), columns=columns)
        frame["due_date"] = pd.to_datetime(frame["due_date"]).dt.date
        return frame.astype({"id": "Int64", "version": "Int64", "product_line_id": "Int64", "owner_id": "Int64"})

    frame = load()
    if frame.empty:
        st.info(page.t("plan.no_barriers"))
    else:
        st.caption(page.t("plan.barriers_hint"))
        overdue = strategy.overdue_actions(db, user, aid, clock.today())
        if overdue:
            st.warning(page.t("plan.overdue", count=overdue))
    table = EditableTable("plan.barriers", frame, lambda r: str(r["action"])[:40],
                          blanks={"product_line_id": WHOLE_ACCOUNT})
    table.refused_panel(reapply_with("barrier_action", lambda i, v, c: strategy.update_action(db, user, i, v, c)))
    table.render(
        column_order=columns[2:], hide_index=True, num_rows="dynamic" if editable else "fixed",
        disabled=not editable, width="stretch",
        column_config={
            "kind": st.column_config.SelectboxColumn(page.t("field.barrier_action.kind"), options=strategy.KINDS,
                                                     format_func=labeller("barrier"), required=True),
            "product_line_id": st.column_config.SelectboxColumn(page.t("field.product_line_id"), options=line_options,
                                                                format_func=line_label, default=WHOLE_ACCOUNT,
                                                                required=True),
            "level": st.column_config.SelectboxColumn(page.t("field.barrier_action.level"), options=strategy.TECH_LEVELS,
                                                      format_func=labeller("tech_level")),
            "action": st.column_config.TextColumn(page.t("field.action"), width="large", required=True),
            "owner_id": st.column_config.SelectboxColumn(page.t("field.owner_id"), options=list(owners),
                                                         format_func=mapper(owners)),
            "due_date": st.column_config.DateColumn(page.t("field.due_date"), required=True),
            "status": st.column_config.SelectboxColumn(page.t("field.status"), options=strategy.ACTION_STATUSES,
                                                       format_func=labeller("barrier_status"), default="open"),
        },
    )
    if editable:
        save, reload_col, _ = st.columns([1, 1, 4])
        with reload_col:
            table.reload_button()
        if save.button(page.t("plan.save_barriers"), type="primary", key="plan.barriers.save"):
            table.save(
                lambda i, v, c: strategy.update_action(db, user, i, v, c),
                lambda values: strategy.create_action(db, user, {"account_id": aid, **values}),
                lambda i, v: strategy.delete_action(db, user, i, v),
            )


def baselines_section() -> None:
    """Freeze the plan as approved; compare the live plan with any baseline."""
    st.subheader(page.t("plan.baselines"))
    st.caption(page.t("plan.baselines_hint"))
    if editable:
        with st.form("plan.baseline.form"):
            a, b = st.columns([2, 1])
            name = a.text_input(page.t("plan.baseline_name"), key="plan.baseline.name",
                                value=page.t("plan.baseline_name_default", year=year))
            approved = b.date_input(page.t("field.approved_on"), value=clock.today(), key="plan.baseline.date")
            if st.form_submit_button(page.t("plan.freeze"), type="primary"):
                ok, row = attempt(lambda: baselines.take_baseline(db, user, aid, name, approved))
                if ok:
                    flash(page.t("plan.frozen", name=row["name"]))
                    st.rerun()
    found = baselines.list_baselines(db, user, aid)
    if not found:
        st.info(page.t("plan.no_baselines"))
        return
    by_id = {b["id"]: b for b in found}
    chosen = st.selectbox(page.t("plan.compare_with"), list(by_id), key="plan.baseline.pick",
                          format_func=lambda i: page.t("plan.baseline_label", name=by_id[i]["name"],
                                                       date=by_id[i]["approved_on"]))
    moves = baselines.compare(db, user, chosen)
    if not moves:
        st.success(page.t("plan.no_moves"))
        return
    st.caption(page.t("plan.moves", count=len(moves)))
    st.dataframe(pd.DataFrame([{
        page.t("plan.col.item_type"): page.t(f"entity.{m.entity}").capitalize(),
        page.t("plan.col.item"): baselines.describe(m.entity, m.row, lines, page.lang),
        page.t("plan.col.change"): page.t(f"move.{m.change}"),
        page.t("col.field"): page.t(f"field.{m.field}") if m.field else "",
        page.t("col.old"): "" if m.old is None else str(m.old),
        page.t("col.new"): "" if m.new is None else str(m.new),
        page.t("plan.col.by"): m.by,
        page.t("plan.col.when"): page.stamp(m.at),
    } for m in moves]), hide_index=True, width="stretch")


# Plain tabs (not a widget): a tab widget's rerun left the goals grid ignoring the next click in the browser
# tests, so every tab is drawn on each run; what they read is cheap (charts as plain Vega-Lite specs, the
# baseline comparison kept per account in kamcore). Keyed tabs came back once more this round and the browser test
# of a save with nothing edited failed the same way again: the plan stays on plain tabs.
tabs = st.tabs([page.t("plan.tab.goals"), page.t("plan.tab.share"), page.t("plan.tab.strategy"),
                page.t("plan.tab.baselines")])
with tabs[0]:
    settings_section()
    scorecard_section()
    goals_section()
    coverage_section()
with tabs[1]:
    share_section()
with tabs[2]:
    strategy_section()
with tabs[3]:
    baselines_section()
