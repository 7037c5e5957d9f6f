"""The audit log read back: an account's history, restoring an earlier value, and
"what changed since" (the huddle builds on it).

Rows are written only by `records.write_audit`, inside the change's transaction.
"""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from kamcore import permissions, records, store
from kamcore.errors import NotFoundError, PermissionDenied, ValidationError
from kamcore.records import Entity
from kamcore.users import User

PAGE_SIZE = 100


def history(
    db: Database,
    actor: User,
    account_id: int,
    *,
    actor_id: int | None = None,
    entity: str | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int = PAGE_SIZE,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """An account's audit rows, newest first, filtered and paged in SQL."""
    permissions.require_read(db, actor, account_id)
    where, params = _filters(account_id, actor_id, entity, since, until)
    found = store.rows(
        db,
        f"""SELECT a.id, a.at, a.actor_id, coalesce(u.display_name, 'System') AS actor, a.entity,
                   a.entity_id, a.account_id, a.action, a.field, a.old_value, a.new_value, a.version
            FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id
            WHERE {where} ORDER BY a.at DESC, a.id DESC LIMIT ? OFFSET ?""",
        [*params, limit, offset],
    )
    for row in found:
        row["old_value"] = records.decode(row["old_value"])
        row["new_value"] = records.decode(row["new_value"])
    return with_reference_names(db, found)


def count_history(db: Database, actor: User, account_id: int, *, actor_id: int | None = None,
                  entity: str | None = None, since: str | None = None, until: str | None = None) -> int:
    """How many audit rows match the same filters as `history`."""
    permissions.require_read(db, actor, account_id)
    where, params = _filters(account_id, actor_id, entity, since, until)
    return db.execute(f"SELECT count(*) FROM audit_log a WHERE {where}", params).fetchone()[0]


def _filters(account_id: int, actor_id: int | None, entity: str | None, since: str | None,
             until: str | None) -> tuple[str, list[Any]]:
    clauses, params = ["a.account_id = ?"], [account_id]
    for clause, value in (("a.actor_id = ?", actor_id), ("a.entity = ?", entity),
                          ("a.at >= ?", since), ("a.at < ?", until)):
        if value is not None:
            clauses.append(clause)
            params.append(value)
    return " AND ".join(clauses), params


# reference fields shown by name instead of id: field -> (table, label column)
REFERENCES = {
    "account_id": ("accounts", "name"),
    "user_id": ("users", "display_name"),
    "owner_id": ("users", "display_name"),
    "author_id": ("users", "display_name"),
    "product_line_id": ("product_lines", "code"),
    "opportunity_id": ("opportunities", "name"),
    "stakeholder_id": ("stakeholders", "name"),
    "target_id": ("stakeholders", "name"),
    "source_id": ("stakeholders", "name"),
}


def with_reference_names(db: Database, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Replace ids in reference fields (owner_id, account_id…) by the name they point to, where it exists."""
    wanted: dict[str, set[int]] = {}
    for row in rows:
        if row.get("field") in REFERENCES:
            for value in (row["old_value"], row["new_value"]):
                if isinstance(value, int):
                    wanted.setdefault(row["field"], set()).add(value)
    names: dict[tuple[str, int], str] = {}
    for field_name, ids in wanted.items():
        table, column = REFERENCES[field_name]
        if not db[table].exists():
            continue
        marks = ",".join("?" for _ in ids)
        for row_id, label in db.execute(f"SELECT id, [{column}] FROM [{table}] WHERE id IN ({marks})", list(ids)):
            names[(field_name, row_id)] = label
    for row in rows:
        for side in ("old_value", "new_value"):
            row[side] = names.get((row.get("field"), row[side]), row[side]) if isinstance(row[side], int) else row[side]
    return rows


def history_facets(db: Database, actor: User, account_id: int) -> dict[str, list[Any]]:
    """The people and entity kinds that appear in an account's history (for filter pickers)."""
    permissions.require_read(db, actor, account_id)
    people = store.rows(
        db,
        "SELECT DISTINCT a.actor_id AS id, coalesce(u.display_name, 'System') AS name FROM audit_log a "
        "LEFT JOIN users u ON u.id = a.actor_id WHERE a.account_id = ? ORDER BY name",
        [account_id],
    )
    kinds = [r[0] for r in db.execute(
        "SELECT DISTINCT entity FROM audit_log WHERE account_id = ? ORDER BY entity", [account_id]
    ).fetchall()]
    return {"people": people, "entities": kinds}


def _refusal(entry: dict[str, Any]) -> ValidationError | None:
    """Why an audit row cannot be restored, or None: one rule for the History page and `restore`."""
    if entry["action"] not in ("update", "restore") or entry["field"] is None:
        return ValidationError.single("record", "reason.not_restorable")
    if entry["old_value"] in (records.HIDDEN, records.REDACTED) or entry["action"] == "redact":
        return ValidationError.single(entry["field"], "reason.not_restorable")
    if entry["field"] in entity_named(entry["entity"]).workflow_fields:
        # e.g. a stage: moving it back must pass its own rules
        return ValidationError.single(entry["field"], "reason.not_restorable_workflow")
    return None


def restorable(db: Database, actor: User, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The audit rows `actor` may restore: what `restore` would accept, but for a newer version."""
    return [row for row in rows if _refusal(row) is None and _may_write(db, actor, row)]


def _may_write(db: Database, actor: User, row: dict[str, Any]) -> bool:
    try:
        records.authorize(db, actor, entity_named(row["entity"]), row["account_id"], "update")
    except PermissionDenied:
        return False
    return True


def restore(db: Database, actor: User, audit_id: int, base_version: int) -> dict[str, Any]:
    """Put a field back to the value it had before audit row `audit_id`.

    The restore is an ordinary versioned write: refused if the row has moved past
    `base_version`, checked by the entity's own authorization, and audited with action 'restore'.
    """
    entry = store.row(db, "SELECT * FROM audit_log WHERE id = ?", [audit_id])
    if entry is None:
        raise NotFoundError("err.not_found_entity", entity="audit", id=audit_id)
    if entry["account_id"] is not None:
        permissions.require_read(db, actor, entry["account_id"])
    refusal = _refusal(entry)
    if refusal is not None:
        raise refusal
    return records.update(
        db, actor, entity_named(entry["entity"]), entry["entity_id"], base_version,
        {entry["field"]: records.decode(entry["old_value"])}, action="restore",
    )


def current_version(db: Database, entity_name: str, entity_id: int) -> int | None:
    """The row's version now, or None if it no longer exists."""
    entity = entity_named(entity_name)
    found = db.execute(f"SELECT version FROM [{entity.table}] WHERE id = ?", [entity_id]).fetchone()
    return found[0] if found else None


def changes_since(db: Database, actor: User, account_ids: list[int], since: str,
                  limit: int = 500) -> list[dict[str, Any]]:
    """Audit rows for the given accounts after `since`, oldest first (what changed since the last huddle)."""
    for account_id in account_ids:
        permissions.require_read(db, actor, account_id)
    if not account_ids:
        return []
    marks = ",".join("?" for _ in account_ids)
    found = store.rows(
        db,
        f"""SELECT a.*, coalesce(u.display_name, 'System') AS actor FROM audit_log a
            LEFT JOIN users u ON u.id = a.actor_id
            WHERE a.account_id IN ({marks}) AND a.at > ? ORDER BY a.id LIMIT ?""",
        [*account_ids, since, limit],
    )
    for row in found:
        row["old_value"] = records.decode(row["old_value"])
        row["new_value"] = records.decode(row["new_value"])
    return found


def entity_named(name: str) -> Entity:
    """The Entity registered under `name` (every kamcore module is imported once to find it)."""
    return records.entity(name)
