"""Concurrent-editing stress: several processes edit the same accounts through kamcore at once.

    .venv/bin/python scripts/stress.py [--db PATH] [--workers 4] [--ops 400] [--accounts 3] [--seed 1]

Without --db a fresh demo database is built in a temporary folder (with --size M the
generated M war room). Each worker process signs in as the accounts' team members and
edits account profiles, team roles (and hand-overs of first responsibility), goals,
opportunities and stakeholders — whichever exist — basing half its writes on a version
it remembered from earlier (often stale). Afterwards it checks:

- every acknowledged write is in the audit log at the version it produced, and its
  values are either in the final row or were changed by a later audited write;
- no two acknowledged writes produced the same version of a row (no lost update),
  and every version a row gained belongs to an acknowledged write;
- every refused write was a ConflictError and its base version really was stale;
- the audit log replays to the final state (kamcore.data.replay), each account keeps one
  first-responsible person, and PRAGMA integrity_check is ok.

Prints writes per second and conflicts; exits 1 if any check fails.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from kamcore import accounts, records, store, team, users  # noqa: E402
from kamcore.data import replay  # noqa: E402
from kamcore.errors import ConflictError, KamError  # noqa: E402
from kamcore.permissions import EDITING_ROLES  # noqa: E402

STATUSES = ("active", "at_risk", "prospect")


@dataclass
class Target:
    """A row the workers fight over."""

    kind: str  # account | team | handover | goal | opportunity | stakeholder
    entity: str
    row_id: int
    account_id: int


@dataclass
class Plan:
    """What the workers may touch: the rows, and who may edit each account."""

    db_path: str
    targets: list[Target]
    editors: dict[int, list[int]]
    admin_id: int
    start_audit_id: int
    start_versions: dict[tuple[str, int], int]


@dataclass
class Outcome:
    """One attempted write and what kamcore answered."""

    worker: int
    kind: str
    entity: str
    row_id: int
    base: int
    changes: dict[str, Any]
    result: str  # ok | conflict | refused | error
    version: int | None = None  # the version the write produced (ok) or found (conflict)
    detail: str = ""


@dataclass
class Report:
    """The figures and every failed check."""

    workers: int
    seconds: float
    outcomes: list[Outcome]
    failures: list[str] = field(default_factory=list)

    @property
    def acknowledged(self) -> int:
        return sum(1 for o in self.outcomes if o.result == "ok")

    @property
    def conflicts(self) -> int:
        return sum(1 for o in self.outcomes if o.result == "conflict")

    @property
    def writes_per_second(self) -> float:
        return self.acknowledged / self.seconds if self.seconds else 0.0

    def summary(self) -> str:
        kinds = sorted({o.kind for o in self.outcomes})
        per_kind = ", ".join(
            f"{k} {sum(1 for o in self.outcomes if o.kind == k and o.result == 'ok')}/"
            f"{sum(1 for o in self.outcomes if o.kind == k)}" for k in kinds)
        return (f"{self.workers} workers, {len(self.outcomes)} attempts in {self.seconds:.1f} s: "
                f"{self.acknowledged} acknowledged ({self.writes_per_second:.0f} writes/s), "
                f"{self.conflicts} conflicts, {len(self.failures)} failed checks [ok/attempts: {per_kind}]")


# ---- setting up ----------------------------------------------------------------------------------
def _has_table(db, name: str) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", [name]).fetchone() is not None


def prepare(db_path: str | Path, account_count: int = 3, rows_per_kind: int = 2) -> Plan:
    """Pick the contested rows on the first accounts (adding a viewer to each team so roles can change)."""
    db = store.connect(db_path)
    admin = users.find_by_username(db, "admin")
    account_ids = [r[0] for r in db.execute("SELECT id FROM accounts ORDER BY id LIMIT ?", [account_count])]
    targets: list[Target] = []
    editors: dict[int, list[int]] = {}
    for account_id in account_ids:
        members = team.list_team(db, admin, account_id)
        editors[account_id] = [m["user_id"] for m in members if m["role"] in EDITING_ROLES]
        targets.append(Target("account", "account", account_id, account_id))
        passive = [m for m in members if m["role"] not in EDITING_ROLES]
        if not passive:
            outsider = db.execute(
                "SELECT id FROM users WHERE id NOT IN (SELECT user_id FROM account_team WHERE account_id = ?) "
                "AND global_role = 'member' ORDER BY id LIMIT 1", [account_id]).fetchone()
            if outsider:
                row = team.add_member(db, admin, account_id, outsider[0], "viewer")
                passive = [{"id": row["id"]}]
        targets += [Target("team", "team_member", m["id"], account_id) for m in passive[:1]]
        targets += [Target("handover", "team_member", m["id"], account_id)
                    for m in members if m["role"] in EDITING_ROLES]
        for kind, table, entity in (("goal", "goals", "goal"), ("opportunity", "opportunities", "opportunity"),
                                    ("stakeholder", "stakeholders", "stakeholder")):
            if _has_table(db, table):
                where = " AND status = 'open'" if table == "opportunities" else ""
                found = db.execute(f"SELECT id FROM [{table}] WHERE account_id = ?{where} ORDER BY id LIMIT ?",
                                   [account_id, rows_per_kind]).fetchall()
                targets += [Target(kind, entity, r[0], account_id) for r in found]
    start_audit_id = db.execute("SELECT coalesce(max(id), 0) FROM audit_log").fetchone()[0]
    versions = {}
    for t in targets:
        entity = records.REGISTRY[t.entity] if t.entity in records.REGISTRY else _entity(t.entity)
        versions[(t.entity, t.row_id)] = records.get(db, entity, t.row_id)["version"]
    db.close()
    return Plan(str(db_path), targets, editors, admin.id, start_audit_id, versions)


def _entity(name: str) -> records.Entity:
    from kamcore import audit

    return audit.entity_named(name)


# ---- the workers ---------------------------------------------------------------------------------
def _write(db, actor, admin, target: Target, base: int, changes: dict[str, Any]) -> dict[str, Any]:
    if target.kind == "account":
        return accounts.update_account(db, actor, target.row_id, base, changes)
    if target.kind == "team":
        return team.change_member(db, admin, target.row_id, base, changes)
    if target.kind == "handover":
        return team.hand_over_first_responsibility(db, admin, target.account_id, target.row_id, base)
    if target.kind == "goal":
        from kamcore.plan import goals

        return goals.update_goal(db, actor, target.row_id, base, changes)
    if target.kind == "opportunity":
        from kamcore.pipeline import opportunities

        return opportunities.update_opportunity(db, actor, target.row_id, base, changes)
    from kamcore.decision_chain import stakeholders

    return stakeholders.update_stakeholder(db, actor, target.row_id, base, changes)


def _changes(rng: random.Random, target: Target, tag: str) -> dict[str, Any]:
    if target.kind == "account":
        return {"notes": tag} if rng.random() < 0.7 else {"notes": tag, "status": rng.choice(STATUSES)}
    if target.kind == "team":
        return {"role": rng.choice(("viewer", "executive"))}
    if target.kind == "handover":
        return {"first_responsible": True}
    if target.kind == "goal":
        return {"title": tag}
    if target.kind == "opportunity":
        return {"next_step": tag} if rng.random() < 0.7 else {"next_step": tag,
                                                              "amount": float(rng.randint(1, 900) * 1000)}
    return {"notes": tag} if rng.random() < 0.7 else {"notes": tag, "score": rng.randint(-1, 3)}


def worker(args: tuple[Plan, int, int, int]) -> tuple[float, float, list[Outcome]]:
    """One process: `ops` writes on random contested rows, half of them on a remembered (stale) version."""
    plan, number, ops, seed = args
    rng = random.Random(seed * 1000 + number)
    db = store.connect(plan.db_path)
    started = time.time()
    admin = users.get_user(db, plan.admin_id)
    people = {uid: users.get_user(db, uid) for ids in plan.editors.values() for uid in ids}
    remembered = dict(plan.start_versions)
    out: list[Outcome] = []
    by_kind: dict[str, list[Target]] = {}
    for t in plan.targets:
        by_kind.setdefault(t.kind, []).append(t)
    kinds = sorted(by_kind)
    for op in range(ops):
        target = rng.choice(by_kind[rng.choice(kinds)])
        key = (target.entity, target.row_id)
        if rng.random() < 0.5:
            found = db.execute(f"SELECT version FROM [{_entity(target.entity).table}] WHERE id = ?",
                               [target.row_id]).fetchone()
            remembered[key] = found[0]
        base = remembered[key]
        actor = people.get(rng.choice(plan.editors[target.account_id])) or admin
        changes = _changes(rng, target, f"w{number}-{op}")
        outcome = Outcome(number, target.kind, target.entity, target.row_id, base, changes, "ok")
        try:
            row = _write(db, actor, admin, target, base, changes)
            outcome.version = row["version"]
            remembered[key] = row["version"]
        except ConflictError as exc:
            outcome.result, outcome.version, outcome.detail = "conflict", exc.current_version, exc.message("en")
            remembered[key] = exc.current_version
        except KamError as exc:
            outcome.result, outcome.detail = "refused", f"{type(exc).__name__}: {exc.message('en')}"
        except Exception:  # noqa: BLE001 - anything else is a bug the check reports
            outcome.result, outcome.detail = "error", traceback.format_exc(limit=4)
        out.append(outcome)
    ended = time.time()
    db.close()
    return started, ended, out


# ---- checking ------------------------------------------------------------------------------------
def _history(db, plan: Plan) -> dict[tuple[str, int], dict[int, dict[str, Any]]]:
    """For each contested row: {version: full state after that version}, rebuilt from the audit log."""
    wanted = {(t.entity, t.row_id) for t in plan.targets}
    state: dict[tuple[str, int], dict[str, Any]] = {}
    out: dict[tuple[str, int], dict[int, dict[str, Any]]] = {}
    for entity, entity_id, action, fld, new, version in db.execute(
        "SELECT entity, entity_id, action, field, new_value, version FROM audit_log ORDER BY id"
    ):
        key = (entity, entity_id)
        if key not in wanted:
            continue
        row = state.setdefault(key, {})
        if action == "delete":
            state.pop(key)
            continue
        row[fld] = records.decode(new)
        out.setdefault(key, {})[version] = dict(row)
    return out


def check(plan: Plan, outcomes: list[Outcome]) -> list[str]:
    """Every failed invariant, as sentences."""
    failures: list[str] = []
    db = store.connect(plan.db_path)
    history = _history(db, plan)
    for o in outcomes:
        if o.result == "error":
            failures.append(f"worker {o.worker} {o.kind}#{o.row_id}: unexpected exception\n{o.detail}")
        elif o.result == "refused":
            failures.append(f"worker {o.worker} {o.kind}#{o.row_id}: refused without a conflict: {o.detail}")
        elif o.result == "conflict":
            if not (o.version is not None and (o.version == -1 or o.version > o.base)):
                failures.append(f"{o.kind}#{o.row_id}: conflict reported although base {o.base} was current")
        else:
            versions = history.get((o.entity, o.row_id), {})
            at = versions.get(o.version)
            if at is None:
                failures.append(f"{o.kind}#{o.row_id}: acknowledged version {o.version} is not in the audit log")
                continue
            for name, value in o.changes.items():
                if not replay._same(at.get(name), value):
                    failures.append(f"{o.kind}#{o.row_id} v{o.version}: {name}={at.get(name)!r}, acknowledged {value!r}")
                    continue
                final = versions[max(versions)].get(name)
                superseded = any(v > o.version and not replay._same(s.get(name), value) for v, s in versions.items())
                if not replay._same(final, value) and not superseded:
                    failures.append(f"{o.kind}#{o.row_id}: acknowledged {name}={value!r} lost without a later write")
    produced: dict[tuple[str, int], list[int]] = {}
    for o in outcomes:  # a hand-over of a member who already holds it returns the row unchanged: skip team rows
        if o.result == "ok" and o.version != o.base and o.entity != "team_member":
            produced.setdefault((o.entity, o.row_id), []).append(o.version)
    for key, found in produced.items():
        if len(found) != len(set(found)):
            failures.append(f"{key}: two acknowledged writes produced the same version (lost update): {sorted(found)}")
    for t in plan.targets:
        key = (t.entity, t.row_id)
        gained = {v for v in history.get(key, {}) if v > plan.start_versions[key]}
        mine = set(produced.get(key, []))
        if t.entity != "team_member" and gained != mine:  # a hand-over also bumps the previous holder's row
            failures.append(f"{key}: versions {sorted(gained - mine)} have no acknowledged write, "
                            f"{sorted(mine - gained)} are missing")
    for account_id in {t.account_id for t in plan.targets}:
        holders = db.execute("SELECT count(*) FROM account_team WHERE account_id = ? AND first_responsible = 1",
                             [account_id]).fetchone()[0]
        if holders != 1:
            failures.append(f"account {account_id} has {holders} first-responsible people")
    report = replay.compare(db)
    failures += [f"replay: {d}" for d in report.differences]
    integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
    if integrity != "ok":
        failures.append(f"integrity_check: {integrity}")
    db.close()
    return failures


def run(db_path: str | Path, workers: int = 4, ops: int = 400, account_count: int = 3, seed: int = 1) -> Report:
    """Prepare, run the workers in parallel processes, and check the result."""
    plan = prepare(db_path, account_count)
    context = multiprocessing.get_context("spawn")
    with context.Pool(workers) as pool:
        results = pool.map(worker, [(plan, n, ops, seed) for n in range(workers)])
    seconds = max(r[1] for r in results) - min(r[0] for r in results)  # writing time, not process start-up
    outcomes = [o for chunk in results for o in chunk[2]]
    report = Report(workers, seconds, outcomes)
    report.failures = check(plan, outcomes)
    return report


def build_database(folder: Path, size: str) -> Path:
    """A fresh demo (or generated) database to stress."""
    from kamcore.demo import scale

    path = folder / f"stress-{size}.db"
    db = store.connect(path)
    scale.generate(db, size)
    db.close()
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", help="database to stress (it is changed!); default: a fresh one")
    parser.add_argument("--size", default="S", choices=("S", "M", "L"), help="size of the fresh database")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--ops", type=int, default=400, help="writes attempted per worker")
    parser.add_argument("--accounts", type=int, default=3, help="how many accounts the workers share")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(args.db) if args.db else build_database(Path(folder), args.size)
        report = run(path, args.workers, args.ops, args.accounts, args.seed)
    print(report.summary())
    for failure in report.failures[:30]:
        print("FAIL:", failure)
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
