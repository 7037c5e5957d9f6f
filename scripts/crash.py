"""Crash safety: SIGKILL a writing process at random moments, then check the database.

    .venv/bin/python scripts/crash.py [--db PATH] [--rounds 20] [--seed 1]

Each round starts a writer process that writes through kamcore as fast as it can
and prints one line per write *after* the write returned (its transaction
committed): `ack <kind> <entity> <id> <version> [<field> <value>]`. At a random
moment (0.05–1.5 s after its first write) the writer is killed with SIGKILL —
often in the middle of a transaction. Then the database is opened again and:

- it opens and migrates, and `PRAGMA integrity_check` is ok;
- every acknowledged write is there (the row at that version or later, the audit
  row of that version with the acknowledged value);
- every transaction is all-or-nothing: each account the writer opened has its
  whole three-person team (they are written in one transaction), each account
  keeps exactly one first-responsible person, and the audit log replays to the
  live tables.

SQLite runs in WAL mode with synchronous=NORMAL: a committed transaction survives
the death of the process (it is in the WAL, which the next connection recovers);
only a power cut or OS crash could lose the last commits, which is out of scope.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from kamcore import accounts, records, store, team, users  # noqa: E402
from kamcore.data import replay  # noqa: E402
from kamcore.errors import KamError  # noqa: E402
from kamcore.permissions import EDITING_ROLES  # noqa: E402


# ---- the writer (runs in its own process) --------------------------------------------------------
def writer(db_path: str, seed: int) -> None:
    """Write forever; print an acknowledgement after each committed write."""
    rng = random.Random(seed)
    db = store.connect(db_path)
    admin = users.find_by_username(db, "admin")
    people = [r[0] for r in db.execute("SELECT id FROM users WHERE global_role = 'member' ORDER BY id")]
    has_deals = db.execute("SELECT 1 FROM sqlite_master WHERE name = 'opportunities'").fetchone() is not None
    line_id = db.execute("SELECT min(id) FROM product_lines").fetchone()[0]
    out = sys.stdout
    out.write("ready\n")
    out.flush()
    number = 0
    while True:
        number += 1
        pick = rng.random()
        account_ids = [r[0] for r in db.execute("SELECT id FROM accounts ORDER BY id")]
        account_id = rng.choice(account_ids)
        try:
            if pick < 0.3:  # a new account with its iron triangle, in one transaction
                with store.transaction(db):
                    row = accounts.create_account(db, admin, {
                        "name": f"Crash {seed}-{number}", "industry": "Test", "region": "Lab",
                        "notes": "x" * rng.randint(0, 3000)})
                    trio = rng.sample(people, 3)
                    for position, (user_id, role) in enumerate(zip(trio, EDITING_ROLES, strict=True)):
                        team.add_member(db, admin, row["id"], user_id, role, first_responsible=position == 0)
                out.write(f"ack create account {row['id']} {row['version']}\n")
            elif pick < 0.7:
                current = records.get(db, accounts.ENTITY, account_id)
                value = f"s{seed}-n{number}"
                row = accounts.update_account(db, admin, account_id, current["version"], {"notes": value})
                out.write(f"ack update account {account_id} {row['version']} notes {value}\n")
            elif pick < 0.85 or not has_deals:  # two rows change in one transaction
                members = db.execute(
                    "SELECT id, version FROM account_team WHERE account_id = ? AND first_responsible = 0 "
                    "AND role IN ('account_manager', 'solution_manager', 'delivery_manager')", [account_id]
                ).fetchall()
                if not members:
                    continue
                member_id, version = rng.choice(members)
                row = team.hand_over_first_responsibility(db, admin, account_id, member_id, version)
                out.write(f"ack update team_member {member_id} {row['version']} first_responsible true\n")
            else:
                from kamcore.pipeline import opportunities

                row = opportunities.create_opportunity(db, admin, {
                    "account_id": account_id, "product_line_id": line_id, "name": f"Crash deal {number}",
                    "amount": float(rng.randint(1, 100) * 1000)})
                out.write(f"ack create opportunity {row['id']} {row['version']}\n")
            out.flush()
        except KamError as exc:
            out.write(f"refused {type(exc).__name__} {exc.message('en')}\n")
            out.flush()


# ---- the killer ----------------------------------------------------------------------------------
@dataclass
class Ack:
    action: str
    entity: str
    row_id: int
    version: int
    field: str | None = None
    value: str | None = None


@dataclass
class Round:
    acks: list[Ack] = field(default_factory=list)
    killed_after: float = 0.0
    failures: list[str] = field(default_factory=list)


def _parse(line: str) -> Ack | None:
    parts = line.split(" ", 6)
    if parts[0] != "ack" or len(parts) < 5:
        return None
    ack = Ack(parts[1], parts[2], int(parts[3]), int(parts[4]))
    if len(parts) == 7:
        ack.field, ack.value = parts[5], parts[6]
    return ack


def one_round(db_path: Path, seed: int, rng: random.Random, max_delay: float = 1.5) -> Round:
    """Start a writer, kill it at a random moment, then check the database."""
    result = Round()
    proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--writer", str(db_path),
                             "--seed", str(seed)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=str(ROOT))
    lines: list[str] = []
    ready = threading.Event()

    def read() -> None:
        for line in proc.stdout:
            if line.endswith("\n"):  # a torn last line was never acknowledged
                lines.append(line.rstrip("\n"))
                if line.startswith("ready"):
                    ready.set()
        ready.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    if not ready.wait(60):
        proc.kill()
        result.failures.append("writer did not start")
        return result
    delay = rng.uniform(0.05, max_delay)
    time.sleep(delay)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    reader.join(10)
    result.killed_after = delay
    errors = proc.stderr.read()
    if "Traceback" in errors:
        result.failures.append(f"writer crashed on its own:\n{errors[-2000:]}")
    result.acks = [a for a in (_parse(line) for line in lines) if a is not None]
    result.failures += verify(db_path, result.acks)
    return result


def verify(db_path: Path, acks: list[Ack]) -> list[str]:
    """Everything that must hold after a crash."""
    failures: list[str] = []
    db = store.connect(db_path)  # opening recovers the WAL
    integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
    if integrity != "ok":
        failures.append(f"integrity_check: {integrity}")
    for ack in acks:
        table = {"account": "accounts", "team_member": "account_team", "opportunity": "opportunities"}[ack.entity]
        row = db.execute(f"SELECT version FROM [{table}] WHERE id = ?", [ack.row_id]).fetchone()
        if row is None or row[0] < ack.version:
            failures.append(f"acknowledged {ack.action} {ack.entity}#{ack.row_id} v{ack.version} missing (found {row})")
            continue
        audited = db.execute("SELECT field, new_value FROM audit_log WHERE entity = ? AND entity_id = ? AND version = ?",
                             [ack.entity, ack.row_id, ack.version]).fetchall()
        if not audited:
            failures.append(f"acknowledged {ack.entity}#{ack.row_id} v{ack.version} has no audit rows")
        elif ack.field and (ack.field, records.encode(_typed(ack.value))) not in audited:
            failures.append(f"acknowledged {ack.entity}#{ack.row_id}.{ack.field}={ack.value} not in the audit log")
    torn = db.execute(
        "SELECT a.id, (SELECT count(*) FROM account_team t WHERE t.account_id = a.id) FROM accounts a "
        "WHERE a.name LIKE 'Crash %' AND (SELECT count(*) FROM account_team t WHERE t.account_id = a.id) != 3"
    ).fetchall()
    failures += [f"account {a} has {n} team members: its transaction was torn" for a, n in torn]
    holders = db.execute(
        "SELECT a.id FROM accounts a WHERE (SELECT count(*) FROM account_team t WHERE t.account_id = a.id "
        "AND t.first_responsible = 1) != 1").fetchall()
    failures += [f"account {a[0]} does not have exactly one first-responsible person" for a in holders]
    failures += [f"replay: {d}" for d in replay.compare(db).differences]
    db.close()
    return failures


def _typed(text: str | None):
    return True if text == "true" else text


def run(db_path: Path, rounds: int = 20, seed: int = 1, max_delay: float = 1.5) -> list[Round]:
    rng = random.Random(seed)
    return [one_round(db_path, seed * 1000 + n, rng, max_delay) for n in range(rounds)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", help="database to write to (it is changed!); default: a fresh demo database")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--writer", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.writer:
        writer(args.writer, args.seed)
        return 0
    with tempfile.TemporaryDirectory() as folder:
        path = Path(args.db) if args.db else _fresh(Path(folder))
        started = time.perf_counter()
        results = run(path, args.rounds, args.seed)
        seconds = time.perf_counter() - started
    acks = sum(len(r.acks) for r in results)
    failed = [f for r in results for f in r.failures]
    print(f"{len(results)} rounds killed with SIGKILL after 0.05–1.5 s; {acks} acknowledged writes, "
          f"{len(failed)} failed checks ({seconds:.0f} s)")
    for failure in failed[:30]:
        print("FAIL:", failure)
    return 1 if failed else 0


def _fresh(folder: Path) -> Path:
    from kamcore import demo

    path = folder / "crash.db"
    db = store.connect(path)
    demo.build(db)
    db.close()
    return path


if __name__ == "__main__":
    sys.exit(main())
