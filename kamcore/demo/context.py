"""What the demo's seed steps share: the seeded random source, the anchor date, and what was made so far.

Kept apart from `kamcore.demo` (which runs the steps) so each step module can import it without
importing the package that imports them.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlite_utils import Database

from kamcore import clock
from kamcore.users import User

SEED = 20261123
DEMO_PASSWORD = "warroom-demo"
DEMO_ZONE = "Asia/Shanghai"  # the demo company works in Beijing time
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
        """A point in time `days_ago` before the anchor date, during the company's working hours (its zone)."""
        day = self.today - timedelta(days=int(days_ago))
        minute = self.rng.randrange(0, 60)
        return clock.moment_of(day, time(hour, minute), DEMO_ZONE)

    @property
    def admin(self) -> User:
        """The demo's administrator."""
        return self.users["admin"]
