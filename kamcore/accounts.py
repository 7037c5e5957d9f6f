"""Key accounts: the customers a war room is run for."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import Field, field_validator
from sqlite_utils import Database

from kamcore import permissions, records, store
from kamcore.errors import FieldProblem, ValidationError
from kamcore.pipeline import opportunities
from kamcore.records import Action, Entity, Record
from kamcore.users import User

STATUSES = ("prospect", "active", "at_risk", "dormant", "lost")


class AccountIn(Record):
    """An account's editable fields."""

    name: str = Field(min_length=1, max_length=120)
    industry: str | None = Field(default=None, max_length=60)  # None: not known yet, shown "—" (m024)
    region: str | None = Field(default=None, max_length=60)
    currency: str = Field(default="CNY", pattern=r"^[A-Z]{3}$")
    status: Literal["prospect", "active", "at_risk", "dormant", "lost"] = "active"
    notes: str = Field(default="", max_length=4000)
    parent_id: int | None = None  # the group this account belongs to (m014)
    attributes: str = Field(default="{}", max_length=20_000)  # JSON object of extra imported columns

    @field_validator("attributes", mode="before")
    @classmethod
    def _attributes_object(cls, value: Any) -> str:
        """Attributes are a JSON object of text/number values; a dict is stored as its JSON text."""
        if value is None or value == "":
            return "{}"
        data = json.loads(value) if isinstance(value, str) else value
        if not isinstance(data, dict):
            raise ValueError("attributes must be an object")
        return json.dumps(data, ensure_ascii=False, sort_keys=True)


def would_cycle(db: Database, account_id: int | None, parent_id: int | None) -> bool:
    """True when making `parent_id` the parent of `account_id` would close a loop in the hierarchy."""
    if parent_id is None or account_id is None:
        return False
    seen: set[int] = set()
    current: int | None = parent_id
    while current is not None and current not in seen:
        if current == account_id:
            return True
        seen.add(current)
        found = db.execute("SELECT parent_id FROM accounts WHERE id = ?", [current]).fetchone()
        current = found[0] if found else None
    return False


def _parent_check(db: Database, values: dict[str, Any], row_id: int | None) -> None:
    """The parent exists and is not the account itself or one of its subsidiaries."""
    parent = values.get("parent_id")
    if parent is None:
        return
    if not db.execute("SELECT 1 FROM accounts WHERE id = ?", [parent]).fetchone():
        raise ValidationError([FieldProblem("parent_account", "reason.parent_unknown", {"value": parent})])
    if parent == row_id or would_cycle(db, row_id, parent):
        raise ValidationError([FieldProblem("parent_account", "reason.parent_cycle", {"value": parent})])


def _authorize(db: Database, actor: User, account_id: int | None, action: Action) -> None:
    if action == "update" and account_id is not None:
        permissions.require_edit(db, actor, account_id)
    else:
        permissions.require_admin(actor)


ENTITY = Entity("account", "accounts", AccountIn, account_field="id", authorize=_authorize,
                extra_checks=(_parent_check,))


def create_account(db: Database, actor: User, values: dict[str, Any]) -> dict[str, Any]:
    """Open a new account (admins)."""
    return records.create(db, actor, ENTITY, values)


def update_account(
    db: Database, actor: User, account_id: int, base_version: int, changes: dict[str, Any]
) -> dict[str, Any]:
    """Change an account's profile, refusing a stale version."""
    return records.update(db, actor, ENTITY, account_id, base_version, changes)


def get_account(db: Database, actor: User, account_id: int) -> dict[str, Any]:
    """One account the actor may read, or NotFoundError."""
    permissions.require_read(db, actor, account_id)
    return records.get(db, ENTITY, account_id)


def parse_account_id(raw: object) -> int | None:
    """An account id from a URL parameter, or None when it is not a positive whole number."""
    text = str(raw).strip() if raw is not None else ""
    return int(text) if text.isdigit() and 0 < int(text) < 2**62 else None


def list_accounts(db: Database, actor: User, account_ids: list[int] | None = None) -> list[dict[str, Any]]:
    """Accounts the actor may read, with their first-responsible person and team size, by name; with
    `account_ids` (one page of a list) only those of them the actor may read."""
    ids = permissions.readable_account_ids(db, actor)
    if account_ids is not None:
        wanted = set(account_ids)
        ids = [a for a in ids if a in wanted]
    if not ids:
        return []
    marks = ",".join("?" for _ in ids)
    return store.rows(
        db,
        f"""SELECT a.*, u.display_name AS first_responsible_name,
                   (SELECT count(*) FROM account_team t2 WHERE t2.account_id = a.id) AS team_size
            FROM accounts a
            LEFT JOIN account_team t ON t.account_id = a.id AND t.first_responsible = 1
            LEFT JOIN users u ON u.id = t.user_id
            WHERE a.id IN ({marks}) ORDER BY a.name""",
        ids,
    )


def _below(children: dict[int, list[int]], group_id: int) -> list[int]:
    """Every account at every level below the group, each once."""
    members, stack = [], list(children[group_id])
    while stack:
        child = stack.pop()
        if child in members:
            continue
        members.append(child)
        stack.extend(children.get(child, []))
    return members


def rollup(db: Database, actor: User) -> list[dict[str, Any]]:
    """Groups with their subsidiaries (every level below), summed: won deals and value, open deals and
    open value, per currency. Only accounts the actor may read count; groups without readable
    subsidiaries are left out. One function for Portfolio and the walk-through."""
    readable = set(permissions.readable_account_ids(db, actor))
    if not readable:
        return []
    found = store.rows(db, "SELECT id, name, parent_id FROM accounts ORDER BY name")
    children: dict[int, list[int]] = {}
    for a in found:
        if a["parent_id"] is not None:
            children.setdefault(a["parent_id"], []).append(a["id"])
    names = {a["id"]: a["name"] for a in found}
    in_groups = {a for group in children for a in (group, *_below(children, group))} & readable
    figures: dict[int, dict[str, Any]] = {}  # only accounts in a group are summed (kept per account)
    for account_id, sums in opportunities.deal_sums(db, sorted(in_groups)).items():
        per = figures.setdefault(account_id, {})
        for row in sums["rows"]:
            won, won_value, open_count, open_value = per.get(row["currency"], (0, 0.0, 0, 0.0))
            if row["status"] == "won":
                won, won_value = won + row["count"], won_value + (row["amount"] or 0.0)
            elif row["status"] == "open":
                open_count, open_value = open_count + row["count"], open_value + (row["amount"] or 0.0)
            per[row["currency"]] = (won, won_value, open_count, open_value)
    out = []
    for group_id in sorted(children, key=lambda i: names.get(i, "").casefold()):
        members = _below(children, group_id)
        visible = [m for m in members if m in readable]
        if not visible:
            continue
        totals: dict[str, dict[str, float]] = {}
        for member in ([group_id] if group_id in readable else []) + visible:
            for currency, (won, won_value, open_count, open_value) in figures.get(member, {}).items():
                bucket = totals.setdefault(currency, {"won": 0, "won_value": 0.0, "open": 0, "open_value": 0.0})
                bucket["won"] += won
                bucket["won_value"] += won_value
                bucket["open"] += open_count
                bucket["open_value"] += open_value
        out.append({"id": group_id, "name": names.get(group_id, ""),
                    "subsidiaries": sorted((names[m] for m in visible), key=str.casefold),
                    "by_currency": dict(sorted(totals.items()))})
    return out
