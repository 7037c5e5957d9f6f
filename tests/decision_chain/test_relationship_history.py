"""Relationship history: every score and stance change with its date, and the account's heat per month."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from kamcore import audit, clock
from kamcore.decision_chain import stakeholders as sh
from kamcore.errors import NotFoundError
from tests.decision_chain.stakeholder_world import make_world


@pytest.fixture
def w(fresh_db, admin):
    return make_world(fresh_db, admin)


def at(day: str):
    return clock.at(datetime.fromisoformat(day + "T10:00:00").replace(tzinfo=UTC))


def test_every_score_and_stance_change_is_kept_with_its_date(w):
    with at("2026-01-10"):
        md = w.person("md", score=0, stance="neutral")
    with at("2026-02-03"):
        md = sh.update_stakeholder(w.db, w.am, md["id"], md["version"], {"score": 1})
    with at("2026-03-15"):
        md = sh.update_stakeholder(w.db, w.am, md["id"], md["version"], {"score": 2, "stance": "supporter"})
    with at("2026-03-20"):
        md = sh.update_stakeholder(w.db, w.am, md["id"], md["version"], {"notes": "not a score change"})
    history = sh.score_history(w.db, w.am, md["id"])
    assert [(h["day"], h["score"], h["stance"], h["changed"]) for h in history] == [
        ("2026-01-10", 0, "neutral", "both"),
        ("2026-02-03", 1, "supporter", "both"),  # one scale: the stance follows the score
        ("2026-03-15", 2, "supporter", "score"),
    ]


def test_a_restore_from_history_shows_in_the_trend_too(w):
    with at("2026-01-10"):
        md = w.person("md", score=0)
    with at("2026-02-01"):
        md = sh.update_stakeholder(w.db, w.am, md["id"], md["version"], {"score": 3})
    entry = w.db.execute("SELECT id FROM audit_log WHERE entity = 'stakeholder' AND field = 'score' "
                         "AND action = 'update'").fetchone()[0]
    with at("2026-02-05"):
        audit.restore(w.db, w.am, entry, md["version"])
    assert [h["score"] for h in sh.score_history(w.db, w.am, md["id"])] == [0, 3, 0]


def test_history_is_for_readers_of_the_account_only(w):
    md = w.person("md")
    with pytest.raises(NotFoundError):
        sh.score_history(w.db, w.other, md["id"])


def test_account_heat_averages_scores_per_month_and_group_from_the_history(w):
    with at("2026-01-05"):
        a = w.person("a", department="Dispatch", score=0)
        b = w.person("b", department="Dispatch", score=2)
    with at("2026-02-10"):
        a = sh.update_stakeholder(w.db, w.am, a["id"], a["version"], {"score": 1})
        c = w.person("c", department="Tender", score=-1)
    with at("2026-03-02"):
        sh.delete_stakeholder(w.db, w.am, b["id"], b["version"])
    heat = sh.account_heat(w.db, w.am, w.a, months=3, end=date(2026, 3, 31))
    assert [(h["period"], h["group"], h["avg_score"], h["people"]) for h in heat] == [
        ("2026-01-31", "Dispatch", 1.0, 2),      # (0 + 2) / 2
        ("2026-02-28", "Dispatch", 1.5, 2),      # (1 + 2) / 2
        ("2026-02-28", "Tender", -1.0, 1),
        ("2026-03-31", "Dispatch", 1.0, 1),      # b was removed in March
        ("2026-03-31", "Tender", -1.0, 1),
    ]
    whole = sh.account_heat(w.db, w.am, w.a, months=3, by="", end=date(2026, 3, 31))
    assert [h["avg_score"] for h in whole] == [1.0, round((1 + 2 - 1) / 3, 2), 0.0]
    assert c["score"] == -1


def test_month_ends_stop_at_the_end_date():
    assert sh.month_ends(date(2026, 3, 15), 3) == [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 15)]
    assert sh.month_ends(date(2026, 1, 31), 2) == [date(2025, 12, 31), date(2026, 1, 31)]
