"""Issue 20 item 16: a comparison item whose id equals its competitor's id is editable (the check that a
row does not point at itself compared ids of two different tables)."""

import pytest

from kamcore.errors import ValidationError
from kamcore.pipeline import competitors, discovery
from tests.pipeline.test_opportunities import new_deal, world

__all__ = ["world"]  # the fixture, re-exported for pytest


def test_an_item_with_its_competitors_id_can_be_rescored(world):
    db, am = world["db"], world["am"]
    deal = new_deal(world)
    rivals = [competitors.add_competitor(db, am, deal["id"], {"name": f"Rival {n}"}) for n in range(3)]
    for rival in rivals:  # items 1, 2, 3 for competitors 1, 2, 3 in a fresh database
        competitors.set_comparison_item(db, am, rival["id"], "price", "list price", 5)
    same = db.execute("SELECT i.id FROM comparison_items i WHERE i.id = i.competitor_id").fetchall()
    assert same, "the case this test is about: an item id equal to its competitor's id"
    for rival in rivals:
        saved = competitors.set_comparison_item(db, am, rival["id"], "price", "after discount", 7)
        assert saved["score"] == 7 and saved["version"] == 2


def test_a_need_still_cannot_be_its_own_parent(world):
    db, am = world["db"], world["am"]
    deal = new_deal(world)
    need = discovery.add_need(db, am, deal["id"], {"level": "implicit", "statement": "Downtime hurts"})
    with pytest.raises(ValidationError):
        discovery.update_need(db, am, need["id"], need["version"], {"parent_id": need["id"]})
