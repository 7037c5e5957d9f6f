"""Account health score 0–100: a weighted composite whose parts are always shown ("why this score").

Seven components, each 0–100 (missing data scores 0 and says what is missing):
- plan_completeness: 20 points for each of: an account plan, a goal this year, a share-growth plan, a
  purchase factor or barrier action, a live relationship plan (an action open or done in the last 90 days);
- key_people_coverage: key people (marked, or decision makers) whose relationship someone on our team owns;
- relationship_vs_target: average progress of people with targets towards them (steps reached / wanted,
  kamcore.decision_chain.targets);
- freshness: key people contacted within their check-in interval (kamcore.relationships.guidance);
- pipeline_coverage: (won + weighted open) / order goal this year, capped at 100 % (kamcore.plan.pipeline_coverage);
- goal_attainment: revenue actual / revenue goal this year, capped at 100 % (the figure the portfolio shows);
- risk_flags: 100 − 25 per open high flag − 10 per medium flag (decision-chain coverage and guidance flags), ≥ 0.

score = round(Σ weight × component / 100). The weights are one company-wide row (`health_weights`), edited
through records like any record — so every change is versioned and audited, and each snapshot names the
weights version it used — and must add up to 100. The trend is the daily snapshots (`snapshot`, taken when
the page is opened and by the demo for past months).
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError
from sqlite_utils import Database

from kamcore import clock, data_cache, permissions, records, store
from kamcore.decision_chain import coverage, targets
from kamcore.identity import SYSTEM
from kamcore.plan import goals
from kamcore.records import Entity, Record
from kamcore.relationships import guidance
from kamcore.users import User

COMPONENTS = ("plan_completeness", "key_people_coverage", "relationship_vs_target", "freshness",
              "pipeline_coverage", "goal_attainment", "risk_flags")
DEFAULT_WEIGHTS = {"plan_completeness": 10, "key_people_coverage": 20, "relationship_vs_target": 15,
                   "freshness": 15, "pipeline_coverage": 15, "goal_attainment": 15, "risk_flags": 10}
HIGH_FLAG_COST, MEDIUM_FLAG_COST = 25, 10
LIVE_PLAN_DAYS = 90


class WeightsIn(Record):
    """The health-score weights (whole numbers that add up to 100)."""

    name: str = Field(default="", max_length=120)
    plan_completeness: int = Field(default=10, ge=0, le=100)
    key_people_coverage: int = Field(default=20, ge=0, le=100)
    relationship_vs_target: int = Field(default=15, ge=0, le=100)
    freshness: int = Field(default=15, ge=0, le=100)
    pipeline_coverage: int = Field(default=15, ge=0, le=100)
    goal_attainment: int = Field(default=15, ge=0, le=100)
    risk_flags: int = Field(default=10, ge=0, le=100)
    note: str = Field(default="", max_length=1000)

    @model_validator(mode="after")
    def _add_up(self) -> WeightsIn:
        total = sum(getattr(self, c) for c in COMPONENTS)
        if total != 100:
            raise PydanticCustomError("reason.health_weights_sum", "the weights add up to {total}, not 100",
                                      {"field": "weights", "total": total})
        return self


WEIGHTS_ENTITY = Entity("health_weights", "health_weights", WeightsIn, account_field=None)


def weights(db: Database) -> dict[str, Any]:
    """The weights in force: the one row (its version is the weights version), or the defaults (version 0)."""
    row = store.row(db, "SELECT * FROM health_weights ORDER BY id DESC LIMIT 1", [])
    return row or {**DEFAULT_WEIGHTS, "id": None, "version": 0, "name": "", "note": ""}


def save_weights(db: Database, actor: User, values: dict[str, Any], base_version: int | None = None) -> dict[str, Any]:
    """Create or change the weights (administrators only; refused unless they add up to 100)."""
    current = weights(db)
    if current["id"] is None:
        return records.create(db, actor, WEIGHTS_ENTITY, {**DEFAULT_WEIGHTS, **values})
    return records.update(db, actor, WEIGHTS_ENTITY, current["id"], base_version or current["version"], values)


# --- components ---------------------------------------------------------------------------------


def _exists(db: Database, sql: str, params: list[Any]) -> bool:
    return db.execute(sql, params).fetchone() is not None


def _plan_completeness(db: Database, account_id: int, day: date) -> tuple[float, dict[str, Any]]:
    since = (day - timedelta(days=LIVE_PLAN_DAYS)).isoformat()
    parts = {
        "account_plan": _exists(db, "SELECT 1 FROM account_plans WHERE account_id = ?", [account_id]),
        "goal": _exists(db, "SELECT 1 FROM goals WHERE account_id = ? AND year = ?", [account_id, day.year]),
        "share_plan": _exists(db, "SELECT 1 FROM share_plans WHERE account_id = ?", [account_id]),
        "strategy": _exists(db, "SELECT 1 FROM purchase_factors WHERE account_id = ? UNION ALL "
                                "SELECT 1 FROM barrier_actions WHERE account_id = ?", [account_id, account_id]),
        "relationship_plan": _exists(
            db, "SELECT 1 FROM relationship_actions WHERE account_id = ? AND (status IN ('planned', 'in_progress') "
                "OR (status = 'done' AND done_on >= ?))", [account_id, since]),
    }
    have = sum(parts.values())
    missing = [k for k, v in parts.items() if not v]
    return 100 * have / len(parts), {"have": have, "of": len(parts), "missing": missing}


def _key_people(people: list[dict[str, Any]], owned: set[int]) -> tuple[float, dict[str, Any]]:
    key = [p for p in people if p["key"]]
    covered = [p for p in key if p["id"] in owned]
    value = 100 * len(covered) / len(key) if key else 0.0
    return value, {"covered": len(covered), "of": len(key), "uncovered": [p["name"] for p in key if p["id"] not in owned]}


def _vs_target(db: Database, account_id: int) -> tuple[float, dict[str, Any]]:
    people = store.rows(db, "SELECT name, stage, stage_target, standing, standing_target FROM stakeholders "
                            "WHERE account_id = ? AND (stage_target IS NOT NULL OR standing_target IS NOT NULL)",
                        [account_id])
    found = [(p["name"], targets.progress(p)) for p in people]
    found = [(n, v) for n, v in found if v is not None]
    value = 100 * sum(v for _, v in found) / len(found) if found else 0.0
    return value, {"people": len(found), "behind": sum(1 for _, v in found if v < 1)}


def _freshness(people: list[dict[str, Any]]) -> tuple[float, dict[str, Any]]:
    key = [p for p in people if p["key"]]
    fresh = [p for p in key if not p["checkin_due"]]
    value = 100 * len(fresh) / len(key) if key else 0.0
    return value, {"fresh": len(fresh), "of": len(key)}


def _pipeline(db: Database, actor: User, account_id: int, year: int) -> tuple[float, dict[str, Any]]:
    from kamcore.plan import pipeline_coverage

    rows = pipeline_coverage.pipeline_coverage(db, actor, account_id, year)
    goal = sum(r["goal"] or 0 for r in rows)
    covered = sum(r["won_amount"] + r["weighted_amount"] for r in rows)
    if not goal:
        return 0.0, {"goal": None, "covered": round(covered, 1), "pct": None}
    pct = 100 * covered / goal
    return min(100.0, pct), {"goal": round(goal, 1), "covered": round(covered, 1), "pct": round(pct, 1)}


def _goal(db: Database, actor: User, account_id: int, year: int) -> tuple[float, dict[str, Any]]:
    # the revenue line of goals.financial_lines: the same figure the portfolio and walk-through show
    line = next((g for g in goals.financial_lines(db, actor, account_id, year) if g["metric"] == "revenue"), None)
    target = line["target"] if line else None
    pct = line["attainment_pct"] if line else None
    if pct is None:
        return 0.0, {"pct": None, "goal": target}
    return min(100.0, pct), {"pct": pct, "goal": target}


def _risk(db: Database, account_id: int, day: date) -> tuple[float, dict[str, Any]]:
    found = coverage.account_flags(db, account_id) + guidance.guidance_flags(db, account_id, today=day)
    high = sum(f.severity == "high" for f in found)
    medium = len(found) - high
    return max(0.0, 100.0 - HIGH_FLAG_COST * high - MEDIUM_FLAG_COST * medium), {"high": high, "medium": medium}


def health_score(db: Database, actor: User, account_id: int, today: date | None = None) -> dict[str, Any]:
    """The account's health 0–100 with every component: {"score", "weights_version", "components": [
    {"key", "value" (0–100), "weight", "points", "detail"}]} — points add up to the score before rounding.
    Today's score is kept per account data version (`health_scores`); another day's is computed."""
    permissions.require_read(db, actor, account_id)
    if today is None:
        return health_scores(db, actor, [account_id])[account_id]
    return _health_score(db, account_id, today)


def health_scores(db: Database, actor: User, account_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Today's health_score of each readable account among `account_ids`, kept per account data version
    (kamcore.data_cache.per_account; the score reads only the account's own rows and the global weights):
    after a write only the accounts it touched are scored again. Shared, read-only."""
    readable = set(permissions.readable_account_ids(db, actor))
    ids = [a for a in account_ids if a in readable]
    day = clock.today()
    return data_cache.per_account(db, "health.score", ids, lambda missing: {a: _health_score(db, a, day) for a in missing})


def _health_score(db: Database, account_id: int, today: date) -> dict[str, Any]:
    day = today
    people = guidance.last_contacts(db, [account_id], day)
    owned = {r[0] for r in db.execute(
        """SELECT s.id FROM stakeholders s JOIN account_team t ON t.account_id = s.account_id AND t.user_id = s.owner_id
           WHERE s.account_id = ?""", [account_id])}
    values = {
        "plan_completeness": _plan_completeness(db, account_id, day),
        "key_people_coverage": _key_people(people, owned),
        "relationship_vs_target": _vs_target(db, account_id),
        "freshness": _freshness(people),
        "pipeline_coverage": _pipeline(db, SYSTEM, account_id, day.year),  # the reader was checked by the caller
        "goal_attainment": _goal(db, SYSTEM, account_id, day.year),
        "risk_flags": _risk(db, account_id, day),
    }
    w = weights(db)
    components = []
    for key in COMPONENTS:
        value, detail = values[key]
        components.append({"key": key, "value": round(value, 1), "weight": w[key],
                           "points": round(w[key] * value / 100, 2), "detail": detail})
    total = sum(w[c["key"]] * values[c["key"]][0] / 100 for c in components)
    return {"account_id": account_id, "score": round(total), "exact": total, "weights_version": w["version"],
            "day": day.isoformat(), "components": components}


def snapshot(db: Database, actor: User, account_id: int, today: date | None = None) -> dict[str, Any]:
    """Compute today's score and keep it (one snapshot per account and day; a later one the same day replaces it)."""
    found = health_score(db, actor, account_id, today)
    with store.transaction(db):
        db.execute(
            """INSERT INTO health_snapshots (account_id, day, score, components, weights_version) VALUES (?, ?, ?, ?, ?)
               ON CONFLICT (account_id, day) DO UPDATE SET score = excluded.score, components = excluded.components,
               weights_version = excluded.weights_version""",
            [account_id, found["day"], found["score"],
             json.dumps({c["key"]: c["value"] for c in found["components"]}), found["weights_version"]])
    return found


def trend(db: Database, actor: User, account_id: int) -> list[dict[str, Any]]:
    """The account's score over time (its snapshots, oldest first)."""
    permissions.require_read(db, actor, account_id)
    rows = store.rows(db, "SELECT day, score, components, weights_version FROM health_snapshots WHERE account_id = ? "
                          "ORDER BY day", [account_id])
    for row in rows:
        row["components"] = json.loads(row["components"])
    return rows
