"""Money with its currency and unit in the real browser: the USD account's walk-through and the ¥170M
tender, in English and 中文 (screenshots in the artifacts folder)."""

from __future__ import annotations

from kamcore import store
from kamcore.i18n import t
from tests.browser.sign_in import settle
from tests.browser.test_browser_app import MAIN, _huaxin, _no_error, _open


def _nile(db_path) -> int:
    db = store.connect(db_path)
    try:
        return db.execute("SELECT id FROM accounts WHERE name = 'Nile Telecom'").fetchone()[0]
    finally:
        db.close()


def _language(page, name: str, title: str) -> None:
    page.locator('[data-testid="stSidebar"]').get_by_text(name, exact=True).click()
    page.locator(f"{MAIN} h1", has_text=title).first.wait_for(state="visible")
    settle(page)


def test_usd_walkthrough_and_the_170m_tender_read_in_their_currency_and_unit(app, new_page, artifacts):
    url, db_path = app
    page = new_page(1600, 1000)
    nile = _nile(db_path)
    _open(page, url, "walkthrough", nile, username="chen.jie")
    page.locator(f"{MAIN} h1", has_text="Nile Telecom").first.wait_for(state="visible")
    settle(page)
    text = page.locator(MAIN).inner_text()
    assert "amounts in USD" in text and "USD " in text and "k CNY" not in text
    page.screenshot(path=str(artifacts / "money-walkthrough-usd-en.png"), full_page=True)
    _no_error(page)
    try:
        _language(page, "中文", "Nile Telecom")
        text = page.locator(MAIN).inner_text()
        assert "美元" in text and "千元人民币" not in text and "元人民币" not in text
        page.screenshot(path=str(artifacts / "money-walkthrough-usd-zh.png"), full_page=True)
        _no_error(page)

        _open(page, url, "opportunities", _huaxin(db_path), username="chen.jie")
        page.get_by_label(t("opp.search", "zh")).fill("Fab network")
        page.keyboard.press("Enter")
        page.get_by_text("1.70 亿元").first.wait_for(state="visible")
        settle(page)
        page.screenshot(path=str(artifacts / "money-tender-170m-zh.png"), full_page=True)
        _no_error(page)
    finally:
        _language(page, "English", t("opp.title", "en"))
    page.get_by_label(t("opp.search", "en")).fill("Fab network")
    page.keyboard.press("Enter")
    page.get_by_text("CNY 170.00 M").first.wait_for(state="visible")
    settle(page)
    page.screenshot(path=str(artifacts / "money-tender-170m-en.png"), full_page=True)
    _no_error(page)
