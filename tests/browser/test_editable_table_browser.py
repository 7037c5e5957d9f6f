"""EditableTable (kamui/editing.py) in a real browser: edits are saved or reported, never dropped in silence.

The goals table of the account plan stands for every EditableTable. Empty cells are checked on a
1920x1080 screenshot (test-artifacts/goals-table-1920.png): the grid draws them on a canvas.
"""

from __future__ import annotations

import pytest

from kamcore import clock, users
from kamcore.i18n import t
from kamcore.plan import goals
from tests.browser.server import app_on_account
from tests.browser.sign_in import settle, sign_in
from tests.browser.test_team_soak import MAIN, Db, _edit_cell, _go, _grid_cell, _reload_table, _tab, _wait_text

ACCOUNT = "Huaxin Semiconductor"
SAVED = t("table.saved", "en", count=1)
REFUSED = t("table.refused", "en", count=1)[:25]


@pytest.fixture(scope="module")
def table_app(demo_template, tmp_path_factory):
    with app_on_account(demo_template, tmp_path_factory, "table", ACCOUNT) as running:
        yield running


def _first_goal(db: Db, account_id: int) -> dict:
    with db.open() as conn:
        return goals.list_goals(conn, users.find_by_username(conn, "li.wei"), account_id, clock.today().year, None)[0]


def _type_title(page, title: str) -> None:
    _edit_cell(page, "plan-goals-editor-", column=2, text=title)  # quadrant, measure, title


def _save(page) -> str:
    page.get_by_role("button", name=t("plan.save_goals", "en")).click()
    return _wait_text(page, SAVED, REFUSED, t("table.nothing", "en"))


def _open_plan(page, url: str, account_id: int) -> None:
    sign_in(page, url, "li.wei", path=f"plan?account={account_id}")
    page.locator(f"{MAIN} h1").first.wait_for(state="visible")
    settle(page)
    _tab(page, t("plan.tab.goals", "en"))


def test_a_goal_edited_on_the_second_visit_to_plan_is_saved(table_app, new_page):
    url, db, account_id = table_app
    page = new_page(1366, 900)
    _open_plan(page, url, account_id)
    _reload_table(page, "plan-goals-editor-", "en")
    _type_title(page, "first visit goal")
    settle(page)
    assert _save(page) == SAVED
    _go(page, "account")
    with db.open() as conn:  # a teammate changes the row meanwhile
        teammate, first = users.find_by_username(conn, "zhang.min"), _first_goal(db, account_id)
        goals.update_goal(conn, teammate, first["id"], first["version"], {"title": "a teammate's title"})
    _go(page, "plan")
    _tab(page, t("plan.tab.goals", "en"))
    before = _first_goal(db, account_id)
    _reload_table(page, "plan-goals-editor-", "en")
    _type_title(page, "second visit goal")
    settle(page)
    said = _save(page)
    assert said == SAVED, said
    after = _first_goal(db, account_id)
    assert after["title"] == "second visit goal" and after["version"] == before["version"] + 1, (before, after)


def test_save_with_nothing_edited_says_so_and_keeps_the_table(table_app, new_page):
    """The soak's silent Save: an edit the table no longer held (typed into a table being replaced) left
    Save with nothing to do, and it reran without a word and replaced the table once more."""
    url, db, account_id = table_app
    page = new_page(1366, 900)
    _open_plan(page, url, account_id)
    container = page.locator('[class*="st-key-plan-goals-editor-"]').first
    shown = container.get_attribute("class")
    assert _save(page) == t("table.nothing", "en")
    assert page.locator('[class*="st-key-plan-goals-editor-"]').first.get_attribute("class") == shown
    _type_title(page, "after nothing to save")
    settle(page)
    assert _save(page) == SAVED
    assert _first_goal(db, account_id)["title"] == "after nothing to save"


def test_a_goal_without_a_product_line_reads_whole_account(table_app, new_page, artifacts):
    """The grid draws cells on a canvas: the screenshots (1920x1080) are the proof for the eye; the open
    dropdown is DOM and offers the empty choice by name."""
    url, db, account_id = table_app
    page = new_page(1920, 1080)
    _open_plan(page, url, account_id)
    grid = page.locator('[class*="st-key-plan-goals-editor-"] [data-testid="stDataFrame"]').first
    grid.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    page.screenshot(path=str(artifacts / "goals-table-1920.png"))
    _grid_cell(page, "plan-goals-editor-", column=3)  # quadrant, measure, title, product line
    whole = page.locator("#portal").get_by_text(t("plan.line.whole_account", "en"), exact=True)
    whole.first.wait_for(state="visible")
    page.screenshot(path=str(artifacts / "goals-product-line-open-1920.png"))
    page.keyboard.press("Escape")
