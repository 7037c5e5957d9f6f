"""Audit rows shown as a readable table in the current language."""

from __future__ import annotations

from typing import Any

import pandas as pd

from kamcore import money
from kamcore.i18n import choice_label, field_label, t
from kamui.context import lang


def value_text(value: Any, field: str | None = None, language: str | None = None, currency: str | None = None) -> str:
    """An audit value as short display text; enumerated values (status, role…) are translated; an amount (its
    row's `currency` set) with its currency and unit."""
    if value is None or value == "":
        return "—"
    language = language or lang()
    if isinstance(value, bool):
        return t("common.yes" if value else "common.no", language)
    if currency and isinstance(value, (int, float)):
        return money.fmt(value, currency, language)
    text = choice_label(field, value, language) if field else str(value)
    return text if len(text) <= 80 else text[:79] + "…"


def audit_frame(rows: list[dict[str, Any]], with_account: bool = False) -> pd.DataFrame:
    """One line per changed field (when, who, what, before, after); a record's creation is one line.
    (The language is read once: the home page's feed has 80 rows of 7 cells.)"""
    language = lang()
    columns = ["col.at", "col.actor", *(["shell.account"] if with_account else []), "col.entity", "col.action",
               "col.field", "col.old", "col.new"]
    cells: dict[str, list[Any]] = {key: [] for key in columns}
    for row in _collapse_creates(rows, language):
        cells["col.at"].append(row["at"].replace("T", " ")[:16])
        cells["col.actor"].append(row["actor"])
        if with_account:
            cells["shell.account"].append(row.get("account", ""))
        cells["col.entity"].append(row["record"])
        cells["col.action"].append(choice_label("action", row["action"], language))
        cells["col.field"].append(field_label(row["field"], language, row["entity"]) if row["field"] else "")
        cells["col.old"].append(value_text(row["old_value"], row["field"], language, row.get("currency")))
        cells["col.new"].append(row["summary"] if "summary" in row
                                else value_text(row["new_value"], row["field"], language, row.get("currency")))
    if not cells["col.at"]:
        return pd.DataFrame()
    return pd.DataFrame({t(key, language): values for key, values in cells.items()})


SUMMARY_FIELDS = ("name", "title", "text", "body", "statement", "number", "role", "metric", "display_name")


def _collapse_creates(rows: list[dict[str, Any]], language: str) -> list[dict[str, Any]]:
    """Merge the per-field rows of one creation into a single row that names the new record."""
    out: list[dict[str, Any]] = []
    for row in rows:
        last = out[-1] if out else None
        same = last is not None and row["action"] == "create" and last["action"] == "create" and all(
            last[k] == row[k] for k in ("entity", "entity_id", "at", "actor"))
        if same:
            last["values"][row["field"]] = row["new_value"]
            last["currencies"][row["field"]] = row.get("currency")
            continue
        entry = dict(row)
        if row["action"] == "create":
            entry["values"] = {row["field"]: row["new_value"]}
            entry["currencies"] = {row["field"]: row.get("currency")}
        out.append(entry)
    for entry in out:
        if entry["action"] == "create":
            values, currencies = entry.pop("values"), entry.pop("currencies")
            shown = [f for f in SUMMARY_FIELDS if values.get(f)] or [f for f, v in values.items() if v][:1]
            entry["field"] = None
            entry["summary"] = " · ".join(value_text(values[f], f, language, currencies.get(f))
                                          for f in shown[:2]) or "—"
    return out
