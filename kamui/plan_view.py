"""Rendering helpers for the account plan pages: table snapshots, option labels and Altair charts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from kamcore.i18n import choice_label
from kamcore.plan.scorecard import Scorecard
from kamui.context import lang, tr


def labeller(kind: str) -> Callable[[Any], str]:
    """format_func for an enumerated value (choice_label in the run's language; blank for None). The language
    is read once, here: a format_func may also be called outside the run (AppTest does, between runs)."""
    current = lang()
    return lambda value: "" if value is None or (isinstance(value, float) and pd.isna(value)) \
        else choice_label(kind, value, current)


def mapper(options: dict[Any, str]) -> Callable[[Any], str]:
    """format_func for ids shown by name (blank for None)."""
    return lambda value: "" if value is None or (isinstance(value, float) and pd.isna(value)) \
        else options.get(int(value), str(value))


# The plan page draws its charts from plain Vega-Lite specs (`st.vega_lite_chart(data, spec)`): building
# the same chart through Altair validates every piece against the Vega-Lite schema, which cost more than the
# rest of the page's run. The specs are exactly what the Altair charts produced.
Spec = dict[str, Any]


def scorecard_spec(card: Scorecard) -> tuple[pd.DataFrame, Spec]:
    """Attainment against weight for each quadrant, side by side: (data, Vega-Lite spec)."""
    rows = []
    for q in card.quadrants:
        name = choice_label("quadrant", q.quadrant, lang())
        rows.append({"quadrant": name, "measure": tr("plan.weight"), "value": q.weight})
        rows.append({"quadrant": name, "measure": tr("plan.attainment"),
                     "value": None if q.attainment is None else round(100 * q.attainment, 1)})
    spec = {
        "mark": {"type": "bar"},
        "height": 240,
        "encoding": {
            "x": {"field": "quadrant", "type": "nominal", "title": None, "sort": None, "axis": {"labelAngle": 0}},
            "xOffset": {"field": "measure", "type": "nominal"},
            "y": {"field": "value", "type": "quantitative", "title": "%", "scale": {"domain": [0, 100]}},
            "color": {"field": "measure", "type": "nominal", "title": None, "legend": {"orient": "bottom"}},
            "tooltip": [{"field": "quadrant", "type": "nominal"}, {"field": "measure", "type": "nominal"},
                        {"field": "value", "type": "quantitative"}],
        },
    }
    return pd.DataFrame(rows, columns=["quadrant", "measure", "value"]), spec


def heatmap_spec(frame: pd.DataFrame, x: str, y: str, value: str, x_title: str, y_title: str,
                 value_title: str, height: int | None = None, shown: str | None = None) -> tuple[pd.DataFrame, Spec]:
    """A labelled heatmap as (data, Vega-Lite spec); cells without a value grey with a dash. A plain spec, not
    Altair: Altair's schema checks cost more than the rest of the plan page's run (see kamui/vega.py).

    `shown`: a column of the cells' values already written for reading (amounts through `kamcore.money.fmt`),
    used for the labels and tooltips instead of the plain number."""
    data = frame.copy()
    data["label"] = data[shown] if shown else data[value].map(lambda v: "—" if pd.isna(v) else f"{v:,.0f}")
    axes = {
        "x": {"field": x, "type": "nominal", "title": x_title, "sort": "ascending",
              "axis": {"labelAngle": 0, "orient": "top"}},
        "y": {"field": y, "type": "nominal", "title": y_title, "sort": None, "axis": {"labelLimit": 260}},
    }
    cells = {
        "mark": {"type": "rect", "stroke": "white"},
        "encoding": {
            "color": {"condition": {"test": f"isValid(datum['{value}'])", "field": value, "type": "quantitative",
                                    "title": value_title, "scale": {"scheme": "blues"}},
                      "value": "#e8e8e8"},
            "tooltip": [{"field": y, "type": "nominal", "title": y_title},
                        {"field": x, "type": "nominal", "title": x_title},
                        {"field": "label", "type": "nominal", "title": value_title} if shown else
                        {"field": value, "type": "quantitative", "title": value_title, "format": ",.1f"}],
            **axes,
        },
    }
    text = {"mark": {"type": "text", "fontSize": 12},
            "encoding": {"text": {"field": "label", "type": "nominal"}, **axes}}
    spec: Spec = {"layer": [cells, text]}
    if height:
        spec["height"] = height
    return data, spec
