"""Comments with @mentions on any account-scoped record (goals, opportunities, stakeholders, retrospectives…).

A mention is `@username`; every mentioned name must be an active user who can
read the account, or the comment is refused naming the unknown one. Mentioned
user ids are stored with the comment, so "my mentions" is one query.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from pydantic import Field
from sqlite_utils import Database

from kamcore import audit, clock, permissions, records, store
from kamcore.errors import NotFoundError, PermissionDenied, ValidationError
from kamcore.records import Entity, Record
from kamcore.users import User

MENTION = re.compile(r"(?<![\w.@])@([A-Za-z0-9._-]*[A-Za-z0-9_-])")
COMMENTABLE = ("goal", "opportunity", "stakeholder", "retrospective", "huddle", "huddle_item", "account",
               "share_plan", "improvement_action", "relationship_action", "visit", "lesson")


class CommentIn(Record):
    """A comment's stored fields."""

    account_id: int
    entity: str = Field(min_length=1, max_length=40, pattern=r"^[a-z_]+$")
    entity_id: int
    author_id: int
    body: str = Field(min_length=1, max_length=4000)
    mentions: str = Field(default="", max_length=400, pattern=r"^(\d+(,\d+)*)?$")


def _authorize(db: Database, actor: User, account_id: int | None, action: records.Action) -> None:
    """Anyone who can read an account may comment on it (executives and viewers included)."""
    if account_id is None:
        raise ValidationError.single("entity", "reason.not_commentable")
    permissions.require_read(db, actor, account_id)


def _own_comment(db: Database, actor: User, row: dict[str, Any], action: records.Action,
                 changed: frozenset[str]) -> None:
    """A comment is written, changed and removed by its author (or an admin) — on every path, History's
    restore and the import included."""
    if row.get("author_id") != actor.id and not actor.is_admin:
        raise PermissionDenied("err.own_comments_only")


ENTITY = Entity("comment", "comments", CommentIn, authorize=_authorize, authorize_row=_own_comment,
                workflow_fields=frozenset({"author_id", "entity", "entity_id"}))


def mentioned_usernames(body: str) -> list[str]:
    """The @usernames in a text, in order, without repeats."""
    return list(dict.fromkeys(MENTION.findall(body or "")))


def resolve_mentions(db: Database, account_id: int, body: str) -> list[int]:
    """User ids for every @mention; refuses a name that is not an active user who can see the account."""
    ids: list[int] = []
    for name in mentioned_usernames(body):
        row = store.row(db, "SELECT id, username, display_name, global_role, lang FROM users "
                            "WHERE username = ? AND active = 1", [name])
        if row is None:
            raise ValidationError.single("mentions", "reason.unknown_mention", username=name)
        user = User(row["id"], row["username"], row["display_name"], row["global_role"], row["lang"])
        if not permissions.can_read(db, user, account_id):
            raise ValidationError.single("mentions", "reason.mention_not_on_team", username=name)
        ids.append(row["id"])
    return ids


def _target(db: Database, entity: str, entity_id: int) -> dict[str, Any]:
    """The record being commented on; NotFoundError if the kind or the row is unknown."""
    from kamcore.audit import entity_named

    if entity not in COMMENTABLE:
        raise ValidationError.single("entity", "reason.not_commentable")
    try:
        target = entity_named(entity)
    except NotFoundError:
        raise ValidationError.single("entity", "reason.not_commentable") from None
    row = records.get(db, target, entity_id)
    return row | {"_account_id": target.account_of(row)}


def add_comment(db: Database, actor: User, entity: str, entity_id: int, body: str) -> dict[str, Any]:
    """Comment on a record as `actor`, resolving @mentions (an unknown name refuses the whole comment)."""
    target = _target(db, entity, entity_id)
    account_id = target["_account_id"] if entity != "account" else entity_id
    if account_id is None:
        raise ValidationError.single("entity", "reason.not_commentable")
    permissions.require_read(db, actor, account_id)
    mentions = resolve_mentions(db, account_id, body)
    values = {"account_id": account_id, "entity": entity, "entity_id": entity_id, "author_id": actor.id,
              "body": body, "mentions": ",".join(str(m) for m in mentions)}
    return records.create(db, actor, ENTITY, values)


def edit_comment(db: Database, actor: User, comment_id: int, base_version: int, body: str) -> dict[str, Any]:
    """Change one's own comment text (mentions are re-read)."""
    current = records.get(db, ENTITY, comment_id)
    if current["author_id"] != actor.id and not actor.is_admin:
        raise PermissionDenied("err.own_comments_only")
    mentions = resolve_mentions(db, current["account_id"], body)
    return records.update(db, actor, ENTITY, comment_id, base_version,
                          {"body": body, "mentions": ",".join(str(m) for m in mentions)})


def delete_comment(db: Database, actor: User, comment_id: int, base_version: int) -> None:
    """Remove one's own comment."""
    current = records.get(db, ENTITY, comment_id)
    if current["author_id"] != actor.id and not actor.is_admin:
        raise PermissionDenied("err.own_comments_only")
    records.delete(db, actor, ENTITY, comment_id, base_version)


def account_comments(db: Database, actor: User, account_id: int, limit: int = 50,
                     lang: str = "en") -> list[dict[str, Any]]:
    """Recent comments on an account's records, newest first, each with the name of what it is on (`record`)."""
    permissions.require_read(db, actor, account_id)
    found = store.rows(
        db,
        """SELECT c.*, u.display_name AS author FROM comments c JOIN users u ON u.id = c.author_id
           WHERE c.account_id = ? ORDER BY c.created_at DESC, c.id DESC LIMIT ?""",
        [account_id, limit],
    )
    titles = audit.record_titles(db, {(c["entity"], c["entity_id"]) for c in found}, [], lang)
    for comment in found:
        comment["record"] = titles.get((comment["entity"], comment["entity_id"])) or audit.entity_label(
            comment["entity"], lang)
    return found


def my_mentions(db: Database, actor: User, days: int = 30, limit: int = 50) -> list[dict[str, Any]]:
    """Comments that mention the actor in the last `days`, newest first, on accounts they can still see."""
    since = (clock.now() - timedelta(days=days)).isoformat(timespec="seconds")
    visible = permissions.readable_account_ids(db, actor)
    if not visible or actor.id is None:
        return []
    marks = ",".join("?" for _ in visible)
    return store.rows(
        db,
        f"""SELECT c.*, u.display_name AS author, a.name AS account_name FROM comments c
            JOIN users u ON u.id = c.author_id JOIN accounts a ON a.id = c.account_id
            WHERE c.created_at >= ? AND c.account_id IN ({marks})
              AND ',' || c.mentions || ',' LIKE '%,' || ? || ',%'
            ORDER BY c.created_at DESC, c.id DESC LIMIT ?""",
        [since, *visible, actor.id, limit],
    )


def commentable_records(db: Database, actor: User, account_id: int, entity: str, limit: int = 200) -> dict[int, str]:
    """Id → name of the account's records of one kind, for a picker (a kind that cannot be commented on is refused)."""
    permissions.require_read(db, actor, account_id)
    if entity not in COMMENTABLE:
        raise ValidationError.single("entity", "reason.not_commentable")
    table = audit.entity_named(entity).table  # every commentable kind is a registered entity with its table
    columns = {c.name for c in db[table].columns}
    title = next((c for c in audit.TITLE_COLUMNS if c in columns), "id")
    where = "id = ?" if entity == "account" else "account_id = ?"
    found = db.execute(f"SELECT id, [{title}] FROM [{table}] WHERE {where} ORDER BY id DESC LIMIT ?",
                       [account_id, limit]).fetchall()
    return {row_id: str(text)[:80] for row_id, text in found}
