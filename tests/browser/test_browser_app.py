"""The running app in headless Chromium: sign in, edit, conflict, language, every page's screenshot."""

from __future__ import annotations

from kamcore import store
from kamcore.i18n import t
from tests.browser.sign_in import settle, sign_in
from tests.conftest import ROOT

MAIN = '[data-testid="stMain"]'


def _pages() -> list[tuple[str, str]]:
    from scripts.bench import registered_pages

    return [(path, url) for path, url in registered_pages() if (ROOT / path).exists()]


def _huaxin(db_path) -> int:
    db = store.connect(db_path)
    try:
        return db.execute("SELECT id FROM accounts WHERE name = 'Huaxin Semiconductor'").fetchone()[0]
    finally:
        db.close()


def _open(page, url: str, url_path: str, account_id: int, username: str = "li.wei") -> None:
    """Open a page by its URL (signing in on the way when the session does not carry over)."""
    path = f"{'' if url_path == 'home' else url_path}?account={account_id}"
    sign_in(page, url, username, path=path)
    if url_path != "home" and f"/{url_path}?" not in page.url:  # seen once: the very first deep link after
        sign_in(page, url, username, path=path)                   # the server started landed on home
    assert url_path == "home" or f"/{url_path}?" in page.url, page.url
    page.locator(f"{MAIN} h1").first.wait_for(state="visible")


def _no_error(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0, page.locator(
        '[data-testid="stException"]').first.inner_text()
    assert t("shell.unexpected", "en")[:30] not in page.locator(MAIN).inner_text()


def _notes(db_path, account_id: int) -> str:
    db = store.connect(db_path)
    try:
        return db.execute("SELECT notes FROM accounts WHERE id = ?", [account_id]).fetchone()[0]
    finally:
        db.close()


def test_sign_in_lands_on_the_home_page(app, new_page):
    url, _ = app
    page = new_page()
    sign_in(page, url)
    assert page.locator(f"{MAIN} h1").first.inner_text().strip() == t("home.title", "en")
    _no_error(page)


def test_editing_the_account_profile_saves_it(app, new_page):
    url, db_path = app
    page = new_page()
    account_id = _huaxin(db_path)
    _open(page, url, "account", account_id)
    notes = page.get_by_label("Notes")
    notes.fill("Edited in the browser: tender moved to Q3.")
    page.get_by_role("button", name=t("account.save", "en")).click()
    page.get_by_text("Saved. Version").first.wait_for(state="visible")
    assert _notes(db_path, account_id) == "Edited in the browser: tender moved to Q3."
    _no_error(page)


def test_a_conflicting_save_names_the_other_user_and_keeps_the_input(app, new_page):
    url, db_path = app
    mine, theirs = new_page(), new_page()
    account_id = _huaxin(db_path)  # on both users' teams
    _open(mine, url, "account", account_id, "li.wei")
    _open(theirs, url, "account", account_id, "zhang.min")
    theirs.bring_to_front()
    theirs.get_by_label("Notes").fill("Zhang Min's version of the notes.")
    theirs.get_by_role("button", name=t("account.save", "en")).click()
    theirs.get_by_text("Saved. Version").first.wait_for(state="visible")
    assert _notes(db_path, account_id) == "Zhang Min's version of the notes."

    mine.bring_to_front()
    mine.get_by_label("Notes").fill("Li Wei's stale edit.")
    mine.get_by_role("button", name=t("account.save", "en")).click()
    mine.get_by_text(t("conflict.title", "en")).first.wait_for(state="visible")
    settle(mine)
    body = mine.locator(MAIN).inner_text()
    assert t("conflict.title", "en") in body
    assert "Zhang Min" in body
    assert mine.get_by_label("Notes").input_value() == "Li Wei's stale edit.", "the user's input is kept"
    assert mine.get_by_role("button", name=t("conflict.reapply", "en")).is_visible()
    assert _notes(db_path, account_id) == "Zhang Min's version of the notes."
    _no_error(mine)


def test_switching_the_language_to_chinese(app, new_page):
    url, _ = app
    page = new_page()
    sign_in(page, url)
    page.locator('[data-testid="stSidebar"]').get_by_text("中文", exact=True).click()
    page.locator(f"{MAIN} h1", has_text=t("home.title", "zh")).first.wait_for(state="visible")
    settle(page)
    assert page.get_by_role("button", name=t("shell.sign_out", "zh")).is_visible()
    assert t("nav.group.war_room", "zh") in page.locator("body").inner_text()
    _no_error(page)
    # the choice is stored as li.wei's preference: switch back so later tests meet the English UI
    page.locator('[data-testid="stSidebar"]').get_by_text("English", exact=True).click()
    page.locator(f"{MAIN} h1", has_text=t("home.title", "en")).first.wait_for(state="visible")
    settle(page)


def test_every_page_renders_and_is_screenshotted_at_two_sizes(app, new_page, artifacts):
    url, db_path = app
    account_id = _huaxin(db_path)
    sizes = ((1920, 1080), (1366, 768))
    for width, height in sizes:
        (artifacts / "screens" / f"{width}x{height}").mkdir(parents=True, exist_ok=True)
    failures = []
    page = new_page(*sizes[0])
    for path, url_path in _pages():
        _open(page, url, url_path, account_id)
        for width, height in sizes:
            page.set_viewport_size({"width": width, "height": height})
            page.wait_for_function("w => window.innerWidth === w", arg=width)
            page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")  # drawn
            page.screenshot(path=str(artifacts / "screens" / f"{width}x{height}" / f"{url_path}.png"), full_page=True)
        errors = page.locator('[data-testid="stException"]').count()
        if errors or t("shell.unexpected", "en")[:30] in page.locator(MAIN).inner_text():
            failures.append(f"{path}: an error is on screen")
        page.set_viewport_size({"width": sizes[0][0], "height": sizes[0][1]})
    assert failures == []
