"""Contacts from an org-chart spreadsheet into one account's decision chain.

Each row becomes a stakeholder (name, title, department, level, buying roles, stance); a
reports-to column (a name or an e-mail from the same file, or a person already in the chain)
becomes a reports_to link, so the relationship map draws the hierarchy. Cycles are refused with
the rows that form them. Personal-profile columns go only into the team-only profile fields, and
only when the importer may see them. Anyone who may edit the account may import into it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlite_utils import Database

from kamcore import permissions, records, store
from kamcore.data.imports import files, runs, synonyms
from kamcore.data.imports.matching import norm
from kamcore.decision_chain import scale
from kamcore.decision_chain import stakeholders as sh
from kamcore.errors import FieldProblem, PermissionDenied, ValidationError
from kamcore.users import User

FIELDS = ("name", "email", "job_title", "department", "level", "roles", "stance", "reports_to", "notes",
          *sh.PROFILE_FIELDS)
REQUIRED = ("name",)
_CHOICE_GUESS = {"level": {"decision": ("decision", "decider", "executive", "决策", "决策层"),
                           "management": ("management", "manager", "管理", "管理层"),
                           "execution": ("execution", "staff", "operational", "执行", "执行层")}}


@dataclass
class ContactMapping:
    """columns: our field -> file column; values: our field -> {file value -> our choice} (level, stance, roles)."""

    columns: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass
class ContactPlan:
    """Validated contacts of one account and their reports-to links, or the problems."""

    account_id: int
    people: list[dict[str, Any]] = field(default_factory=list)
    links: list[tuple[int, str, int]] = field(default_factory=list)  # (from index, to key, row)
    problems: list[FieldProblem] = field(default_factory=list)
    private_columns: int = 0
    token: str = field(default_factory=runs.new_token)

    @property
    def ok(self) -> bool:
        return not self.problems


def guess_mapping(columns: list[str]) -> dict[str, str]:
    """A first guess at which file column holds which field."""
    return synonyms.guess(columns, synonyms.CONTACTS)


def _choice(value: str, ours: str, allowed: tuple[str, ...], mapping: ContactMapping) -> str | None:
    mapped = {norm(k): v for k, v in mapping.values.get(ours, {}).items()}.get(norm(value))
    if mapped in allowed:
        return mapped
    if norm(value) in {norm(a) for a in allowed}:
        return next(a for a in allowed if norm(a) == norm(value))
    for key, names in _CHOICE_GUESS.get(ours, {}).items():
        if norm(value) in {norm(n) for n in names}:
            return key
    return None


def plan_contacts(db: Database, actor: User, account_id: int, frame: pd.DataFrame,
                  mapping: ContactMapping) -> ContactPlan:
    """Check every row and the reports-to hierarchy; nothing is written."""
    permissions.require_edit(db, actor, account_id)
    files.require_columns(frame, mapping.columns, REQUIRED)
    if any(mapping.columns.get(f) for f in sh.PROFILE_FIELDS) and not permissions.can_see_private(db, actor, account_id):
        raise PermissionDenied("err.profile_team_only")
    plan = ContactPlan(account_id)
    existing = store.rows(db, "SELECT id, name FROM stakeholders WHERE account_id = ?", [account_id])
    keys: dict[str, int] = {}  # name or e-mail -> index in plan.people
    seen: dict[str, int] = {}

    def text(raw: dict[str, Any], ours: str) -> str:
        column = mapping.columns.get(ours)
        return files.strip_control(str(raw.get(column) or "")).strip() if column else ""

    for index, raw in enumerate(frame.to_dict("records")):
        number = index + files.FIRST_DATA_ROW
        row_problems: list[FieldProblem] = []
        name, email = text(raw, "name"), text(raw, "email")
        if not name:
            plan.problems.append(FieldProblem("name", "reason.missing", row=number))
            continue
        ident = norm(email or name)
        if ident in seen:
            plan.problems.append(FieldProblem("email" if email else "name", "reason.duplicate_in_file",
                                              {"value": email or name, "other": seen[ident]}, row=number))
            continue
        seen[ident] = number
        values: dict[str, Any] = {"account_id": account_id, "name": name}
        for ours in ("job_title", "department", "notes", *sh.PROFILE_FIELDS):
            if text(raw, ours):
                values[ours] = text(raw, ours)
        plan.private_columns += sum(1 for f in sh.PROFILE_FIELDS if f in values)
        for ours, allowed in (("level", sh.LEVELS), ("stance", sh.STANCES)):
            raw_value = text(raw, ours)
            if raw_value:
                chosen = _choice(raw_value, ours, allowed, mapping)
                if chosen is None:
                    row_problems.append(FieldProblem(ours, "reason.unknown_choice", {"value": raw_value}, row=number))
                else:
                    values[ours] = chosen
        roles_text = text(raw, "roles")
        if roles_text:
            roles = []
            for part in [p for p in roles_text.replace(";", ",").split(",") if p.strip()]:
                chosen = _choice(part.strip(), "roles", sh.BUYING_ROLES, mapping)
                if chosen is None:
                    row_problems.append(FieldProblem("roles", "reason.unknown_choice", {"value": part.strip()},
                                                     row=number))
                else:
                    roles.append(chosen)
            values["roles"] = ",".join(roles)
        if not row_problems:
            try:
                values = records.validate(sh.ENTITY, scale.reconcile(None, values))  # a stance brings its score
            except ValidationError as exc:
                row_problems += exc.at_row(number)
        if row_problems:
            plan.problems += row_problems
            continue
        position = len(plan.people)
        plan.people.append({"row": number, "values": values})
        keys[norm(name)] = position
        if email:
            keys[norm(email)] = position
        boss = text(raw, "reports_to")
        if boss:
            plan.links.append((position, boss, number))
    existing_by_name = {norm(e["name"]): e["id"] for e in existing}
    boss_of: dict[int, int | str] = {}
    for position, boss, number in plan.links:
        if norm(boss) in keys:
            target: int | str = keys[norm(boss)]
            if target == position:
                plan.problems.append(FieldProblem("reports_to", "reason.reports_to_cycle", {"value": boss}, row=number))
                continue
            boss_of[position] = target
        elif norm(boss) in existing_by_name:
            boss_of[position] = f"db:{existing_by_name[norm(boss)]}"
        else:
            plan.problems.append(FieldProblem("reports_to", "reason.reports_to_unknown", {"value": boss}, row=number))
    for position, _, number in plan.links:  # a loop among the file's people
        seen_chain, current = set(), boss_of.get(position)
        while isinstance(current, int) and current not in seen_chain:
            if current == position:
                plan.problems.append(FieldProblem("reports_to", "reason.reports_to_cycle",
                                                  {"value": plan.people[position]["values"]["name"]}, row=number))
                break
            seen_chain.add(current)
            current = boss_of.get(current)
    plan.links = [(p, str(boss_of[p]), n) for p, _, n in plan.links if p in boss_of]
    return plan


def commit_contacts(db: Database, actor: User, plan: ContactPlan) -> dict[str, Any]:
    """Create every contact and reports-to link in one transaction (or nothing); once per plan."""
    if not plan.ok:
        raise ValidationError(plan.problems)
    if not plan.people:
        raise files.file_error("reason.file_no_rows")

    def write() -> dict[str, Any]:
        ids = []
        for person in plan.people:
            values = {k: v for k, v in person["values"].items() if k != "account_id" and v is not None}
            ids.append(sh.create_stakeholder(db, actor, plan.account_id, values)["id"])
        for position, target, number in plan.links:
            to_id = int(target[3:]) if target.startswith("db:") else ids[int(target)]
            try:
                sh.add_link(db, actor, plan.account_id, ids[position], to_id, "reports_to")
            except ValidationError as exc:
                exc.at_row(number)
                raise
        return {"rows": len(ids), "links": len(plan.links)}

    return runs.commit_once(db, actor, plan.token, "contacts", write)
