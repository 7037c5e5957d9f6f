"""What an AppTest shows a reader, and the checks every new page passes: no translation key, no
snake_case code and no None on screen."""

from __future__ import annotations

import re

KEY = re.compile(r"\b[a-z]+(?:_[a-z]+)*\.[a-z_]+\b")
SNAKE = re.compile(r"\b[a-z]+_[a-z_]+\b")
NONE = re.compile(r"\bNone\b|\bnan\b|\bNaT\b")


def visible_text(at) -> list[str]:
    """Every piece of text the page shows: headings, messages, labels, options, cells."""
    out: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success"):
        out += [str(e.value) for e in getattr(at, kind)]
    for m in at.metric:
        out += [str(m.label), str(m.value)]
    for kind in ("selectbox", "radio", "multiselect"):
        for w in getattr(at, kind):
            out += [str(w.label), *[str(o) for o in w.options]]
    for kind in ("text_input", "text_area", "date_input", "number_input", "checkbox", "button", "slider"):
        out += [str(w.label) for w in getattr(at, kind)]
    out += [str(tab.label) for tab in at.tabs]
    out += [str(e.label) for e in at.expander]
    for frame in at.dataframe:
        df = frame.value
        out += [str(c) for c in df.columns]
        out += [str(v) for v in df.astype(str).to_numpy().ravel()]
    return out


def problems(at) -> list[str]:
    """Text that shows a key, a code or a missing value."""
    bad = []
    for text in visible_text(at):
        if KEY.search(text) or SNAKE.search(text) or NONE.search(text):
            bad.append(text[:120])
    return bad
