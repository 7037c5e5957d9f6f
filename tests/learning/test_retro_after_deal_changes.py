"""Issue 20 item 16: a retrospective stays editable after its deal is reopened or deleted (the review
records the outcome as it was; the deal's later life does not lock it)."""

import pytest

from kamcore.errors import ValidationError
from kamcore.learning import retrospectives
from kamcore.pipeline import opportunities
from tests.forms import field
from tests.learning.test_retrospectives import closed, world

__all__ = ["world"]  # the fixture, re-exported for pytest


@pytest.fixture
def review(world):
    deal = closed(world, "lost")
    retro = retrospectives.create_retrospective(world["db"], world["am"], {
        "account_id": world["account"], "opportunity_id": deal["id"]})
    return deal, retro


def test_a_review_stays_editable_after_its_deal_is_reopened(world, review):
    deal, retro = review
    opportunities.reopen_opportunity(world["db"], world["am"], deal["id"], deal["version"])
    saved = retrospectives.update_retrospective(world["db"], world["am"], retro["id"], retro["version"],
                                                {"summary": "Price was not the real reason"})
    assert saved["summary"] == "Price was not the real reason" and saved["version"] == retro["version"] + 1


def test_a_review_stays_editable_after_its_deal_is_deleted(world, review):
    deal, retro = review
    current = opportunities.get_opportunity(world["db"], world["am"], deal["id"])
    opportunities.delete_opportunity(world["db"], world["am"], deal["id"], current["version"])
    saved = retrospectives.update_retrospective(world["db"], world["am"], retro["id"], retro["version"],
                                                {"summary": "Lessons stand even if the deal row is gone"})
    assert saved["version"] == retro["version"] + 1
    shown = retrospectives.get_retrospective(world["db"], world["am"], retro["id"])
    assert shown["summary"].startswith("Lessons stand")


def test_relinking_a_review_is_still_checked_against_the_deal_as_it_is_now(world, review):
    deal, retro = review
    opportunities.reopen_opportunity(world["db"], world["am"], deal["id"], deal["version"])
    with pytest.raises(ValidationError) as refused:  # claiming another outcome for the now-open deal
        retrospectives.update_retrospective(world["db"], world["am"], retro["id"], retro["version"],
                                            {"result": "won"})
    assert refused.value.problems[0].field in ("review_type", "result")


@pytest.mark.parametrize("what", ["reopened", "deleted"])
def test_on_the_page_a_review_is_saved_after_its_deal_was(demo_path, what):
    from kamcore import store, users
    from tests.conftest import account_id, signed_in_app
    from tests.visible_text import slips, visible_text

    huaxin = account_id(demo_path, "Huaxin Semiconductor")
    db = store.connect(demo_path)
    li = users.find_by_username(db, "li.wei")
    deal_id = db.execute("SELECT id FROM opportunities WHERE account_id = ? AND status != 'open' ORDER BY id",
                         [huaxin]).fetchone()[0]
    retro = retrospectives.create_retrospective(db, li, {"account_id": huaxin, "opportunity_id": deal_id})
    deal = opportunities.get_opportunity(db, li, deal_id)
    if what == "reopened":
        opportunities.reopen_opportunity(db, li, deal_id, deal["version"])
    else:
        opportunities.delete_opportunity(db, li, deal_id, deal["version"])
    at = signed_in_app(demo_path, "li.wei", "pages/retrospectives.py", huaxin)
    at.query_params["retro"] = str(retro["id"])
    at.run()
    assert not at.exception, at.exception
    field(at, f"retro.head.{retro['id']}", "summary").input(f"Written after the deal was {what}")
    next(b for b in at.button if b.label == "Save" and f"retro.head.form.{retro['id']}" in b.id).click().run()
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    saved = retrospectives.get_retrospective(db, li, retro["id"])
    assert saved["summary"] == f"Written after the deal was {what}" and saved["version"] == retro["version"] + 1
    assert not slips(visible_text(at)), slips(visible_text(at))
