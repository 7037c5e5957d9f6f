"""Whitespace across the portfolio: accounts × product lines, current share, gap to target, potential."""

import pandas as pd
import streamlit as st

from kamcore.plan import share_plans
from kamui.chores import open_page
from kamui.plan_view import heatmap

page = open_page("whitespace.title", "whitespace.caption", needs_account=False)

cells = share_plans.whitespace(page.db, page.user)
if not any(c["plan_id"] is not None for c in cells):
    st.info(page.t("whitespace.empty"))
    st.stop()

MEASURES = ("current_share", "gap", "potential")
measure = st.segmented_control(page.t("plan.measure"), MEASURES, default="gap", key="whitespace.measure",
                               format_func=lambda m: page.t(f"whitespace.measure.{m}")) or "gap"
kinds = [share_plans.cell_kind(c) for c in cells]
a, b, c = st.columns(3)
a.metric(page.t("whitespace.total_potential"), f"{sum(x['potential'] or 0 for x in cells):,.0f}")
b.metric(page.t("whitespace.breakthroughs"), kinds.count("breakthrough"))
c.metric(page.t("whitespace.unplanned_cells"), kinds.count("unplanned"))

frame = pd.DataFrame(cells)
accounts = frame["account_name"].nunique()
st.altair_chart(
    heatmap(frame, "product_line_code", "account_name", measure, page.t("field.product_line_id"),
            page.t("whitespace.account"), page.t(f"whitespace.measure.{measure}"), height=60 + 36 * accounts),
    width="stretch",
)
st.dataframe(
    pd.DataFrame([{
        page.t("whitespace.account"): x["account_name"],
        page.t("field.product_line_id"): x["product_line_code"],
        page.t("plan.plan_kind"): page.t(f"plan.kind.{k}"),
        page.t("whitespace.measure.current_share"): x["current_share"],
        page.t("plan.final_target"): x["final_target"],
        page.t("whitespace.measure.potential"): x["potential"],
    } for x, k in zip(cells, kinds, strict=True) if k != "unplanned"]),
    hide_index=True, width="stretch",
)
