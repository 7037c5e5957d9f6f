"""No raw code on the retrospective, playbook and health pages, in both languages (issue 13): every visible
text is checked for translation keys, choice keys shown as they are stored (`failure`, `relationship`,
`in_review`, stage keys), and `None`."""

from __future__ import annotations

import re

import pytest

from kamcore import store
from kamcore.i18n import TABLE
from kamcore.learning.retrospectives import (
    ACTION_STATUSES,
    DIMENSIONS,
    HORIZONS,
    OUTCOMES,
    POLARITIES,
    REVIEW_TYPES,
    STATUSES,
)
from kamcore.learning.rules import SEVERITIES
from tests.conftest import account_id, signed_in_app

PAGES = ["pages/retrospectives.py", "pages/playbook.py", "pages/health.py"]
KEY = re.compile(r"\b[a-z][a-z0-9_]*\.[a-z0-9_]+(?:\.[a-z0-9_]+)*\b")


def _codes(path) -> set[str]:
    db = store.connect(path)
    stages = {r[0] for r in db.execute("SELECT key FROM stages")}
    db.close()
    return {*DIMENSIONS, *POLARITIES, *HORIZONS, *ACTION_STATUSES, *OUTCOMES, *REVIEW_TYPES, *STATUSES,
            *SEVERITIES, *stages, "ok", "failed", "agree", "review"}


def _texts(at) -> list[str]:
    """Every text a user sees in an AppTest run: headings, prose, labels, shown options, table cells."""
    out: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success"):
        out += [str(e.value) for e in getattr(at, kind)]
    for kind in ("selectbox", "radio", "multiselect"):
        for widget in getattr(at, kind):
            out.append(str(widget.label))
            out += [str(o) for o in widget.options]
    for kind in ("text_input", "text_area", "number_input", "button", "checkbox", "tabs", "expander"):
        out += [str(getattr(w, "label", "")) for w in getattr(at, kind)]
    for frame in at.dataframe:
        if frame.editing_mode != "read_only":
            continue  # an editor shows its choices through the column's labels, which AppTest does not render
        value = frame.value
        out += [str(c) for c in value.columns]
        out += [str(v) for v in value.astype(str).to_numpy().ravel()]
    return out


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_raw_code_on_the_learning_pages(demo_path, page, lang):
    codes = _codes(demo_path)
    at = signed_in_app(demo_path, "li.wei", page, account_id(demo_path, "Huaxin Semiconductor"), lang=lang)
    assert not at.exception, at.exception
    texts = _texts(at)
    assert texts
    problems = []
    for text in texts:
        for part in re.split(r"\s*[·|—:→⇒,;()]\s*", text.strip()):
            if part in codes or part == "None":
                problems.append((part, text[:80]))
        problems += [(k, text[:80]) for k in KEY.findall(text) if k in TABLE]
    assert not problems, problems[:10]
