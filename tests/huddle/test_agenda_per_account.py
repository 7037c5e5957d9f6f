"""The huddle agenda is kept per account (kamcore.data_cache.per_account): a write to one account of a
huddle recomputes that account's part only, and the cached agenda is the one computed from scratch."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kamcore import clock, data_cache, permissions, users
from kamcore.errors import NotFoundError
from kamcore.huddle import agenda
from kamcore.plan import strategy


@pytest.fixture
def li_db(demo_db):
    data_cache.clear()
    yield demo_db, users.find_by_username(demo_db, "li.wei")
    data_cache.clear()


def fresh(db, ids, day):
    """The agenda straight from the providers, no cache: {account id: {section: item sources}}."""
    built = agenda.build(db, users.SYSTEM, ids, day)
    return {a: {s: sorted(i.source for i in built[s] if i.account_id == a) for s in agenda.SECTIONS} for a in ids}


def sources(found):
    return {a.account_id: {s: sorted(i.source for i in items) for s, items in a.groups.items()} for a in found}


def test_a_write_to_one_account_recomputes_only_its_agenda(li_db, demo_clock):
    db, li = li_db
    day = clock.today()
    ids = permissions.readable_account_ids(db, li)
    assert len(ids) >= 3
    first = agenda.by_account(db, li, ids, day)
    assert sources(first) == fresh(db, ids, day)
    assert data_cache.recomputed["huddle.agenda"] == len(ids)
    assert sources(agenda.by_account(db, li, ids, day)) == sources(first)
    assert data_cache.recomputed["huddle.agenda"] == len(ids), "warm: nothing recomputed"

    target = ids[1]
    overdue_before = len(next(a for a in first if a.account_id == target).groups["overdue"])
    strategy.create_action(db, li, {"account_id": target, "kind": "commercial", "action": "Send the qualification report",
                                    "owner_id": li.id, "due_date": day - timedelta(days=2)})
    again = agenda.by_account(db, li, ids, day)
    assert data_cache.recomputed["huddle.agenda"] == len(ids) + 1, "only the written account"
    assert len(next(a for a in again if a.account_id == target).groups["overdue"]) == overdue_before + 1
    assert sources(again) == fresh(db, ids, day)


def test_the_cached_agenda_still_checks_who_may_read_it(li_db):
    db, li = li_db
    everyone = permissions.readable_account_ids(db, users.find_by_username(db, "chen.jie"))
    foreign = next(a for a in everyone if a not in permissions.readable_account_ids(db, li))
    agenda.by_account(db, users.find_by_username(db, "chen.jie"), [foreign])  # cached for an executive
    with pytest.raises(NotFoundError):
        agenda.by_account(db, li, [foreign])
