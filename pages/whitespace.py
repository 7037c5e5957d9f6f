"""Whitespace across the portfolio: accounts × product lines, current share, gap to target, potential.

The headline figures cover every account (aggregated in SQL); the heat map and the table show one
page of accounts, sorted and paged in SQL — only the shown cells are computed and drawn."""

import pandas as pd
import streamlit as st

from kamcore.plan import share_plans, whitespace
from kamui import paging, portfolio_view
from kamui.chores import open_page
from kamui.plan_view import heatmap_spec
from kamui.vega import named

page = open_page("whitespace.title", "whitespace.caption", needs_account=False)

summary = whitespace.summary(page.db, page.user)
if not summary["planned"]:
    st.info(page.t("whitespace.empty"))
    st.stop()

a, b, c = st.columns(3)
a.metric(page.t("whitespace.total_potential"), portfolio_view.money(summary["potential"]["amount"],
                                                                     summary["potential"]["currency"], page.lang),
         help=portfolio_view.total_text(summary["potential"], page.lang))
b.metric(page.t("whitespace.breakthroughs"), summary["breakthroughs"])
c.metric(page.t("whitespace.unplanned_cells"), summary["unplanned"])

MEASURES = ("current_share", "gap", "potential")
measure = st.segmented_control(page.t("plan.measure"), MEASURES, default="gap", key="whitespace.measure",
                               format_func=lambda m: page.t(f"whitespace.measure.{m}")) or "gap"
controls = st.columns([2, 1, 2])
sort = controls[0].selectbox(page.t("whitespace.sort"), list(whitespace.SORTS), key="whitespace.list.sort",
                             format_func=lambda s: page.t(f"whitespace.sort.{s}"))
descending = controls[1].toggle(page.t("paging.descending"), value=True, key="whitespace.list.desc")
planned_only = controls[2].toggle(page.t("whitespace.planned_only"), key="whitespace.list.planned")
limit, offset = paging.window("whitespace.list", whitespace.PAGE_SIZE)
cells, total = whitespace.page(page.db, page.user, sort=sort, descending=descending, planned_only=planned_only,
                               limit=limit, offset=offset)

frame = pd.DataFrame(cells)
shown = frame["account_id"].nunique() if cells else 0
if cells:
    frame["potential_shown"] = [portfolio_view.money(x["potential"], x["currency"], page.lang) for x in cells]
    st.vega_lite_chart(spec=named(*heatmap_spec(
        frame, "product_line_code", "account_name", measure, page.t("field.product_line_id"),
        page.t("whitespace.account"), page.t(f"whitespace.measure.{measure}"), height=60 + 36 * shown,
        shown="potential_shown" if measure == "potential" else None)),
        width="stretch")
paging.page_picker("whitespace.list", total, whitespace.PAGE_SIZE)
hidden = [page.t("whitespace.hidden", accounts=total - shown, cells=(total - shown) * summary["lines"])] \
    if total > shown else []
unplanned = summary["accounts"] - summary["accounts_with_plan"]
if unplanned:
    hidden.append(page.t("whitespace.filtered" if planned_only else "whitespace.unplanned_accounts",
                         accounts=unplanned))
if hidden:
    st.caption(" ".join(hidden))

kinds = [share_plans.cell_kind(x) for x in cells]
st.dataframe(
    pd.DataFrame([{
        page.t("whitespace.account"): x["account_name"],
        page.t("field.product_line_id"): x["product_line_code"],
        page.t("plan.plan_kind"): page.t(f"plan.kind.{k}"),
        page.t("whitespace.measure.current_share"): x["current_share"],
        page.t("plan.final_target"): x["final_target"],
        page.t("whitespace.measure.potential"): portfolio_view.money(x["potential"], x["currency"], page.lang),
    } for x, k in zip(cells, kinds, strict=True) if k != "unplanned"]),
    hide_index=True, width="stretch",
)
