"""Coverage and risk in the decision chain (D4): who of ours owns which buying role, and the flags
that lost real deals — a decision maker nobody covers, no coach, a single-threaded relationship,
a blocker in the decision layer left alone, a feud between people we depend on.

The flag functions take `(db, account_id, opportunity_id=None)` and do no permission check: they
are the stable API the deal-health rules (issue 7) call per account or per opportunity. Pages call
`flags` / `coverage_matrix`, which check that the actor may read the account first.

Scope: with `opportunity_id`, the people taking part in that opportunity (their buying roles are
their own roles plus the role they play in it); without, every stakeholder of the account.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database

from kamcore import permissions, store
from kamcore.decision_chain import scale
from kamcore.decision_chain.stakeholders import BUYING_ROLES, role_list
from kamcore.users import User

SUPPORTIVE_SCORE = scale.SUPPORTIVE_SCORE
FLAG_KINDS = (
    "decision_maker_uncovered",
    "decision_maker_unknown",
    "no_coach",
    "single_threaded",
    "blocker_without_action",
    "conflict_between_dependents",
)
SEVERITY = {
    "decision_maker_uncovered": "high",
    "decision_maker_unknown": "medium",
    "no_coach": "medium",
    "single_threaded": "high",
    "blocker_without_action": "high",
    "conflict_between_dependents": "medium",
}


@dataclass(frozen=True)
class Flag:
    """One risk found in a decision chain, with the people it concerns."""

    kind: str
    account_id: int
    opportunity_id: int | None = None
    stakeholder_ids: tuple[int, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def severity(self) -> str:
        """'high' or 'medium'."""
        return SEVERITY[self.kind]

    def message(self, lang: str = "en") -> str:
        """The flag as a sentence naming the people concerned."""
        from kamcore.i18n import t
        from kamcore.money_format import localized

        key = f"flag.{self.kind}_in" if self.params.get("opportunity") else f"flag.{self.kind}"
        return t(key, lang, **localized(self.params, lang))


def _people(db: Database, account_id: int, opportunity_id: int | None) -> list[dict[str, Any]]:
    """The stakeholders in scope, with whether their owner is (still) on the account's team."""
    if opportunity_id is None:
        found = store.rows(
            db,
            """SELECT s.id, s.name, s.level, s.roles, s.stance, s.score, s.owner_id, NULL AS part_role,
                      EXISTS (SELECT 1 FROM account_team t WHERE t.account_id = s.account_id
                              AND t.user_id = s.owner_id) AS owned
               FROM stakeholders s WHERE s.account_id = ? ORDER BY s.name""",
            [account_id],
        )
    else:
        found = store.rows(
            db,
            """SELECT s.id, s.name, s.level, s.roles, s.stance, s.score, s.owner_id, p.role AS part_role,
                      EXISTS (SELECT 1 FROM account_team t WHERE t.account_id = s.account_id
                              AND t.user_id = s.owner_id) AS owned
               FROM stakeholder_opportunities p JOIN stakeholders s ON s.id = p.stakeholder_id
               WHERE p.opportunity_id = ? AND s.account_id = ? ORDER BY s.name""",
            [opportunity_id, account_id],
        )
    return [_with_roles(person) for person in found]


def _with_roles(person: dict[str, Any]) -> dict[str, Any]:
    """A person's buying roles: their own roles plus the role they play in the deal in scope."""
    roles = set(role_list(person["roles"]))
    if person["part_role"] in BUYING_ROLES:
        roles.add(person["part_role"])
    person["role_set"] = roles
    return person


def _supportive(person: dict[str, Any]) -> bool:
    return scale.is_supportive(person)


def _depended_on(person: dict[str, Any]) -> bool:
    """People whose goodwill the deal rests on: our friends and the people who decide."""
    return _supportive(person) or person["level"] == "decision" or "decision_maker" in person["role_set"]


def _uncovered_in(people: list[dict[str, Any]], account_id: int, opportunity_id: int | None) -> list[Flag]:
    alone = [p for p in people if "decision_maker" in p["role_set"] and not p["owned"]]
    return [Flag("decision_maker_uncovered", account_id, opportunity_id, (p["id"],), {"name": p["name"]})
            for p in alone]


def _unknown_in(people: list[dict[str, Any]], account_id: int, opportunity_id: int | None) -> list[Flag]:
    if not people or any("decision_maker" in p["role_set"] for p in people):
        return []
    return [Flag("decision_maker_unknown", account_id, opportunity_id)]


def _no_coach_in(people: list[dict[str, Any]], account_id: int, opportunity_id: int | None) -> list[Flag]:
    if not people or any(scale.is_coach(p) for p in people):
        return []
    return [Flag("no_coach", account_id, opportunity_id)]


def _single_in(people: list[dict[str, Any]], account_id: int, opportunity_id: int | None, label: str) -> list[Flag]:
    friends = [p for p in people if _supportive(p)]
    if len(friends) != 1:
        return []
    return [Flag("single_threaded", account_id, opportunity_id, (friends[0]["id"],),
                 {"name": friends[0]["name"], "opportunity": label})]


def _hostile_deciders(people: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [p for p in people
            if scale.is_hostile(p) and (p["level"] == "decision" or "decision_maker" in p["role_set"])]


def _unattended_in(people: list[dict[str, Any]], acted: set[int], account_id: int,
                   opportunity_id: int | None) -> list[Flag]:
    return [Flag("blocker_without_action", account_id, opportunity_id, (p["id"],), {"name": p["name"]})
            for p in _hostile_deciders(people) if p["id"] not in acted]


def _acted_on(db: Database, stakeholder_ids: list[int]) -> set[int]:
    """Of these people, those with a planned or running relationship action."""
    if not stakeholder_ids:
        return set()
    return {r[0] for r in db.execute(
        "SELECT DISTINCT stakeholder_id FROM relationship_actions WHERE stakeholder_id IN "
        "(SELECT value FROM json_each(?)) AND status IN ('planned', 'in_progress')",
        [json.dumps(stakeholder_ids)],
    ).fetchall()}


def decision_maker_uncovered(db: Database, account_id: int, opportunity_id: int | None = None) -> list[Flag]:
    """A decision maker whose relationship no member of our team owns (no owner, or the owner left the team)."""
    return _uncovered_in(_people(db, account_id, opportunity_id), account_id, opportunity_id)


def decision_maker_unknown(db: Database, account_id: int, opportunity_id: int | None = None) -> list[Flag]:
    """Nobody mapped as decision maker (only raised when some people are mapped at all)."""
    return _unknown_in(_people(db, account_id, opportunity_id), account_id, opportunity_id)


def no_coach(db: Database, account_id: int, opportunity_id: int | None = None) -> list[Flag]:
    """No coach (stance coach or score 3) among the people in scope (only when some people are mapped)."""
    return _no_coach_in(_people(db, account_id, opportunity_id), account_id, opportunity_id)


def single_threaded(db: Database, account_id: int, opportunity_id: int | None = None) -> list[Flag]:
    """One contact carries the relationship: exactly one supportive person (score ≥ 1, coach or supporter).

    With `opportunity_id`, that opportunity's participants; without, the whole account and then each open
    opportunity that has participants (each its own flag).
    """
    scopes = [opportunity_id] if opportunity_id is not None else [None, *_open_opportunities(db, account_id)]
    out: list[Flag] = []
    for scope in scopes:
        people = _people(db, account_id, scope)
        if len([p for p in people if _supportive(p)]) == 1:
            out.extend(_single_in(people, account_id, scope, _opportunity_label(db, scope)))
    return out


def blocker_without_action(db: Database, account_id: int, opportunity_id: int | None = None) -> list[Flag]:
    """An opponent or blocker in the decision layer (or a decision maker) with no open relationship action."""
    people = _people(db, account_id, opportunity_id)
    acted = _acted_on(db, [p["id"] for p in _hostile_deciders(people)])
    return _unattended_in(people, acted, account_id, opportunity_id)


def conflict_between_dependents(db: Database, account_id: int, opportunity_id: int | None = None) -> list[Flag]:
    """A conflict link between two people we depend on (supportive, decision layer or decision maker)."""
    people = {p["id"]: p for p in _people(db, account_id, opportunity_id)}
    links = db.execute(
        "SELECT from_id, to_id FROM stakeholder_links WHERE account_id = ? AND kind = 'conflict' ORDER BY id",
        [account_id],
    ).fetchall()
    out: list[Flag] = []
    for a, b in links:
        if a in people and b in people and _depended_on(people[a]) and _depended_on(people[b]):
            out.append(Flag("conflict_between_dependents", account_id, opportunity_id, (a, b),
                            {"a": people[a]["name"], "b": people[b]["name"]}))
    return out


CHECKS = (
    decision_maker_uncovered,
    decision_maker_unknown,
    no_coach,
    single_threaded,
    blocker_without_action,
    conflict_between_dependents,
)


SCOPE_CHECKS = ("decision_maker_uncovered", "decision_maker_unknown", "no_coach", "single_threaded",
                "blocker_without_action")


def scope_flags(db: Database, scopes: Iterable[tuple[int, int | None]]
                ) -> dict[tuple[str, int, int | None], list[Flag]]:
    """The batch form of the checks in SCOPE_CHECKS for many (account, opportunity or None) scopes at once.

    Returns {(kind, account_id, opportunity_id): flags raised in exactly that scope} — what
    `check(db, account_id, opportunity_id)` gives, restricted to flags of that scope (so
    single_threaded without an opportunity is the account-wide flag only) — in four queries
    whatever the number of scopes. The deal-health rules use it to judge a whole portfolio.
    """
    scopes = list(dict.fromkeys(scopes))
    accounts = sorted({a for a, o in scopes if o is None})
    deals = sorted({o for _, o in scopes if o is not None})
    people: dict[tuple[int, int | None], list[dict[str, Any]]] = {s: [] for s in scopes}
    owned = """EXISTS (SELECT 1 FROM account_team t WHERE t.account_id = s.account_id
                       AND t.user_id = s.owner_id) AS owned"""
    if accounts:
        for person in store.rows(
                db, f"""SELECT s.account_id, NULL AS scope, s.id, s.name, s.level, s.roles, s.stance, s.score,
                               s.owner_id, NULL AS part_role, {owned}
                        FROM stakeholders s WHERE s.account_id IN (SELECT value FROM json_each(?))
                        ORDER BY s.account_id, s.name""", [json.dumps(accounts)]):
            people[(person.pop("account_id"), person.pop("scope"))].append(_with_roles(person))
    labels: dict[int, str] = {}
    if deals:
        for person in store.rows(
                db, f"""SELECT s.account_id, p.opportunity_id AS scope, s.id, s.name, s.level, s.roles, s.stance,
                               s.score, s.owner_id, p.role AS part_role, {owned}
                        FROM stakeholder_opportunities p JOIN stakeholders s ON s.id = p.stakeholder_id
                        WHERE p.opportunity_id IN (SELECT value FROM json_each(?))
                        ORDER BY p.opportunity_id, s.name""", [json.dumps(deals)]):
            key = (person.pop("account_id"), person.pop("scope"))
            if key in people:  # a participant from another account is not in the deal's scope
                people[key].append(_with_roles(person))
        labels = {r[0]: f"{r[1]} {r[2]}" for r in db.execute(
            "SELECT id, number, name FROM opportunities WHERE id IN (SELECT value FROM json_each(?))",
            [json.dumps(deals)]).fetchall()}
    acted = _acted_on(db, sorted({p["id"] for found in people.values() for p in _hostile_deciders(found)}))
    out: dict[tuple[str, int, int | None], list[Flag]] = {}
    for (account_id, scope), found in people.items():
        out[("decision_maker_uncovered", account_id, scope)] = _uncovered_in(found, account_id, scope)
        out[("decision_maker_unknown", account_id, scope)] = _unknown_in(found, account_id, scope)
        out[("no_coach", account_id, scope)] = _no_coach_in(found, account_id, scope)
        out[("single_threaded", account_id, scope)] = _single_in(
            found, account_id, scope, labels.get(scope, "") if scope is not None else "")
        out[("blocker_without_action", account_id, scope)] = _unattended_in(found, acted, account_id, scope)
    return out


def account_flags(db: Database, account_id: int) -> list[Flag]:
    """Every coverage and risk flag of an account (single-threading also per open opportunity); high first."""
    found = [f for check in CHECKS for f in check(db, account_id, None)]
    return sorted(found, key=lambda f: (f.severity != "high", FLAG_KINDS.index(f.kind)))


def opportunity_flags(db: Database, opportunity_id: int) -> list[Flag]:
    """Every coverage and risk flag among the people taking part in one opportunity; high first."""
    row = db.execute("SELECT account_id FROM opportunities WHERE id = ?", [opportunity_id]).fetchone()
    if row is None:
        return []
    found = [f for check in CHECKS for f in check(db, row[0], opportunity_id)]
    return sorted(found, key=lambda f: (f.severity != "high", FLAG_KINDS.index(f.kind)))


def flags(db: Database, actor: User, account_id: int, opportunity_id: int | None = None) -> list[Flag]:
    """The flags a page shows, after checking the actor may read the account."""
    permissions.require_read(db, actor, account_id)
    if opportunity_id is None:
        return account_flags(db, account_id)
    owner = db.execute("SELECT account_id FROM opportunities WHERE id = ?", [opportunity_id]).fetchone()
    return opportunity_flags(db, opportunity_id) if owner and owner[0] == account_id else []


def coverage_matrix(db: Database, actor: User, account_id: int,
                    opportunity_id: int | None = None) -> dict[str, Any]:
    """Buying roles × our owners: who of ours covers the people in each role.

    Returns {"owners": [{"id", "name"}...] (team members, then id 0 = nobody), "rows": [{"role", "cells":
    {owner_id: [{"id", "name", "score", "stance"}]}}]}. A person with several roles appears in each.
    """
    permissions.require_read(db, actor, account_id)
    owners = store.rows(
        db,
        """SELECT u.id, u.display_name AS name FROM account_team t JOIN users u ON u.id = t.user_id
           WHERE t.account_id = ? ORDER BY CASE t.role WHEN 'account_manager' THEN 0
             WHEN 'solution_manager' THEN 1 WHEN 'delivery_manager' THEN 2 ELSE 3 END, u.display_name""",
        [account_id],
    )
    people = _people(db, account_id, opportunity_id)
    rows = []
    for role in BUYING_ROLES:
        cells: dict[int, list[dict[str, Any]]] = {o["id"]: [] for o in owners}
        cells[0] = []
        for p in people:
            if role in p["role_set"]:
                key = p["owner_id"] if p["owned"] else 0
                cells.setdefault(key, []).append(
                    {"id": p["id"], "name": p["name"], "score": p["score"], "stance": p["stance"]})
        rows.append({"role": role, "cells": cells})
    return {"owners": [*owners, {"id": 0, "name": None}], "rows": rows}


def _open_opportunities(db: Database, account_id: int) -> list[int]:
    return [r[0] for r in db.execute(
        """SELECT DISTINCT o.id FROM opportunities o JOIN stakeholder_opportunities p ON p.opportunity_id = o.id
           WHERE o.account_id = ? AND o.status = 'open' ORDER BY o.id""",
        [account_id],
    ).fetchall()]


def _opportunity_label(db: Database, opportunity_id: int | None) -> str:
    if opportunity_id is None:
        return ""
    row = db.execute("SELECT number, name FROM opportunities WHERE id = ?", [opportunity_id]).fetchone()
    return f"{row[0]} {row[1]}" if row else ""
