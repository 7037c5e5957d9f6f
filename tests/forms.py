"""Forms in AppTest as a browser sees them: a field's widget by form and name, and what a browser that draws
the widget on this run shows (the value the server sent, else the widget's own default)."""

from __future__ import annotations

import re
from typing import Any

from streamlit.testing.v1 import AppTest

KINDS = ("text_input", "text_area", "number_input", "selectbox", "multiselect", "date_input", "checkbox", "radio",
         "select_slider", "toggle")


def fields(at: AppTest, form_key: str) -> dict[str, Any]:
    """Every widget of the form `form_key` (keys `<form_key>.<id>.<version>.<field>`), by field name."""
    pattern = re.compile(rf"^{re.escape(form_key)}\.(?:\d+\.){{0,2}}(\w+)$")  # id.version (a new row: its nonce)
    found = {}
    for kind in KINDS:
        for widget in getattr(at, kind):
            match = pattern.match(widget.key or "")
            if match:
                found[match.group(1)] = widget
    return found


def field(at: AppTest, form_key: str, name: str) -> Any:
    """One field's widget of the form `form_key`."""
    return fields(at, form_key)[name]


def shown(widget: Any) -> Any:
    """What a browser drawing this widget for the first time on this run shows (a choice by its label):
    the value the server set, else the widget's default — not the server's session state, which a browser
    that never drew the widget (a tab it had not opened) does not have."""
    proto = widget.proto
    kind = type(widget).__name__
    if kind in ("Selectbox", "Radio"):
        if proto.set_value:
            return proto.raw_value if proto.HasField("raw_value") else None
        return proto.options[proto.default] if proto.HasField("default") else None
    if kind == "Multiselect":
        return list(proto.raw_values) if proto.set_value else [proto.options[i] for i in proto.default]
    if kind == "DateInput":
        days = list(proto.value) if proto.set_value else list(proto.default)
        return days[0] if days else None
    if kind == "SelectSlider":
        picks = list(proto.value) if proto.set_value else list(proto.default)
        return proto.options[int(picks[0])] if picks else None
    if kind in ("Checkbox", "Toggle"):
        return proto.value if proto.set_value else proto.default
    if proto.set_value:
        return proto.value if proto.HasField("value") else None
    return proto.default if proto.HasField("default") else None
