"""The playbook: lessons promoted to best practices, searchable by text and tags, linked back to their deals."""

from __future__ import annotations

import pytest

from kamcore import accounts, team, users
from kamcore.errors import NotFoundError, PermissionDenied, ValidationError
from kamcore.learning import playbook, retrospectives


@pytest.fixture
def world(fresh_db, admin):
    am = users.create_user(fresh_db, admin, "ann.m", "Ann", "password-1")
    bob = users.create_user(fresh_db, admin, "bob.b", "Bob", "password-1")
    nobody = users.create_user(fresh_db, admin, "nobody", "Nobody", "password-1")
    mine = accounts.create_account(fresh_db, admin, {"name": "Pudong", "industry": "Manufacturing", "region": "SH"})
    theirs = accounts.create_account(fresh_db, admin, {"name": "Nile", "industry": "Telecom", "region": "EA"})
    team.add_member(fresh_db, admin, mine["id"], am.id, "account_manager", first_responsible=True)
    team.add_member(fresh_db, admin, theirs["id"], bob.id, "account_manager", first_responsible=True)
    return {"db": fresh_db, "admin": admin, "am": am, "bob": bob, "nobody": nobody, "mine": mine["id"],
            "theirs": theirs["id"]}


def lesson(w, user, account, title, dimension="relationship", stage=""):
    retro = retrospectives.create_retrospective(w["db"], user, {
        "account_id": account, "review_type": "period", "title": f"Review of {title}", "result": "goal_missed",
        "review_from": "2025-01-01", "review_to": "2025-12-31"})
    return retrospectives.add_lesson(w["db"], user, retro["id"], {"title": title, "detail": f"{title} in detail",
                                                                 "dimension": dimension, "stage": stage})


def test_promoting_a_lesson_creates_a_tagged_practice_and_links_the_lesson(world):
    source = lesson(world, world["am"], world["mine"], "Build two threads", stage="qualify")
    entry = playbook.promote(world["db"], world["am"], source["id"], source["version"],
                             {"tags": "Single-thread, VP ，coverage, vp"})
    assert (entry["industry"], entry["stage"], entry["dimension"]) == ("Manufacturing", "qualify", "relationship")
    assert entry["tags"] == "single-thread,vp,coverage"
    assert entry["practice"] == "Build two threads in detail"
    linked = world["db"].execute("SELECT playbook_entry_id FROM lessons WHERE id = ?", [source["id"]]).fetchone()[0]
    assert linked == entry["id"]


def test_a_lesson_is_promoted_only_once(world):
    source = lesson(world, world["am"], world["mine"], "Once")
    playbook.promote(world["db"], world["am"], source["id"], source["version"], {})
    with pytest.raises(ValidationError) as caught:
        playbook.promote(world["db"], world["am"], source["id"], source["version"] + 1, {"title": "Twice"})
    assert caught.value.problems[0].reason_key == "reason.lesson_already_promoted"
    assert playbook.count(world["db"]) == 1


def test_a_failed_promotion_writes_nothing(world):
    source = lesson(world, world["am"], world["mine"], "Bad")
    with pytest.raises(ValidationError):
        playbook.promote(world["db"], world["am"], source["id"], source["version"], {"dimension": "luck"})
    assert playbook.count(world["db"]) == 0
    assert world["db"].execute("SELECT version FROM lessons WHERE id = ?", [source["id"]]).fetchone()[0] == 1


def test_search_finds_by_words_tags_and_facets(world):
    a = lesson(world, world["am"], world["mine"], "Map every department", stage="needs")
    b = lesson(world, world["bob"], world["theirs"], "One iron triangle voice", dimension="collaboration")
    playbook.promote(world["db"], world["am"], a["id"], a["version"], {"tags": "coverage"})
    playbook.promote(world["db"], world["bob"], b["id"], b["version"], {"tags": "iron-triangle,sudan"})
    titles = lambda found: [e["title"] for e in found]  # noqa: E731
    assert titles(playbook.search(world["db"], world["am"], "department")) == ["Map every department"]
    assert titles(playbook.search(world["db"], world["am"], tag="sudan")) == ["One iron triangle voice"]
    assert titles(playbook.search(world["db"], world["am"], industry="Telecom")) == ["One iron triangle voice"]
    assert titles(playbook.search(world["db"], world["am"], dimension="relationship", stage="needs")) == \
        ["Map every department"]
    assert playbook.search(world["db"], world["am"], "100%_") == []
    assert playbook.facets(world["db"])["tag"] == ["coverage", "iron-triangle", "sudan"]


def test_sources_name_only_deals_the_reader_may_see(world):
    b = lesson(world, world["bob"], world["theirs"], "One iron triangle voice")
    entry = playbook.promote(world["db"], world["bob"], b["id"], b["version"], {})
    seen_by_bob = playbook.get_entry(world["db"], world["bob"], entry["id"])["sources"][0]
    seen_by_ann = playbook.get_entry(world["db"], world["am"], entry["id"])["sources"][0]
    assert seen_by_bob["account"] == "Nile" and seen_by_bob["retrospective_id"] is not None
    assert seen_by_ann["account"] is None and seen_by_ann["retrospective_id"] is None
    assert seen_by_ann["result"] == "goal_missed"


def test_a_second_lesson_can_back_an_existing_practice(world):
    a = lesson(world, world["am"], world["mine"], "Two threads")
    b = lesson(world, world["am"], world["mine"], "Two threads again")
    entry = playbook.promote(world["db"], world["am"], a["id"], a["version"], {})
    playbook.link_lesson(world["db"], world["am"], b["id"], b["version"], entry["id"])
    assert len(playbook.get_entry(world["db"], world["am"], entry["id"])["sources"]) == 2


def test_only_the_author_or_an_admin_edits_a_practice(world):
    a = lesson(world, world["am"], world["mine"], "Mine")
    entry = playbook.promote(world["db"], world["am"], a["id"], a["version"], {})
    with pytest.raises(PermissionDenied):
        playbook.update_entry(world["db"], world["bob"], entry["id"], entry["version"], {"practice": "Hijack"})
    changed = playbook.update_entry(world["db"], world["admin"], entry["id"], entry["version"], {"tags": "x"})
    assert changed["version"] == 2


def test_people_without_an_account_to_edit_cannot_promote(world):
    a = lesson(world, world["am"], world["mine"], "Mine")
    with pytest.raises(NotFoundError):  # not even readable for them
        playbook.promote(world["db"], world["nobody"], a["id"], a["version"], {})
    assert playbook.count(world["db"]) == 0


def test_retiring_a_practice_unlinks_its_lessons(world):
    a = lesson(world, world["am"], world["mine"], "Short-lived")
    entry = playbook.promote(world["db"], world["am"], a["id"], a["version"], {})
    playbook.delete_entry(world["db"], world["am"], entry["id"], entry["version"])
    assert playbook.count(world["db"]) == 0
    assert world["db"].execute("SELECT playbook_entry_id FROM lessons").fetchone()[0] is None
