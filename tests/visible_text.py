"""What a person reads on a page drawn by AppTest, and the slips that must never be in it: a
translation key, an internal choice code, a bare record number or `None`."""

from __future__ import annotations

import json
import re
from typing import Any

from kamcore.i18n import TABLE

_KEYS = set(TABLE)
_PREFIXES = {key.split(".", 1)[0] for key in _KEYS}
# choice values, e.g. "no_decision" from "opp_status.no_decision": codes that contain an underscore
_CODES = {key.rsplit(".", 1)[1] for key in _KEYS if "_" in key.rsplit(".", 1)[1]}
_DOTTED = re.compile(r"(?<![\w@/.])([a-z][a-z0-9]*(?:_[a-z0-9]+)*)(?:\.[a-z0-9_{}]+)+(?![\w/])")
_SNAKE = re.compile(r"(?<![\w./-])[a-z]+(?:_[a-z0-9]+)+(?![\w./-])")
_BARE_NUMBER = re.compile(r"(?<![\w&/])#\d+\b")
_NONE = re.compile(r"\bNone\b")


def visible_text(at: Any) -> str:
    """Every piece of text a user sees on the page: prose, labels, options, table headers and cells."""
    parts: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success",
                 "text", "code"):
        parts += [str(e.value) for e in getattr(at, kind)]
    for kind in ("button", "checkbox", "toggle", "text_input", "text_area", "number_input", "date_input",
                 "selectbox", "multiselect", "radio", "slider", "select_slider"):
        for widget in getattr(at, kind):
            parts.append(str(widget.label))
            options = getattr(widget, "options", None)
            if options:
                parts += [str(o) for o in options]
    for metric in at.metric:
        parts += [str(metric.label), str(metric.value)]
    for tab in at.tabs:
        parts.append(str(tab.label))
    for expander in at.expander:
        parts.append(str(expander.label))
    for frame in at.dataframe:
        config = json.loads(frame.proto.columns or "{}")
        value = frame.value
        shown = [c for c in value.columns if not config.get(str(c), {}).get("hidden")]
        parts += [str(config.get(str(c), {}).get("label") or c) for c in shown]
        for column in shown:  # a selectbox column shows each value's label (its format_func), not the value
            options = config.get(str(column), {}).get("type_config", {}).get("options") or []
            labels = {str(o["value"]): str(o["label"]) for o in options if isinstance(o, dict)}
            cells = [str(v) for v in value[column].tolist() if not _missing(v)]
            parts += [labels.get(v, v) for v in cells]
            if len(cells) < len(value) and not frame.proto.HasField("placeholder"):
                parts.append("None")  # an empty cell: the grid draws Streamlit's default placeholder, the word None
    return unescape("\n".join(parts))


_ESCAPED = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|~<>:$&\"'=])")  # what kamcore.text.plain escapes


def unescape(markdown: str) -> str:
    """Markdown source as it reads on screen: user text is escaped (`Storage refresh \\(new\\)`), shown plain."""
    return _ESCAPED.sub(r"\1", markdown)


def _missing(value: Any) -> bool:
    """An empty cell (pandas shows it blank, not as the word None or nan)."""
    return value is None or (isinstance(value, float) and value != value) or str(value) in ("<NA>", "NaT")


def slips(text: str) -> list[str]:
    """Translation keys, internal codes, bare record numbers and `None` found in `text` (a `code span` —
    a file column the user must type, say — is meant to be read as code and is left out)."""
    text = re.sub(r"`[^`]*`", "", text)
    found: list[str] = []
    for match in _DOTTED.finditer(text):
        token = match.group(0)
        if token in _KEYS or (match.group(1) in _PREFIXES and "." in token and not token[-1].isdigit()):
            found.append(f"key {token!r}")
    found += [f"code {m.group(0)!r}" for m in _SNAKE.finditer(text) if m.group(0) in _CODES]
    found += [f"record number {m.group(0)!r}" for m in _BARE_NUMBER.finditer(text)]
    found += ["None" for _ in _NONE.finditer(text)]
    return sorted(set(found))
