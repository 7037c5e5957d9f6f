"""Recent activity across the accounts a user can see (the home page's feed)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlite_utils import Database

from kamcore import audit, clock, data_cache, records, store
from kamcore.users import User


def recent_changes(db: Database, actor: User, days: int = 7, limit: int = 80,
                   lang: str = "en") -> list[dict[str, Any]]:
    """The newest audit rows on the actor's accounts within `days`, with account and record names."""
    since = (clock.now() - timedelta(days=days)).isoformat(timespec="seconds")
    scope, params = _scope(db, actor)
    found = store.rows(
        db,
        f"""SELECT a.id, a.at, coalesce(u.display_name, 'System') AS actor, acc.name AS account,
                   a.account_id, a.entity, a.entity_id, a.action, a.field, a.old_value, a.new_value
            FROM audit_log a
            JOIN accounts acc ON acc.id = a.account_id
            LEFT JOIN users u ON u.id = a.actor_id
            WHERE a.at >= ? {scope}
            ORDER BY a.id DESC LIMIT ?""",
        [since, *params, limit],
    )
    for row in found:
        row["old_value"] = records.decode(row["old_value"])
        row["new_value"] = records.decode(row["new_value"])
    return audit.named(db, audit.with_reference_names(db, found, lang), lang)


def change_count(db: Database, actor: User, days: int = 7) -> int:
    """How many edits (one per record and moment, however many fields) were made on the actor's accounts
    since the start of the minute `days` ago. Kept until the next write anywhere (or the next minute): at
    L the count reads ~100,000 audit rows of the week."""
    since = (clock.now() - timedelta(days=days)).replace(second=0, microsecond=0).isoformat(timespec="seconds")
    scope, params = _scope(db, actor)

    def count() -> int:
        return db.execute(
            f"SELECT count(*) FROM (SELECT DISTINCT a.entity, a.entity_id, a.at FROM audit_log a "
            f"WHERE a.account_id IS NOT NULL AND a.at >= ? {scope})",
            [since, *params],
        ).fetchone()[0]

    return data_cache.cached(db, "activity.change_count", (since, *params), count)


def _scope(db: Database, actor: User) -> tuple[str, list[Any]]:
    if actor.is_admin or actor.is_executive:
        return "", []
    return ("AND a.account_id IN (SELECT account_id FROM account_team WHERE user_id = ?)", [actor.id])
