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

from kamcore import clock, permissions, records, store, users
from kamcore.errors import NotFoundError, PermissionDenied, ValidationError
from kamcore.records import Entity, Record
from kamcore.users import User

DEFAULT_LOOKBACK_DAYS = 7
ID_LIST = r"^(\d+(,\d+)*)?$"
KINDS = ("decision", "action")
ITEM_STATUSES = ("open", "done", "dropped")
ROLES = ("presenter_id", "reviewer_id", "coach_id")  # the meeting roles a huddle names
REMARK_ROLES = ("question", "recommendation")  # the reviewer asks, the coach recommends
SECTIONS = ("changes", "late", "risks", "decisions")  # the sections of each account in a huddle


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
    presenter_id: int | None = None
    reviewer_id: int | None = None
    coach_id: int | None = None

    @model_validator(mode="after")
    def _has_a_presenter(self) -> HuddleIn:
        if self.presenter_id is None:
            raise PydanticCustomError("reason.huddle_needs_presenter", "a huddle needs a presenter",
                                      {"field": "presenter_id"})
        return self

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


def _roles_on_team(db: Database, values: dict[str, Any], row_id: int | None) -> None:
    """Presenter, reviewer and coach are on the team of one of the huddle's accounts and can see all of them
    (someone who cannot see every account cannot open the huddle)."""
    ids = _ids(values["scope"])
    marks = ",".join("?" for _ in ids)
    for role in ROLES:
        uid = values.get(role)
        if uid is None:
            continue
        found = db.execute(f"SELECT 1 FROM account_team t JOIN users u ON u.id = t.user_id "
                           f"WHERE t.user_id = ? AND u.active = 1 AND t.account_id IN ({marks})", [uid, *ids]).fetchone()
        if not found or not all(permissions.can_read(db, users.get_user(db, uid), a) for a in ids):
            raise ValidationError.single(role, "reason.role_not_on_team")


def _scope_accounts_exist(db: Database, values: dict[str, Any], row_id: int | None) -> None:
    ids = _ids(values["scope"])
    if values["account_id"] not in ids:
        raise ValidationError.single("scope", "reason.scope_without_anchor")
    for account_id in ids:
        if not db.execute("SELECT 1 FROM accounts WHERE id = ?", [account_id]).fetchone():
            raise ValidationError.single("scope", "reason.unknown_account", id=account_id)


def _item_in_scope(db: Database, values: dict[str, Any], row_id: int | None) -> None:
    huddle = store.row(db, "SELECT scope, held_on FROM huddles WHERE id = ?", [values["huddle_id"]])
    if huddle is None:
        raise ValidationError.single("huddle_id", "reason.unknown_huddle")
    if values["account_id"] not in _ids(huddle["scope"]):
        raise ValidationError.single("account_id", "reason.not_in_huddle_scope")
    due = values.get("due_on")
    if values.get("kind") == "action" and due is not None and str(due) < huddle["held_on"]:
        raise ValidationError.single("due_on", "reason.due_before_huddle", held_on=huddle["held_on"])
    owner = values.get("owner_id")
    if owner is not None and not db.execute("SELECT 1 FROM users WHERE id = ? AND active = 1", [owner]).fetchone():
        raise ValidationError.single("owner_id", "reason.unknown_user_id", id=owner)


class HuddleRemarkIn(Record):
    """A reviewer's question or a coach's recommendation about one section of one account."""

    huddle_id: int
    account_id: int
    section: Literal["changes", "late", "risks", "decisions"]
    role: Literal["question", "recommendation"]
    text: str = Field(min_length=1, max_length=1000)
    author_id: int | None = None
    action_id: int | None = None


def _remark_in_scope(db: Database, values: dict[str, Any], row_id: int | None) -> None:
    huddle = store.row(db, "SELECT scope FROM huddles WHERE id = ?", [values["huddle_id"]])
    if huddle is None:
        raise ValidationError.single("huddle_id", "reason.unknown_huddle")
    if values["account_id"] not in _ids(huddle["scope"]):
        raise ValidationError.single("account_id", "reason.not_in_huddle_scope")


def _team_member_may_remark(db: Database, actor: User, account_id: int | None, action: records.Action) -> None:
    """The account's team speaks in its huddle (an executive coach or a viewer reviewer included)."""
    if account_id is None:
        raise ValidationError.single("account_id", "reason.missing")
    permissions.require_read(db, actor, account_id)
    if not (actor.is_admin or permissions.team_role(db, actor, account_id) is not None):
        raise PermissionDenied("err.read_only_account")


def _own_remark(db: Database, actor: User, row: dict[str, Any], action: records.Action,
                changed: frozenset[str]) -> None:
    """A remark is written, changed and removed by its author (or an admin) on every path, History's restore
    included; turning it into an action (`remark_to_action`) is for whoever may edit the account."""
    if action == "update" and changed == {"action_id"}:
        permissions.require_edit(db, actor, row["account_id"])
    elif row.get("author_id") != actor.id and not actor.is_admin:
        raise PermissionDenied("err.own_remarks_only")


ENTITY = Entity("huddle", "huddles", HuddleIn, extra_checks=(_scope_accounts_exist, _users_exist, _roles_on_team))
ITEM = Entity("huddle_item", "huddle_items", HuddleItemIn, extra_checks=(_item_in_scope,))
REMARK = Entity("huddle_remark", "huddle_remarks", HuddleRemarkIn, authorize=_team_member_may_remark,
                authorize_row=_own_remark, extra_checks=(_remark_in_scope,))


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
    presenter_id: int | None = None,
    reviewer_id: int | None = None,
    coach_id: int | None = None,
) -> dict[str, Any]:
    """Open a huddle for one account or a group; "since" defaults to the previous huddle of the same scope.

    The presenter defaults to whoever starts it when they are on the team (else the anchor account's
    account manager); reviewer and coach are optional.
    """
    key = scope_key(account_ids)
    ids = _ids(key)
    for account_id in ids:
        permissions.require_read(db, actor, account_id)
    if presenter_id is None:
        presenter_id = default_presenter(db, actor, ids)
    attendees = attendee_ids if attendee_ids is not None else ([actor.id] if actor.id else [])
    values = {
        "account_id": ids[0],
        "scope": key,
        "held_on": held_on or clock.today(),
        "since": since if since not in (None, "") else default_since(db, ids),
        "title": title,
        "attendees": ",".join(str(u) for u in dict.fromkeys(attendees)),
        "notes": "",
        "presenter_id": presenter_id,
        "reviewer_id": reviewer_id,
        "coach_id": coach_id,
    }
    return records.create(db, actor, ENTITY, values)


def default_presenter(db: Database, actor: User, account_ids: list[int]) -> int | None:
    """Who presents unless told otherwise: the actor when on one of the teams, else an editor of the first account."""
    marks = ",".join("?" for _ in account_ids)
    if actor.id is not None and db.execute(f"SELECT 1 FROM account_team WHERE user_id = ? AND account_id IN ({marks})",
                                           [actor.id, *account_ids]).fetchone():
        return actor.id
    found = db.execute("SELECT user_id FROM account_team WHERE account_id = ? AND role IN "
                       "('account_manager', 'solution_manager', 'delivery_manager') "
                       "ORDER BY first_responsible DESC, id LIMIT 1", [account_ids[0]]).fetchone()
    return found[0] if found else None


def role_candidates(db: Database, actor: User, huddle: dict[str, Any]) -> dict[int, str]:
    """Who may take a meeting role: active members of the teams of the huddle's accounts (id -> name)."""
    ids = scope_ids(huddle)
    marks = ",".join("?" for _ in ids)
    found = dict(db.execute(
        f"""SELECT DISTINCT u.id, u.display_name FROM account_team t JOIN users u ON u.id = t.user_id
            WHERE u.active = 1 AND t.account_id IN ({marks}) ORDER BY u.display_name""", ids).fetchall())
    return {uid: name for uid, name in found.items()
            if all(permissions.can_read(db, users.get_user(db, uid), a) for a in ids)}


def role_names(db: Database, huddle: dict[str, Any]) -> dict[str, str]:
    """The names of the huddle's presenter, reviewer and coach ("" when a role is empty)."""
    wanted = [huddle.get(role) for role in ROLES if huddle.get(role) is not None]
    names: dict[int, str] = {}
    if wanted:
        marks = ",".join("?" for _ in wanted)
        names = dict(db.execute(f"SELECT id, display_name FROM users WHERE id IN ({marks})", wanted).fetchall())
    return {role: names.get(huddle.get(role), "") for role in ROLES}


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
    """Huddles whose scope includes the account and whose every account the actor may read, newest first,
    with item counts. A group huddle that also covers an account the actor cannot see is not listed: its
    title and notes may speak about that account."""
    permissions.require_read(db, actor, account_id)
    readable = set(permissions.readable_account_ids(db, actor))
    found = store.rows(
        db,
        """SELECT h.*, (SELECT count(*) FROM huddle_items i WHERE i.huddle_id = h.id AND i.kind = 'decision')
                       AS decisions,
                  (SELECT count(*) FROM huddle_items i WHERE i.huddle_id = h.id AND i.kind = 'action') AS actions
           FROM huddles h
           WHERE ',' || h.scope || ',' LIKE '%,' || ? || ',%'
           ORDER BY h.held_on DESC, h.id DESC""",
        [account_id],
    )
    return [h for h in found if set(_ids(h["scope"])) <= readable][:limit]


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


def add_remark(db: Database, actor: User, huddle_id: int, account_id: int, section: str, role: str,
               text: str) -> dict[str, Any]:
    """Capture a reviewer's question or a coach's recommendation about one section of one account."""
    get_huddle(db, actor, huddle_id)
    values = {"huddle_id": huddle_id, "account_id": account_id, "section": section, "role": role,
              "text": text, "author_id": actor.id, "action_id": None}
    return records.create(db, actor, REMARK, values)


def list_remarks(db: Database, actor: User, huddle_id: int, account_id: int | None = None,
                 section: str | None = None) -> list[dict[str, Any]]:
    """A huddle's remarks (optionally of one account's section), oldest first, with author and action status."""
    get_huddle(db, actor, huddle_id)
    return store.rows(
        db,
        """SELECT r.*, coalesce(u.display_name, '') AS author, a.name AS account_name,
                  i.status AS action_status, coalesce(o.display_name, '') AS action_owner, i.due_on AS action_due
           FROM huddle_remarks r JOIN accounts a ON a.id = r.account_id
           LEFT JOIN users u ON u.id = r.author_id
           LEFT JOIN huddle_items i ON i.id = r.action_id LEFT JOIN users o ON o.id = i.owner_id
           WHERE r.huddle_id = ? AND (? IS NULL OR r.account_id = ?) AND (? IS NULL OR r.section = ?)
           ORDER BY r.id""",
        [huddle_id, account_id, account_id, section, section],
    )


def remark_to_action(db: Database, actor: User, remark_id: int, base_version: int, *, owner_id: int | None,
                     due_on: date | str | None, text: str = "") -> dict[str, Any]:
    """Turn a question or recommendation into an action of the same huddle, in one unit of work."""
    remark = records.get(db, REMARK, remark_id)
    with store.transaction(db):
        if remark["action_id"] is not None:
            raise ValidationError.single("action_id", "reason.already_an_action")
        action = add_item(db, actor, remark["huddle_id"], "action", text.strip() or remark["text"],
                          account_id=remark["account_id"], owner_id=owner_id, due_on=due_on,
                          source=f"huddle_remark:{remark_id}")
        records.update(db, actor, REMARK, remark_id, base_version, {"action_id": action["id"]})
    return action
