"""The executive home's headline figures are kept between writes and follow a write to one account: the open
flag count is recounted for that account only; the week's change count moves with the write; a page of the
account list reads only the accounts asked for."""

from __future__ import annotations

from kamcore import accounts, activity, data_cache, permissions, users
from kamcore.learning import rules
from kamcore.portfolio import overview
from tests.conftest import account_id
from tests.core.test_cache_per_account import LINGANG, uncached_counts


def _open_flags(db, ids):
    return sum(c["open"] for c in uncached_counts(db, ids).values() if c["total"])


def test_the_open_flag_total_is_recounted_for_the_written_account_only(exec_db, demo_path):
    db, chen = exec_db
    ids = permissions.readable_account_ids(db, chen)
    first = overview.totals(db, chen)
    assert first["risk_flags"] == _open_flags(db, ids) > 0
    counted = data_cache.recomputed["rules.flag_counts"]
    assert counted == len(ids)
    assert overview.totals(db, chen) == first
    assert data_cache.recomputed["rules.flag_counts"] == counted  # warm: nothing recounted
    lingang = account_id(demo_path, LINGANG)
    zhang = users.find_by_username(db, "zhang.min")
    flag = next(f for f in rules.flags_for_account(db, zhang, lingang) if f.acknowledged is None)
    rules.acknowledge(db, zhang, flag.rule_id, lingang, flag.opportunity_id, "Discussed in the huddle")
    after = overview.totals(db, chen)
    assert data_cache.recomputed["rules.flag_counts"] == counted + 1  # Lingang only
    assert after["risk_flags"] == first["risk_flags"] - 1 == _open_flags(db, ids)


def test_flag_counts_handed_out_cannot_change_the_kept_ones(exec_db):
    db, chen = exec_db
    ids = permissions.readable_account_ids(db, chen)
    counts = rules.flag_counts(db, chen, ids)
    counts[ids[0]]["open"] += 99
    assert rules.flag_counts(db, chen, ids) == uncached_counts(db, ids)


def test_the_week_s_change_count_follows_a_write(exec_db, demo_path):
    db, chen = exec_db
    before = activity.change_count(db, chen)
    assert activity.change_count(db, chen) == before
    admin = users.find_by_username(db, "admin")
    lingang = account_id(demo_path, LINGANG)
    account = accounts.get_account(db, admin, lingang)
    accounts.update_account(db, admin, lingang, account["version"], {"notes": "seen by the executive"})
    assert activity.change_count(db, chen) == before + 1


def test_a_page_of_the_account_list_reads_only_those_accounts_the_actor_may_read(exec_db):
    db, chen = exec_db
    every = accounts.list_accounts(db, chen)
    wanted = [every[2]["id"], every[0]["id"]]
    assert accounts.list_accounts(db, chen, account_ids=wanted) == [every[0], every[2]]  # by name
    member = users.find_by_username(db, "li.wei")
    mine = set(permissions.readable_account_ids(db, member))
    foreign = next(a["id"] for a in every if a["id"] not in mine)
    assert [a["id"] for a in accounts.list_accounts(db, member, account_ids=[foreign])] == []
