"""Every page registered in Home.py renders without exception: on the demo database and on an
empty one, in English and in Chinese, as a member and as an executive; an empty page says what to do
next; and no page shows a translation key, an internal code, a bare record number or `None`."""

import ast

import pytest

from tests.conftest import ROOT, account_id, signed_in_app
from tests.visible_text import slips, visible_text


def registered_pages() -> list[str]:
    """Page files from Home.py's PAGES table (read, not imported: importing runs the app)."""
    tree = ast.parse((ROOT / "Home.py").read_text(encoding="utf-8"))
    table = next(
        node.value for node in tree.body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "PAGES"
    )
    return [path for pages in ast.literal_eval(table).values() for path, *_ in pages]


PAGES = registered_pages()


def test_every_registered_page_file_exists():
    missing = [p for p in PAGES if not (ROOT / p).is_file()]
    assert not missing


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_page_renders_on_demo_data(demo_path, page, lang):
    at = signed_in_app(demo_path, "li.wei", page, account_id(demo_path, "Huaxin Semiconductor"), lang=lang)
    assert not at.exception, at.exception
    assert at.title, "every page has a title"
    assert slips(visible_text(at)) == []


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_page_renders_for_an_executive(demo_path, page, lang):
    at = signed_in_app(demo_path, "chen.jie", page, account_id(demo_path, "Jiangnan Power Grid"), lang=lang)
    assert not at.exception, at.exception
    assert slips(visible_text(at)) == []


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_on_empty_database_and_says_what_to_do(empty_path, page):
    at = signed_in_app(empty_path, "admin", page)
    assert not at.exception, at.exception
    assert at.info or at.warning, "an empty page tells the user what to do next"
