"""The fixed week the rhythm tests live in: Monday 16 November 2026 and times on its days (UTC)."""

from datetime import UTC, date, datetime

MON = date(2026, 11, 16)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in November 2026."""
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)
