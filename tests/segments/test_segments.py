"""Segments: weights add up to 100, scores per supplier, membership, and the page in both languages."""

from __future__ import annotations

import pytest

from kamcore import store
from kamcore.errors import PermissionDenied, ValidationError
from kamcore.segments import values
from tests.conftest import account_id, signed_in_app
from tests.managed_account import managed_account, member
from tests.proposals.screen_text import problems
from tests.visible_text import unescape

WEIGHTS = {"w_price": 40, "w_quality": 20, "w_performance": 10, "w_lead_time": 10, "w_delivery_accuracy": 10,
           "w_technical_support": 10}


@pytest.fixture
def world(fresh_db, admin):
    db = fresh_db
    account, am = managed_account(db, admin, "Lingang", "Metals", "SH")
    outsider = member(db, admin, "outsider", "Outsider")
    return {"db": db, "am": am, "outsider": outsider, "account": account}


def test_weights_that_do_not_add_up_are_refused_and_nothing_is_written(world):
    with pytest.raises(ValidationError) as err:
        values.create_segment(world["db"], world["am"], {"name": "Tender-driven", **WEIGHTS, "w_price": 45})
    assert "add up to 100 (now 105)" in err.value.message("en")
    assert "合计必须为 100" in err.value.message("zh")
    assert values.list_segments(world["db"]) == []


def test_someone_off_every_team_may_not_define_segments(world):
    with pytest.raises(PermissionDenied):
        values.create_segment(world["db"], world["outsider"], {"name": "X", **WEIGHTS})


def test_weighted_scores_and_the_edge(world):
    db, am = world["db"], world["am"]
    seg = values.create_segment(db, am, {"name": "Under-served", **WEIGHTS, "w_price": 20, "w_technical_support": 30})
    values.set_scores(db, am, seg["id"], "Us", dict.fromkeys(values.FACTORS, 8) | {"price": 5}, is_us=True)
    values.set_scores(db, am, seg["id"], "Rival B", dict.fromkeys(values.FACTORS, 6) | {"price": 9})
    ranked = values.weighted_scores(db, seg["id"])
    assert ranked[0]["name"] == "Us" and ranked[0]["weighted"] == 7.4
    assert values.edge(db, seg["id"]) == ["quality", "technical_support"]
    values.set_scores(db, am, seg["id"], "Rival B", dict.fromkeys(values.FACTORS, 9))  # an update, not a new row
    assert len(values.scores(db, seg["id"])) == 2 and values.edge(db, seg["id"]) == []
    assert len(values.comparison(db, seg["id"])) == 12


def test_an_account_belongs_to_one_segment(world):
    db, am = world["db"], world["am"]
    a = values.create_segment(db, am, {"name": "A", **WEIGHTS})
    b = values.create_segment(db, am, {"name": "B", **WEIGHTS})
    values.assign(db, am, world["account"], a["id"])
    values.assign(db, am, world["account"], b["id"])
    assert values.segment_of(db, am, world["account"]) == b["id"]
    assert values.accounts_in(db, am, b["id"]) == ["Lingang"] and values.accounts_in(db, am, a["id"]) == []


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_page_shows_the_accounts_segment_with_its_chart(demo_path, lang):
    at = signed_in_app(demo_path, "li.wei", "pages/segments.py", account_id(demo_path, "Jiangnan Power Grid"),
                       lang=lang)
    assert not at.exception, at.exception
    assert not problems(at), problems(at)
    assert unescape(at.subheader[0].value) == "Tender-driven"
    assert at.get("vega_lite_chart"), "the comparison chart is drawn"


def test_weights_off_100_on_the_page_show_the_reason_and_write_nothing(demo_path):
    at = signed_in_app(demo_path, "li.wei", "pages/segments.py", account_id(demo_path, "Jiangnan Power Grid"))
    db = store.connect(demo_path)
    before = db.execute("SELECT version FROM segments WHERE name = 'Tender-driven'").fetchone()[0]
    seg = db.execute("SELECT id FROM segments WHERE name = 'Tender-driven'").fetchone()[0]
    at.number_input(key=f"segments.edit.{seg}.w.price").set_value(60)
    next(b for b in at.button if b.label == "Save segment").click().run()
    assert any("add up to 100" in e.value for e in at.error), [e.value for e in at.error]
    assert db.execute("SELECT version FROM segments WHERE name = 'Tender-driven'").fetchone()[0] == before
    db.close()
