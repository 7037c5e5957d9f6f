"""Retrospectives in the real browser: the record on screen is the one that is saved (issue 13).

A user picks one retrospective, then starts a new one from a deal and types its summary: the summary must
land on the NEW retrospective and the one picked before must stay exactly as it was.
"""

from __future__ import annotations

from kamcore import store, users
from kamcore.i18n import choice_label, t
from kamcore.learning import retrospectives
from tests.browser.sign_in import settle, still
from tests.browser.test_browser_app import MAIN, _huaxin, _no_error, _open

SUMMARY = "Typed in the browser: the new review's summary."


def _draft(db_path, account_id: int, title: str) -> dict:
    """A draft mid-deal review on Huaxin."""
    db = store.connect(db_path)
    try:
        li = users.find_by_username(db, "li.wei")
        deal = db.execute("SELECT id FROM opportunities WHERE account_id = ? AND status = 'open' ORDER BY id",
                          [account_id]).fetchone()[0]
        return retrospectives.create_retrospective(db, li, {
            "account_id": account_id, "opportunity_id": deal, "review_type": "mid_deal",
            "title": title})
    finally:
        db.close()


def _row(db_path, retro_id: int) -> dict:
    db = store.connect(db_path)
    try:
        return store.row(db, "SELECT id, title, summary, version FROM retrospectives WHERE id = ?", [retro_id])
    finally:
        db.close()


def _newest(db_path) -> int:
    db = store.connect(db_path)
    try:
        return db.execute("SELECT max(id) FROM retrospectives").fetchone()[0]
    finally:
        db.close()


def test_starting_a_retrospective_then_saving_writes_the_new_one_not_the_one_picked_before(app, new_page):
    url, db_path = app
    huaxin = _huaxin(db_path)
    first = _draft(db_path, huaxin, "Browser: the one picked first")
    _draft(db_path, huaxin, "Browser: shown by default")  # newer, so the page opens on it
    page = new_page(1600, 1400)
    _open(page, url, "retrospectives", huaxin)
    # pick the first retrospective explicitly (the bug: a pick held in the session beat the new record)
    main = page.locator(MAIN)
    main.locator('[data-testid="stSelectbox"]').filter(
        has=page.get_by_text(t("retro.pick", "en"), exact=True)).locator("input").first.click()
    page.locator('[role="option"]', has_text=first["title"]).first.click()
    settle(page)
    main.locator("h2", has_text=first["title"]).first.wait_for(state="visible")
    # start a new one from a deal
    start = main.get_by_role("button", name=t("retro.create", "en"))
    if not start.is_visible():
        main.locator('[data-testid="stExpander"] summary', has_text=t("retro.new", "en")).first.click()
    start.wait_for(state="visible")
    still(page)  # a click while the expander still opens slides off its target (sign_in.still)
    main.locator('[data-testid="stRadio"]').get_by_text(choice_label("review_type", "mid_deal", "en"),
                                                        exact=True).first.click()
    settle(page)
    start.click()
    main.get_by_text(t("retro.created_shown", "en")).first.wait_for(state="visible")
    settle(page)
    newest = _newest(db_path)
    assert newest != first["id"]
    new_title = _row(db_path, newest)["title"]
    main.locator("h2", has_text=new_title).first.wait_for(state="visible")
    # type the summary and save
    main.get_by_label(t("field.summary", "en"), exact=True).fill(SUMMARY)
    main.get_by_role("button", name=t("common.save", "en"), exact=True).first.click()
    main.get_by_text("Saved. Version").first.wait_for(state="visible")
    _no_error(page)
    assert _row(db_path, newest)["summary"] == SUMMARY
    assert _row(db_path, first["id"]) == {k: first[k] for k in ("id", "title", "summary", "version")}
