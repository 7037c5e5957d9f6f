"""Retrospective lifecycle (issue 13): draft → in review → final; final means final; a big loss or a missed
goal is reviewed one level up; reopening needs a reason and is audited; agreement is recorded per person."""

from __future__ import annotations

import pytest

from kamcore import signoffs, users
from kamcore.errors import PermissionDenied, ValidationError
from kamcore.learning import retrospectives
from kamcore.learning.retrospectives import RetrospectiveFinal
from tests.learning.test_retrospectives import closed, period_review, world  # noqa: F401 - fixture

__all__ = ["world"]


@pytest.fixture
def boss(world):
    return users.create_user(world["db"], world["admin"], "exec.b", "Boss", "password-1", "executive")


def _final(w, retro, reviewer=None, comment=""):
    db = w["db"]
    retro = retrospectives.submit_for_review(db, w["am"], retro["id"], retro["version"],
                                             reviewer.id if reviewer else None)
    return retrospectives.finalize(db, reviewer or w["am"], retro["id"], retro["version"], comment)


def _small_loss(w):
    deal = closed(w, "lost", amount=100.0)
    return retrospectives.create_retrospective(w["db"], w["am"], {"account_id": w["account"],
                                                                  "opportunity_id": deal["id"]})


def _count(db, table):
    return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_a_final_retrospective_refuses_every_change_to_it_and_its_parts(world):
    db, am = world["db"], world["am"]
    retro = _small_loss(world)
    factor = retrospectives.add_factor(db, am, retro["id"], {"dimension": "solution", "polarity": "failure",
                                                               "text": "No reference site"})
    retro = _final(world, retro)
    assert retro["status"] == "final"
    audit_before = _count(db, "audit_log")
    with pytest.raises(RetrospectiveFinal):
        retrospectives.update_retrospective(db, am, retro["id"], retro["version"], {"summary": "rewritten"})
    for part, values in (("factor", {"dimension": "solution", "polarity": "failure", "text": "x"}),
                         ("why", {"dimension": "solution", "problem": "p", "why1": "a", "root_cause": "r"}),
                         ("lesson", {"title": "t", "dimension": "solution"}),
                         ("action", {"text": "t", "owner_id": am.id, "due_date": "2026-12-01"})):
        with pytest.raises(RetrospectiveFinal):
            retrospectives.add_part(db, am, part, retro["id"], values)
    with pytest.raises(RetrospectiveFinal):
        retrospectives.update_part(db, am, "factor", factor["id"], factor["version"], {"text": "changed"})
    with pytest.raises(RetrospectiveFinal):
        retrospectives.delete_part(db, am, "factor", factor["id"], factor["version"])
    with pytest.raises(RetrospectiveFinal):
        retrospectives.delete_retrospective(db, am, retro["id"], retro["version"])
    assert _count(db, "audit_log") == audit_before
    assert retrospectives.get_retrospective(db, am, retro["id"])["summary"] == ""


def test_status_changes_only_through_the_lifecycle(world):
    retro = _small_loss(world)
    with pytest.raises(ValidationError) as err:
        retrospectives.update_retrospective(world["db"], world["am"], retro["id"], retro["version"],
                                            {"status": "final"})
    assert err.value.problems[0].field == "status"


def test_reopening_needs_a_reason_and_the_right_person_and_is_audited(world):
    db, am, sm = world["db"], world["am"], world["sm"]
    retro = _final(world, _small_loss(world))
    with pytest.raises(ValidationError):
        retrospectives.reopen(db, am, retro["id"], retro["version"], "")
    with pytest.raises(PermissionDenied):
        retrospectives.reopen(db, sm, retro["id"], retro["version"], "New facts from the customer")
    assert retrospectives.get_retrospective(db, am, retro["id"])["status"] == "final"
    reopened = retrospectives.reopen(db, am, retro["id"], retro["version"], "New facts from the customer")
    assert reopened["status"] == "draft"
    audit = db.execute("SELECT actor_id, new_value FROM audit_log WHERE entity = 'retrospective' AND entity_id = ? "
                       "AND field = 'reopen_reason' ORDER BY id DESC LIMIT 1", [retro["id"]]).fetchone()
    assert audit == (am.id, '"New facts from the customer"')
    retrospectives.update_retrospective(db, am, retro["id"], reopened["version"], {"summary": "now editable"})


def test_a_big_loss_names_a_reviewer_one_level_up_and_only_that_person_signs_it_off(world, boss):
    db, am, sm = world["db"], world["am"], world["sm"]
    retrospectives.set_review_amount(db, world["admin"], 500)
    deal = closed(world, "lost", amount=900.0)
    retro = retrospectives.create_retrospective(db, am, {"account_id": world["account"],
                                                         "opportunity_id": deal["id"]})
    with pytest.raises(ValidationError) as err:
        retrospectives.submit_for_review(db, am, retro["id"], retro["version"])
    assert err.value.problems[0].field == "reviewer_id"
    with pytest.raises(ValidationError):  # a peer is not one level up
        retrospectives.submit_for_review(db, am, retro["id"], retro["version"], sm.id)
    retro = retrospectives.submit_for_review(db, am, retro["id"], retro["version"], boss.id)
    assert retro["status"] == "in_review"
    for someone in (am, sm, world["admin"]):
        with pytest.raises(PermissionDenied):
            retrospectives.finalize(db, someone, retro["id"], retro["version"], "fine")
    assert signoffs.list_signoffs(db, "retrospective", retro["id"]) == []
    final = retrospectives.finalize(db, boss, retro["id"], retro["version"], "Agreed: coach first next time")
    assert final["status"] == "final"
    [signed] = signoffs.list_signoffs(db, "retrospective", retro["id"], "review")
    assert (signed["user_id"], signed["comment"], signed["name"]) == (boss.id, "Agreed: coach first next time", "Boss")
    assert signed["signed_at"]
    # the reviewer may reopen too; the review sign-off no longer holds
    reopened = retrospectives.reopen(db, boss, retro["id"], final["version"], "Customer debrief changes the story")
    assert reopened["status"] == "draft"
    assert signoffs.list_signoffs(db, "retrospective", retro["id"], "review") == []


def test_a_missed_goal_needs_a_reviewer_but_a_small_loss_does_not(world, boss):
    db = world["db"]
    missed = period_review(world)
    assert retrospectives.needs_reviewer(db, missed)
    assert not retrospectives.needs_reviewer(db, _small_loss(world))


def test_team_members_record_their_agreement_with_the_conclusions(world):
    db, am, sm, outsider = world["db"], world["am"], world["sm"], world["outsider"]
    retro = _small_loss(world)
    with pytest.raises(ValidationError):  # a draft has no conclusions yet
        retrospectives.agree_conclusions(db, sm, retro["id"])
    retro = retrospectives.submit_for_review(db, am, retro["id"], retro["version"])
    retrospectives.agree_conclusions(db, sm, retro["id"], "yes")
    retrospectives.agree_conclusions(db, am, retro["id"])
    with pytest.raises(ValidationError):
        retrospectives.agree_conclusions(db, sm, retro["id"])  # once per person
    with pytest.raises(PermissionDenied):
        retrospectives.agree_conclusions(db, outsider, retro["id"])
    names = [s["name"] for s in retrospectives.signoff_list(db, am, retro["id"])]
    assert names == ["Sol", "Ann"]


def test_the_goals_without_results_checklist_records_which_failed(world):
    db, am = world["db"], world["am"]
    retro = period_review(world)
    saved = retrospectives.update_retrospective(db, am, retro["id"], retro["version"], {
        "goal_consensus": "ok", "goal_owner": "failed", "goal_incentives": "failed", "goal_core_elements": "ok"})
    assert retrospectives.failed_goal_checks(saved) == ["goal_owner", "goal_incentives"]
    met = period_review(world, title="FY2024", result="goal_met", review_from="2024-01-01", review_to="2024-12-31")
    with pytest.raises(ValidationError) as err:
        retrospectives.update_retrospective(db, am, met["id"], met["version"], {"goal_owner": "failed"})
    assert err.value.problems[0].field == "goal_owner"


def test_only_an_admin_sets_the_review_amount(world):
    with pytest.raises(PermissionDenied):
        retrospectives.set_review_amount(world["db"], world["am"], 1)
    assert retrospectives.set_review_amount(world["db"], world["admin"], 250) == 250
    assert retrospectives.review_amount(world["db"]) == 250
