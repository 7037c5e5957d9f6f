"""AppTest: the whitespace page at any size draws one page of accounts, says what it leaves out, and a page
number, the sort and the filter change what is drawn — in both languages, without slips."""

import pytest

from kamcore import money, store, users
from kamcore.plan import whitespace
from tests.conftest import signed_in_app
from tests.visible_text import slips, visible_text


def _drawn_accounts(at):
    """Account names in the page's table of planned cells (every demo account has a plan)."""
    frame = at.dataframe[0].value
    return list(dict.fromkeys(frame[frame.columns[0]]))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_one_page_of_accounts_is_drawn_and_the_rest_is_named(demo_path, monkeypatch, lang):
    monkeypatch.setattr(whitespace, "PAGE_SIZE", 2)
    db = store.connect(demo_path)
    admin = users.find_by_username(db, "admin")
    summary = whitespace.summary(db, admin)
    total = summary["accounts"]
    expected = [[c["account_name"] for c in whitespace.page(db, admin, limit=2, offset=o)[0]] for o in (0, 2)]
    db.close()
    assert total > 2
    at = signed_in_app(demo_path, "admin", "pages/whitespace.py", lang=lang)
    assert not at.exception, at.exception
    assert _drawn_accounts(at) == list(dict.fromkeys(expected[0]))
    caption = " ".join(c.value for c in at.caption)
    hidden = f"{total - 2:,}"
    assert hidden in caption and ("other pages" in caption if lang == "en" else "其他页" in caption)
    assert not slips(visible_text(at)), slips(visible_text(at))
    # the demo's accounts keep CNY and USD: the total potential is the reporting-currency total, with its currency
    potential = summary["potential"]
    assert potential["rates"], "the demo has accounts in another currency: a plain sum would mix them"
    assert at.metric[0].value == money.fmt(potential["amount"], potential["currency"], lang)

    at.number_input(key="whitespace.list.page").set_value(2).run()
    assert not at.exception, at.exception
    assert _drawn_accounts(at) == list(dict.fromkeys(expected[1]))
    assert _drawn_accounts(at) != list(dict.fromkeys(expected[0]))


def test_sorting_by_name_changes_the_order_the_sql_gives(demo_path, monkeypatch):
    monkeypatch.setattr(whitespace, "PAGE_SIZE", 3)
    at = signed_in_app(demo_path, "admin", "pages/whitespace.py")
    before = _drawn_accounts(at)
    at.selectbox(key="whitespace.list.sort").set_value("name").run()
    at.toggle(key="whitespace.list.desc").set_value(False).run()
    assert not at.exception, at.exception
    after = _drawn_accounts(at)
    db = store.connect(demo_path)
    names = sorted(r[0] for r in db.execute("SELECT name FROM accounts").fetchall())
    db.close()
    assert after == sorted(names, key=str.lower)[:3]
    assert after != before  # the demo's largest potential is not alphabetical: the sort did change the rows
