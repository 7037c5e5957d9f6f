"""Rhythm entries (D9): a personal daily log, a weekly plan and summary (due Friday 17:30), a monthly
plan and summary (due the 28th, 17:30), each reviewed by the team lead.

The team lead is the person an admin names as each user's lead (`users.lead_id`): only they review
that person's entries, and the person's late and missing entries are flagged for them. When no lead is
set, any executive (or admin) reviews, as before leads existed, and the Admin page lists the people
with no lead so the gap is seen. Nobody reviews their own entries. Deadlines are read on `kamcore.clock`, so tests fix the time. An entry
that names an account, deal or person is audited with that account, so it shows in "What changed".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from pydantic import Field, field_validator
from sqlite_utils import Database

from kamcore import clock, permissions, records, store, users
from kamcore.errors import PermissionDenied, ValidationError
from kamcore.records import Action, Entity, Record
from kamcore.users import User

KINDS = ("daily_log", "weekly_plan", "weekly_summary", "monthly_plan", "monthly_summary")
SUMMARIES = ("daily_log", "weekly_summary", "monthly_summary")  # about a period that must have begun
DUE_TIME = time(17, 30)
MONTH_DUE_DAY = 28
REMIND_BEFORE = {"daily_log": timedelta(hours=4), "weekly_plan": timedelta(days=1),
                 "weekly_summary": timedelta(days=1), "monthly_plan": timedelta(days=3),
                 "monthly_summary": timedelta(days=3)}
LOOKBACK_WEEKS = 5


class EntryIn(Record):
    """One entry: what kind, for which period, the text, and what it concerns."""

    author_id: int
    kind: Literal["daily_log", "weekly_plan", "weekly_summary", "monthly_plan", "monthly_summary"]
    period_start: date
    body: str = Field(min_length=1, max_length=8000)
    account_id: int | None = None
    opportunity_id: int | None = None
    stakeholder_id: int | None = None
    submitted_at: str
    review_status: Literal["pending", "reviewed"] = "pending"
    reviewed_by: int | None = None
    reviewed_at: str | None = None
    review_note: str = Field(default="", max_length=2000)

    @field_validator("account_id", "opportunity_id", "stakeholder_id", mode="before")
    @classmethod
    def _blank(cls, value: Any) -> Any:
        return None if value == "" else value


def _authorize(db: Database, actor: User, account_id: int | None, action: Action) -> None:
    """Anyone signed in keeps their own rhythm; an entry about an account needs that account readable."""
    if actor.id is None:
        raise PermissionDenied("err.permission")
    if account_id is not None:
        permissions.require_read(db, actor, account_id)


def _links_match(db: Database, values: dict[str, Any], row_id: int | None) -> None:
    """A linked deal or person belongs to the linked account."""
    for field_name, table in (("opportunity_id", "opportunities"), ("stakeholder_id", "stakeholders")):
        if values.get(field_name) is None:
            continue
        found = db.execute(f"SELECT account_id FROM [{table}] WHERE id = ?", [values[field_name]]).fetchone()
        if found is None or found[0] != values.get("account_id"):
            raise ValidationError.single(field_name, "reason.rhythm_link_account")


REVIEW_FIELDS = frozenset({"review_status", "reviewed_by", "reviewed_at", "review_note"})


def _own_entry(db: Database, actor: User, row: dict[str, Any], action: Action, changed: frozenset[str]) -> None:
    """An entry is personal: written, changed and removed by its author (or an admin, who imports a whole war
    room) on every path, History's restore included; its review fields are set only by the author's lead
    (`may_review`), never by the author."""
    if action == "update" and changed and changed <= REVIEW_FIELDS:
        if not may_review(db, actor, row["author_id"]):
            raise PermissionDenied("err.rhythm_lead_only")
        return
    if row.get("author_id") != actor.id and not actor.is_admin:
        raise PermissionDenied("err.rhythm_own_only")
    if changed & REVIEW_FIELDS and not actor.is_admin:
        raise PermissionDenied("err.rhythm_not_own_review")


def _readable_entries(db: Database, actor: User) -> tuple[str, list[Any]] | None:
    """The rule of `list_entries` and `get_entry`, for every other path (history, what changed, the export)."""
    if not keeps_rhythm(actor):
        return None
    visible = [actor.id, *team_of(db, actor)]
    return f"author_id IN ({','.join('?' for _ in visible)})", visible


ENTRY = Entity("rhythm_entry", "rhythm_entries", EntryIn, authorize=_authorize, extra_checks=(_links_match,),
               authorize_row=_own_entry, readable_rows=_readable_entries,
               workflow_fields=frozenset({"review_status", "reviewed_by", "reviewed_at", "submitted_at"}))


# ---- periods and deadlines ---------------------------------------------------------------------

def period_of(kind: str, day: date) -> date:
    """The first day of the period of this kind that contains `day` (a day, a Monday, a 1st)."""
    if kind.startswith("weekly"):
        return day - timedelta(days=day.weekday())
    if kind.startswith("monthly"):
        return day.replace(day=1)
    return day


def deadline(kind: str, period_start: date) -> datetime:
    """When an entry is due, as a UTC moment: a log by the end of its day; a weekly plan the Friday before its
    week and a weekly summary the Friday of its week, 17:30; monthly ones on the 28th, 17:30 (plans: the
    month before) — wall-clock times in the company's zone (17:30 in Beijing is 09:30 UTC)."""
    if kind == "daily_log":
        day, at_time = period_start, time(23, 59)
    elif kind == "weekly_plan":
        day, at_time = period_start - timedelta(days=3), DUE_TIME
    elif kind == "weekly_summary":
        day, at_time = period_start + timedelta(days=4), DUE_TIME
    elif kind == "monthly_plan":
        day, at_time = (period_start - timedelta(days=1)).replace(day=MONTH_DUE_DAY), DUE_TIME
    else:
        day, at_time = period_start.replace(day=MONTH_DUE_DAY), DUE_TIME
    return clock.moment_of(day, at_time)


def is_late(entry: dict[str, Any]) -> bool:
    """Was the entry handed in after its deadline?"""
    submitted = clock.local(entry["submitted_at"], "UTC")
    return submitted > deadline(entry["kind"], date.fromisoformat(str(entry["period_start"])))


def keeps_rhythm(user: User) -> bool:
    """Members keep a rhythm; executives and admins review it and are not reminded to keep one."""
    return not (user.is_admin or user.is_executive)


def may_review(db: Database, actor: User, author_id: int) -> bool:
    """The author's lead reviews; with no lead set, any executive or admin; never the author."""
    if actor.id is None or actor.id == author_id:
        return False
    lead = users.lead_of(db, author_id)
    if lead is not None:
        return actor.id == lead
    return actor.is_admin or actor.is_executive


def team_of(db: Database, actor: User) -> list[int]:
    """The people whose rhythm the actor reviews: those who name them as lead, and (for an executive or
    admin) every active member with no lead set."""
    if actor.id is None:
        return []
    fallback = "OR (lead_id IS NULL AND global_role = 'member')" if actor.is_admin or actor.is_executive else ""
    return [r[0] for r in db.execute(f"SELECT id FROM users WHERE active = 1 AND id != ? AND (lead_id = ? {fallback})"
                                     " ORDER BY id", [actor.id, actor.id])]


def is_lead(db: Database, actor: User) -> bool:
    """Does the actor review anyone's rhythm?"""
    return bool(team_of(db, actor))


# ---- writing -----------------------------------------------------------------------------------

def write_entry(db: Database, actor: User, values: dict[str, Any]) -> dict[str, Any]:
    """Hand in an entry (its period normalised to the day, Monday or 1st); a summary of a period that
    has not begun yet is refused."""
    data = dict(values)
    kind = data.get("kind")
    raw = data.get("period_start") or clock.today()
    try:
        day = raw if isinstance(raw, date) else date.fromisoformat(str(raw))
    except ValueError:
        raise ValidationError.single("period_start", "reason.date_type") from None
    if kind in KINDS:
        day = period_of(kind, day)
        if kind in SUMMARIES and day > period_of(kind, clock.today()):
            raise ValidationError.single("period_start", "reason.rhythm_future")
        found = db.execute("SELECT submitted_at FROM rhythm_entries WHERE author_id = ? AND kind = ? AND period_start = ?",
                           [actor.id, kind, day.isoformat()]).fetchone()
        if found:  # one per kind and period (a UNIQUE constraint): say which one, not "already used by another record"
            raise ValidationError.single("period_start", "reason.rhythm_already", period=day.isoformat(),
                                         at=clock.stamp(str(found[0])))
    data.update(author_id=actor.id, period_start=day, submitted_at=clock.now_iso())
    return records.create(db, actor, ENTRY, data)


def review(db: Database, actor: User, entry_id: int, base_version: int, note: str = "") -> dict[str, Any]:
    """The author's team lead marks an entry reviewed, with a note; anyone else is refused and nothing is written."""
    current = records.get(db, ENTRY, entry_id)
    if not may_review(db, actor, current["author_id"]):
        lead = users.lead_of(db, current["author_id"])
        if actor.id == current["author_id"]:
            raise PermissionDenied("err.rhythm_not_own_review")
        if lead is not None:
            raise PermissionDenied("err.rhythm_not_your_lead", author=users.get_user(db, current["author_id"]).display_name,
                                   lead=users.get_user(db, lead).display_name)
        raise PermissionDenied("err.rhythm_lead_only")
    return records.update(db, actor, ENTRY, entry_id, base_version, {
        "review_status": "reviewed", "reviewed_by": actor.id, "reviewed_at": clock.now_iso(), "review_note": note})


# ---- reading -----------------------------------------------------------------------------------

def list_entries(db: Database, actor: User, author_id: int | None = None, since: date | None = None,
                 kind: str | None = None, entry_id: int | None = None) -> list[dict[str, Any]]:
    """Entries newest first: a member sees their own and their team's (those they lead), an executive or admin
    everyone's; with names and a late mark."""
    where, params = ["1 = 1"], []
    readable = _readable_entries(db, actor)
    if readable is not None:
        where.append(f"e.{readable[0]}")
        params.extend(readable[1])
    if author_id is not None:
        where.append("e.author_id = ?")
        params.append(author_id)
    if since is not None:
        where.append("e.period_start >= ?")
        params.append(since.isoformat())
    if kind:
        where.append("e.kind = ?")
        params.append(kind)
    if entry_id is not None:
        where.append("e.id = ?")
        params.append(entry_id)
    rows = store.rows(db, f"""SELECT e.*, u.display_name AS author, coalesce(r.display_name, '') AS reviewer,
                                     coalesce(a.name, '') AS account_name, coalesce(o.name, '') AS opportunity_name,
                                     coalesce(s.name, '') AS stakeholder_name
                              FROM rhythm_entries e JOIN users u ON u.id = e.author_id
                              LEFT JOIN users r ON r.id = e.reviewed_by
                              LEFT JOIN accounts a ON a.id = e.account_id
                              LEFT JOIN opportunities o ON o.id = e.opportunity_id
                              LEFT JOIN stakeholders s ON s.id = e.stakeholder_id
                              WHERE {' AND '.join(where)}
                              ORDER BY e.period_start DESC, e.submitted_at DESC, e.id DESC LIMIT 500""", params)
    for row in rows:
        row["late"] = is_late(row)
        row["due"] = deadline(row["kind"], date.fromisoformat(row["period_start"]))
    return rows


def get_entry(db: Database, actor: User, entry_id: int) -> dict[str, Any] | None:
    """One entry as `list_entries` shows it, or None when the actor may not see it (or it is gone)."""
    found = list_entries(db, actor, entry_id=entry_id)
    return found[0] if found else None


@dataclass
class Due:
    """An entry someone owes: what, for which period, by when, and whether it is already late."""

    user_id: int
    name: str
    kind: str
    period_start: date
    due: datetime
    overdue: bool


def _expected(now: datetime) -> list[tuple[str, date]]:
    """The weekly and monthly entries whose deadlines fall around now (this and last period, next plans), on
    the company's calendar."""
    today = clock.local(now).date()
    monday = period_of("weekly_summary", today)
    first = today.replace(day=1)
    last_month = (first - timedelta(days=1)).replace(day=1)
    next_month = (first + timedelta(days=32)).replace(day=1)
    return [("weekly_summary", monday - timedelta(days=7)), ("weekly_summary", monday),
            ("weekly_plan", monday), ("weekly_plan", monday + timedelta(days=7)),
            ("monthly_summary", last_month), ("monthly_summary", first),
            ("monthly_plan", first), ("monthly_plan", next_month), ("daily_log", today)]


def _written(db: Database, user_id: int) -> set[tuple[str, str]]:
    return {(k, p) for k, p in db.execute("SELECT kind, period_start FROM rhythm_entries WHERE author_id = ?",
                                         [user_id]).fetchall()}


def reminders(db: Database, actor: User, now: datetime | None = None) -> list[Due]:
    """What the actor still owes: due within its reminder window, or already overdue (this period)."""
    if not keeps_rhythm(actor):
        return []  # executives review the rhythm; they are not reminded to keep one
    moment = now or clock.now()
    done = _written(db, actor.id)
    out = []
    for kind, period in _expected(moment):
        due = deadline(kind, period)
        if (kind, period.isoformat()) in done or moment < due - REMIND_BEFORE[kind]:
            continue
        if moment > due and moment - due > timedelta(days=7):
            continue  # older gaps are the lead's list, not a reminder
        out.append(Due(actor.id, actor.display_name, kind, period, due, moment > due))
    return sorted(out, key=lambda d: d.due)


def rhythm_members(db: Database) -> list[tuple[int, str]]:
    """People who keep a rhythm: active members of an account team (editing role) who have handed in
    at least one entry — the team adopts the rhythm person by person, and a newcomer is not flagged
    for weeks before they started."""
    return db.execute("""SELECT DISTINCT u.id, u.display_name FROM users u JOIN account_team t ON t.user_id = u.id
                         WHERE u.active = 1 AND t.role IN (?, ?, ?)
                           AND EXISTS (SELECT 1 FROM rhythm_entries e WHERE e.author_id = u.id)
                         ORDER BY u.display_name""", list(permissions.EDITING_ROLES)).fetchall()


def late_for_lead(db: Database, actor: User, now: datetime | None = None) -> dict[str, list[Any]]:
    """For a lead: their team's summaries and plans handed in late (recent weeks) and those still missing past
    their deadline."""
    team = set(team_of(db, actor))
    if not team:
        raise PermissionDenied("err.rhythm_lead_only")
    moment = now or clock.now()
    since = period_of("weekly_summary", clock.local(moment).date()) - timedelta(weeks=LOOKBACK_WEEKS)
    late = [row for row in list_entries(db, actor, since=since)
            if row["author_id"] in team and row["kind"] != "daily_log" and row["late"]]
    missing = []
    for user_id, name in rhythm_members(db):
        if user_id not in team:
            continue
        done = _written(db, user_id)
        for kind, period in _expected(moment):
            due = deadline(kind, period)
            if kind != "daily_log" and moment > due and (kind, period.isoformat()) not in done:
                missing.append(Due(user_id, name, kind, period, due, True))
    return {"late": late, "missing": sorted(missing, key=lambda d: (d.due, d.name))}


def pending_reviews(db: Database, actor: User) -> list[dict[str, Any]]:
    """Entries of the actor's team not reviewed yet — daily logs, weekly and monthly plans and summaries, each
    reviewed by the lead (D9) — oldest first."""
    team = set(team_of(db, actor))
    if not team:
        return []
    rows = [r for r in list_entries(db, actor) if r["author_id"] in team and r["review_status"] == "pending"]
    return sorted(rows, key=lambda r: (r["period_start"], r["author"]))


def link_choices(db: Database, actor: User, account_id: int | None = None) -> dict[str, dict[int, str]]:
    """What an entry may concern, by name: the readable accounts and, once one is picked (`account_id`), its
    open deals and its people (only that account's: an executive's 70,000 deals are never all listed)."""
    ids = permissions.readable_account_ids(db, actor)
    out: dict[str, dict[int, str]] = {"account": {}, "opportunity": {}, "stakeholder": {}}
    if not ids:
        return out
    out["account"] = dict(db.execute(
        "SELECT id, name FROM accounts WHERE id IN (SELECT value FROM json_each(?)) ORDER BY name", [json.dumps(ids)]))
    if account_id in out["account"]:
        out["opportunity"] = dict(db.execute("SELECT id, name FROM opportunities WHERE account_id = ? "
                                             "AND status = 'open' ORDER BY name", [account_id]))
        out["stakeholder"] = dict(db.execute("SELECT id, name FROM stakeholders WHERE account_id = ? ORDER BY name",
                                             [account_id]))
    return out


def lead_view(db: Database, actor: User, now: datetime | None = None) -> dict[str, Any] | None:
    """What a lead sees of their team's rhythm (None when the actor leads nobody): the entries handed in late,
    those missing past their deadline, those waiting for review, and `counts` of each — the one source of the
    digest on My work and of the figures on the rhythm page's lead tab."""
    if not is_lead(db, actor):
        return None
    flagged = late_for_lead(db, actor, now)
    waiting = pending_reviews(db, actor)
    return {"late": flagged["late"], "missing": flagged["missing"], "to_review": waiting,
            "counts": {"late": len(flagged["late"]), "missing": len(flagged["missing"]), "to_review": len(waiting)}}


def lead_digest(db: Database, actor: User, now: datetime | None = None) -> dict[str, int] | None:
    """For My work: how many of the team's entries came in late, are missing, or wait for review (None when
    the actor leads nobody)."""
    view = lead_view(db, actor, now)
    return None if view is None else view["counts"]
