"""The one relationship scale (D4): stance is the label of the score, and every screen counts the same way."""

from __future__ import annotations

import pytest

from kamcore import users
from kamcore.decision_chain import coverage, scale
from kamcore.decision_chain import relationship_map as rm
from kamcore.decision_chain import stakeholders as sh
from kamcore.errors import ValidationError
from kamcore.portfolio import overview
from tests.decision_chain.stakeholder_world import make_world


@pytest.fixture
def w(fresh_db, admin):
    return make_world(fresh_db, admin)


@pytest.mark.parametrize(("stance", "score"), [("neutral", 1), ("supporter", 3), ("coach", 2), ("blocker", 0),
                                               ("opponent", 1), ("supporter", -1)])
def test_a_pair_the_scale_does_not_allow_is_refused_and_nothing_is_written(w, stance, score):
    before = w.db.execute("SELECT count(*) FROM stakeholders").fetchone()[0]
    with pytest.raises(ValidationError) as caught:
        w.person("x", stance=stance, score=score)
    assert caught.value.problems[0].field == "stance"
    assert "score" in caught.value.message("en") and "分" in caught.value.message("zh")
    assert w.db.execute("SELECT count(*) FROM stakeholders").fetchone()[0] == before


def test_changing_one_brings_the_other_along_and_an_explicit_mismatch_is_refused(w):
    p = w.person("p", stance="neutral", score=0)
    p = sh.update_stakeholder(w.db, w.am, p["id"], p["version"], {"score": 3})
    assert (p["stance"], p["score"]) == ("coach", 3)
    p = sh.update_stakeholder(w.db, w.am, p["id"], p["version"], {"stance": "blocker"})
    assert (p["stance"], p["score"]) == ("blocker", -1)
    p = sh.update_stakeholder(w.db, w.am, p["id"], p["version"], {"score": -1})  # blocker stays blocker at -1
    assert p["stance"] == "blocker"
    with pytest.raises(ValidationError):
        sh.update_stakeholder(w.db, w.am, p["id"], p["version"], {"stance": "coach", "score": 1})
    assert w.fresh("p")["version"] == p["version"]


def test_counts_follow_the_score(w):
    for key, stance, score in [("a", "coach", 3), ("b", "supporter", 2), ("c", "supporter", 1), ("d", "neutral", 0),
                               ("e", "opponent", -1), ("f", "blocker", -1)]:
        w.person(key, stance=stance, score=score)
    counts = scale.stance_counts(w.db, [w.a, w.b])
    assert counts[w.a] == {"coach": 1, "supporter": 2, "neutral": 1, "opponent": 1, "blocker": 1, "supportive": 3,
                           "total": 6}
    assert counts[w.b]["total"] == 0


def _screens(db, actor, account_id):
    """The supportive / coach / hostile numbers each screen shows for one account."""
    card = overview.account_card(db, actor, account_id)["relationships"]
    legend = rm.map_data(db, actor, account_id)["counts"]
    people = sh.list_stakeholders(db, actor, account_id, limit=10_000)
    table = scale.count_people(people)
    flagged_single = any(f.kind == "single_threaded" and f.opportunity_id is None
                         for f in coverage.account_flags(db, account_id))
    no_coach = any(f.kind == "no_coach" for f in coverage.account_flags(db, account_id))
    return card, legend, table, flagged_single, no_coach


def test_every_screen_counts_the_same_on_the_demo(demo_db):
    admin = users.find_by_username(demo_db, "admin")
    ids = [r[0] for r in demo_db.execute("SELECT id FROM accounts ORDER BY id")]
    counts = scale.stance_counts(demo_db, ids)
    checked = 0
    for account_id in ids:
        card, legend, table, single, no_coach = _screens(demo_db, admin, account_id)
        one = counts[account_id]
        assert card["supportive"] == legend["supportive"] == table["supportive"] == one["supportive"], account_id
        assert legend == table == one
        if one["total"]:
            assert single == (one["supportive"] == 1)
            assert no_coach == (one["coach"] == 0)
            checked += 1
    assert checked >= 10
    # the demo holds no pair off the scale
    assert demo_db.execute("""SELECT count(*) FROM stakeholders WHERE NOT (
        (score = 3 AND stance = 'coach') OR (score IN (1, 2) AND stance = 'supporter') OR
        (score = 0 AND stance = 'neutral') OR (score = -1 AND stance IN ('opponent', 'blocker')))""").fetchone()[0] == 0
