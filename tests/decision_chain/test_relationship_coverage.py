"""Coverage matrix and the risk flags of D4 (single-threaded, uncovered decision maker, feud, …)."""

from __future__ import annotations

import pytest

from kamcore.decision_chain import coverage
from kamcore.decision_chain import stakeholders as sh
from kamcore.errors import NotFoundError
from kamcore.relationships import pdca
from tests.decision_chain.stakeholder_world import make_world


@pytest.fixture
def w(fresh_db, admin):
    return make_world(fresh_db, admin)


def kinds(flags) -> list[str]:
    return [f.kind for f in flags]


def test_the_pudong_case_single_threaded_through_a_friendly_vp_and_an_uncovered_new_md(w):
    vp = w.person("vp", level="decision", stance="coach", score=3, owner_id=w.am.id, roles="purchaser")
    md = w.person("md", level="decision", stance="neutral", score=0, roles="decision_maker")
    w.person("engineer", stance="neutral", score=0, owner_id=w.sm.id, roles="technical_evaluator")
    flags = coverage.account_flags(w.db, w.a)
    assert set(kinds(flags)) == {"decision_maker_uncovered", "single_threaded"}
    by_kind = {f.kind: f for f in flags}
    assert by_kind["decision_maker_uncovered"].stakeholder_ids == (md["id"],)
    assert by_kind["single_threaded"].stakeholder_ids == (vp["id"],)
    assert all(f.severity == "high" for f in flags)
    assert "Md" in by_kind["decision_maker_uncovered"].message("en")
    assert "Vp" in by_kind["single_threaded"].message("zh")


def test_a_second_friendly_contact_ends_single_threading_and_an_owner_covers_the_md(w):
    w.person("vp", stance="coach", score=3, owner_id=w.am.id)
    w.person("md", level="decision", roles="decision_maker", owner_id=w.sm.id, score=1)
    assert kinds(coverage.account_flags(w.db, w.a)) == []


def test_an_owner_who_left_the_team_no_longer_covers(w, admin):
    from kamcore import team

    md = w.person("md", level="decision", roles="decision_maker", owner_id=w.sm.id, stance="coach", score=3)
    w.person("ally", score=2)
    member = next(m for m in team.list_team(w.db, admin, w.a) if m["user_id"] == w.sm.id)
    team.remove_member(w.db, admin, member["id"], member["version"])
    assert [f.stakeholder_ids for f in coverage.decision_maker_uncovered(w.db, w.a)] == [(md["id"],)]


def test_single_threading_is_judged_per_opportunity(w):
    vp = w.person("vp", stance="supporter", score=2, owner_id=w.am.id)
    ally = w.person("ally", stance="coach", score=3, owner_id=w.sm.id)
    md = w.person("md", level="decision", roles="decision_maker", owner_id=w.am.id)
    deal = w.deal()
    sh.add_participation(w.db, w.am, w.a, vp["id"], deal["id"], "purchaser")
    sh.add_participation(w.db, w.am, w.a, md["id"], deal["id"], "decision_maker")
    account_level = coverage.single_threaded(w.db, w.a)
    assert [(f.opportunity_id, f.stakeholder_ids) for f in account_level] == [(deal["id"], (vp["id"],))]
    assert deal["number"] in account_level[0].message("en")
    assert kinds(coverage.opportunity_flags(w.db, deal["id"])) == ["single_threaded", "no_coach"]
    sh.add_participation(w.db, w.am, w.a, ally["id"], deal["id"], "influencer")
    assert kinds(coverage.opportunity_flags(w.db, deal["id"])) == []


def test_no_coach_and_no_decision_maker_are_flagged_only_once_people_are_mapped(w):
    assert coverage.account_flags(w.db, w.a) == []
    w.person("a", score=1)
    w.person("b", score=2)
    assert kinds(coverage.account_flags(w.db, w.a)) == ["decision_maker_unknown", "no_coach"]


def test_a_blocker_in_the_decision_layer_is_flagged_until_an_action_targets_them(w):
    w.person("ally", stance="coach", score=3, owner_id=w.am.id)
    w.person("ally2", score=2, owner_id=w.am.id)
    cfo = w.person("cfo", level="decision", stance="blocker", score=-1, owner_id=w.am.id, favoured_rival="Rival")
    w.person("clerk", level="execution", stance="blocker", score=-1)  # not in the decision layer
    assert [f.stakeholder_ids for f in coverage.blocker_without_action(w.db, w.a)] == [(cfo["id"],)]
    action, _ = pdca.create_action(w.db, w.am, w.a, {
        "stakeholder_id": cfo["id"], "kind": "hq_visit", "due_date": "2099-01-01", "owner_id": w.am.id})
    assert coverage.blocker_without_action(w.db, w.a) == []
    pdca.update_action(w.db, w.am, action["id"], action["version"], {"status": "cancelled"})
    assert len(coverage.blocker_without_action(w.db, w.a)) == 1


def test_a_feud_between_people_we_depend_on_is_flagged_but_not_one_with_a_bystander(w):
    director = w.person("director", level="decision", roles="decision_maker", owner_id=w.am.id)
    deputy = w.person("deputy", level="management", stance="supporter", score=2, owner_id=w.sm.id)
    clerk = w.person("clerk", level="execution", score=0)
    sh.add_link(w.db, w.am, w.a, director["id"], deputy["id"], "conflict", strength=3)
    sh.add_link(w.db, w.am, w.a, clerk["id"], deputy["id"], "conflict")
    found = coverage.conflict_between_dependents(w.db, w.a)
    assert [f.stakeholder_ids for f in found] == [(director["id"], deputy["id"])]
    assert "Director" in found[0].message("en") and "Deputy" in found[0].message("en")


def test_coverage_matrix_puts_each_role_under_its_owner_and_the_rest_under_nobody(w):
    w.person("md", roles="decision_maker", owner_id=w.am.id, score=2)
    w.person("cto", roles=["technical_evaluator", "decision_maker"], owner_id=w.sm.id)
    w.person("buyer", roles="purchaser")
    matrix = coverage.coverage_matrix(w.db, w.am, w.a)
    assert [o["name"] for o in matrix["owners"]] == ["Ann Manager", "Sol Manager", "Vic Viewer", None]
    cells = {r["role"]: {k: [p["name"] for p in v] for k, v in r["cells"].items()} for r in matrix["rows"]}
    assert cells["decision_maker"][w.am.id] == ["Md"]
    assert cells["decision_maker"][w.sm.id] == ["Cto"]
    assert cells["purchaser"][0] == ["Buyer"]
    assert cells["user"] == {w.am.id: [], w.sm.id: [], w.viewer.id: [], 0: []}


def test_flags_for_a_page_check_the_reader(w):
    with pytest.raises(NotFoundError):
        coverage.flags(w.db, w.other, w.a)
    assert coverage.flags(w.db, w.executive, w.a) == []
