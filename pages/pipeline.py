"""Pipeline analytics: funnel, conversion, days in stage, aging, both forecasts and their backtest, goal coverage."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from kamcore import accounts, clock, money, permissions, product_lines
from kamcore.pipeline import analytics, opportunities, stage_model
from kamcore.plan import pipeline_coverage
from kamcore.text import plain
from kamui import context, pipeline_view
from kamui.chores import tabs
from kamui.editing import EditableTable, attempt, flash
from kamui.portfolio_view import money_by_currency

page = context.page()
t = page.t
st.title(t("pipe.title"))
st.caption(t("pipe.caption"))


def stage_model_section() -> None:
    """The stage model: administrators edit stages and add entry criteria; everyone sees them."""
    with st.expander(t("pipe.stage_model")):
        stages_frame = pd.DataFrame(stage_model.list_stages(page.db, active_only=False))
        stages_frame[["is_lead", "active"]] = stages_frame[["is_lead", "active"]].astype(bool)
        model = EditableTable("pipe.stages", stages_frame, label=lambda r: r["key"])
        model.render(hide_index=True, width="stretch", disabled=not page.user.is_admin, num_rows="fixed",
                     column_order=["key", "position", "name_en", "name_zh", "probability", "is_lead", "active"],
                     column_config={"key": st.column_config.TextColumn(t("pipe.stage_key"), disabled=True),
                                    "position": st.column_config.NumberColumn(t("field.position"), min_value=0),
                                    "name_en": st.column_config.TextColumn(t("field.name_en")),
                                    "name_zh": st.column_config.TextColumn(t("field.name_zh")),
                                    "probability": st.column_config.NumberColumn(t("field.probability"), min_value=0,
                                                                                 max_value=100),
                                    "is_lead": st.column_config.CheckboxColumn(t("field.is_lead"), disabled=True),
                                    "active": st.column_config.CheckboxColumn(t("field.active"))})
        if page.user.is_admin and st.button(t("table.save"), key="pipe.stages.save"):
            model.save(lambda i, v, c: stage_model.update_stage(page.db, page.user, i, v, c))
        model.refused_panel()
        label = "label_zh" if page.lang == "zh" else "label_en"
        for item in stage_model.list_criteria(page.db):
            st.markdown(f"- **{plain(stage_model.stage_name(item, page.lang))}** · {plain(item[label])}")
        if page.user.is_admin:
            with st.form("pipe.criterion.new"):
                keys = {s["id"]: stage_model.stage_name(s, page.lang) for s in stage_model.list_stages(page.db, active_only=False)}
                stage_id = st.selectbox(t("field.stage_id"), list(keys), format_func=keys.get, key="pipe.criterion.stage")
                label_en = st.text_input(t("field.label_en"), key="pipe.criterion.en")
                label_zh = st.text_input(t("field.label_zh"), key="pipe.criterion.zh")
                if st.form_submit_button(t("pipe.criterion_add")):
                    ok, _ = attempt(lambda: stage_model.create_criterion(page.db, page.user, {
                        "stage_id": stage_id, "position": 99, "label_en": label_en, "label_zh": label_zh}))
                    if ok:
                        flash(t("opp.saved"))
                        st.rerun()


readable = permissions.readable_account_ids(page.db, page.user)
if not readable:
    st.info(t("pipe.no_accounts"))
    stage_model_section()
    st.stop()
LINES = {line["id"]: line["code"] for line in product_lines.list_product_lines(page.db)}
left, mid, right = st.columns([2, 1, 1])
scopes = ["account", "all"] if page.account_id is not None else ["all"]
scope = left.radio(t("pipe.scope"), scopes, horizontal=True, key="pipe.scope",
                   format_func=lambda s: t(f"pipe.scope.{s}"))
line = mid.selectbox(t("field.product_line_id"), [None, *LINES], key="pipe.line",
                     format_func=lambda i: t("history.all") if i is None else LINES[i])
horizon = right.number_input(t("pipe.horizon"), 0, 365, analytics.DEFAULT_HORIZON_DAYS, step=15, key="pipe.horizon")
ids = [page.account_id] if scope == "account" else readable
STAGE_NAMES = {s["key"]: stage_model.stage_name(s, page.lang) for s in stage_model.list_stages(page.db, active_only=False)}
ORDER = [STAGE_NAMES[s["key"]] for s in stage_model.list_stages(page.db)]  # active stages, pipeline order (the funnel's)


figures = analytics.summary(page.db, ids, line)
if not any(figures.get(k) for k in ("open", "won", "lost", "no_decision")):
    st.info(t("pipe.empty"))
    stage_model_section()
    st.stop()
currencies = analytics.currencies(page.db, ids)
pipe = opportunities.open_pipeline(page.db, ids, product_line_id=line)  # the same figure as Home and the walk-through


def amount(value: float) -> str:
    """A sum over deals with its currency and unit; across currencies, the sum as recorded and the currencies it
    mixes (the caption below says so)."""
    if len(currencies) <= 1:
        return money.fmt(value, currencies[0] if currencies else None, page.lang)
    return t("pipe.mixed_amount", amount=money.as_typed(round(value)), currencies="/".join(sorted(currencies)))


c = st.columns(5)
c[0].metric(t("pipe.open"), figures["open"])
c[1].metric(t("pipe.open_amount"), money_by_currency({k: b["amount"] for k, b in pipe["by_currency"].items()},
                                                     page.lang))
c[2].metric(t("pipe.won"), figures["won"])
c[3].metric(t("pipe.won_value"), money_by_currency(figures["won_by_currency"], page.lang))
c[4].metric(t("pipe.win_rate"), "—" if figures["win_rate"] is None else f"{figures['win_rate']:.0%}")
st.markdown(t("money.weighted_line", count=pipe["count"], amounts=money_by_currency(
    {k: b["weighted"] for k, b in pipe["by_currency"].items()}, page.lang)))
if len(currencies) > 1:
    st.caption(t("pipe.mixed_currencies", currencies=", ".join(sorted(currencies))))

# the sections below chart or list every deal in scope: each is drawn only when its tab is opened
sections = [t("pipe.funnel"), t("pipe.tab.flow"), t("pipe.aging"), t("pipe.forecasts")] + (
    [t("pipe.coverage")] if scope == "account" else [])
tab_funnel, tab_flow, tab_aging, tab_forecasts, *tab_coverage = tabs(sections, key="pipe.tabs", lazy=True)
with tab_funnel:
    if tab_funnel.open:
        funnel = pd.DataFrame(analytics.funnel(page.db, ids, line))
        funnel["stage_name"] = funnel["stage"].map(STAGE_NAMES)
        funnel["amount_shown"] = funnel["amount"].map(amount)
        funnel["weighted_shown"] = funnel["weighted"].map(amount)
        st.vega_lite_chart(spec=pipeline_view.funnel_spec(
            funnel, ORDER, t("field.stage"), t("pipe.deals"), money.axis_title(t("field.amount"), "/".join(currencies)),
            t("field.amount"), t("opp.weighted")), width="stretch")
        st.caption(t("pipe.funnel_hint"))

with tab_flow:
    if tab_flow.open:
        conv_col, days_col = st.columns(2)
        deals = analytics.load_deals(page.db, ids, line)
        conversion = pd.DataFrame(analytics.conversion_rates(deals, stage_model.list_stages(page.db)))
        conversion["stage_name"] = conversion["stage"].map(STAGE_NAMES)
        with conv_col:
            st.subheader(t("pipe.conversion"))
            st.altair_chart(alt.Chart(conversion.dropna(subset=["rate"])).mark_bar().encode(
                x=alt.X("stage_name:N", sort=ORDER, title=None, axis=alt.Axis(labelAngle=0)),
                y=alt.Y("rate:Q", title=t("pipe.rate"), axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
                tooltip=[alt.Tooltip("stage_name:N", title=t("field.stage")), alt.Tooltip("rate:Q", format=".0%"),
                         alt.Tooltip("reached:Q", title=t("pipe.reached")),
                         alt.Tooltip("advanced:Q", title=t("pipe.advanced"))]), width="stretch")
            st.caption(t("pipe.conversion_hint"))
        days = pd.DataFrame(analytics.days_in_stage(page.db, ids, line))
        days["stage_name"] = days["stage"].map(STAGE_NAMES)
        with days_col:
            st.subheader(t("pipe.days"))
            st.altair_chart(alt.Chart(days.dropna(subset=["avg_days"])).mark_bar(color="#ff7f0e").encode(
                x=alt.X("stage_name:N", sort=ORDER, title=None, axis=alt.Axis(labelAngle=0)),
                y=alt.Y("avg_days:Q", title=t("pipe.avg_days")),
                tooltip=[alt.Tooltip("stage_name:N", title=t("field.stage")),
                         alt.Tooltip("avg_days:Q", title=t("pipe.avg_days"), format=".0f"),
                         alt.Tooltip("stays:Q", title=t("pipe.stays"))]), width="stretch")
            st.caption(t("pipe.days_hint"))

with tab_aging:
    if tab_aging.open:
        # aging and stale deals
        aging = analytics.aging(page.db, ids, line, today=clock.today())
        flagged = [r for r in aging if r["stale"] or r["overdue"]]
        if not aging:
            st.info(t("pipe.no_open"))
        else:
            st.caption(t("pipe.aging_count", stale=sum(r["stale"] for r in aging), overdue=sum(r["overdue"] for r in aging),
                         total=len(aging)))
            st.dataframe(pd.DataFrame([{
                t("opp.number"): r["number"], t("field.account_id"): r["account_name"], t("field.name"): r["name"],
                t("field.stage"): STAGE_NAMES.get(r["stage"], r["stage"]), t("pipe.age"): r["age_days"],
                t("pipe.in_stage"): r["days_in_stage"], t("pipe.stale_after"): r["stale_after"],
                t("pipe.stale"): "⚠" if r["stale"] else "", t("pipe.overdue"): "⏰" if r["overdue"] else "",
                t("field.expected_close"): r["expected_close"], t("field.next_step"): r["next_step"],
            } for r in (flagged or aging)[:200]]), hide_index=True, width="stretch")

with tab_forecasts:
    if tab_forecasts.open:
        # forecasts
        period = st.columns(2)
        start = period[0].date_input(t("pipe.close_from"), value=None, key="pipe.from")
        end = period[1].date_input(t("pipe.close_to"), value=None, key="pipe.to")
        both = analytics.forecasts(page.db, ids, line, start, end)
        f1, f2, f3 = st.columns(3)
        f1.metric(t("pipe.unweighted"), amount(both['weighted'].amount), help=t("pipe.deals_n", n=both["weighted"].count))
        f2.metric(t("pipe.fc_weighted"), amount(both['weighted'].expected), help=t("pipe.fc_weighted_help"))
        f3.metric(t("pipe.fc_historical"), amount(both['historical'].expected), help=t("pipe.fc_historical_help"))
        bases = pd.Series([r["basis"] for r in both["historical"].by_deal]).value_counts().to_dict()
        if bases:
            st.caption(t("pipe.basis", parts=", ".join(f"{t(f'pipe.basis.{k}')}: {v}" for k, v in bases.items())))

        # backtest
        st.subheader(t("pipe.backtest"))
        tested = analytics.run_backtest(page.db, ids, line, horizon_days=int(horizon))
        if tested["weighted"].deals == 0:
            st.info(t("pipe.backtest_empty"))
        else:
            st.caption(t("pipe.backtest_hint", days=int(horizon), deals=tested["weighted"].deals))
            table = pd.DataFrame([{
                t("pipe.method"): t(f"pipe.fc_{m}"), t("pipe.brier"): round(r.brier, 3), t("pipe.mae"): amount(r.mae),
                t("pipe.bias"): amount(r.bias), t("pipe.predicted"): amount(r.predicted_total),
                t("pipe.actual"): amount(r.actual_total),
            } for m, r in tested.items()])
            st.dataframe(table, hide_index=True, width="stretch")
            lines = pd.DataFrame(
                [{"period": p["period"], "series": t("pipe.actual"), "value": p["actual"], "shown": amount(p["actual"])}
                 for p in tested["weighted"].periods]
                + [{"period": p["period"], "series": t(f"pipe.fc_{m}"), "value": p["predicted"],
                    "shown": amount(p["predicted"])} for m, r in tested.items() for p in r.periods])
            st.altair_chart(alt.Chart(lines).mark_line(point=True).encode(
                x=alt.X("period:N", title=t("pipe.month"), axis=alt.Axis(labelAngle=0)), y=alt.Y("value:Q", title=money.axis_title(t("pipe.won_value"), "/".join(currencies)), axis=alt.Axis(format="~s")),
                color=alt.Color("series:N", title=None),
                tooltip=[alt.Tooltip("period:N", title=t("pipe.month")), alt.Tooltip("series:N", title=t("pipe.method")),
                         alt.Tooltip("shown:N", title=t("pipe.won_value"))]),
                width="stretch")

for tab_cov in tab_coverage:  # goal coverage (issue 4's order goals per product line): one account only
    with tab_cov:
        if tab_cov.open:
            year = st.selectbox(t("pipe.year"), [clock.today().year, clock.today().year + 1], key="pipe.year")
            coverage = pipeline_coverage.pipeline_coverage(page.db, page.user, page.account_id, year)
            if not coverage:
                st.info(t("pipe.coverage_empty"))
            else:
                own = accounts.get_account(page.db, page.user, page.account_id)["currency"]
                st.dataframe(pd.DataFrame([{
                    t("field.product_line_id"): r["product_line_code"], t("pipe.goal"): money.fmt(r["goal"], own, page.lang),
                    t("pipe.won"): money.fmt(r["won_amount"], own, page.lang),
                    t("pipe.open_amount"): money.fmt(r["open_amount"], own, page.lang),
                    t("opp.weighted"): money.fmt(r["weighted_amount"], own, page.lang),
                    t("pipe.coverage_pct"): None if r["coverage"] is None else round(100 * r["coverage"]),
                } for r in coverage]), hide_index=True, width="stretch")
                st.caption(t("pipe.coverage_hint"))

stage_model_section()
