"""Every page renders without exception on the demo database and on an empty one, in both languages."""

import pytest

from tests.conftest import account_id, signed_in_app

PAGES = ["pages/home.py", "pages/account.py", "pages/history.py", "pages/admin.py"]


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_page_renders_on_demo_data(demo_path, page, lang):
    at = signed_in_app(demo_path, "li.wei", page, account_id(demo_path, "Huaxin Semiconductor"), lang=lang)
    assert not at.exception, at.exception
    assert at.title, "every page has a title"


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_on_empty_database_and_says_what_to_do(empty_path, page):
    at = signed_in_app(empty_path, "admin", page)
    assert not at.exception, at.exception
    assert at.info or at.caption, "an empty page tells the user what to do next"
