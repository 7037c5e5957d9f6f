"""An account moves between war rooms: the export of every demo account imports into a fresh war room and the
account's figures there are the same; roles, team membership and sign-offs never come along."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kamcore import clock, store, users
from kamcore.data import account_move, portability
from kamcore.errors import ValidationError
from kamcore.pipeline import analytics, opportunities
from kamcore.portfolio import overview

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
# what depends on the team (which never moves: goals need an owner on it, health scores the iron triangle) or
# on the company's own tiering and lesson-made rules: compared separately below, not expected equal
SKIP = {"account_id", "tier", "account_type", "score", "criteria_number", "flags", "obtainable_share", "priority",
        "revenue_goal", "goal_reached_pct", "health_score", "risk_flags"}


def _figures(db, actor, account_id):
    """What the account's pages show: the portfolio row (financials, posture), and its pipeline."""
    row = next(r for r in overview.overview(db, actor) if r["account_id"] == account_id)
    deals = opportunities.list_opportunities(db, actor, account_id, limit=-1)
    summary = analytics.summary(db, [account_id])
    return ({k: v for k, v in row.items() if k not in SKIP},
            sorted((d["number"], d["name"], d["stage"], d["status"], d["amount"], d["currency"],
                    d["product_line_code"]) for d in deals),
            {k: summary[k] for k in ("won", "won_value", "open", "win_rate")},
            sorted((r["stage"], r["count"]) for r in analytics.funnel(db, [account_id])))


@pytest.fixture
def fresh_room(tmp_path):
    db = store.connect(tmp_path / "other-war-room.db")
    admin = users.create_user(db, users.SYSTEM, "admin", "Admin", "admin-pass-1", "admin")
    yield db, admin
    db.close()


def test_every_demo_account_moves_to_a_fresh_war_room_with_the_same_figures(demo_db, tmp_path):
    source_admin = users.find_by_username(demo_db, "admin")
    ids = [r[0] for r in demo_db.execute("SELECT id FROM accounts ORDER BY id")]
    with clock.at(NOW):
        for number, account_id in enumerate(ids):
            exported = portability.export_data(demo_db, source_admin, account_id)
            moved_file = portability.from_json(portability.to_json(exported)) if number % 2 else \
                portability.from_xlsx(portability.to_xlsx(exported), demo_db)  # JSON and Excel both carry it
            db = store.connect(tmp_path / f"room-{account_id}.db")
            admin = users.create_user(db, users.SYSTEM, "admin", "Admin", "admin-pass-1", "admin")
            plan = account_move.plan_move(db, admin, moved_file)
            assert plan.created.get("product_lines") or not exported["references"].get("product_lines")
            assert {"account_team", "signoffs"} & set(plan.left_out) or not (
                exported["tables"]["account_team"]["rows"] or exported["tables"]["signoffs"]["rows"])
            done = account_move.apply_move(db, admin, moved_file)
            goals = len(exported["tables"]["goals"]["rows"])
            # a goal's owner is a person of the other war room (not here), or must be on the team (never moved):
            # left out and counted, never forced in
            assert done.left_out.get("goals", 0) + sum(done.waiting.get("goals", {}).values()) == goals
            new_id = db.execute("SELECT id FROM accounts").fetchone()[0]
            assert _figures(db, admin, new_id) == _figures(demo_db, source_admin, account_id), account_id
            # never roles, membership or sign-offs; no user created
            for table in ("account_team", "signoffs", "proposal_roles"):
                assert db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0
            assert db.execute("SELECT count(*) FROM users").fetchone()[0] == 1
            db.close()


def test_a_move_into_a_war_room_that_has_the_account_is_refused(demo_db, fresh_room):
    db, admin = fresh_room
    source_admin = users.find_by_username(demo_db, "admin")
    account_id = demo_db.execute("SELECT id FROM accounts ORDER BY id").fetchone()[0]
    with clock.at(NOW):
        data = portability.from_json(portability.to_json(portability.export_data(demo_db, source_admin, account_id)))
        account_move.apply_move(db, admin, data)
        before = db.execute("SELECT count(*) FROM audit_log").fetchone()[0]
        with pytest.raises(ValidationError) as caught:
            account_move.apply_move(db, admin, data)
    assert caught.value.problems[0].reason_key in ("reason.duplicate", "reason.not_a_move")
    assert db.execute("SELECT count(*) FROM audit_log").fetchone()[0] == before
