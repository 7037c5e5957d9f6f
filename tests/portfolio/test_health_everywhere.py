"""The account health score is one figure: Home, Portfolio and the walk-through show what
`relationships.health.health_score` computes."""

from kamcore import store, users
from kamcore.relationships import health
from tests.conftest import account_id, signed_in_app


def _score(path, username, name):
    db = store.connect(path)
    try:
        user = users.find_by_username(db, username)
        return health.health_score(db, user, account_id(path, name))["score"]
    finally:
        db.close()


def test_home_portfolio_and_walkthrough_show_the_same_health_score(demo_path):
    name = "Huaxin Semiconductor"
    expected = _score(demo_path, "li.wei", name)
    home = signed_in_app(demo_path, "li.wei", "pages/home.py")
    assert not home.exception
    frame = home.dataframe[0].value
    row = frame[frame["Name"] == name].iloc[0]
    assert int(row["Account health (0–100)"]) == expected
    walk = signed_in_app(demo_path, "li.wei", "pages/walkthrough.py", account_id(demo_path, name))
    assert not walk.exception
    assert any(f"{expected} / 100" in m.value for m in walk.markdown)
