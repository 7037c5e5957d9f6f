"""The relationship scale's counts: how many people of an account stand where.

THE source of every relationship count on the executive screens (walk-through, relationship map
legend / summary, portfolio): `stance_counts`. "Supportive" means stance coach or supporter.
(Thin version until the relationship issue settles how stance and score relate; it keeps this
name and signature.)
"""

from __future__ import annotations

import json

from sqlite_utils import Database

STANCES = ("coach", "supporter", "neutral", "opponent", "blocker")
SUPPORTIVE = ("coach", "supporter")


def stance_counts(db: Database, account_ids: list[int]) -> dict[int, dict[str, int]]:
    """{account_id: {"coach", "supporter", "neutral", "opponent", "blocker", "supportive", "total": n}} for
    every asked account (zeros when nobody is mapped)."""
    out = {a: {**{s: 0 for s in STANCES}, "supportive": 0, "total": 0} for a in account_ids}
    for account_id, stance, count in db.execute(
            "SELECT account_id, stance, count(*) FROM stakeholders WHERE account_id IN "
            "(SELECT value FROM json_each(?)) GROUP BY account_id, stance", [json.dumps(list(account_ids))]):
        counts = out[account_id]
        counts[stance] = count
        counts["total"] += count
        if stance in SUPPORTIVE:
            counts["supportive"] += count
    return out
