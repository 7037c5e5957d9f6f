"""The pipeline funnel is a plain Vega-Lite spec (cheap to draw); it must stay the chart Altair drew."""

from __future__ import annotations

import json

import altair as alt
import pandas as pd

from kamui import pipeline_view

TITLES = ("Stage", "Deals", "Amount (CNY)", "Amount", "Weighted")


def _bare(spec: dict) -> str:
    return json.dumps({k: v for k, v in spec.items() if k not in ("data", "datasets", "config", "$schema")},
                      sort_keys=True)


def _altair_funnel(funnel: pd.DataFrame, order: list[str]) -> alt.LayerChart:
    """The Altair chart the funnel was before it became a plain spec: the reference it must still equal."""
    stage, deals, axis_title, amount, weighted_title = TITLES
    bars = alt.Chart(funnel).mark_bar().encode(
        y=alt.Y("stage_name:N", sort=order, title=None),
        x=alt.X("amount:Q", title=axis_title, axis=alt.Axis(format="~s")),
        tooltip=[alt.Tooltip("stage_name:N", title=stage), alt.Tooltip("count:Q", title=deals),
                 alt.Tooltip("amount_shown:N", title=amount),
                 alt.Tooltip("weighted_shown:N", title=weighted_title)])
    weighted = alt.Chart(funnel).mark_tick(color="#d62728", thickness=3, size=24).encode(
        y=alt.Y("stage_name:N", sort=order), x="weighted:Q")
    labels = bars.mark_text(align="left", dx=4).encode(text=alt.Text("count:Q"))
    return (bars + weighted + labels).properties(height=40 * len(funnel) + 40)


def test_the_funnel_spec_is_the_altair_chart_it_replaced():
    funnel = pd.DataFrame({"stage": ["lead", "qualify", "propose"], "stage_name": ["Lead", "Qualify", "Propose"],
                           "count": [4, 2, 1], "amount": [400000.0, 250000.0, 90000.0],
                           "weighted": [40000.0, 75000.0, 54000.0],
                           "amount_shown": ["CNY 400.0 k", "CNY 250.0 k", "CNY 90.0 k"],
                           "weighted_shown": ["CNY 40.0 k", "CNY 75.0 k", "CNY 54.0 k"]})
    order = ["Lead", "Qualify", "Propose"]
    spec = pipeline_view.funnel_spec(funnel, order, *TITLES)
    assert _bare(spec) == _bare(_altair_funnel(funnel, order).to_dict())
    assert spec["datasets"][spec["data"]["name"]] is funnel
