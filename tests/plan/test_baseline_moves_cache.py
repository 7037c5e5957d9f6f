"""The comparison with a baseline reads the account's audit log since the baseline: it is kept per account
(kamcore.data_cache.per_account) and recomputed only after a write to that account."""

from __future__ import annotations

from kamcore import clock, data_cache, records, users
from kamcore.plan import baselines, goals
from tests.conftest import account_id


def test_the_moves_are_recomputed_after_a_write_to_the_account_only(demo_db, demo_path, demo_clock):
    data_cache.clear()
    try:
        li = users.find_by_username(demo_db, "li.wei")
        huaxin = account_id(demo_path, "Huaxin Semiconductor")
        base = baselines.list_baselines(demo_db, li, huaxin)[0]
        first = baselines.compare(demo_db, li, base["id"])
        assert first == baselines._compare(demo_db, records.get(demo_db, baselines.ENTITY, base["id"]))
        assert baselines.compare(demo_db, li, base["id"]) is first, "warm: the same moves, not recomputed"
        assert data_cache.recomputed["plan.baseline_moves"] == 1

        goal = goals.list_goals(demo_db, li, huaxin, clock.today().year, None)[0]
        goals.update_goal(demo_db, li, goal["id"], goal["version"], {"title": "Moved after the baseline"})
        after = baselines.compare(demo_db, li, base["id"])
        assert data_cache.recomputed["plan.baseline_moves"] == 2
        assert any(m.field == "title" and m.new == "Moved after the baseline" for m in after)
        assert not any(m.field == "title" and m.new == "Moved after the baseline" for m in first)
    finally:
        data_cache.clear()
