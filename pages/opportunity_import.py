"""Import deals from a CRM export (CSV or Excel) with a column-mapping step and a per-row report; export the list."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from kamcore import permissions
from kamcore.errors import KamError
from kamcore.pipeline import deal_import as oi
from kamcore.pipeline import opportunities as opp
from kamcore.pipeline import stage_model
from kamui import context
from kamui.editing import flash, show_error

page = context.page()
t = page.t
st.title(t("imp.title"))
st.caption(t("imp.caption"))
NONE = ""

# ---------------------------------------------------------------- export
st.subheader(t("imp.export"))
if page.account_id is None:
    st.info(t("opp.no_account"))
else:
    rows = opp.list_opportunities(page.db, page.user, page.account_id, limit=50_000)
    if not rows:
        st.info(t("imp.nothing_to_export"))
    else:
        frame = oi.export_frame(rows)
        stem = f"opportunities-{page.account_id}-{date.today().isoformat()}"
        left, right = st.columns(2)
        left.download_button(t("imp.download_csv", count=len(rows)), oi.to_csv_bytes(frame), f"{stem}.csv",
                             "text/csv", key="imp.csv")
        right.download_button(t("imp.download_xlsx", count=len(rows)), oi.to_excel_bytes(frame), f"{stem}.xlsx",
                              "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="imp.xlsx")

# ---------------------------------------------------------------- import
st.subheader(t("imp.import"))
if not (page.user.is_admin or any(permissions.can_edit(page.db, page.user, a)
                                  for a in permissions.readable_account_ids(page.db, page.user))):
    st.info(t("imp.no_rights"))
    st.stop()
upload = st.file_uploader(t("imp.file"), type=["csv", "xlsx"], key="imp.file")
encoding = st.selectbox(t("imp.encoding"), oi.ENCODINGS, key="imp.encoding")
if upload is None:
    st.info(t("imp.how"))
    st.stop()
try:
    table = oi.read_table(upload.getvalue(), upload.name, encoding)
except KamError as exc:
    show_error(exc)
    st.stop()
st.caption(t("imp.read", rows=len(table), columns=len(table.columns)))
st.dataframe(table.head(5), hide_index=True, width="stretch")

# step 1: columns
st.markdown(f"**{t('imp.step_columns')}**")
guess = oi.guess_mapping(list(table.columns))
options = [NONE, *table.columns]
mapping_cols = st.columns(3)
columns = {}
for index, ours in enumerate(oi.IMPORT_FIELDS):
    required = " *" if ours in oi.REQUIRED_FIELDS else ""
    chosen = mapping_cols[index % 3].selectbox(
        t(f"field.{ours}") + required, options, key=f"imp.col.{ours}",
        index=options.index(guess[ours]) if ours in guess else 0)
    if chosen:
        columns[ours] = chosen

# step 2: values (stages and product lines as the CRM spells them)
values: dict[str, dict[str, str]] = {}
stages = stage_model.list_stages(page.db)
stage_targets = [NONE, *[s["key"] for s in stages], *stage_model.CLOSED]
for ours, targets in (("stage", stage_targets),):
    if ours in columns:
        distinct = sorted({v for v in table[columns[ours]].astype(str) if v.strip()})[:30]
        with st.expander(t("imp.step_values", field=t(f"field.{ours}"), count=len(distinct))):
            values[ours] = {}
            for raw in distinct:
                guessed = raw.strip().lower().replace(" ", "_")
                pick = st.selectbox(raw, targets, key=f"imp.val.{ours}.{raw}",
                                    index=targets.index(guessed) if guessed in targets else 0)
                if pick:
                    values[ours][raw] = pick

# step 3: options
with st.expander(t("imp.options")):
    default_account = st.text_input(t("imp.default_account"), key="imp.default_account")
    default_currency = st.text_input(t("imp.default_currency"), key="imp.default_currency")
    create_accounts = st.checkbox(t("imp.create_accounts"), key="imp.create_accounts", disabled=not page.user.is_admin)
    create_lines = st.checkbox(t("imp.create_lines"), key="imp.create_lines", disabled=not page.user.is_admin)
mapping = oi.ImportMapping(columns=columns, values=values, default_account=default_account or None,
                           create_accounts=create_accounts, create_product_lines=create_lines,
                           default_currency=default_currency.strip().upper() or None)

signature = (upload.name, upload.size, encoding, repr(mapping))  # a plan is only valid for what it checked
if st.button(t("imp.check"), key="imp.check", type="primary"):
    try:
        st.session_state["imp.plan"] = (signature, oi.plan_import(page.db, page.user, table, mapping))
    except KamError as exc:
        st.session_state.pop("imp.plan", None)
        show_error(exc)
checked = st.session_state.get("imp.plan")
plan: oi.ImportPlan | None = checked[1] if checked and checked[0] == signature else None
if plan is not None:
    if plan.problems:
        st.error(t("imp.problems", rows=plan.problem_rows(), count=len(plan.problems)))
        st.dataframe(pd.DataFrame([{t("imp.row"): p.row, t("col.field"): t(f"field.{p.field}"),
                                    t("imp.problem"): p.message(page.lang)} for p in plan.problems[:500]]),
                     hide_index=True, width="stretch")
    else:
        st.success(t("imp.ready", count=len(plan.rows), accounts=len(plan.new_accounts),
                     lines=len(plan.new_product_lines)))
    for warning in plan.warnings:
        st.caption("⚠ " + warning.message(page.lang))
    if st.button(t("imp.commit"), key="imp.commit", disabled=not plan.ok):
        try:
            count = oi.commit_import(page.db, page.user, plan)
        except KamError as exc:
            show_error(exc)
        else:
            st.session_state.pop("imp.plan", None)
            flash(t("imp.done", count=count))
            st.rerun()
