"""Leads and opportunities: numbering, stage rules, closing, MAN tactics, needs, SPIN and competitors."""

from __future__ import annotations

from datetime import date

import pytest

from kamcore import clock, product_lines, team, users
from kamcore.errors import ConflictError, NotFoundError, PermissionDenied, ValidationError
from kamcore.pipeline import competitors, discovery, qualification, stage_model
from kamcore.pipeline import opportunities as opp
from tests.managed_account import managed_account, member


@pytest.fixture
def world(fresh_db, admin):
    """One account with an account manager, a viewer and two product lines."""
    db = fresh_db
    account, am = managed_account(db, admin)
    viewer = member(db, admin, "viewer", "Viewer")
    team.add_member(db, admin, account, viewer.id, "viewer")
    core = product_lines.create_product_line(db, admin, {"code": "CORE", "name": "Core"})
    power = product_lines.create_product_line(db, admin, {"code": "POWER", "name": "Power"})
    return {"db": db, "admin": admin, "am": am, "viewer": viewer, "account": account,
            "core": core["id"], "power": power["id"]}


def new_deal(w, **values):
    base = {"account_id": w["account"], "product_line_id": w["core"], "name": "Phase two", "amount": 1000}
    return opp.create_opportunity(w["db"], w["am"], base | values)


def tick(w, deal, *stage_keys):
    for item in opp.checklist(w["db"], w["am"], deal["id"]):
        if item["stage_key"] in stage_keys:
            opp.set_criterion(w["db"], w["am"], deal["id"], item["criterion_id"], True)


def test_deals_are_numbered_per_product_line_and_year(world):
    with clock.at(clock.now().replace(year=2026)):
        first, second = new_deal(world), new_deal(world)
        other = new_deal(world, product_line_id=world["power"])
    assert (first["number"], second["number"], other["number"]) == ("CORE-2026-001", "CORE-2026-002", "POWER-2026-001")


def test_a_new_deal_starts_as_a_lead_in_the_lead_stage_with_a_history_row(world):
    deal = new_deal(world)
    assert (deal["kind"], deal["stage"], deal["status"], deal["currency"]) == ("lead", "lead", "open", "CNY")
    history = opp.stage_history(world["db"], world["am"], deal["id"])
    assert [(h["from_stage"], h["to_stage"]) for h in history] == [(None, "lead")]


@pytest.mark.parametrize(
    ("values", "field", "reason"),
    [
        ({"amount": -5}, "amount", "reason.greater_than_equal"),
        ({"amount": "lots"}, "amount", "reason.float_parsing"),
        ({"stage": "dreaming"}, "stage", "reason.unknown_stage"),
        ({"product_line_id": 999}, "product_line_id", "reason.unknown_product_line"),
        ({"probability": 120}, "probability", "reason.less_than_equal"),
        ({"probability": -1}, "probability", "reason.greater_than_equal"),
        ({"opened_on": "2026-05-01", "expected_close": "2026-04-30"}, "expected_close", "reason.close_before_open"),
        ({"kind": "lead", "stage": "solution"}, "stage", "reason.stage_kind_mismatch"),
    ],
)
def test_bad_deal_input_is_refused_naming_the_field(world, values, field, reason):
    with pytest.raises(ValidationError) as caught:
        new_deal(world, **values)
    assert (caught.value.problems[0].field, caught.value.problems[0].reason_key) == (field, reason)
    assert world["db"].execute("SELECT count(*) FROM opportunities").fetchone()[0] == 0


def test_a_viewer_cannot_create_or_move_deals(world):
    with pytest.raises(PermissionDenied):
        opp.create_opportunity(world["db"], world["viewer"], {"account_id": world["account"],
                                                              "product_line_id": world["core"], "name": "x"})
    deal = new_deal(world)
    with pytest.raises(PermissionDenied):
        opp.move_stage(world["db"], world["viewer"], deal["id"], deal["version"], "lead")


def test_a_stage_move_with_unmet_entry_criteria_is_refused_and_names_them(world):
    deal = new_deal(world)
    with pytest.raises(opp.UnmetCriteria) as caught:
        opp.move_stage(world["db"], world["am"], deal["id"], deal["version"], "qualify")
    assert {c["stage_key"] for c in caught.value.unmet} == {"qualify"}
    assert "MAN" in caught.value.message("en")
    assert "准入条件" in caught.value.message("zh")
    assert opp.get_opportunity(world["db"], world["am"], deal["id"])["stage"] == "lead"


def test_skipping_a_stage_needs_the_skipped_stages_criteria_too(world):
    deal = new_deal(world)
    tick(world, deal, "qualify", "solution")  # "needs" criteria left open
    with pytest.raises(opp.UnmetCriteria) as caught:
        opp.move_stage(world["db"], world["am"], deal["id"], deal["version"], "solution")
    assert {c["stage_key"] for c in caught.value.unmet} == {"needs"}
    tick(world, deal, "needs")
    moved = opp.move_stage(world["db"], world["am"], deal["id"], deal["version"], "solution")
    assert moved["stage"] == "solution"


def test_moving_a_lead_forward_converts_it_keeping_number_and_history(world, demo_clock):
    deal = new_deal(world)
    tick(world, deal, "qualify")
    moved = opp.convert_lead(world["db"], world["am"], deal["id"], deal["version"])
    assert (moved["kind"], moved["stage"], moved["number"]) == ("opportunity", "qualify", deal["number"])
    assert moved["converted_on"] == clock.today().isoformat()
    history = opp.stage_history(world["db"], world["am"], deal["id"])
    assert [h["to_stage"] for h in history] == ["lead", "qualify"]


def test_moving_back_is_allowed_but_not_back_into_a_lead(world):
    deal = new_deal(world)
    tick(world, deal, "qualify", "needs")
    deal = opp.move_stage(world["db"], world["am"], deal["id"], deal["version"], "needs")
    deal = opp.move_stage(world["db"], world["am"], deal["id"], deal["version"], "qualify")
    assert deal["stage"] == "qualify"
    with pytest.raises(ValidationError) as caught:
        opp.move_stage(world["db"], world["am"], deal["id"], deal["version"], "lead")
    assert caught.value.problems[0].reason_key == "reason.cannot_unconvert"


def test_stage_and_status_cannot_be_edited_directly(world):
    deal = new_deal(world)
    for field in ("stage", "status", "number"):
        with pytest.raises(ValidationError) as caught:
            opp.update_opportunity(world["db"], world["am"], deal["id"], deal["version"], {field: "x"})
        assert caught.value.problems[0].reason_key == "reason.use_stage_move"


def test_a_stale_stage_move_is_a_conflict(world):
    deal = new_deal(world)
    opp.update_opportunity(world["db"], world["am"], deal["id"], deal["version"], {"next_step": "visit CTO"})
    with pytest.raises(ConflictError):
        opp.move_stage(world["db"], world["am"], deal["id"], deal["version"], "lead")


def test_closing_needs_a_reason_and_is_dated_in_the_history(world):
    deal = new_deal(world, opened_on="2026-01-05")
    with pytest.raises(ValidationError) as caught:
        opp.close_opportunity(world["db"], world["am"], deal["id"], deal["version"], "lost", "")
    assert caught.value.problems[0].field == "close_reason"
    closed = opp.close_opportunity(world["db"], world["am"], deal["id"], deal["version"], "lost",
                                   "Single-threaded through one VP", "2026-06-30")
    assert (closed["status"], closed["closed_on"]) == ("lost", "2026-06-30")
    assert opp.stage_history(world["db"], world["am"], deal["id"])[-1]["to_stage"] == "lost"
    with pytest.raises(ValidationError):
        opp.move_stage(world["db"], world["am"], deal["id"], closed["version"], "lead")
    reopened = opp.reopen_opportunity(world["db"], world["am"], deal["id"], closed["version"])
    assert (reopened["status"], reopened["closed_on"], reopened["close_reason"]) == ("open", None, "")


def test_close_status_must_be_won_lost_or_no_decision(world):
    deal = new_deal(world)
    with pytest.raises(ValidationError):
        opp.close_opportunity(world["db"], world["am"], deal["id"], deal["version"], "abandoned", "why")


def test_probability_override_beats_stage_default_and_closed_deals_are_certain(world):
    probs = stage_model.stage_probabilities(world["db"])
    assert stage_model.stage_probability(world["db"], "needs") == 40
    assert stage_model.effective_probability({"status": "open", "stage": "needs", "probability": None}, probs) == 40
    assert stage_model.effective_probability({"status": "open", "stage": "needs", "probability": 65}, probs) == 65
    assert stage_model.effective_probability({"status": "won", "stage": "lead", "probability": 5}, probs) == 100
    assert stage_model.effective_probability({"status": "no_decision", "stage": "lead", "probability": 5}, probs) == 0
    with pytest.raises(NotFoundError):
        stage_model.stage_probability(world["db"], "nope")


def test_open_pipeline_sums_weighted_and_unweighted_by_line_and_period(world):
    a = new_deal(world, amount=1000, opened_on="2026-01-01", expected_close="2026-03-31")  # lead 10% -> 100
    b = new_deal(world, amount=500, product_line_id=world["power"], probability=50, opened_on="2026-01-01",
                 expected_close="2026-09-30")
    new_deal(world, amount=200)  # no expected close
    lost = new_deal(world, amount=9999)
    opp.close_opportunity(world["db"], world["am"], lost["id"], lost["version"], "lost", "price")
    total = opp.open_pipeline(world["db"], [world["account"]])
    assert (total["count"], total["amount"], total["weighted"]) == (3, 1700, pytest.approx(100 + 250 + 20))
    assert total["by_product_line"][world["power"]]["weighted"] == pytest.approx(250)
    h1 = opp.open_pipeline(world["db"], [world["account"]], period_start="2026-01-01", period_end="2026-06-30")
    assert (h1["count"], h1["amount"]) == (1, 1000)
    assert opp.open_pipeline(world["db"], [world["account"]], product_line_id=world["power"])["count"] == 1
    assert opp.open_pipeline(world["db"], [])["count"] == 0
    assert a["id"] != b["id"]


def test_list_opportunities_filters_and_hides_foreign_accounts(world):
    new_deal(world, name="Alpha")
    new_deal(world, name="Beta", product_line_id=world["power"])
    listed = opp.list_opportunities(world["db"], world["am"], world["account"], product_line_id=world["power"])
    assert [r["name"] for r in listed] == ["Beta"]
    assert listed[0]["product_line_code"] == "POWER"
    assert opp.count_opportunities(world["db"], world["am"], world["account"], search="alp") == 1
    outsider = users.create_user(world["db"], world["admin"], "outsider", "Out", "password-1", "member")
    with pytest.raises(NotFoundError):
        opp.list_opportunities(world["db"], outsider, world["account"])


@pytest.mark.parametrize(
    ("m", "a", "n", "code", "action"),
    [
        (True, True, True, "MAN", "pursue"),
        (True, True, False, "MAn", "develop_need"),
        (True, False, True, "MaN", "find_authority"),
        (False, True, True, "mAN", "check_credit"),
        (False, False, True, "maN", "nurture"),
        (False, True, False, "mAn", "nurture"),
        (True, False, False, "Man", "nurture"),
        (False, False, False, "man", "stop"),
    ],
)
def test_man_gives_the_d6_tactic_for_each_of_the_eight_combinations(m, a, n, code, action):
    result = qualification.man_assessment(m, a, n)
    assert (result.code, result.action, result.tactic_key) == (code, action, f"man.tactic.{action}")


def test_man_is_not_assessed_until_all_three_are_known():
    assert qualification.man_assessment(True, None, True) is None


def test_needs_funnel_counts_levels_and_weights(world):
    deal = new_deal(world)
    db, am = world["db"], world["am"]
    implicit = discovery.add_need(db, am, deal["id"], {"level": "implicit", "statement": "Users hate the new device"})
    discovery.add_need(db, am, deal["id"], {"level": "explicit", "statement": "A manual in Chinese",
                                      "parent_id": implicit["id"], "confirmed": True})
    discovery.add_need(db, am, deal["id"], {"level": "criterion", "statement": "Reliability", "weight": 60})
    discovery.add_need(db, am, deal["id"], {"level": "criterion", "statement": "Price", "weight": 40})
    funnel = discovery.needs_funnel(discovery.list_needs(db, am, deal["id"]))
    assert funnel["counts"] == {"implicit": 1, "explicit": 1, "criterion": 2}
    assert (funnel["confirmed_explicit"], funnel["criteria_weight_total"], funnel["weights_complete"]) == (1, 100, True)
    with pytest.raises(ValidationError) as caught:
        discovery.add_need(db, am, deal["id"], {"level": "implicit", "statement": "x", "weight": 10})
    assert caught.value.problems[0].reason_key == "reason.weight_only_criteria"


def test_a_need_cannot_point_at_another_deals_need(world):
    a, b = new_deal(world), new_deal(world)
    need = discovery.add_need(world["db"], world["am"], a["id"], {"level": "implicit", "statement": "x"})
    with pytest.raises(ValidationError) as caught:
        discovery.add_need(world["db"], world["am"], b["id"], {"level": "explicit", "statement": "y", "parent_id": need["id"]})
    assert caught.value.problems[0].reason_key == "reason.other_opportunity"


def test_price_quoted_before_needs_were_confirmed_is_flagged(world):
    db, am = world["db"], world["am"]
    deal = new_deal(world, price_quoted_on="2026-03-01")
    assert discovery.price_quoted_too_early(deal, [])
    assert [r["id"] for r in discovery.quoted_before_needs(db, [world["account"]])] == [deal["id"]]
    with clock.at(clock.now().replace(year=2026, month=2, day=1)):
        discovery.add_need(db, am, deal["id"], {"level": "explicit", "statement": "4-hour repair", "confirmed": True})
    needs = discovery.list_needs(db, am, deal["id"])
    assert needs[0]["confirmed_on"] == "2026-02-01"
    assert not discovery.price_quoted_too_early(deal, needs)
    assert discovery.quoted_before_needs(db, [world["account"]]) == []


def test_five_whys_cannot_skip_a_why(world):
    deal = new_deal(world)
    with pytest.raises(ValidationError) as caught:
        discovery.add_five_whys(world["db"], world["am"], deal["id"], {"problem": "Users hate it", "why_2": "no manual"})
    assert (caught.value.problems[0].field, caught.value.problems[0].reason_key) == ("why_1", "reason.why_gap")
    chain = discovery.add_five_whys(world["db"], world["am"], deal["id"],
                              {"problem": "Users hate it", "why_1": "Cannot read the menus", "root_need": "Chinese manual"})
    assert chain["root_need"] == "Chinese manual"


def _questions(**parts: int) -> list[dict]:
    return [{"id": i, "part": part, "position": i, "question": "q", "form": "open"}
            for part, count in parts.items() for i in range(count)]


def test_spin_gaps_name_the_parts_short_of_d5s_minimum():
    assert discovery.spin_gaps(_questions(situation=1, problem=2)) == {"problem": 1, "implication": 3, "need_payoff": 1}
    assert discovery.spin_gaps(_questions(situation=1, problem=3, implication=3, need_payoff=1)) == {}


def test_spin_plan_may_name_a_stakeholder_id(world):
    deal = new_deal(world)
    plan = discovery.add_spin_plan(world["db"], world["am"], deal["id"], {"stakeholder_id": 42, "visit_on": "2026-12-01"},
                                   [{"part": "situation", "question": "How many lines?", "form": "open"}])
    assert plan["stakeholder_id"] == 42
    assert discovery.list_spin_plans(world["db"], world["am"], deal["id"])[0]["id"] == plan["id"]
    assert [q["question"] for q in discovery.list_spin_questions(world["db"], world["am"], deal["id"])[plan["id"]]] == \
        ["How many lines?"]


def test_comparison_score_is_the_sum_of_item_scores(world):
    db, am = world["db"], world["am"]
    deal = new_deal(world)
    us = competitors.add_competitor(db, am, deal["id"], {"name": "Us", "is_us": True, "strengths": "Local delivery"})
    rival = competitors.add_competitor(db, am, deal["id"], {"name": "Rival", "weaknesses": "No Chinese manual"})
    for aspect, ours, theirs in (("function", 8, 6), ("price", 5, 9), ("settlement_terms", 7, 4)):
        competitors.set_comparison_item(db, am, us["id"], aspect, "", ours)
        competitors.set_comparison_item(db, am, rival["id"], aspect, "", theirs)
    competitors.set_comparison_item(db, am, us["id"], "price", "after discount", 6)  # update, not a second row
    scores = {c["name"]: c["comparison_score"] for c in competitors.list_competitors(db, am, deal["id"])}
    assert scores == {"Us": 21, "Rival": 19}
    assert competitors.comparison_scores(competitors.comparison_sheet(db, am, deal["id"])) == {"Us": 21, "Rival": 19}
    with pytest.raises(ValidationError):
        competitors.set_comparison_item(db, am, us["id"], "price", "", 11)
    with pytest.raises(ValidationError):
        competitors.add_competitor(db, am, deal["id"], {"name": "Also us", "is_us": True})


def test_only_admins_configure_stages_and_keys_are_fixed(world):
    db = world["db"]
    with pytest.raises(PermissionDenied):
        stage_model.create_stage(db, world["am"], {"key": "pilot", "position": 45, "name_en": "Pilot", "name_zh": "试点",
                                           "probability": 70})
    stage = stage_model.create_stage(db, world["admin"], {"key": "pilot", "position": 45, "name_en": "Pilot",
                                                  "name_zh": "试点", "probability": 70})
    assert [s["key"] for s in stage_model.list_stages(db)][-2:] == ["pilot", "negotiation"]
    with pytest.raises(ValidationError):
        stage_model.update_stage(db, world["admin"], stage["id"], stage["version"], {"key": "trial"})
    with pytest.raises(ValidationError):
        stage_model.update_stage(db, world["admin"], stage["id"], stage["version"], {"probability": 101})
    with pytest.raises(ValidationError):
        stage_model.create_stage(db, world["admin"], {"key": "won", "position": 99, "name_en": "W", "name_zh": "W",
                                              "probability": 100})


def test_a_new_criterion_blocks_moves_until_ticked(world):
    db = world["db"]
    stage_id = next(s["id"] for s in stage_model.list_stages(db) if s["key"] == "qualify")
    stage_model.create_criterion(db, world["admin"], {"stage_id": stage_id, "position": 9, "label_en": "Budget line seen",
                                              "label_zh": "已看到预算"})
    deal = new_deal(world)
    tick(world, deal, "qualify")
    moved = opp.move_stage(db, world["am"], deal["id"], deal["version"], "qualify")
    assert moved["stage"] == "qualify"


def test_parse_number_splits_line_year_and_sequence():
    assert opp.parse_number("CORE-2026-007") == ("CORE", 2026, 7)
    assert opp.parse_number("nonsense") is None


def test_opened_on_defaults_to_today(world):
    with clock.at(clock.now().replace(year=2025, month=7, day=9)):
        assert new_deal(world)["opened_on"] == date(2025, 7, 9).isoformat()
