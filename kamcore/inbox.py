"""What waits for a person in *My work* (issue 31 item 3): @mentions of them and actions someone else assigned
to them since they last opened the page — the unread count beside *My work* in the navigation."""

from __future__ import annotations

from datetime import timedelta

from sqlite_utils import Database

from kamcore import clock, permissions, store
from kamcore.users import User

PAGE = "my_work"
WINDOW = timedelta(days=30)  # nothing older counts as unread (and the count stays one short range scan)
ASSIGNABLE = ("huddle_item", "relationship_action", "improvement_action", "barrier_action", "visit", "proposal_step",
              "opportunity")


def _since(db: Database, person: User) -> str:
    mark = store.row(db, "SELECT read_at FROM read_marks WHERE user_id = ? AND what = ?", [person.id, PAGE])
    floor = (clock.now() - WINDOW).isoformat(timespec="seconds")
    return max(mark["read_at"], floor) if mark else floor


def unread(db: Database, person: User) -> dict[str, int]:
    """{"mentions": n, "assigned": n}: comments mentioning the person and actions assigned to them by someone
    else, on accounts they can see, after they last opened *My work* (at most 30 days back)."""
    if person.id is None:
        return {"mentions": 0, "assigned": 0}
    visible = permissions.readable_account_ids(db, person)
    if not visible:
        return {"mentions": 0, "assigned": 0}
    since, marks = _since(db, person), ",".join("?" for _ in visible)
    mentions = db.execute(
        f"""SELECT count(*) FROM comments WHERE created_at > ? AND account_id IN ({marks}) AND author_id <> ?
              AND ',' || mentions || ',' LIKE '%,' || ? || ',%'""", [since, *visible, person.id, person.id]
    ).fetchone()[0]
    kinds = ",".join("?" for _ in ASSIGNABLE)
    assigned = db.execute(
        f"""SELECT count(DISTINCT entity || ':' || entity_id) FROM audit_log
            WHERE at > ? AND field = 'owner_id' AND new_value = ? AND coalesce(actor_id, -1) <> ?
              AND entity IN ({kinds}) AND account_id IN ({marks})""",
        [since, str(person.id), person.id, *ASSIGNABLE, *visible]).fetchone()[0]
    return {"mentions": mentions, "assigned": assigned}


def unread_count(db: Database, person: User) -> int:
    """The number beside *My work*."""
    return sum(unread(db, person).values())


def mark_read(db: Database, person: User) -> None:
    """The person has opened *My work*: what came before now is read."""
    if person.id is None:
        return
    with store.transaction(db):
        db.execute("""INSERT INTO read_marks (user_id, what, read_at) VALUES (?, ?, ?)
                      ON CONFLICT (user_id, what) DO UPDATE SET read_at = excluded.read_at""",
                   [person.id, PAGE, clock.now_iso()])
