"""Portfolio: every account with tier, type, figures and flags; Pareto / ABC; the potential grid;
and the selected account's tier explanation and assessment (position, posture)."""

import altair as alt
import pandas as pd
import streamlit as st

from kamcore import accounts, permissions
from kamcore.i18n import choice_label
from kamcore.money import axis_title
from kamcore.portfolio import fake_key_accounts, financials, overview, pareto, positioning, tiering
from kamui import context, paging
from kamui.amounts import amount_input
from kamui.chores import plain, tabs
from kamui.editing import VersionedForm
from kamui.portfolio_view import contributions_frame, flag_text, money, money_by_currency, tier_badge, total_text

page = context.page()
st.title(page.t("portfolio.title"))
st.caption(page.t("portfolio.caption", unit=page.t("money.stored_note")))

years = financials.years(page.db)
if not permissions.readable_account_ids(page.db, page.user):
    st.info(page.t("portfolio.empty_accounts"))
    st.stop()
if not years:
    st.info(page.t("portfolio.empty_financials"))
year = st.columns(4)[0].selectbox(page.t("field.year"), years, key="portfolio.year") if years else None
active = tiering.active_criteria(page.db)
if active is None:
    st.info(page.t("portfolio.no_criteria"))

totals = overview.portfolio_totals(page.db, page.user, year)
reporting = totals["currency"]
sums = st.columns(2)
sums[0].metric(page.t("money.total_revenue", year=year or "—"), money(totals["revenue"]["amount"], reporting, page.lang))
sums[0].caption(total_text(totals["revenue"], page.lang))
sums[1].metric(page.t("money.total_pipeline"), money(totals["pipeline_weighted"]["amount"], reporting, page.lang))
sums[1].caption(total_text(totals["pipeline_weighted"], page.lang))

# the Pareto and grid tabs chart every account: drawn only when opened (a click on a tab reruns the page)
tab_table, tab_pareto, tab_grid, tab_flags, tab_account = tabs([
    page.t("portfolio.tab.accounts"), page.t("portfolio.tab.pareto"), page.t("portfolio.tab.grid"),
    page.t("portfolio.tab.flags"), page.t("portfolio.tab.account"),
], key="portfolio.tabs", lazy=True)


def label(kind: str, value: object) -> str:
    """A choice's label, or an empty cell."""
    return choice_label(kind, value, page.lang) if value is not None else ""


with tab_table:
    filters = st.columns(3)
    tiers = filters[0].multiselect(page.t("field.tier"), tiering.TIERS, key="portfolio.filter.tier",
                                   format_func=lambda v: label("tier", v))
    types = filters[1].multiselect(page.t("field.account_type"), tiering.TYPES, key="portfolio.filter.type",
                                   format_func=lambda v: label("account_type", v))
    flagged = filters[2].toggle(page.t("portfolio.only_flagged"), key="portfolio.filter.flagged")
    # one page, filtered, sorted and paged in kamcore: only the shown accounts' figures are computed
    sort, descending = paging.sort_controls("portfolio.list")
    limit, offset = paging.window("portfolio.list")
    only = [a for a, f in fake_key_accounts.flags_by_account(page.db, page.user).items() if f] if flagged else None
    ids, total = overview.page_ids(page.db, page.user, sort=sort, descending=descending, limit=limit,
                                   offset=offset, year=year, tiers=tiers, types=types, only=only)
    shown = overview.overview(page.db, page.user, year, account_ids=ids)
    frame = pd.DataFrame([{
        page.t("field.name"): r["name"],
        page.t("field.tier"): tier_badge(r["tier"], r["flags"], page.lang),
        page.t("field.account_type"): label("account_type", r["account_type"]),
        page.t("field.score"): r["score"],
        page.t("field.criteria_number"): f"v{r['criteria_number']}" if r["criteria_number"] else "",
        page.t("field.currency"): r["currency"],
        page.t("money.own_currency"): money(r["revenue"], r["currency"], page.lang) if r["revenue"] is not None else None,
        page.t("money.in_reporting", currency=reporting): (
            money(totals["revenue_reporting"].get(r["account_id"]), reporting, page.lang)
            if totals["revenue_reporting"].get(r["account_id"]) is not None
            else page.t("money.no_rate", year=year, currency=r["currency"]) if r["revenue"] is not None else None),
        page.t("field.margin_pct"): r["margin_pct"],
        page.t("field.dso_days"): r["dso_days"],
        page.t("field.obtainable_share"): r["obtainable_share"],
        page.t("field.priority"): r["priority"],
        page.t("field.chosen_posture"): label("posture", r["chosen_posture"]),
        page.t("portfolio.flags"): ", ".join(label("flag", f) for f in r["flags"]),
        **{page.t(f"portfolio.col.{k}"): (money_by_currency(r[k], page.lang) if k in overview.MONEY_BY_CURRENCY_COLUMNS
                                          else money(r[k], r["currency"], page.lang) if k in overview.MONEY_COLUMNS
                                          else r[k]) for k in overview.FEATURE_COLUMNS if k in r},
    } for r in shown])
    # columns nobody has data for are dropped rather than shown empty
    frame = frame.dropna(axis="columns", how="all") if not frame.empty else frame
    st.dataframe(frame, hide_index=True, width="stretch", key="portfolio.table",
                 column_config={page.t("field.score"): st.column_config.NumberColumn(format="%.1f")})
    paging.page_picker("portfolio.list", total)

    groups = accounts.rollup(page.db, page.user)  # the account hierarchy (group → subsidiaries), summed
    EMPTY_GROUP = {"won": 0, "won_value": None, "open": 0, "open_value": None}  # a group with no deals yet
    if groups:
        st.markdown(f"#### {page.t('portfolio.groups')}")
        st.dataframe(pd.DataFrame([{
            page.t("portfolio.group"): g["name"], page.t("portfolio.subsidiaries"): ", ".join(g["subsidiaries"]),
            page.t("portfolio.won_deals"): b["won"], page.t("portfolio.won_value"): money(b["won_value"], c, page.lang),
            page.t("portfolio.open_deals"): b["open"], page.t("portfolio.open_value"): money(b["open_value"], c, page.lang),
        } for g in groups for c, b in (g["by_currency"] or {None: EMPTY_GROUP}).items()]), hide_index=True,
            width="stretch")

with tab_pareto:
    if not tab_pareto.open:
        pass
    elif year is None:
        st.info(page.t("portfolio.empty_financials"))
    else:
        curves = []
        for measure in ("revenue", "gross_profit"):
            table = pareto.portfolio_pareto(page.db, page.user, year, measure)
            for r in pareto.as_records(table):
                curves.append({**r, "measure": page.t(f"field.{measure}")})
            if measure == "revenue":
                revenue_table = table
        top = pareto.top_share(revenue_table)
        cols = st.columns(3)
        cols[0].metric(page.t("pareto.top20"), "—" if top is None else f"{top:.0f}%")
        cols[1].metric(page.t("pareto.class_a"), sum(1 for r in revenue_table if r.abc == "A"))
        cols[2].metric(page.t("pareto.accounts"), len(revenue_table))
        if curves:
            data = pd.DataFrame(curves)
            chart = alt.Chart(data).mark_line(point=True).encode(
                x=alt.X("rank_pct:Q", title=page.t("pareto.x"), scale=alt.Scale(domain=[0, 100])),
                y=alt.Y("cumulative_pct:Q", title=page.t("pareto.y")),
                color=alt.Color("measure:N", title=None),
                tooltip=[alt.Tooltip("name:N", title=page.t("field.name")),
                         alt.Tooltip("cumulative_pct:Q", title=page.t("pareto.y")),
                         alt.Tooltip("abc:N", title="ABC")],
            )
            rule = alt.Chart(pd.DataFrame({"y": [80]})).mark_rule(strokeDash=[4, 4]).encode(y="y:Q")
            st.altair_chart(chart + rule, width="stretch")
            st.dataframe(pd.DataFrame([{
                page.t("field.name"): r.name, page.t("field.revenue"): r.value,
                page.t("pareto.share"): r.share_pct, page.t("pareto.y"): r.cumulative_pct, "ABC": r.abc,
            } for r in revenue_table]), hide_index=True, width="stretch")
        else:
            st.info(page.t("pareto.no_year", year=year))

with tab_grid:
    grid_rows = positioning.grid(page.db, page.user) if tab_grid.open else []
    placed = [r for r in grid_rows if r["priority"] is not None]
    if not tab_grid.open:
        pass
    elif not placed:
        st.info(page.t("grid.empty"))
    else:
        data = pd.DataFrame([{
            "name": r["name"], "potential_sales": r["potential_sales"], "obtainable_share": r["obtainable_share"],
            "horizon_years": r["horizon_years"], "priority": f"P{r['priority']}",
            "potential": money(r["potential_sales"], r["currency"], page.lang),
        } for r in placed])
        points = alt.Chart(data).mark_circle(opacity=0.8).encode(
            x=alt.X("potential_sales:Q", title=axis_title(page.t("field.potential_sales"),
                                                                page.t("money.own_currency")),
                    scale=alt.Scale(type="symlog"), axis=alt.Axis(format="~s")),
            y=alt.Y("obtainable_share:Q", title=page.t("field.obtainable_share"), scale=alt.Scale(domain=[0, 100])),
            size=alt.Size("horizon_years:Q", title=page.t("field.horizon_years"), scale=alt.Scale(range=[80, 600])),
            color=alt.Color("priority:N", title=page.t("field.priority"), sort=["P1", "P2", "P3"]),
            tooltip=[alt.Tooltip("name:N", title=page.t("field.name")),
                     alt.Tooltip("potential:N", title=page.t("field.potential_sales")),
                     alt.Tooltip("obtainable_share:Q", title=page.t("field.obtainable_share")),
                     alt.Tooltip("horizon_years:Q", title=page.t("field.horizon_years")),
                     alt.Tooltip("priority:N", title=page.t("field.priority"))],
        )
        names = alt.Chart(data).mark_text(dy=-12, fontSize=11).encode(
            x="potential_sales:Q", y="obtainable_share:Q", text="name:N")
        st.altair_chart(points + names, width="stretch")
    if grid_rows:
        st.dataframe(pd.DataFrame([{
            page.t("field.name"): r["name"],
            page.t("field.priority"): r["priority"],
            page.t("field.potential_sales"): money(r["potential_sales"], r["currency"], page.lang),
            page.t("field.obtainable_share"): r["obtainable_share"],
            page.t("field.horizon_years"): r["horizon_years"],
            page.t("field.account_type"): label("account_type", r["account_type"]),
            page.t("field.our_position"): label("our_position", r["our_position"]),
            page.t("field.recommended_posture"): label("posture", r["recommended_posture"]),
            page.t("field.chosen_posture"): label("posture", r["chosen_posture"]),
            page.t("field.rationale"): r["rationale"],
        } for r in grid_rows]), hide_index=True, width="stretch")

with tab_flags:  # every flagged account, one line per flag: drawn only when opened
    flags = fake_key_accounts.flags_by_account(page.db, page.user) if tab_flags.open else {}
    raised = {a: f for a, f in flags.items() if f}
    names = overview.names(page.db, page.user, [*raised, *([page.account_id] if page.account_id else [])])
    if tab_flags.open:
        if not raised:
            st.success(page.t("flags.none"))
        for account_id, account_flags in raised.items():
            st.markdown(f"**{plain(names[account_id])}**")
            for flag in account_flags:
                st.markdown(f"- :red[{plain(flag_text(flag, page.lang))}]")
        st.caption(page.t("flags.thresholds_from", version=f"v{active['number']}" if active else "—"))


def assessment_form(account_id: int, editable: bool) -> None:
    """The team's assessment of the account: fit, potential, our position, the chosen posture."""
    current = positioning.get_position(page.db, page.user, account_id)
    row = current or {"id": 0, "version": 0, **{f: None for f in positioning.FIELDS}, "rationale": ""}
    currency = accounts.get_account(page.db, page.user, account_id)["currency"]
    form = VersionedForm("position", row, positioning.FIELDS, money_fields={"potential_sales": currency})

    def write(version: int, changes: dict) -> dict:
        return positioning.save_position(page.db, page.user, account_id, version or None, changes)

    form.conflict_panel(write, page.t("position.saved"))
    form.stale_notice()
    if current and current["recommended_posture"]:
        st.markdown(page.t("position.recommended", posture=label("posture", current["recommended_posture"]),
                           priority=current["priority"] or "—"))
    with st.form("position.form"):
        a, b, c = st.columns(3)
        a.number_input(page.t("field.scale"), 1, 5, **form.field("scale"), disabled=not editable)
        a.number_input(page.t("field.industry_rank"), 1, 10_000, **form.field("industry_rank"),
                       disabled=not editable)
        a.number_input(page.t("field.value_fit"), 1, 5, **form.field("value_fit"), disabled=not editable)
        a.number_input(page.t("field.purchase_fit"), 1, 5, **form.field("purchase_fit"), disabled=not editable)
        amount_input(b, page.t("field.potential_sales"), currency, form.widget("potential_sales"),
                     form.row["potential_sales"], disabled=not editable)
        b.number_input(page.t("field.obtainable_share"), 0.0, 100.0, **form.field("obtainable_share", float),
                       disabled=not editable)
        b.selectbox(page.t("field.horizon_years"), positioning.HORIZONS, **form.choice("horizon_years", positioning.HORIZONS), disabled=not editable)
        c.selectbox(page.t("field.our_position"), positioning.POSITIONS, **form.choice("our_position", positioning.POSITIONS), format_func=lambda v: label("our_position", v), disabled=not editable)
        c.selectbox(page.t("field.chosen_posture"), positioning.POSTURES, **form.choice("chosen_posture", positioning.POSTURES), format_func=lambda v: label("posture", v), disabled=not editable)
        st.text_area(page.t("field.rationale"), **form.field("rationale"), height=90, disabled=not editable)
        if st.form_submit_button(page.t("common.save"), type="primary", disabled=not editable):
            form.save(write, page.t("position.saved"))


with tab_account:
    if page.account_id is None:
        st.info(page.t("portfolio.pick_account"))
    else:
        st.subheader(plain(names.get(page.account_id, "")))
        tier = tiering.get_assignment(page.db, page.user, page.account_id)
        if tier is None:
            st.info(page.t("portfolio.no_tier"))
        else:
            st.markdown(page.t("portfolio.tier_line", tier=label("tier", tier["tier"]),
                               type=label("account_type", tier["account_type"]) or "—",
                               number=tier["criteria_number"], score=tier["score"]))
            currency = accounts.get_account(page.db, page.user, page.account_id)["currency"]
            st.dataframe(contributions_frame(tier["contributions"], page.lang, currency), hide_index=True,
                         width="stretch")
        st.markdown(f"#### {page.t('position.title')}")
        assessment_form(page.account_id, permissions.can_edit(page.db, page.user, page.account_id))
