"""The declared read models match what the reading functions return; and domain rules that need no
database are tested without one (pure functions: numbers, probabilities, roles, targets, orders, the scale)."""

from datetime import UTC, datetime
from typing import get_type_hints

import pytest
from pydantic_core import PydanticCustomError

from kamcore import clock, read_models, users
from kamcore.decision_chain import scale, stakeholders
from kamcore.pipeline import opportunities
from kamcore.pipeline.stage_model import effective_probability
from kamcore.plan import goals
from kamcore.portfolio import overview
from tests.conftest import DEMO_DAY, account_id


@pytest.fixture
def huaxin(demo_db, demo_path):
    """(li.wei, Huaxin's id) on the demo, on the demo's day."""
    with clock.at(datetime.combine(DEMO_DAY, datetime.min.time(), tzinfo=UTC).replace(hour=9)):
        yield users.find_by_username(demo_db, "li.wei"), account_id(demo_path, "Huaxin Semiconductor")


def declared(model) -> set[str]:
    return set(get_type_hints(model))


# ---- the shapes, against the functions that return them (demo database) ------------------------------

def test_a_listed_deal_has_every_declared_key(demo_db, huaxin):
    li_wei, huaxin_id = huaxin
    deals = opportunities.list_opportunities(demo_db, li_wei, huaxin_id)
    assert deals and all(declared(read_models.Deal) <= set(d) for d in deals)
    one = opportunities.get_opportunity(demo_db, li_wei, deals[0]["id"])
    assert declared(read_models.DealRow) <= set(one)
    assert set(one) - declared(read_models.Deal) == set(), "every column of a deal is declared"


def test_stakeholders_listed_and_read_have_their_declared_keys(demo_db, huaxin):
    li_wei, huaxin_id = huaxin
    people = stakeholders.list_stakeholders(demo_db, li_wei, huaxin_id)
    extras_of_one = {"role_list", "warnings", "profile_visible"}
    assert people and all(declared(read_models.Stakeholder) - extras_of_one <= set(p) for p in people)
    one = stakeholders.get_stakeholder(demo_db, li_wei, people[0]["id"])
    assert declared(read_models.Stakeholder) - {"owner_name"} <= set(one)


def test_goals_have_their_declared_keys_with_the_effective_actual(demo_db, huaxin):
    li_wei, huaxin_id = huaxin
    found = goals.list_goals(demo_db, li_wei, huaxin_id)
    assert found and all(declared(read_models.Goal) <= set(g) for g in found)


def test_the_account_card_has_every_declared_section(demo_db, huaxin):
    li_wei, huaxin_id = huaxin
    card = overview.account_card(demo_db, li_wei, huaxin_id)
    assert declared(read_models.AccountCard) <= set(card)
    assert set(card) - declared(read_models.AccountCard) == set(), "a new section of the card is declared"


# ---- domain rules without a database -----------------------------------------------------------------

def test_a_deal_number_splits_into_product_line_year_and_sequence():
    assert opportunities.parse_number("CORE-2026-007") == ("CORE", 2026, 7)
    assert opportunities.parse_number("CORE-26-7") is None
    assert opportunities.parse_number("") is None
    assert opportunities.parse_number(None) is None


@pytest.mark.parametrize(("row", "expected"), [
    ({"status": "won", "stage": "proposal", "probability": 20}, 100),
    ({"status": "lost", "stage": "proposal", "probability": 80}, 0),
    ({"status": "no_decision", "stage": "proposal", "probability": None}, 0),
    ({"status": "open", "stage": "proposal", "probability": 35}, 35),
    ({"status": "open", "stage": "proposal", "probability": None}, 60),
    ({"status": "open", "stage": "unknown", "probability": None}, 0),
])
def test_a_deals_win_probability_is_its_outcome_its_override_or_its_stage_default(row, expected):
    assert effective_probability(row, {"proposal": 60}) == expected


def test_buying_roles_come_back_in_canonical_order_and_unknown_ones_are_refused():
    assert stakeholders.parse_roles("user, decision_maker,,user") == ["decision_maker", "user"]
    assert stakeholders.parse_roles(["purchaser"]) == ["purchaser"]
    assert stakeholders.parse_roles(None) == []
    with pytest.raises(PydanticCustomError):
        stakeholders.parse_roles("kingmaker")
    with pytest.raises(PydanticCustomError):
        stakeholders.parse_roles(42)
    assert stakeholders.role_list("decision_maker,user") == ["decision_maker", "user"]
    assert stakeholders.role_list(None) == []


def test_a_relationship_target_below_today_is_said_but_allowed():
    below = {"stage": "interest", "stage_target": "familiar", "standing": "vendor", "standing_target": "vendor"}
    assert stakeholders.target_warnings(below) == ["warn.stage_target_below_current"]
    ahead = {"stage": "familiar", "stage_target": "interest", "standing": "trusted_advisor",
             "standing_target": "credible_source"}
    assert stakeholders.target_warnings(ahead) == ["warn.standing_target_below_current"]
    assert stakeholders.target_warnings({"stage": None, "stage_target": "familiar"}) == []


def test_a_walk_through_order_keeps_only_readable_accounts_once_in_the_given_order():
    assert overview.parse_order("12, 3,x,3,99,7", allowed=[3, 7, 12]) == [12, 3, 7]
    assert overview.parse_order(None, allowed=[1]) == []


@pytest.mark.parametrize(("stance", "score", "ok"), [
    ("coach", 3, True), ("supporter", 2, True), ("supporter", 1, True), ("neutral", 0, True),
    ("opponent", -1, True), ("blocker", -1, True), ("coach", 1, False), ("blocker", 0, False), ("neutral", 5, False),
])
def test_the_relationship_scale_pairs_each_score_with_its_stances(stance, score, ok):
    assert scale.allowed(stance, score) is ok


def test_a_score_names_its_stance_and_minus_one_keeps_a_chosen_blocker():
    assert scale.stance_for(3) == "coach"
    assert scale.stance_for(-1) == "opponent"
    assert scale.stance_for(-1, "blocker") == "blocker"
    assert scale.stance_for(2, "blocker") == "supporter"
