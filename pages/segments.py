"""Customer segments and value propositions (D5, D13): factor weights next to how we and each rival score."""

import altair as alt
import pandas as pd
import streamlit as st

from kamcore import permissions
from kamcore.segments import values
from kamcore.text import plain
from kamui.chores import act, open_page, pick, tabs

page = open_page("segments.title", "segments.caption", needs_account=False)
db, user, t = page.db, page.user, page.t
factor = {f: t(f"factor.{f}") for f in values.FACTORS}


def weight_inputs(prefix: str, start: dict[str, int]) -> dict[str, int]:
    """Six weight boxes in two rows; returns {w_factor: weight}."""
    cols = st.columns(3)
    out = {f"w_{f}": cols[i % 3].number_input(factor[f], 0, 100, int(start.get(f, 0)), step=5, key=f"{prefix}.w.{f}")
           for i, f in enumerate(values.FACTORS)}
    st.caption(t("segments.weights_total", total=sum(out.values())))
    return out


def new_segment(expanded: bool) -> None:
    with st.expander(t("segments.tab.new"), expanded=expanded), st.form("segments.new"):
        name = st.text_input(t("field.name"), key="segments.new.name")
        proposition = st.text_area(t("field.value_proposition"), key="segments.new.vp", height=80)
        weights = weight_inputs("segments.new", {})
        if st.form_submit_button(t("segments.create"), type="primary"):
            act(lambda: values.create_segment(db, user, {"name": name, "value_proposition": proposition, **weights}),
                t("segments.created"), select="segments.pick")


segments = values.list_segments(db)
if not segments:
    st.info(t("segments.none"))
    new_segment(expanded=True)
    st.stop()
by_id = {s["id"]: s for s in segments}

mine = None
if page.account_id is not None:
    mine = values.segment_of(db, user, page.account_id)
    with st.form("segments.assign"):
        options = [None, *by_id]
        current = st.selectbox(t("segments.account_in"), options, index=options.index(mine), key="segments.assign.pick",
                               format_func=lambda i: t("segments.no_segment") if i is None else by_id[i]["name"])
        if st.form_submit_button(t("segments.assign"),
                                 disabled=not permissions.can_edit(db, user, page.account_id)):
            act(lambda: values.assign(db, user, page.account_id, current) or {"id": current},
                t("segments.assigned"), select="segments.pick")

if mine is not None and "segments.pick" not in st.session_state:
    st.session_state["segments.pick"] = mine
chosen = pick("segments.pick", list(by_id), lambda i: by_id[i]["name"], param="segment", title=t("segments.pick"))
segment = by_id[chosen]
st.subheader(plain(segment["name"]))
st.markdown(f"**{t('segments.value_proposition')}:** {plain(segment['value_proposition'] or None)}")
members = values.accounts_in(db, user, chosen)
st.caption(t("segments.members", names=", ".join(map(plain, members))) if members else t("segments.no_members"))

rows = values.comparison(db, chosen)
weights = values.weights_of(segment)
if rows:
    frame = pd.DataFrame(rows).assign(factor_label=lambda d: d["factor"].map(factor))
    bars_data = pd.DataFrame([{"factor_label": factor[f], "weight": weights[f]} for f in values.FACTORS])
    order = [factor[f] for f in values.FACTORS]
    x = alt.X("factor_label:N", sort=order, title=t("segments.factor"), axis=alt.Axis(labelAngle=0, labelLimit=140))
    bars = alt.Chart(bars_data).mark_bar(color="#d0d7de", size=46).encode(
        x=x, y=alt.Y("weight:Q", title=t("segments.weight"), scale=alt.Scale(domain=[0, 50])),
        tooltip=[alt.Tooltip("factor_label:N", title=t("segments.factor")),
                 alt.Tooltip("weight:Q", title=t("segments.weight"))])
    points = alt.Chart(frame).mark_line(point=alt.OverlayMarkDef(size=90, filled=True), strokeWidth=2).encode(
        x=x, y=alt.Y("score:Q", title=t("segments.score"), scale=alt.Scale(domain=[0, 10])),
        color=alt.Color("name:N", title=t("segments.supplier"), legend=alt.Legend(orient="bottom")),
        strokeDash=alt.condition(alt.datum.is_us, alt.value([1, 0]), alt.value([4, 3])),
        tooltip=[alt.Tooltip("name:N", title=t("segments.supplier")),
                 alt.Tooltip("factor_label:N", title=t("segments.factor")),
                 alt.Tooltip("score:Q", title=t("segments.score"))])
    st.markdown(f"**{t('segments.chart')}**")
    st.altair_chart(alt.layer(bars, points).resolve_scale(y="independent").properties(height=320), width="stretch")
    ranked = values.weighted_scores(db, chosen)
    st.dataframe(pd.DataFrame([{t("segments.supplier"): r["name"], t("segments.weighted"): r["weighted"]}
                               for r in ranked]), hide_index=True)
    edge = values.edge(db, chosen)
    if edge:
        st.success(t("segments.edge", factors=", ".join(factor[f] for f in edge)))
    else:
        st.warning(t("segments.no_edge"))
else:
    st.info(t("segments.no_scores"))

edit_tab, score_tab = tabs([t("segments.tab.weights"), t("segments.tab.scores")], "segments.tabs")
with edit_tab, st.form("segments.edit"):
    name = st.text_input(t("field.name"), value=segment["name"], key=f"segments.edit.name.{chosen}")
    proposition = st.text_area(t("field.value_proposition"), value=segment["value_proposition"], height=80,
                               key=f"segments.edit.vp.{chosen}")
    new_weights = weight_inputs(f"segments.edit.{chosen}", weights)
    if st.form_submit_button(t("segments.save"), type="primary"):
        act(lambda: values.update_segment(db, user, chosen, segment["version"], {
            "name": name, "value_proposition": proposition, **new_weights}), t("segments.saved"))
with score_tab, st.form("segments.score"):
    supplier = st.text_input(t("segments.supplier"), key="segments.score.name")
    is_us = st.checkbox(t("field.is_us"), key="segments.score.us")
    cols = st.columns(3)
    numbers = {f: cols[i % 3].slider(factor[f], 0, values.MAX_SCORE, 5, key=f"segments.score.{f}")
               for i, f in enumerate(values.FACTORS)}
    if st.form_submit_button(t("segments.score_save")):
        act(lambda: values.set_scores(db, user, chosen, supplier, numbers, is_us=is_us), t("segments.score_saved"))

new_segment(expanded=False)
