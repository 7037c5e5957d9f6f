"""Concurrent editing (shortened scripts/stress.py): processes race on the same rows through kamcore."""

import pytest

from kamcore import store
from kamcore.demo import scale
from scripts import stress
from tests.conftest import DEMO_DAY

SMALL = scale.Size("T", accounts=20, opportunities=100, stakeholders=60, audit_rows=2_000, goals_per_account=1)


@pytest.fixture
def contested(tmp_path):
    path = tmp_path / "stress.db"
    db = store.connect(path)
    scale.generate(db, SMALL, today=DEMO_DAY)
    db.close()
    return path


def test_concurrent_writers_lose_nothing_and_conflicts_are_reported(contested):
    report = stress.run(contested, workers=3, ops=60, account_count=2, seed=7)
    assert report.failures == []
    assert report.acknowledged > 0
    assert report.conflicts > 0, "stale versions must have produced conflicts"
    assert {o.result for o in report.outcomes} <= {"ok", "conflict"}
    kinds = {o.kind for o in report.outcomes}
    assert {"account", "team", "handover"} <= kinds


def test_checker_catches_an_acknowledged_write_that_is_not_in_the_audit_log(contested):
    plan = stress.prepare(contested, 1)
    target = next(t for t in plan.targets if t.kind == "account")
    start = plan.start_versions[("account", target.row_id)]
    claimed = stress.Outcome(0, "account", "account", target.row_id, start, {"notes": "never written"}, "ok",
                             version=start + 1)
    failures = stress.check(plan, [claimed])
    assert any("not in the audit log" in f for f in failures)


def test_checker_treats_any_refusal_other_than_a_conflict_as_a_failure(contested):
    plan = stress.prepare(contested, 1)
    target = plan.targets[0]
    refused = stress.Outcome(0, target.kind, target.entity, target.row_id, 1, {}, "refused",
                             detail="ValidationError: name is empty")
    assert any("refused without a conflict" in f for f in stress.check(plan, [refused]))


def test_checker_catches_two_writes_claiming_the_same_version(contested):
    plan = stress.prepare(contested, 1)
    target = next(t for t in plan.targets if t.kind == "account")
    start = plan.start_versions[("account", target.row_id)]
    db = store.connect(contested)
    from kamcore import accounts, users

    admin = users.find_by_username(db, "admin")
    accounts.update_account(db, admin, target.row_id, start, {"notes": "first"})
    db.close()
    both = [stress.Outcome(n, "account", "account", target.row_id, start, {"notes": "first"}, "ok", version=start + 1)
            for n in (0, 1)]
    assert any("lost update" in f for f in stress.check(plan, both))
