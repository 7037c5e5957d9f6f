"""Financials: the selected account's figures by year (edited in a table) and an import from
CSV / Excel with column mapping, a row-by-row validation report and an all-or-nothing commit."""

import pandas as pd
import streamlit as st

from kamcore import accounts, clock, money, permissions
from kamcore.data.imports import files
from kamcore.errors import KamError
from kamcore.portfolio import financials
from kamcore.text import plain
from kamui import context
from kamui.editing import EditableTable, attempt, flash

page = context.page()
st.title(page.t("financials.title"))
current = accounts.get_account(page.db, page.user, page.account_id) if page.account_id is not None else None
st.caption(page.t("financials.caption", unit=page.t("money.amounts_in", currency=current["currency"]) if current
                  else page.t("money.stored_note")))
COLUMNS = ("year", "revenue", "gross_profit", "deals_count", "receivables_outstanding", "receivables_overdue",
           "dso_days", "price_cuts")


def year_table(account_id: int, editable: bool) -> None:
    """One row per year; each edited row is saved on its own version."""
    found = financials.list_financials(page.db, page.user, account_id)
    frame = pd.DataFrame(found, columns=["id", "version", *COLUMNS, "margin_pct", "avg_deal_size"])
    if frame.empty:
        st.info(page.t("financials.empty"))
    table = EditableTable(f"financials.{account_id}", frame, lambda r: str(r["year"]))
    table.refused_panel(lambda row_id, values: financials.update_financials(
        page.db, page.user, row_id, financials.get_row(page.db, row_id)["version"], values))
    currency = current["currency"]
    config = {c: st.column_config.NumberColumn(money.label(page.t(f"field.{c}"), currency), format="localized")
              if c in financials.MONEY_FIELDS else st.column_config.NumberColumn(page.t(f"field.{c}")) for c in COLUMNS}
    config["year"] = st.column_config.NumberColumn(page.t("field.year"), format="%d")
    config["margin_pct"] = st.column_config.NumberColumn(page.t("field.margin_pct"), disabled=True)
    config["avg_deal_size"] = st.column_config.NumberColumn(money.label(page.t("field.avg_deal_size"), currency),
                                                            disabled=True, format="localized")
    table.render(column_order=[*COLUMNS, "margin_pct", "avg_deal_size"], column_config=config, hide_index=True,
                 width="stretch", num_rows="dynamic" if editable else "fixed", disabled=not editable)
    if editable and st.button(page.t("table.save"), key=f"financials.{account_id}.save", type="primary"):
        table.save(
            update=lambda row_id, version, changes: financials.update_financials(
                page.db, page.user, row_id, version, changes),
            create=lambda values: financials.create_financials(page.db, page.user,
                                                               {**values, "account_id": account_id}),
            delete=lambda row_id, version: financials.delete_financials(page.db, page.user, row_id, version),
        )


def import_section() -> None:
    """Upload, map columns, check every row, then write all rows or none."""
    st.subheader(page.t("financials.import"))
    st.caption(page.t("financials.import_help", columns=", ".join(f"`{c}`" for c in financials.IMPORT_COLUMNS)))
    upload = st.file_uploader(page.t("financials.file"), type=["csv", "xlsx"], key="financials.upload")
    if upload is None:
        return
    try:
        frame = financials.read_table(upload.getvalue(), upload.name)
    except KamError as exc:
        st.error(plain(exc.message(page.lang)))
        return
    st.dataframe(frame.head(20), hide_index=True, width="stretch")
    if frame.attrs.get("decimal_mark") is None:  # the figures read two ways ("1,200"): the person picks
        st.warning(page.t("ix.decimal_pick", value=frame.attrs.get("decimal_example") or ""))
        frame.attrs["decimal_mark"] = st.radio(
            page.t("ix.decimal_mark"), list(files.DECIMAL_MARKS), key="financials.decimal", horizontal=True,
            format_func=lambda m: page.t("ix.decimal_point") if m == files.POINT else page.t("ix.decimal_comma"))
    guessed = financials.guess_mapping(list(frame.columns))
    options = [None, *frame.columns]
    mapping = {}
    cols = st.columns(3)
    for index, field in enumerate(financials.IMPORT_COLUMNS):
        default = guessed.get(field)
        mapping[field] = cols[index % 3].selectbox(
            page.t(f"field.{field}") + (" *" if field in financials.REQUIRED_COLUMNS else ""), options,
            index=options.index(default) if default in options else 0, key=f"financials.map.{field}",
            format_func=lambda c: "—" if c is None else str(c))
    report = financials.check_import(page.db, page.user, frame, mapping)
    if report.problems:
        st.error(page.t("financials.problems", count=len(report.problems)))
        st.dataframe(pd.DataFrame([{
            page.t("financials.row"): p.row if p.row is not None else "",
            page.t("col.field"): page.t(f"field.{p.field}"),
            page.t("financials.problem"): p.message(page.lang),
        } for p in report.problems]), hide_index=True, width="stretch")
        st.caption(page.t("financials.nothing_written"))
        return
    st.success(page.t("financials.ready", count=len(report.rows)))
    if st.button(page.t("financials.commit"), key="financials.commit", type="primary"):
        ok, result = attempt(lambda: financials.commit_import(page.db, page.user, report))
        if ok:
            flash(page.t("financials.imported", **result))
            st.rerun()


def rates_section() -> None:
    """The reporting currency and the exchange rates per currency and year (administrators edit; all read)."""
    st.subheader(page.t("money.rates"))
    reporting = money.reporting_currency(page.db)
    st.caption(page.t("money.rates_hint", currency=reporting))
    missing = money.missing_rates(page.db, clock.today().year)
    if missing:
        st.warning(page.t("money.missing_rates", year=clock.today().year, currencies=", ".join(missing)))
    rates = money.list_rates(page.db)
    if rates:
        st.dataframe(pd.DataFrame([{
            page.t("field.currency"): r["currency"], page.t("field.to_currency"): r["to_currency"],
            page.t("field.year"): str(r["year"]), page.t("field.rate"): r["rate"], page.t("field.note"): r["note"],
        } for r in rates]), hide_index=True, width="stretch")
    if not page.user.is_admin:
        return
    with st.form("money.rate.form"):
        a, b, c = st.columns(3)
        currency = a.text_input(page.t("field.currency"), max_chars=3, key="money.rate.currency")
        year = b.number_input(page.t("field.year"), 1990, 2100, clock.today().year, key="money.rate.year")
        value = c.number_input(page.t("field.rate"), value=None, format="%.6f", key="money.rate.rate")
        if st.form_submit_button(page.t("money.save_rate")):
            ok, _ = attempt(lambda: money.save_rate(page.db, page.user, {
                "currency": currency, "year": int(year), "rate": value}))
            if ok:
                flash(page.t("money.rate_saved"))
                st.rerun()
    upload = st.file_uploader(page.t("money.import_rates"), type=["csv"], key="money.rates.upload")
    if upload is not None and st.button(page.t("financials.commit"), key="money.rates.commit"):
        ok, result = attempt(lambda: money.import_rates(page.db, page.user, upload.getvalue()))
        if ok:
            flash(page.t("money.rates_imported", count=result["rates"]))
            st.rerun()
    with st.form("money.reporting.form"):
        chosen = st.text_input(page.t("field.reporting_currency"), reporting, max_chars=3, key="money.reporting")
        if st.form_submit_button(page.t("money.save_reporting")):
            ok, _ = attempt(lambda: money.set_reporting_currency(page.db, page.user, chosen))
            if ok:
                flash(page.t("money.reporting_saved"))
                st.rerun()


if page.account_id is None:
    st.info(page.t("financials.pick_account"))
else:
    account = current
    st.subheader(f"{plain(account['name'])} · {account['currency']}")
    editable = permissions.can_edit(page.db, page.user, page.account_id)
    if not editable:
        st.caption(page.t("shell.read_only"))
    year_table(page.account_id, editable)
import_section()
rates_section()
