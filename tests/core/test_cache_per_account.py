"""Incremental per-account summaries (kamcore.data_cache.per_account) and SQL paging of the executive lists."""

from __future__ import annotations

import pytest

from kamcore import accounts, clock, data_cache, permissions, users
from kamcore.learning import rules
from kamcore.portfolio import overview
from tests.conftest import account_id

LINGANG = "Lingang Steel"


def uncached_counts(db, ids):
    """flag_counts computed straight from the rules, no cache."""
    out = {a: {"critical": 0, "warning": 0, "info": 0, "total": 0, "open": 0} for a in ids}
    for flag in rules._evaluate(db, sorted(ids)):
        out[flag.account_id][flag.severity] += 1
        out[flag.account_id]["total"] += 1
        out[flag.account_id]["open"] += flag.acknowledged is None
    return out


def test_a_write_to_one_account_recomputes_only_that_account(exec_db, demo_path):
    db, chen = exec_db
    ids = permissions.readable_account_ids(db, chen)
    assert len(ids) > 3
    first = rules.flag_counts(db, chen, ids)
    assert data_cache.recomputed["rules.flags"] == len(ids)
    assert rules.flag_counts(db, chen, ids) == first
    assert data_cache.recomputed["rules.flags"] == len(ids)  # warm: nothing recomputed
    lingang = account_id(demo_path, LINGANG)
    zhang = users.find_by_username(db, "zhang.min")
    flag = next(f for f in rules.flags_for_account(db, zhang, lingang) if f.acknowledged is None)
    rules.acknowledge(db, zhang, flag.rule_id, lingang, flag.opportunity_id, "Discussed in the huddle")
    after = rules.flag_counts(db, chen, ids)
    assert data_cache.recomputed["rules.flags"] == len(ids) + 1  # only Lingang
    assert after[lingang]["open"] == first[lingang]["open"] - 1
    assert {a: c for a, c in after.items() if a != lingang} == {a: c for a, c in first.items() if a != lingang}


def test_cached_results_equal_the_uncached_computation_before_and_after_writes(exec_db, demo_path):
    db, chen = exec_db
    ids = permissions.readable_account_ids(db, chen)
    assert rules.flag_counts(db, chen, ids) == uncached_counts(db, ids)
    assert [str(f) for f in rules.evaluate(db, chen)] == [str(f) for f in rules._evaluate(db, ids)]
    lingang = account_id(demo_path, LINGANG)
    account = accounts.get_account(db, users.find_by_username(db, "admin"), lingang)
    accounts.update_account(db, users.find_by_username(db, "admin"), lingang, account["version"],
                            {"name": "Lingang Steel Group"})  # the flags carry the account name
    assert rules.flag_counts(db, chen, ids) == uncached_counts(db, ids)
    assert [str(f) for f in rules.evaluate(db, chen)] == [str(f) for f in rules._evaluate(db, ids)]
    assert any(f.account_name == "Lingang Steel Group" for f in rules.evaluate(db, chen))


def test_a_change_that_belongs_to_no_account_recomputes_every_account(exec_db):
    db, chen = exec_db
    ids = permissions.readable_account_ids(db, chen)
    rules.flag_counts(db, chen, ids)
    rule = rules.list_rules(db, active_only=True)[0]
    rules.update_rule(db, users.find_by_username(db, "admin"), rule["id"], rule["version"], {"active": False})
    counts = rules.flag_counts(db, chen, ids)
    assert data_cache.recomputed["rules.flags"] == 2 * len(ids)
    assert counts == uncached_counts(db, ids)


def test_in_memory_databases_are_computed_every_time(fresh_db):
    calls = []
    data_cache.clear()
    for _ in range(2):
        data_cache.per_account(fresh_db, "x", [1, 2], lambda ids: calls.append(ids) or {a: a for a in ids})
    assert calls == [[1, 2], [1, 2]]


def _nocase(name: str) -> str:
    return "".join(c.lower() if "A" <= c <= "Z" else c for c in name)  # SQLite's NOCASE folds ASCII only


@pytest.mark.parametrize("sort", list(overview.SORTS))
@pytest.mark.parametrize("descending", [False, True])
def test_paging_returns_the_rows_of_the_full_sort(exec_db, sort, descending):
    db, chen = exec_db
    full = overview.overview(db, chen)
    field = {"name": "name", "status": "status", "tier": "tier", "score": "score", "revenue": "revenue",
             "gross_profit": "gross_profit"}[sort]
    rank = {"key": 0, "general": 1, "small": 2}

    def value(row):
        v = row[field]
        return rank[v] if sort == "tier" and v is not None else (_nocase(v) if sort == "name" else v)

    present = sorted((r for r in full if value(r) is not None), key=lambda r: (_nocase(r["name"]), r["account_id"]))
    present.sort(key=value, reverse=descending)  # stable: ties stay by name
    expected = [r["account_id"] for r in present + [r for r in full if value(r) is None]]
    paged, offset = [], 0
    while True:
        ids, total = overview.page_ids(db, chen, sort=sort, descending=descending, limit=4, offset=offset)
        assert total == len(full)
        if offset >= total:
            break
        paged += ids
        offset += 4
    assert paged == expected
    rows = overview.overview(db, chen, account_ids=paged[:4])
    assert rows == [next(r for r in full if r["account_id"] == a) for a in paged[:4]]


def test_paging_filters_and_a_page_past_the_end(exec_db):
    db, chen = exec_db
    full = overview.overview(db, chen)
    keys = [r["account_id"] for r in full if r["tier"] == "key"]
    ids, total = overview.page_ids(db, chen, tiers=["key"], limit=100)
    assert total == len(keys) and sorted(ids) == sorted(keys)
    ids, total = overview.page_ids(db, chen, limit=4, offset=10_000)
    assert ids and ids == overview.page_ids(db, chen, limit=4, offset=(total - 1) // 4 * 4)[0]
    member = users.find_by_username(db, "li.wei")
    mine = permissions.readable_account_ids(db, member)
    assert overview.page_ids(db, member, limit=100)[1] == len(mine) < len(full)
    assert overview.totals(db, chen)["accounts"] == len(full)


def test_a_rule_preview_is_kept_per_account_and_follows_a_write_to_one_account(exec_db, demo_path):
    """The rule editor's preview (every account's live deals under the new conditions) is cached per account:
    a deal raised above the threshold appears after the write, and only its account is evaluated again."""
    from kamcore.pipeline import opportunities

    db, _ = exec_db
    admin = users.find_by_username(db, "admin")
    lingang = account_id(demo_path, LINGANG)
    deal = db.execute("SELECT id, amount FROM opportunities WHERE account_id = ? AND status = 'open' "
                      "ORDER BY amount DESC LIMIT 1", [lingang]).fetchone()
    top = db.execute("SELECT max(amount) FROM opportunities WHERE status = 'open'").fetchone()[0]
    conditions = [{"field": "amount", "op": ">", "value": top}]  # nothing yet: every live deal is at or below it
    everyone = [r[0] for r in db.execute("SELECT id FROM accounts")]
    before = rules.preview(db, admin, conditions)
    assert before["flags"] == [] and not before["matches_all"] and before["subjects"] > 1
    assert data_cache.recomputed["rules.preview"] == len(everyone)
    rules.preview(db, admin, conditions)
    assert data_cache.recomputed["rules.preview"] == len(everyone)  # looked at again: nothing evaluated
    version = db.execute("SELECT version FROM opportunities WHERE id = ?", [deal[0]]).fetchone()[0]
    opportunities.update_opportunity(db, admin, deal[0], version, {"amount": top + 1})
    after = rules.preview(db, admin, conditions)
    assert data_cache.recomputed["rules.preview"] == len(everyone) + 1  # Lingang only
    assert [(f.account_id, f.opportunity_id) for f in after["flags"]] == [(lingang, deal[0])]
    rule = {"id": 0, "name": "", "code": None, "severity": "warning", "lesson": "", "version": None,
            "condition_list": conditions}
    assert [str(f) for f in after["flags"]] == [str(f) for f in rules._evaluate(db, everyone, rules=[rule])]


def _open_deal(db, account):
    return db.execute("SELECT id, version, amount FROM opportunities WHERE account_id = ? AND status = 'open' "
                      "ORDER BY id LIMIT 1", [account]).fetchone()


def test_the_pipeline_and_group_sums_are_kept_per_account_and_follow_a_write(exec_db, demo_path):
    """open_pipeline (Home, Portfolio, the pipeline page) and accounts.rollup (the groups) read the per-account
    deal sums: a changed deal amount shows at once, and only its account is summed again."""
    from kamcore.pipeline import opportunities

    db, chen = exec_db
    admin = users.find_by_username(db, "admin")
    lingang = account_id(demo_path, LINGANG)
    group = next(a for a in permissions.readable_account_ids(db, chen) if a != lingang)
    account = accounts.get_account(db, admin, lingang)
    accounts.update_account(db, admin, lingang, account["version"], {"parent_id": group})
    ids = permissions.readable_account_ids(db, chen)
    before, groups_before = opportunities.open_pipeline(db, ids), accounts.rollup(db, chen)
    count, amount = db.execute("SELECT count(*), sum(amount) FROM opportunities WHERE status = 'open'").fetchone()
    assert (before["count"], before["amount"]) == (count, pytest.approx(amount))  # all the demo's accounts
    summed = data_cache.recomputed["opportunities.deal_sums"]
    assert summed == len(ids)
    assert opportunities.open_pipeline(db, ids) == before  # warm: nothing summed again
    assert data_cache.recomputed["opportunities.deal_sums"] == summed

    deal = _open_deal(db, lingang)
    opportunities.update_opportunity(db, admin, deal[0], deal[1], {"amount": deal[2] + 100})
    after, groups_after = opportunities.open_pipeline(db, ids), accounts.rollup(db, chen)
    assert data_cache.recomputed["opportunities.deal_sums"] == summed + 1  # Lingang only
    assert after["amount"] == pytest.approx(before["amount"] + 100)
    assert after["by_account"][lingang]["amount"] == pytest.approx(before["by_account"][lingang]["amount"] + 100)
    assert {a: v for a, v in after["by_account"].items() if a != lingang} == {
        a: v for a, v in before["by_account"].items() if a != lingang}
    currency = db.execute("SELECT currency FROM opportunities WHERE id = ?", [deal[0]]).fetchone()[0]
    old = next(g for g in groups_before if g["id"] == group)["by_currency"][currency]
    new = next(g for g in groups_after if g["id"] == group)["by_currency"][currency]
    assert new["open_value"] == pytest.approx(old["open_value"] + 100) and new["open"] == old["open"]
    filtered = opportunities.open_pipeline(db, ids, period_start="1900-01-01")  # the uncached SQL path
    dated = db.execute("SELECT count(*) FROM opportunities WHERE status = 'open' AND expected_close IS NOT NULL"
                       ).fetchone()[0]
    assert dated == after["count"], "every open demo deal has an expected close"
    assert filtered == after  # the kept figure equals the one summed straight from SQL


def test_the_tiering_preview_is_kept_per_account_and_follows_a_write(exec_db, demo_path):
    """A draft's preview (every readable account scored under it) re-scores only the account written to."""
    from kamcore.portfolio import positioning, tiering

    db, chen = exec_db
    admin = users.find_by_username(db, "admin")
    draft = next(v for v in tiering.list_criteria(db) if v["status"] == "draft")
    assert any(i.key == "value_fit" for i in tiering.get_criteria(db, draft["id"])["parsed"].indicators)
    ids = permissions.readable_account_ids(db, chen)
    before = {r["account_id"]: r for r in tiering.preview(db, chen, draft["id"])}
    assert data_cache.recomputed["tiering.preview"] == len(ids)
    assert {r["account_id"]: r for r in tiering.preview(db, chen, draft["id"])} == before
    assert data_cache.recomputed["tiering.preview"] == len(ids)  # warm: nothing scored again
    lingang = account_id(demo_path, LINGANG)
    position = positioning.get_position(db, admin, lingang)
    fit = 1 if (position and position["value_fit"] or 0) >= 3 else 5
    positioning.save_position(db, admin, lingang, position["version"] if position else None, {"value_fit": fit})
    after = {r["account_id"]: r for r in tiering.preview(db, chen, draft["id"])}
    assert data_cache.recomputed["tiering.preview"] == len(ids) + 1  # Lingang only
    assert after[lingang]["score_after"] != before[lingang]["score_after"]
    assert {a: r for a, r in after.items() if a != lingang} == {a: r for a, r in before.items() if a != lingang}
    data_cache.clear()  # the kept rows equal a fresh scoring
    assert {r["account_id"]: r for r in tiering.preview(db, chen, draft["id"])} == after


def test_the_health_score_is_kept_per_account_and_follows_a_write(exec_db, demo_path, demo_clock):
    """Portfolio's health column and the walk-through read health_scores: kept per account, a write to one
    account scores only that one again, and the kept score equals one computed afresh."""
    from kamcore.plan import goals
    from kamcore.relationships import health

    db, chen = exec_db
    admin = users.find_by_username(db, "admin")
    ids = permissions.readable_account_ids(db, chen)
    before = health.health_scores(db, chen, ids)
    assert data_cache.recomputed["health.score"] == len(ids)
    assert health.health_scores(db, chen, ids) == before
    assert data_cache.recomputed["health.score"] == len(ids)  # warm: nothing scored again
    lingang = account_id(demo_path, LINGANG)
    goal = next(g for g in goals.list_goals(db, admin, lingang) if g["metric"] == "revenue")
    goals.update_goal(db, admin, goal["id"], goal["version"], {"target": goal["target"] * 10})
    after = health.health_scores(db, chen, ids)
    assert data_cache.recomputed["health.score"] == len(ids) + 1  # Lingang only
    assert after[lingang] != before[lingang]
    assert {a: s for a, s in after.items() if a != lingang} == {a: s for a, s in before.items() if a != lingang}
    assert health.health_score(db, chen, lingang) == health._health_score(db, lingang, clock.today())
