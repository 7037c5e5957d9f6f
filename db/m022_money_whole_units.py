"""Money in whole units of its currency: every amount stored in thousands is multiplied by 1,000.

Why: an amount stored in thousands made every boundary where a person or a file hands the app a
full amount wrong by a factor of 1,000 (a 20,000 CNY budget became twenty million; a CRM export
in whole dollars became millions). In whole units every boundary — a file, a person, a rule —
speaks the same unit as the database. Amounts stay SQLite REAL, rounded to the cent: a double
holds every cent amount below 10^13 closely enough that rounding gives it back, and sums of cent
amounts round back to the exact cent sum (tests/core/test_money.py checks both with hypothesis).

Converted (×1,000, rounded to 2 decimals), columns:
- account_financials: revenue, gross_profit, receivables_outstanding, receivables_overdue
- goals: target, actual — for the money metrics only (orders, revenue, gross_margin, collections)
- opportunities: amount
- relationship_actions: budget_planned, budget_spent
- account_positions: potential_sales (the potential grid and whitespace read it)
- share_plans: wallet
- settings: retro.review_amount (the lost-deal review amount)
and amounts inside JSON:
- rules.conditions: the `value` of every `amount` condition (rule thresholds)
- tiering_criteria.definition: low/high of the money indicators (cum_revenue, cum_profit,
  avg_deal_size), flags.high_volume_revenue, grid.sales_low / sales_high
- account_tiers.contributions: the `value` of the money indicators
- plan_baselines.snapshot: the goals' (money metrics), share plans' amounts
- audit_log: old and new values of every field above, so History and conflict messages show
  the amounts of the time in the new unit.

Deals imported from a CRM file before this migration were stored as the file gave them (the
import did not divide by 1,000, but the screens multiplied): they are converted like every other
deal, since the database cannot tell them apart — re-import such a file to correct it.

The Migrations record runs this once; it is not safe to run twice by hand.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlite_utils import Database

FACTOR = 1000
MONEY_METRICS = ("orders", "revenue", "gross_margin", "collections")
MONEY_INDICATORS = ("cum_revenue", "cum_profit", "avg_deal_size")
REVIEW_AMOUNT_KEY = "retro.review_amount"

# table -> (entity name in the audit log, money columns)
COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "account_financials": ("financials", ("revenue", "gross_profit", "receivables_outstanding", "receivables_overdue")),
    "opportunities": ("opportunity", ("amount",)),
    "relationship_actions": ("relationship_action", ("budget_planned", "budget_spent")),
    "account_positions": ("account_position", ("potential_sales",)),
    "share_plans": ("share_plan", ("wallet",)),
}
GOAL_FIELDS = ("target", "actual")


def whole(value: Any) -> Any:
    """A stored amount in thousands as whole units (non-numbers are left as they are)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    return round(value * FACTOR, 2)


def _rule_conditions(conditions: Any) -> Any:
    if isinstance(conditions, list):
        for condition in conditions:
            if isinstance(condition, dict) and condition.get("field") == "amount":
                condition["value"] = whole(condition.get("value"))
    return conditions


def _definition(definition: Any) -> Any:
    if not isinstance(definition, dict):
        return definition
    for indicator in definition.get("indicators") or []:
        if isinstance(indicator, dict) and indicator.get("key") in MONEY_INDICATORS:
            for edge in ("low", "high"):
                indicator[edge] = whole(indicator.get(edge))
    flags = definition.get("flags")
    if isinstance(flags, dict) and "high_volume_revenue" in flags:
        flags["high_volume_revenue"] = whole(flags["high_volume_revenue"])
    grid = definition.get("grid")
    if isinstance(grid, dict):
        for edge in ("sales_low", "sales_high"):
            if edge in grid:
                grid[edge] = whole(grid[edge])
    return definition


def _contributions(contributions: Any) -> Any:
    if isinstance(contributions, list):
        for item in contributions:
            if isinstance(item, dict) and item.get("key") in MONEY_INDICATORS:
                item["value"] = whole(item.get("value"))
    return contributions


def _snapshot(snapshot: Any) -> Any:
    rows = snapshot.get("rows") if isinstance(snapshot, dict) else None
    if not isinstance(rows, dict):
        return snapshot
    for goal in (rows.get("goal") or {}).values():
        if isinstance(goal, dict) and goal.get("metric") in MONEY_METRICS:
            for name in GOAL_FIELDS:
                goal[name] = whole(goal.get(name))
    for plan in (rows.get("share_plan") or {}).values():
        if isinstance(plan, dict):
            plan["wallet"] = whole(plan.get("wallet"))
    return snapshot


# JSON text columns: table -> (entity in the audit log, column, how to convert the parsed JSON)
JSON_COLUMNS: tuple[tuple[str, str, str, Callable[[Any], Any]], ...] = (
    ("rules", "rule", "conditions", _rule_conditions),
    ("tiering_criteria", "tiering_criteria", "definition", _definition),
    ("account_tiers", "account_tier", "contributions", _contributions),
    ("plan_baselines", "plan_baseline", "snapshot", _snapshot),
)


def _json_text(text: Any, convert: Callable[[Any], Any]) -> Any:
    """JSON text with its amounts converted; text that is not JSON is left as it is."""
    if not isinstance(text, str):
        return text
    try:
        parsed = json.loads(text)
    except ValueError:
        return text
    compact = "," in text and ", " not in text
    return json.dumps(convert(parsed), ensure_ascii=False, separators=(",", ":") if compact else None)


def _audit_value(text: Any, convert: Callable[[Any], Any]) -> Any:
    """An audit value (JSON of the field's value) with its amount converted."""
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return text
    return json.dumps(convert(value), ensure_ascii=False)


def _convert_audit(db: Database, entity: str, field: str, convert: Callable[[Any], Any],
                   only_ids: set[int] | None = None) -> None:
    found = db.execute("SELECT id, entity_id, old_value, new_value FROM audit_log WHERE entity = ? AND field = ?",
                       [entity, field]).fetchall()
    for row_id, entity_id, old, new in found:
        if only_ids is not None and entity_id not in only_ids:
            continue
        db.conn.execute("UPDATE audit_log SET old_value = ?, new_value = ? WHERE id = ?",
                        [_audit_value(old, convert), _audit_value(new, convert), row_id])


def _money_goal_ids(db: Database) -> set[int]:
    """Goals (live or deleted) whose metric is money, from the table and from the audit log."""
    live = {r[0] for r in db.execute(f"SELECT id FROM goals WHERE metric IN ({', '.join('?' * len(MONEY_METRICS))})",
                                     MONEY_METRICS)}
    audited = db.execute("SELECT entity_id, new_value FROM audit_log WHERE entity = 'goal' AND field = 'metric' "
                         "ORDER BY id").fetchall()
    last: dict[int, Any] = {}
    for entity_id, new in audited:
        try:
            last[entity_id] = json.loads(new) if new is not None else None
        except ValueError:
            last[entity_id] = new
    known = {r[0] for r in db.execute("SELECT id FROM goals")}
    return live | {i for i, metric in last.items() if i not in known and metric in MONEY_METRICS}


def _json_columns(db: Database) -> None:
    for table, entity, column, convert in JSON_COLUMNS:
        for row_id, text in db.execute(f"SELECT id, [{column}] FROM [{table}]").fetchall():
            db.conn.execute(f"UPDATE [{table}] SET [{column}] = ? WHERE id = ?", [_json_text(text, convert), row_id])
        # the audit log keeps a JSON column's value as JSON text of the text
        _convert_audit(db, entity, column, lambda inner, convert=convert: _json_text(inner, convert))


def up(db: Database) -> None:
    """Multiply every stored amount (columns, JSON, audit values) by 1,000: thousands become whole units."""
    for table, (entity, columns) in COLUMNS.items():
        for column in columns:
            db.conn.execute(f"UPDATE [{table}] SET [{column}] = round([{column}] * {FACTOR}, 2) "
                            f"WHERE [{column}] IS NOT NULL")
            _convert_audit(db, entity, column, whole)
    goal_ids = _money_goal_ids(db)
    for column in GOAL_FIELDS:
        db.conn.execute(f"UPDATE goals SET [{column}] = round([{column}] * {FACTOR}, 2) WHERE [{column}] IS NOT NULL "
                        f"AND metric IN ({', '.join('?' * len(MONEY_METRICS))})", MONEY_METRICS)
        _convert_audit(db, "goal", column, whole, goal_ids)
    found = db.execute("SELECT value FROM settings WHERE key = ?", [REVIEW_AMOUNT_KEY]).fetchone()
    if found is not None:
        db.conn.execute("UPDATE settings SET value = ? WHERE key = ?", [str(whole(float(found[0]))), REVIEW_AMOUNT_KEY])
    _convert_audit(db, "setting", "review_amount", whole)
    _json_columns(db)
