"""The plan page's charts are plain Vega-Lite specs (cheap to draw); they must stay the charts Altair drew."""

from __future__ import annotations

import json

import altair as alt
import pandas as pd

from kamcore.plan.scorecard import QuadrantResult, Scorecard
from kamui import plan_view


def _bare(spec: dict) -> str:
    """A spec without its data and Altair's own additions, as comparable text."""
    return json.dumps({k: v for k, v in spec.items() if k not in ("data", "datasets", "config", "$schema")},
                      sort_keys=True)


def _altair_heatmap(frame: pd.DataFrame, x: str, y: str, value: str, x_title: str, y_title: str,
            value_title: str, height: int | None = None) -> alt.LayerChart:
    """The Altair chart the heatmap was before it became a plain spec: the reference it must still equal."""
    data = frame.copy()
    data["label"] = data[value].map(lambda v: "—" if pd.isna(v) else f"{v:,.0f}")
    base = alt.Chart(data).encode(
        x=alt.X(f"{x}:N", title=x_title, sort=None),
        y=alt.Y(f"{y}:N", title=y_title, sort=None, axis=alt.Axis(labelLimit=260)),
    )
    base = base.encode(x=alt.X(f"{x}:N", title=x_title, sort="ascending", axis=alt.Axis(labelAngle=0, orient="top")))
    cells = base.mark_rect(stroke="white").encode(
        color=alt.condition(
            f"isValid(datum['{value}'])",
            alt.Color(f"{value}:Q", title=value_title, scale=alt.Scale(scheme="blues")),
            alt.value("#e8e8e8"),
        ),
        tooltip=[alt.Tooltip(f"{y}:N", title=y_title), alt.Tooltip(f"{x}:N", title=x_title),
                 alt.Tooltip(f"{value}:Q", title=value_title, format=",.1f")],
    )
    text = base.mark_text(fontSize=12).encode(text="label:N")
    chart = cells + text
    return chart.properties(height=height) if height else chart


def test_the_heatmap_spec_is_the_altair_heatmap():
    frame = pd.DataFrame([{"line": "PL-A", "measure": "Gap", "value": 12.5},
                          {"line": "PL-B", "measure": "Gap", "value": None}])
    args = (frame, "line", "measure", "value", "Product line", "", "%")
    data, spec = plan_view.heatmap_spec(*args, height=130)
    assert _bare(spec) == _bare(_altair_heatmap(*args, height=130).to_dict())
    assert list(data["label"]) == ["12", "—"], "a cell without a value reads as a dash"
    assert _bare(plan_view.heatmap_spec(*args)[1]) == _bare(_altair_heatmap(*args).to_dict())


def test_the_scorecard_spec_charts_weight_and_attainment_per_quadrant():
    card = Scorecard([QuadrantResult("financial", 40, 2, 1, 0.456), QuadrantResult("customer", 20, 1, 0, None)], 45.6)
    data, spec = plan_view.scorecard_spec(card)
    assert list(data["value"])[:3] == [40, 45.6, 20] and pd.isna(data["value"][3]), "not measured: no bar"
    assert spec["encoding"]["xOffset"]["field"] == "measure" and spec["encoding"]["y"]["scale"] == {"domain": [0, 100]}
