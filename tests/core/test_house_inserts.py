"""House rule: one door for every insert of a versioned row. Only `kamcore.records` (create, create_many)
writes INSERT INTO a table that has an Entity; every import, the account move, restores and the demo go
through it, so every such row is validated, permission-checked, audited and gets an id never used before."""

from __future__ import annotations

import re

from kamcore import records
from tests.conftest import ROOT

INSERT = re.compile(r"INSERT\s+(?:OR\s+\w+\s+)?INTO\s+\[?(\{[^}]*\}|\w+)", re.I)
# the scale generator writes a year of synthetic history (versions > 1, backdated changes) for benchmarks;
# create_many creates version-1 rows only. It keeps records' invariants and kamcore.data.replay checks them.
NOT_YET = {"kamcore/demo/scale.py"}


def test_only_records_inserts_versioned_rows():
    versioned = {e.table for e in records.all_entities()}
    offenders = []
    for path in sorted((ROOT / "kamcore").rglob("*.py")):
        name = path.relative_to(ROOT).as_posix()
        if name in ("kamcore/records.py", *NOT_YET):
            continue
        for match in INSERT.finditer(path.read_text(encoding="utf-8")):
            target = match.group(1)
            if target.startswith("{") or target in versioned:
                offenders.append(f"{name}: INSERT INTO {target}")
    assert offenders == []


def test_the_rule_catches_an_insert_of_a_versioned_row():
    sample = 'db.conn.execute(f"INSERT INTO opportunities ({cols}) VALUES (?)")'
    assert [m.group(1) for m in INSERT.finditer(sample)] == ["opportunities"]
    assert "opportunities" in {e.table for e in records.all_entities()}
