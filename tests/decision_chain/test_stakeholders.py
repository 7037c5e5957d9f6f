"""Stakeholders, their opportunity roles and links: validation, permissions and the private profile sheet."""

from __future__ import annotations

import pytest

from kamcore import audit
from kamcore.decision_chain import stakeholders as sh
from kamcore.errors import NotFoundError, PermissionDenied, ValidationError
from tests.decision_chain.stakeholder_world import make_world


@pytest.fixture
def w(fresh_db, admin):
    return make_world(fresh_db, admin)


def reasons(exc: ValidationError) -> list[tuple[str, str]]:
    return [(p.field, p.reason_key) for p in exc.problems]


def count(db, table: str) -> int:
    return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_buying_roles_are_a_validated_set_stored_in_canonical_order(w):
    row = w.person("boss", roles=["user", "decision_maker", "user"], level="decision")
    assert row["roles"] == "decision_maker,user"
    assert row["role_list"] == ["decision_maker", "user"]
    assert sh.parse_roles("purchaser, technical_evaluator") == ["technical_evaluator", "purchaser"]


@pytest.mark.parametrize(
    ("values", "field", "reason"),
    [
        ({"score": 4}, "score", "reason.less_than_equal"),
        ({"score": -2}, "score", "reason.greater_than_equal"),
        ({"stance": "friend"}, "stance", "reason.literal_error"),
        ({"roles": ["decision_maker", "golfer"]}, "roles", "reason.unknown_role"),
        ({"level": "board"}, "stakeholder_level", "reason.literal_error"),
        ({"notes": "x" * 4001}, "notes", "reason.string_too_long"),
        ({"name": ""}, "name", "reason.string_too_short"),
    ],
)
def test_bad_stakeholder_input_names_field_and_reason_and_writes_nothing(w, values, field, reason):
    with pytest.raises(ValidationError) as caught:
        sh.create_stakeholder(w.db, w.am, w.a, {"name": "Someone", **values})
    assert (field, reason) in reasons(caught.value)
    assert count(w.db, "stakeholders") == 0
    assert caught.value.message("zh")  # translatable


def test_the_owner_must_be_on_the_accounts_team(w):
    with pytest.raises(ValidationError) as caught:
        w.person("boss", owner_id=w.other.id)
    assert reasons(caught.value) == [("owner_id", "reason.owner_not_on_team")]
    assert w.person("boss", owner_id=w.sm.id)["owner_id"] == w.sm.id


def test_viewers_and_outsiders_cannot_add_stakeholders(w):
    with pytest.raises(PermissionDenied):
        sh.create_stakeholder(w.db, w.viewer, w.a, {"name": "X"})
    with pytest.raises(NotFoundError):
        sh.create_stakeholder(w.db, w.other, w.a, {"name": "X"})


def test_profile_fields_are_visible_only_to_the_accounts_team(w):
    row = w.person("boss", profile_family="Two children, daughter at Fudan")
    assert sh.get_stakeholder(w.db, w.viewer, row["id"])["profile_family"] == "Two children, daughter at Fudan"
    for outsider in (w.executive, w.admin):
        seen = sh.get_stakeholder(w.db, outsider, row["id"])
        assert seen["profile_family"] is None and not seen["profile_visible"]
    listed = sh.list_stakeholders(w.db, w.executive, w.a)
    assert all("profile_family" not in r for r in listed)


def test_profile_values_never_reach_the_audit_log_readable_by_executives(w):
    row = w.person("boss", profile_personality="Decisive, hates long decks")
    sh.update_stakeholder(w.db, w.am, row["id"], row["version"], {"profile_personality": "Patient now"})
    history = audit.history(w.db, w.executive, w.a)
    values = {str(h["old_value"]) for h in history} | {str(h["new_value"]) for h in history}
    assert not any("decks" in v or "Patient" in v for v in values)


def test_only_the_team_may_set_profile_fields(w):
    row = w.person("boss")
    with pytest.raises(PermissionDenied):
        sh.update_stakeholder(w.db, w.admin, row["id"], row["version"], {"profile_career": "Ex-Siemens"})
    with pytest.raises(PermissionDenied):
        sh.create_stakeholder(w.db, w.admin, w.a, {"name": "Y", "profile_social": "Golf club"})
    # the admin may still change the ordinary fields
    assert sh.update_stakeholder(w.db, w.admin, row["id"], row["version"], {"score": 1})["score"] == 1


def test_erasing_the_profile_leaves_no_copy_anywhere(w):
    row = w.person("boss", profile_resume="Born 1970 in Wuxi", profile_family="Married")
    row = sh.update_stakeholder(w.db, w.am, row["id"], row["version"], {"profile_resume": "Born 1970 in Wuxi, MBA"})
    erased = sh.erase_profile(w.db, w.am, row["id"], row["version"])
    assert erased["profile_resume"] is None and erased["profile_family"] is None
    dump = "\n".join(str(r) for r in w.db.execute("SELECT * FROM audit_log").fetchall())
    assert "Wuxi" not in dump and "Married" not in dump
    assert erased["name"] == "Boss"


def test_blank_profile_text_means_not_collected(w):
    assert w.person("boss", profile_social="   ")["profile_social"] is None


def test_list_filters_by_department_stance_and_search(w):
    w.person("ann", department="Engineering", stance="coach")
    w.person("bob", department="Tender centre", stance="blocker")
    w.person("cat", department="Engineering", stance="neutral", job_title="Chief engineer")
    names = lambda **f: [r["name"] for r in sh.list_stakeholders(w.db, w.am, w.a, **f)]  # noqa: E731
    assert names(department="Engineering") == ["Ann", "Cat"]
    assert names(stance="blocker") == ["Bob"]
    assert names(search="chief") == ["Cat"]
    assert sh.count_stakeholders(w.db, w.am, w.a, department="Engineering") == 2
    assert sh.departments(w.db, w.am, w.a) == ["Engineering", "Tender centre"]


# --- links ---------------------------------------------------------------------------------------


def test_links_refuse_people_of_another_account(w):
    mine = w.person("mine")
    theirs = w.person("theirs", account=w.b)
    with pytest.raises(ValidationError) as caught:
        sh.add_link(w.db, w.am, w.a, mine["id"], theirs["id"], "influences")
    assert reasons(caught.value) == [("to_id", "reason.other_account")]
    assert count(w.db, "stakeholder_links") == 0


def test_reports_to_cycles_are_refused_at_any_depth(w):
    a, b, c = (w.person(k) for k in ("a", "b", "c"))
    sh.add_link(w.db, w.am, w.a, a["id"], b["id"], "reports_to")
    sh.add_link(w.db, w.am, w.a, b["id"], c["id"], "reports_to")
    with pytest.raises(ValidationError) as caught:
        sh.add_link(w.db, w.am, w.a, c["id"], a["id"], "reports_to")
    assert reasons(caught.value) == [("to_id", "reason.reports_to_cycle")]
    # influence may run in a circle: it is not a hierarchy
    sh.add_link(w.db, w.am, w.a, c["id"], a["id"], "influences")


def test_changing_a_link_into_a_cycle_is_refused_too(w):
    a, b, c = (w.person(k) for k in ("a", "b", "c"))
    sh.add_link(w.db, w.am, w.a, a["id"], b["id"], "reports_to")
    link = sh.add_link(w.db, w.am, w.a, c["id"], b["id"], "reports_to")
    with pytest.raises(ValidationError):
        sh.update_link(w.db, w.am, link["id"], link["version"], {"from_id": b["id"], "to_id": a["id"]})


def test_self_links_and_duplicate_conflicts_in_either_direction_are_refused(w):
    a, b = w.person("a"), w.person("b")
    with pytest.raises(ValidationError) as caught:
        sh.add_link(w.db, w.am, w.a, a["id"], a["id"], "conflict")
    assert reasons(caught.value) == [("to_id", "reason.link_to_self")]
    sh.add_link(w.db, w.am, w.a, a["id"], b["id"], "conflict", strength=3, note="Feud since the reorg")
    with pytest.raises(ValidationError) as caught:
        sh.add_link(w.db, w.am, w.a, b["id"], a["id"], "conflict")
    assert reasons(caught.value) == [("to_id", "reason.duplicate_link")]


def test_link_strength_is_one_to_three(w):
    a, b = w.person("a"), w.person("b")
    with pytest.raises(ValidationError) as caught:
        sh.add_link(w.db, w.am, w.a, a["id"], b["id"], "influences", strength=5)
    assert reasons(caught.value) == [("strength", "reason.less_than_equal")]


# --- opportunities --------------------------------------------------------------------------------


def test_participation_records_the_role_and_refuses_another_accounts_deal(w):
    boss = w.person("boss")
    deal, foreign = w.deal(), w.deal("Theirs", account=w.b)
    part = sh.add_participation(w.db, w.am, w.a, boss["id"], deal["id"], "decision_maker")
    assert part["role"] == "decision_maker"
    with pytest.raises(ValidationError) as caught:
        sh.add_participation(w.db, w.am, w.a, boss["id"], foreign["id"], "user")
    assert reasons(caught.value) == [("opportunity_id", "reason.other_account")]
    with pytest.raises(ValidationError) as caught:
        sh.add_participation(w.db, w.am, w.a, boss["id"], deal["id"], "user")
    assert reasons(caught.value) == [("opportunity_id", "reason.already_taking_part")]
    with pytest.raises(ValidationError):
        sh.add_participation(w.db, w.am, w.a, boss["id"], deal["id"], "golfer")
    listed = sh.list_participation(w.db, w.am, w.a, deal["id"])
    assert [(p["stakeholder_name"], p["role"]) for p in listed] == [("Boss", "decision_maker")]
    assert [r["name"] for r in sh.list_stakeholders(w.db, w.am, w.a, opportunity_id=deal["id"])] == ["Boss"]


def test_deleting_a_stakeholder_removes_links_and_roles_with_an_audit_trail(w):
    boss, vp = w.person("boss"), w.person("vp")
    sh.add_link(w.db, w.am, w.a, vp["id"], boss["id"], "reports_to")
    sh.add_participation(w.db, w.am, w.a, boss["id"], w.deal()["id"], "decision_maker")
    sh.delete_stakeholder(w.db, w.am, boss["id"], boss["version"])
    assert count(w.db, "stakeholder_links") == 0 and count(w.db, "stakeholder_opportunities") == 0
    deleted = {r[0] for r in w.db.execute("SELECT entity FROM audit_log WHERE action = 'delete'").fetchall()}
    assert deleted == {"stakeholder", "stakeholder_link", "stakeholder_opportunity"}
