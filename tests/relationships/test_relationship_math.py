"""Issue 17: health score by hand, freshness, budgets, targets and the bad-input list."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kamcore import clock, users
from kamcore.decision_chain import targets
from kamcore.errors import PermissionDenied, ValidationError
from kamcore.relationships import guidance, health, pdca, visits
from tests.decision_chain.stakeholder_world import make_world


@pytest.fixture
def w(fresh_db, admin):
    return make_world(fresh_db, admin)


def ahead(days: int) -> str:
    return (clock.today() + timedelta(days=days)).isoformat()


def count(db, table: str) -> int:
    return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_health_score_of_a_hand_built_account_equals_the_hand_computed_value(w, demo_clock):
    health.save_weights(w.db, w.admin, {"plan_completeness": 10, "key_people_coverage": 20,
                                        "relationship_vs_target": 20, "freshness": 20, "pipeline_coverage": 10,
                                        "goal_attainment": 10, "risk_flags": 10})
    boss = w.person("boss", roles=["decision_maker"], level="decision", score=3, owner_id=w.am.id,
                    stage="familiar", stage_target="interest", target_date=ahead(60))
    vp = w.person("vp", level="management", score=2, key_contact=True, stage="personal_trust",
                  stage_target="personal_trust", standing="credible_source", standing_target="problem_solver")
    visit = visits.plan_visit(w.db, w.am, w.a, {"stakeholder_id": boss["id"], "purpose": "rapport",
                                                 "planned_on": (clock.today() - timedelta(days=10)).isoformat()})
    visits.record_outcome(w.db, w.am, visit["id"], visit["version"], outcome="Good talk",
                          visited_on=visit["planned_on"])
    pdca.create_action(w.db, w.am, w.a, {"stakeholder_id": vp["id"], "kind": "hq_visit", "due_date": ahead(20)})
    found = health.health_score(w.db, w.am, w.a)
    parts = {c["key"]: c["value"] for c in found["components"]}
    # by hand: plan 1 of 5 parts (a live relationship plan) = 20; key people boss (decision maker, owned) and vp
    # (marked, nobody owns) = 50; targets boss 1/3 steps, vp (2+1)/(2+2) = 0.75 -> 54.17; fresh: boss met 10 days
    # ago (key: every 20 days), vp never = 50; no order goal = 0; no revenue goal = 0; risk: 3 medium guidance flags
    # (vp not contacted, 1 key contact of at least 10, no executive sponsor), no coverage flag = 100 - 30 = 70.
    assert parts == {"plan_completeness": 20.0, "key_people_coverage": 50.0, "relationship_vs_target": 54.2,
                     "freshness": 50.0, "pipeline_coverage": 0.0, "goal_attainment": 0.0, "risk_flags": 70.0}
    hand = (10 * 20 + 20 * 50 + 20 * (100 * (1 / 3 + 0.75) / 2) + 20 * 50 + 0 + 0 + 10 * 70) / 100
    assert found["exact"] == pytest.approx(hand)
    assert found["score"] == round(hand) == 40
    assert found["weights_version"] == 1
    assert sum(c["weight"] for c in found["components"]) == 100


def test_weights_must_add_up_to_100_and_only_an_administrator_sets_them(w):
    with pytest.raises(ValidationError) as caught:
        health.save_weights(w.db, w.admin, {"plan_completeness": 50})
    assert "100" in caught.value.message("en") and "100" in caught.value.message("zh")
    assert count(w.db, "health_weights") == 0
    with pytest.raises(PermissionDenied):
        health.save_weights(w.db, w.am, {})
    saved = health.save_weights(w.db, w.admin, {"freshness": 25, "risk_flags": 0, "note": "v2"})
    assert health.weights(w.db)["version"] == saved["version"] == 1
    again = health.save_weights(w.db, w.admin, {"freshness": 15, "risk_flags": 10}, saved["version"])
    assert again["version"] == 2


def test_bad_input_is_refused_with_the_field_named_and_nothing_written(w, demo_clock):
    before = count(w.db, "stakeholders")
    with pytest.raises(ValidationError) as caught:
        w.person("late", stage_target="interest", target_date=(clock.today() - timedelta(days=1)).isoformat())
    assert caught.value.problems[0].field == "target_date"
    assert count(w.db, "stakeholders") == before
    p = w.person("p", score=1, stage="interest", stage_target="familiar")  # allowed, but said
    assert p["warnings"] == ["warn.stage_target_below_current"]
    actions = count(w.db, "relationship_actions")
    for values, field in (({"budget_planned": -1}, "budget_planned"), ({"budget_spent": -0.5}, "budget_spent"),
                          ({"aims_at": "stage", "aims_to": "trusted_advisor"}, "aims_to")):
        with pytest.raises(ValidationError) as caught:
            pdca.create_action(w.db, w.am, w.a, {"stakeholder_id": p["id"], "kind": "hq_visit",
                                                 "due_date": ahead(5), **values})
        assert caught.value.problems[0].field == field
    assert count(w.db, "relationship_actions") == actions


def test_freshness_and_key_people_not_contacted(w, demo_clock):
    boss = w.person("boss", roles=["decision_maker"], level="decision", score=1)
    w.person("clerk", score=0)
    visit = visits.plan_visit(w.db, w.am, w.a, {"stakeholder_id": boss["id"], "purpose": "rapport",
                                                 "planned_on": (clock.today() - timedelta(days=70)).isoformat()})
    visits.record_outcome(w.db, w.am, visit["id"], visit["version"], outcome="Met", visited_on=visit["planned_on"])
    stale = guidance.key_people_not_contacted(w.db, [w.a], 60)
    assert [(s["name"], s["days_since"]) for s in stale] == [("Boss", 70)]  # the clerk is not a key person
    assert guidance.key_people_not_contacted(w.db, [w.a], 80) == []
    assert guidance.account_last_contact(w.db, [w.a])[w.a]["days_since"] == 70
    fresh = guidance.stakeholder_freshness(w.db, w.am, w.a)[boss["id"]]
    assert (fresh["checkin_every"], fresh["checkin_due"]) == (40, True)  # decision level: every 40 days


def test_budget_spent_with_key_visits_not_done_raises_the_flag(w, demo_clock):
    boss = w.person("boss", roles=["decision_maker"], level="decision", score=1, owner_id=w.am.id)
    action, _ = pdca.create_action(w.db, w.am, w.a, {"stakeholder_id": boss["id"], "kind": "hq_visit",
                                                     "due_date": ahead(10), "budget_planned": 100})
    kinds = lambda: [f.kind for f in guidance.guidance_flags(w.db, w.a)]  # noqa: E731
    assert "budget_spent_visits_not_done" not in kinds()
    action = pdca.update_action(w.db, w.am, action["id"], action["version"], {"budget_spent": 90})
    assert "budget_spent_visits_not_done" not in kinds()  # spent, but the visit is not due yet
    pdca.update_action(w.db, w.am, action["id"], action["version"], {"due_date": (clock.today() - timedelta(days=3))})
    assert "budget_spent_visits_not_done" in kinds()
    assert guidance.budget(w.db, w.a)["spent_pct"] == 90.0


def test_gaps_are_ranked_most_behind_first(w):
    w.person("a", stage="familiar", stage_target="familiar")
    w.person("b", stage="stranger", stage_target="organisational_trust", standing="vendor",
             standing_target="credible_source")
    w.person("c", stage="familiar", stage_target="interest")
    ranked = targets.gaps(w.db, w.am, w.a)
    assert [(g["name"], g["steps_behind"]) for g in ranked] == [("B", 5), ("C", 2), ("A", 0)]


def test_a_visit_spin_plan_is_for_the_person_met(w):
    from kamcore.pipeline import discovery

    deal = w.deal()
    boss, vp = w.person("boss", score=1), w.person("vp", score=0)
    visit = visits.plan_visit(w.db, w.am, w.a, {"stakeholder_id": boss["id"], "purpose": "sell",
                                                 "planned_on": ahead(7)})
    other = discovery.add_spin_plan(w.db, w.am, deal["id"], {"stakeholder_id": vp["id"]})
    with pytest.raises(ValidationError) as caught:
        visits.update_visit(w.db, w.am, visit["id"], visit["version"], {"spin_plan_id": other["id"]})
    assert caught.value.problems[0].field == "spin_plan_id"
    done = visits.prepare_spin(w.db, w.am, visit["id"], visit["version"], deal["id"],
                               {"questions": [{"part": "situation", "question": "Current lines?", "form": "open"}]})
    plan = w.db.execute("SELECT stakeholder_id FROM spin_plans WHERE id = ?", [done["spin_plan_id"]]).fetchone()
    assert plan[0] == boss["id"]
    assert [c["id"] for c in visits.spin_plan_choices(w.db, w.am, w.a, boss["id"])] == [done["spin_plan_id"]]


def test_the_demo_shows_the_three_cases(demo_db):
    admin = users.find_by_username(demo_db, "admin")
    ids = [r[0] for r in demo_db.execute("SELECT id FROM accounts")]
    behind = [g for a in ids for g in targets.gaps(demo_db, admin, a) if g["behind"]]
    assert behind
    stale = [s for s in guidance.key_people_not_contacted(demo_db, ids, 60) if s["days_since"] is not None]
    assert stale and max(s["days_since"] for s in stale) >= 60
    budget = [a for a in ids if any(f.kind == "budget_spent_visits_not_done" for f in guidance.guidance_flags(demo_db, a))]
    pudong = demo_db.execute("SELECT id FROM accounts WHERE name LIKE 'Pudong%'").fetchone()[0]
    assert pudong in budget
    assert pudong in {g_account for g_account in ids if any(g["behind"] for g in targets.gaps(demo_db, admin, g_account))}
    assert len(health.trend(demo_db, admin, pudong)) >= 3
