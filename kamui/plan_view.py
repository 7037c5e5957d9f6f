"""Rendering helpers for the account plan pages: table snapshots, option labels and Altair charts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import altair as alt
import pandas as pd

from kamcore.i18n import choice_label
from kamcore.plan.scorecard import Scorecard
from kamui.context import lang, tr


def labeller(kind: str) -> Callable[[Any], str]:
    """format_func for an enumerated value (choice_label in the current language; blank for None)."""
    return lambda value: "" if value is None or (isinstance(value, float) and pd.isna(value)) \
        else choice_label(kind, value, lang())


def mapper(options: dict[Any, str]) -> Callable[[Any], str]:
    """format_func for ids shown by name (blank for None)."""
    return lambda value: "" if value is None or (isinstance(value, float) and pd.isna(value)) \
        else options.get(int(value), str(value))


def scorecard_chart(card: Scorecard) -> alt.Chart:
    """Attainment against weight for each quadrant, side by side."""
    rows = []
    for q in card.quadrants:
        name = choice_label("quadrant", q.quadrant, lang())
        rows.append({"quadrant": name, "measure": tr("plan.weight"), "value": q.weight})
        rows.append({"quadrant": name, "measure": tr("plan.attainment"),
                     "value": None if q.attainment is None else round(100 * q.attainment, 1)})
    frame = pd.DataFrame(rows)
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("quadrant:N", title=None, sort=None, axis=alt.Axis(labelAngle=0)),
            xOffset=alt.XOffset("measure:N"),
            y=alt.Y("value:Q", title="%", scale=alt.Scale(domain=[0, 100])),
            color=alt.Color("measure:N", title=None, legend=alt.Legend(orient="bottom")),
            tooltip=["quadrant", "measure", "value"],
        )
        .properties(height=240)
    )


def heatmap(frame: pd.DataFrame, x: str, y: str, value: str, x_title: str, y_title: str,
            value_title: str, height: int | None = None) -> alt.LayerChart:
    """A labelled heatmap; cells without a value show as grey with a dash."""
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
