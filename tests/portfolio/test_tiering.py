"""Tiering criteria: hand-computed scoring, validation of weights and thresholds, draft → preview → activate."""

import json

import pytest

from kamcore import accounts, team, users
from kamcore.errors import PermissionDenied, ValidationError
from kamcore.portfolio import financials, positioning, tiering
from kamcore.portfolio.tiering import parse_definition, score_account
from tests.portfolio.agreeing import agree_and_activate, executive

TWO = {
    "indicators": [
        {"key": "cum_revenue", "weight": 60, "low": 0, "high": 100},
        {"key": "dso_days", "weight": 40, "low": 30, "high": 130, "higher_is_better": False},
    ],
    "key_min": 70,
    "general_min": 40,
}


def test_score_is_weighted_linear_contribution_of_each_indicator():
    scored = score_account(1, {"cum_revenue": 50, "dso_days": 80}, parse_definition(TWO))
    # revenue 50 of 0..100 → 0.5 × 60 = 30; DSO 80 of 30..130, lower better → 0.5 × 40 = 20
    assert [c.points for c in scored.contributions] == [30, 20]
    assert scored.score == 50
    assert scored.tier == "general"


def test_values_beyond_thresholds_are_clipped_and_missing_values_give_nothing():
    definition = parse_definition(TWO)
    assert score_account(1, {"cum_revenue": 150, "dso_days": 20}, definition).score == 100
    assert score_account(1, {"cum_revenue": 150, "dso_days": 20}, definition).tier == "key"
    missing = score_account(1, {"cum_revenue": 10}, definition)
    assert missing.score == 6
    assert missing.tier == "small"
    assert missing.contributions[1].value is None


def test_single_indicator_classification_is_a_set_with_one_indicator():
    definition = parse_definition({"indicators": [{"key": "cum_revenue", "weight": 100, "low": 0, "high": 1000}],
                                   "key_min": 50, "general_min": 10})
    assert score_account(1, {"cum_revenue": 500}, definition).tier == "key"
    assert score_account(1, {"cum_revenue": 99}, definition).tier == "small"


@pytest.mark.parametrize(("fits", "expected"), [((5, 4), "strategic"), ((3, 3), "value"), ((2, 2), "transactional"),
                                                ((None, None), None)])
def test_type_follows_need_match_fit(fits, expected):
    facts = {"value_fit": fits[0], "purchase_fit": fits[1]}
    # (4.5 − 1) / 4 = 87.5 ≥ 75 strategic; (3 − 1) / 4 = 50 ≥ 45 value; 25 transactional
    assert tiering.type_for(facts, parse_definition(TWO)) == expected


def _reasons(exc):
    return {(p.field, p.reason_key, p.row) for p in exc.value.problems}


def test_weights_that_do_not_sum_to_100_are_refused():
    bad = {**TWO, "indicators": [{**TWO["indicators"][0], "weight": 50}, TWO["indicators"][1]]}
    with pytest.raises(ValidationError) as exc:
        parse_definition(bad)
    assert ("weight", "reason.criteria_weights_sum", None) in _reasons(exc)
    assert "90" in exc.value.message("en")


def test_zero_weight_and_duplicate_indicator_are_refused():
    with pytest.raises(ValidationError) as exc:
        parse_definition({**TWO, "indicators": [{**TWO["indicators"][0], "weight": 0}, TWO["indicators"][1]]})
    assert ("weight", "reason.greater_than", 1) in _reasons(exc)
    with pytest.raises(ValidationError) as exc:
        parse_definition({**TWO, "indicators": [{**TWO["indicators"][0], "weight": 50}] * 2})
    assert ("key", "reason.indicator_twice", None) in _reasons(exc)


def test_thresholds_out_of_order_are_refused_with_field_and_row():
    with pytest.raises(ValidationError) as exc:
        parse_definition({**TWO, "key_min": 30, "general_min": 40})
    assert ("key_min", "reason.thresholds_out_of_order", None) in _reasons(exc)
    with pytest.raises(ValidationError) as exc:
        parse_definition({**TWO, "indicators": [TWO["indicators"][0], {**TWO["indicators"][1], "low": 200}]})
    assert ("high", "reason.low_not_below_high", 2) in _reasons(exc)
    assert exc.value.message("en").startswith("Row 2:")
    with pytest.raises(ValidationError) as exc:
        parse_definition({**TWO, "grid": {"share_low": 80, "share_high": 70}})
    assert ("share_high", "reason.thresholds_out_of_order", None) in _reasons(exc)
    assert exc.value.message("en").endswith("must be above the lower threshold (80.0)")


def _world(db, admin):
    made = {}
    for name, revenue, profit, fits in (("Alpha", 120_000, 30_000, (5, 5)), ("Beta", 40_000, 6_000, (3, 3)),
                                        ("Gamma", 5_000, 500, (1, 2))):
        account = accounts.create_account(db, admin, {"name": name, "industry": "X", "region": "Y"})
        financials.create_financials(db, admin, {"account_id": account["id"], "year": 2025, "revenue": revenue,
                                                 "gross_profit": profit, "deals_count": 4})
        positioning.save_position(db, admin, account["id"], None, {"value_fit": fits[0], "purchase_fit": fits[1]})
        made[name] = account["id"]
    return made


ONE_REVENUE = {"indicators": [{"key": "cum_revenue", "weight": 100, "low": 0, "high": 100_000}],
               "key_min": 60, "general_min": 30}


def test_activation_records_agreement_and_tiers_every_account_with_its_version(fresh_db, admin):
    ids = _world(fresh_db, admin)
    v1 = tiering.create_draft(fresh_db, admin, "Revenue only", ONE_REVENUE)
    agree_and_activate(fresh_db, admin, v1)
    tier = tiering.get_assignment(fresh_db, admin, ids["Beta"])
    assert (tier["tier"], tier["criteria_number"], tier["score"]) == ("general", 1, 40)
    assert tier["contributions"][0]["key"] == "cum_revenue"
    assert tiering.active_criteria(fresh_db)["agreed_by"] == ["Chen Jie", "Li Wei"]
    # v2 raises the bar for key accounts: preview says Beta stays, Alpha stays key, nobody else moves
    v2 = tiering.create_draft(fresh_db, admin, "Higher bar", {**ONE_REVENUE, "key_min": 35, "general_min": 10})
    preview = {r["name"]: r for r in tiering.preview(fresh_db, admin, v2["id"])}
    assert preview["Beta"]["changes"] and preview["Beta"]["tier_after"] == "key"
    assert preview["Gamma"]["tier_before"] == "small" and preview["Gamma"]["tier_after"] == "small"
    assert not preview["Alpha"]["changes"]
    agree_and_activate(fresh_db, admin, v2, ("Chen Jie", "Zhang Min", "Li Wei"))
    assert tiering.get_assignment(fresh_db, admin, ids["Beta"])["criteria_number"] == 2
    statuses = {r["number"]: r["status"] for r in tiering.list_criteria(fresh_db)}
    assert statuses == {1: "retired", 2: "active"}
    audit = fresh_db.execute("SELECT count(*) FROM audit_log WHERE entity = 'account_tier' AND field = 'tier' "
                             "AND account_id = ?", [ids["Beta"]]).fetchone()[0]
    assert audit == 2  # created, then changed general → key


def test_preview_names_the_indicators_that_moved_an_account(fresh_db, admin):
    _world(fresh_db, admin)
    v1 = tiering.create_draft(fresh_db, admin, "Revenue only", ONE_REVENUE)
    agree_and_activate(fresh_db, admin, v1)
    profit = {"indicators": [{"key": "cum_revenue", "weight": 50, "low": 0, "high": 100_000},
                             {"key": "cum_profit", "weight": 50, "low": 0, "high": 10_000}],
              "key_min": 60, "general_min": 30}
    v2 = tiering.create_draft(fresh_db, admin, "With profit", profit)
    beta = next(r for r in tiering.preview(fresh_db, admin, v2["id"]) if r["name"] == "Beta")
    # Beta: revenue 40% → 20 points (was 40), profit 6000/10000 → 30 points: 50, still general
    assert beta["score_after"] == 50
    assert dict(beta["drivers"]) == {"cum_profit": 30, "cum_revenue": -20}


def test_activation_needs_two_recorded_signoffs_and_a_draft(fresh_db, admin):
    v1 = tiering.create_draft(fresh_db, admin, "First")
    tiering.agree(fresh_db, executive(fresh_db, admin, "Chen Jie"), v1["id"], "fine by me")
    with pytest.raises(ValidationError) as exc:
        tiering.activate(fresh_db, admin, v1["id"], v1["version"])
    assert exc.value.problems[0].field == "agreed_by"
    assert tiering.active_criteria(fresh_db) is None
    tiering.agree(fresh_db, admin, v1["id"])
    active = tiering.activate(fresh_db, admin, v1["id"], v1["version"])
    assert active["agreed_by"] == ["Chen Jie", "Admin"]
    with pytest.raises(ValidationError):
        tiering.activate(fresh_db, admin, v1["id"], active["version"])
    with pytest.raises(ValidationError):
        tiering.update_draft(fresh_db, admin, v1["id"], active["version"], name="Edited after agreement")
    with pytest.raises(ValidationError) as exc:
        tiering.agree(fresh_db, executive(fresh_db, admin, "Li Wei"), v1["id"])
    assert exc.value.problems[0].field == "status"


def test_a_person_cannot_agree_twice(fresh_db, admin):
    draft = tiering.create_draft(fresh_db, admin, "First")
    tiering.agree(fresh_db, admin, draft["id"])
    with pytest.raises(ValidationError) as exc:
        tiering.agree(fresh_db, admin, draft["id"], "again")
    assert exc.value.problems[0].field == "user_id"
    assert [s["name"] for s in tiering.agreements(fresh_db, draft["id"])] == ["Admin"]


def test_a_changed_draft_loses_its_signoffs_but_a_renamed_one_keeps_them(fresh_db, admin):
    draft = tiering.create_draft(fresh_db, admin, "First")
    for name in ("Chen Jie", "Li Wei"):
        tiering.agree(fresh_db, executive(fresh_db, admin, name), draft["id"])
    renamed = tiering.update_draft(fresh_db, admin, draft["id"], draft["version"], name="First, renamed")
    assert len(tiering.agreements(fresh_db, draft["id"])) == 2
    changed = json.loads(renamed["definition"]) | {"key_min": 80}
    after = tiering.update_draft(fresh_db, admin, draft["id"], renamed["version"], definition=changed)
    assert tiering.agreements(fresh_db, draft["id"]) == []
    withdrawn = fresh_db.execute("SELECT count(DISTINCT entity_id) FROM audit_log "
                                 "WHERE entity = 'signoff' AND action = 'delete'"
                                 ).fetchone()[0]
    assert withdrawn == 2
    with pytest.raises(ValidationError):
        tiering.activate(fresh_db, admin, draft["id"], after["version"])


def test_who_may_agree(fresh_db, admin):
    draft = tiering.create_draft(fresh_db, admin, "First")
    outsider = users.create_user(fresh_db, admin, "m.out", "Outsider", "member-pass-1", "member")
    with pytest.raises(PermissionDenied):
        tiering.agree(fresh_db, outsider, draft["id"])
    editor = users.create_user(fresh_db, admin, "m.ed", "Editor", "member-pass-1", "member")
    account = accounts.create_account(fresh_db, admin, {"name": "Alpha", "industry": "X", "region": "Y"})
    team.add_member(fresh_db, admin, account["id"], editor.id, "solution_manager")
    tiering.agree(fresh_db, editor, draft["id"])
    assert [s["name"] for s in tiering.agreements(fresh_db, draft["id"])] == ["Editor"]


def test_invalid_draft_edit_writes_nothing(fresh_db, admin):
    draft = tiering.create_draft(fresh_db, admin, "Draft")
    broken = json.loads(draft["definition"]) | {"key_min": 10, "general_min": 20}
    with pytest.raises(ValidationError):
        tiering.update_draft(fresh_db, admin, draft["id"], draft["version"], definition=broken)
    assert tiering.get_criteria(fresh_db, draft["id"])["version"] == 1


def test_members_cannot_draft_criteria(fresh_db, admin):
    member = users.create_user(fresh_db, admin, "m.one", "Member One", "member-pass-1", "member")
    with pytest.raises(PermissionDenied):
        tiering.create_draft(fresh_db, member, "Mine")
