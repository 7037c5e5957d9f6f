"""Proposal war room: timeline, bid decision, compliance matrix, submission rules, outcome and countdown."""

from __future__ import annotations

from datetime import date

import pytest

from kamcore import product_lines
from kamcore.errors import ValidationError
from kamcore.huddle import agenda
from kamcore.learning import retrospectives
from kamcore.pipeline import opportunities as opp
from kamcore.proposals import rooms
from kamcore.proposals.timeline import step_day, working_day, working_days_left
from tests.managed_account import managed_account


@pytest.fixture
def world(fresh_db, admin):
    db = fresh_db
    account, am = managed_account(db, admin, "Xibei Metro", "Infra", "NW")
    line = product_lines.create_product_line(db, admin, {"code": "CORE", "name": "Core"})
    deal = opp.create_opportunity(db, am, {"account_id": account, "product_line_id": line["id"],
                                           "name": "Dispatch network tender", "amount": 5000,
                                           "kind": "opportunity", "stage": "qualify"})
    head = rooms.open_proposal(db, am, deal["id"], start_on=date(2026, 11, 16))
    return {"db": db, "am": am, "account": account, "deal": deal, "head": head}


def test_working_days_skip_weekends():
    assert working_day(date(2026, 11, 20), 2) == date(2026, 11, 23)  # Friday, then Monday
    assert working_day(date(2026, 11, 21), 1) == date(2026, 11, 23)  # a Saturday start counts from Monday
    assert working_days_left(date(2026, 11, 26), date(2026, 11, 27)) == 1
    assert working_days_left(date(2026, 11, 27), date(2026, 11, 27)) == 0
    assert working_days_left(date(2026, 11, 30), date(2026, 11, 27)) == -1
    assert step_day("submission", 10) == 10 and step_day("submission", 15) == 15 and step_day("kickoff", 5) == 1


def test_opening_a_proposal_dates_and_owns_every_step(world):
    steps = rooms.parts(world["db"], world["am"], world["head"]["id"])["step"]
    assert [s["step"] for s in steps][0] == "bid_decision"
    assert len(steps) == 8 and all(s["owner_id"] == world["am"].id for s in steps)
    assert steps[-1]["due_on"] == "2026-11-27" == rooms.deadline(world["head"]).isoformat()


def test_a_longer_cycle_moves_the_deadline_and_the_steps(world):
    db, am, head = world["db"], world["am"], world["head"]
    row = rooms.update_proposal(db, am, head["id"], head["version"], {"cycle_days": 15})
    assert rooms.deadline(row) == date(2026, 12, 4)
    steps = {s["step"]: s for s in rooms.parts(db, am, head["id"])["step"]}
    assert steps["submission"]["due_on"] == "2026-12-04"


def test_no_bid_without_a_reason_is_refused_and_nothing_changes(world):
    db, am, head = world["db"], world["am"], world["head"]
    with pytest.raises(ValidationError) as err:
        rooms.update_proposal(db, am, head["id"], head["version"], {"decision": "no_bid"})
    assert "reason" in err.value.message("en").lower()
    assert rooms.get_proposal(db, am, head["id"])["decision"] == "pending"


def test_submission_before_kick_off_is_refused(world):
    db, am, head = world["db"], world["am"], world["head"]
    head = rooms.update_proposal(db, am, head["id"], head["version"], {"decision": "bid", "decision_reason": "fit"})
    with pytest.raises(ValidationError) as err:
        rooms.update_proposal(db, am, head["id"], head["version"],
                              {"kickoff_on": "2026-11-18", "submitted_on": "2026-11-17"})
    assert err.value.problems[0].field == "submitted_on"
    with pytest.raises(ValidationError):
        rooms.update_proposal(db, am, head["id"], head["version"], {"submitted_on": "2026-11-17"})
    after = rooms.get_proposal(db, am, head["id"])
    assert after["submitted_on"] is None and after["kickoff_on"] is None


def test_decision_and_kick_off_tick_their_steps(world):
    db, am, head = world["db"], world["am"], world["head"]
    rooms.update_proposal(db, am, head["id"], head["version"],
                          {"decision": "bid", "decision_reason": "fit", "kickoff_on": "2026-11-17"})
    done = {s["step"] for s in rooms.parts(db, am, head["id"])["step"] if s["status"] == "done"}
    assert done == {"bid_decision", "kickoff"}


def test_a_requirement_needs_an_owner(world):
    db, am, head = world["db"], world["am"], world["head"]
    with pytest.raises(ValidationError) as err:
        rooms.add_part(db, am, "requirement", head["id"], {"requirement": "99.99% uptime", "owner_id": None})
    assert err.value.problems[0].field == "owner_id"
    assert "owner" in err.value.message("en").lower()
    assert rooms.parts(db, am, head["id"])["requirement"] == []


def test_countdown_shows_working_days_left_and_open_requirements(world):
    db, am, head = world["db"], world["am"], world["head"]
    rooms.add_part(db, am, "requirement", head["id"], {"requirement": "Uptime", "owner_id": am.id})
    rooms.add_part(db, am, "requirement", head["id"], {"requirement": "SLA", "owner_id": am.id,
                                                       "status": "compliant"})
    before = rooms.proposal_countdowns(db, [world["account"]], date(2026, 11, 25))
    assert [(c.days_left, c.open_requirements, c.next_step) for c in before] == [(2, 1, "bid_decision")]
    items = agenda.build(db, am, [world["account"]], date(2026, 11, 25))["due"]
    tender = [i for i in items if i.source == f"proposal:{head['id']}"]
    assert len(tender) == 1 and tender[0].severity == "critical", "the countdown is on the huddle agenda"
    assert "1" in tender[0].display_detail("en")
    rooms.update_proposal(db, am, head["id"], head["version"], {"decision": "no_bid", "decision_reason": "no fit"})
    assert rooms.proposal_countdowns(db, [world["account"]], date(2026, 11, 25)) == []


def test_a_lost_tender_closes_the_deal_and_starts_a_retrospective(world):
    db, am, head = world["db"], world["am"], world["head"]
    before = len(retrospectives.list_retrospectives(db, am, world["account"]))
    row = rooms.record_outcome(db, am, head["id"], head["version"], "lost", "Price 12% above the winner")
    assert row["outcome"] == "lost" and row["retrospective_id"]
    retro = retrospectives.get_retrospective(db, am, row["retrospective_id"])
    assert retro["result"] == "lost" and retro["opportunity_id"] == world["deal"]["id"]
    assert len(retrospectives.list_retrospectives(db, am, world["account"])) == before + 1
    assert opp.get_opportunity(db, am, world["deal"]["id"])["status"] == "lost"


def test_a_loss_without_a_reason_writes_nothing(world):
    db, am, head = world["db"], world["am"], world["head"]
    with pytest.raises(ValidationError):
        rooms.record_outcome(db, am, head["id"], head["version"], "lost", "  ")
    assert rooms.get_proposal(db, am, head["id"])["outcome"] == "open"
