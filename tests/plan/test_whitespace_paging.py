"""The paged whitespace matrix: each page holds exactly the cells the full matrix holds for those accounts,
in the order the full matrix sorted in Python would give; the headline figures equal the full matrix's sums."""

from statistics import mean

import pytest

from kamcore import accounts, permissions
from kamcore.plan import share_plans, whitespace
from tests.plan.test_plan_fixtures import fresh_world

# name -> {line: (wallet, current share, final target)}; two accounts without a plan (three with the fixture's
# Acme), ties on potential
PLANS = {
    "Cedar": {"cloud": (2000, 40, 50)},                      # potential 200, gap 10 (made before Birch: ids
    "Birch": {"core": (1000, 10, 30)},                       # potential 200, gap 20  are not in name order)
    "alder": {"core": (1000, 0, 20), "cloud": (500, 10, 30)},  # potential 300, gap 40
    "Dogwood": {"core": (100, 50, 60), "cloud": (100, 0, 10)},  # potential 20, gap 20
    "elm": {},
    "Fir": {},
}


@pytest.fixture
def world():
    for w in fresh_world():
        for name, lines in PLANS.items():
            account = accounts.create_account(w.db, w.admin, {"name": name, "industry": "X", "region": "Y"})
            for line, (wallet, share, target) in lines.items():
                share_plans.create_share_plan(w.db, w.admin, w.share(
                    account_id=account["id"], product_line_id=getattr(w, line)["id"], wallet=wallet,
                    current_share=share, target_share_1=target, target_share_2=None))
        yield w


def _expected_order(cells, sort, descending, planned_only):
    """Account ids sorted as `whitespace.page` promises, computed from the full matrix."""
    by_account = {}
    for c in cells:
        by_account.setdefault(c["account_id"], []).append(c)
    keys = {}
    for a, own in by_account.items():
        planned = [c for c in own if c["plan_id"] is not None]
        if planned_only and not planned:
            continue
        name = own[0]["account_name"]
        figure = {"potential": sum(c["potential"] for c in planned) if planned else None,
                  "gap": sum(c["gap"] for c in planned) if planned else None,
                  "current_share": mean(c["current_share"] for c in planned) if planned else None,
                  "name": name.lower()}[sort]
        keys[a] = (figure, name.lower(), a)
    present = sorted((a for a in keys if keys[a][0] is not None), key=lambda a: keys[a][1:])
    ordered = sorted(present, key=lambda a: keys[a][0], reverse=descending)  # stable: ties stay by name, id
    missing = sorted((a for a in keys if keys[a][0] is None), key=lambda a: keys[a][1:])
    return ordered + missing


@pytest.mark.parametrize("planned_only", [False, True])
@pytest.mark.parametrize("descending", [True, False])
@pytest.mark.parametrize("sort", list(whitespace.SORTS))
def test_each_page_is_the_full_matrix_sorted_and_cut(world, sort, descending, planned_only):
    full = share_plans.whitespace(world.db, world.admin)
    order = _expected_order(full, sort, descending, planned_only)
    seen, offset = [], 0
    while True:
        cells, total = whitespace.page(world.db, world.admin, sort=sort, descending=descending,
                                       planned_only=planned_only, limit=2, offset=offset)
        assert total == len(order)
        ids = list(dict.fromkeys(c["account_id"] for c in cells))
        assert ids == order[offset:offset + 2]
        assert cells == [c for a in ids for c in sorted((x for x in full if x["account_id"] == a),
                                                        key=lambda x: x["product_line_code"])]
        seen += ids
        offset += 2
        if offset >= total:
            break
    assert seen == order


def test_planned_only_drops_the_accounts_without_a_plan_and_sorts_them_last_otherwise(world):
    cells, total = whitespace.page(world.db, world.admin, limit=100)
    names = list(dict.fromkeys(c["account_name"] for c in cells))
    assert names[-3:] == ["Acme", "elm", "Fir"] and total == len(names) == 7  # Acme: the fixture's own
    _, planned_total = whitespace.page(world.db, world.admin, planned_only=True, limit=100)
    assert planned_total == total - 3


def test_the_headline_figures_are_the_full_matrix_summed(world):
    full = share_plans.whitespace(world.db, world.admin)
    kinds = [share_plans.cell_kind(c) for c in full]
    found = whitespace.summary(world.db, world.admin)
    assert found["cells"] == len(full)
    potential = found["potential"]  # one currency here (rate 1): the total is the plain sum
    assert (potential["currency"], potential["unconverted"]) == ("CNY", {})
    assert potential["amount"] == pytest.approx(sum(c["potential"] or 0 for c in full))
    assert found["breakthroughs"] == kinds.count("breakthrough")
    assert found["unplanned"] == kinds.count("unplanned")
    assert found["accounts_with_plan"] == len({c["account_id"] for c in full if c["plan_id"] is not None})


def test_a_member_pages_only_the_accounts_they_may_read(world):
    assert whitespace.page(world.db, world.outsider) == ([], 0)
    assert whitespace.summary(world.db, world.outsider)["cells"] == 0
    cells, total = whitespace.page(world.db, world.am, limit=100)
    assert {c["account_id"] for c in cells} == set(permissions.readable_account_ids(world.db, world.am))
    assert total == 1


def test_a_page_past_the_end_is_the_last_page_and_a_bad_sort_is_refused(world):
    last, total = whitespace.page(world.db, world.admin, limit=3, offset=999)
    assert total == 7
    assert list(dict.fromkeys(c["account_id"] for c in last)) == \
        list(dict.fromkeys(c["account_id"] for c in whitespace.page(world.db, world.admin, limit=3, offset=6)[0]))
    with pytest.raises(ValueError):
        whitespace.page(world.db, world.admin, sort="wallet; DROP TABLE accounts")
