"""Audit rows shown as a readable table in the current language."""

from __future__ import annotations

from typing import Any

import pandas as pd

from kamcore.i18n import choice_label, field_label
from kamui.context import lang, tr


def value_text(value: Any, field: str | None = None) -> str:
    """An audit value as short display text; enumerated values (status, role…) are translated."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return tr("common.yes") if value else tr("common.no")
    text = choice_label(field, value, lang()) if field else str(value)
    return text if len(text) <= 80 else text[:79] + "…"


def audit_frame(rows: list[dict[str, Any]], with_account: bool = False) -> pd.DataFrame:
    """One line per changed field (when, who, what, before, after); a record's creation is one line."""
    records = []
    for row in _collapse_creates(rows):
        record = {
            tr("col.at"): row["at"].replace("T", " ")[:16],
            tr("col.actor"): row["actor"],
        }
        if with_account:
            record[tr("shell.account")] = row.get("account", "")
        record |= {
            tr("col.entity"): row["record"],
            tr("col.action"): choice_label("action", row["action"], lang()),
            tr("col.field"): field_label(row["field"], lang(), row["entity"]) if row["field"] else "",
            tr("col.old"): value_text(row["old_value"], row["field"]),
            tr("col.new"): row["summary"] if "summary" in row else value_text(row["new_value"], row["field"]),
        }
        records.append(record)
    return pd.DataFrame(records)


SUMMARY_FIELDS = ("name", "title", "text", "body", "statement", "number", "role", "metric", "display_name")


def _collapse_creates(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Merge the per-field rows of one creation into a single row that names the new record."""
    out: list[dict[str, Any]] = []
    for row in rows:
        last = out[-1] if out else None
        same = last is not None and row["action"] == "create" and last["action"] == "create" and all(
            last[k] == row[k] for k in ("entity", "entity_id", "at", "actor"))
        if same:
            last["values"][row["field"]] = row["new_value"]
            continue
        entry = dict(row)
        if row["action"] == "create":
            entry["values"] = {row["field"]: row["new_value"]}
        out.append(entry)
    for entry in out:
        if entry["action"] == "create":
            values = entry.pop("values")
            shown = [f for f in SUMMARY_FIELDS if values.get(f)] or [f for f, v in values.items() if v][:1]
            entry["field"] = None
            entry["summary"] = " · ".join(value_text(values[f], f) for f in shown[:2]) or "—"
    return out
