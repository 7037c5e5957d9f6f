"""The one relationship scale (D4): the score is the measure, the stance is its label.

D4 gives five stances (coach, supporter, neutral, opponent, blocker) and a five-level score
(−1 does not accept us · 0 neutral · 1 supportive · 2 supports us more than others · 3 coach).
They describe one ladder, so the app keeps them as ONE scale:

    score  3  → coach
    score  2  → supporter ("strong supporter": supports us more than others)
    score  1  → supporter
    score  0  → neutral
    score −1  → opponent or blocker (a blocker is firmly for a rival; both do not accept us)

The score is what is measured and counted; the stance is the word for it. The only free choice
a user makes beyond the score is opponent vs blocker at −1. A stance/score pair outside this
table is refused (`check_pair`), and when a form or table edit changes only one of the two the
other follows (`reconcile`): raising a supporter's score to 3 makes them a coach, setting a
stance "coach" sets the score 3.

`stance_counts` is THE count of coaches, supporters, neutrals, opponents and blockers that every
screen uses (coverage flags, map legend, People table, the walk-through card); `supportive` is
coach + supporter, i.e. score ≥ 1.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlite_utils import Database

from kamcore.errors import ValidationError

STANCE_OF_SCORE: dict[int, tuple[str, ...]] = {
    3: ("coach",),
    2: ("supporter",),
    1: ("supporter",),
    0: ("neutral",),
    -1: ("opponent", "blocker"),
}
# The score a stance gets when only the stance is given.
SCORE_OF_STANCE: dict[str, int] = {"coach": 3, "supporter": 1, "neutral": 0, "opponent": -1, "blocker": -1}
SUPPORTIVE_SCORE = 1
COUNT_KEYS = ("coach", "supporter", "neutral", "opponent", "blocker", "supportive", "total")


def allowed(stance: str, score: int) -> bool:
    """Whether the scale allows this stance with this score."""
    return stance in STANCE_OF_SCORE.get(score, ())


def stance_for(score: int, stance: str | None = None) -> str:
    """The stance label of a score; at −1 keep a given blocker/opponent choice."""
    labels = STANCE_OF_SCORE[score]
    return stance if stance in labels else labels[0]


def check_pair(stance: str, score: int) -> None:
    """Refuse a stance/score pair the scale does not allow (field `stance`, both languages via i18n)."""
    if score in STANCE_OF_SCORE and stance in SCORE_OF_STANCE and not allowed(stance, score):
        raise ValidationError.single("stance", f"reason.stance_score_mismatch.{score}", score=score)


def reconcile(current: dict[str, Any] | None, changes: dict[str, Any]) -> dict[str, Any]:
    """Fill in the partner of a stance or score that changes alone, so the pair stays on the scale.

    Both given: returned unchanged (validation then refuses a mismatch). Only the score: the stance
    follows (keeping blocker/opponent at −1). Only the stance: the score follows unless the current
    score already fits the new stance (a supporter at 2 who stays a supporter keeps 2).
    Values that are not valid choices are left for validation to report.
    """
    out = dict(changes)
    has_stance, has_score = "stance" in out, "score" in out
    if has_stance == has_score:
        return out
    if has_score:
        try:
            score = int(out["score"])
        except (TypeError, ValueError):
            return out
        if score in STANCE_OF_SCORE:
            out["stance"] = stance_for(score, (current or {}).get("stance"))
        return out
    stance = out["stance"]
    if stance not in SCORE_OF_STANCE:
        return out
    held = (current or {}).get("score")
    out["score"] = held if held is not None and allowed(stance, held) else SCORE_OF_STANCE[stance]
    return out


def category(stance: str, score: int) -> str:
    """The count bucket of a person: the score decides; at −1 the stance says opponent or blocker."""
    if score is None:
        return "neutral"
    return stance_for(int(score), stance)


def empty_counts() -> dict[str, int]:
    """A zero count for every stance, plus `supportive` and `total`."""
    return dict.fromkeys(COUNT_KEYS, 0)


def count_people(people: Iterable[dict[str, Any]]) -> dict[str, int]:
    """The counts of an already-loaded list of people (each with `stance` and `score`)."""
    out = empty_counts()
    for person in people:
        out[category(person["stance"], person["score"])] += 1
        out["total"] += 1
    out["supportive"] = out["coach"] + out["supporter"]
    return out


def stance_counts(db: Database, account_ids: Iterable[int],
                  opportunity_id: int | None = None) -> dict[int, dict[str, int]]:
    """THE count every screen uses: {account_id: {coach, supporter, neutral, opponent, blocker, supportive, total}}.

    One grouped query whatever the number of accounts; accounts without people get zeros. With
    `opportunity_id`, only that opportunity's participants.
    """
    ids = sorted({int(a) for a in account_ids})
    out = {a: empty_counts() for a in ids}
    if not ids:
        return out
    if opportunity_id is None:
        sql = """SELECT account_id, score, stance = 'blocker', count(*) FROM stakeholders
                 WHERE account_id IN (SELECT value FROM json_each(?)) GROUP BY 1, 2, 3"""
        params: list[Any] = [json.dumps(ids)]
    else:
        sql = """SELECT s.account_id, s.score, s.stance = 'blocker', count(DISTINCT s.id) FROM stakeholders s
                 JOIN stakeholder_opportunities p ON p.stakeholder_id = s.id
                 WHERE s.account_id IN (SELECT value FROM json_each(?)) AND p.opportunity_id = ?
                 GROUP BY 1, 2, 3"""
        params = [json.dumps(ids), opportunity_id]
    for account_id, score, blocker, n in db.execute(sql, params).fetchall():
        bucket = category("blocker" if blocker else "opponent", score)
        out[account_id][bucket] += n
        out[account_id]["total"] += n
    for counts in out.values():
        counts["supportive"] = counts["coach"] + counts["supporter"]
    return out


def is_supportive(person: dict[str, Any]) -> bool:
    """Is this score on the supportive side of the scale (supporter or coach)?"""
    return category(person["stance"], person["score"]) in ("coach", "supporter")


def is_coach(person: dict[str, Any]) -> bool:
    """Is this score the top of the scale: a coach who tells us who opposes us and why?"""
    return category(person["stance"], person["score"]) == "coach"


def is_hostile(person: dict[str, Any]) -> bool:
    """Is this score below neutral (an opponent or a blocker)?"""
    return category(person["stance"], person["score"]) in ("opponent", "blocker")
