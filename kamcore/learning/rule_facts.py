"""The fixed registry of facts a deal-health rule may test (D10): nothing else can be asked.

A rule condition names one field from `FIELDS`, an operator allowed for that
field's kind, and a threshold of the right type. Each field is a small, safe
read of opportunity, stakeholder, activity or plan data; a field whose data is
not there (no goal set, price not quoted) answers None and its condition does
not fire. Values are cached per evaluation, so checking many
rules against many deals costs one read per fact.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from sqlite_utils import Database

from kamcore import clock, store

Kind = Literal["integer", "number", "bool", "stage", "text"]
Scope = Literal["opportunity", "account"]
ORDERED_OPS = ("<", "<=", ">", ">=", "==", "!=")
OPS: dict[str, tuple[str, ...]] = {
    "integer": ORDERED_OPS,
    "number": ORDERED_OPS,
    "stage": ORDERED_OPS,
    "bool": ("==", "!="),
    "text": ("==", "!=", "in", "not_in"),
}


@dataclass(frozen=True)
class FieldSpec:
    """One testable fact: its kind, whether it needs a deal, its allowed threshold range, and how to read it."""

    name: str
    kind: Kind
    scope: Scope
    read: Callable[[Facts, int, dict[str, Any] | None], Any]
    low: float | None = None
    high: float | None = None


@dataclass
class Facts:
    """One evaluation's reads, cached: the connection, the reference day and what was already looked up."""

    db: Database
    today: date = field(default_factory=clock.today)
    cache: dict[tuple[Any, ...], Any] = field(default_factory=dict)

    def once(self, key: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
        """Compute a fact the first time it is asked for in this evaluation."""
        try:
            return self.cache[key]
        except KeyError:
            found = self.cache[key] = compute()
            return found

    def day_of(self, opp: dict[str, Any] | None) -> date:
        """The day a deal is judged on: today while open, its close date once closed (for backtests)."""
        if opp and opp.get("status") != "open" and opp.get("closed_on"):
            return date.fromisoformat(str(opp["closed_on"])[:10])
        return self.today

    def stage_positions(self) -> dict[str, int]:
        """Stage key -> position in the pipeline model."""
        return self.once(("stages",), lambda: {r[0]: r[1] for r in self.db.execute(
            "SELECT key, position FROM stages ORDER BY position").fetchall()})

    def stakeholders(self, account_id: int) -> list[dict[str, Any]]:
        """The account's decision chain."""
        return self.once(("stakeholders", account_id), lambda: store.rows(
            self.db, "SELECT id, level, roles, stance, score, owner_id FROM stakeholders WHERE account_id = ?",
            [account_id]))

    def deal_people(self, opp_id: int) -> dict[int, str]:
        """Stakeholder id -> role for the people taking part in one deal."""
        return self.once(("deal_people", opp_id), lambda: {r[0]: r[1] for r in self.db.execute(
            "SELECT stakeholder_id, role FROM stakeholder_opportunities WHERE opportunity_id = ?",
            [opp_id]).fetchall()})



def _stage(facts: Facts, account_id: int, opp: dict[str, Any] | None) -> Any:
    return opp["stage"] if opp else None


def _amount(facts: Facts, account_id: int, opp: dict[str, Any] | None) -> Any:
    return float(opp["amount"]) if opp and opp["amount"] is not None else None


def _man(letter: str) -> Callable[[Facts, int, dict[str, Any] | None], Any]:
    """MAN qualification (D6): money / authority / need present, absent, or not assessed (None)."""
    def read_it(facts: Facts, account_id: int, opp: dict[str, Any] | None) -> Any:
        value = opp.get(f"man_{letter}") if opp else None
        return None if value is None else bool(value)
    return read_it


def _days_in_stage(facts: Facts, account_id: int, opp: dict[str, Any] | None) -> Any:
    if opp is None:
        return None
    since = opp.get("opened_on") or opp["created_at"]
    moved = facts.once(("last_move", opp["id"]), lambda: facts.db.execute(
        "SELECT max(moved_at) FROM stage_history WHERE opportunity_id = ?", [opp["id"]]).fetchone()[0])
    since = moved or since
    return (facts.day_of(opp) - clock.day_of(str(since))).days


def _days_since_activity(facts: Facts, account_id: int, opp: dict[str, Any] | None) -> Any:
    """Days since the last recorded touch: a change to the deal, or a visit done at the account."""
    day = facts.day_of(opp)
    last: list[str] = []
    if opp is not None:
        found = facts.once(("last_change", opp["id"], day), lambda: facts.db.execute(
            "SELECT max(at) FROM audit_log WHERE entity = 'opportunity' AND entity_id = ? AND at < ?",
            [opp["id"], (day.isoformat() + "T99")]).fetchone()[0])
        last.append(found or str(opp.get("opened_on") or opp["created_at"]))
    visited = facts.once(("last_visit", account_id, day), lambda: facts.db.execute(
        "SELECT max(visited_on) FROM visits WHERE account_id = ? AND status = 'done' AND visited_on <= ?",
        [account_id, day.isoformat()]).fetchone()[0])
    if visited:
        last.append(visited)
    if not last:
        return None
    return (day - max(clock.day_of(s) for s in last)).days


def _days_to_close(facts: Facts, account_id: int, opp: dict[str, Any] | None) -> Any:
    if opp is None or not opp.get("expected_close"):
        return None
    return (date.fromisoformat(str(opp["expected_close"])[:10]) - facts.day_of(opp)).days


def _needs(facts: Facts, opp_id: int) -> list[dict[str, Any]]:
    return facts.once(("needs", opp_id), lambda: store.rows(
        facts.db, "SELECT * FROM needs WHERE opportunity_id = ?", [opp_id]))


def _price_before_needs(facts: Facts, account_id: int, opp: dict[str, Any] | None) -> Any:
    """Price was quoted before any explicit need was confirmed with the customer (D9)."""
    if opp is None:
        return None
    from kamcore.pipeline import discovery

    return discovery.price_quoted_too_early(opp, _needs(facts, opp["id"]))


def _confirmed_needs(facts: Facts, account_id: int, opp: dict[str, Any] | None) -> Any:
    if opp is None:
        return None
    return sum(1 for n in _needs(facts, opp["id"]) if n["confirmed"])


def _coverage_scope(facts: Facts, account_id: int, opp: dict[str, Any] | None) -> int | None:
    """The deal's own people when it names any (coverage per opportunity), else the whole account."""
    return opp["id"] if opp is not None and facts.deal_people(opp["id"]) else None


def _coverage(facts: Facts, check: str, account_id: int, opp: dict[str, Any] | None) -> list[Any] | None:
    """Flags of one decision-chain check from `kamcore.decision_chain.coverage` (issue 6) in this scope."""
    from kamcore.decision_chain import coverage

    scope = _coverage_scope(facts, account_id, opp)

    def compute() -> list[Any]:
        found = getattr(coverage, check)(facts.db, account_id, scope)
        return [f for f in found if f.opportunity_id == scope]

    return facts.once(("coverage", check, account_id, scope), compute)


def _nobody_mapped(facts: Facts, account_id: int, opp: dict[str, Any] | None) -> bool:
    scope = _coverage_scope(facts, account_id, opp)
    return not (facts.deal_people(scope) if scope is not None else facts.stakeholders(account_id))


def _single_threaded(facts: Facts, account_id: int, opp: dict[str, Any] | None) -> Any:
    """All our contact runs through one supportive person: the Pudong loss (D4)."""
    found = _coverage(facts, "single_threaded", account_id, opp)
    return None if found is None else bool(found)


def _no_coach(facts: Facts, account_id: int, opp: dict[str, Any] | None) -> Any:
    """Nobody tells us who opposes us and why (also true when nobody is mapped at all)."""
    found = _coverage(facts, "no_coach", account_id, opp)
    return None if found is None else bool(found) or _nobody_mapped(facts, account_id, opp)


def _decision_maker_covered(facts: Facts, account_id: int, opp: dict[str, Any] | None) -> Any:
    """A decision maker is mapped and every one of them is owned by a member of our team."""
    uncovered = _coverage(facts, "decision_maker_uncovered", account_id, opp)
    if uncovered is None:
        return None
    unknown = _coverage(facts, "decision_maker_unknown", account_id, opp) or []
    return not (uncovered or unknown or _nobody_mapped(facts, account_id, opp))


def _hostile_deciders_unattended(facts: Facts, account_id: int, opp: dict[str, Any] | None) -> Any:
    """Opponents and blockers in the decision layer with no planned or running relationship action."""
    found = _coverage(facts, "blocker_without_action", account_id, opp)
    return None if found is None else len(found)


def _overdue_relationship_actions(facts: Facts, account_id: int, opp: dict[str, Any] | None) -> Any:
    """Planned or running relationship actions past their due date (the PDCA review of issue 6)."""
    from kamcore.relationships import pdca
    from kamcore.users import SYSTEM

    return facts.once(("overdue_actions", account_id, facts.today), lambda: int(
        pdca.review(facts.db, SYSTEM, account_id, facts.today)["overdue"]))


def _goal_parts(facts: Facts, account_id: int) -> tuple[Any, float, float]:
    """This year's order goal, won amount and open pipeline closing this year, for one account."""
    from kamcore.pipeline import opportunities

    year = facts.today.year

    def compute() -> tuple[Any, float, float]:
        target = facts.db.execute(
            "SELECT sum(target) FROM goals WHERE account_id = ? AND year = ? AND metric = 'orders' "
            "AND quarter IS NULL", [account_id, year]).fetchone()[0]
        if not target:
            return target, 0.0, 0.0
        won = facts.db.execute(
            "SELECT coalesce(sum(amount), 0) FROM opportunities WHERE account_id = ? AND status = 'won' "
            "AND substr(coalesce(closed_on, ''), 1, 4) = ?", [account_id, str(year)]).fetchone()[0]
        pipeline = opportunities.open_pipeline(facts.db, [account_id], period_start=f"{year}-01-01",
                                               period_end=f"{year}-12-31")["amount"]
        return target, won, pipeline

    return facts.once(("goal_parts", account_id, year), compute)


def _goal_coverage(facts: Facts, account_id: int, opp: dict[str, Any] | None) -> Any:
    """This year's order goal covered by deals won this year plus open pipeline closing this year, in % (D3)."""
    target, won, pipeline = _goal_parts(facts, account_id)
    if not target:
        return None
    return round(100.0 * (won + pipeline) / target, 1)


def _overdue_improvements(facts: Facts, account_id: int, opp: dict[str, Any] | None) -> Any:
    return facts.once(("overdue_improvements", account_id, facts.today), lambda: facts.db.execute(
        "SELECT count(*) FROM improvement_actions WHERE account_id = ? AND status = 'open' AND due_date < ?",
        [account_id, facts.today.isoformat()]).fetchone()[0])


def _industry(facts: Facts, account_id: int, opp: dict[str, Any] | None) -> Any:
    return facts.once(("industry", account_id), lambda: facts.db.execute(
        "SELECT industry FROM accounts WHERE id = ?", [account_id]).fetchone()[0])


def _competitor_count(facts: Facts, account_id: int, opp: dict[str, Any] | None) -> Any:
    if opp is None:
        return None
    found = facts.once(("competitors", opp["id"]), lambda: facts.db.execute(
        "SELECT count(*) FROM competitors WHERE opportunity_id = ? AND is_us = 0", [opp["id"]]).fetchone()[0])
    if found:
        return found
    return len([c for c in str(opp.get("competitors") or "").split(",") if c.strip()])


_SPECS = [
    FieldSpec("stage", "stage", "opportunity", _stage),
    FieldSpec("amount", "number", "opportunity", _amount, 0, 1e13),
    FieldSpec("days_in_stage", "integer", "opportunity", _days_in_stage, 0, 3650),
    FieldSpec("days_since_activity", "integer", "opportunity", _days_since_activity, 0, 3650),
    FieldSpec("days_to_expected_close", "integer", "opportunity", _days_to_close, -3650, 3650),
    FieldSpec("man_money", "bool", "opportunity", _man("money")),
    FieldSpec("man_authority", "bool", "opportunity", _man("authority")),
    FieldSpec("man_need", "bool", "opportunity", _man("need")),
    FieldSpec("price_quoted_before_needs_confirmed", "bool", "opportunity", _price_before_needs),
    FieldSpec("confirmed_needs", "integer", "opportunity", _confirmed_needs, 0, 1000),
    FieldSpec("competitor_count", "integer", "opportunity", _competitor_count, 0, 100),
    FieldSpec("single_threaded", "bool", "account", _single_threaded),
    FieldSpec("no_coach", "bool", "account", _no_coach),
    FieldSpec("decision_maker_covered", "bool", "account", _decision_maker_covered),
    FieldSpec("hostile_deciders_without_action", "integer", "account", _hostile_deciders_unattended, 0, 1000),
    FieldSpec("overdue_relationship_actions", "integer", "account", _overdue_relationship_actions, 0, 1000),
    FieldSpec("goal_pipeline_coverage_pct", "number", "account", _goal_coverage, 0, 100000),
    FieldSpec("overdue_improvement_actions", "integer", "account", _overdue_improvements, 0, 1000),
    FieldSpec("industry", "text", "account", _industry),
]
FIELDS: dict[str, FieldSpec] = {spec.name: spec for spec in _SPECS}
# The unit a number threshold is given in (shown beside the number, never typed); an amount is in whole units of
# each deal's own currency, as stored.
UNITS: dict[str, str] = {
    "amount": "deal_currency", "days_in_stage": "days", "days_since_activity": "days", "days_to_expected_close": "days",
    "goal_pipeline_coverage_pct": "percent",
}


def text_choices(db: Database, name: str) -> list[str]:
    """The values a text field can take today (industries of the accounts), for a pick list instead of typing."""
    if name == "industry":
        return [r[0] for r in db.execute("SELECT DISTINCT industry FROM accounts WHERE industry <> '' "
                                         "ORDER BY industry").fetchall()]
    return []


def read(facts: Facts, name: str, account_id: int, opp: dict[str, Any] | None) -> Any:
    """The value of one registered field for an account (and deal); cached for the evaluation."""
    key = ("field", name, account_id, opp["id"] if opp else None)
    if key in facts.cache:
        return facts.cache[key]
    spec = FIELDS[name]
    return facts.once(key, lambda: spec.read(facts, account_id, opp))


# ---- reading for many deals at once -------------------------------------------------------------

_DEAL_PEOPLE = ("single_threaded", "no_coach", "decision_maker_covered", "hostile_deciders_without_action")


def prefetch(facts: Facts, names: Iterable[str], subjects: list[tuple[int, dict[str, Any] | None]]) -> None:
    """Look up what the named fields read for many (account, deal) subjects in a few set-based queries.

    Each kind of fact is one aggregate query over all the deals or accounts (grouped by deal or
    account); the answers go into the evaluation's cache under the keys the per-deal readers
    use, so `read` afterwards computes every field exactly as it would deal by deal, without
    touching the database. Facts already cached are kept.
    """
    names = set(names)
    deals = list({opp["id"]: opp for _, opp in subjects if opp is not None}.values())
    accounts = sorted({account_id for account_id, _ in subjects})
    if not accounts:
        return
    deal_ids = json.dumps([d["id"] for d in deals])
    account_ids = json.dumps(accounts)

    def fill(kind: str, found: dict[Any, Any], keys: Iterable[Any], default: Any) -> None:
        for key in keys:
            facts.cache.setdefault((kind, *key) if isinstance(key, tuple) else (kind, key), found.get(key, default))

    def by_deal(sql: str) -> dict[Any, Any]:
        return {r[0]: r[1] for r in facts.db.execute(sql, [deal_ids]).fetchall()}

    ids = [d["id"] for d in deals]
    if "days_in_stage" in names and deals:
        fill("last_move", by_deal("SELECT opportunity_id, max(moved_at) FROM stage_history WHERE opportunity_id IN "
                                  "(SELECT value FROM json_each(?)) GROUP BY opportunity_id"), ids, None)
    if "days_since_activity" in names:
        _prefetch_activity(facts, subjects, deals)
    if names & {"price_quoted_before_needs_confirmed", "confirmed_needs"} and deals:
        needs: dict[int, list[dict[str, Any]]] = {}
        for need in store.rows(facts.db, "SELECT * FROM needs WHERE opportunity_id IN (SELECT value FROM json_each(?))",
                               [deal_ids]):
            needs.setdefault(need["opportunity_id"], []).append(need)
        fill("needs", needs, ids, [])
    if "competitor_count" in names and deals:
        fill("competitors", by_deal("SELECT opportunity_id, count(*) FROM competitors WHERE is_us = 0 AND "
                                    "opportunity_id IN (SELECT value FROM json_each(?)) GROUP BY opportunity_id"),
             ids, 0)
    if names & set(_DEAL_PEOPLE):
        _prefetch_coverage(facts, subjects, deals, accounts)
    day = facts.today.isoformat()
    if "overdue_relationship_actions" in names:
        fill("overdue_actions", {(r[0], facts.today): r[1] for r in facts.db.execute(
            "SELECT account_id, coalesce(sum(status IN ('planned', 'in_progress') AND due_date < ?), 0) "
            "FROM relationship_actions WHERE account_id IN (SELECT value FROM json_each(?)) GROUP BY account_id",
            [day, account_ids]).fetchall()}, [(a, facts.today) for a in accounts], 0)
    if "goal_pipeline_coverage_pct" in names:
        _prefetch_goals(facts, accounts)
    if "overdue_improvement_actions" in names:
        fill("overdue_improvements", {(r[0], facts.today): r[1] for r in facts.db.execute(
            "SELECT account_id, count(*) FROM improvement_actions WHERE account_id IN (SELECT value FROM json_each(?)) "
            "AND status = 'open' AND due_date < ? GROUP BY account_id", [account_ids, day]).fetchall()},
             [(a, facts.today) for a in accounts], 0)
    if "industry" in names:
        fill("industry", {r[0]: r[1] for r in facts.db.execute(
            "SELECT id, industry FROM accounts WHERE id IN (SELECT value FROM json_each(?))", [account_ids])},
             accounts, None)


def _prefetch_activity(facts: Facts, subjects: list[tuple[int, dict[str, Any] | None]],
                       deals: list[dict[str, Any]]) -> None:
    """Last change to each deal before its judging day, and last done visit per account and day."""
    days = {d["id"]: facts.day_of(d) for d in deals}
    if len(set(days.values())) == 1:  # open deals: all judged today, one grouped query
        day = next(iter(days.values()))
        found = {r[0]: r[1] for r in facts.db.execute(
            "SELECT entity_id, max(at) FROM audit_log WHERE entity = 'opportunity' AND entity_id IN "
            "(SELECT value FROM json_each(?)) AND at < ? GROUP BY entity_id",
            [json.dumps(list(days)), day.isoformat() + "T99"]).fetchall()}
        for opp_id in days:
            facts.cache.setdefault(("last_change", opp_id, day), found.get(opp_id))
    elif days:  # closed deals (backtest): each judged on its close date
        asked = [[opp_id, day.isoformat()] for opp_id, day in days.items()]
        for opp_id, day, found in facts.db.execute(
                """WITH asked(id, day) AS MATERIALIZED (SELECT j.value ->> 0, j.value ->> 1 FROM json_each(?) j)
                   SELECT id, day, (SELECT max(at) FROM audit_log WHERE entity = 'opportunity'
                                      AND entity_id = asked.id AND at < asked.day || 'T99')
                   FROM asked""", [json.dumps(asked)]).fetchall():
            facts.cache.setdefault(("last_change", opp_id, date.fromisoformat(day)), found)
    pairs = sorted({(a, facts.day_of(opp).isoformat()) for a, opp in subjects})
    for account_id, day, found in facts.db.execute(
            """WITH asked(account_id, day) AS MATERIALIZED
                      (SELECT j.value ->> 0, j.value ->> 1 FROM json_each(?) j)
               SELECT account_id, day, (SELECT max(visited_on) FROM visits v WHERE v.account_id = asked.account_id
                                          AND v.status = 'done' AND v.visited_on <= asked.day)
               FROM asked""", [json.dumps(pairs)]).fetchall():
        facts.cache.setdefault(("last_visit", account_id, date.fromisoformat(day)), found)


def _prefetch_coverage(facts: Facts, subjects: list[tuple[int, dict[str, Any] | None]],
                       deals: list[dict[str, Any]], accounts: list[int]) -> None:
    """Decision-chain people per deal and account, then the coverage checks in each deal's scope."""
    from kamcore.decision_chain import coverage

    if deals:
        people: dict[int, dict[int, str]] = {}
        for opp_id, person, role in facts.db.execute(
                "SELECT opportunity_id, stakeholder_id, role FROM stakeholder_opportunities "
                "WHERE opportunity_id IN (SELECT value FROM json_each(?))",
                [json.dumps([d["id"] for d in deals])]).fetchall():
            people.setdefault(opp_id, {})[person] = role
        for deal in deals:
            facts.cache.setdefault(("deal_people", deal["id"]), people.get(deal["id"], {}))
    chains: dict[int, list[dict[str, Any]]] = {}
    for person in store.rows(facts.db, "SELECT account_id, id, level, roles, stance, score, owner_id FROM stakeholders "
                                       "WHERE account_id IN (SELECT value FROM json_each(?))", [json.dumps(accounts)]):
        chains.setdefault(person.pop("account_id"), []).append(person)
    for account_id in accounts:
        facts.cache.setdefault(("stakeholders", account_id), chains.get(account_id, []))
    scopes = {(a, _coverage_scope(facts, a, opp)) for a, opp in subjects}
    for (check, account_id, scope), found in coverage.scope_flags(facts.db, scopes).items():
        facts.cache.setdefault(("coverage", check, account_id, scope), found)


def _prefetch_goals(facts: Facts, accounts: list[int]) -> None:
    """This year's order goal, won amount and open pipeline per account (as `opportunities.open_pipeline` sums it)."""
    year = facts.today.year
    asked = [json.dumps(accounts)]
    targets = {r[0]: r[1] for r in facts.db.execute(
        "SELECT account_id, sum(target) FROM goals WHERE account_id IN (SELECT value FROM json_each(?)) AND year = ? "
        "AND metric = 'orders' AND quarter IS NULL GROUP BY account_id", [*asked, year]).fetchall()}
    won = {r[0]: r[1] for r in facts.db.execute(
        "SELECT account_id, coalesce(sum(amount), 0) FROM opportunities WHERE account_id IN "
        "(SELECT value FROM json_each(?)) AND status = 'won' AND substr(coalesce(closed_on, ''), 1, 4) = ? "
        "GROUP BY account_id", [*asked, str(year)]).fetchall()}
    pipeline: dict[int, float] = {}
    for account_id, amount in facts.db.execute(
            """SELECT o.account_id, sum(o.amount) FROM opportunities o
               WHERE o.account_id IN (SELECT value FROM json_each(?)) AND o.status = 'open'
                 AND o.expected_close >= ? AND o.expected_close <= ?
               GROUP BY o.account_id, o.product_line_id, o.currency
               ORDER BY o.account_id, o.product_line_id, o.currency""",
            [*asked, f"{year}-01-01", f"{year}-12-31"]).fetchall():
        pipeline[account_id] = pipeline.get(account_id, 0.0) + (amount or 0.0)
    for account_id in accounts:
        target = targets.get(account_id)
        parts = (target, won.get(account_id, 0), pipeline.get(account_id, 0.0)) if target else (target, 0.0, 0.0)
        facts.cache.setdefault(("goal_parts", account_id, year), parts)
