"""Long work in a real browser: a double click on "Back up now" and on "Prepare export" gives one
backup / one export, one success message and no error; the export shows a progress bar meanwhile."""

from __future__ import annotations

import shutil

import pytest
from playwright.sync_api import expect

from kamcore.i18n import t
from tests.browser.server import running_app
from tests.browser.sign_in import settle, sign_in
from tests.browser.test_browser_app import MAIN, _no_error

ERROR = '[data-testid="stAlertContentError"]'
SUCCESS = '[data-testid="stAlertContentSuccess"]'


@pytest.fixture(scope="module")
def own_app(demo_template, tmp_path_factory):
    """A private server: the backups land beside its own database, no other test sees them."""
    path = tmp_path_factory.mktemp("long-work") / "app.db"
    shutil.copy(demo_template, path)
    with running_app(path) as url:
        yield url, path


def _tab(page, key: str) -> None:
    page.get_by_role("tab", name=t(key, "en")).click()
    settle(page)


def test_a_double_click_on_back_up_now_backs_up_once(own_app, new_page):
    url, path = own_app
    folder = path.parent / "backups"
    before = len(list(folder.glob("warroom-*.db"))) if folder.exists() else 0
    page = new_page()
    sign_in(page, url, "admin", path="data")
    _tab(page, "data.backups")
    page.locator(MAIN).get_by_role("button", name=t("data.backup_now", "en")).dblclick()
    page.locator(SUCCESS).first.wait_for(state="visible", timeout=120_000)
    settle(page, 120_000)
    _no_error(page)
    assert page.locator(ERROR).count() == 0, page.locator(ERROR).first.inner_text()
    assert len(list(folder.glob("warroom-*.db"))) == before + 1
    assert not list(folder.glob("*.part"))
    assert page.locator(SUCCESS).filter(has_text="Backup written").count() == 1


def test_a_double_click_on_prepare_export_shows_progress_and_one_export(own_app, new_page):
    url, _ = own_app
    page = new_page()
    sign_in(page, url, "admin", path="data")
    page.get_by_text(t("data.scope_all", "en"), exact=True).click()  # everything: the long one
    settle(page)
    button = page.locator(MAIN).get_by_role("button", name=t("data.prepare", "en"))
    expect(button).to_have_count(1)  # the run that the scope click started has replaced the page's elements
    button.dblclick()
    page.locator('[data-testid="stProgress"]').first.wait_for(state="visible", timeout=60_000)
    assert page.locator(MAIN).get_by_role("button", name=t("data.prepare", "en")).is_disabled()
    page.get_by_role("button", name=t("data.xlsx", "en")).wait_for(state="visible", timeout=300_000)
    settle(page, 120_000)
    _no_error(page)
    assert page.locator(ERROR).count() == 0, page.locator(ERROR).first.inner_text()
    assert page.locator(SUCCESS).filter(has_text="export is ready").count() == 1
    assert page.get_by_role("button", name=t("data.json", "en")).is_visible()
    assert not page.locator(MAIN).get_by_role("button", name=t("data.prepare", "en")).is_disabled()
