"""Customer reviews (QBR): delivered vs goals, commitments due, escaped print export, the page."""

from __future__ import annotations

from datetime import date

import pytest

from kamcore import store
from kamcore.errors import ValidationError
from kamcore.plan import goals
from kamcore.reviews import qbr
from tests.conftest import account_id, signed_in_app
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
    at.text_input(key="qbr.new_c.text").set_value("Quarterly alarm report")
    next(b for b in at.button if b.label == "Add commitment").click().run()
    assert any("Owner" in e.value for e in at.error), [e.value for e in at.error]
    assert db.execute("SELECT count(*) FROM qbr_commitments").fetchone()[0] == before
    db.close()
