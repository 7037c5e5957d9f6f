"""The deterministic demo war room: a believable company on first run.

`build` runs each feature's seed step in order; every step writes through the
same kamcore functions a user's edits go through, with `clock.at` set to dates
in the past, so the audit log (History, "what changed") has real content.
A feature adds its step to `STEPS`.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date

from sqlite_utils import Database

from kamcore.demo.context import DEMO_PASSWORD, DEMO_ZONE, SEED, DemoContext, Progress  # noqa: F401 - the demo's public names


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
    from kamcore import clock, time_zones, users

    time_zones.set_company_zone(db, users.SYSTEM, DEMO_ZONE)  # first: the demo's days are Beijing days
    ctx = DemoContext(db=db, today=today or clock.today(), rng=random.Random(SEED))
    steps = _steps()
    for number, (name, step) in enumerate(steps):
        if progress:
            progress(number / len(steps), name)
        step(ctx)
    if progress:
        progress(1.0, "done")
    return ctx
