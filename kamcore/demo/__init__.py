"""The deterministic demo war room: a believable company on first run.

`build` runs each feature's seed step in order; every step writes through the
same kamcore functions a user's edits go through, with `clock.at` set to dates
in the past, so the audit log (History, "what changed") has real content.
A feature adds its step to `STEPS`.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlite_utils import Database

from kamcore.users import User

SEED = 20261123
DEMO_PASSWORD = "warroom-demo"
Progress = Callable[[float, str], None]


@dataclass
class DemoContext:
    """What the seed steps share: a seeded RNG, the anchor date, and the people and things made so far."""

    db: Database
    today: date
    rng: random.Random
    users: dict[str, User] = field(default_factory=dict)
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    product_lines: dict[str, dict[str, Any]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def moment(self, days_ago: float, hour: int = 10) -> datetime:
        """A point in time `days_ago` before the anchor date, during working hours."""
        day = self.today - timedelta(days=int(days_ago))
        minute = self.rng.randrange(0, 60)
        return datetime.combine(day, time(hour, minute), tzinfo=UTC)

    @property
    def admin(self) -> User:
        return self.users["admin"]


def _steps() -> list[tuple[str, Callable[[DemoContext], None]]]:
    from kamcore.demo import (
        core,
        huddles,
        opportunities,
        plan,
        portfolio,
        proposals,
        retrospectives,
        rhythm,
        segments,
        stakeholders,
    )
    from kamcore.demo import reviews as customer_reviews

    return [
        ("core", core.seed),
        ("portfolio", portfolio.seed),
        ("plan", plan.seed),
        ("opportunities", opportunities.seed),
        ("stakeholders", stakeholders.seed),
        ("retrospectives", retrospectives.seed),
        ("huddles", huddles.seed),
        ("proposals", proposals.seed),
        ("segments", segments.seed),
        ("rhythm", rhythm.seed),
        ("reviews", customer_reviews.seed),
    ]


def build(db: Database, today: date | None = None, progress: Progress | None = None) -> DemoContext:
    """Fill an empty database with the demo war room; deterministic for a given `today`."""
    from kamcore import clock

    ctx = DemoContext(db=db, today=today or clock.today(), rng=random.Random(SEED))
    steps = _steps()
    for number, (name, step) in enumerate(steps):
        if progress:
            progress(number / len(steps), name)
        step(ctx)
    if progress:
        progress(1.0, "done")
    return ctx
