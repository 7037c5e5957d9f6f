"""Bring your data: accounts -> contacts -> products -> deals from a CRM export, each read, mapped,
previewed and written all-or-nothing; and the deal export."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from kamcore import accounts, money, permissions
from kamcore.data.imports import accounts as acc_import
from kamcore.data.imports import contacts as contact_import
from kamcore.data.imports import files
from kamcore.data.imports import products as product_import
from kamcore.errors import KamError
from kamcore.pipeline import analytics
from kamcore.pipeline import deal_import as oi
from kamcore.text import plain
from kamui import context, long_work
from kamui.chores import tabs
from kamui.editing import show_error
from kamui.portfolio_view import money_by_currency

page = context.page()
t = page.t
st.title(t("ix.title"))
st.caption(t("ix.caption"))
NONE = ""
KEEP = "__keep__"
CREATE = "__create__"
CAN_EDIT = page.user.is_admin or any(permissions.can_edit(page.db, page.user, a)
                                     for a in permissions.readable_account_ids(page.db, page.user))


def _upload(kind: str, types: tuple[str, ...] = ("csv", "xlsx", "txt")) -> pd.DataFrame | None:
    """The uploaded table of this step (encoding detected, overridable), or None."""
    upload = st.file_uploader(t("imp.file"), type=list(types), key=f"ix.{kind}.file")
    encoding = st.selectbox(t("imp.encoding"), files.ENCODINGS, key=f"ix.{kind}.encoding",
                            format_func=lambda e: t("ix.auto") if e == files.AUTO else e.upper())
    if upload is None:
        st.info(t("imp.how"))
        return None
    try:
        table = files.read_table(upload.getvalue(), upload.name, encoding)
    except KamError as exc:
        show_error(exc)
        return None
    used = table.attrs.get("encoding", "")
    st.caption(t("imp.read", rows=len(table), columns=len(table.columns)) + " " + t(
        "ix.encoding_used", encoding=used.upper(), how=t("ix.detected") if table.attrs.get("detected") else ""))
    detected = table.attrs.get("decimal_mark")
    marks = [files.AUTO, *files.DECIMAL_MARKS]
    mark = st.selectbox(t("ix.decimal_mark"), marks, key=f"ix.{kind}.decimal",
                        format_func=lambda m: t("ix.auto") if m == files.AUTO else
                        t("ix.decimal_point") if m == files.POINT else t("ix.decimal_comma"))
    chosen = detected if mark == files.AUTO else mark
    table.attrs["decimal_mark"] = chosen
    if chosen is None:
        st.warning(t("ix.decimal_pick", value=table.attrs.get("decimal_example") or ""))
    else:
        example = files.amount_example(table.attrs.get("decimal_example"), chosen)
        st.caption(t("ix.decimal_used", mark=chosen, how=t("ix.detected") if mark == files.AUTO else "",
                     example=example or "—"))
    table.attrs["signature"] = (upload.file_id, upload.name, upload.size, encoding, chosen)  # stable across reruns
    st.dataframe(table.head(5), hide_index=True, width="stretch")
    return table


def _columns(kind: str, fields: tuple[str, ...], required: tuple[str, ...], guess: dict[str, str],
             table: pd.DataFrame) -> dict[str, str]:
    """One selectbox per field: which file column holds it."""
    st.markdown(f"**{t('imp.step_columns')}**")
    options = [NONE, *table.columns]
    grid = st.columns(3)
    out = {}
    for index, ours in enumerate(fields):
        chosen = grid[index % 3].selectbox(
            t(f"field.{ours}") + (" *" if ours in required else ""), options, key=f"ix.{kind}.col.{ours}",
            index=options.index(guess[ours]) if ours in guess else 0, format_func=lambda c: c or "—")
        if chosen:
            out[ours] = chosen
    return out


def _problems(problems: list[Any]) -> None:
    rows = len({p.row for p in problems if p.row is not None})
    st.error(t("imp.problems", rows=rows, count=len(problems)))
    st.dataframe(pd.DataFrame([{t("imp.row"): p.row if p.row is not None else "—",
                                t("col.field"): t(f"field.{p.field}"),
                                t("imp.problem"): p.message(page.lang)} for p in problems[:500]]),
                 hide_index=True, width="stretch")


def _checked(kind: str, signature: Any, make: Any) -> Any:
    """The plan of this step: made on "Check every row" (with a progress bar), valid only for what it checked."""
    outcome = long_work.button(f"ix.{kind}.check", t("imp.check"), make, working=t("ix.checking"))
    if outcome is not None:
        if outcome[0]:
            st.session_state[f"ix.{kind}.plan"] = (signature, outcome[1])
            st.rerun()
        st.session_state.pop(f"ix.{kind}.plan", None)
    held = st.session_state.get(f"ix.{kind}.plan")
    return held[1] if held and held[0] == signature else None


def _preview(kind: str, signature: Any, make: Any, ready: Any) -> Any:
    """The checked plan of this step, shown: its problems, or `ready(plan)` as the go-ahead; None until checked."""
    plan = _checked(kind, signature, make)
    if plan is not None:
        if plan.problems:
            _problems(plan.problems)
        else:
            st.success(ready(plan))
    return plan


def _per_field(key: str, counts: dict[str, int]) -> None:
    """A caption counting rows per field (e.g. filled by a rule the user picked), when there are any."""
    if counts:
        st.caption(t(key, detail=", ".join(f"{t('field.' + f)}: {n}" for f, n in counts.items())))


def _commit(kind: str, plan: Any, write: Any, rows: int) -> None:
    """The commit button (kamui.long_work): a progress bar, disabled while it runs; a second click on the
    same preview starts nothing new (and kamcore commits one preview once)."""
    outcome = long_work.button(f"ix.{kind}.commit", t("imp.commit"), write, working=t("ix.working", rows=rows),
                               disabled=not plan.ok)
    if outcome and outcome[0]:
        st.session_state[f"ix.{kind}.result"] = outcome[1]
        st.rerun()


def _result(kind: str, done_key: str) -> None:
    result = st.session_state.get(f"ix.{kind}.result")
    if result:
        st.success(t(done_key, **{k: v for k, v in result.items() if k != "repeated"}))
        if result.get("repeated"):
            st.info(t("ix.repeated"))


def _shown(field_name: str, value: Any, currency: str) -> str:
    """A changed value as the preview shows it: amounts with their currency, blanks as a dash."""
    if value is None or value == "":
        return "—"
    return money.fmt(value, currency, page.lang) if field_name == "amount" else str(value)


def _changes_table(items: list[dict[str, Any]]) -> None:
    """Deals a re-import would change (or may not): CRM id, number and every field from → to."""
    st.dataframe(pd.DataFrame([{t("imp.row"): c["row"], t("field.external_id"): c["external_id"],
                                t("field.number"): c["number"],
                                t("col.field"): "; ".join(f"{t('field.' + f)}: " + t(
                                    "ix.change_line", from_=_shown(f, old, c["currency"]), to=_shown(f, new, c["currency"]))
                                                         for f, old, new in c["fields"])} for c in items[:500]]),
                 hide_index=True, width="stretch")


def _reimport(plan: Any) -> tuple[str, ...]:
    """What a re-import found (changed, unchanged, conflicts, missing) and what the person applies."""
    if not (plan.changed or plan.conflicts or plan.unchanged or plan.missing):
        return (oi.NEW,)
    st.info(t("ix.reimport", changed=len(plan.changed), unchanged=plan.unchanged, conflicts=len(plan.conflicts),
              missing=len(plan.missing)))
    if plan.changed:
        with st.expander(t("ix.changed_title") + f" ({len(plan.changed)})"):
            _changes_table(plan.changed)
    if plan.conflicts:
        with st.expander(t("ix.conflicts_title") + f" ({len(plan.conflicts)})", expanded=True):
            _changes_table(plan.conflicts)
    left, right = st.columns(2)
    chosen = []
    if plan.rows and left.checkbox(t("ix.apply_new", count=len(plan.rows)), value=True, key="ix.deals.apply_new"):
        chosen.append(oi.NEW)
    if plan.changed and right.checkbox(t("ix.apply_changed", count=len(plan.changed)), value=True,
                                       key="ix.deals.apply_changed"):
        chosen.append(oi.CHANGED)
    return tuple(chosen)


# ---------------------------------------------------------------- steps

tab_accounts, tab_contacts, tab_products, tab_deals, tab_export = tabs(
    [t("ix.tab.accounts"), t("ix.tab.contacts"), t("ix.tab.products"), t("ix.tab.deals"), t("ix.tab.export")],
    key="ix.tabs")

with tab_accounts:
    if not page.user.is_admin:
        st.caption(t("ix.admin_only"))
    if CAN_EDIT and (table := _upload("accounts")) is not None:
        columns = _columns("accounts", acc_import.FIELDS, acc_import.REQUIRED,
                           acc_import.guess_mapping(list(table.columns)), table)
        extra = [c for c in table.columns if c not in columns.values()]
        if extra:
            st.caption(t("ix.extra_columns", columns=", ".join(extra)))
        left, right = st.columns(2)
        key = left.selectbox(t("ix.key"), ["name", *extra], key="ix.accounts.key",
                             format_func=lambda k: t("ix.key_name") if k == "name" else k)
        currency = right.text_input(t("imp.default_currency"), key="ix.accounts.currency").strip().upper() or None
        fill = {f: st.text_input(t("ix.fill", field=t(f"field.{f}")), key=f"ix.accounts.fill.{f}")
                for f in ("industry", "region") if f in columns}
        mapping = acc_import.AccountMapping(columns=columns, key=key, fill={k: v for k, v in fill.items() if v},
                                            default_currency=currency)
        plan = _preview("accounts", (table.attrs["signature"], repr(mapping)),
                        lambda _p: acc_import.plan_accounts(context.db(), page.user, table, mapping),
                        lambda p: t("ix.accounts_ready", creates=len(p.creates), updates=len(p.updates),
                                    parents=len(p.parents)))
        if plan is not None:
            _per_field("ix.filled", plan.filled)
            _commit("accounts", plan, lambda _p: acc_import.commit_accounts(context.db(), page.user, plan),
                    len(plan.creates) + len(plan.updates))
    _result("accounts", "ix.done_accounts")
    groups = accounts.rollup(page.db, page.user)
    if groups:
        with st.expander(t("ix.rollup")):
            for g in groups:
                for currency_code, b in g["by_currency"].items():
                    st.write(t("ix.rollup_line", name=plain(g["name"]), n=len(g["subsidiaries"]), won=b["won"],
                               won_value=money.fmt(b["won_value"], currency_code, page.lang),
                               open=b["open"]))

with tab_contacts:
    editable = [a for a in accounts.list_accounts(page.db, page.user)
                if permissions.can_edit(page.db, page.user, a["id"])]
    if not editable:
        st.info(t("ix.no_account"))
    else:
        names = {a["id"]: a["name"] for a in editable}
        ids = list(names)
        account_id = st.selectbox(t("ix.contacts_account"), ids, key="ix.contacts.account", format_func=names.get,
                                  index=ids.index(page.account_id) if page.account_id in ids else 0)
        st.caption(t("ix.private_note"))
        if (table := _upload("contacts")) is not None:
            fields = contact_import.FIELDS if permissions.can_see_private(page.db, page.user, account_id) else \
                tuple(f for f in contact_import.FIELDS if not f.startswith("profile_"))
            columns = _columns("contacts", fields, contact_import.REQUIRED,
                               contact_import.guess_mapping(list(table.columns)), table)
            mapping = contact_import.ContactMapping(columns=columns)
            plan = _preview("contacts", (table.attrs["signature"], account_id, repr(mapping)),
                            lambda _p: contact_import.plan_contacts(context.db(), page.user, account_id, table, mapping),
                            lambda p: t("ix.contacts_ready", people=len(p.people), links=len(p.links)))
            if plan is not None:
                _commit("contacts", plan, lambda _p: contact_import.commit_contacts(context.db(), page.user, plan),
                        len(plan.people))
        _result("contacts", "ix.done_contacts")

with tab_products:
    if not page.user.is_admin:
        st.caption(t("ix.admin_only"))
    elif (table := _upload("products")) is not None:
        columns = _columns("products", ("name", "code"), ("name",), product_import.guess_mapping(list(table.columns)),
                           table)
        plan = _preview("products", (table.attrs["signature"], repr(columns)),
                        lambda _p: product_import.plan_products(context.db(), page.user, table, columns),
                        lambda p: t("ix.products_ready", creates=len(p.creates), existing=len(p.existing)))
        if plan is not None:
            _commit("products", plan, lambda _p: product_import.commit_products(context.db(), page.user, plan),
                    len(plan.creates))
    _result("products", "ix.done_products")

with tab_deals:
    if CAN_EDIT and (table := _upload("deals")) is not None:
        columns = _columns("deals", oi.IMPORT_FIELDS, oi.REQUIRED_FIELDS, oi.guess_mapping(list(table.columns)), table)
        values: dict[str, dict[str, str]] = {}
        create_lines = False
        for ours in ("stage", "product_line", "owner"):
            if ours not in columns:
                continue
            distinct = oi.distinct_values(table, columns[ours])
            targets = oi.value_targets(page.db, ours, page.lang)
            suggested = oi.suggest_values(page.db, ours, distinct, page.lang)
            extra = [CREATE] if ours == "product_line" and page.user.is_admin else []
            options = [KEEP, *targets, *extra]
            with st.expander(t("ix.values", column=columns[ours]), expanded=any(v is None for v in suggested.values())):
                values[ours] = {}
                for index, raw in enumerate(distinct):
                    hit = suggested.get(raw)
                    pick = st.selectbox(raw, options, key=f"ix.deals.val.{ours}.{index}",
                                        index=options.index(hit) if hit in options else 0,
                                        format_func=lambda v, o=ours, tg=targets: (t("ix.owner_keep") if o == "owner" else
                                                                       t("ix.keep")) if v == KEEP else
                                        t("ix.create") if v == CREATE else tg[v])
                    if pick == CREATE:
                        create_lines = True
                    elif pick != KEEP:
                        values[ours][raw] = pick
        left, mid, right = st.columns(3)
        default_account = left.text_input(t("imp.default_account"), key="ix.deals.default_account")
        currency = mid.text_input(t("ix.currency_pick"), key="ix.deals.currency",
                                  disabled="currency" in columns).strip().upper() or None
        own_currency = mid.checkbox(t("ix.currency_account"), key="ix.deals.own_currency",
                                    disabled="currency" in columns or bool(currency))
        if "currency" not in columns and not currency and not own_currency:
            mid.caption(t("ix.currency_needed"))
        opened_rule = right.date_input(t("ix.opened_rule"), value=None, key="ix.deals.opened_rule")
        create_accounts = st.checkbox(t("imp.create_accounts"), key="ix.deals.create_accounts",
                                      disabled=not page.user.is_admin)
        mapping = oi.ImportMapping(columns=columns, values=values, default_account=default_account.strip() or None,
                                   create_accounts=create_accounts, create_product_lines=create_lines,
                                   default_currency=currency, account_currency=own_currency,
                                   decimal_mark=table.attrs.get("decimal_mark"),
                                   default_opened_on=opened_rule.isoformat() if opened_rule else None)
        plan = _preview("deals", (table.attrs["signature"], repr(mapping)),
                        lambda progress: oi.plan_import(context.db(), page.user, table, mapping, progress),
                        lambda p: t("imp.ready", count=len(p.rows), accounts=len(p.new_accounts),
                                    lines=len(p.new_product_lines)))
        if plan is not None:
            st.caption(t("ix.currency_named", how=t(f"ix.currency_from.{plan.currency_source}"),
                         detail=", ".join(f"{c}: {n}" for c, n in plan.currencies.items()) or "—"))
            if plan.default_account_rows:
                st.caption(t("ix.default_rows", count=plan.default_account_rows, account=mapping.default_account))
            _per_field("ix.blanks", plan.blanks)
            _per_field("ix.filled", plan.filled)
            if plan.external_owners:
                st.warning(t("ix.owners_external", count=len(plan.external_owners),
                             names=", ".join(plan.external_owners)))
            apply = _reimport(plan)
            _commit("deals", plan, lambda progress: oi.commit_import_once(context.db(), page.user, plan, progress,
                                                                          apply),
                    (len(plan.rows) if oi.NEW in apply else 0) + (len(plan.changed) if oi.CHANGED in apply else 0))
    _result("deals", "ix.done_deals")
    if st.session_state.get("ix.deals.result"):
        ids = permissions.readable_account_ids(page.db, page.user)
        figures = analytics.summary(page.db, ids)
        st.subheader(t("ix.result"))
        st.write(t("ix.won", count=figures["won"], value=money_by_currency(figures["won_by_currency"], page.lang)))
        st.markdown(f"**{t('ix.per_line')}**")
        st.table(pd.DataFrame([{t("field.product_line"): r["code"], t("pipe.won"): r["won"],
                                t("pipe.won_value"): money.fmt(r["won_value"], r["currency"], page.lang)}
                               for r in analytics.won_by_product_line(page.db, ids)]))
        st.markdown(f"**{t('ix.top_accounts')}**")
        st.table(pd.DataFrame([{t("field.account_id"): r["account"], t("pipe.won"): r["won"],
                                t("pipe.won_value"): money.fmt(r["won_value"], r["currency"], page.lang)}
                               for r in oi.won_by_account(page.db, ids)]))
        owners = oi.external_owners(page.db, ids)
        st.markdown(f"**{t('field.external_owner')}** ({len(owners)})")
        st.table(pd.DataFrame([{t("col.owner"): r["owner"], t("col.deals"): r["deals"]} for r in owners]))

with tab_export:
    if page.account_id is None:
        st.info(t("opp.no_account"))
    else:
        outcome = long_work.button("ix.export", t("ix.export_prepare"), working=t("ix.export_preparing"),
                                   work=lambda progress: oi.export_deals(context.db(), page.user, page.account_id,
                                                                         progress))
        if outcome and outcome[0]:
            st.session_state["ix.export.files"] = outcome[1]
            st.rerun()
        prepared = st.session_state.get("ix.export.files")
        if prepared is not None and prepared.account_id == page.account_id:
            if not prepared.count:
                st.info(t("imp.nothing_to_export"))
            else:
                left, right = st.columns(2)
                left.download_button(t("imp.download_csv", count=prepared.count), prepared.csv,
                                     f"{prepared.stem}.csv", "text/csv", key="imp.csv")
                right.download_button(t("imp.download_xlsx", count=prepared.count), prepared.xlsx,
                                      f"{prepared.stem}.xlsx",
                                      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                                      key="imp.xlsx")
if not CAN_EDIT:
    st.info(t("imp.no_rights"))
