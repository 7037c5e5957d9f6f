"""Huddles (例会, D7–D9): the weekly meeting of an account's team, or of a group of accounts.

A huddle has a date, a scope (one account or several), attendees, notes, and
items: decisions, and actions with an owner and a due date. Starting a huddle
sets "since" to when the previous huddle of the same scope started, so "what
changed" picks up exactly where the team left off.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError
from sqlite_utils import Database

from kamcore import clock, permissions, records, store
from kamcore.errors import NotFoundError, ValidationError
from kamcore.records import Entity, Record
from kamcore.users import User

DEFAULT_LOOKBACK_DAYS = 7
ID_LIST = r"^(\d+(,\d+)*)?$"
KINDS = ("decision", "action")
ITEM_STATUSES = ("open", "done", "dropped")


def normalise_moment(value: Any) -> str:
    """A date or time as the audit log's UTC ISO text (to the second)."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, datetime.min.time())
    else:
        try:
            moment = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            raise PydanticCustomError("reason.datetime_parsing", "must be a date and time") from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds")


class HuddleIn(Record):
    """A huddle's editable fields."""

    account_id: int
    scope: str = Field(min_length=1, max_length=400, pattern=ID_LIST)
    held_on: date
    since: str
    title: str = Field(default="", max_length=200)
    attendees: str = Field(default="", max_length=400, pattern=ID_LIST)
    notes: str = Field(default="", max_length=8000)
    status: Literal["open", "closed"] = "open"

    @field_validator("since", mode="before")
    @classmethod
    def _since_not_in_future(cls, value: Any) -> str:
        text = normalise_moment(value)
        if text > clock.now_iso():
            raise PydanticCustomError("reason.since_in_future", "must not be in the future")
        return text


class HuddleItemIn(Record):
    """A decision or an action item."""

    huddle_id: int
    account_id: int
    kind: Literal["decision", "action"]
    text: str = Field(min_length=1, max_length=1000)
    owner_id: int | None = None
    due_on: date | None = None
    status: Literal["open", "done", "dropped"] = "open"
    source: str = Field(default="", max_length=200)

    @model_validator(mode="after")
    def _actions_have_owner_and_due_date(self) -> HuddleItemIn:
        if self.kind == "action" and self.owner_id is None:
            raise PydanticCustomError("reason.action_needs_owner", "an action needs an owner", {"field": "owner_id"})
        if self.kind == "action" and self.due_on is None:
            raise PydanticCustomError("reason.action_needs_due", "an action needs a due date", {"field": "due_on"})
        return self


def _ids(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part]


def _users_exist(db: Database, values: dict[str, Any], row_id: int | None) -> None:
    for uid in _ids(values.get("attendees", "")):
        if not db.execute("SELECT 1 FROM users WHERE id = ?", [uid]).fetchone():
            raise ValidationError.single("attendees", "reason.unknown_user_id", id=uid)


def _scope_accounts_exist(db: Database, values: dict[str, Any], row_id: int | None) -> None:
    ids = _ids(values["scope"])
    if values["account_id"] not in ids:
        raise ValidationError.single("scope", "reason.scope_without_anchor")
    for account_id in ids:
        if not db.execute("SELECT 1 FROM accounts WHERE id = ?", [account_id]).fetchone():
            raise ValidationError.single("scope", "reason.unknown_account", id=account_id)


def _item_in_scope(db: Database, values: dict[str, Any], row_id: int | None) -> None:
    huddle = store.row(db, "SELECT scope FROM huddles WHERE id = ?", [values["huddle_id"]])
    if huddle is None:
        raise ValidationError.single("huddle_id", "reason.unknown_huddle")
    if values["account_id"] not in _ids(huddle["scope"]):
        raise ValidationError.single("account_id", "reason.not_in_huddle_scope")
    owner = values.get("owner_id")
    if owner is not None and not db.execute("SELECT 1 FROM users WHERE id = ? AND active = 1", [owner]).fetchone():
        raise ValidationError.single("owner_id", "reason.unknown_user_id", id=owner)


ENTITY = Entity("huddle", "huddles", HuddleIn, extra_checks=(_scope_accounts_exist, _users_exist))
ITEM = Entity("huddle_item", "huddle_items", HuddleItemIn, extra_checks=(_item_in_scope,))


def scope_key(account_ids: list[int]) -> str:
    """The canonical scope text for a set of accounts: sorted unique ids, comma-separated."""
    ids = sorted({int(a) for a in account_ids})
    if not ids:
        raise ValidationError.single("scope", "reason.missing")
    return ",".join(str(a) for a in ids)


def scope_ids(huddle: dict[str, Any]) -> list[int]:
    """The account ids a huddle covers."""
    return _ids(huddle["scope"])


def previous_huddle(db: Database, account_ids: list[int], before_id: int | None = None) -> dict[str, Any] | None:
    """The latest huddle of exactly this scope (optionally, the latest before huddle `before_id`)."""
    return store.row(
        db,
        "SELECT * FROM huddles WHERE scope = ? AND (? IS NULL OR id < ?) ORDER BY held_on DESC, id DESC LIMIT 1",
        [scope_key(account_ids), before_id, before_id],
    )


def default_since(db: Database, account_ids: list[int]) -> str:
    """When the previous huddle of this scope started; a week ago if there was none."""
    previous = previous_huddle(db, account_ids)
    if previous is not None:
        return previous["created_at"]
    return (clock.now() - timedelta(days=DEFAULT_LOOKBACK_DAYS)).isoformat(timespec="seconds")


def start_huddle(
    db: Database,
    actor: User,
    account_ids: list[int],
    *,
    held_on: date | str | None = None,
    since: str | datetime | None = None,
    title: str = "",
    attendee_ids: list[int] | None = None,
) -> dict[str, Any]:
    """Open a huddle for one account or a group; "since" defaults to the previous huddle of the same scope."""
    key = scope_key(account_ids)
    ids = _ids(key)
    for account_id in ids:
        permissions.require_read(db, actor, account_id)
    attendees = attendee_ids if attendee_ids is not None else ([actor.id] if actor.id else [])
    values = {
        "account_id": ids[0],
        "scope": key,
        "held_on": held_on or clock.today(),
        "since": since if since not in (None, "") else default_since(db, ids),
        "title": title,
        "attendees": ",".join(str(u) for u in dict.fromkeys(attendees)),
        "notes": "",
    }
    return records.create(db, actor, ENTITY, values)


def update_huddle(db: Database, actor: User, huddle_id: int, base_version: int,
                  changes: dict[str, Any]) -> dict[str, Any]:
    """Change notes, attendees, title, status or "since", refusing a stale version."""
    if "attendees" in changes and isinstance(changes["attendees"], (list, tuple)):
        changes = {**changes, "attendees": ",".join(str(u) for u in dict.fromkeys(changes["attendees"]))}
    if "scope" in changes:
        raise ValidationError.single("scope", "reason.read_only")
    return records.update(db, actor, ENTITY, huddle_id, base_version, changes)


def get_huddle(db: Database, actor: User, huddle_id: int) -> dict[str, Any]:
    """One huddle the actor may read (every account in its scope), or NotFoundError."""
    huddle = records.get(db, ENTITY, huddle_id)
    for account_id in scope_ids(huddle):
        permissions.require_read(db, actor, account_id)
    return huddle


def list_huddles(db: Database, actor: User, account_id: int, limit: int = 50) -> list[dict[str, Any]]:
    """Huddles whose scope includes the account, newest first, with item counts."""
    permissions.require_read(db, actor, account_id)
    return store.rows(
        db,
        """SELECT h.*, (SELECT count(*) FROM huddle_items i WHERE i.huddle_id = h.id AND i.kind = 'decision')
                       AS decisions,
                  (SELECT count(*) FROM huddle_items i WHERE i.huddle_id = h.id AND i.kind = 'action') AS actions
           FROM huddles h
           WHERE ',' || h.scope || ',' LIKE '%,' || ? || ',%'
           ORDER BY h.held_on DESC, h.id DESC LIMIT ?""",
        [account_id, limit],
    )


def attendee_names(db: Database, huddle: dict[str, Any]) -> list[str]:
    """Display names of the huddle's attendees, in the order they were added."""
    ids = _ids(huddle["attendees"])
    if not ids:
        return []
    marks = ",".join("?" for _ in ids)
    names = dict(db.execute(f"SELECT id, display_name FROM users WHERE id IN ({marks})", ids).fetchall())
    return [names[i] for i in ids if i in names]


def add_item(
    db: Database,
    actor: User,
    huddle_id: int,
    kind: str,
    text: str,
    *,
    account_id: int | None = None,
    owner_id: int | None = None,
    due_on: date | str | None = None,
    source: str = "",
) -> dict[str, Any]:
    """Record a decision, or an action with owner and due date, in a huddle."""
    huddle = get_huddle(db, actor, huddle_id)
    values = {
        "huddle_id": huddle_id,
        "account_id": account_id if account_id is not None else huddle["account_id"],
        "kind": kind,
        "text": text,
        "owner_id": owner_id if kind == "action" else None,
        "due_on": (due_on or None) if kind == "action" else None,
        "source": source,
    }
    return records.create(db, actor, ITEM, values)


def get_item(db: Database, actor: User, item_id: int) -> dict[str, Any]:
    """One decision or action the actor may read."""
    item = records.get(db, ITEM, item_id)
    permissions.require_read(db, actor, item["account_id"])
    return item


def update_item(db: Database, actor: User, item_id: int, base_version: int, changes: dict[str, Any]) -> dict[str, Any]:
    """Change an item (text, owner, due date, status), refusing a stale version."""
    for fixed in ("huddle_id", "kind"):
        if fixed in changes:
            raise ValidationError.single(fixed, "reason.read_only")
    return records.update(db, actor, ITEM, item_id, base_version, changes)


def set_item_status(db: Database, actor: User, item_id: int, base_version: int, status: str) -> dict[str, Any]:
    """Mark an action done, dropped or open again."""
    return update_item(db, actor, item_id, base_version, {"status": status})


def delete_item(db: Database, actor: User, item_id: int, base_version: int) -> None:
    """Remove a decision or action recorded by mistake."""
    records.delete(db, actor, ITEM, item_id, base_version)


def list_items(db: Database, actor: User, huddle_id: int) -> list[dict[str, Any]]:
    """A huddle's decisions and actions with owner and account names, decisions first."""
    get_huddle(db, actor, huddle_id)
    return store.rows(
        db,
        """SELECT i.*, u.display_name AS owner_name, a.name AS account_name
           FROM huddle_items i JOIN accounts a ON a.id = i.account_id
           LEFT JOIN users u ON u.id = i.owner_id
           WHERE i.huddle_id = ? ORDER BY i.kind DESC, i.id""",
        [huddle_id],
    )


def open_actions(
    db: Database, actor: User, *, account_ids: list[int] | None = None, owner_id: int | None = None,
    due_before: date | None = None, limit: int = 200,
) -> list[dict[str, Any]]:
    """Open huddle actions the actor may see, soonest due first, filtered by accounts, owner and due date."""
    visible = permissions.readable_account_ids(db, actor)
    wanted = [a for a in (account_ids if account_ids is not None else visible) if a in set(visible)]
    if not wanted:
        return []
    marks = ",".join("?" for _ in wanted)
    clauses = [f"i.account_id IN ({marks})", "i.kind = 'action'", "i.status = 'open'"]
    params: list[Any] = list(wanted)
    if owner_id is not None:
        clauses.append("i.owner_id = ?")
        params.append(owner_id)
    if due_before is not None:
        clauses.append("i.due_on <= ?")
        params.append(due_before.isoformat())
    return store.rows(
        db,
        f"""SELECT i.*, u.display_name AS owner_name, a.name AS account_name, h.held_on AS huddle_on
            FROM huddle_items i JOIN accounts a ON a.id = i.account_id
            JOIN huddles h ON h.id = i.huddle_id
            LEFT JOIN users u ON u.id = i.owner_id
            WHERE {' AND '.join(clauses)} ORDER BY i.due_on, i.id LIMIT ?""",
        [*params, limit],
    )


def require_huddle(db: Database, actor: User, raw: object) -> dict[str, Any] | None:
    """The huddle named by a URL parameter, or None if absent; NotFoundError if it is not readable."""
    text = str(raw).strip() if raw is not None else ""
    if not text:
        return None
    if not text.isdigit():
        raise NotFoundError("err.not_found_entity", entity="huddle", id=text[:20])
    return get_huddle(db, actor, int(text))
