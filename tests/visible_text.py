"""What a person reads on a page drawn by AppTest, and the slips that must never be in it: a
translation key, an internal choice code, a bare record number, `None`, an amount without its currency
next to a money label, a stored-unit word ("thousand", "千元", "k CNY"), an ISO timestamp (times are
shown in the reader's zone, `clock.stamp`), a bare number after "→" (a user or record number where a
name belongs) and "another record" (a reference nobody named)."""

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
# money labels, and an amount written without its currency: a number of 1,000 or more (not a year, a date or a
# code) neither preceded by a currency code nor followed by a unit
_MONEY_LABEL = re.compile(r"(?i)\b(revenue|amount|budget|potential|won value|wallet|gross profit|receivables|"
                          r"pipeline)\b|收入|金额|预算|潜力|毛利|应收|管线")
_AMOUNT = re.compile(r"(?<![\w.,/:#-])(\d{1,3}(?:,\d{3})+|\d{4,})(?:\.\d+)?(?![\w.,/:-])")
_UNIT_AFTER = re.compile(r"^\s?(?:k|M|B|万|亿|千|元|美元|港元|欧元|%|[A-Z]{3}\b)|^ [a-z]")  # or a count: "290,000 lines"
_CODE_BEFORE = re.compile(r"[A-Z]{3} -?$")
_CURRENCY_LABEL = re.compile(r"\([A-Z]{3}(?:/[A-Z]{3})*\)")  # "Revenue (CNY)": a column or input named with its currency
_STORED_UNIT = re.compile(r"(?i)\bthousands?\b|千元|（千）|\(k\)|\bk [A-Z]{3}\b")
_ISO_TIMESTAMP = re.compile(r"\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
# "Reviewed by: — → 2": a reference field (its label is a `field.*_id` / `field.*_by` label) moved to a bare
# number, a user or record number where its name belongs; "Scale: 1 → 5" is a number field and reads fine
_REFERENCE_LABELS = {label.strip().lower() for key, pair in TABLE.items()
                     if key.startswith("field.") and key.endswith(("_id", "_by")) for label in pair}
_NUMBER_AFTER_ARROW = re.compile(r"([^\n:：·]+)[:：][^\n→]*→\s*(\d+)(?![\d.:%]|,\d)", re.M)
_UNNAMED = re.compile(r"\banother record\b|另一条记录")


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
        parts.append(f"{metric.label}: {metric.value}")  # one line: the value is read against its label
    for tab in at.tabs:
        parts.append(str(tab.label))
    for expander in at.expander:
        parts.append(str(expander.label))
    for frame in at.dataframe:
        config = json.loads(frame.proto.columns or "{}")
        value = frame.value
        order = list(frame.proto.column_order)  # a table drawn with column_order shows only those columns
        shown = [c for c in value.columns if not config.get(str(c), {}).get("hidden") and (not order or str(c) in order)]
        parts += [str(config.get(str(c), {}).get("label") or c) for c in shown]
        for column in shown:  # a selectbox column shows each value's label (its format_func), not the value
            options = config.get(str(column), {}).get("type_config", {}).get("options") or []
            labels = {str(o["value"]): str(o["label"]) for o in options if isinstance(o, dict)}
            label = str(config.get(str(column), {}).get("label") or column)
            cells = [v for v in value[column].tolist() if not _missing(v)]
            # a number is read against its column's label (an amount needs its currency in one of them)
            parts += [f"{label}: {v}" if isinstance(v, (int, float)) and not isinstance(v, bool)
                      else labels.get(str(v), str(v)) for v in cells]
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
    """Translation keys, internal codes, bare record numbers, `None`, ISO timestamps, bare numbers after an
    arrow and unnamed references found in `text` (a `code span` —
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
    found += [f"stored unit {m.group(0)!r}" for m in _STORED_UNIT.finditer(text)]
    found += [f"amount without currency {line.strip()[:80]!r}" for line in text.splitlines() if _bare_amount(line)]
    found += [f"ISO timestamp {m.group(0)!r}" for m in _ISO_TIMESTAMP.finditer(text)]
    found += [f"number after arrow {m.group(0).strip()!r}" for m in _NUMBER_AFTER_ARROW.finditer(text)
              if m.group(1).strip().lower() in _REFERENCE_LABELS]
    found += [f"unnamed reference {m.group(0)!r}" for m in _UNNAMED.finditer(text)]
    return sorted(set(found))


def _bare_amount(line: str) -> bool:
    """A line with a money label and an amount that says neither its currency nor its unit."""
    if not _MONEY_LABEL.search(line) or _CURRENCY_LABEL.search(line):
        return False
    for match in _AMOUNT.finditer(line):
        digits = match.group(0).replace(",", "")
        if "," not in match.group(0) and "." not in digits and 1990 <= int(digits) <= 2100:
            continue  # a year
        if _UNIT_AFTER.match(line[match.end():]) or _CODE_BEFORE.search(line[:match.start()]):
            continue
        return True
    return False
