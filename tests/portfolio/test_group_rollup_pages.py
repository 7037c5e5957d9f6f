"""The account hierarchy on the executive screens: Portfolio lists each group with its subsidiaries and
their summed deals, and the walk-through of a subsidiary names its group — both from accounts.rollup."""

from kamcore import accounts, store, users
from tests.conftest import signed_in_app
from tests.visible_text import slips, visible_text


def test_portfolio_and_walkthrough_show_the_group_of_a_subsidiary(empty_path):
    db = store.connect(empty_path)
    admin = users.find_by_username(db, "admin")
    group = accounts.create_account(db, admin, {"name": "Kingdom Holdings", "industry": "Conglomerate", "region": "E"})
    sub = accounts.create_account(db, admin, {"name": "Kingdom Steel", "industry": "Steel", "region": "E",
                                              "parent_id": group["id"]})
    expected = accounts.rollup(db, admin)
    db.close()
    assert [g["name"] for g in expected] == ["Kingdom Holdings"]

    at = signed_in_app(empty_path, "admin", "pages/portfolio.py")
    assert not at.exception, at.exception
    frames = [f.value for f in at.dataframe if "Group" in f.value.columns]
    assert frames and frames[0]["Group"].tolist() == ["Kingdom Holdings"]
    assert frames[0]["Subsidiaries"].tolist() == ["Kingdom Steel"]

    walk = signed_in_app(empty_path, "admin", "pages/walkthrough.py", sub["id"])
    assert not walk.exception, walk.exception
    assert any("Group Kingdom Holdings with 1 subsidiaries" in c.value for c in walk.caption)
    assert slips(visible_text(walk)) == []
