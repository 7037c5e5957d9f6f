"""Where each contact stands against where we need them (D8): relationship stage and our standing, current vs target.

Two ladders, each with a current step, a target step and one target date per person:
- the relationship stage: stranger → familiar → personal trust → interest → organisational trust;
- our team's standing with the person: vendor → credible source → problem solver → trusted advisor.

The gap is counted in steps (target index − current index; an unset current counts as the first step).
`gaps` ranks the people behind target: most steps behind first, then the nearest (or passed) target
date, then the more important people (decision level / key marks). A target below the current step is
allowed (the page says so, see `stakeholders.target_warnings`) and counts as no gap.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlite_utils import Database

from kamcore import clock, permissions, store
from kamcore.decision_chain.stakeholders import STAGES, STANDINGS
from kamcore.users import User

LADDERS = {"stage": STAGES, "standing": STANDINGS}


def step(ladder: str, value: str | None) -> int:
    """The index of a step on its ladder (unset = 0, the first step)."""
    steps = LADDERS[ladder]
    return steps.index(value) if value in steps else 0


def gap(person: dict[str, Any], ladder: str) -> int | None:
    """Steps still to climb on one ladder (None when no target is set; never negative)."""
    target = person.get(f"{ladder}_target")
    if target not in LADDERS[ladder]:
        return None
    return max(0, step(ladder, target) - step(ladder, person.get(ladder)))


def progress(person: dict[str, Any]) -> float | None:
    """How far the person is towards their targets, 0…1 (None without any target): steps reached / steps wanted,
    over both ladders together."""
    wanted = reached = 0
    for ladder in LADDERS:
        target = person.get(f"{ladder}_target")
        if target not in LADDERS[ladder]:
            continue
        goal = step(ladder, target)
        wanted += goal
        reached += min(goal, step(ladder, person.get(ladder)))
    if wanted == 0:
        return None if all(person.get(f"{lad}_target") is None for lad in LADDERS) else 1.0
    return reached / wanted


def importance(person: dict[str, Any]) -> int:
    """0 = most important: marked key contact / sponsor / champion / inner circle; 1 decision level; 2 management; 3 rest."""
    if any(person.get(m) for m in ("key_contact", "executive_sponsor", "champion", "inner_circle")):
        return 0
    return {"decision": 1, "management": 2}.get(person.get("level") or "", 3)


def gaps(db: Database, actor: User, account_id: int, today: date | None = None) -> list[dict[str, Any]]:
    """Every person with a target, current vs target on both ladders, ranked (most behind first)."""
    permissions.require_read(db, actor, account_id)
    day = today or clock.today()
    people = store.rows(
        db,
        """SELECT id, name, level, stage, stage_target, standing, standing_target, target_date, key_contact,
                  executive_sponsor, champion, inner_circle
           FROM stakeholders WHERE account_id = ? AND (stage_target IS NOT NULL OR standing_target IS NOT NULL)""",
        [account_id],
    )
    for p in people:
        p["stage_gap"] = gap(p, "stage")
        p["standing_gap"] = gap(p, "standing")
        p["steps_behind"] = (p["stage_gap"] or 0) + (p["standing_gap"] or 0)
        p["days_left"] = (date.fromisoformat(p["target_date"]) - day).days if p["target_date"] else None
        p["behind"] = p["steps_behind"] > 0
        p["late"] = p["behind"] and p["days_left"] is not None and p["days_left"] < 0
    people.sort(key=lambda p: (-p["steps_behind"], p["days_left"] if p["days_left"] is not None else 10**6,
                               importance(p), p["name"]))
    return people
