"""Working days (Monday to Friday) for the proposal cycle: day 1 is the start, day N the deadline."""

from __future__ import annotations

from datetime import date, timedelta

DEFAULT_CYCLE = 10
# each step's working day in the seeds' 10-day cycle; other cycle lengths scale these
STEP_DAYS = {"bid_decision": 1, "kickoff": 2, "compliance": 5, "win_themes": 5, "pricing": 7, "approval": 8,
             "review": 9, "submission": 10}
STEPS = tuple(STEP_DAYS)


def first_working_day(day: date) -> date:
    """The day itself, or the Monday after a weekend."""
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def working_day(start: date, number: int) -> date:
    """The date of working day `number` (1-based) counted from `start`."""
    day = first_working_day(start)
    left = number - 1
    while left > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            left -= 1
    return day


def working_days_left(today: date, deadline: date) -> int:
    """Working days after today up to and including the deadline; 0 when it is due today, negative when past."""
    if deadline >= today:
        count, day = 0, today
        while day < deadline:
            day += timedelta(days=1)
            count += day.weekday() < 5
        return count
    count, day = 0, deadline
    while day < today:
        day += timedelta(days=1)
        count += day.weekday() < 5
    return -max(count, 1)


def step_day(step: str, cycle_days: int) -> int:
    """The working day of a step in a cycle of `cycle_days` (the 10-day plan scaled, at least day 1)."""
    return max(1, min(cycle_days, round(STEP_DAYS[step] * cycle_days / DEFAULT_CYCLE)))
