"""Deal-health rules: every built-in rule firing and not firing on hand-made fixtures, acks, sweeps, backtests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kamcore import accounts, clock, product_lines, team, users
from kamcore.decision_chain import stakeholders
from kamcore.errors import PermissionDenied, ValidationError
from kamcore.learning import rules
from kamcore.pipeline import discovery, opportunities
from kamcore.plan import goals
from kamcore.relationships import pdca, visits

TODAY = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)


@pytest.fixture
def world(fresh_db, admin):
    """One account with an iron triangle and a product line, evaluated on a fixed 'today'."""
    with clock.at(TODAY - timedelta(days=100)):
        am = users.create_user(fresh_db, admin, "ann.m", "Ann Manager", "password-1")
        outsider = users.create_user(fresh_db, admin, "outsider", "Outsider", "password-1")
        account = accounts.create_account(fresh_db, admin, {"name": "Pudong", "industry": "Manufacturing",
                                                            "region": "Shanghai"})
        team.add_member(fresh_db, admin, account["id"], am.id, "account_manager", first_responsible=True)
        line = product_lines.create_product_line(fresh_db, admin, {"code": "CORE", "name": "Core"})
    with clock.at(TODAY):
        yield {"db": fresh_db, "admin": admin, "am": am, "outsider": outsider, "account": account["id"],
               "line": line["id"]}


def deal(w, stage="qualify", days_ago=1, **extra):
    """An open opportunity opened `days_ago`, in `stage`."""
    with clock.at(TODAY - timedelta(days=days_ago)):
        return opportunities.create_opportunity(w["db"], w["am"], {
            "account_id": w["account"], "product_line_id": w["line"], "name": f"Deal {stage}",
            "kind": "lead" if stage == "lead" else "opportunity", "stage": stage,
            "opened_on": (TODAY - timedelta(days=days_ago)).date().isoformat(), **extra})


def person(w, name, **values):
    return stakeholders.create_stakeholder(w["db"], w["am"], w["account"], {"name": name, **values})


def fired(w, code, opportunity_id=None):
    """Did the built-in rule `code` flag this deal (or the account, when no deal is given)?"""
    return any(f.rule_code == code and f.opportunity_id == opportunity_id
               for f in rules.flags_for_account(w["db"], w["am"], w["account"]))


# ---- the built-in rules ------------------------------------------------------------------------

def test_single_threaded_fires_with_one_supportive_contact_and_stops_with_a_second(world):
    opp = deal(world, "qualify")
    person(world, "VP Zhou", score=2, owner_id=world["am"].id)
    assert fired(world, "single_threaded", opp["id"])
    person(world, "Director Wu", score=1, owner_id=world["am"].id)
    assert not fired(world, "single_threaded", opp["id"])


def test_single_threaded_does_not_fire_on_a_lead(world):
    opp = deal(world, "lead")
    person(world, "VP Zhou", score=2, owner_id=world["am"].id)
    assert not fired(world, "single_threaded", opp["id"])


def test_no_coach_fires_past_qualification_and_stops_once_a_coach_is_found(world):
    opp = deal(world, "needs")
    person(world, "Engineer Li", score=1)
    assert fired(world, "no_coach", opp["id"])
    person(world, "Deputy Sun", stance="coach", score=3, owner_id=world["am"].id)
    assert not fired(world, "no_coach", opp["id"])


def test_no_coach_does_not_fire_at_an_early_stage(world):
    opp = deal(world, "qualify")
    assert not fired(world, "no_coach", opp["id"])


def test_blocker_in_the_decision_layer_fires_until_an_action_is_planned(world):
    blocker = person(world, "MD Gao", level="decision", stance="blocker", score=-1)
    assert fired(world, "hostile_decider")
    pdca.create_action(world["db"], world["am"], world["account"], {
        "stakeholder_id": blocker["id"], "kind": "executive_visit", "due_date": "2026-07-01"})
    assert not fired(world, "hostile_decider")


def test_an_opponent_outside_the_decision_layer_is_not_flagged(world):
    person(world, "Clerk Ma", level="execution", stance="opponent")
    assert not fired(world, "hostile_decider")


def test_decision_maker_not_covered_fires_until_one_of_us_owns_the_relationship(world):
    opp = deal(world, "needs")
    maker = person(world, "CEO Qian", level="decision", roles="decision_maker", score=1)
    assert fired(world, "decision_maker_uncovered", opp["id"])
    stakeholders.update_stakeholder(world["db"], world["am"], maker["id"], maker["version"],
                                    {"owner_id": world["am"].id})
    assert not fired(world, "decision_maker_uncovered", opp["id"])


def test_decision_maker_not_covered_fires_when_nobody_is_mapped(world):
    opp = deal(world, "solution")
    assert fired(world, "decision_maker_uncovered", opp["id"])


def test_price_quoted_before_needs_fires_and_not_when_a_need_was_confirmed_first(world):
    early = deal(world, "solution", price_quoted_on="2026-06-10")
    discovery.add_need(world["db"], world["am"], early["id"], {
        "level": "explicit", "statement": "4-hour repair", "confirmed": True, "confirmed_on": "2026-06-12"})
    assert fired(world, "price_before_needs", early["id"])
    timely = deal(world, "solution", price_quoted_on="2026-06-10")
    discovery.add_need(world["db"], world["am"], timely["id"], {
        "level": "explicit", "statement": "ROI in 18 months", "confirmed": True, "confirmed_on": "2026-06-01"})
    assert not fired(world, "price_before_needs", timely["id"])


def test_price_not_quoted_yet_is_not_flagged(world):
    opp = deal(world, "solution")
    assert not fired(world, "price_before_needs", opp["id"])


def test_no_activity_fires_after_thirty_quiet_days_and_stops_after_a_visit(world):
    opp = deal(world, "qualify", days_ago=40)
    assert fired(world, "no_activity", opp["id"])
    visit = visits.plan_visit(world["db"], world["am"], world["account"], {
        "purpose": "information", "planned_on": "2026-06-14"})
    visits.record_outcome(world["db"], world["am"], visit["id"], visit["version"], outcome="Met the CTO",
                                 visited_on="2026-06-14")
    assert not fired(world, "no_activity", opp["id"])


def test_no_activity_does_not_fire_on_a_deal_touched_last_week(world):
    opp = deal(world, "qualify", days_ago=40)
    with clock.at(TODAY - timedelta(days=7)):
        opportunities.update_opportunity(world["db"], world["am"], opp["id"], opp["version"], {"amount": 900})
    assert not fired(world, "no_activity", opp["id"])


def _orders_goal(w, target):
    goals.create_goal(w["db"], w["am"], {"account_id": w["account"], "year": 2026, "quadrant": "financial",
                                          "metric": "orders", "target": target, "owner_id": w["am"].id})


def test_goal_not_covered_fires_when_pipeline_falls_short_of_the_goal(world):
    _orders_goal(world, 1000)
    deal(world, "solution", amount=500, expected_close="2026-10-01")
    assert fired(world, "goal_not_covered")


def test_goal_covered_by_pipeline_is_not_flagged(world):
    _orders_goal(world, 1000)
    deal(world, "solution", amount=600, expected_close="2026-10-01")
    deal(world, "solution", amount=400, expected_close="2026-12-31")
    assert not fired(world, "goal_not_covered")


def test_pipeline_closing_next_year_does_not_cover_this_years_goal(world):
    _orders_goal(world, 1000)
    deal(world, "solution", amount=5000, expected_close="2027-02-01")
    assert fired(world, "goal_not_covered")


def test_no_goal_means_no_coverage_flag(world):
    deal(world, "solution", amount=10)
    assert not fired(world, "goal_not_covered")


def test_overdue_relationship_actions_fire_and_clear_when_done(world):
    who = person(world, "Buyer Tang", roles="purchaser")
    action, _ = pdca.create_action(world["db"], world["am"], world["account"], {
        "stakeholder_id": who["id"], "kind": "business_meal", "due_date": "2026-06-01"})
    assert fired(world, "relationship_actions_overdue")
    pdca.update_action(world["db"], world["am"], action["id"], action["version"], {"status": "done"})
    assert not fired(world, "relationship_actions_overdue")


def test_an_action_due_later_is_not_overdue(world):
    who = person(world, "Buyer Tang", roles="purchaser")
    pdca.create_action(world["db"], world["am"], world["account"], {
        "stakeholder_id": who["id"], "kind": "business_meal", "due_date": "2026-06-30"})
    assert not fired(world, "relationship_actions_overdue")


def test_closed_deals_are_not_flagged(world):
    opp = deal(world, "needs")
    opportunities.close_opportunity(world["db"], world["am"], opp["id"], opp["version"], "lost", "price")
    assert not [f for f in rules.flags_for_account(world["db"], world["am"], world["account"])
                if f.opportunity_id == opp["id"]]


def test_an_inactive_rule_does_not_fire(world):
    opp = deal(world, "needs")
    rule = next(r for r in rules.list_rules(world["db"]) if r["code"] == "no_coach")
    rules.update_rule(world["db"], world["admin"], rule["id"], rule["version"], {"active": False})
    assert not fired(world, "no_coach", opp["id"])


# ---- rules made by the team ----------------------------------------------------------------------

def test_a_custom_rule_with_several_conditions_fires_only_when_all_hold(world):
    small = deal(world, "solution", amount=100)
    big = deal(world, "solution", amount=5_000_000)
    rules.create_rule(world["db"], world["am"], {
        "name": "Big deal without a coach", "lesson": "Huaxin", "severity": "critical",
        "conditions": [{"field": "amount", "op": ">=", "value": 1_000_000},
                       {"field": "no_coach", "op": "==", "value": True}]})
    flagged = {f.opportunity_id for f in rules.flags_for_account(world["db"], world["am"], world["account"])
               if f.rule_name == "Big deal without a coach"}
    assert flagged == {big["id"]}
    assert small["id"] not in flagged


def test_a_flag_names_the_rule_its_lesson_and_the_facts(world):
    opp = deal(world, "qualify", days_ago=45)
    flag = next(f for f in rules.flags_for_opportunity(world["db"], world["am"], opp["id"])
                if f.rule_code == "no_activity")
    assert flag.rule_name == "No activity for 30 days"
    assert "month" in flag.lesson
    assert flag.facts == [{"field": "days_since_activity", "op": ">=", "value": 30, "actual": 45}]
    assert flag.detail == "days_since_activity = 45 (>= 30)"


def test_text_conditions_compare_without_case(world):
    deal(world, "solution")
    rules.create_rule(world["db"], world["am"], {
        "name": "Manufacturing watch", "lesson": "Pudong", "severity": "info",
        "conditions": [{"field": "industry", "op": "in", "value": ["MANUFACTURING", "Metals"]}]},
        allow_match_all=True)  # this world has one account, so any account rule that fires matches all of them
    assert any(f.rule_name == "Manufacturing watch"
               for f in rules.flags_for_account(world["db"], world["am"], world["account"]))


HOSTILE = [
    ("not json at all", "reason.rule_conditions_json"),
    ('{"field": "amount"}', "reason.rule_conditions_json"),
    ("[]", "reason.rule_no_conditions"),
    ([{"field": "__import__('os').system('rm -rf /')", "op": "==", "value": 1}], "reason.rule_unknown_field"),
    ([{"field": "amount", "op": "; DROP TABLE rules", "value": 1}], "reason.rule_unknown_op"),
    ([{"field": "amount", "op": "in", "value": [1]}], "reason.rule_unknown_op"),
    ([{"field": "single_threaded", "op": ">", "value": True}], "reason.rule_unknown_op"),
    ([{"field": "amount", "op": ">=", "value": "1000"}], "reason.rule_value_number"),
    ([{"field": "days_since_activity", "op": ">=", "value": 30.5}], "reason.rule_value_integer"),
    ([{"field": "days_since_activity", "op": ">=", "value": True}], "reason.rule_value_integer"),
    ([{"field": "single_threaded", "op": "==", "value": "yes"}], "reason.rule_value_bool"),
    ([{"field": "single_threaded", "op": "==", "value": 1}], "reason.rule_value_bool"),
    ([{"field": "amount", "op": ">=", "value": float("nan")}], "reason.not_finite"),  # refused for every field (records.Record)
    ([{"field": "days_since_activity", "op": ">=", "value": -5}], "reason.rule_value_range"),
    ([{"field": "industry", "op": "in", "value": "Telecom"}], "reason.rule_value_text_list"),
    ([{"field": "industry", "op": "in", "value": [{"$ne": 1}]}], "reason.rule_value_text_list"),
    ([{"field": "industry", "op": "==", "value": "x" * 500}], "reason.rule_value_text"),
    ([{"field": "stage", "op": ">=", "value": "../etc/passwd"}], "reason.rule_unknown_stage"),
    ([{"field": "amount", "op": ">=", "value": 1, "eval": "x"}], "reason.rule_condition_shape"),
    (["amount >= 1"], "reason.rule_condition_shape"),
    ([{"field": ["amount"], "op": ">=", "value": 1}], "reason.rule_unknown_field"),
    ([{"field": "amount", "op": ">=", "value": 1}] * 9, "reason.rule_too_many_conditions"),
    ("[" + "1," * 3000 + "1]", "reason.rule_conditions_too_long"),
]


@pytest.mark.parametrize(("conditions", "reason"), HOSTILE)
def test_hostile_or_malformed_conditions_are_refused_and_nothing_is_written(world, conditions, reason):
    before = len(rules.list_rules(world["db"]))
    with pytest.raises(ValidationError) as caught:
        rules.create_rule(world["db"], world["am"], {"name": "Evil", "lesson": "x", "conditions": conditions})
    problem = caught.value.problems[0]
    assert (problem.field, problem.reason_key) == ("conditions", reason)
    assert len(rules.list_rules(world["db"])) == before
    assert "Conditions" in caught.value.message("en")


def test_an_unknown_field_message_names_the_condition_and_the_known_fields(world):
    with pytest.raises(ValidationError) as caught:
        rules.create_rule(world["db"], world["am"], {"name": "x", "lesson": "x", "conditions": [
            {"field": "amount", "op": ">", "value": 1}, {"field": "<b>mood</b>", "op": "==", "value": 1}]})
    text = caught.value.message("en")
    assert "condition 2" in text and "days_since_activity" in text
    assert "<b>" not in text
    assert "条件 2" in caught.value.message("zh")


def test_a_wrong_severity_is_refused(world):
    with pytest.raises(ValidationError) as caught:
        rules.create_rule(world["db"], world["am"], {"name": "x", "lesson": "x", "severity": "apocalyptic",
                                                      "conditions": [{"field": "amount", "op": ">", "value": 1}]})
    assert caught.value.problems[0].field == "severity"


def test_conditions_are_stored_as_canonical_json_not_code(world):
    rule = rules.create_rule(world["db"], world["am"], {"name": "x", "lesson": "x", "conditions":
                                                         '[{"value": 30, "op": ">=", "field": "days_since_activity"}]'})
    assert rule["conditions"] == '[{"field": "days_since_activity", "op": ">=", "value": 30}]'


def test_builtin_rules_cannot_be_deleted_or_changed_by_members(world):
    rule = next(r for r in rules.list_rules(world["db"]) if r["builtin"])
    with pytest.raises(ValidationError):
        rules.delete_rule(world["db"], world["admin"], rule["id"], rule["version"])
    with pytest.raises(PermissionDenied):
        rules.update_rule(world["db"], world["am"], rule["id"], rule["version"], {"severity": "info"})


def test_people_without_an_account_to_edit_cannot_write_rules(world):
    with pytest.raises(PermissionDenied):
        rules.create_rule(world["db"], world["outsider"], {"name": "x", "lesson": "x",
                                                           "conditions": [{"field": "amount", "op": ">", "value": 1}]})


def test_a_rule_is_changed_only_by_its_author_or_an_admin(world):
    rule = rules.create_rule(world["db"], world["am"], {"name": "Mine", "lesson": "x",
                                                         "conditions": [{"field": "amount", "op": ">", "value": 1}]})
    other = users.create_user(world["db"], world["admin"], "sam.s", "Sam", "password-1")
    team.add_member(world["db"], world["admin"], world["account"], other.id, "solution_manager")
    with pytest.raises(PermissionDenied):
        rules.update_rule(world["db"], other, rule["id"], rule["version"], {"severity": "critical"})
    changed = rules.update_rule(world["db"], world["admin"], rule["id"], rule["version"], {"severity": "critical"})
    assert changed["version"] == 2


# ---- acknowledging, counts, history --------------------------------------------------------------

def test_acknowledging_a_flag_keeps_it_visible_but_not_open_and_is_audited(world):
    opp = deal(world, "qualify", days_ago=40)
    rule = next(r for r in rules.list_rules(world["db"]) if r["code"] == "no_activity")
    before = rules.flag_counts(world["db"], world["am"], [world["account"]])[world["account"]]
    rules.acknowledge(world["db"], world["am"], rule["id"], world["account"], opp["id"], "Customer on holiday")
    after = rules.flag_counts(world["db"], world["am"], [world["account"]])[world["account"]]
    assert after["total"] == before["total"] and after["open"] == before["open"] - 1
    flag = next(f for f in rules.flags_for_opportunity(world["db"], world["am"], opp["id"])
                if f.rule_id == rule["id"])
    assert flag.acknowledged["reason"] == "Customer on holiday"
    audited = world["db"].execute("SELECT count(*) FROM audit_log WHERE entity = 'flag_ack'").fetchone()[0]
    assert audited >= 3


def test_a_second_acknowledgement_is_a_new_version_of_the_first(world):
    opp = deal(world, "qualify", days_ago=40)
    rule = next(r for r in rules.list_rules(world["db"]) if r["code"] == "no_activity")
    rules.acknowledge(world["db"], world["am"], rule["id"], world["account"], opp["id"], "Holiday")
    second = rules.acknowledge(world["db"], world["am"], rule["id"], world["account"], opp["id"], "Still away")
    assert second["version"] == 2


def test_an_acknowledgement_needs_a_reason_and_a_future_until_date(world):
    rule = rules.list_rules(world["db"])[0]
    with pytest.raises(ValidationError) as caught:
        rules.acknowledge(world["db"], world["am"], rule["id"], world["account"], None, "")
    assert caught.value.problems[0].field == "reason"
    with pytest.raises(ValidationError) as caught:
        rules.acknowledge(world["db"], world["am"], rule["id"], world["account"], None, "ok then", "2020-01-01")
    assert caught.value.problems[0].field == "until"


def test_an_expired_acknowledgement_no_longer_counts(world):
    opp = deal(world, "qualify", days_ago=40)
    rule = next(r for r in rules.list_rules(world["db"]) if r["code"] == "no_activity")
    rules.acknowledge(world["db"], world["am"], rule["id"], world["account"], opp["id"], "Holiday", "2026-06-20")
    with clock.at(TODAY + timedelta(days=10)):
        flag = next(f for f in rules.flags_for_opportunity(world["db"], world["am"], opp["id"])
                    if f.rule_id == rule["id"])
    assert flag.acknowledged is None


def test_outsiders_cannot_read_or_acknowledge_flags(world):
    from kamcore.errors import NotFoundError

    with pytest.raises(NotFoundError):
        rules.flags_for_account(world["db"], world["outsider"], world["account"])
    rule = rules.list_rules(world["db"])[0]
    with pytest.raises(NotFoundError):
        rules.acknowledge(world["db"], world["outsider"], rule["id"], world["account"], None, "no")
    assert rules.flag_counts(world["db"], world["outsider"], [world["account"]]) == {}


def test_sweep_logs_when_a_flag_starts_and_stops_and_how_the_deal_ended(world):
    opp = deal(world, "qualify", days_ago=40)
    first = rules.sweep(world["db"])
    assert first["started"] >= 1
    history = rules.firing_history(world["db"], world["am"])
    quiet = [h for h in history if h["rule_name"] == "No activity for 30 days"]
    assert quiet and quiet[0]["cleared_at"] is None and quiet[0]["outcome"] == "open"
    again = rules.sweep(world["db"])
    assert again["started"] == 0
    with clock.at(TODAY + timedelta(days=1)):
        current = opportunities.get_opportunity(world["db"], world["am"], opp["id"])
        opportunities.close_opportunity(world["db"], world["am"], opp["id"], current["version"], "lost", "silence")
        rules.sweep(world["db"])
    quiet = [h for h in rules.firing_history(world["db"], world["am"]) if h["rule_name"] == "No activity for 30 days"]
    assert quiet[0]["cleared_at"] is not None and quiet[0]["outcome"] == "lost"
    outcomes = {r["rule_name"]: r for r in rules.rule_outcomes(world["db"], world["am"])}
    assert outcomes["No activity for 30 days"]["lost"] == 1


def test_sweep_if_stale_runs_once_per_interval(world):
    assert rules.sweep_if_stale(world["db"], 30)
    assert not rules.sweep_if_stale(world["db"], 30)
    with clock.at(TODAY + timedelta(minutes=31)):
        assert rules.sweep_if_stale(world["db"], 30)


def test_backtest_counts_how_flagged_closed_deals_ended_measured_at_their_close_date(world):
    for outcome, touched in (("lost", False), ("lost", False), ("won", True)):
        opp = deal(world, "qualify", days_ago=60)
        if touched:
            with clock.at(datetime(2026, 5, 30, 9, tzinfo=UTC)):
                opp = opportunities.update_opportunity(world["db"], world["am"], opp["id"], opp["version"],
                                                       {"next_step": "final offer"})
        opportunities.close_opportunity(world["db"], world["am"], opp["id"], opp["version"], outcome, "done",
                                        closed_on="2026-06-01")
    row = next(r for r in rules.backtest(world["db"], world["am"]) if r["rule_name"] == "No activity for 30 days")
    assert (row["deals"], row["lost"], row["won"]) == (2, 2, 0)
    assert row["not_won_rate"] == 100.0 and row["baseline_not_won_rate"] == pytest.approx(66.7)


def test_field_catalog_lists_every_field_with_its_operators():
    catalog = {c["field"]: c for c in rules.field_catalog()}
    assert catalog["single_threaded"]["ops"] == ["==", "!="]
    assert "in" in catalog["industry"]["ops"]
    assert catalog["stage"]["scope"] == "opportunity"


def test_a_rule_that_would_match_every_account_is_refused_unless_allowed(world):
    deal(world, "solution")
    db, am = world["db"], world["am"]
    everything = [{"field": "industry", "op": "in", "value": ["manufacturing"]}]
    found = rules.preview(db, am, everything)
    assert found["matches_all"] and found["subjects"] == 1
    before = db.execute("SELECT count(*) FROM rules").fetchone()[0]
    with pytest.raises(ValidationError) as err:
        rules.create_rule(db, am, {"name": "All", "lesson": "x", "conditions": everything})
    assert err.value.problems[0].reason_key == "reason.rule_matches_all"
    assert db.execute("SELECT count(*) FROM rules").fetchone()[0] == before


def test_the_preview_counts_the_flags_the_saved_rule_raises(world):
    deal(world, "qualify")
    deal(world, "solution")
    db, am = world["db"], world["am"]
    conditions = [{"field": "stage", "op": ">=", "value": "solution"}]
    found = rules.preview(db, am, conditions)
    rule = rules.create_rule(db, am, {"name": "Past needs", "lesson": "x", "conditions": conditions})
    raised = [f for f in rules.evaluate(db, am) if f.rule_id == rule["id"]]
    assert len(found["flags"]) == len(raised) == 1
