"""Accounts from a CRM export: name (the one thing required), industry/sector and region as given
(blank stays blank, fillable later), currency (from its column or picked: never a silent default),
status, parent (group -> subsidiaries), and every other column kept as an account attribute.

plan_accounts() checks the whole file and writes nothing; commit_accounts() writes all of it in
one transaction (or nothing). Rows are updated or created by a key the user picks: the name, or
an extra column kept in attributes (e.g. a CRM id).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlite_utils import Database

from kamcore import accounts, permissions, records, store
from kamcore.data.imports import files, runs, synonyms
from kamcore.data.imports.matching import norm
from kamcore.errors import FieldProblem, ValidationError
from kamcore.users import User

FIELDS = ("name", "industry", "region", "currency", "status", "notes", "parent")
REQUIRED = ("name",)


@dataclass
class AccountMapping:
    """columns: our field -> file column; key: "name" or an extra column to match existing accounts by;
    fill: our field -> text for blank cells (a rule the user picked; counted in the preview);
    default_currency: the currency of accounts the file gives none for."""

    columns: dict[str, str] = field(default_factory=dict)
    key: str = "name"
    fill: dict[str, str] = field(default_factory=dict)
    default_currency: str | None = None


@dataclass
class AccountPlan:
    """What an accounts import would do: rows to create and update, parent links, problems."""

    creates: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    parents: list[tuple[str, str, int]] = field(default_factory=list)  # (child, parent, row)
    problems: list[FieldProblem] = field(default_factory=list)
    filled: dict[str, int] = field(default_factory=dict)
    attribute_columns: list[str] = field(default_factory=list)
    token: str = field(default_factory=runs.new_token)

    @property
    def ok(self) -> bool:
        return not self.problems


def guess_mapping(columns: list[str]) -> dict[str, str]:
    """A first guess at which file column holds which field (the one synonym table, `synonyms.ACCOUNTS`)."""
    return synonyms.guess(columns, synonyms.ACCOUNTS)


def plan_accounts(db: Database, actor: User, frame: pd.DataFrame, mapping: AccountMapping) -> AccountPlan:
    """Check every row (and the hierarchy as a whole); nothing is written. Problems carry file row numbers."""
    files.require_columns(frame, mapping.columns, REQUIRED)
    plan = AccountPlan()
    mapped = set(mapping.columns.values())
    plan.attribute_columns = [c for c in frame.columns if c not in mapped]
    if mapping.key != "name" and mapping.key not in plan.attribute_columns:
        raise ValidationError.single("key", "reason.column_missing", column=mapping.key)
    existing = store.rows(db, "SELECT * FROM accounts")
    by_name = {norm(a["name"]): a for a in existing}
    by_key = by_name if mapping.key == "name" else {
        norm(str(json.loads(a["attributes"] or "{}").get(mapping.key, ""))): a for a in existing}
    seen: dict[str, int] = {}
    parent_of: dict[str, str] = {norm(a["name"]): next((b["name"] for b in existing if b["id"] == a["parent_id"]), "")
                                 for a in existing}
    file_names: dict[str, str] = {}

    def text(raw: dict[str, Any], ours: str) -> str:
        column = mapping.columns.get(ours)
        return str(raw.get(column) or "").strip() if column else ""

    for index, raw in enumerate(frame.to_dict("records")):
        number = index + files.FIRST_DATA_ROW
        name = text(raw, "name")
        key_value = name if mapping.key == "name" else str(raw.get(mapping.key) or "").strip()
        if not name:
            plan.problems.append(FieldProblem("name", "reason.missing", row=number))
            continue
        if not key_value:
            plan.problems.append(FieldProblem("key", "reason.missing", row=number))
            continue
        if norm(key_value) in seen:
            plan.problems.append(FieldProblem("name" if mapping.key == "name" else "key", "reason.duplicate_in_file",
                                              {"value": key_value, "other": seen[norm(key_value)]}, row=number))
            continue
        seen[norm(key_value)] = number
        values: dict[str, Any] = {}
        for ours in ("industry", "region", "currency", "status", "notes"):
            value = text(raw, ours)
            if not value and ours in mapping.fill and mapping.fill[ours].strip():
                value = mapping.fill[ours].strip()
                plan.filled[ours] = plan.filled.get(ours, 0) + 1
            if ours == "currency" and not value and mapping.default_currency:
                value = mapping.default_currency
            if value:
                values[ours] = value.upper() if ours == "currency" else value.lower() if ours == "status" else value
        values["attributes"] = {c: str(raw.get(c) or "") for c in plan.attribute_columns if str(raw.get(c) or "")}
        current = by_key.get(norm(key_value))
        if values.get("currency") and values["currency"] not in synonyms.CURRENCY_CODES:
            plan.problems.append(FieldProblem("currency", "reason.unknown_currency", {"value": values["currency"][:10]},
                                              row=number))
            continue
        if current is None and not values.get("currency"):  # never a silent default currency
            plan.problems.append(FieldProblem("currency", "reason.currency_not_picked", row=number))
            continue
        try:
            if current is None:
                if not actor.is_admin:
                    raise ValidationError.single("name", "reason.import_create_admin_only")
                clean = records.validate(accounts.ENTITY, {"name": name, **values})
                plan.creates.append({"row": number, "values": clean})
            else:
                if not permissions.can_edit(db, actor, current["id"]):
                    raise ValidationError.single("name", "reason.account_not_editable", value=current["name"])
                merged_attrs = {**json.loads(current["attributes"] or "{}"), **values.pop("attributes")}
                editable = {f: current[f] for f in accounts.AccountIn.model_fields if f in current}
                clean = records.validate(accounts.ENTITY, {**editable, **values, "name": name,
                                                           "attributes": merged_attrs})
                plan.updates.append({"row": number, "id": current["id"], "version": current["version"],
                                     "values": clean})
        except ValidationError as exc:
            plan.problems += exc.at_row(number)
            continue
        file_names[norm(name)] = name
        parent = text(raw, "parent")
        parent_of[norm(name)] = parent
        if parent:
            plan.parents.append((name, parent, number))
    known = {**{norm(a["name"]): a["name"] for a in existing}, **file_names}
    for child, parent, number in plan.parents:
        if norm(parent) not in known:
            plan.problems.append(FieldProblem("parent", "reason.parent_unknown", {"value": parent}, row=number))
        elif _cycles(norm(child), parent_of):
            plan.problems.append(FieldProblem("parent", "reason.parent_cycle", {"value": parent}, row=number))
    return plan


def _cycles(start: str, parent_of: dict[str, str]) -> bool:
    seen, current = set(), start
    while current:
        if current in seen:
            return current == start
        seen.add(current)
        current = norm(parent_of.get(current, ""))
    return False


def commit_accounts(db: Database, actor: User, plan: AccountPlan) -> dict[str, Any]:
    """Write the whole plan in one transaction (or nothing); a second commit of one plan writes nothing."""
    if not plan.ok:
        raise ValidationError(plan.problems)
    if not (plan.creates or plan.updates):
        raise files.file_error("reason.file_no_rows")

    def write() -> dict[str, Any]:
        if plan.creates:  # the one door for many inserts (inside this commit's single transaction)
            records.create_many(db, actor, accounts.ENTITY, [item["values"] for item in plan.creates])
        for item in plan.updates:
            accounts.update_account(db, actor, item["id"], item["version"],
                                    {k: v for k, v in item["values"].items() if k != "parent_id"})
        ids = {norm(n): (i, v, p) for i, n, v, p in db.execute("SELECT id, name, version, parent_id FROM accounts")}
        linked = 0
        for child, parent, number in plan.parents:
            child_id, version, current_parent = ids[norm(child)]
            parent_id = ids[norm(parent)][0]
            if current_parent == parent_id:
                continue
            try:
                accounts.update_account(db, actor, child_id, version, {"parent_id": parent_id})
            except ValidationError as exc:  # a cycle through accounts not in the file
                exc.at_row(number)
                raise
            linked += 1
        return {"rows": len(plan.creates) + len(plan.updates), "created": len(plan.creates),
                "updated": len(plan.updates), "parents": linked}

    return runs.commit_once(db, actor, plan.token, "accounts", write)
