"""Deal-health rules judged for a whole portfolio at once: the set-based reads give exactly the
per-deal answers, and the all-accounts result is reused until the next write."""

from __future__ import annotations

import pytest

from kamcore import data_cache, permissions, store, users
from kamcore.decision_chain import coverage
from kamcore.learning import rules
from kamcore.learning.rule_facts import FIELDS, Facts, prefetch, read


def _key(flag: rules.Flag) -> tuple:
    ack = flag.acknowledged["id"] if flag.acknowledged else None
    return (flag.rule_id, flag.account_id, flag.opportunity_id, flag.severity, flag.facts, ack)


@pytest.fixture
def everything(demo_db):
    chen = users.find_by_username(demo_db, "chen.jie")
    return demo_db, chen, permissions.readable_account_ids(demo_db, chen)


def test_the_batch_evaluation_raises_the_same_flags_as_the_per_deal_one_on_the_demo(everything):
    db, _, ids = everything
    one_by_one = [_key(f) for f in rules._evaluate(db, ids, batch=False)]
    batched = [_key(f) for f in rules._evaluate(db, ids, batch=True)]
    assert len(one_by_one) > 10  # the demo has flagged deals and accounts, so the comparison means something
    assert batched == one_by_one


def test_every_field_reads_the_same_in_batch_for_open_and_closed_deals_and_accounts(everything):
    db, _, ids = everything
    deals = store.rows(db, "SELECT * FROM opportunities ORDER BY id")  # closed deals are judged on their close date
    assert {d["status"] for d in deals} >= {"open", "won", "lost"}
    subjects = [(d["account_id"], d) for d in deals] + [(a, None) for a in ids]
    batch = Facts(db)
    prefetch(batch, FIELDS, subjects)
    asked = []
    db.conn.set_trace_callback(asked.append)
    try:
        batched = {(n, a, o["id"] if o else None): read(batch, n, a, o) for n in FIELDS for a, o in subjects}
    finally:
        db.conn.set_trace_callback(None)
    assert asked == []  # after the prefetch every fact comes from the cache
    single = Facts(db)
    per_deal = {(n, a, o["id"] if o else None): read(single, n, a, o) for n in FIELDS for a, o in subjects}
    assert batched == per_deal
    assert any(v is not None for (n, _, _), v in per_deal.items() if n == "days_since_activity")
    assert any(v for (n, _, _), v in per_deal.items() if n == "single_threaded")


def test_scope_flags_match_the_per_scope_coverage_checks(everything):
    db, _, ids = everything
    deals = [r[0:2] for r in db.execute("SELECT account_id, id FROM opportunities ORDER BY id").fetchall()]
    scopes = [(a, None) for a in ids] + [(a, o) for a, o in deals]
    found = coverage.scope_flags(db, scopes)
    for kind in coverage.SCOPE_CHECKS:
        check = getattr(coverage, kind)
        for account_id, scope in scopes:
            expected = [f for f in check(db, account_id, scope) if f.opportunity_id == scope]
            assert found[(kind, account_id, scope)] == expected, (kind, account_id, scope)
    assert any(found.values())


def test_the_all_accounts_counts_are_computed_once_until_a_write(everything, monkeypatch):
    db, chen, ids = everything
    data_cache.clear()
    runs = []
    real = rules._evaluate
    monkeypatch.setattr(rules, "_evaluate", lambda *a, **k: runs.append(1) or real(*a, **k))
    first = rules.flag_counts(db, chen, ids)
    assert rules.flag_counts(db, chen, list(reversed(ids))) == first
    assert len(rules.evaluate(db, chen)) == sum(c["total"] for c in first.values())
    assert len(runs) == 1

    flag = next(f for f in rules.evaluate(db, chen) if f.acknowledged is None)
    admin = users.find_by_username(db, db.execute("SELECT username FROM users WHERE global_role = 'admin'").fetchone()[0])
    rules.acknowledge(db, admin, flag.rule_id, flag.account_id, flag.opportunity_id, "Seen at the huddle")
    after = rules.flag_counts(db, chen, ids)
    assert len(runs) == 2
    assert after[flag.account_id]["open"] == first[flag.account_id]["open"] - 1
    assert after[flag.account_id]["total"] == first[flag.account_id]["total"]


def test_an_in_memory_database_is_never_cached(fresh_db):
    runs = []
    assert data_cache.cached(fresh_db, "t", 1, lambda: runs.append(1) or 5) == 5
    assert data_cache.cached(fresh_db, "t", 1, lambda: runs.append(1) or 5) == 5
    assert len(runs) == 2
