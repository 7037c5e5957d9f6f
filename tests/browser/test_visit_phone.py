"""Issue 31 item 5 / issue 27: a phone after the meeting. At 390×844 li.wei opens Relationships → Visits, finds
her visit of today first, records the outcome (visited on = today by default), the next step and the revisit
class, in under a minute, with nothing to scroll sideways and the Visits tab still open after saving."""

from __future__ import annotations

import time

from kamcore import clock, store, users
from kamcore.i18n import t
from kamcore.relationships import visits
from tests.browser.sign_in import settle
from tests.browser.test_browser_app import MAIN, _huaxin, _no_error, _open

NO_SIDEWAYS = "() => document.scrollingElement.scrollWidth <= window.innerWidth + 1"
OPEN_TAB = f'{MAIN} [role="tab"][aria-selected="true"]'


def _plan_today(db_path, account_id: int) -> int:
    """A visit of li.wei's planned for today (the server runs on the real clock)."""
    db = store.connect(db_path)
    try:
        li = users.find_by_username(db, "li.wei")
        person = db.execute("SELECT id FROM stakeholders WHERE account_id = ? ORDER BY id LIMIT 1",
                            [account_id]).fetchone()[0]
        row = visits.plan_visit(db, li, account_id, {
            "stakeholder_id": person, "owner_id": li.id, "purpose": "maintain",
            "planned_on": clock.today().isoformat(), "goal": "Phone visit of today"})
        return row["id"]
    finally:
        db.close()


def _visit(db_path, visit_id: int) -> dict:
    db = store.connect(db_path)
    try:
        return dict(zip(("status", "visited_on", "planned_on", "next_step", "revisit_days"), db.execute(
            "SELECT status, visited_on, planned_on, next_step, revisit_days FROM visits WHERE id = ?",
            [visit_id]).fetchone(), strict=True))
    finally:
        db.close()


def test_a_visit_outcome_from_a_phone_is_dated_today_and_stays_on_the_tab(app, new_page, artifacts):
    url, db_path = app
    account_id = _huaxin(db_path)
    visit_id = _plan_today(db_path, account_id)
    before = _visit(db_path, visit_id)
    assert (before["status"], before["visited_on"]) == ("planned", None)
    page = new_page(390, 844)
    started = time.monotonic()
    _open(page, url, "relationships", account_id)
    page.get_by_role("tab", name=t("rel.tab.visits", "en")).click()
    settle(page)
    which = page.get_by_role("combobox", name=t("rel.which_visit", "en"), exact=True)
    which.wait_for(state="visible")
    assert "Phone visit of today" in which.input_value()  # first on the page, chosen already
    today = clock.today()
    shown = [page.get_by_role("spinbutton", name=f"{part}, {t('field.visited_on', 'en')}").get_attribute(
        "aria-valuenow") for part in ("year", "month", "day")]
    assert shown == [str(today.year), str(today.month), str(today.day)]  # "visited on" defaults to today
    page.get_by_label(t("field.outcome", "en"), exact=True).fill("Agreed on the pilot line; CFO wants a reference site")
    page.get_by_label(t("field.next_step", "en"), exact=True).fill("Send the reference-site invitation")
    revisit = page.get_by_role("combobox", name=t("field.revisit_days", "en"), exact=True)
    revisit.click()
    revisit.fill(t("revisit.20", "en"))
    page.keyboard.press("Enter")
    page.wait_for_function("(name) => [...document.querySelectorAll('input[role=combobox]')].some("
                           "i => i.getAttribute('aria-label') === name && i.value.startsWith('20'))",
                           arg=t("field.revisit_days", "en"))
    page.get_by_role("button", name=t("rel.save_outcome", "en")).click()
    page.get_by_text(t("rel.outcome_saved", "en")).first.wait_for(state="visible")
    settle(page)
    elapsed = time.monotonic() - started
    page.screenshot(path=str(artifacts / "visit-phone-390x844.png"), full_page=True)
    _no_error(page)
    assert page.locator(OPEN_TAB).first.inner_text() == t("rel.tab.visits", "en")  # no jump back to the plan tab
    assert page.evaluate(NO_SIDEWAYS), "the page scrolls sideways at 390 px"
    assert page.get_by_label(t("field.outcome", "en"), exact=True).input_value() == ""  # ready for the next one
    after = _visit(db_path, visit_id)
    assert after == {"status": "done", "visited_on": clock.today().isoformat(), "planned_on": before["planned_on"],
                     "next_step": "Send the reference-site invitation", "revisit_days": 20}
    assert elapsed < 60, f"recording the outcome took {elapsed:.0f} s"
