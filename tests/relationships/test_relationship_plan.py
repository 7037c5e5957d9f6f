"""The PDCA relationship plan: actions, checks that move scores, and the routine review."""

from __future__ import annotations

from datetime import date

import pytest

from kamcore.decision_chain import stakeholders as sh
from kamcore.errors import PermissionDenied, ValidationError
from kamcore.relationships import pdca
from tests.decision_chain.stakeholder_world import make_world


@pytest.fixture
def w(fresh_db, admin):
    return make_world(fresh_db, admin)


def action(w, person, **values):
    base = {"stakeholder_id": person["id"], "kind": "executive_visit", "due_date": "2099-06-30",
            "owner_id": w.am.id}
    return pdca.create_action(w.db, w.am, w.a, base | values)


def test_a_past_due_date_on_a_new_action_is_a_warning_and_the_action_is_saved(w):
    md = w.person("md")
    row, warnings = action(w, md, due_date="2020-01-01")
    assert warnings == [pdca.WARN_PAST_DUE]
    assert row["id"] and row["status"] == "planned"
    _, none = action(w, md, kind="home_visit")
    assert none == []
    assert pdca.plan_warnings({"due_date": "2020-01-01", "status": "done"}) == []


@pytest.mark.parametrize(
    ("values", "field", "reason"),
    [
        ({"kind": "karaoke"}, "action_kind", "reason.literal_error"),
        ({"due_date": "soon"}, "due_date", "reason.date_from_datetime_parsing"),
        ({"score_change": 7}, "score_change", "reason.less_than_equal"),
        ({"plan": "p" * 1001}, "plan", "reason.string_too_long"),
        ({"owner_id": 999}, "owner_id", "reason.owner_not_on_team"),
    ],
)
def test_bad_actions_are_refused_with_field_and_reason(w, values, field, reason):
    md = w.person("md")
    with pytest.raises(ValidationError) as caught:
        action(w, md, **values)
    assert (field, reason) in [(p.field, p.reason_key) for p in caught.value.problems]
    assert w.db.execute("SELECT count(*) FROM relationship_actions").fetchone()[0] == 0


def test_an_action_cannot_target_another_accounts_stakeholder(w):
    theirs = w.person("theirs", account=w.b)
    with pytest.raises(ValidationError) as caught:
        action(w, theirs)
    assert [(p.field, p.reason_key) for p in caught.value.problems] == [("stakeholder_id", "reason.other_account")]


def test_checking_an_action_records_the_result_and_moves_the_score_in_one_go(w):
    md = w.person("md", score=0)
    row, _ = action(w, md)
    done = pdca.check_action(w.db, w.am, row["id"], row["version"], "Agreed to visit HQ", score_change=2)
    assert (done["status"], done["check_result"], done["score_change"]) == ("done", "Agreed to visit HQ", 2)
    assert done["done_on"] is not None
    assert w.fresh("md")["score"] == 2
    assert [h["score"] for h in sh.score_history(w.db, w.am, md["id"])][-1] == 2


def test_a_check_that_would_push_the_score_out_of_range_changes_nothing(w):
    md = w.person("md", score=3)
    row, _ = action(w, md)
    with pytest.raises(ValidationError) as caught:
        pdca.check_action(w.db, w.am, row["id"], row["version"], "Great dinner", score_change=1)
    assert caught.value.problems[0].reason_key == "reason.score_out_of_range"
    assert pdca.list_actions(w.db, w.am, w.a)[0]["status"] == "planned"
    assert w.fresh("md")["score"] == 3


def test_the_review_counts_plan_against_done_and_overdue(w):
    md, cfo = w.person("md"), w.person("cfo")
    late, _ = action(w, md, due_date="2026-01-10")
    action(w, cfo, due_date="2026-12-01", owner_id=w.sm.id)
    early, _ = action(w, cfo, due_date="2026-02-01")
    pdca.check_action(w.db, w.am, early["id"], early["version"], "ok", score_change=1)
    dropped, _ = action(w, md, due_date="2026-01-01")
    pdca.update_action(w.db, w.am, dropped["id"], dropped["version"], {"status": "cancelled"})
    summary = pdca.review(w.db, w.am, w.a, today=date(2026, 3, 1))
    assert {k: summary[k] for k in ("planned", "open", "done", "cancelled", "overdue", "score_moved")} == {
        "planned": 4, "open": 2, "done": 1, "cancelled": 1, "overdue": 1, "score_moved": 1}
    listed = pdca.list_actions(w.db, w.am, w.a, today=date(2026, 3, 1))
    assert [(a["stakeholder_name"], bool(a["overdue"])) for a in listed][:2] == [("Md", True), ("Cfo", False)]
    assert {o["owner"]: o["overdue"] for o in summary["by_owner"]} == {"Ann Manager": 1, "Sol Manager": 0}
    assert late["id"] == listed[0]["id"]


def test_viewers_cannot_plan_actions(w):
    md = w.person("md")
    with pytest.raises(PermissionDenied):
        pdca.create_action(w.db, w.viewer, w.a, {"stakeholder_id": md["id"], "kind": "other", "due_date": "2099-01-01"})
