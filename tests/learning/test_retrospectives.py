"""Retrospectives: what may be reviewed, five-why chains, parts written by several people, the timeline, analytics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kamcore import accounts, clock, product_lines, team, users
from kamcore.decision_chain import stakeholders
from kamcore.errors import ConflictError, NotFoundError, PermissionDenied, ValidationError
from kamcore.learning import retrospectives, rules
from kamcore.pipeline import opportunities
from kamcore.relationships import visits

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def world(fresh_db, admin):
    with clock.at(T0):
        am = users.create_user(fresh_db, admin, "ann.m", "Ann", "password-1")
        sm = users.create_user(fresh_db, admin, "sol.m", "Sol", "password-1")
        outsider = users.create_user(fresh_db, admin, "outsider", "Out", "password-1")
        acc = accounts.create_account(fresh_db, admin, {"name": "Huaxin", "industry": "Semiconductor",
                                                        "region": "East"})
        other = accounts.create_account(fresh_db, admin, {"name": "Nile", "industry": "Telecom", "region": "Africa"})
        for account in (acc, other):
            team.add_member(fresh_db, admin, account["id"], am.id, "account_manager", first_responsible=True)
        team.add_member(fresh_db, admin, acc["id"], sm.id, "solution_manager")
        line = product_lines.create_product_line(fresh_db, admin, {"code": "CORE", "name": "Core"})
    return {"db": fresh_db, "admin": admin, "am": am, "sm": sm, "outsider": outsider, "account": acc["id"],
            "other": other["id"], "line": line["id"]}


def opp(w, account=None, name="Fab network", **extra):
    return opportunities.create_opportunity(w["db"], w["am"], {
        "account_id": account or w["account"], "product_line_id": w["line"], "name": name,
        "kind": "opportunity", "stage": "qualify", "opened_on": "2026-03-01", **extra})


def closed(w, status="lost", **extra):
    with clock.at(T0):
        row = opp(w, **extra)
    return opportunities.close_opportunity(w["db"], w["am"], row["id"], row["version"], status, "price",
                                           closed_on="2026-05-01")


def period_review(w, **extra):
    values = {"account_id": w["account"], "review_type": "period", "title": "FY2025", "result": "goal_missed",
              "review_from": "2025-01-01", "review_to": "2025-12-31", **extra}
    return retrospectives.create_retrospective(w["db"], w["am"], values)


# ---- what may be reviewed ------------------------------------------------------------------------

def test_a_closed_deal_review_takes_its_result_title_and_rival_from_the_opportunity(world):
    deal = closed(world, "lost", competitors="Rival A, Rival B")
    retro = retrospectives.create_retrospective(world["db"], world["am"], {
        "account_id": world["account"], "opportunity_id": deal["id"]})
    assert (retro["review_type"], retro["result"], retro["title"], retro["rival"]) == \
        ("deal", "lost", "Fab network", "Rival A")


def test_an_open_deal_is_refused_unless_reviewed_mid_deal(world):
    live = opp(world)
    with pytest.raises(ValidationError) as caught:
        retrospectives.create_retrospective(world["db"], world["am"], {
            "account_id": world["account"], "opportunity_id": live["id"], "review_type": "deal", "result": "lost",
            "title": "x"})
    assert (caught.value.problems[0].field, caught.value.problems[0].reason_key) == \
        ("review_type", "reason.retro_open_deal")
    assert "mid-deal" in caught.value.message("en")
    assert world["db"].execute("SELECT count(*) FROM retrospectives").fetchone()[0] == 0
    mid = retrospectives.create_retrospective(world["db"], world["am"], {
        "account_id": world["account"], "opportunity_id": live["id"], "review_type": "mid_deal"})
    assert mid["result"] == "open"


def test_a_closed_deal_cannot_be_a_mid_deal_review_nor_claim_another_result(world):
    deal = closed(world, "won")
    with pytest.raises(ValidationError) as caught:
        retrospectives.create_retrospective(world["db"], world["am"], {
            "account_id": world["account"], "opportunity_id": deal["id"], "review_type": "mid_deal",
            "result": "open", "title": "x"})
    assert caught.value.problems[0].reason_key == "reason.retro_closed_mid_deal"
    with pytest.raises(ValidationError) as caught:
        retrospectives.create_retrospective(world["db"], world["am"], {
            "account_id": world["account"], "opportunity_id": deal["id"], "result": "lost"})
    assert caught.value.problems[0].reason_key == "reason.retro_result_mismatch"


def test_a_deal_of_another_account_is_refused(world):
    foreign = closed(world)
    with pytest.raises(ValidationError) as caught:
        retrospectives.create_retrospective(world["db"], world["am"], {
            "account_id": world["other"], "opportunity_id": foreign["id"], "review_type": "deal",
            "result": "lost", "title": "x"})
    assert caught.value.problems[0].field == "opportunity_id"


@pytest.mark.parametrize(("extra", "field"), [
    ({"review_from": ""}, "review_from"),
    ({"review_to": "2024-01-01"}, "review_to"),
    ({"result": "won"}, "result"),
    ({"review_from": "yesterday"}, "review_from"),
    ({"title": "   "}, "title"),
])
def test_a_period_review_needs_an_ordered_period_and_a_goal_result(world, extra, field):
    with pytest.raises(ValidationError) as caught:
        period_review(world, **extra)
    assert caught.value.problems[0].field == field


def test_outsiders_can_neither_read_nor_write_retrospectives(world):
    retro = period_review(world)
    with pytest.raises(NotFoundError):
        retrospectives.get_retrospective(world["db"], world["outsider"], retro["id"])
    with pytest.raises(NotFoundError):
        retrospectives.add_factor(world["db"], world["outsider"], retro["id"],
                                  {"dimension": "commercial", "polarity": "failure", "text": "x"})


# ---- five whys ---------------------------------------------------------------------------------

def test_a_five_why_chain_with_an_empty_link_is_refused_and_nothing_written(world):
    retro = period_review(world)
    with pytest.raises(ValidationError) as caught:
        retrospectives.add_why_chain(world["db"], world["am"], retro["id"], {
            "dimension": "collaboration", "problem": "Lost the ¥170M tender", "why1": "Margin below 15%",
            "why2": "", "why3": "Each unit had its own definition", "root_cause": "No shared criteria"})
    problem = caught.value.problems[0]
    assert (problem.field, problem.reason_key, problem.params["number"]) == ("why2", "reason.why_empty_link", 2)
    assert "Why 2" in caught.value.message("en")
    assert world["db"].execute("SELECT count(*) FROM retro_whys").fetchone()[0] == 0


def test_a_chain_needs_its_first_why_and_a_root_cause(world):
    retro = period_review(world)
    with pytest.raises(ValidationError) as caught:
        retrospectives.add_why_chain(world["db"], world["am"], retro["id"], {
            "dimension": "solution", "problem": "p", "root_cause": "r"})
    assert caught.value.problems[0].field == "why1"
    with pytest.raises(ValidationError) as caught:
        retrospectives.add_why_chain(world["db"], world["am"], retro["id"], {
            "dimension": "solution", "problem": "p", "why1": "a", "root_cause": " "})
    assert caught.value.problems[0].field == "root_cause"


def test_a_complete_chain_of_five_is_kept(world):
    retro = period_review(world)
    chain = retrospectives.add_why_chain(world["db"], world["am"], retro["id"], {
        "dimension": "collaboration", "problem": "Lost", "why1": "1", "why2": "2", "why3": "3", "why4": "4",
        "why5": "5", "root_cause": "Three private key-account definitions"})
    assert chain["why5"] == "5" and chain["account_id"] == world["account"]


def test_blanking_a_middle_link_later_is_refused_too(world):
    retro = period_review(world)
    chain = retrospectives.add_why_chain(world["db"], world["am"], retro["id"], {
        "dimension": "solution", "problem": "p", "why1": "1", "why2": "2", "why3": "3", "root_cause": "r"})
    with pytest.raises(ValidationError):
        retrospectives.update_part(world["db"], world["am"], "why", chain["id"], chain["version"], {"why2": ""})


# ---- several people at once ------------------------------------------------------------------------

def test_two_members_add_factors_at_once_and_both_land(world):
    retro = period_review(world)
    retrospectives.add_factor(world["db"], world["am"], retro["id"],
                              {"dimension": "relationship", "polarity": "failure", "text": "One VP only"})
    retrospectives.add_factor(world["db"], world["sm"], retro["id"],
                              {"dimension": "solution", "polarity": "success", "text": "Strong demo", "impact": 3})
    parts = retrospectives.parts(world["db"], world["am"], retro["id"])
    assert [f["text"] for f in parts["factor"]] == ["One VP only", "Strong demo"]


def test_editing_a_factor_someone_else_changed_is_a_conflict_naming_them(world):
    retro = period_review(world)
    factor = retrospectives.add_factor(world["db"], world["am"], retro["id"],
                                       {"dimension": "commercial", "polarity": "failure", "text": "Price"})
    retrospectives.update_part(world["db"], world["sm"], "factor", factor["id"], factor["version"],
                               {"text": "Price quoted too early"})
    with pytest.raises(ConflictError) as caught:
        retrospectives.update_part(world["db"], world["am"], "factor", factor["id"], factor["version"],
                                   {"impact": 3})
    assert "Sol" in caught.value.message("en")


def test_a_factor_must_name_a_known_dimension(world):
    retro = period_review(world)
    with pytest.raises(ValidationError) as caught:
        retrospectives.add_factor(world["db"], world["am"], retro["id"],
                                  {"dimension": "luck", "polarity": "failure", "text": "x"})
    assert caught.value.problems[0].field == "dimension"


def test_an_action_needs_an_owner_on_the_team_and_a_due_date(world):
    retro = period_review(world)
    with pytest.raises(ValidationError) as caught:
        retrospectives.add_action(world["db"], world["am"], retro["id"],
                                  {"text": "Agree one definition", "owner_id": world["outsider"].id,
                                   "due_date": "2026-06-30"})
    assert caught.value.problems[0].field == "owner_id"
    with pytest.raises(ValidationError) as caught:
        retrospectives.add_action(world["db"], world["am"], retro["id"],
                                  {"text": "Agree one definition", "owner_id": world["am"].id})
    assert caught.value.problems[0].field == "due_date"
    action = retrospectives.add_action(world["db"], world["am"], retro["id"], {
        "text": "Agree one definition", "owner_id": world["sm"].id, "due_date": "2026-06-30", "horizon": "long"})
    assert retrospectives.open_actions(world["db"], world["am"])[0]["id"] == action["id"]


def test_deleting_a_retrospective_removes_its_parts_with_audit(world):
    retro = period_review(world)
    retrospectives.add_lesson(world["db"], world["am"], retro["id"], {"title": "One shared definition",
                                                                       "dimension": "collaboration"})
    retrospectives.delete_retrospective(world["db"], world["am"], retro["id"], retro["version"])
    assert world["db"].execute("SELECT count(*) FROM lessons").fetchone()[0] == 0
    deletes = world["db"].execute("SELECT DISTINCT entity FROM audit_log WHERE action = 'delete'").fetchall()
    assert {r[0] for r in deletes} == {"lesson", "retrospective"}


def test_a_retrospective_whose_lesson_became_a_rule_cannot_be_deleted(world):
    retro = period_review(world)
    lesson = retrospectives.add_lesson(world["db"], world["am"], retro["id"],
                                       {"title": "Act on quiet deals", "dimension": "relationship"})
    rules.rule_from_lesson(world["db"], world["am"], lesson["id"], {
        "conditions": [{"field": "days_since_activity", "op": ">=", "value": 20}]})
    with pytest.raises(ValidationError):
        retrospectives.delete_retrospective(world["db"], world["am"], retro["id"], retro["version"])


def test_a_lesson_becomes_a_rule_carrying_its_text_and_link(world):
    retro = period_review(world)
    lesson = retrospectives.add_lesson(world["db"], world["am"], retro["id"], {
        "title": "Two threads per deal", "detail": "Pudong", "dimension": "relationship"})
    rule = rules.rule_from_lesson(world["db"], world["am"], lesson["id"], {
        "severity": "critical", "conditions": [{"field": "single_threaded", "op": "==", "value": True}]})
    assert (rule["name"], rule["lesson"], rule["lesson_id"], rule["owner_id"]) == \
        ("Two threads per deal", "Two threads per deal — Pudong", lesson["id"], world["am"].id)


def test_a_viewer_cannot_turn_a_lesson_into_a_rule(world):
    retro = period_review(world)
    lesson = retrospectives.add_lesson(world["db"], world["am"], retro["id"], {"title": "x",
                                                                                "dimension": "relationship"})
    viewer = users.create_user(world["db"], world["admin"], "vic.v", "Vic", "password-1")
    team.add_member(world["db"], world["admin"], world["account"], viewer.id, "viewer")
    with pytest.raises(PermissionDenied):
        rules.rule_from_lesson(world["db"], viewer, lesson["id"], {
            "conditions": [{"field": "amount", "op": ">", "value": 1}]})


# ---- the facts timeline ----------------------------------------------------------------------------

def test_the_timeline_of_a_deal_holds_its_moves_amounts_relationship_and_visits_in_order(world):
    db, am = world["db"], world["am"]
    with clock.at(T0):
        deal = opp(world, amount=1000)
        noise = opp(world, name="Other deal", amount=5)
        vp = stakeholders.create_stakeholder(db, am, world["account"], {"name": "VP Zhou", "score": 1})
    with clock.at(T0 + timedelta(days=5)):
        for item in opportunities.checklist(db, am, deal["id"]):
            if item["stage_key"] == "needs":
                opportunities.set_criterion(db, am, deal["id"], item["criterion_id"], True)
        deal = opportunities.move_stage(db, am, deal["id"], deal["version"], "needs")
    with clock.at(T0 + timedelta(days=10)):
        deal = opportunities.update_opportunity(db, am, deal["id"], deal["version"], {"amount": 1700})
        opportunities.update_opportunity(db, am, noise["id"], noise["version"], {"amount": 9})
    with clock.at(T0 + timedelta(days=15)):
        stakeholders.update_stakeholder(db, am, vp["id"], vp["version"], {"score": 3})
    with clock.at(T0 + timedelta(days=20)):
        visit = visits.plan_visit(db, am, world["account"], {"purpose": "advise", "planned_on": "2026-03-21",
                                                                    "goal": "Workshop with the CTO"})
        visits.record_outcome(db, am, visit["id"], visit["version"], outcome="Good",
                                     visited_on="2026-03-21")
    with clock.at(T0 + timedelta(days=25)):
        deal = opportunities.update_opportunity(db, am, deal["id"], deal["version"], {"price_quoted_on": "2026-03-26"})
        deal = opportunities.close_opportunity(db, am, deal["id"], deal["version"], "lost", "price",
                                               closed_on="2026-03-26")
    with clock.at(T0 + timedelta(days=60)):
        stakeholders.update_stakeholder(db, am, vp["id"], vp["version"] + 1, {"score": 0})  # after the deal
        retro = retrospectives.create_retrospective(db, am, {"account_id": world["account"],
                                                             "opportunity_id": deal["id"]})
        facts = retrospectives.timeline(db, am, retro["id"])
    kinds = [(f["kind"], f["subject"], f["old"], f["new"]) for f in facts]
    assert kinds == [
        ("stage", "Fab network", None, "qualify"),
        ("stage", "Fab network", "qualify", "needs"),
        ("amount", "Fab network", 1000.0, 1700.0),
        ("relationship", "VP Zhou", 1, 3),
        ("visit", "Workshop with the CTO", None, "2026-03-21"),
        ("price", "Fab network", None, "2026-03-26"),
        ("stage", "Fab network", "needs", "lost"),
    ]
    assert [f["at"] for f in facts] == sorted(f["at"] for f in facts)
    assert all(f["actor"] == "Ann" for f in facts)


def test_a_period_timeline_covers_every_deal_of_the_account_in_the_period_only(world):
    db, am = world["db"], world["am"]
    with clock.at(datetime(2025, 6, 1, tzinfo=UTC)):
        inside = opp(world, name="Inside", opened_on="2025-06-01")
    with clock.at(datetime(2026, 2, 1, tzinfo=UTC)):
        opp(world, name="After", opened_on="2026-02-01")
    retro = period_review(world)
    facts = retrospectives.timeline(db, am, retro["id"])
    assert [f["subject"] for f in facts] == [inside["name"]]


# ---- win/loss analytics ----------------------------------------------------------------------------

def test_factor_frequency_groups_by_result_industry_and_rival(world):
    lost = retrospectives.create_retrospective(world["db"], world["am"], {
        "account_id": world["account"], "opportunity_id": closed(world, "lost", competitors="Rival A")["id"]})
    won = period_review(world, result="goal_met")
    for retro, dimension, polarity in ((lost, "relationship", "failure"), (lost, "relationship", "failure"),
                                       (lost, "commercial", "failure"), (won, "solution", "success")):
        retrospectives.add_factor(world["db"], world["am"], retro["id"],
                                  {"dimension": dimension, "polarity": polarity, "text": "x"})
    by_result = {(r["grp"], r["dimension"]): r["factors"]
                 for r in retrospectives.factor_frequency(world["db"], world["am"], "result")}
    assert by_result == {("lost", "relationship"): 2, ("lost", "commercial"): 1, ("goal_met", "solution"): 1}
    by_rival = {(r["grp"], r["dimension"]): r["factors"]
                for r in retrospectives.factor_frequency(world["db"], world["am"], "rival")}
    assert by_rival[("Rival A", "relationship")] == 2 and by_rival[("—", "solution")] == 1
    by_industry = retrospectives.factor_frequency(world["db"], world["am"], "industry")
    assert {r["grp"] for r in by_industry} == {"Semiconductor"}
    assert retrospectives.factor_frequency(world["db"], world["outsider"], "result") == []


def test_lessons_are_counted_per_quarter(world):
    retro = period_review(world)
    for moment in (datetime(2026, 1, 5, tzinfo=UTC), datetime(2026, 3, 31, tzinfo=UTC),
                   datetime(2026, 4, 1, tzinfo=UTC)):
        with clock.at(moment):
            retrospectives.add_lesson(world["db"], world["am"], retro["id"], {"title": "x",
                                                                              "dimension": "delivery"})
    rows = retrospectives.lessons_per_quarter(world["db"], world["am"])
    assert [(r["quarter"], r["lessons"]) for r in rows] == [("2026-Q1", 2), ("2026-Q2", 1)]
