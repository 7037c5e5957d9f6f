"""The team lead (D9): an admin names each person's lead; only that lead reviews their rhythm (executives
when none is set); late entries are flagged for that lead. Fixed clock throughout."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from kamcore import clock, store, team, users
from kamcore.errors import PermissionDenied, ValidationError
from kamcore.rhythm import entries
from tests.conftest import signed_in_app
from tests.managed_account import managed_account, member
from tests.rhythm.days import MON, at
from tests.visible_text import slips, unescape, visible_text


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
    assert [u["username"] for u in users.without_lead(db)] == ["peer"]  # "lead" is on no account team


def test_who_has_no_lead_leaves_out_members_who_only_view_accounts(world):
    db = world["db"]
    account = db.execute("SELECT id FROM accounts").fetchone()[0]
    viewer = users.create_user(db, world["admin"], "guest", "Guest Viewer", "password-1", "member")
    team.add_member(db, world["admin"], account, viewer.id, "viewer")
    before = [u["username"] for u in users.without_lead(db)]
    team.add_member(db, world["admin"], account, world["lead"].id, "delivery_manager")
    assert [u["username"] for u in users.without_lead(db)] == sorted([*before, "lead"],
                                                                      key=lambda n: {"peer": "Peer Member",
                                                                                     "lead": "Team Lead"}[n])
    assert "guest" not in before


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
    assert not any("Guest Viewer" in w.value for w in at_.warning), "a viewer keeps no rhythm: no lead needed"
    assert at_.selectbox(key="admin.edit.user").value == users.without_lead(db)[0]["id"], \
        "the editor opens on the first person the warning names"
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


def _screens(demo_path, lead: str) -> tuple[dict[str, int], dict[str, int]]:
    """The lead digest as My work shows it and as the rhythm page's lead tab shows it."""
    mine = signed_in_app(demo_path, lead, "pages/my_work.py")
    assert not mine.exception, mine.exception
    said = " ".join(a.value for a in [*mine.warning, *mine.info])
    found = re.search(r"(\d+) handed in late · (\d+) missing · (\d+) to review", said)
    on_my_work = dict(zip(("late", "missing", "to_review"), map(int, found.groups()), strict=True)) if found else {}
    rhythm = signed_in_app(demo_path, lead, "pages/rhythm.py")
    assert not rhythm.exception, rhythm.exception
    figures = {m.label: int(m.value) for m in rhythm.metric}
    on_rhythm = {"late": figures.get("Late"), "missing": figures.get("Missing"), "to_review": figures.get("To review")}
    return on_my_work, on_rhythm


def test_the_lead_digest_is_the_same_on_my_work_and_the_rhythm_page_and_a_hand_in_and_a_review_move_both(demo_path,
                                                                                                      demo_clock):
    db = store.connect(demo_path)
    chen = users.find_by_username(db, "chen.jie")
    before = entries.lead_digest(db, chen)
    assert _screens(demo_path, "chen.jie") == (before, before)

    member = signed_in_app(demo_path, "li.wei", "pages/rhythm.py")  # a member of chen.jie's team hands one in
    member.selectbox(key="rhythm.kind").set_value("weekly_plan")
    member.date_input(key="rhythm.day").set_value(clock.today() + timedelta(days=7))
    member.text_area(key="rhythm.body").set_value("Next week: Jiangnan tender review")
    member.button(key="rhythm.submit").click().run()
    assert not member.exception and not member.error, [e.value for e in member.error]
    handed_in = {**before, "to_review": before["to_review"] + 1}
    assert entries.lead_digest(db, chen) == handed_in
    assert _screens(demo_path, "chen.jie") == (handed_in, handed_in)

    lead = signed_in_app(demo_path, "chen.jie", "pages/rhythm.py")  # the lead reviews it on the rhythm page
    newest = max(r["id"] for r in entries.pending_reviews(db, chen))
    lead.selectbox(key="rhythm.review.pick").set_value(newest).run()
    assert "Next week: Jiangnan tender review" in [unescape(c.value) for c in lead.caption], "the text of the entry picked"
    lead.text_input(key="rhythm.review.note").input("Good plan")
    next(b for b in lead.button if b.label == "Mark reviewed").click().run()
    assert not lead.exception and not lead.error, [e.value for e in lead.error]
    assert store.row(db, "SELECT review_status, reviewed_by, review_note FROM rhythm_entries WHERE id = ?",
                     [newest]) == {"review_status": "reviewed", "reviewed_by": chen.id, "review_note": "Good plan"}
    assert _screens(demo_path, "chen.jie") == (before, before)
    db.close()


def test_a_second_entry_of_the_same_type_and_period_is_refused_naming_the_period_not_a_duplicate_record(world):
    db = world["db"]
    first = summary(world)
    count = db.execute("SELECT count(*) FROM rhythm_entries").fetchone()[0]
    with pytest.raises(ValidationError) as refused:
        summary(world, moment=at(20, 16))
    problem = refused.value.problems[0]
    assert problem.field == "period_start"
    assert "already handed in" in refused.value.message("en") and MON.isoformat() in refused.value.message("en")
    assert first["submitted_at"][:16].replace("T", " ") in refused.value.message("en")
    assert "already used by another record" not in refused.value.message("en")
    assert "已在" in refused.value.message("zh")
    assert db.execute("SELECT count(*) FROM rhythm_entries").fetchone()[0] == count


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_an_empty_war_rooms_admin_page_says_who_needs_a_lead_comes_first(tmp_path, monkeypatch, lang):
    path = tmp_path / "empty.db"
    db = store.connect(path)
    users.create_user(db, users.SYSTEM, "admin", "Admin", "admin-pass-1", "admin")
    db.close()
    monkeypatch.setenv(store.ENV_VAR, str(path))
    at_ = signed_in_app(path, "admin", "pages/admin.py", lang=lang)
    assert not at_.exception
    assert not at_.success or all("team lead" not in s.value and "团队负责人" not in s.value for s in at_.success), \
        "not 'every member has a team lead' when there is no member"
    said = " ".join(i.value for i in at_.info)
    assert ("No member works on an account team yet" in said) if lang == "en" else ("还没有成员加入" in said)
    assert slips(visible_text(at_)) == []


def test_a_daily_log_reaches_the_leads_review_list_as_the_rhythm_page_says(world):
    """D9 and the rhythm page: each entry — the daily log too — is reviewed by the team lead; daily logs
    never reached the lead's list."""
    db = world["db"]
    before = entries.pending_reviews(db, world["lead"])
    with clock.at(at(20, 18)):
        log = entries.write_entry(db, world["am"], {"kind": "daily_log", "period_start": MON + timedelta(days=4),
                                                    "body": "Visited the fab; the director wants a demo"})
    assert [r["id"] for r in entries.pending_reviews(db, world["lead"])] == [r["id"] for r in before] + [log["id"]]
    with clock.at(at(21, 9)):
        entries.review(db, world["lead"], log["id"], log["version"], "Book the demo")
    assert [r["id"] for r in entries.pending_reviews(db, world["lead"])] == [r["id"] for r in before]
