"""Screenshots of every Present section at 1920×1080 and 1366×768 (test-artifacts/present-*.png), and
nothing on a slide runs off the screen."""

from __future__ import annotations

import re

from playwright.sync_api import TimeoutError as PlaywrightTimeout

from kamcore.i18n import t
from tests.browser.sign_in import settle, sign_in
from tests.browser.test_present_follow import SLIDE, _clean, _ids, _moved, _where

SECTIONS = ("changes", "late", "risks", "decisions")


def test_every_present_section_fits_the_screen_at_both_sizes(app, new_page, artifacts):
    url, db_path = app
    huddle_id, account_id = _ids(db_path)
    for width, height in ((1920, 1080), (1366, 768)):
        page = new_page(width, height)
        sign_in(page, url, "li.wei", path=f"present?account={account_id}&huddle={huddle_id}")
        if page.locator(SLIDE).count() == 0:
            sign_in(page, url, "li.wei", path=f"present?account={account_id}&huddle={huddle_id}")
        for account in ("Huaxin Semiconductor", "Jiangnan Power Grid"):
            for section in SECTIONS:
                before = _where(page)
                option = f"{account} · {t('present.section.' + section, 'en')}"
                page.get_by_role("combobox", name=re.compile(t("present.jump", "en"))).first.click()
                page.get_by_role("option", name=option, exact=True).click()
                try:
                    _moved(page, before)
                except PlaywrightTimeout:  # already on that section
                    settle(page)
                _clean(page)
                bottom = page.evaluate(f"() => document.querySelector('{SLIDE}').getBoundingClientRect().bottom")
                assert bottom <= height, f"{option} runs off a {width}×{height} screen"
                name = re.sub(r"\W+", "-", f"{account}-{section}").lower()
                page.screenshot(path=str(artifacts / f"present-{width}x{height}-{name}.png"))
