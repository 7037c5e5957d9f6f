"""Crash safety (shortened scripts/crash.py): a writer killed with SIGKILL loses no acknowledged write."""

from scripts import crash


def test_writes_acknowledged_before_sigkill_survive_and_nothing_is_torn(demo_path):
    rounds = crash.run(demo_path, rounds=3, seed=5, max_delay=0.8)
    assert [f for r in rounds for f in r.failures] == []
    assert sum(len(r.acks) for r in rounds) > 0, "the writer acknowledged writes before it was killed"


def test_verify_reports_an_acknowledged_write_that_is_missing(demo_path):
    ghost = crash.Ack("update", "account", 1, 999, "notes", "never written")
    failures = crash.verify(demo_path, [ghost])
    assert any("missing" in f for f in failures)


def test_verify_reports_an_account_whose_team_transaction_was_torn(demo_db, demo_path):
    demo_db.conn.execute(
        "INSERT INTO accounts (name, industry, region, created_at, updated_at) "
        "VALUES ('Crash 0-1', 'Test', 'Lab', '2026-01-01', '2026-01-01')")
    demo_db.conn.commit()
    failures = crash.verify(demo_path, [])
    assert any("torn" in f for f in failures)


def test_acknowledgement_lines_parse_with_and_without_a_value():
    assert crash._parse("ack create account 7 1") == crash.Ack("create", "account", 7, 1)
    assert crash._parse("ack update account 7 3 notes s1-n 2") == crash.Ack("update", "account", 7, 3, "notes", "s1-n 2")
    assert crash._parse("refused ValidationError x") is None
