"""Freshness, budgets and coverage guidance (D4, D8): the checks that keep the relationship plan honest.

- Freshness: the last real contact with a person is the latest of their done visits and done
  relationship actions (huddle items name no stakeholder, so they do not count). Per account, the
  latest contact with anyone. Each person has a check-in interval: their own revisit class when set,
  else by importance — marked key people 20 days, decision level 40, management 60, execution 80.
- Budgets: each relationship action has a planned and a spent amount (in the account's currency,
  like every amount); the plan's budget is the sum over the account's actions. The built-in
  flag "budget spent, key visits not done": spending reached the admin-set share of the planned budget
  while a key visit (executive or headquarters visit, or an action marked key) is overdue or cancelled.
- Coverage guidance, thresholds set by an administrator (`relationship_settings`): 10–15 key contacts
  per account, at least one executive sponsor, key people contacted within N days; the decision maker
  and coach checks live in `kamcore.decision_chain.coverage`.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError
from sqlite_utils import Database

from kamcore import clock, money, permissions, records, store
from kamcore.decision_chain import coverage
from kamcore.decision_chain.coverage import Flag
from kamcore.records import Entity, Record
from kamcore.users import User

KEY_VISIT_KINDS = ("executive_visit", "hq_visit")
IMPORTANCE_CHECKIN = {0: 20, 1: 40, 2: 60, 3: 80}
GUIDANCE_KINDS = ("budget_spent_visits_not_done", "key_person_not_contacted", "key_person_never_contacted", "too_few_key_contacts",
                  "too_many_key_contacts", "no_executive_sponsor")
coverage.SEVERITY.update({
    "budget_spent_visits_not_done": "high",
    "key_person_not_contacted": "medium",
    "key_person_never_contacted": "medium",
    "too_few_key_contacts": "medium",
    "too_many_key_contacts": "medium",
    "no_executive_sponsor": "medium",
})
DEFAULTS = {"key_contacts_min": 10, "key_contacts_max": 15, "executive_sponsors_min": 1, "not_contacted_days": 60,
            "default_checkin_days": 60, "budget_spent_pct": 80}


# --- settings (admin) ---------------------------------------------------------------------------


class SettingsIn(Record):
    """Company-wide thresholds for coverage guidance and the budget flag."""

    key_contacts_min: int = Field(default=10, ge=0, le=200)
    key_contacts_max: int = Field(default=15, ge=1, le=500)
    executive_sponsors_min: int = Field(default=1, ge=0, le=20)
    not_contacted_days: int = Field(default=60, ge=1, le=730)
    default_checkin_days: int = Field(default=60, ge=1, le=730)
    budget_spent_pct: int = Field(default=80, ge=1, le=100)

    @model_validator(mode="after")
    def _range(self) -> SettingsIn:
        if self.key_contacts_max < self.key_contacts_min:
            raise PydanticCustomError("reason.max_below_min", "the maximum is below the minimum",
                                      {"field": "key_contacts_max"})
        return self


SETTINGS_ENTITY = Entity("relationship_settings", "relationship_settings", SettingsIn, account_field=None)


def settings(db: Database) -> dict[str, Any]:
    """The thresholds in force (the defaults until an administrator saves them)."""
    row = store.row(db, "SELECT * FROM relationship_settings ORDER BY id LIMIT 1", [])
    return row or {**DEFAULTS, "id": None, "version": None}


def save_settings(db: Database, actor: User, values: dict[str, Any], base_version: int | None = None) -> dict[str, Any]:
    """Create or change the one settings row (administrators only; versioned and audited)."""
    current = settings(db)
    if current["id"] is None:
        return records.create(db, actor, SETTINGS_ENTITY, {**DEFAULTS, **values})
    return records.update(db, actor, SETTINGS_ENTITY, current["id"], base_version or current["version"], values)


# --- freshness ----------------------------------------------------------------------------------


def _importance_sql() -> str:
    return """CASE WHEN coalesce(s.key_contact, 0) OR coalesce(s.executive_sponsor, 0) OR coalesce(s.champion, 0)
                        OR coalesce(s.inner_circle, 0) THEN 0
                   WHEN s.level = 'decision' THEN 1 WHEN s.level = 'management' THEN 2 ELSE 3 END"""


def last_contacts(db: Database, account_ids: list[int], today: date | None = None) -> list[dict[str, Any]]:
    """Every stakeholder of these accounts with last contact, days since, check-in interval and whether due.

    One query whatever the number of accounts. `last_contact` is None for someone never met.
    """
    if not account_ids:
        return []
    day = today or clock.today()
    found = store.rows(
        db,
        f"""WITH contact AS (
                SELECT stakeholder_id AS id, max(visited_on) AS at FROM visits
                WHERE status = 'done' AND stakeholder_id IS NOT NULL
                  AND account_id IN (SELECT value FROM json_each(?)) GROUP BY stakeholder_id
                UNION ALL
                SELECT stakeholder_id, max(done_on) FROM relationship_actions
                WHERE status = 'done' AND done_on IS NOT NULL
                  AND account_id IN (SELECT value FROM json_each(?)) GROUP BY stakeholder_id)
            SELECT s.id, s.account_id, s.name, s.level, s.roles, s.score, s.stance, s.checkin_days,
                   s.key_contact, s.executive_sponsor, s.champion, s.inner_circle, s.owner_id,
                   {_importance_sql()} AS importance,
                   (SELECT max(c.at) FROM contact c WHERE c.id = s.id) AS last_contact
            FROM stakeholders s WHERE s.account_id IN (SELECT value FROM json_each(?))
            ORDER BY s.account_id, s.name""",
        [json.dumps(sorted(set(account_ids)))] * 3,
    )
    for p in found:
        p["last_contact"] = clock.day_of(str(p["last_contact"])).isoformat() if p["last_contact"] else None
        p["days_since"] = (day - date.fromisoformat(p["last_contact"])).days if p["last_contact"] else None
        p["checkin_every"] = p["checkin_days"] or IMPORTANCE_CHECKIN[p["importance"]]
        p["checkin_due"] = p["days_since"] is None or p["days_since"] >= p["checkin_every"]
        p["key"] = is_key(p)
    return found


def is_key(person: dict[str, Any]) -> bool:
    """A key person: marked (key contact, executive sponsor, champion, inner circle), or a decision maker."""
    return person.get("importance") == 0 or "decision_maker" in (person.get("roles") or "").split(",")


def stakeholder_freshness(db: Database, actor: User, account_id: int, today: date | None = None) -> dict[int, dict]:
    """{stakeholder_id: freshness row} for one account the actor may read."""
    permissions.require_read(db, actor, account_id)
    return {p["id"]: p for p in last_contacts(db, [account_id], today)}


def account_last_contact(db: Database, account_ids: list[int], today: date | None = None) -> dict[int, dict]:
    """{account_id: {"last_contact", "days_since"}}: the latest done visit or action with anyone there."""
    day = today or clock.today()
    out: dict[int, dict[str, Any]] = {a: {"last_contact": None, "days_since": None} for a in account_ids}
    for account_id, at in db.execute(
            """SELECT account_id, max(at) FROM (
                   SELECT account_id, visited_on AS at FROM visits WHERE status = 'done'
                   UNION ALL SELECT account_id, done_on FROM relationship_actions WHERE status = 'done')
               WHERE account_id IN (SELECT value FROM json_each(?)) GROUP BY account_id""",
            [json.dumps(list(account_ids))]).fetchall():
        if at:
            seen = clock.day_of(str(at))
            out[account_id] = {"last_contact": seen.isoformat(), "days_since": (day - seen).days}
    return out


def key_people_not_contacted(db: Database, account_ids: list[int], days: int | None = None,
                             today: date | None = None) -> list[dict[str, Any]]:
    """Key people (marked, or decision makers) with no contact in `days` days (or never): for the huddle agenda.

    No permission check (like the coverage flags): callers pass the accounts the actor may read.
    `days` defaults to the admin-set threshold. Longest silence first; never-contacted people first of all.
    """
    limit = days if days is not None else settings(db)["not_contacted_days"]
    stale = [p for p in last_contacts(db, list(account_ids), today)
             if p["key"] and (p["days_since"] is None or p["days_since"] >= limit)]
    stale.sort(key=lambda p: (p["days_since"] is not None, -(p["days_since"] or 0), p["account_id"], p["name"]))
    return [{"account_id": p["account_id"], "stakeholder_id": p["id"], "name": p["name"],
             "last_contact": p["last_contact"], "days_since": p["days_since"]} for p in stale]


# --- budgets ------------------------------------------------------------------------------------


def budget(db: Database, account_id: int, today: date | None = None) -> dict[str, Any]:
    """The relationship plan's budget: planned and spent sums, and the key visits not done (overdue or cancelled)."""
    day = (today or clock.today()).isoformat()
    planned, spent = db.execute(
        "SELECT coalesce(sum(CASE WHEN status <> 'cancelled' THEN budget_planned END), 0), "
        "coalesce(sum(budget_spent), 0) FROM relationship_actions WHERE account_id = ?", [account_id]).fetchone()
    missed = store.rows(
        db,
        f"""SELECT a.id, a.kind, a.due_date, a.status, s.name AS stakeholder_name
            FROM relationship_actions a JOIN stakeholders s ON s.id = a.stakeholder_id
            WHERE a.account_id = ? AND (a.kind IN ({','.join('?' * len(KEY_VISIT_KINDS))})
                                        OR coalesce(a.key_visit, 0))
              AND (a.status = 'cancelled' OR (a.status IN ('planned', 'in_progress') AND a.due_date < ?))
            ORDER BY a.due_date""",
        [account_id, *KEY_VISIT_KINDS, day],
    )
    return {"planned": planned, "spent": spent, "spent_pct": round(100 * spent / planned, 1) if planned else None,
            "key_visits_not_done": missed}


# --- guidance flags -----------------------------------------------------------------------------


def guidance_flags(db: Database, account_id: int, opportunity_id: int | None = None,
                   today: date | None = None) -> list[Flag]:
    """Budget, freshness and key-contact guidance flags of an account (no permission check; high first).

    With `opportunity_id`: the key-people freshness of that deal's participants only.
    """
    limits = settings(db)
    people = last_contacts(db, [account_id], today)
    if opportunity_id is not None:
        ids = {r[0] for r in db.execute("SELECT stakeholder_id FROM stakeholder_opportunities WHERE opportunity_id = ?",
                                        [opportunity_id])}
        people = [p for p in people if p["id"] in ids]
    out: list[Flag] = []
    if opportunity_id is None:
        plan = budget(db, account_id, today)
        if plan["spent"] > 0 and plan["key_visits_not_done"] and (
                plan["planned"] == 0 or plan["spent"] >= plan["planned"] * limits["budget_spent_pct"] / 100):
            currency = (db.execute("SELECT currency FROM accounts WHERE id = ?", [account_id]).fetchone() or [""])[0]
            out.append(Flag("budget_spent_visits_not_done", account_id, None, (), {
                "spent": money.Amount(plan["spent"], currency), "planned": money.Amount(plan["planned"], currency),
                "visits": len(plan["key_visits_not_done"])}))
    stale = [p for p in people if p["key"] and (p["days_since"] is None or p["days_since"] >= limits["not_contacted_days"])]
    for p in stale:
        out.append(Flag("key_person_not_contacted" if p["days_since"] is not None else "key_person_never_contacted",
                        account_id, opportunity_id, (p["id"],),
                        {"name": p["name"], "days": limits["not_contacted_days"], "since": p["days_since"]}))
    if opportunity_id is None and people:
        marked = sum(1 for p in people if p.get("key_contact"))
        if marked < limits["key_contacts_min"]:
            out.append(Flag("too_few_key_contacts", account_id, None, (), {"count": marked,
                                                                            "min": limits["key_contacts_min"]}))
        elif marked > limits["key_contacts_max"]:
            out.append(Flag("too_many_key_contacts", account_id, None, (), {"count": marked,
                                                                             "max": limits["key_contacts_max"]}))
        sponsors = sum(1 for p in people if p.get("executive_sponsor"))
        if sponsors < limits["executive_sponsors_min"]:
            out.append(Flag("no_executive_sponsor", account_id, None, (), {"count": sponsors,
                                                                            "min": limits["executive_sponsors_min"]}))
    return sorted(out, key=lambda f: (f.severity != "high", GUIDANCE_KINDS.index(f.kind)))


def flags(db: Database, actor: User, account_id: int, opportunity_id: int | None = None) -> list[Flag]:
    """The guidance flags a page shows, after checking the actor may read the account."""
    permissions.require_read(db, actor, account_id)
    return guidance_flags(db, account_id, opportunity_id)
