"""AppTest: the proposal war room on the demo, in both languages, and its refusals."""

from __future__ import annotations

import pytest

from tests.conftest import account_id, query_value, signed_in_app
from tests.proposals.screen_text import problems
from tests.visible_text import unescape

PAGE = "pages/proposal.py"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_live_tender_shows_its_countdown_in_both_languages(demo_path, lang):
    at = signed_in_app(demo_path, "li.wei", PAGE, account_id(demo_path, "Jiangnan Power Grid"), lang=lang)
    assert not at.exception, at.exception
    assert not problems(at), problems(at)
    assert at.error or at.warning, "the countdown to the deadline is shown"
    assert any(m.value == "3" for m in at.metric), "three open compliance items"


def test_an_account_without_proposals_says_what_to_do(demo_path):
    at = signed_in_app(demo_path, "li.wei", PAGE, account_id(demo_path, "Huaxin Semiconductor"))
    assert not at.exception and at.info
    assert not problems(at), problems(at)


def test_a_no_bid_without_reasons_is_refused_on_screen_and_nothing_is_written(demo_path):
    at = signed_in_app(demo_path, "li.wei", PAGE, account_id(demo_path, "Jiangnan Power Grid"))
    before = query_value(demo_path, "SELECT version FROM proposals WHERE decision = 'bid' AND outcome = 'open'")
    at.radio(key="proposal.head.decision").set_value("no_bid")
    at.text_area(key="proposal.head.reason").set_value("")
    next(b for b in at.button if b.label == "Save decision and dates").click().run()
    assert not at.exception
    assert any("no-bid needs its reasons" in unescape(e.value) for e in at.error), [e.value for e in at.error]
    assert query_value(demo_path, "SELECT version FROM proposals WHERE decision = 'bid' AND outcome = 'open'") == before


def test_adding_a_requirement_from_the_page(demo_path):
    at = signed_in_app(demo_path, "li.wei", PAGE, account_id(demo_path, "Jiangnan Power Grid"))
    before = query_value(demo_path, "SELECT count(*) FROM proposal_requirements")
    at.text_input(key="proposal.req.new.text").set_value("Warranty of five years")
    next(b for b in at.button if b.label == "Add requirement").click().run()
    assert any("needs an owner" in e.value for e in at.error), "no owner picked yet"
    assert query_value(demo_path, "SELECT count(*) FROM proposal_requirements") == before
    me = query_value(demo_path, "SELECT id FROM users WHERE username = 'li.wei'")
    at.selectbox(key="proposal.req.new.owner").set_value(me)
    next(b for b in at.button if b.label == "Add requirement").click().run()
    assert not at.exception and not any("owner" in e.value for e in at.error)
    assert query_value(demo_path, "SELECT count(*) FROM proposal_requirements WHERE owner_id = ? AND requirement = ?",
                       (me, "Warranty of five years")) == 1
