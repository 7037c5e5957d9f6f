"""Home: the war room at a glance — the accounts this person can see, how each is doing, what is
at risk, and the latest changes."""

import pandas as pd
import streamlit as st

from kamcore import accounts, activity
from kamcore.i18n import choice_label
from kamcore.portfolio import overview
from kamui import context, paging
from kamui.audit_view import audit_frame
from kamui.portfolio_view import money, money_by_currency, tier_badge

page = context.page()
st.title(page.t("home.title"))
st.caption(page.t("home.caption"))

totals = overview.totals(page.db, page.user)
if not totals["accounts"]:
    if page.user.is_admin:  # the first run: the way in is the CRM export, step by step
        st.info(page.t("ix.first_run"))
        st.markdown(page.t("ix.first_run_steps"))
        st.page_link("pages/opportunity_import.py", label=page.t("ix.first_run_link"), icon=":material/upload_file:")
        st.caption(page.t("ix.first_run_else"))
    else:
        st.info(page.t("home.empty"))
    st.stop()

cols = st.columns(4)
cols[0].metric(page.t("home.metric.accounts"), totals["accounts"])
cols[1].metric(page.t("home.metric.at_risk"), totals["at_risk"])
cols[2].metric(page.t("home.metric.flags"), totals["risk_flags"])
cols[3].metric(page.t("home.metric.changes_7d"), activity.change_count(page.db, page.user))

# one page of accounts, sorted and paged in kamcore: only the shown accounts' figures are computed
sort, descending = paging.sort_controls("home.list")
limit, offset = paging.window("home.list")
ids, total = overview.page_ids(page.db, page.user, sort=sort, descending=descending, limit=limit, offset=offset)
by_id = {r["id"]: r for r in accounts.list_accounts(page.db, page.user, account_ids=ids)}
rows = [by_id[a] for a in ids if a in by_id]
figures = {r["account_id"]: r for r in overview.overview(page.db, page.user, account_ids=ids)}
shown = [key for key in overview.FEATURE_COLUMNS if key != "revenue_goal" and any(key in f for f in figures.values())]  # only what has data


def cell(row: dict, key: str) -> object:
    """A figure for the table: money with its currency and unit (`kamcore.money.fmt`), the rest as is."""
    if key in overview.MONEY_BY_CURRENCY_COLUMNS:
        return money_by_currency(row.get(key), page.lang) if row.get(key) else None
    if key in overview.MONEY_COLUMNS:
        return money(row.get(key), row.get("currency"), page.lang) if row.get(key) is not None else None
    return row.get(key)


table = pd.DataFrame(
    {
        page.t("field.name"): [r["name"] for r in rows],
        page.t("home.tier"): [tier_badge(figures.get(r["id"], {}).get("tier"), figures.get(r["id"], {}).get("flags", []),
                                         page.lang) for r in rows],
        page.t("field.status"): [choice_label("status", r["status"], page.lang) for r in rows],
        page.t("field.first_responsible"): [r["first_responsible_name"] or "—" for r in rows],
        **{page.t(f"portfolio.col.{key}"): [cell(figures.get(r["id"], {}), key) for r in rows] for key in shown},
        page.t("home.open"): [f"account?account={r['id']}" for r in rows],
    }
)
st.dataframe(
    table,
    hide_index=True,
    width="stretch",
    column_config={page.t("home.open"): st.column_config.LinkColumn(display_text="→")},
)
paging.page_picker("home.list", total)

st.subheader(page.t("home.recent"))
recent = activity.recent_changes(page.db, page.user, lang=page.lang)
if recent:
    st.dataframe(audit_frame(recent, with_account=True), hide_index=True, width="stretch")
else:
    st.caption(page.t("home.no_recent"))
