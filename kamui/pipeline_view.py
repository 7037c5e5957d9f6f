"""The pipeline page's funnel as a plain Vega-Lite spec (`kamui/vega.py`): the Altair chart it replaces validated
itself against the Vega-Lite schema on every run — 5 % of the server's CPU in a 25-person burst (py-spy,
docs/scaling.md). `tests/pipeline/test_funnel_spec.py` keeps it equal to that Altair chart."""

from __future__ import annotations

import pandas as pd

from kamui.vega import Spec, named


def funnel_spec(funnel: pd.DataFrame, order: list[str], stage_title: str, deals_title: str, axis_title: str,
                amount_title: str, weighted_title: str) -> Spec:
    """Bars of each stage's amount (in pipeline `order`), a red tick at its weighted amount, the deal count
    beside each bar; one row of `funnel` per stage with stage_name, count, amount and weighted, and the
    amounts as `money.fmt` shows them (amount_shown, weighted_shown) for the tooltips. The axis is titled
    with its currency (`axis_title`) and ticks in SI steps ("20M")."""
    stage = {"field": "stage_name", "sort": order, "title": None, "type": "nominal"}
    amount = {"axis": {"format": "~s"}, "field": "amount", "title": axis_title, "type": "quantitative"}
    tooltip = [{"field": "stage_name", "title": stage_title, "type": "nominal"},
               {"field": "count", "title": deals_title, "type": "quantitative"},
               {"field": "amount_shown", "title": amount_title, "type": "nominal"},
               {"field": "weighted_shown", "title": weighted_title, "type": "nominal"}]
    return named(funnel, {
        "layer": [
            {"mark": {"type": "bar"}, "encoding": {"tooltip": tooltip, "x": amount, "y": stage}},
            {"mark": {"type": "tick", "color": "#d62728", "size": 24, "thickness": 3},
             "encoding": {"x": {"field": "weighted", "type": "quantitative"},
                          "y": {"field": "stage_name", "sort": order, "type": "nominal"}}},
            {"mark": {"type": "text", "align": "left", "dx": 4},
             "encoding": {"text": {"field": "count", "type": "quantitative"}, "tooltip": tooltip, "x": amount,
                          "y": stage}},
        ],
        "height": 40 * len(funnel) + 40,
    })
