"""Feature pages in the real browser: run a huddle; the decision map with a hostile stakeholder name."""

from __future__ import annotations

from kamcore import store, users
from kamcore.i18n import t
from tests.browser.sign_in import settle, still
from tests.browser.test_browser_app import MAIN, _huaxin, _no_error, _open

HOSTILE = ('<img src=x onerror="window.parent.__pwned=1;alert(1)"> '
           '<script>window.top.__pwned=2</script> href="javascript:alert(3)"')


def test_running_a_huddle_records_a_decision(app, new_page):
    url, db_path = app
    page = new_page(1920, 1080)
    _open(page, url, "huddle", _huaxin(db_path))
    expander = page.get_by_text(t("huddle.start", "en"), exact=True)
    if not page.get_by_role("button", name=t("huddle.start_submit", "en")).is_visible():
        expander.click()
        page.get_by_role("button", name=t("huddle.start_submit", "en")).wait_for(state="visible")
    still(page)  # a click while the expander still opens slides off the button (sign_in.still)
    page.get_by_label(t("field.title", "en")).first.fill("Browser huddle")
    still(page)
    page.get_by_role("button", name=t("huddle.start_submit", "en")).click()
    page.get_by_text(t("huddle.started", "en")).first.wait_for(state="visible")
    settle(page)
    page.get_by_role("tab", name=t("huddle.tab.items", "en")).click()
    page.locator("textarea[aria-label=\"Text\"]").fill("Decided in the browser: send the reference-site invitation.")
    page.get_by_role("button", name=t("huddle.add", "en"), exact=True).click()
    page.get_by_text(t("huddle.item_added", "en"), exact=True).first.wait_for(state="visible")
    _no_error(page)
    db = store.connect(db_path)
    try:
        found = db.execute(
            "SELECT count(*) FROM huddle_items i JOIN huddles h ON h.id = i.huddle_id "
            "WHERE h.title = 'Browser huddle' AND i.text LIKE 'Decided in the browser%'").fetchone()[0]
    finally:
        db.close()
    assert found == 1


def test_decision_map_shows_a_hostile_name_as_text_and_runs_nothing(app, new_page):
    from kamcore.decision_chain import stakeholders

    url, db_path = app
    account_id = _huaxin(db_path)
    db = store.connect(db_path)
    try:
        li_wei = users.find_by_username(db, "li.wei")
        stakeholders.create_stakeholder(db, li_wei, account_id, {
            "account_id": account_id, "name": HOSTILE[:120], "level": "decision", "job_title": HOSTILE[:120],
            "roles": "decision_maker", "stance": "blocker", "notes": HOSTILE})
    finally:
        db.close()
    page = new_page(1920, 1080)
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    _open(page, url, "decision_chain", account_id)
    frame_element = page.locator(f"{MAIN} iframe").first
    frame_element.wait_for(state="visible")
    page.wait_for_timeout(2500)  # vis-network lays the graph out and draws it
    assert dialogs == []
    for frame in page.frames:
        assert frame.evaluate("() => window.__pwned === undefined"), f"script ran in {frame.url}"
    assert page.evaluate("() => window.__pwned === undefined")
    _no_error(page)
