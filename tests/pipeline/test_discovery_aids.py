"""Needs discovery aids (D5): the account's iceberg, need vs want, the open/closed question funnel — kamcore,
the m019 migration of existing data, and the pages."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest
from sqlite_utils import Database

from db import MIGRATIONS
from kamcore import accounts, clock, product_lines, store, team, users
from kamcore.errors import ConflictError, NotFoundError, PermissionDenied, ValidationError
from kamcore.pipeline import discovery
from kamcore.pipeline import opportunities as opp
from tests.conftest import account_id, signed_in_app
from tests.visible_text import slips, visible_text


@pytest.fixture
def world(fresh_db, admin):
    """Two accounts, an account manager on the first, a viewer, one deal."""
    db = fresh_db
    first = accounts.create_account(db, admin, {"name": "Jiangnan", "industry": "Energy", "region": "East"})
    other = accounts.create_account(db, admin, {"name": "Pudong", "industry": "Manufacturing", "region": "East"})
    am = users.create_user(db, admin, "am.user", "Account Manager", "password-1", "member")
    viewer = users.create_user(db, admin, "viewer", "Viewer", "password-1", "member")
    team.add_member(db, admin, first["id"], am.id, "account_manager", first_responsible=True)
    team.add_member(db, admin, other["id"], am.id, "account_manager", first_responsible=True)
    team.add_member(db, admin, first["id"], viewer.id, "viewer")
    line = product_lines.create_product_line(db, admin, {"code": "IOT", "name": "IoT"})
    deal = opp.create_opportunity(db, am, {"account_id": first["id"], "product_line_id": line["id"],
                                           "name": "Phase two", "amount": 1000})
    return {"db": db, "am": am, "viewer": viewer, "a": first["id"], "b": other["id"], "deal": deal["id"]}


def count(db, table: str) -> int:
    return db.execute(f"SELECT count(*) FROM [{table}]").fetchone()[0]


# ---- the iceberg and need vs want ----------------------------------------------------------------


def test_the_iceberg_puts_what_the_customer_says_above_the_waterline_and_hidden_needs_beneath(world):
    db, am = world["db"], world["am"]
    hidden = discovery.add_account_need(db, am, world["a"], {"level": "implicit", "nature": "need",
                                                             "statement": "The reliability KPI slipped last summer"})
    discovery.add_need(db, am, world["deal"], {"level": "explicit", "statement": "Remote fault detection"})
    discovery.add_need(db, am, world["deal"], {"level": "criterion", "statement": "Total cost", "weight": 100})
    ice = discovery.iceberg(discovery.list_account_needs(db, am, world["a"]))
    assert [n["statement"] for n in ice["hidden"]] == [hidden["statement"]]
    assert len(ice["visible"]) == 2
    assert ice["only_the_tip"]  # one in three lies beneath: far from D5's ~90%
    assert ice["unjudged"] == 1  # the explicit need; the criterion is neither need nor want
    assert hidden["opportunity_id"] is None  # the account's own need, no deal serves it yet
    for statement in ("Crews are hard to hire", "Nobody owns a fault end to end"):
        discovery.add_account_need(db, am, world["a"], {"level": "implicit", "statement": statement})
    assert not discovery.iceberg(discovery.list_account_needs(db, am, world["a"]))["only_the_tip"]


def test_a_want_names_the_need_behind_it_and_a_want_without_one_is_flagged(world):
    db, am = world["db"], world["am"]
    need = discovery.add_account_need(db, am, world["a"], {"level": "implicit", "nature": "need",
                                                           "statement": "Fewer truck rolls"})
    want = discovery.add_need(db, am, world["deal"], {"level": "explicit", "nature": "want",
                                                      "statement": "Twice as many meter readers"})
    ice = discovery.iceberg(discovery.list_account_needs(db, am, world["a"]))
    assert [n["id"] for n in ice["wants_without_need"]] == [want["id"]]
    discovery.update_need(db, am, want["id"], want["version"], {"need_behind_id": need["id"]})
    rows = discovery.list_account_needs(db, am, world["a"])
    assert discovery.iceberg(rows)["wants_without_need"] == []
    assert next(r for r in rows if r["id"] == want["id"])["need_behind"] == "Fewer truck rolls"
    audited = db.execute("SELECT count(*) FROM audit_log WHERE entity = 'need' AND entity_id = ? AND action = 'update' "
                         "AND field = 'need_behind_id'", [want["id"]]).fetchone()[0]
    assert audited == 1


@pytest.mark.parametrize(("values", "field"), [
    ({"nature": "need"}, "need_behind_id"),  # only a want names the need behind it
    ({"nature": None}, "need_behind_id"),
    ({"nature": "sort-of"}, "nature"),
])
def test_a_need_behind_on_anything_but_a_want_is_refused_naming_the_field(world, values, field):
    db, am = world["db"], world["am"]
    need = discovery.add_account_need(db, am, world["a"], {"level": "implicit", "nature": "need", "statement": "x"})
    before = count(db, "needs")
    with pytest.raises(ValidationError) as caught:
        discovery.add_need(db, am, world["deal"], {"level": "explicit", "statement": "y",
                                                   "need_behind_id": need["id"], **values})
    assert field in [p.field for p in caught.value.problems]
    assert count(db, "needs") == before


def test_the_need_behind_a_want_is_a_need_of_the_same_account(world):
    db, am = world["db"], world["am"]
    elsewhere = discovery.add_account_need(db, am, world["b"], {"level": "implicit", "nature": "need",
                                                                "statement": "Another customer's need"})
    another_want = discovery.add_account_need(db, am, world["a"], {"level": "explicit", "nature": "want",
                                                                   "statement": "A dashboard"})
    before = count(db, "needs")
    for target in (elsewhere["id"], another_want["id"], 999_999):
        with pytest.raises(ValidationError) as caught:
            discovery.add_account_need(db, am, world["a"], {"level": "explicit", "nature": "want",
                                                            "statement": "More readers", "need_behind_id": target})
        assert caught.value.problems[0].field == "need_behind_id"
        assert "need (not a want) of this account" in caught.value.message("en")
        assert "该客户" in caught.value.message("zh")
    assert count(db, "needs") == before


def test_a_need_that_wants_point_to_stays_a_need(world):
    db, am = world["db"], world["am"]
    need = discovery.add_account_need(db, am, world["a"], {"level": "implicit", "nature": "need", "statement": "x"})
    discovery.add_account_need(db, am, world["a"], {"level": "explicit", "nature": "want", "statement": "y",
                                                    "need_behind_id": need["id"]})
    with pytest.raises(ValidationError) as caught:
        discovery.update_need(db, am, need["id"], need["version"], {"nature": "want"})
    assert caught.value.problems[0].field == "nature"
    assert discovery.list_account_needs(db, am, world["a"])[0]["nature"] == "need"


def test_judging_a_need_on_a_stale_version_is_refused(world):
    db, am = world["db"], world["am"]
    need = discovery.add_account_need(db, am, world["a"], {"level": "implicit", "statement": "x"})
    discovery.update_need(db, am, need["id"], need["version"], {"nature": "need"})
    with pytest.raises(ConflictError):
        discovery.update_need(db, am, need["id"], need["version"], {"nature": "want"})


def test_a_viewer_may_read_the_iceberg_but_not_record_a_need(world):
    db = world["db"]
    with pytest.raises(PermissionDenied):
        discovery.add_account_need(db, world["viewer"], world["a"], {"level": "implicit", "statement": "x"})
    assert discovery.list_account_needs(db, world["viewer"], world["a"]) == []
    with pytest.raises(NotFoundError):  # not on Pudong's team: a foreign account answers "not found"
        discovery.list_account_needs(db, world["viewer"], world["b"])


def test_an_explicit_need_on_a_deal_may_come_from_the_accounts_hidden_need(world):
    db, am = world["db"], world["am"]
    hidden = discovery.add_account_need(db, am, world["a"], {"level": "implicit", "statement": "x"})
    explicit = discovery.add_need(db, am, world["deal"], {"level": "explicit", "statement": "y",
                                                          "parent_id": hidden["id"]})
    assert explicit["parent_id"] == hidden["id"]
    elsewhere = discovery.add_account_need(db, am, world["b"], {"level": "implicit", "statement": "z"})
    with pytest.raises(ValidationError) as caught:
        discovery.add_need(db, am, world["deal"], {"level": "explicit", "statement": "w", "parent_id": elsewhere["id"]})
    assert caught.value.problems[0].field == "parent_id"


# ---- the question funnel ---------------------------------------------------------------------------


def q(part: str, form: str, position: int, qid: int | None = None) -> dict:
    return {"id": qid or position, "part": part, "form": form, "position": position, "question": f"{part} {form}"}


def test_a_preparation_that_opens_with_a_closed_question_is_flagged():
    funnel = discovery.question_funnel([q("problem", "open", 10), q("situation", "closed", 20)])
    assert funnel["starts_closed"] and not funnel["no_open"]
    assert [x["part"] for x in funnel["ordered"]] == ["situation", "problem"]  # SPIN order first


def test_a_preparation_with_no_open_question_is_flagged():
    funnel = discovery.question_funnel([q("situation", "closed", 10), q("problem", "closed", 10, 2)])
    assert funnel["no_open"] and funnel["starts_closed"]
    assert discovery.question_funnel([])["no_open"] is False


def test_a_broad_to_narrow_preparation_raises_nothing_and_a_widening_part_is_named():
    good = discovery.question_funnel([q("situation", "open", 10), q("situation", "closed", 20),
                                      q("problem", "open", 10, 3), q("problem", "closed", 20, 4)])
    assert (good["starts_closed"], good["no_open"], good["widens"]) == (False, False, [])
    bad = discovery.question_funnel([q("situation", "open", 10), q("problem", "closed", 10, 2),
                                     q("problem", "open", 20, 3)])
    assert bad["widens"] == ["problem"]


def test_questions_are_tagged_rows_ordered_broad_to_narrow_on_request(world):
    db, am = world["db"], world["am"]
    plan = discovery.add_spin_plan(db, am, world["deal"], {"visit_on": "2026-12-01"}, [
        {"part": "situation", "question": "Is the tender in March?", "form": "closed"},
        {"part": "situation", "question": "How do crews find faults today?", "form": "open"}])
    funnel = discovery.question_funnel(discovery.list_spin_questions(db, am, world["deal"])[plan["id"]])
    assert funnel["starts_closed"]
    assert discovery.order_broad_to_narrow(db, am, plan["id"]) == 2
    funnel = discovery.question_funnel(discovery.list_spin_questions(db, am, world["deal"])[plan["id"]])
    assert [x["form"] for x in funnel["ordered"]] == ["open", "closed"] and not funnel["starts_closed"]


@pytest.mark.parametrize(("values", "field"), [
    ({"part": "situation", "question": "How?", "form": "maybe"}, "form"),
    ({"part": "situation", "question": "How?"}, "form"),
    ({"part": "gossip", "question": "How?", "form": "open"}, "part"),
    ({"part": "problem", "question": "  ", "form": "open"}, "question"),
])
def test_a_bad_question_is_refused_naming_the_field_and_nothing_is_written(world, values, field):
    db, am = world["db"], world["am"]
    plan = discovery.add_spin_plan(db, am, world["deal"], {})
    before = count(db, "spin_questions")
    with pytest.raises(ValidationError) as caught:
        discovery.add_spin_question(db, am, plan["id"], values)
    assert field in [p.field for p in caught.value.problems]
    assert count(db, "spin_questions") == before


def test_a_plan_with_a_bad_question_is_not_written_at_all(world):
    db, am = world["db"], world["am"]
    before = count(db, "spin_plans")
    with pytest.raises(ValidationError):
        discovery.add_spin_plan(db, am, world["deal"], {}, [{"part": "situation", "question": "Who?", "form": "open"},
                                                            {"part": "problem", "question": "Why?"}])
    assert count(db, "spin_plans") == before and count(db, "spin_questions") == 0


def test_a_viewer_may_not_add_questions(world):
    db = world["db"]
    plan = discovery.add_spin_plan(db, world["am"], world["deal"], {})
    with pytest.raises(PermissionDenied):
        discovery.add_spin_question(db, world["viewer"], plan["id"], {"part": "situation", "question": "x",
                                                                      "form": "open"})


# ---- m019 on existing data -------------------------------------------------------------------------


def test_m019_keeps_existing_needs_and_turns_spin_lines_into_tagged_questions():
    conn = sqlite3.connect(":memory:")
    conn.execute("PRAGMA foreign_keys = ON")
    db = Database(conn)
    MIGRATIONS.apply(db, stop_before="m019_discovery_aids_team_leads")
    now = "2026-01-01T00:00:00+00:00"
    stamps = {"created_at": now, "updated_at": now}
    db["users"].insert({"id": 1, "username": "a", "display_name": "A", "password_hash": "x", **stamps})
    db["accounts"].insert({"id": 1, "name": "Acc", "industry": "i", "region": "r", **stamps})
    db["product_lines"].insert({"id": 1, "code": "IOT", "name": "IoT", **stamps})
    db["opportunities"].insert({"id": 1, "account_id": 1, "product_line_id": 1, "number": "IOT-1", "name": "d",
                                "stage": "lead", **stamps})
    db["needs"].insert({"id": 1, "account_id": 1, "opportunity_id": 1, "level": "implicit", "statement": "s",
                        "version": 3, **stamps})
    db["needs"].insert({"id": 2, "account_id": 1, "opportunity_id": 1, "level": "explicit", "statement": "t",
                        "parent_id": 1, **stamps})
    db["spin_plans"].insert({"id": 1, "account_id": 1, "opportunity_id": 1, "updated_by": 1, **stamps,
                             "situation": "How do you work today?\n- Do you use SAP?",
                             "problem": "预算批了吗？\n为什么故障发现得晚？"})
    MIGRATIONS.apply(db)
    needs = {r["id"]: r for r in db["needs"].rows}
    assert (needs[1]["version"], needs[2]["parent_id"], needs[2]["nature"]) == (3, 1, None)
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    questions = [(r["part"], r["position"], r["question"], r["form"])
                 for r in db.query("SELECT * FROM spin_questions ORDER BY id")]
    assert questions == [("situation", 10, "How do you work today?", "open"),
                         ("situation", 20, "Do you use SAP?", "closed"),
                         ("problem", 10, "预算批了吗？", "closed"),
                         ("problem", 20, "为什么故障发现得晚？", "open")]
    assert db.execute("SELECT situation, problem FROM spin_plans").fetchone() == ("", "")
    db.execute("INSERT INTO needs (account_id, level, statement, created_at, updated_at) "
               "VALUES (1, 'implicit', 'account-level', ?, ?)", [now, now])  # the deal may now be empty


# ---- pages -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_iceberg_page_shows_jiangnans_waterline_in_both_languages(demo_path, lang):
    at = signed_in_app(demo_path, "li.wei", "pages/needs.py", account_id(demo_path, "Jiangnan Power Grid"), lang=lang)
    assert not at.exception, at.exception
    assert slips(visible_text(at)) == []
    assert len(at.tabs[0].get("vega_lite_chart")) == 1, "the iceberg chart is drawn"
    assert len(at.tabs[1].get("vega_lite_chart")) == 1, "the SPIN tab draws the picked plan's question funnel"
    warned = " ".join(w.value for w in at.warning)
    assert ("beneath the waterline" in warned) if lang == "en" else ("水面之下" in warned)
    assert "dashboard screen" in warned  # the want with no need behind it


def test_recording_an_account_need_on_the_page_writes_it_and_a_blank_one_is_refused(demo_path):
    aid = account_id(demo_path, "Jiangnan Power Grid")
    at = signed_in_app(demo_path, "li.wei", "pages/needs.py", aid)
    db = store.connect(demo_path)
    before = db.execute("SELECT count(*) FROM needs WHERE account_id = ?", [aid]).fetchone()[0]
    next(b for b in at.button if b.label == "Record a need").click().run()
    assert any("Statement" in e.value for e in at.error), [e.value for e in at.error]
    assert db.execute("SELECT count(*) FROM needs WHERE account_id = ?", [aid]).fetchone()[0] == before
    at.text_input(key="needs.new.statement").input("Regulators will audit outage reporting next year")
    at.selectbox(key="needs.new.nature").set_value("need")
    next(b for b in at.button if b.label == "Record a need").click().run()
    assert not at.exception and not at.error
    row = db.execute("SELECT opportunity_id, level, nature FROM needs WHERE account_id = ? ORDER BY id DESC LIMIT 1",
                     [aid]).fetchone()
    assert row == (None, "implicit", "need")


def test_the_needs_pages_spin_tab_prepares_a_visit_and_adds_questions_to_its_funnel(demo_path, demo_clock):
    aid = account_id(demo_path, "Jiangnan Power Grid")
    db = store.connect(demo_path)
    user = users.find_by_username(db, "li.wei")
    before = discovery.account_spin_plans(db, user, aid)
    at = signed_in_app(demo_path, "li.wei", "pages/needs.py", aid)
    assert at.selectbox(key="needs.spin.plan").value == before[0]["id"]
    deal = at.selectbox(key="needs.spin.new.deal").value
    at.date_input(key="needs.spin.new.visit").set_value(clock.today() + timedelta(days=9))
    next(b for b in at.button if b.label == "Prepare SPIN plan").click().run()
    assert not at.exception and not at.error
    after = discovery.account_spin_plans(db, user, aid)
    (made,) = [p for p in after if p["id"] not in {b["id"] for b in before}]
    assert (made["opportunity_id"], made["questions"]) == (deal, [])
    assert at.selectbox(key="needs.spin.plan").value == made["id"], "the new plan is the one on screen"
    assert any("add the first one below" in i.value for i in at.tabs[1].info)
    key = f"needs.spin.{made['id']}"
    at.text_input(key=f"{key}.question").input("Is the budget approved?")
    at.radio(key=f"{key}.form").set_value("closed")
    next(b for b in at.button if b.label == "Add question" and b.form_id == f"{key}.new").click().run()
    assert not at.exception and not at.error
    questions = discovery.account_spin_plans(db, user, aid)
    assert [(q["question"], q["form"]) for p in questions if p["id"] == made["id"] for q in p["questions"]] == \
        [("Is the budget approved?", "closed")]
    assert "The preparation starts with a closed question: open with a broad, open one." in \
        [w.value for w in at.tabs[1].warning]
    assert at.text_input(key=f"{key}.question").value == "", "a fresh box for the next question"


@pytest.fixture
def fresh_path(tmp_path, monkeypatch):
    """A war room with an administrator and one account, nothing else (selected through $KAM_DB)."""
    path = tmp_path / "fresh.db"
    db = store.connect(path)
    boss = users.create_user(db, users.SYSTEM, "admin", "Admin", "admin-pass-1", "admin")
    accounts.create_account(db, boss, {"name": "Jiangnan", "industry": "Energy", "region": "East"})
    db.close()
    monkeypatch.setenv(store.ENV_VAR, str(path))
    return path


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_spin_tab_of_an_account_with_no_deal_says_to_open_one_first(fresh_path, lang):
    at = signed_in_app(fresh_path, "admin", "pages/needs.py", 1, lang=lang)
    assert not at.exception
    said = " ".join(i.value for i in at.tabs[1].info)
    assert ("no open deal yet" in said) if lang == "en" else ("还没有进行中的商机" in said)
    assert slips(visible_text(at)) == []


def test_the_spin_tab_warns_when_a_preparation_starts_closed(demo_path, demo_clock):
    aid = account_id(demo_path, "Jiangnan Power Grid")
    db = store.connect(demo_path)
    deal = db.execute("SELECT id FROM opportunities WHERE name LIKE '%phase two%'").fetchone()[0]
    at = signed_in_app(demo_path, "li.wei", "pages/opportunities.py", aid)
    at.selectbox(key="opp.pick").set_value(deal).run()
    warned = [w.value for w in at.warning]
    assert warned.count("The preparation starts with a closed question: open with a broad, open one.") == 1
    at.date_input(key="opp.spin.visit").set_value(clock.today() + timedelta(days=20))
    next(b for b in at.button if b.label == "Prepare SPIN plan").click().run()
    plan = db.execute("SELECT max(id) FROM spin_plans WHERE opportunity_id = ?", [deal]).fetchone()[0]
    at.text_input(key=f"opp.spin.{plan}.question").input("Is the budget approved?")
    at.radio(key=f"opp.spin.{plan}.form").set_value("closed")
    next(b for b in at.button if b.label == "Add question" and b.form_id == f"opp.spin.{plan}.new").click().run()
    assert not at.exception
    forms = db.execute("SELECT form FROM spin_questions WHERE spin_plan_id = ?", [plan]).fetchall()
    assert forms == [("closed",)]
    assert [w.value for w in at.warning].count(
        "The preparation starts with a closed question: open with a broad, open one.") == 2


def test_the_visits_tab_warns_about_a_coming_visit_whose_questions_open_closed(demo_path):
    at = signed_in_app(demo_path, "li.wei", "pages/relationships.py", account_id(demo_path, "Jiangnan Power Grid"))
    assert not at.exception
    assert any(w.value.endswith("The preparation starts with a closed question: open with a broad, open one.")
               for w in at.warning)
