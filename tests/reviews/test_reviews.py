"""Customer reviews (QBR): delivered vs goals, commitments due, escaped print export, the page."""

from __future__ import annotations

from datetime import date

import pytest

from kamcore import store, users
from kamcore.errors import ValidationError
from kamcore.plan import goals
from kamcore.reviews import qbr
from tests.conftest import account_id, query, query_value, signed_in_app
from tests.forms import field, fields
from tests.managed_account import managed_account
from tests.proposals.screen_text import problems

HOSTILE = "<script>alert('x')</script>"


@pytest.fixture
def world(fresh_db, admin):
    db = fresh_db
    account, am = managed_account(db, admin, "Pearl <River> Bank", "Finance", "South", currency="CNY")
    goals.create_goal(db, am, {"account_id": account, "year": 2026, "quadrant": "financial",
                               "metric": "revenue", "target": 1000, "actual": 800, "owner_id": am.id})
    review = qbr.create_qbr(db, am, {"account_id": account, "title": "Q3 review", "year": 2026, "quarter": 3,
                                     "meeting_on": "2026-10-15"})
    return {"db": db, "am": am, "account": account, "review": review}


def test_a_new_review_starts_from_the_usual_agenda_and_shows_delivery_against_goals(world):
    assert "Commitments on both sides" in world["review"]["agenda"]
    rows = qbr.delivered(world["db"], world["am"], world["review"])
    assert [(r["metric"], r["attainment"], r["currency"]) for r in rows] == [("revenue", 0.8, "CNY")]


def test_commitments_due_for_the_agenda(world):
    db, am, review = world["db"], world["am"], world["review"]
    before = qbr.commitments_due(db, [world["account"]], date(2026, 11, 23))
    qbr.add_commitment(db, am, review["id"], {"side": "customer", "text": "Rollout calendar", "owner": "IT head",
                                              "due_on": "2026-11-20"})
    qbr.add_commitment(db, am, review["id"], {"side": "us", "text": "CSV export", "owner": "Zhao",
                                              "due_on": "2027-03-01"})
    due = qbr.commitments_due(db, [world["account"]], date(2026, 11, 23))
    assert len(due) == len(before) + 1 and due[-1]["overdue"] and due[-1]["text"] == "Rollout calendar"


def test_a_commitment_needs_an_owner_and_a_date(world):
    with pytest.raises(ValidationError) as err:
        qbr.add_commitment(world["db"], world["am"], world["review"]["id"], {"side": "us", "text": "X", "owner": ""})
    assert {p.field for p in err.value.problems} == {"owner", "due_on"}


def test_the_print_export_escapes_every_user_text(world):
    db, am, review = world["db"], world["am"], world["review"]
    review = qbr.update_qbr(db, am, review["id"], review["version"], {"complaints": HOSTILE, "strengths": HOSTILE})
    qbr.add_commitment(db, am, review["id"], {"side": "us", "text": HOSTILE, "owner": HOSTILE, "due_on": "2026-12-01"})
    page = qbr.export_html(db, am, review["id"], "zh")
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "Pearl &lt;River&gt; Bank" in page and "投诉" in page


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_page_in_both_languages(demo_path, lang):
    at = signed_in_app(demo_path, "li.wei", "pages/reviews.py", account_id(demo_path, "Jiangnan Power Grid"), lang=lang)
    assert not at.exception, at.exception
    assert not problems(at), problems(at)
    assert at.warning, "open commitments due soon are pointed out"
    assert len(at.dataframe) == 2


def test_an_account_without_reviews_says_what_to_do(demo_path):
    at = signed_in_app(demo_path, "li.wei", "pages/reviews.py", account_id(demo_path, "Huaxin Semiconductor"))
    assert not at.exception and at.info


def test_adding_a_commitment_without_owner_on_the_page_writes_nothing(demo_path):
    at = signed_in_app(demo_path, "li.wei", "pages/reviews.py", account_id(demo_path, "Jiangnan Power Grid"))
    db = store.connect(demo_path)
    before = db.execute("SELECT count(*) FROM qbr_commitments").fetchone()[0]
    field(at, f"qbr.new_c.{at.session_state['qbr.pick']}", "text").set_value("Quarterly alarm report")
    next(b for b in at.button if b.label == "Add commitment").click().run()
    assert any("Owner" in e.value for e in at.error), [e.value for e in at.error]
    assert db.execute("SELECT count(*) FROM qbr_commitments").fetchone()[0] == before
    db.close()


def _jiangnan_review(demo_path):
    at = signed_in_app(demo_path, "li.wei", "pages/reviews.py", account_id(demo_path, "Jiangnan Power Grid"))
    return at, at.session_state["qbr.pick"]


def test_saving_only_the_agenda_writes_only_the_agenda(demo_path):
    at, chosen = _jiangnan_review(demo_path)
    db = store.connect(demo_path)
    db.execute("UPDATE qbrs SET satisfaction = NULL WHERE id = ?", [chosen])  # as a review nobody scored yet
    db.close()
    at.run()
    before = query_value(demo_path, "SELECT coalesce(max(id), 0) FROM audit_log")
    field(at, "qbr.voice", "agenda").set_value("1. Delivery\n2. Next quarter")
    next(b for b in at.button if b.label == "Save review" and "qbr.voice" in b.id).click().run()
    assert not at.exception, at.exception
    assert query(demo_path, "SELECT field FROM audit_log WHERE id > ?", [before]) == [("agenda",)]
    assert query_value(demo_path, "SELECT satisfaction FROM qbrs WHERE id = ?", [chosen]) is None
    db = store.connect(demo_path)
    printout = qbr.export_html(db, users.find_by_username(db, "li.wei"), chosen)
    db.close()
    assert "/ 10" not in printout, "the printout says no satisfaction was given"


def test_a_commitment_added_empties_the_form_and_the_same_one_again_is_refused(demo_path):
    at, chosen = _jiangnan_review(demo_path)
    before = query_value(demo_path, "SELECT count(*) FROM qbr_commitments")

    def add():
        key = f"qbr.new_c.{chosen}"
        field(at, key, "text").set_value("Quarterly alarm report")
        field(at, key, "owner").set_value("Zhao Lei")
        field(at, key, "due_on").set_value(date(2026, 12, 18))
        next(b for b in at.button if b.label == "Add commitment").click().run()
        assert not at.exception, at.exception

    add()
    assert query_value(demo_path, "SELECT count(*) FROM qbr_commitments") == before + 1
    assert {name: w.value for name, w in fields(at, f"qbr.new_c.{chosen}").items()
            if name != "side"} == {"text": "", "owner": "", "due_on": None}, "the form is empty after the add"
    add()
    assert query_value(demo_path, "SELECT count(*) FROM qbr_commitments") == before + 1
    assert any("You just added exactly this" in w.value for w in at.warning)


def test_the_printout_names_product_lines_and_says_each_goal_once(demo_path):
    db = store.connect(demo_path)
    li = users.find_by_username(db, "li.wei")
    jiangnan = account_id(demo_path, "Jiangnan Power Grid")
    review = qbr.list_qbrs(db, li, jiangnan)[0]
    rows = qbr.delivered(db, li, review)
    printout = qbr.export_html(db, li, review["id"])
    db.close()
    codes = [c for (c,) in query(demo_path, "SELECT code FROM product_lines")]
    lined = [r for r in rows if r["product_line"]]
    assert lined, "the demo review has a product-line goal"
    assert all(r["product_line"] not in codes for r in lined)
    assert not any(f"{m} {c}" in printout for m in ("Orders", "Revenue") for c in codes)
    assert "<th>Measure</th>" not in printout
