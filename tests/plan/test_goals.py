"""Goals: one owner from the iron triangle, KPI splits adding up to 100%, metrics in their quadrant."""

import pytest

from kamcore.errors import PermissionDenied, ValidationError
from kamcore.plan import goals
from tests.plan.test_plan_fixtures import fresh_world


@pytest.fixture
def world():
    yield from fresh_world()


def _problem(caught):
    return caught.value.problems[0]


def _count(w):
    return w.db.execute("SELECT count(*) FROM goals").fetchone()[0]


def test_a_valid_goal_is_stored_and_listed_with_its_owner(world):
    goals.create_goal(world.db, world.am, world.goal(product_line_id=world.core["id"], actual=40))
    listed = goals.list_goals(world.db, world.am, world.account_id, 2026)
    assert [(g["metric"], g["owner_name"], g["product_line_code"], g["actual"]) for g in listed] == [
        ("revenue", "Ann Manager", "CORE", 40.0)]


@pytest.mark.parametrize("owners", [[], None, ""])
def test_a_goal_without_an_owner_is_refused(world, owners):
    with pytest.raises(ValidationError) as caught:
        goals.create_goal(world.db, world.am, world.goal(owner_id=owners))
    assert (_problem(caught).field, _problem(caught).reason_key) == ("owner_id", "reason.one_owner")
    assert _count(world) == 0


def test_a_goal_with_two_owners_is_refused_with_a_clear_message(world):
    with pytest.raises(ValidationError) as caught:
        goals.create_goal(world.db, world.am, world.goal(owner_id=[world.am.id, world.sm.id]))
    assert _problem(caught).reason_key == "reason.one_owner"
    assert "exactly one" in caught.value.message("en")
    assert _count(world) == 0


def test_a_single_owner_given_as_a_list_is_accepted(world):
    row = goals.create_goal(world.db, world.am, world.goal(owner_id=[world.sm.id]))
    assert row["owner_id"] == world.sm.id


def test_the_owner_must_sit_in_the_iron_triangle(world):
    with pytest.raises(ValidationError) as caught:
        goals.create_goal(world.db, world.am, world.goal(owner_id=world.outsider.id))
    assert _problem(caught).reason_key == "reason.owner_not_in_team"
    assert _count(world) == 0


@pytest.mark.parametrize("split", [(50, 30, 30), (50, 30, 10), (0, 0, 0)])
def test_kpi_splits_that_do_not_add_up_to_100_are_refused_naming_the_total(world, split):
    am, sm, dm = split
    with pytest.raises(ValidationError) as caught:
        goals.create_goal(world.db, world.am, world.goal(split_am=am, split_sm=sm, split_dm=dm))
    assert _problem(caught).reason_key == "reason.split_sum"
    assert str(sum(split)) in caught.value.message("en")
    assert _count(world) == 0


def test_a_split_change_that_breaks_the_sum_leaves_the_goal_unchanged(world):
    row = goals.create_goal(world.db, world.am, world.goal())
    with pytest.raises(ValidationError):
        goals.update_goal(world.db, world.sm, row["id"], row["version"], {"split_am": 90})
    assert goals.list_goals(world.db, world.am, world.account_id)[0]["split_am"] == 50


def test_a_metric_from_another_quadrant_is_refused(world):
    with pytest.raises(ValidationError) as caught:
        goals.create_goal(world.db, world.am, world.goal(quadrant="customer", metric="revenue"))
    assert _problem(caught).field == "metric"


def test_a_custom_process_goal_needs_a_title(world):
    with pytest.raises(ValidationError) as caught:
        goals.create_goal(world.db, world.am, world.goal(quadrant="process", metric="custom"))
    assert _problem(caught).field == "title"
    row = goals.create_goal(world.db, world.am, world.goal(quadrant="process", metric="custom",
                                                           title="Joint R&D lab live"))
    assert row["title"] == "Joint R&D lab live"


def test_relationship_level_stays_on_the_minus_one_to_three_scale(world):
    with pytest.raises(ValidationError) as caught:
        goals.create_goal(world.db, world.am, world.goal(quadrant="customer", metric="relationship_level",
                                                         target=2, actual=4))
    assert _problem(caught).field == "actual"


@pytest.mark.parametrize("over", [{"target": 0}, {"target": -5}, {"quarter": 5}, {"year": 1999}])
def test_impossible_targets_and_periods_are_refused(world, over):
    with pytest.raises(ValidationError):
        goals.create_goal(world.db, world.am, world.goal(**over))


def test_quarter_goals_are_listed_apart_from_full_year_goals(world):
    goals.create_goal(world.db, world.am, world.goal())
    goals.create_goal(world.db, world.am, world.goal(quarter=2, target=30))
    assert [g["target"] for g in goals.list_goals(world.db, world.am, world.account_id, 2026, None)] == [100.0]
    assert [g["target"] for g in goals.list_goals(world.db, world.am, world.account_id, 2026, 2)] == [30.0]


def test_people_outside_the_team_cannot_add_goals(world):
    with pytest.raises((PermissionDenied, Exception)) as caught:
        goals.create_goal(world.db, world.outsider, world.goal())
    assert type(caught.value).__name__ in ("PermissionDenied", "NotFoundError")
    assert _count(world) == 0


def test_owner_choices_are_the_three_managers(world):
    assert sorted(goals.owner_choices(world.db, world.am, world.account_id).values()) == [
        "Ann Manager", "Del Manager", "Sol Manager"]
