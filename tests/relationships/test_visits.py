"""Visits (D9): 6W2H plans, outcomes, SPIN links and the revisit due list."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from kamcore import clock
from kamcore.errors import ValidationError
from kamcore.pipeline import discovery
from kamcore.relationships import visits
from tests.decision_chain.stakeholder_world import make_world


@pytest.fixture
def w(fresh_db, admin):
    return make_world(fresh_db, admin)


def visit(w, person=None, **values):
    base = {"stakeholder_id": person["id"] if person else None, "purpose": "information",
            "planned_on": "2026-03-01", "place": "Customer HQ", "goal": "Understand the tender"}
    return visits.plan_visit(w.db, w.am, w.a, base | values)


def test_a_done_visit_needs_its_outcome(w):
    md = w.person("md")
    row = visit(w, md)
    with pytest.raises(ValidationError) as caught:
        visits.record_outcome(w.db, w.am, row["id"], row["version"], outcome="")
    assert [(p.field, p.reason_key) for p in caught.value.problems] == [("outcome", "reason.outcome_required")]
    with clock.at(datetime(2026, 3, 1, 18, tzinfo=UTC)):
        done = visits.record_outcome(w.db, w.am, row["id"], row["version"], outcome="MD wants a reference site",
                                     next_step="Book Jiangnan site", revisit_days=20)
    assert (done["status"], done["visited_on"], done["revisit_days"]) == ("done", "2026-03-01", 20)


def test_an_outcome_recorded_today_is_dated_today_not_the_planned_day(w):
    """Issue 27: an outcome recorded before the planned day stored the planned (future) date and fed freshness."""
    md = w.person("md")
    with clock.at(datetime(2026, 2, 20, 9, tzinfo=UTC)):
        row = visit(w, md, planned_on="2026-03-01")
        assert row["visited_on"] is None
        done = visits.record_outcome(w.db, w.am, row["id"], row["version"], outcome="Met early")
        assert done["visited_on"] == "2026-02-20"
        later = visit(w, md, planned_on="2026-03-10")
        with pytest.raises(ValidationError) as caught:
            visits.record_outcome(w.db, w.am, later["id"], later["version"], outcome="x", visited_on="2026-02-21")
    assert [(p.field, p.reason_key) for p in caught.value.problems] == [("visited_on", "reason.visited_in_future")]


def test_my_visit_of_today_comes_first_for_the_outcome(w):
    md, cfo = w.person("md"), w.person("cfo")
    with clock.at(datetime(2026, 3, 1, 9, tzinfo=UTC)):
        coming = visit(w, md, planned_on="2026-03-05", owner_id=w.am.id)
        theirs = visit(w, cfo, planned_on="2026-03-01", owner_id=w.sm.id)
        mine = visit(w, md, planned_on="2026-03-01", owner_id=w.am.id)
        missed = visit(w, cfo, planned_on="2026-02-25", owner_id=w.am.id)
    rows = visits.list_visits(w.db, w.am, w.a)
    order = visits.outcome_order(rows, w.am.id, date(2026, 3, 1))
    assert [v["id"] for v in order] == [mine["id"], theirs["id"], missed["id"], coming["id"]]


@pytest.mark.parametrize(
    ("values", "field", "reason"),
    [
        ({"purpose": "party"}, "purpose", "reason.literal_error"),
        ({"revisit_days": 30}, "revisit_days", "reason.literal_error"),
        ({"planned_on": "next week"}, "planned_on", "reason.date_from_datetime_parsing"),
        ({"place": "x" * 201}, "place", "reason.string_too_long"),
    ],
)
def test_bad_visit_input_is_refused(w, values, field, reason):
    with pytest.raises(ValidationError) as caught:
        visit(w, **values)
    assert (field, reason) in [(p.field, p.reason_key) for p in caught.value.problems]


def test_a_visit_may_attach_the_spin_plan_of_its_own_account_only(w):
    md = w.person("md")
    deal = w.deal()
    spin = discovery.add_spin_plan(w.db, w.am, deal["id"], {"stakeholder_id": md["id"]})
    assert visit(w, md, spin_plan_id=spin["id"])["spin_plan_id"] == spin["id"]
    with pytest.raises(ValidationError) as caught:
        visit(w, md, spin_plan_id=spin["id"] + 1000)
    assert caught.value.problems[0].field == "spin_plan_id"


def test_the_revisit_due_list_takes_the_latest_done_visit_per_person(w):
    md, cfo, cto = w.person("md"), w.person("cfo"), w.person("cto")
    first = visit(w, md, planned_on="2026-01-02")
    visits.record_outcome(w.db, w.am, first["id"], first["version"], outcome="ok", revisit_days=20,
                          visited_on="2026-01-02")
    again = visit(w, md, planned_on="2026-02-20")
    visits.record_outcome(w.db, w.am, again["id"], again["version"], outcome="ok", revisit_days=40,
                          visited_on="2026-02-20")   # due 04-01
    cfo_visit = visit(w, cfo, planned_on="2026-02-01")
    visits.record_outcome(w.db, w.am, cfo_visit["id"], cfo_visit["version"], outcome="ok", revisit_days=20,
                          visited_on="2026-02-01")  # 02-21
    visit(w, cfo, planned_on="2026-03-10")   # already planned
    cto_visit = visit(w, cto, planned_on="2026-02-01")
    visits.record_outcome(w.db, w.am, cto_visit["id"], cto_visit["version"], outcome="ok", revisit_days=80,
                          visited_on="2026-02-01")  # 04-22
    due = visits.revisit_due(w.db, w.am, [w.a], today=date(2026, 3, 1), within_days=35)
    assert [(d["stakeholder_name"], d["due_on"], d["days_left"], d["overdue"], d["next_planned"]) for d in due] == [
        ("Cfo", "2026-02-21", -8, True, "2026-03-10"),
        ("Md", "2026-04-01", 31, False, None),
    ]


def test_visits_list_newest_first_with_names(w):
    md = w.person("md")
    visit(w, md, planned_on="2026-01-01")
    visit(w, None, planned_on="2026-02-01", attendees="Whole tender committee")
    listed = visits.list_visits(w.db, w.am, w.a)
    assert [(v["planned_on"], v["stakeholder_name"]) for v in listed] == [("2026-02-01", None), ("2026-01-01", "Md")]
