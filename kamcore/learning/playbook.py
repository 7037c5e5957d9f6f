"""The playbook (D10): lessons promoted to best practices, searchable and tagged, linked to their deals.

"Success stops depending on a few stars": a best practice is company-wide, so
every signed-in user reads it; the deals it came from are named only to people
who may see those accounts.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator
from sqlite_utils import Database

from kamcore import permissions, records, store
from kamcore.errors import PermissionDenied, ValidationError
from kamcore.learning.retrospectives import LESSON
from kamcore.records import Action, Entity, Record
from kamcore.users import User

MAX_TAGS = 12


class EntryIn(Record):
    """A best practice: what to do, and where it applies (industry, stage, factor dimension, tags)."""

    title: str = Field(min_length=1, max_length=200)
    practice: str = Field(min_length=1, max_length=6000)
    industry: str = Field(default="", max_length=60)
    stage: str = Field(default="", max_length=40)
    dimension: Literal["relationship", "solution", "commercial", "delivery", "competition", "collaboration"]
    tags: str = Field(default="", max_length=400)
    owner_id: int | None = None

    @field_validator("tags", mode="before")
    @classmethod
    def _normalise_tags(cls, value: Any) -> Any:
        """Tags are stored as one comma-separated, lower-case, de-duplicated list."""
        if isinstance(value, (list, tuple)):
            value = ",".join(str(v) for v in value)
        if not isinstance(value, str):
            return value
        tags = []
        for raw in re.split(r"[,，;；]", value):
            tag = raw.strip().lower()
            if tag and tag not in tags:
                tags.append(tag)
        return ",".join(tags[:MAX_TAGS])


def _authorize(db: Database, actor: User, account_id: int | None, action: Action) -> None:
    """Anyone who edits some account writes in the playbook (who may change an entry is checked by its author)."""
    if actor.is_admin:
        return
    if not any(permissions.can_edit(db, actor, a) for a in permissions.readable_account_ids(db, actor)):
        raise PermissionDenied("err.playbook_editors_only")


def _owner_row(db: Database, actor: User, row: dict[str, Any], action: Action, changed: frozenset[str]) -> None:
    """Every path (History's restore, the import) keeps the author check of `update_entry`/`delete_entry`."""
    if action == "create":
        if not (actor.is_admin or row.get("owner_id") == actor.id):
            raise PermissionDenied("err.playbook_author_only")
        return
    _author_or_admin(actor, row)


ENTITY = Entity("playbook_entry", "playbook_entries", EntryIn, account_field=None, authorize=_authorize,
                authorize_row=_owner_row, workflow_fields=frozenset({"owner_id"}))


def _author_or_admin(actor: User, entry: dict[str, Any]) -> None:
    """A best practice is changed or retired by its author or an admin."""
    if not (actor.is_admin or entry.get("owner_id") == actor.id):
        raise PermissionDenied("err.playbook_author_only")


def promote(db: Database, actor: User, lesson_id: int, base_version: int, values: dict[str, Any]) -> dict[str, Any]:
    """Turn a lesson into a new best practice and link the lesson to it, in one transaction."""
    with store.transaction(db):
        lesson = records.get(db, LESSON, lesson_id)
        permissions.require_edit(db, actor, lesson["account_id"])
        if lesson["playbook_entry_id"] is not None:
            raise ValidationError.single("playbook_entry_id", "reason.lesson_already_promoted")
        industry = db.execute("SELECT industry FROM accounts WHERE id = ?", [lesson["account_id"]]).fetchone()[0]
        defaults = {"title": lesson["title"], "practice": lesson["detail"] or lesson["title"],
                    "industry": industry, "stage": lesson["stage"], "dimension": lesson["dimension"],
                    "owner_id": actor.id}
        entry = records.create(db, actor, ENTITY, {**defaults, **values, "owner_id": actor.id})
        records.update(db, actor, LESSON, lesson_id, base_version, {"playbook_entry_id": entry["id"]})
    return entry


def link_lesson(db: Database, actor: User, lesson_id: int, base_version: int, entry_id: int) -> dict[str, Any]:
    """Add a lesson from another deal as further evidence for an existing best practice."""
    records.get(db, ENTITY, entry_id)
    return records.update(db, actor, LESSON, lesson_id, base_version, {"playbook_entry_id": entry_id})


def update_entry(db: Database, actor: User, entry_id: int, base_version: int,
                 changes: dict[str, Any]) -> dict[str, Any]:
    """Edit a best practice (its author or an admin), refusing a stale version."""
    entry = records.get(db, ENTITY, entry_id)
    _author_or_admin(actor, entry)
    if "owner_id" in changes:
        raise ValidationError.single("owner_id", "reason.read_only")
    return records.update(db, actor, ENTITY, entry_id, base_version, changes)


def delete_entry(db: Database, actor: User, entry_id: int, base_version: int) -> None:
    """Retire a best practice (its author or an admin); its lessons are unlinked, each change audited."""
    entry = records.get(db, ENTITY, entry_id)
    _author_or_admin(actor, entry)
    with store.transaction(db):
        for lesson in store.rows(db, "SELECT id, version, account_id FROM lessons WHERE playbook_entry_id = ?",
                                 [entry_id]):
            records.update(db, actor, LESSON, lesson["id"], lesson["version"],
                           {"playbook_entry_id": None})
        records.delete(db, actor, ENTITY, entry_id, base_version)


def get_entry(db: Database, actor: User, entry_id: int) -> dict[str, Any]:
    """One best practice with the deals it came from."""
    entry = records.get(db, ENTITY, entry_id)
    owner = db.execute("SELECT display_name FROM users WHERE id = ?", [entry["owner_id"]]).fetchone()
    return {**entry, "owner_name": owner[0] if owner else None,
            "tag_list": [t for t in entry["tags"].split(",") if t],
            "sources": sources(db, actor, [entry_id]).get(entry_id, [])}


def search(db: Database, actor: User, text: str = "", *, industry: str = "", stage: str = "",
           dimension: str = "", tag: str = "", limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
    """Best practices matching free text and tag filters, newest first, each with its source deals."""
    clauses, params = ["1 = 1"], []
    words = [w for w in text.strip().split() if w][:8]
    for word in words:
        like = f"%{_escape_like(word)}%"
        clauses.append("(e.title LIKE ? ESCAPE '\\' OR e.practice LIKE ? ESCAPE '\\' OR e.tags LIKE ? ESCAPE '\\')")
        params += [like, like, like]
    for column, value in (("industry", industry), ("stage", stage), ("dimension", dimension)):
        if value:
            clauses.append(f"e.{column} = ?")
            params.append(value)
    if tag:
        clauses.append("(',' || e.tags || ',') LIKE ? ESCAPE '\\'")
        params.append(f"%,{_escape_like(tag.strip().lower())},%")
    found = store.rows(
        db,
        f"""SELECT e.*, u.display_name AS owner_name,
                   (SELECT count(*) FROM lessons l WHERE l.playbook_entry_id = e.id) AS lessons
            FROM playbook_entries e LEFT JOIN users u ON u.id = e.owner_id
            WHERE {" AND ".join(clauses)} ORDER BY e.updated_at DESC, e.id DESC LIMIT ? OFFSET ?""",
        [*params, limit, offset],
    )
    linked = sources(db, actor, [e["id"] for e in found])
    for entry in found:
        entry["sources"] = linked.get(entry["id"], [])
        entry["tag_list"] = [t for t in entry["tags"].split(",") if t]
    return found


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def sources(db: Database, actor: User, entry_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """The lessons behind each entry with their retrospective and deal; foreign accounts stay anonymous."""
    if not entry_ids:
        return {}
    marks = ",".join("?" for _ in entry_ids)
    readable = set(permissions.readable_account_ids(db, actor))
    rows = store.rows(
        db,
        f"""SELECT l.playbook_entry_id AS entry_id, l.id AS lesson_id, l.title AS lesson,
                   r.id AS retrospective_id, r.title AS retrospective, r.result, r.opportunity_id,
                   acc.id AS account_id, acc.name AS account
            FROM lessons l JOIN retrospectives r ON r.id = l.retrospective_id
            JOIN accounts acc ON acc.id = l.account_id
            WHERE l.playbook_entry_id IN ({marks}) ORDER BY l.id""",
        entry_ids,
    )
    out: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        if row["account_id"] not in readable:
            row = {**row, "account": None, "retrospective": None, "lesson": None, "account_id": None,
                   "retrospective_id": None, "opportunity_id": None}
        out.setdefault(row.pop("entry_id"), []).append(row)
    return out


def facets(db: Database) -> dict[str, list[str]]:
    """The industries, stages, dimensions and tags in use (for the filter pickers)."""
    out = {}
    for column in ("industry", "stage", "dimension"):
        out[column] = [r[0] for r in db.execute(
            f"SELECT DISTINCT {column} FROM playbook_entries WHERE {column} != '' ORDER BY {column}").fetchall()]
    tags: set[str] = set()
    for (text,) in db.execute("SELECT tags FROM playbook_entries WHERE tags != ''").fetchall():
        tags.update(t for t in text.split(",") if t)
    out["tag"] = sorted(tags)
    return out


def count(db: Database) -> int:
    """How many best practices the playbook holds."""
    return db.execute("SELECT count(*) FROM playbook_entries").fetchone()[0]
