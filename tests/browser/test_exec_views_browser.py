"""The executive views in a real browser: the whitespace heat map draws its page of accounts with the sort
control, and the pipeline's sections are tabs drawn only when opened (a click reruns and draws that one)."""

from __future__ import annotations

from kamcore.i18n import t
from tests.browser.sign_in import settle
from tests.browser.test_browser_app import MAIN, _huaxin, _no_error, _open
from tests.browser.test_team_soak import _tab

CHART = f'{MAIN} [data-testid="stVegaLiteChart"]'


def _open_as_executive(app, new_page, path: str, title_key: str):
    """chen.jie on `path` for Huaxin, its first chart drawn, no error on screen."""
    url, db_path = app
    page = new_page(1600, 1000)
    _open(page, url, path, _huaxin(db_path), username="chen.jie")
    page.locator(f"{MAIN} h1", has_text=t(title_key, "en")).first.wait_for(state="visible")
    settle(page)
    _no_error(page)
    page.locator(CHART).first.wait_for(state="visible")
    return page


def test_whitespace_draws_one_page_and_sorts_by_name(app, new_page, artifacts):
    page = _open_as_executive(app, new_page, "whitespace", "whitespace.title")
    assert page.get_by_text(t("whitespace.sort", "en")).count()
    page.screenshot(path=str(artifacts / "whitespace-paged-en.png"), full_page=True)


def test_pipeline_sections_draw_when_their_tab_is_opened(app, new_page, artifacts):
    page = _open_as_executive(app, new_page, "pipeline", "pipe.title")
    assert page.locator(CHART).count() == 1  # the funnel only
    backtest = page.get_by_text(t("pipe.backtest", "en"))
    assert backtest.count() == 0
    _tab(page, t("pipe.forecasts", "en"))
    backtest.first.wait_for(state="visible")
    _no_error(page)
    page.screenshot(path=str(artifacts / "pipeline-forecasts-tab.png"), full_page=True)
    _tab(page, t("pipe.tab.flow", "en"))
    page.get_by_text(t("pipe.conversion", "en")).first.wait_for(state="visible")
    assert page.get_by_text(t("pipe.backtest", "en")).count() == 0
    _no_error(page)
