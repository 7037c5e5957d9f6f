"""Tiering criteria: the version in force, drafting a new one, previewing who changes tier and why,
each person signing off on the draft for themselves, activating it once enough have agreed, and the
history of versions (D1)."""

import pandas as pd
import streamlit as st

from kamcore import money
from kamcore.errors import KamError
from kamcore.i18n import choice_label
from kamcore.portfolio import tiering
from kamcore.portfolio.tiering import INDICATORS
from kamcore.text import plain
from kamui import context
from kamui.chores import act
from kamui.editing import attempt, flash

page = context.page()
st.title(page.t("tiering.title"))
st.caption(page.t("tiering.caption"))
steward = page.user.is_admin or page.user.is_executive
agreer = tiering.may_agree(page.db, page.user)
versions = tiering.list_criteria(page.db)
active = next((v for v in versions if v["status"] == "active"), None)
drafts = [v for v in versions if v["status"] == "draft"]

THRESHOLDS = ("years", "key_min", "general_min", "strategic_min", "value_min")
FLAGS = ("one_off_share_pct", "one_off_max_deals", "high_volume_revenue", "thin_margin_pct", "squeezer_dso_days",
         "squeezer_overdue_pct", "squeezer_price_cuts", "squeezer_min_signals")
GRID = ("sales_low", "sales_high", "share_low", "share_high", "priority1_points", "priority2_points")
MONEY_THRESHOLDS = ("high_volume_revenue", "sales_low", "sales_high")  # amounts, in each account's own currency


def indicators_frame(definition: dict) -> pd.DataFrame:
    """The indicators of a set as an editable table."""
    return pd.DataFrame([{
        "key": i["key"], "weight": float(i["weight"]), "low": float(i["low"]), "high": float(i["high"]),
        "higher_is_better": bool(i["higher_is_better"]),
    } for i in definition["indicators"]], columns=["key", "weight", "low", "high", "higher_is_better"])


def summary(version: dict) -> None:
    """A version's indicators and thresholds, read-only."""
    definition = version["parsed"].model_dump()
    frame = indicators_frame(definition)
    frame.insert(1, "family", [page.t(f"family.{INDICATORS[k][0]}") for k in frame["key"]])
    frame["key"] = [page.t(f"indicator.{k}") for k in frame["key"]]
    st.dataframe(frame.rename(columns={c: page.t(f"field.{c}") for c in frame.columns if c != "family"}
                              | {"family": page.t("tiering.family")}), hide_index=True, width="stretch")
    st.caption(" · ".join(f"{page.t(f'field.{k}')}: {definition[k]}" for k in THRESHOLDS))


if active:
    st.subheader(page.t("tiering.in_force", number=active["number"], name=plain(active["name"])))
    st.markdown(page.t("tiering.agreed", names=", ".join(map(plain, active["agreed_by"])),
                       at=page.day(active["activated_at"]) if active["activated_at"] else "—"))
    summary(active)
    if steward and st.button(page.t("tiering.retier"), key="tiering.retier"):
        ok, changed = attempt(lambda: tiering.retier(page.db, page.user))
        if ok:
            flash(page.t("tiering.retiered", count=changed))
            st.rerun()
else:
    st.info(page.t("tiering.none_active"))

if not steward:
    st.caption(page.t("err.criteria_stewards_only"))
elif not drafts:
    with st.form("tiering.new"):
        st.markdown(f"**{page.t('tiering.new_draft')}**")
        name = st.text_input(page.t("field.name"), key="tiering.new.name")
        if st.form_submit_button(page.t("tiering.create_draft"), type="primary"):
            ok, row = attempt(lambda: tiering.create_draft(page.db, page.user, name))
            if ok:
                flash(page.t("tiering.draft_created", number=row["number"]))
                st.rerun()


def edit_draft(draft: dict) -> None:
    """Weights and thresholds of a draft; saved only when the whole set is valid."""
    definition = draft["parsed"].model_dump()
    key = f"tiering.draft.{draft['id']}.{draft['version']}"
    with st.form(f"{key}.form"):
        name = st.text_input(page.t("field.name"), value=draft["name"], key=f"{key}.name")
        edited = st.data_editor(
            indicators_frame(definition), key=f"{key}.indicators", num_rows="dynamic", hide_index=True,
            width="stretch",
            column_config={
                "key": st.column_config.SelectboxColumn(page.t("field.tiering_criteria.key"), options=list(INDICATORS),
                                                        required=True, format_func=lambda k: page.t(f"indicator.{k}")),
                "weight": st.column_config.NumberColumn(page.t("field.weight"), min_value=0, max_value=100),
                "low": st.column_config.NumberColumn(page.t("field.low")),
                "high": st.column_config.NumberColumn(page.t("field.high")),
                "higher_is_better": st.column_config.CheckboxColumn(page.t("field.higher_is_better")),
            },
        )
        values: dict = {}
        for group, names, source in (("tiering.thresholds", THRESHOLDS, definition),
                                     ("field.flags", FLAGS, definition["flags"]),
                                     ("field.grid", GRID, definition["grid"])):
            st.markdown(f"**{page.t(group)}**")
            cols = st.columns(4)
            for index, field in enumerate(names):
                if field in MONEY_THRESHOLDS:
                    values[field] = cols[index % 4].text_input(
                        f"{page.t(f'field.{field}')} ({page.t('money.own_currency')})",
                        value=money.as_typed(source[field]), key=f"{key}.{field}")
                    continue
                values[field] = cols[index % 4].number_input(
                    page.t(f"field.{field}"), value=float(source[field]), key=f"{key}.{field}")
        st.caption(page.t("tiering.changed_loses"))
        if st.form_submit_button(page.t("tiering.save_draft"), type="primary"):
            try:
                values |= {k: money.parse(values[k], k, page.lang, required=True) for k in MONEY_THRESHOLDS}
            except KamError as exc:
                st.error(plain(exc.message(page.lang)))
                return
            new = {
                **{k: values[k] for k in THRESHOLDS},
                "years": int(values["years"]),
                "indicators": [_indicator(r) for r in edited.to_dict("records") if r.get("key")],
                "flags": {k: values[k] for k in FLAGS},
                "grid": {k: values[k] for k in GRID},
            }
            for k in ("one_off_max_deals", "squeezer_price_cuts", "squeezer_min_signals"):
                new["flags"][k] = int(new["flags"][k])
            for k in ("priority1_points", "priority2_points"):
                new["grid"][k] = int(new["grid"][k])
            ok, _ = attempt(lambda: tiering.update_draft(page.db, page.user, draft["id"], draft["version"],
                                                         name=name, definition=new))
            if ok:
                flash(page.t("tiering.draft_saved"))
                st.rerun()


def _indicator(row: dict) -> dict:
    """A data-editor row as an indicator (empty cells become None, so validation names them)."""
    return {k: (None if pd.isna(v) else v) for k, v in row.items()}


def agreement(draft: dict) -> list[dict]:
    """The recorded sign-offs on a draft (who, when, comment) and, for whoever may agree, the button to sign."""
    agreed = tiering.agreements(page.db, draft["id"])
    st.markdown(f"**{page.t('tiering.signoffs')}**")
    if agreed:
        st.dataframe(pd.DataFrame([{
            page.t("tiering.signoff_who"): s["name"],
            page.t("tiering.signoff_when"): page.stamp(s["signed_at"]),
            page.t("tiering.signoff_comment"): s["comment"] or "—",
        } for s in agreed]), hide_index=True, width="stretch")
    else:
        st.caption(page.t("tiering.no_signoffs"))
    if any(s["user_id"] == page.user.id for s in agreed):
        st.caption(page.t("tiering.you_agreed"))
    elif agreer:
        with st.form(f"tiering.agree.{draft['id']}"):
            comment = st.text_input(page.t("tiering.agree_comment"), key=f"tiering.agree.{draft['id']}.comment")
            if st.form_submit_button(page.t("tiering.agree")):
                act(lambda: tiering.agree(page.db, page.user, draft["id"], comment), page.t("tiering.agreed_ok"))
    if not steward and len(agreed) < tiering.MIN_AGREEING:
        st.caption(page.t("tiering.needs_more", min=tiering.MIN_AGREEING, count=len(agreed)))
    return agreed


def preview_and_activate(draft: dict, agreed: list[dict]) -> None:
    """Who would change tier, and why; then activation, open once enough people have agreed."""
    rows = tiering.preview(page.db, page.user, draft["id"])
    moving = [r for r in rows if r["changes"]]
    st.markdown(page.t("tiering.preview_count", count=len(moving), total=len(rows)))
    frame = pd.DataFrame([{
        page.t("field.name"): r["name"],
        page.t("tiering.before"): choice_label("tier", r["tier_before"], page.lang) if r["tier_before"] else "—",
        page.t("tiering.after"): choice_label("tier", r["tier_after"], page.lang),
        page.t("tiering.score_change"): f"{r['score_before'] if r['score_before'] is not None else '—'}"
                                        f" → {r['score_after']}",
        page.t("tiering.why"): "; ".join(f"{page.t(f'indicator.{k}')} {d:+.1f}" for k, d in r["drivers"]),
        page.t("tiering.changes"): "●" if r["changes"] else "",
    } for r in rows])
    st.dataframe(frame, hide_index=True, width="stretch")
    if st.button(page.t("tiering.activate"), key=f"tiering.activate.{draft['id']}", type="primary",
                 disabled=len(agreed) < tiering.MIN_AGREEING):
        act(lambda: tiering.activate(page.db, page.user, draft["id"], draft["version"]),
            page.t("tiering.activated", number=draft["number"]))
    if len(agreed) < tiering.MIN_AGREEING:
        st.caption(page.t("tiering.needs_more", min=tiering.MIN_AGREEING, count=len(agreed)))
    if st.button(page.t("tiering.discard_draft"), key=f"tiering.discard.{draft['id']}"):
        ok, _ = attempt(lambda: tiering.delete_draft(page.db, page.user, draft["id"], draft["version"]))
        if ok:
            flash(page.t("tiering.draft_discarded"))
            st.rerun()


for draft in drafts:
    st.divider()
    st.subheader(page.t("tiering.draft_title", number=draft["number"], name=plain(draft["name"])))
    if draft["notes"]:
        st.caption(plain(draft["notes"]))
    agreed = agreement(draft)
    if steward:
        edit_tab, preview_tab = st.tabs([page.t("tiering.edit"), page.t("tiering.preview")])
        with edit_tab:
            edit_draft(draft)
        with preview_tab:
            preview_and_activate(draft, agreed)
    else:
        summary(draft)

st.divider()
st.subheader(page.t("tiering.history"))
if versions:
    st.dataframe(pd.DataFrame([{
        page.t("field.tiering_criteria.number"): f"v{v['number']}",
        page.t("field.name"): v["name"],
        page.t("field.status"): choice_label("criteria_status", v["status"], page.lang),
        page.t("field.agreed_by"): ", ".join(v["agreed_by"]),
        page.t("field.activated_at"): page.day(v["activated_at"]) if v["activated_at"] else "",
        page.t("tiering.indicators"): ", ".join(
            f"{page.t(f'indicator.{i.key}')} {i.weight:g}%" for i in v["parsed"].indicators),
    } for v in versions]), hide_index=True, width="stretch")
else:
    st.caption(page.t("tiering.no_versions"))
