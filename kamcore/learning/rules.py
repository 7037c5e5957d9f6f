"""Deal-health rules (D10): lessons that became conditions, warning on every live deal that repeats a mistake.

A rule is declarative data — a list of conditions `{"field", "op", "value"}`
over the fixed registry in `kamcore.learning.rule_facts`, all of which must hold — with
a severity and the lesson that explains it. Nothing a user types is ever run as
code: an unknown field or operator, a threshold of the wrong type or out of
range, or malformed input is refused with a message naming the condition.

Flags are computed live (`evaluate`, `flags_for_account`, `flags_for_opportunity`,
`flag_counts`). `sweep` records in `rule_firings` when each rule started and
stopped firing on which deal, so the team can see how flagged deals ended.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any, Literal

from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError
from sqlite_utils import Database

from kamcore import clock, data_cache, permissions, records, store
from kamcore.errors import NotFoundError, PermissionDenied, ValidationError
from kamcore.learning.retrospectives import LESSON
from kamcore.learning.rule_facts import FIELDS, OPS, Facts, prefetch, read
from kamcore.records import Action, Entity, Record
from kamcore.users import SYSTEM, User

SEVERITIES = ("critical", "warning", "info")
MAX_CONDITIONS = 8
MAX_JSON = 4000
MAX_CHOICES = 20
SWEEP_KEY = "rules.last_sweep"
_SHOWN = re.compile(r"[^\w .\-]")
_SHOWN_OP = re.compile(r"[^\w<>=!]")


def _shown(value: Any, pattern: re.Pattern[str] = _SHOWN) -> str:
    """User input echoed in an error message: short, and without markup characters."""
    return pattern.sub("?", str(value))[:40]


def _bad(kind: str, number: int, **ctx: Any) -> PydanticCustomError:
    return PydanticCustomError(f"reason.rule_{kind}", kind, {"number": number, **ctx})


def check_conditions(raw: Any) -> list[dict[str, Any]]:
    """Parse and validate a rule's conditions (a list or its JSON text); raise PydanticCustomError if unsafe."""
    if isinstance(raw, str):
        if len(raw) > MAX_JSON:
            raise PydanticCustomError("reason.rule_conditions_too_long", "too long", {"max": MAX_JSON})
        try:
            raw = json.loads(raw)
        except ValueError:
            raise PydanticCustomError("reason.rule_conditions_json", "not JSON", {}) from None
    if not isinstance(raw, list):
        raise PydanticCustomError("reason.rule_conditions_json", "not a list", {})
    if not raw:
        raise PydanticCustomError("reason.rule_no_conditions", "no conditions", {})
    if len(raw) > MAX_CONDITIONS:
        raise PydanticCustomError("reason.rule_too_many_conditions", "too many", {"max": MAX_CONDITIONS})
    return [_check_one(number, item) for number, item in enumerate(raw, start=1)]


def _check_one(number: int, item: Any) -> dict[str, Any]:
    if not isinstance(item, dict) or set(item) != {"field", "op", "value"}:
        raise _bad("condition_shape", number)
    name, op, value = item["field"], item["op"], item["value"]
    if not isinstance(name, str) or name not in FIELDS:
        raise _bad("unknown_field", number, name=_shown(name), known=", ".join(FIELDS))
    spec = FIELDS[name]
    allowed = OPS[spec.kind]
    if not isinstance(op, str) or op not in allowed:
        raise _bad("unknown_op", number, op=_shown(op, _SHOWN_OP), name=name, allowed=" ".join(allowed))
    return {"field": name, "op": op, "value": _check_value(number, spec.kind, name, op, value, spec.low, spec.high)}


def _check_value(number: int, kind: str, name: str, op: str, value: Any, low: float | None,
                 high: float | None) -> Any:
    if kind in ("integer", "number"):
        ok_type = isinstance(value, int) if kind == "integer" else isinstance(value, (int, float))
        if isinstance(value, bool) or not ok_type or (isinstance(value, float) and not math.isfinite(value)):
            raise _bad(f"value_{kind}", number, name=name)
        if (low is not None and value < low) or (high is not None and value > high):
            raise _bad("value_range", number, name=name, low=_num(low), high=_num(high))
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise _bad(f"value_{kind}", number, name=name)
        return value
    if kind == "text" and op in ("in", "not_in"):
        if (not isinstance(value, list) or not 1 <= len(value) <= MAX_CHOICES
                or not all(isinstance(v, str) and 0 < len(v.strip()) <= 120 for v in value)):
            raise _bad("value_text_list", number, name=name)
        return [v.strip() for v in value]
    if not isinstance(value, str) or not 0 < len(value.strip()) <= 120:
        raise _bad(f"value_{kind}", number, name=name)
    return value.strip()


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


class RuleIn(Record):
    """A rule as stored: name, the lesson behind it, severity and its conditions (canonical JSON)."""

    name: str = Field(min_length=1, max_length=120)
    code: str | None = None
    lesson: str = Field(min_length=1, max_length=2000)
    severity: Literal["critical", "warning", "info"] = "warning"
    conditions: str
    active: bool = True
    builtin: bool = False
    lesson_id: int | None = None
    owner_id: int | None = None

    @field_validator("conditions", mode="before")
    @classmethod
    def _safe_conditions(cls, value: Any) -> str:
        return json.dumps(check_conditions(value), ensure_ascii=False)


def _known_stages(db: Database, values: dict[str, Any], row_id: int | None) -> None:
    """Stage thresholds must name a stage of the pipeline model (stages are configurable, so checked here)."""
    positions = Facts(db).stage_positions()
    for number, cond in enumerate(json.loads(values["conditions"]), start=1):
        if FIELDS[cond["field"]].kind == "stage" and cond["value"] not in positions:
            raise ValidationError.single("conditions", "reason.rule_unknown_stage", number=number,
                                         value=_shown(cond["value"]), known=", ".join(positions) or "—")


def _authorize(db: Database, actor: User, account_id: int | None, action: Action) -> None:
    """Anyone who edits an account may write rules; who may change which rule is checked below."""
    if actor.is_admin:
        return
    if not any(permissions.can_edit(db, actor, a) for a in permissions.readable_account_ids(db, actor)):
        raise PermissionDenied("err.rule_editors_only")


def _rule_row(db: Database, actor: User, row: dict[str, Any], action: Action, changed: frozenset[str]) -> None:
    """Every path (History's restore, the import) keeps `_may_change`: built-in rules by admins, others by
    their owner or an admin."""
    if action == "create":
        if not actor.is_admin and (row.get("builtin") or row.get("owner_id") != actor.id):
            raise PermissionDenied("err.rule_owner_only")
        return
    _may_change(actor, row)


ENTITY = Entity("rule", "rules", RuleIn, account_field=None, authorize=_authorize, authorize_row=_rule_row,
                extra_checks=(_known_stages,), workflow_fields=frozenset({"builtin", "code", "owner_id", "lesson_id"}))


class AckIn(Record):
    """An acknowledged flag: the team saw it and says why it stands (optionally until a date)."""

    account_id: int
    rule_id: int
    opportunity_id: int | None = None
    reason: str = Field(min_length=3, max_length=1000)
    until: date | None = None

    @field_validator("opportunity_id", "until", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if value == "" else value


def _ack_subject(db: Database, values: dict[str, Any], row_id: int | None) -> None:
    if db.execute("SELECT 1 FROM rules WHERE id = ?", [values["rule_id"]]).fetchone() is None:
        raise ValidationError.single("rule_id", "reason.rule_unknown")
    if values.get("opportunity_id") is not None:
        found = db.execute("SELECT account_id FROM opportunities WHERE id = ?", [values["opportunity_id"]]).fetchone()
        if found is None or found[0] != values["account_id"]:
            raise ValidationError.single("opportunity_id", "reason.retro_unknown_opportunity")
    if values.get("until") and values["until"] < clock.today().isoformat():
        raise ValidationError.single("until", "reason.ack_until_past")


ACK = Entity("flag_ack", "flag_acks", AckIn, extra_checks=(_ack_subject,))


# ---- writing rules ------------------------------------------------------------------------------

def preview(db: Database, actor: User, conditions: Any) -> dict[str, Any]:
    """What a rule with these conditions would flag now, before it is saved: the flags on the accounts the
    actor can see (`flags`, most severe first), how many it would flag company-wide (`company_count` — what
    its firings will be once saved, as the sweep runs over every account), the rule's scope, how many live
    deals (or accounts) the company has, and whether the rule would match every one of them (`matches_all`,
    which is refused unless allowed).
    Bad conditions raise the same ValidationError saving would."""
    clean = records.validate(ENTITY, {"name": "preview", "lesson": "preview", "conditions": conditions})
    _known_stages(db, clean, None)
    rule = {"id": 0, "name": "", "code": None, "severity": "warning", "lesson": "", "version": None,
            "condition_list": json.loads(clean["conditions"])}
    scope = scope_of(rule["condition_list"])
    everyone = [r[0] for r in db.execute("SELECT id FROM accounts").fetchall()]

    def compute(ids: list[int]) -> dict[int, list[Flag]]:
        out: dict[int, list[Flag]] = {a: [] for a in ids}
        for flag in _evaluate(db, ids, rules=[rule]):
            out[flag.account_id].append(flag)
        return out

    # each account's answer is kept per account data version under these exact conditions: looking again
    # (every rerun of the rule editor) re-evaluates only the accounts written to since
    by_account = data_cache.per_account(db, "rules.preview", everyone, compute, key=clean["conditions"])
    flags = _sorted([f for found in by_account.values() for f in found])
    subjects = (db.execute("SELECT count(*) FROM opportunities WHERE status = 'open' AND account_id IN "
                           "(SELECT id FROM accounts)").fetchone()[0] if scope == "opportunity" else len(everyone))
    readable = set(permissions.readable_account_ids(db, actor))
    return {"flags": [f for f in flags if f.account_id in readable], "company_count": len(flags), "scope": scope,
            "subjects": subjects, "matches_all": subjects > 0 and len(flags) == subjects}


def _refuse_match_all(db: Database, actor: User, conditions: Any, allow_match_all: bool) -> None:
    """A rule that flags every live deal says nothing; saving one needs an explicit yes."""
    if allow_match_all:
        return
    found = preview(db, actor, conditions)
    if found["matches_all"]:
        raise ValidationError.single("conditions", "reason.rule_matches_all", count=found["subjects"])


def create_rule(db: Database, actor: User, values: dict[str, Any], *, allow_match_all: bool = False
                ) -> dict[str, Any]:
    """Add a rule of one's own (never a built-in one); one that would flag every live deal needs `allow_match_all`."""
    values = {**values, "builtin": False, "code": None, "owner_id": actor.id}
    if isinstance(values.get("conditions"), (list, tuple)):
        values["conditions"] = list(values["conditions"])
    with store.transaction(db):
        if "conditions" in values:
            records.validate(ENTITY, values)
            _refuse_match_all(db, actor, values["conditions"], allow_match_all)
        return records.create(db, actor, ENTITY, values)


def rule_from_lesson(db: Database, actor: User, lesson_id: int, values: dict[str, Any], *,
                     allow_match_all: bool = False) -> dict[str, Any]:
    """Turn a retrospective's lesson into a rule that flags live deals repeating the mistake."""
    lesson = records.get(db, LESSON, lesson_id)
    permissions.require_edit(db, actor, lesson["account_id"])
    text = lesson["title"] + (f" — {lesson['detail']}" if lesson["detail"] else "")
    defaults = {"name": lesson["title"][:120], "lesson": text[:2000]}
    return create_rule(db, actor, {**defaults, **values, "lesson_id": lesson_id}, allow_match_all=allow_match_all)


def _may_change(actor: User, rule: dict[str, Any]) -> None:
    if rule["builtin"] and not actor.is_admin:
        raise PermissionDenied("err.rule_builtin_admin_only")
    if not (actor.is_admin or rule["owner_id"] == actor.id):
        raise PermissionDenied("err.rule_owner_only")


def update_rule(db: Database, actor: User, rule_id: int, base_version: int, changes: dict[str, Any], *,
                allow_match_all: bool = False) -> dict[str, Any]:
    """Change a rule (its author or an admin; built-in rules: admins), refusing a stale version. Each change
    is a new version of the rule (`rule_versions`); the firing log names the version that fired."""
    rule = get_rule(db, rule_id)
    _may_change(actor, rule)
    locked = [f for f in ("builtin", "code", "owner_id", "lesson_id") if f in changes]
    if locked:
        raise ValidationError.single(locked[0], "reason.read_only")
    changes = dict(changes)
    if isinstance(changes.get("conditions"), (list, tuple)):
        changes["conditions"] = list(changes["conditions"])
    with store.transaction(db):
        if "conditions" in changes:
            records.validate(ENTITY, {**{f: rule[f] for f in RuleIn.model_fields}, **changes})
            _refuse_match_all(db, actor, changes["conditions"], allow_match_all)
        return records.update(db, actor, ENTITY, rule_id, base_version, changes)


def rule_versions(db: Database, rule_id: int) -> list[dict[str, Any]]:
    """A rule's conditions as they were at each version (from the audit log), newest first, with who and when."""
    found = store.rows(
        db,
        """SELECT a.version, a.at, a.new_value, coalesce(u.display_name, 'System') AS actor
           FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id
           WHERE a.entity = 'rule' AND a.entity_id = ? AND a.field = 'conditions' AND a.new_value IS NOT NULL
           ORDER BY a.id DESC""", [rule_id])
    return [{"version": r["version"], "at": r["at"], "actor": r["actor"],
             "conditions": json.loads(records.decode(r["new_value"]))} for r in found]


def delete_rule(db: Database, actor: User, rule_id: int, base_version: int) -> None:
    """Remove a rule of one's own; built-in rules are switched off instead."""
    rule = get_rule(db, rule_id)
    if rule["builtin"]:
        raise ValidationError.single("builtin", "reason.rule_builtin_delete")
    _may_change(actor, rule)
    with store.transaction(db):
        for ack in store.rows(db, "SELECT id, version FROM flag_acks WHERE rule_id = ?", [rule_id]):
            records.delete(db, SYSTEM, ACK, ack["id"], ack["version"])
        records.delete(db, actor, ENTITY, rule_id, base_version)


def get_rule(db: Database, rule_id: int) -> dict[str, Any]:
    """One rule with its conditions parsed."""
    rule = records.get(db, ENTITY, rule_id)
    return {**rule, "condition_list": json.loads(rule["conditions"])}


def list_rules(db: Database, active_only: bool = False) -> list[dict[str, Any]]:
    """Every rule, built-in first, with its author and the lesson's retrospective."""
    where = "WHERE r.active = 1" if active_only else ""
    found = store.rows(
        db,
        f"""SELECT r.*, u.display_name AS owner_name, l.retrospective_id, l.account_id AS lesson_account_id
            FROM rules r LEFT JOIN users u ON u.id = r.owner_id LEFT JOIN lessons l ON l.id = r.lesson_id
            {where} ORDER BY r.builtin DESC, r.id""",
    )
    for rule in found:
        rule["condition_list"] = json.loads(rule["conditions"])
        rule["scope"] = scope_of(rule["condition_list"])
    return found


def scope_of(conditions: list[dict[str, Any]]) -> Literal["opportunity", "account"]:
    """A rule looks at each open deal if any condition needs one; otherwise at the account."""
    return "opportunity" if any(FIELDS[c["field"]].scope == "opportunity" for c in conditions) else "account"


# ---- evaluating ---------------------------------------------------------------------------------

@dataclass
class Flag:
    """One rule firing on one deal (or account), naming the rule, its lesson and the facts that tripped it."""

    rule_id: int
    rule_name: str
    rule_code: str | None
    severity: str
    lesson: str
    account_id: int
    account_name: str
    opportunity_id: int | None
    opportunity_name: str | None
    facts: list[dict[str, Any]]
    acknowledged: dict[str, Any] | None = None
    rule_version: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """The flag as plain data (for caching and the pages)."""
        return asdict(self)

    @property
    def detail(self) -> str:
        """The facts as plain text, e.g. 'days_since_activity = 41 (>= 30)'."""
        return "; ".join(f"{f['field']} = {_fmt(f['actual'])} ({f['op']} {_fmt(f['value'])})" for f in self.facts)


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(value) + "]"
    return f"{value:g}" if isinstance(value, float) else str(value)


def holds(facts: Facts, cond: dict[str, Any], account_id: int, opp: dict[str, Any] | None) -> tuple[bool, Any]:
    """Does one condition hold for this account/deal? Returns (holds, the actual value)."""
    actual = read(facts, cond["field"], account_id, opp)
    if actual is None:
        return False, None
    kind, op, value = FIELDS[cond["field"]].kind, cond["op"], cond["value"]
    if kind == "stage":
        positions = facts.stage_positions()
        if actual not in positions or value not in positions:
            return False, actual
        return _compare(positions[actual], op, positions[value]), actual
    if kind == "text":
        got = str(actual).casefold()
        if op in ("in", "not_in"):
            inside = got in {v.casefold() for v in value}
            return inside == (op == "in"), actual
        return _compare(got, op, str(value).casefold()), actual
    return _compare(actual, op, value), actual


def _compare(left: Any, op: str, right: Any) -> bool:
    return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right,
            "==": left == right, "!=": left != right}[op]


def _fires(facts: Facts, rule: dict[str, Any], account_id: int, opp: dict[str, Any] | None
           ) -> list[dict[str, Any]] | None:
    """The facts behind the flag if every condition holds, else None."""
    out = []
    for cond in rule["condition_list"]:
        ok, actual = holds(facts, cond, account_id, opp)
        if not ok:
            return None
        out.append({**cond, "actual": actual})
    return out


def _open_deals(db: Database, account_ids: list[int], opportunity_id: int | None = None) -> list[dict[str, Any]]:
    if not account_ids:
        return []
    marks = ",".join("?" for _ in account_ids)
    extra, params = ("AND id = ?", [opportunity_id]) if opportunity_id is not None else ("", [])
    return store.rows(db, f"SELECT * FROM opportunities WHERE account_id IN ({marks}) AND status = 'open' {extra} "
                          "ORDER BY account_id, id", [*account_ids, *params])


def _prefetch(facts: Facts, rules: list[dict[str, Any]], account_ids: list[int], deals: list[dict[str, Any]]) -> None:
    """Read every fact these rules test, for all the accounts and deals, in a few set-based queries."""
    for scope, subjects in (("opportunity", [(d["account_id"], d) for d in deals]),
                            ("account", [(a, None) for a in account_ids])):
        tested = {c["field"] for r in rules if scope_of(r["condition_list"]) == scope for c in r["condition_list"]}
        if tested and subjects:
            prefetch(facts, tested, subjects)


def _evaluate(db: Database, account_ids: list[int], opportunity_id: int | None = None,
              rules: list[dict[str, Any]] | None = None, facts: Facts | None = None,
              batch: bool = True) -> list[Flag]:
    """Flags of these accounts' open deals and the accounts themselves. `batch` reads the facts for all of
    them up front in a few queries; without it each deal's facts are read one by one (same flags)."""
    facts = facts or Facts(db)
    rules = [r for r in (rules if rules is not None else list_rules(db, active_only=True))]
    if not account_ids or not rules:
        return []
    marks = ",".join("?" for _ in account_ids)
    names = {r[0]: r[1] for r in db.execute(f"SELECT id, name FROM accounts WHERE id IN ({marks})", account_ids)}
    deals = _open_deals(db, account_ids, opportunity_id)
    if batch:
        _prefetch(facts, rules, list(names), deals)
    flags: list[Flag] = []
    for rule in rules:
        scope = scope_of(rule["condition_list"])
        subjects = [(d["account_id"], d) for d in deals] if scope == "opportunity" else [(a, None) for a in names]
        for account_id, opp in subjects:
            tripped = _fires(facts, rule, account_id, opp)
            if tripped is not None:
                flags.append(Flag(rule["id"], rule["name"], rule.get("code"), rule["severity"], rule["lesson"],
                                  account_id, names[account_id], opp["id"] if opp else None,
                                  opp["name"] if opp else None, tripped, rule_version=rule.get("version")))
    _attach_acks(db, flags)
    return _sorted(flags)


def _sorted(flags: list[Flag]) -> list[Flag]:
    """Open before acknowledged, most severe first, then by account name and deal."""
    order = {s: i for i, s in enumerate(SEVERITIES)}
    flags.sort(key=lambda f: (f.acknowledged is not None, order[f.severity], f.account_name, f.opportunity_id or 0))
    return flags


def _attach_acks(db: Database, flags: list[Flag]) -> None:
    """Mark flags the team acknowledged (an acknowledgement with a date in the past no longer counts)."""
    if not flags:
        return
    accounts = sorted({f.account_id for f in flags})
    marks = ",".join("?" for _ in accounts)
    acks = store.rows(
        db,
        f"""SELECT k.*, u.display_name AS by_name FROM flag_acks k LEFT JOIN users u ON u.id = k.updated_by
            WHERE k.account_id IN ({marks}) AND (k.until IS NULL OR k.until >= ?)""",
        [*accounts, clock.today().isoformat()],
    )
    by_subject = {(a["rule_id"], a["account_id"], a["opportunity_id"]): a for a in acks}
    for flag in flags:
        flag.acknowledged = by_subject.get((flag.rule_id, flag.account_id, flag.opportunity_id))


def evaluate(db: Database, actor: User, *, account_id: int | None = None,
             opportunity_id: int | None = None) -> list[Flag]:
    """Live flags for one deal, one account, or every account the actor can see; most severe first."""
    if opportunity_id is not None:
        return flags_for_opportunity(db, actor, opportunity_id)
    if account_id is not None:
        return flags_for_account(db, actor, account_id)
    return list(_portfolio_flags(db, permissions.readable_account_ids(db, actor)))


def _portfolio_flags(db: Database, account_ids: list[int]) -> list[Flag]:
    """Flags of many accounts, most severe first (as `_evaluate` sorts them). Each account's flags are
    kept per account data version (kamcore.data_cache.per_account): a write to one account re-evaluates
    that account only. Shared, read-only."""
    by_account = _flags_by_account(db, account_ids)

    def merge() -> list[Flag]:
        return _sorted([f for found in by_account.values() for f in found])

    # the merged, sorted list (50,000 flags at L) is kept until the next write anywhere
    return data_cache.cached(db, "rules.flags.merged", tuple(sorted(by_account)), merge)


def _flags_by_account(db: Database, account_ids: list[int]) -> dict[int, list[Flag]]:
    """{account id: its flags}, evaluated (set-based, in one batch) only for accounts changed since last time."""
    def compute(ids: list[int]) -> dict[int, list[Flag]]:
        out: dict[int, list[Flag]] = {a: [] for a in ids}
        for flag in _evaluate(db, ids):
            out[flag.account_id].append(flag)
        return out

    return data_cache.per_account(db, "rules.flags", account_ids, compute)


def flags_for_account(db: Database, user: User, account_id: int) -> list[Flag]:
    """The account's own flags and those of its open deals."""
    permissions.require_read(db, user, account_id)
    return _evaluate(db, [account_id])


def flags_for_opportunity(db: Database, user: User, opportunity_id: int) -> list[Flag]:
    """Flags on one open deal, plus its account's account-level flags (deal people count when named)."""
    found = db.execute("SELECT account_id FROM opportunities WHERE id = ?", [opportunity_id]).fetchone()
    if found is None:
        raise NotFoundError("err.not_found_entity", entity="opportunity", id=opportunity_id)
    permissions.require_read(db, user, found[0])
    return [f for f in _evaluate(db, [found[0]], opportunity_id)
            if f.opportunity_id in (None, opportunity_id)]


def flag_counts(db: Database, user: User, account_ids: list[int]) -> dict[int, dict[str, int]]:
    """Per account: flags by severity, the total, and how many are not acknowledged (for portfolio and huddle).
    Kept per account data version like the flags themselves (at L: 50,000 flags are not recounted per view)."""
    readable = set(permissions.readable_account_ids(db, user))
    ids = [a for a in account_ids if a in readable]

    def count(changed: list[int]) -> dict[int, dict[str, int]]:
        out = {a: {"critical": 0, "warning": 0, "info": 0, "total": 0, "open": 0} for a in changed}
        for account_id, flags in _flags_by_account(db, changed).items():
            counts = out[account_id]
            for flag in flags:
                counts[flag.severity] += 1
                counts["total"] += 1
                counts["open"] += flag.acknowledged is None
        return out

    found = data_cache.per_account(db, "rules.flag_counts", ids, count)
    return {a: dict(found[a]) for a in ids}


# ---- acknowledging ------------------------------------------------------------------------------

def acknowledge(db: Database, actor: User, rule_id: int, account_id: int, opportunity_id: int | None,
                reason: str, until: date | str | None = None) -> dict[str, Any]:
    """Record that the team saw a flag and why it stands; a second acknowledgement updates the first (audited)."""
    permissions.require_edit(db, actor, account_id)
    values = {"account_id": account_id, "rule_id": rule_id, "opportunity_id": opportunity_id,
              "reason": reason, "until": until.isoformat() if isinstance(until, date) else until}
    existing = store.row(db, "SELECT * FROM flag_acks WHERE rule_id = ? AND account_id = ? AND opportunity_id IS ?",
                         [rule_id, account_id, opportunity_id])
    if existing is None:
        return records.create(db, actor, ACK, values)
    return records.update(db, actor, ACK, existing["id"], existing["version"],
                          {"reason": reason, "until": values["until"]})


# ---- firing history -----------------------------------------------------------------------------

def sweep(db: Database) -> dict[str, int]:
    """Evaluate every active rule on every account and log when flags start and stop (machine log). A changed
    rule is a new version: its old firings close and the new version's open, so the log says which fired."""
    now = clock.now_iso()
    all_accounts = [r[0] for r in db.execute("SELECT id FROM accounts").fetchall()]
    live = {(f.rule_id, f.account_id, f.opportunity_id): f for f in _evaluate(db, all_accounts)}
    started = cleared = 0
    with store.transaction(db):
        open_rows = store.rows(db, "SELECT id, rule_id, account_id, opportunity_id, rule_version FROM rule_firings "
                                   "WHERE cleared_at IS NULL")
        seen = set()
        for row in open_rows:
            key = (row["rule_id"], row["account_id"], row["opportunity_id"])
            if key in live and key not in seen and row["rule_version"] == live[key].rule_version:
                seen.add(key)
                db.conn.execute("UPDATE rule_firings SET last_seen_at = ?, detail = ? WHERE id = ?",
                                [now, live[key].detail, row["id"]])
            else:
                db.conn.execute("UPDATE rule_firings SET cleared_at = ? WHERE id = ?", [now, row["id"]])
                cleared += 1
        for key, flag in live.items():
            if key not in seen:
                db.conn.execute(
                    "INSERT INTO rule_firings (rule_id, account_id, opportunity_id, first_fired_at, last_seen_at, "
                    "detail, rule_version) VALUES (?, ?, ?, ?, ?, ?, ?)", [*key, now, now, flag.detail,
                                                                           flag.rule_version])
                started += 1
        db.conn.execute("INSERT INTO settings (key, value) VALUES (?, ?) "
                        "ON CONFLICT(key) DO UPDATE SET value = excluded.value", [SWEEP_KEY, now])
    return {"live": len(live), "started": started, "cleared": cleared}


def last_sweep(db: Database) -> str | None:
    """When the firing log was last brought up to date."""
    found = db.execute("SELECT value FROM settings WHERE key = ?", [SWEEP_KEY]).fetchone()
    return found[0] if found else None


def sweep_if_stale(db: Database, max_age_minutes: int = 30) -> bool:
    """Bring the firing log up to date unless a sweep ran within `max_age_minutes`; True if it ran."""
    last = last_sweep(db)
    limit = (clock.now() - timedelta(minutes=max_age_minutes)).isoformat(timespec="seconds")
    if last is not None and last >= limit:
        return False
    sweep(db)
    return True


def firing_history(db: Database, actor: User, rule_id: int | None = None, limit: int = 200,
                   offset: int = 0) -> list[dict[str, Any]]:
    """When rules fired on which deals of the actor's accounts, and how those deals ended, newest first."""
    ids = permissions.readable_account_ids(db, actor)
    if not ids:
        return []
    marks = ",".join("?" for _ in ids)
    extra, params = ("AND f.rule_id = ?", [rule_id]) if rule_id is not None else ("", [])
    return store.rows(
        db,
        f"""SELECT f.*, r.name AS rule_name, r.severity, acc.name AS account_name,
                   o.name AS opportunity_name, o.status AS outcome
            FROM rule_firings f JOIN rules r ON r.id = f.rule_id JOIN accounts acc ON acc.id = f.account_id
            LEFT JOIN opportunities o ON o.id = f.opportunity_id
            WHERE f.account_id IN ({marks}) {extra} ORDER BY f.first_fired_at DESC, f.id DESC LIMIT ? OFFSET ?""",
        [*ids, *params, limit, offset],
    )


def rule_outcomes(db: Database, actor: User) -> list[dict[str, Any]]:
    """Per rule: how the deals it fired on ended (from the firing log) — which rules predict losses."""
    ids = permissions.readable_account_ids(db, actor)
    if not ids:
        return []
    marks = ",".join("?" for _ in ids)
    return store.rows(
        db,
        f"""SELECT r.id AS rule_id, r.name AS rule_name, r.severity,
                   count(DISTINCT o.id) AS deals,
                   count(DISTINCT CASE WHEN o.status = 'won' THEN o.id END) AS won,
                   count(DISTINCT CASE WHEN o.status = 'lost' THEN o.id END) AS lost,
                   count(DISTINCT CASE WHEN o.status = 'no_decision' THEN o.id END) AS no_decision,
                   count(DISTINCT CASE WHEN o.status = 'open' THEN o.id END) AS still_open
            FROM rule_firings f JOIN rules r ON r.id = f.rule_id JOIN opportunities o ON o.id = f.opportunity_id
            WHERE f.account_id IN ({marks}) GROUP BY r.id ORDER BY lost DESC, deals DESC""",
        ids,
    )


def backtest(db: Database, actor: User, rule_ids: list[int] | None = None) -> list[dict[str, Any]]:
    """Run deal rules on the actor's closed deals (time facts measured at the close date) and count outcomes.

    The relationship data is today's, so this is an estimate; the firing log is the record.
    Also returns the baseline loss rate of all closed deals for comparison.
    """
    ids = sorted(permissions.readable_account_ids(db, actor))
    if not ids:
        return []
    key = (tuple(ids), tuple(sorted(rule_ids)) if rule_ids is not None else None)
    return data_cache.cached(db, "rules.backtest", key, lambda: _backtest(db, ids, rule_ids))


def _backtest(db: Database, ids: list[int], rule_ids: list[int] | None) -> list[dict[str, Any]]:
    marks = ",".join("?" for _ in ids)
    closed = store.rows(db, f"SELECT * FROM opportunities WHERE account_id IN ({marks}) AND status != 'open'", ids)
    facts = Facts(db)
    base_lost = sum(1 for d in closed if d["status"] != "won")
    tested = [r for r in list_rules(db, active_only=True)
              if (rule_ids is None or r["id"] in rule_ids) and r["scope"] == "opportunity"]
    _prefetch(facts, tested, [], closed)
    out = []
    for rule in tested:
        hits = [d for d in closed if _fires(facts, rule, d["account_id"], d) is not None]
        not_won = sum(1 for d in hits if d["status"] != "won")
        out.append({"rule_id": rule["id"], "rule_name": rule["name"], "severity": rule["severity"],
                    "deals": len(hits), "won": sum(1 for d in hits if d["status"] == "won"),
                    "lost": sum(1 for d in hits if d["status"] == "lost"),
                    "no_decision": sum(1 for d in hits if d["status"] == "no_decision"),
                    "not_won_rate": round(100.0 * not_won / len(hits), 1) if hits else None,
                    "baseline_not_won_rate": round(100.0 * base_lost / len(closed), 1) if closed else None})
    return out


def field_catalog() -> list[dict[str, Any]]:
    """The fields a rule may test, with their kind, scope, operators and threshold range (for the editor)."""
    return [{"field": s.name, "kind": s.kind, "scope": s.scope, "ops": list(OPS[s.kind]),
             "low": s.low, "high": s.high} for s in FIELDS.values()]
