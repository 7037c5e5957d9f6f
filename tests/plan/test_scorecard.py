"""Balanced scorecard: lifecycle default weights, team overrides, and the score on hand-computed fixtures."""

import pytest

from kamcore.errors import ConflictError, ValidationError
from kamcore.plan import goals, scorecard
from kamcore.plan.scorecard import compute, default_weights, goal_attainment
from tests.plan.test_plan_fixtures import fresh_world


@pytest.fixture
def world():
    yield from fresh_world()

EQUAL = {"financial": 25, "customer": 25, "process": 25, "learning": 25}


def g(quadrant, target, actual):
    return {"quadrant": quadrant, "target": target, "actual": actual}


def test_attainment_is_actual_over_target_clamped_to_zero_and_one():
    assert goal_attainment(200, 50) == 0.25
    assert goal_attainment(100, 150) == 1.0
    assert goal_attainment(2, -1) == 0.0
    assert goal_attainment(100, None) is None


def test_score_on_a_hand_computed_fixture():
    # financial: 80/100 = .8 and 50/100 = .5 -> .65; customer: 1/2 = .5; process: 1.0 (capped); learning: 0.25
    # growth weights 45/25/20/10: (45*.65 + 25*.5 + 20*1 + 10*.25) / 100 = (29.25+12.5+20+2.5) = 64.25
    rows = [g("financial", 100, 80), g("financial", 100, 50), g("customer", 2, 1),
            g("process", 10, 12), g("learning", 4, 1)]
    card = compute(rows, default_weights("growth"))
    assert card.score == pytest.approx(64.2, abs=0.06)
    by = {q.quadrant: q for q in card.quadrants}
    assert by["financial"].attainment == pytest.approx(0.65)
    assert (by["financial"].goals, by["financial"].measured) == (2, 2)
    assert by["process"].attainment == 1.0


def test_unmeasured_quadrants_drop_out_and_the_weights_renormalise():
    # only financial (.5, weight 20) and customer (1.0, weight 45) measured: (10 + 45) / 65 = 84.6
    rows = [g("financial", 100, 50), g("customer", 3, 3), g("process", 10, None)]
    card = compute(rows, default_weights("breakthrough"))
    assert card.score == 84.6
    by = {q.quadrant: q for q in card.quadrants}
    assert (by["process"].goals, by["process"].measured, by["process"].attainment) == (1, 0, None)


def test_no_measured_goals_means_no_score():
    assert compute([g("financial", 100, None)], EQUAL).score is None
    assert compute([], EQUAL).score is None


def test_the_stage_sets_the_heaviest_quadrant_per_d3():
    assert max(default_weights("breakthrough"), key=default_weights("breakthrough").get) == "customer"
    assert max(default_weights("growth"), key=default_weights("growth").get) == "financial"
    for stage in scorecard.STAGES:
        assert sum(default_weights(stage).values()) == 100


def test_changing_the_stage_moves_default_weights(world):
    settings = scorecard.get_settings(world.db, world.am, world.account_id)
    assert settings["id"] is None and settings["weight_financial"] == 45
    saved = scorecard.save_settings(world.db, world.am, world.account_id, 0, {"lifecycle_stage": "breakthrough"})
    assert (saved["weight_customer"], saved["custom_weights"]) == (45, 0)


def test_the_team_may_override_weights_and_a_stage_change_then_keeps_them(world):
    saved = scorecard.save_settings(world.db, world.am, world.account_id, 0,
                                    {"weight_financial": 40, "weight_customer": 40,
                                     "weight_process": 10, "weight_learning": 10})
    assert saved["custom_weights"] == 1
    again = scorecard.save_settings(world.db, world.sm, world.account_id, saved["version"],
                                    {"lifecycle_stage": "mature"})
    assert (again["lifecycle_stage"], again["weight_financial"]) == ("mature", 40)
    reset = scorecard.save_settings(world.db, world.sm, world.account_id, again["version"],
                                    {"custom_weights": False})
    assert reset["weight_customer"] == default_weights("mature")["customer"]


def test_weights_that_do_not_add_up_are_refused(world):
    with pytest.raises(ValidationError) as caught:
        scorecard.save_settings(world.db, world.am, world.account_id, 0, {"weight_financial": 90})
    assert caught.value.problems[0].reason_key == "reason.weights_sum"
    assert world.db.execute("SELECT count(*) FROM account_plans").fetchone()[0] == 0


def test_a_plan_period_that_ends_before_it_starts_is_refused(world):
    with pytest.raises(ValidationError) as caught:
        scorecard.save_settings(world.db, world.am, world.account_id, 0,
                                {"period_start": "2027-01-01", "period_end": "2026-12-31"})
    assert (caught.value.problems[0].field, caught.value.problems[0].reason_key) == (
        "period_end", "reason.end_before_start")


def test_two_saves_on_the_same_settings_version_give_one_conflict(world):
    saved = scorecard.save_settings(world.db, world.am, world.account_id, 0, {"lifecycle_stage": "mature"})
    scorecard.save_settings(world.db, world.am, world.account_id, saved["version"], {"lifecycle_stage": "growth"})
    with pytest.raises(ConflictError):
        scorecard.save_settings(world.db, world.sm, world.account_id, saved["version"],
                                {"lifecycle_stage": "breakthrough"})


def test_scorecard_reads_the_accounts_goals_for_the_period(world):
    scorecard.save_settings(world.db, world.am, world.account_id, 0, {"lifecycle_stage": "breakthrough"})
    goals.create_goal(world.db, world.am, world.goal(target=100, actual=50))
    goals.create_goal(world.db, world.am, world.goal(quadrant="customer", metric="relationship_level",
                                                     target=2, actual=2))
    goals.create_goal(world.db, world.am, world.goal(year=2027, target=100, actual=0))
    card = scorecard.scorecard(world.db, world.am, world.account_id, 2026)
    # (20 * .5 + 45 * 1) / 65 = 84.6
    assert card.score == 84.6
