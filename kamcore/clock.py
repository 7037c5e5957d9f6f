"""The one source of 'now', so demo data and tests can write history at a chosen time."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from datetime import UTC, date, datetime

_frozen: contextvars.ContextVar[datetime | None] = contextvars.ContextVar("kam_now", default=None)


def now() -> datetime:
    """Current UTC time, or the time set by `at()`."""
    return _frozen.get() or datetime.now(UTC)


def now_iso() -> str:
    """Current UTC time as ISO text, to the second (what the audit log stores)."""
    return now().isoformat(timespec="seconds")


def today() -> date:
    """Today's date (UTC), or the date of the time set by `at()`."""
    return now().date()


@contextlib.contextmanager
def at(moment: datetime) -> Iterator[None]:
    """Make `now()` return `moment` inside the block (used by the demo generator)."""
    token = _frozen.set(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
    try:
        yield
    finally:
        _frozen.reset(token)
