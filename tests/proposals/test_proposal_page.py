"""AppTest: the proposal war room on the demo, in both languages, and its refusals."""

from __future__ import annotations

import pytest

from tests.conftest import account_id, query, query_value, signed_in_app
from tests.forms import field, fields, shown
from tests.proposals.screen_text import problems
from tests.visible_text import unescape

PAGE = "pages/proposal.py"


def _new_req(at) -> str:
    return f"proposal.req.new.{at.session_state['proposal.pick']}"


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
    field(at, "proposal.head", "decision").set_value("no_bid")
    field(at, "proposal.head", "decision_reason").set_value("")
    next(b for b in at.button if b.label == "Save decision and dates").click().run()
    assert not at.exception
    assert any("no-bid needs its reasons" in unescape(e.value) for e in at.error), [e.value for e in at.error]
    assert query_value(demo_path, "SELECT version FROM proposals WHERE decision = 'bid' AND outcome = 'open'") == before


def test_adding_a_requirement_from_the_page(demo_path):
    at = signed_in_app(demo_path, "li.wei", PAGE, account_id(demo_path, "Jiangnan Power Grid"))
    before = query_value(demo_path, "SELECT count(*) FROM proposal_requirements")
    field(at, _new_req(at), "requirement").set_value("Warranty of five years")
    next(b for b in at.button if b.label == "Add requirement").click().run()
    assert any("needs an owner" in e.value for e in at.error), "no owner picked yet"
    assert query_value(demo_path, "SELECT count(*) FROM proposal_requirements") == before
    me = query_value(demo_path, "SELECT id FROM users WHERE username = 'li.wei'")
    field(at, _new_req(at), "owner_id").set_value(me)
    next(b for b in at.button if b.label == "Add requirement").click().run()
    assert not at.exception and not any("owner" in e.value for e in at.error)
    assert query_value(demo_path, "SELECT count(*) FROM proposal_requirements WHERE owner_id = ? AND requirement = ?",
                       (me, "Warranty of five years")) == 1


def test_change_a_step_shows_the_stored_owner_and_due_date(demo_path):
    at = signed_in_app(demo_path, "li.wei", PAGE, account_id(demo_path, "Jiangnan Power Grid"))
    proposal = at.session_state["proposal.pick"]
    steps = query(demo_path, "SELECT s.id, u.display_name, s.due_on FROM proposal_steps s JOIN users u "
                             "ON u.id = s.owner_id WHERE s.proposal_id = ? AND s.due_on IS NOT NULL", [proposal])
    assert steps, "the demo tender has steps with an owner and a due date"
    step_id, owner, due = steps[-1]
    at.selectbox(key="proposal.step.id").set_value(step_id).run()
    at.run()  # also as a browser drawing the form only now sees it
    drawn = fields(at, "proposal.step")
    assert shown(drawn["owner_id"]) == owner
    assert shown(drawn["due_on"]) == str(due)[:10]


def test_a_requirement_added_empties_the_form_and_the_same_one_again_is_refused(demo_path):
    at = signed_in_app(demo_path, "li.wei", PAGE, account_id(demo_path, "Jiangnan Power Grid"))
    me = query_value(demo_path, "SELECT id FROM users WHERE username = 'li.wei'")
    before = query_value(demo_path, "SELECT count(*) FROM proposal_requirements")

    def add():
        field(at, _new_req(at), "requirement").set_value("Warranty of five years")
        field(at, _new_req(at), "owner_id").set_value(me)
        next(b for b in at.button if b.label == "Add requirement").click().run()
        assert not at.exception, at.exception

    add()
    assert query_value(demo_path, "SELECT count(*) FROM proposal_requirements") == before + 1
    assert field(at, _new_req(at), "requirement").value == "", "the form is empty after the add"
    add()
    assert query_value(demo_path, "SELECT count(*) FROM proposal_requirements") == before + 1
    assert any("You just added exactly this" in w.value for w in at.warning)


def test_the_pickers_speak_the_language_switched_to(demo_path):
    at = signed_in_app(demo_path, "li.wei", PAGE, account_id(demo_path, "Jiangnan Power Grid"))
    at.session_state["lang"] = "zh"
    at.run()
    for key in ("proposal.pick", "proposal.step.id"):
        picker = at.selectbox(key=key)
        assert picker.proto.set_value and picker.proto.raw_value in picker.proto.options, \
            f"{key}: the browser is sent the choice in 中文, not left on its English label"
        assert "Open" not in picker.proto.raw_value and "Bid" not in picker.proto.raw_value
