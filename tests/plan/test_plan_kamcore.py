"""Share plans and whitespace, purchase factors and barriers, baselines, and concurrent edits."""

from datetime import UTC, datetime

import pytest

from kamcore import clock
from kamcore.errors import ConflictError, ValidationError
from kamcore.plan import baselines, goals, scorecard, share_plans, strategy
from tests.plan.test_plan_fixtures import fresh_world


@pytest.fixture
def world():
    yield from fresh_world()


def _count(w, table):
    return w.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


# --- share plans -------------------------------------------------------------------------

@pytest.mark.parametrize(("over", "field", "reason"), [
    ({"current_share": 120}, "current_share", "reason.share_range"),
    ({"current_share": -1}, "current_share", "reason.share_range"),
    ({"target_share_2": 130}, "target_share_2", "reason.target_above_wallet"),
    ({"target_share_1": -5}, "target_share_1", "reason.share_range"),
    ({"wallet": -10}, "wallet", "reason.negative_wallet"),
    ({"target_share_1": None, "target_share_2": None}, "target_share_1", "reason.target_needed"),
])
def test_bad_share_plans_are_refused_naming_the_field_and_nothing_is_written(world, over, field, reason):
    with pytest.raises(ValidationError) as caught:
        share_plans.create_share_plan(world.db, world.am, world.share(**over))
    problem = caught.value.problems[0]
    assert (problem.field, problem.reason_key) == (field, reason)
    assert "reason." not in caught.value.message("en") and "field." not in caught.value.message("zh")
    assert _count(world, "share_plans") == 0


def test_potential_is_wallet_times_the_gap_to_the_final_target(world):
    share_plans.create_share_plan(world.db, world.am, world.share(target_share_3=40))
    row = share_plans.list_share_plans(world.db, world.am, world.account_id)[0]
    # 1000 x (40 - 10) / 100 = 300
    assert (row["final_target"], row["gap"], row["potential"], row["breakthrough"]) == (40, 30, 300, 0)
    assert share_plans.potential(row) == 300


def test_a_line_not_yet_sold_is_a_breakthrough_plan(world):
    share_plans.create_share_plan(world.db, world.am, world.share(product_line_id=world.cloud["id"],
                                                                current_share=0, target_share_1=5,
                                                                target_share_2=None))
    row = share_plans.list_share_plans(world.db, world.am, world.account_id)[0]
    assert row["breakthrough"] == 1 and share_plans.is_breakthrough(row)


def test_one_share_plan_per_product_line(world):
    share_plans.create_share_plan(world.db, world.am, world.share())
    with pytest.raises(ValidationError):
        share_plans.create_share_plan(world.db, world.sm, world.share())


def test_whitespace_has_a_cell_for_every_line_with_or_without_a_plan(world):
    share_plans.create_share_plan(world.db, world.am, world.share())
    cells = share_plans.whitespace(world.db, world.am, [world.account_id])
    kinds = {c["product_line_code"]: share_plans.cell_kind(c) for c in cells}
    assert kinds == {"CLOUD": "unplanned", "CORE": "growth"}
    assert share_plans.whitespace(world.db, world.outsider) == []


# --- strategy and barriers ----------------------------------------------------------------

def _action(w, **over):
    return {"account_id": w.account_id, "kind": "technical", "product_line_id": w.core["id"],
            "level": "differentiate", "action": "Write the spec with their CTO", "owner_id": w.sm.id,
            "due_date": "2026-12-15", **over}


def test_technical_barriers_state_their_level_and_the_next_move(world):
    strategy.create_action(world.db, world.am, _action(world))
    position = strategy.technical_position(world.db, world.am, world.account_id)
    assert [(p["level"], p["next"]) for p in position] == [("differentiate", "influence")]
    assert strategy.next_level("lead") is None


@pytest.mark.parametrize(("over", "field"), [
    ({"level": None}, "level"),
    ({"kind": "commercial"}, "level"),
    ({"owner_id": None}, "owner_id"),
    ({"owner_id": [1, 2]}, "owner_id"),
    ({"due_date": "someday"}, "due_date"),
    ({"action": "  "}, "action"),
])
def test_bad_barrier_actions_are_refused(world, over, field):
    with pytest.raises(ValidationError) as caught:
        strategy.create_action(world.db, world.am, _action(world, **over))
    assert caught.value.problems[0].field == field
    assert _count(world, "barrier_actions") == 0


def test_barrier_owners_come_from_the_iron_triangle(world):
    with pytest.raises(ValidationError):
        strategy.create_action(world.db, world.am, _action(world, owner_id=world.outsider.id))


def test_overdue_open_actions_are_counted(world):
    strategy.create_action(world.db, world.am, _action(world, due_date="2026-01-01"))
    done = strategy.create_action(world.db, world.am, _action(world, due_date="2026-01-01"))
    strategy.update_action(world.db, world.am, done["id"], done["version"], {"status": "done"})
    assert strategy.overdue_actions(world.db, world.am, world.account_id, datetime(2026, 6, 1).date()) == 1


def test_purchase_factors_are_scored_one_to_five_once_each(world):
    strategy.assess_factor(world.db, world.am, {"account_id": world.account_id, "factor": "risk", "score": 4})
    with pytest.raises(ValidationError):
        strategy.assess_factor(world.db, world.am, {"account_id": world.account_id, "factor": "risk", "score": 2})
    with pytest.raises(ValidationError):
        strategy.assess_factor(world.db, world.am, {"account_id": world.account_id, "factor": "benefit", "score": 6})
    assert [f["factor"] for f in strategy.list_factors(world.db, world.am, world.account_id)] == ["risk"]


# --- baselines -------------------------------------------------------------------------------

def _at(day):
    return clock.at(datetime(2026, 1, day, 9, tzinfo=UTC))


def test_a_baseline_comparison_shows_what_moved_after_it_and_who_moved_it(world):
    db = world.db
    with _at(2):
        revenue = goals.create_goal(db, world.am, world.goal(target=100))
        margin = goals.create_goal(db, world.am, world.goal(metric="gross_margin", target=20))
        share = share_plans.create_share_plan(db, world.am, world.share())
        scorecard.save_settings(db, world.am, world.account_id, 0, {"lifecycle_stage": "growth"})
        base = baselines.take_baseline(db, world.am, world.account_id, "2026 plan", "2026-01-02")
    with _at(10):
        goals.update_goal(db, world.sm, revenue["id"], revenue["version"], {"target": 120})
        goals.delete_goal(db, world.dm, margin["id"], margin["version"])
        share_plans.update_share_plan(db, world.dm, share["id"], share["version"], {"target_share_2": 35})
        goals.create_goal(db, world.dm, world.goal(metric="collections", target=90))
    moves = baselines.compare(db, world.am, base["id"])
    seen = {(m.entity, m.change, m.field, m.old, m.new, m.by) for m in moves}
    assert seen == {
        ("goal", "changed", "target", 100.0, 120.0, "Sol Manager"),
        ("goal", "removed", None, None, None, "Del Manager"),
        ("goal", "added", None, None, None, "Del Manager"),
        ("share_plan", "changed", "target_share_2", 30.0, 35.0, "Del Manager"),
    }
    assert all(m.at.startswith("2026-01-10") for m in moves)
    labels = {baselines.describe(m.entity, m.row, {world.core["id"]: "CORE"}) for m in moves}
    assert "2026 · Revenue" in labels


def test_a_fresh_baseline_shows_no_moves_and_is_listed(world):
    goals.create_goal(world.db, world.am, world.goal())
    base = baselines.take_baseline(world.db, world.am, world.account_id, "2026 plan", "2026-01-15")
    assert baselines.compare(world.db, world.am, base["id"]) == []
    assert [b["name"] for b in baselines.list_baselines(world.db, world.sm, world.account_id)] == ["2026 plan"]


def test_the_snapshot_stays_out_of_the_audit_log(world):
    baselines.take_baseline(world.db, world.am, world.account_id, "2026 plan", "2026-01-15")
    value = world.db.execute("SELECT new_value FROM audit_log WHERE entity = 'plan_baseline' "
                             "AND field = 'snapshot'").fetchone()[0]
    assert value == "[hidden]"


def test_a_baseline_needs_a_name_and_a_date(world):
    with pytest.raises(ValidationError):
        baselines.take_baseline(world.db, world.am, world.account_id, "", "2026-01-15")
    with pytest.raises(ValidationError):
        baselines.take_baseline(world.db, world.am, world.account_id, "x", "not a date")
    assert _count(world, "plan_baselines") == 0


# --- concurrent edits ------------------------------------------------------------------------

def test_two_people_editing_different_goals_both_land(world):
    one = goals.create_goal(world.db, world.am, world.goal())
    two = goals.create_goal(world.db, world.am, world.goal(metric="collections"))
    # both loaded the table at version 1
    goals.update_goal(world.db, world.sm, one["id"], one["version"], {"actual": 40})
    goals.update_goal(world.db, world.dm, two["id"], two["version"], {"actual": 70})
    actual = {g["metric"]: g["actual"] for g in goals.list_goals(world.db, world.am, world.account_id)}
    assert actual == {"revenue": 40.0, "collections": 70.0}


def test_two_people_editing_the_same_goal_give_one_conflict_naming_the_winner(world):
    one = goals.create_goal(world.db, world.am, world.goal())
    goals.update_goal(world.db, world.sm, one["id"], one["version"], {"actual": 40})
    with pytest.raises(ConflictError) as caught:
        goals.update_goal(world.db, world.dm, one["id"], one["version"], {"actual": 55})
    assert "Sol Manager" in caught.value.message("en")
    assert goals.list_goals(world.db, world.am, world.account_id)[0]["actual"] == 40.0


# --- pipeline coverage ----------------------------------------------------------------------

def test_pipeline_coverage_compares_the_order_goal_with_won_and_weighted_open_deals(world):
    from kamcore.pipeline import opportunities
    from kamcore.plan import pipeline_coverage

    db, core = world.db, world.core["id"]
    goals.create_goal(db, world.am, world.goal(metric="orders", product_line_id=core, target=1000))

    def deal(amount, stage, **over):
        return opportunities.create_opportunity(db, world.am, {
            "account_id": world.account_id, "product_line_id": core, "name": f"deal {amount}",
            "kind": "opportunity", "amount": amount, "stage": stage, "opened_on": "2026-01-05",
            "expected_close": "2026-09-30", **over})

    deal(500, "solution")                            # open, stage default 60% -> 300 weighted
    deal(200, "qualify", probability=50)             # open, own 50% -> 100 weighted
    deal(900, "solution", expected_close="2027-03-01")  # closes next year: not in 2026
    won = deal(250, "negotiation")
    opportunities.close_opportunity(db, world.am, won["id"], won["version"], "won", "Signed", "2026-06-01")
    deal(300, "lead", kind="lead")                   # a lead is not pipeline
    [row] = pipeline_coverage.pipeline_coverage(db, world.am, world.account_id, 2026)
    assert (row["goal"], row["won_amount"], row["open_amount"], row["weighted_amount"]) == (1000, 250, 700, 400)
    assert row["coverage"] == pytest.approx(0.65)   # (250 + 400) / 1000
    assert pipeline_coverage.pipeline_coverage(db, world.am, world.account_id, 2026, 1) == []


def test_period_bounds_cover_quarters_and_years():
    from kamcore.plan.pipeline_coverage import period_bounds

    assert period_bounds(2026) == ("2026-01-01", "2026-12-31")
    assert period_bounds(2026, 1) == ("2026-01-01", "2026-03-31")
    assert period_bounds(2026, 4) == ("2026-10-01", "2026-12-31")
