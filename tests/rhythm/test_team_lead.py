"""The team lead (D9): an admin names each person's lead; only that lead reviews their rhythm (executives
when none is set); late entries are flagged for that lead. Fixed clock throughout."""

from __future__ import annotations

from datetime import datetime

import pytest

from kamcore import clock, store, team, users
from kamcore.errors import PermissionDenied, ValidationError
from kamcore.rhythm import entries
from tests.conftest import signed_in_app
from tests.managed_account import managed_account, member
from tests.rhythm.days import MON, at
from tests.visible_text import slips, visible_text


@pytest.fixture
def world(fresh_db, admin):
    """Two members on one account; `lead` leads `am`; `boss` is another executive; `peer` has no lead."""
    db = fresh_db
    account, am = managed_account(db, admin)
    peer = member(db, admin, "peer", "Peer Member")
    lead = member(db, admin, "lead", "Team Lead")
    boss = member(db, admin, "boss", "Other Executive", "executive")
    team.add_member(db, admin, account, peer.id, "solution_manager")
    row = users.get_user_row(db, am.id)
    users.set_lead(db, admin, am.id, row["version"], lead.id)
    return {"db": db, "admin": admin, "am": am, "peer": peer, "lead": lead, "boss": boss}


def summary(w, who: str = "am", moment: datetime | None = None) -> dict:
    with clock.at(moment or at(20, 10)):
        return entries.write_entry(w["db"], w[who], {"kind": "weekly_summary", "period_start": MON, "body": "Done"})


def test_a_review_by_someone_who_is_not_the_lead_is_refused_naming_the_lead_and_nothing_is_written(world):
    db = world["db"]
    row = summary(world)
    audit_before = db.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    with clock.at(at(21, 9)), pytest.raises(PermissionDenied) as refused:
        entries.review(db, world["boss"], row["id"], row["version"], "Looks fine")
    assert refused.value.message("en") == "Only Team Lead, Account Manager's team lead, reviews this entry."
    assert "Team Lead" in refused.value.message("zh") and "团队负责人" in refused.value.message("zh")
    after = store.row(db, "SELECT * FROM rhythm_entries WHERE id = ?", [row["id"]])
    assert (after["version"], after["review_status"], after["reviewed_by"], after["review_note"]) == \
        (row["version"], "pending", None, "")
    assert db.execute("SELECT count(*) FROM audit_log").fetchone()[0] == audit_before


def test_the_lead_reviews_and_nobody_reviews_their_own_entry(world):
    db = world["db"]
    row = summary(world)
    with pytest.raises(PermissionDenied) as refused:
        entries.review(db, world["am"], row["id"], row["version"], "Self-approved")
    assert "own" in refused.value.message("en")
    with clock.at(at(21, 9)):
        done = entries.review(db, world["lead"], row["id"], row["version"], "Good")
    assert (done["review_status"], done["reviewed_by"]) == ("reviewed", world["lead"].id)


def test_with_no_lead_set_any_executive_reviews(world):
    db = world["db"]
    row = summary(world, "peer")
    with pytest.raises(PermissionDenied):  # a member who leads others is not the peer's lead
        entries.review(db, world["lead"], row["id"], row["version"])
    assert entries.review(db, world["boss"], row["id"], row["version"])["reviewed_by"] == world["boss"].id
    assert [u["username"] for u in users.without_lead(db)] == ["peer", "lead"]  # by display name


def test_a_late_summary_is_flagged_for_that_lead_only(world):
    db = world["db"]
    summary(world, moment=at(21, 10))  # Saturday: after Friday 17:30
    flagged = entries.late_for_lead(db, world["lead"], at(23, 9))
    assert [(r["author_id"], r["kind"]) for r in flagged["late"]] == [(world["am"].id, "weekly_summary")]
    assert {d.user_id for d in flagged["missing"]} == {world["am"].id}  # the peer keeps no rhythm yet
    assert entries.late_for_lead(db, world["boss"], at(23, 9))["late"] == []  # am has a lead: not the boss's
    assert entries.lead_digest(db, world["lead"], at(23, 9))["late"] == 1
    assert entries.lead_digest(db, world["am"], at(23, 9)) is None
    with pytest.raises(PermissionDenied):
        entries.late_for_lead(db, world["am"], at(23, 9))


def test_the_lead_sees_their_teams_entries_a_member_sees_only_their_own(world):
    db = world["db"]
    mine = summary(world)
    theirs = summary(world, "peer")
    assert {r["id"] for r in entries.list_entries(db, world["lead"])} == {mine["id"]}
    assert {r["id"] for r in entries.list_entries(db, world["peer"])} == {theirs["id"]}
    assert [r["id"] for r in entries.pending_reviews(db, world["lead"])] == [mine["id"]]


@pytest.mark.parametrize(("who", "lead", "reason"), [
    ("lead", "am", "its own lead"),  # am already reports to lead: a circle
    ("am", "am", "its own lead"),
    ("am", 999_999, "active user"),
])
def test_a_lead_that_loops_back_or_does_not_exist_is_refused_naming_the_field(world, who, lead, reason):
    db = world["db"]
    target = world[who]
    lead_id = world[lead].id if isinstance(lead, str) else lead
    before = users.get_user_row(db, target.id)
    with pytest.raises(ValidationError) as refused:
        users.set_lead(db, world["admin"], target.id, before["version"], lead_id)
    assert refused.value.problems[0].field == "lead_id"
    assert "Team lead" in refused.value.message("en")
    assert users.get_user_row(db, target.id)["version"] == before["version"]


def test_only_an_admin_sets_a_lead(world):
    db = world["db"]
    row = users.get_user_row(db, world["peer"].id)
    with pytest.raises(PermissionDenied):
        users.set_lead(db, world["peer"], world["peer"].id, row["version"], world["lead"].id)
    assert users.lead_of(db, world["peer"].id) is None


def test_the_admin_page_names_who_has_no_lead_and_sets_one(demo_path):
    db = store.connect(demo_path)
    omar = users.find_by_username(db, "omar.hassan")
    chen = users.find_by_username(db, "chen.jie")
    at_ = signed_in_app(demo_path, "admin", "pages/admin.py")
    assert any("Omar Hassan" in w.value for w in at_.warning)
    assert slips(visible_text(at_)) == []
    at_.selectbox(key="admin.edit.user").set_value(omar.id).run()
    at_.selectbox(key=f"admin.edit.lead.{omar.id}").set_value(chen.id)
    next(b for b in at_.button if b.label == "Save user").click().run()
    assert not at_.exception and not at_.error
    assert users.lead_of(db, omar.id) == chen.id
    assert not any("Omar Hassan" in w.value for w in at_.warning)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_my_work_flags_the_teams_late_rhythm_for_the_demo_lead(demo_path, lang):
    at_ = signed_in_app(demo_path, "chen.jie", "pages/my_work.py", lang=lang)
    assert not at_.exception
    assert slips(visible_text(at_)) == []
    text = " ".join(w.value for w in at_.warning)
    assert ("1 handed in late" in text) if lang == "en" else ("迟交 1" in text)
