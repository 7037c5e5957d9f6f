"""The team's calendar (issue 31): visits, dated actions, huddles, tender deadlines, customer reviews and rhythm
deadlines as RFC 5545 events, for a `.ics` download on their page and one secret subscription feed per person.

Every event has a stable UID (`<entity>-<id>@kam-war-room`), so a calendar that imported it once updates it:
SEQUENCE is the row's version and a cancelled or dropped record is sent as STATUS:CANCELLED. Timed events are
written in the company time zone, which the calendar carries as a VTIMEZONE. Titles are in the reader's language.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
from sqlite_utils import Database

from kamcore import clock, permissions, settings, store, time_zones, users
from kamcore.huddle.what_changed import link_for
from kamcore.i18n import t
from kamcore.proposals import rooms
from kamcore.rhythm import entries
from kamcore.users import User

KINDS = ("visit", "action", "huddle", "tender", "review", "rhythm")
UID_DOMAIN = "kam-war-room"
FEED_PATH = "/_kam/calendar"
RHYTHM_WEEKS = 6  # a feed carries the rhythm deadlines of the coming six weeks (and the two past ones)


def company_zone(db: Database) -> ZoneInfo:
    """The company's time zone (Admin → Settings), which every event of the calendar is written in."""
    return clock.zone(time_zones.company_zone(db))


def public_url() -> str:
    """The address people open the app at (the first of `$KAM_PUBLIC_URL`'s comma-separated addresses, e.g.
    https://warroom.example.com), without a trailing slash; every calendar event and mail links back through it."""
    configured = settings.current().public_urls
    return (configured[0] if configured else "http://localhost:8501").rstrip("/")


@dataclass(frozen=True)
class CalendarItem:
    """One event: what it is about, when, and whether it still stands."""

    uid: str
    kind: str  # one of KINDS
    title_key: str  # i18n key with {title} and {account}
    title: str
    account_id: int | None
    account_name: str
    start: date | datetime  # a date: an all-day event; a datetime: aware, shown in the company zone
    version: int
    cancelled: bool
    link: str
    owner_id: int | None = None

    def summary(self, lang: str) -> str:
        """The event's title in `lang`."""
        return t(self.title_key, lang, title=self.title, account=self.account_name)


def _marks(ids: list[int]) -> str:
    return ",".join("?" for _ in ids)


def _rows(db: Database, sql: str, account_ids: list[int]) -> list[dict[str, Any]]:
    return store.rows(db, sql.format(marks=_marks(account_ids)), list(account_ids))


def _day(value: str) -> date:
    return date.fromisoformat(str(value)[:10])


def _visits(db: Database, account_ids: list[int], zone: ZoneInfo) -> list[CalendarItem]:
    found = _rows(db, """SELECT v.id, v.account_id, a.name AS account_name, v.planned_on, v.visited_on, v.status,
                                v.version, v.owner_id, coalesce(s.name, '') AS person, v.goal
                         FROM visits v JOIN accounts a ON a.id = v.account_id
                         LEFT JOIN stakeholders s ON s.id = v.stakeholder_id
                         WHERE v.account_id IN ({marks})""", account_ids)
    return [CalendarItem(f"visit-{r['id']}", "visit", "cal.visit", " · ".join(x for x in (r["person"], r["goal"]) if x),
                         r["account_id"], r["account_name"], _day(r["visited_on"] or r["planned_on"]), r["version"],
                         r["status"] == "cancelled", link_for("visit", r["account_id"]), r["owner_id"])
            for r in found]


ACTION_TABLES = (  # (entity, table, title column, due column, statuses meaning "cancelled")
    ("relationship_action", "relationship_actions", "CASE WHEN x.plan <> '' THEN x.plan ELSE x.kind END",
     "due_date", ("cancelled",)),
    ("huddle_item", "huddle_items", "x.text", "due_on", ("dropped",)),
    ("improvement_action", "improvement_actions", "x.text", "due_date", ("dropped",)),
    ("barrier_action", "barrier_actions", "x.action", "due_date", ("dropped", "cancelled")),
    ("proposal_step", "proposal_steps", "x.step", "due_on", ()),
)


def _actions(db: Database, account_ids: list[int], zone: ZoneInfo) -> list[CalendarItem]:
    out: list[CalendarItem] = []
    for entity, table, title_sql, due, cancelled in ACTION_TABLES:
        only_actions = "AND x.kind = 'action'" if table == "huddle_items" else ""
        found = _rows(db, f"""SELECT x.id, x.account_id, a.name AS account_name, {title_sql} AS title, x.{due} AS due,
                                     x.status, x.version, x.owner_id
                              FROM [{table}] x JOIN accounts a ON a.id = x.account_id
                              WHERE x.account_id IN ({{marks}}) AND x.{due} IS NOT NULL {only_actions}""", account_ids)
        out += [CalendarItem(f"{entity}-{r['id']}", "action", "cal.action", r["title"] or "", r["account_id"],
                             r["account_name"], _day(r["due"]), r["version"], r["status"] in cancelled,
                             link_for(entity, r["account_id"]), r["owner_id"]) for r in found]
    found = _rows(db, """SELECT c.id, c.account_id, a.name AS account_name, c.text AS title, c.due_on AS due,
                                c.status, c.version FROM qbr_commitments c JOIN accounts a ON a.id = c.account_id
                         WHERE c.account_id IN ({marks})""", account_ids)
    return out + [CalendarItem(f"qbr_commitment-{r['id']}", "action", "cal.action", r["title"], r["account_id"],
                               r["account_name"], _day(r["due"]), r["version"], r["status"] == "dropped",
                               link_for("qbr_commitment", r["account_id"])) for r in found]


def _dated(db: Database, account_ids: list[int], table: str, entity: str, kind: str, label: str, day: str,
           link: str) -> list[CalendarItem]:
    """One all-day event per row of `table` on its `day` column (huddles, customer reviews)."""
    found = _rows(db, f"""SELECT t.id, t.account_id, a.name AS account_name, t.title, t.{day} AS day, t.version
                          FROM {table} t JOIN accounts a ON a.id = t.account_id WHERE t.account_id IN ({{marks}})""",
                  account_ids)
    return [CalendarItem(f"{entity}-{r['id']}", kind, label, r["title"], r["account_id"], r["account_name"],
                         _day(r["day"]), r["version"], False, link_for(link, r["account_id"])) for r in found]


def _huddles(db: Database, account_ids: list[int], zone: ZoneInfo) -> list[CalendarItem]:
    return _dated(db, account_ids, "huddles", "huddle", "huddle", "cal.huddle", "held_on", "huddle")


TENDER_DUE = time(17, 30)  # a tender is handed in by the end of its last working day


def _tenders(db: Database, account_ids: list[int], zone: ZoneInfo) -> list[CalendarItem]:
    found = _rows(db, """SELECT p.id, p.account_id, a.name AS account_name, o.name AS title, p.start_on,
                                p.cycle_days, p.decision, p.outcome, p.version, o.owner_id
                         FROM proposals p JOIN accounts a ON a.id = p.account_id
                         JOIN opportunities o ON o.id = p.opportunity_id WHERE p.account_id IN ({marks})""",
                  account_ids)
    return [CalendarItem(f"proposal-{r['id']}", "tender", "cal.tender", r["title"], r["account_id"], r["account_name"],
                         datetime.combine(rooms.deadline(r), TENDER_DUE, tzinfo=zone), r["version"],
                         r["decision"] == "no_bid" or r["outcome"] == "withdrawn",
                         link_for("proposal", r["account_id"]), r["owner_id"]) for r in found]


def _reviews(db: Database, account_ids: list[int], zone: ZoneInfo) -> list[CalendarItem]:
    return _dated(db, account_ids, "qbrs", "qbr", "review", "cal.review", "meeting_on", "qbr")


SOURCES: dict[str, Callable[[Database, list[int], ZoneInfo], list[CalendarItem]]] = {
    "visit": _visits, "action": _actions, "huddle": _huddles, "tender": _tenders, "review": _reviews}


def rhythm_deadlines(user: User, today: date, zone: ZoneInfo) -> list[CalendarItem]:
    """A member's weekly and monthly plan and summary deadlines (D9) from two weeks ago to RHYTHM_WEEKS ahead,
    at their time in the company zone."""
    if not entries.keeps_rhythm(user):
        return []
    out: dict[str, CalendarItem] = {}
    for week in range(-2, RHYTHM_WEEKS + 1):
        day = today + timedelta(weeks=week)
        for kind in ("weekly_plan", "weekly_summary", "monthly_plan", "monthly_summary"):
            period = entries.period_of(kind, day)
            uid = f"rhythm-{user.id}-{kind}-{period.isoformat()}"
            out[uid] = CalendarItem(uid, "rhythm", "cal.rhythm", kind, None, "", entries.deadline(kind, period)
                                    .astimezone(zone), 0, False, link_for("rhythm_entry", None), user.id)
    return list(out.values())


def items(db: Database, actor: User, account_ids: list[int], kinds: tuple[str, ...] = KINDS) -> list[CalendarItem]:
    """The events of these accounts (each readable by `actor`) of these kinds, plus the actor's own rhythm
    deadlines when "rhythm" is asked for; soonest first."""
    for account_id in account_ids:
        permissions.require_read(db, actor, account_id)
    zone = company_zone(db)
    found: list[CalendarItem] = []
    if account_ids:
        for kind in kinds:
            if kind in SOURCES:
                found += SOURCES[kind](db, list(account_ids), zone)
    if "rhythm" in kinds:
        found += rhythm_deadlines(actor, clock.today(), zone)
    return sorted(found, key=lambda i: (_instant(i.start, zone), i.uid))


def _instant(start: date | datetime, zone: ZoneInfo) -> datetime:
    return start if isinstance(start, datetime) else datetime.combine(start, time(), tzinfo=zone)


def _title(item: CalendarItem, lang: str) -> str:
    if item.kind == "rhythm":
        return t("cal.rhythm", lang, title=t(f"rhythm_kind.{item.title}", lang))
    return item.summary(lang)


def to_ics(db: Database, found: list[CalendarItem], lang: str, name: str) -> bytes:
    """An RFC 5545 calendar of these events, titles in `lang`, timed events in the company zone (with its
    VTIMEZONE)."""
    zone = company_zone(db)
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//KAM War Room//kam-war-room//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", zone.key)
    stamp = clock.now()
    base = public_url()
    for item in found:
        event = icalendar.Event()
        event.add("uid", f"{item.uid}@{UID_DOMAIN}")
        event.add("dtstamp", stamp)
        event.add("summary", _title(item, lang))
        if isinstance(item.start, datetime):
            start = item.start.astimezone(zone)
            event.add("dtstart", start)
            event.add("dtend", start + timedelta(minutes=30))
        else:
            event.add("dtstart", item.start)
            event.add("dtend", item.start + timedelta(days=1))
        event.add("sequence", max(item.version - 1, 0))
        event.add("status", "CANCELLED" if item.cancelled else "CONFIRMED")
        event.add("url", f"{base}{item.link}")
        event.add("description", f"{base}{item.link}")
        calendar.add_component(event)
    calendar.add_missing_timezones()
    if not calendar.walk("VTIMEZONE"):  # no timed event: the company zone is still named and carried
        calendar.add_component(icalendar.Timezone.from_tzid(zone.key))
    return calendar.to_ical()


def account_ics(db: Database, actor: User, account_id: int | None, kinds: tuple[str, ...], lang: str) -> bytes:
    """The `.ics` download of one account's events of these kinds (the button on their page); with no account,
    the actor's own rhythm deadlines only."""
    ids = [] if account_id is None else [account_id]
    named = store.row(db, "SELECT name FROM accounts WHERE id = ?", ids) if ids else None
    return to_ics(db, items(db, actor, ids, kinds), lang, f"{named['name'] if named else actor.display_name} · KAM")


# ---- the personal feed ---------------------------------------------------------------------------------------

def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_accounts(db: Database, person: User) -> list[int]:
    """The accounts a person's feed lists: the ones on whose team they are (an executive or admin on no team:
    every account they can see)."""
    teams = [r[0] for r in db.execute("SELECT account_id FROM account_team WHERE user_id = ? ORDER BY account_id",
                                      [person.id]).fetchall()]
    return teams or (permissions.readable_account_ids(db, person) if person.is_admin or person.is_executive else [])


def feed_items(db: Database, person: User) -> list[CalendarItem]:
    """What a person's feed lists: everything dated on their accounts, and their own rhythm deadlines."""
    return items(db, person, feed_accounts(db, person))


def start_feed(db: Database, actor: User) -> str:
    """Give the actor a new secret feed address (a previous one stops working). Returns the token, shown once."""
    token = secrets.token_urlsafe(24)
    with store.transaction(db):
        db.execute("DELETE FROM calendar_feeds WHERE user_id = ?", [actor.id])
        db.execute("INSERT INTO calendar_feeds (user_id, token_hash, created_at) VALUES (?, ?, ?)",
                   [actor.id, _hash(token), clock.now_iso()])
    return token


def revoke_feed(db: Database, actor: User) -> None:
    """Stop the actor's feed address: it answers 404 from now on."""
    with store.transaction(db):
        db.execute("DELETE FROM calendar_feeds WHERE user_id = ?", [actor.id])


def feed_started(db: Database, actor: User) -> str | None:
    """When the actor's current feed address was made (UTC ISO text), or None when they have none."""
    found = store.row(db, "SELECT created_at FROM calendar_feeds WHERE user_id = ?", [actor.id])
    return found["created_at"] if found else None


def feed_url(token: str) -> str:
    """The subscription address of a token."""
    return f"{public_url()}{FEED_PATH}/{token}.ics"


def feed_ics(db: Database, token: str) -> bytes | None:
    """The calendar behind a feed token, in its owner's language; None for a revoked, unknown or malformed token
    or an inactive person (the route answers 404)."""
    if not token or len(token) > 100:
        return None
    found = store.row(db, """SELECT f.user_id FROM calendar_feeds f JOIN users u ON u.id = f.user_id
                             WHERE f.token_hash = ? AND u.active = 1""", [_hash(token)])
    if found is None:
        return None
    person = users.get_user(db, found["user_id"])
    return to_ics(db, feed_items(db, person), person.lang, f"{person.display_name} · KAM")
