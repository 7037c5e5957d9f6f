"""`/home` opens Home (issue 27: it opened a "Page not found" dialog): the default page is served at "/", and a
hidden page keeps the old address working."""

from __future__ import annotations

from kamcore.i18n import t
from tests.browser.sign_in import settle, sign_in
from tests.browser.test_browser_app import MAIN, _no_error


def test_slash_home_opens_home(app, new_page):
    url, _ = app
    page = new_page(1366, 900)
    sign_in(page, url, "li.wei", path="home")  # a deep link: signed in, the app opens the page it names
    page.locator(f"{MAIN} h1").first.wait_for(state="visible")
    settle(page)
    _no_error(page)
    assert page.get_by_text("Page not found").count() == 0
    assert page.get_by_role("dialog").count() == 0
    assert page.locator(f"{MAIN} h1").first.inner_text().strip() == t("home.title", "en")
