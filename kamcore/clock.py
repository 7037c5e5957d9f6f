"""The one source of 'now' and of the company's calendar, so demo data and tests can write history at a
chosen time, and every "today", deadline and timestamp on screen falls in the right time zone.

Moments are stored in UTC (ISO text to the second). Days are read in a zone: the company's (an admin
setting, `kamcore.time_zones`) for "today", overdue, this week and the rhythm deadlines; the reader's
(their own override, else the company's) for timestamps shown. `stamp` and `day_text` are the one way a
moment or a date is written for a person — never ISO text on screen.

The company zone of this thread of work is the one of the database opened last here (`store.connect`
calls `use_company_zone`), so `today()` with no zone is the company's day. Only this module reads the
system clock. `KAM_CLOCK_AT` (an ISO moment) pins a whole process's clock: the browser tests start the
server with it so the page and the test agree on the day.
"""

from __future__ import annotations

import contextlib
import contextvars
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic_core import PydanticCustomError

from kamcore import settings

DEFAULT_ZONE = "UTC"
_frozen: contextvars.ContextVar[datetime | None] = contextvars.ContextVar("kam_now", default=None)
_company: contextvars.ContextVar[ZoneInfo | None] = contextvars.ContextVar("kam_company_zone", default=None)
_ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:?\d{2}|Z)?$")


def _pinned_by_environment() -> datetime | None:
    text = settings.current().clock_at.strip()
    if not text:
        return None
    moment = datetime.fromisoformat(text)
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


_pinned = _pinned_by_environment()


def now() -> datetime:
    """Current UTC time, or the time set by `at()` (or pinned by $KAM_CLOCK_AT)."""
    return _frozen.get() or _pinned or datetime.now(UTC)


def now_iso() -> str:
    """Current UTC time as ISO text, to the second (what the audit log stores)."""
    return now().isoformat(timespec="seconds")


@contextlib.contextmanager
def at(moment: datetime) -> Iterator[None]:
    """Make `now()` return `moment` inside the block (naive moments are UTC; others are converted to UTC)."""
    token = _frozen.set(moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC))
    try:
        yield
    finally:
        _frozen.reset(token)


@contextlib.contextmanager
def pinned(moment: datetime) -> Iterator[None]:
    """Make `now()` return `moment` in every thread of this process inside the block (`at()` still wins
    where it is set): the page tests' app runs on a thread of its own, which `at()` does not reach."""
    global _pinned
    before = _pinned
    _pinned = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    try:
        yield
    finally:
        _pinned = before


# ---- zones ------------------------------------------------------------------------------------------

def is_zone(name: object) -> bool:
    """Is `name` an IANA time zone this machine knows ("Asia/Shanghai", "UTC")?"""
    if not isinstance(name, str) or not name.strip() or name != name.strip():
        return False
    return name in available_timezones() or name == "UTC"


def checked_zone(value: Any) -> Any:
    """A stored zone field's validator: the name trimmed, or the error `reason.time_zone_unknown` (None passes)."""
    if isinstance(value, str):
        value = value.strip() or None
    if value is not None and not is_zone(value):
        raise PydanticCustomError("reason.time_zone_unknown", "unknown time zone", {"zone": str(value)[:60]})
    return value


def zone(name: str | ZoneInfo | None) -> ZoneInfo:
    """The zone named `name`; None is the company zone. An unknown name raises ValueError."""
    if isinstance(name, ZoneInfo):
        return name
    if name is None:
        return company_zone()
    if not is_zone(name):
        raise ValueError(f"unknown time zone {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None


def zone_names() -> list[str]:
    """Every zone a person may pick, sorted (for the settings pickers)."""
    return sorted(available_timezones() | {"UTC"})


def company_zone() -> ZoneInfo:
    """The company's zone in this thread of work (UTC until a database says otherwise)."""
    return _company.get() or ZoneInfo(DEFAULT_ZONE)


def use_company_zone(name: str | None) -> None:
    """Read days in the zone `name` from now on in this thread of work (`store.connect` calls it with the
    database's setting; an unknown or empty name falls back to UTC rather than failing a connection)."""
    try:
        _company.set(zone(name) if name else ZoneInfo(DEFAULT_ZONE))
    except ValueError:
        _company.set(ZoneInfo(DEFAULT_ZONE))


# ---- days and local moments ------------------------------------------------------------------------

def _moment(value: datetime | str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00")) if isinstance(value, str) else value
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def local(moment: datetime | str, in_zone: str | ZoneInfo | None = None) -> datetime:
    """A stored moment (UTC datetime or ISO text; naive means UTC) in the zone (default: the company's)."""
    return _moment(moment).astimezone(zone(in_zone))


def today(in_zone: str | ZoneInfo | None = None) -> date:
    """Today's date in the zone (default: the company's), at `now()`."""
    return local(now(), in_zone).date()


def day_of(value: date | datetime | str, in_zone: str | ZoneInfo | None = None) -> date:
    """The day of a stored value in the zone (default: the company's): a date ("2026-11-28") is that day; a
    moment ("2026-11-28T18:30:00+00:00") is read in the zone first (02:30 on the 29th in Beijing), so a day
    count never falls on the UTC day."""
    if isinstance(value, datetime) or (isinstance(value, str) and len(value) > 10):
        return local(value, in_zone).date()
    return value if isinstance(value, date) else date.fromisoformat(value)


def moment_of(day: date, at_time: time, in_zone: str | ZoneInfo | None = None) -> datetime:
    """The UTC moment of a wall-clock time on a day in the zone (default: the company's): the Friday 17:30
    deadline of a Beijing team is 09:30 UTC."""
    return datetime.combine(day, at_time, tzinfo=zone(in_zone)).astimezone(UTC)


def start_of_day(day: date, in_zone: str | ZoneInfo | None = None) -> datetime:
    """The UTC moment the day begins in the zone (default: the company's)."""
    return moment_of(day, time(0, 0), in_zone)


def week_of(day: date) -> tuple[date, date]:
    """The calendar week (Monday, Sunday) that contains `day`."""
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


# ---- text for people -------------------------------------------------------------------------------

def is_iso_moment(value: object) -> bool:
    """Does this value look like a stored ISO timestamp ("2026-11-28T09:30:00+00:00")?"""
    return isinstance(value, str) and bool(_ISO_MOMENT.match(value.strip()))


def _reference_year(in_zone: ZoneInfo) -> int:
    return local(now(), in_zone).year


def day_text(day: date | str, lang: str = "en", in_zone: str | ZoneInfo | None = None) -> str:
    """A date as a person reads it: "2026-11-28" / "11月28日" ("2025年11月28日" in another year)."""
    if isinstance(day, str):
        value = local(day, in_zone).date() if is_iso_moment(day) else date.fromisoformat(day[:10])
    else:
        value = local(day, in_zone).date() if isinstance(day, datetime) else day
    if lang == "zh":
        prefix = "" if value.year == _reference_year(zone(in_zone)) else f"{value.year}年"
        return f"{prefix}{value.month}月{value.day}日"
    return value.isoformat()


def stamp(moment: datetime | str | None, lang: str = "en", in_zone: str | ZoneInfo | None = None) -> str:
    """THE formatter for a timestamp on screen and in files: the moment in the reader's zone and language,
    to the minute ("2026-11-28 17:30" / "11月28日 17:30"); a blank is "—"."""
    if moment is None or moment == "":
        return "—"
    shown = local(moment, in_zone)
    return f"{day_text(shown.date(), lang, in_zone)} {shown:%H:%M}"
