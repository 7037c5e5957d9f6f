"""The executive's one-pager prints on ONE A4 sheet: every demo account, both languages, and an account
whose names run to the 200-character limit (Chromium's own print to PDF, the page's @page rules)."""

import re
from datetime import UTC, datetime

import pytest

from kamcore import clock, users
from kamcore.portfolio import overview
from kamui.portfolio_view import one_pager_html
from tests.conftest import DEMO_DAY


@pytest.fixture(autouse=True)
def demo_today(monkeypatch):
    moment = datetime.combine(DEMO_DAY, datetime.min.time(), tzinfo=UTC).replace(hour=9)
    monkeypatch.setattr(clock, "now", lambda: moment)


def printed_pages(browser, page_html: str) -> int:
    """How many sheets Chromium prints `page_html` on, honouring its CSS page size."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.set_content(page_html)
        pdf = page.pdf(prefer_css_page_size=True)
    finally:
        context.close()
    return len(re.findall(rb"/Type\s*/Page\b", pdf))


def test_a_printout_that_overflows_counts_two_sheets(browser):
    assert printed_pages(browser, "<p>one</p><p style='break-before:page'>two</p>") == 2


def test_every_demo_accounts_one_pager_prints_on_one_a4_sheet(browser, demo_db):
    admin = users.find_by_username(demo_db, "admin")
    accounts = demo_db.execute("SELECT id, name FROM accounts ORDER BY id").fetchall()
    assert len(accounts) >= 14
    sheets = {(name, lang): printed_pages(browser, one_pager_html(overview.account_card(demo_db, admin, aid), lang))
              for aid, name in accounts for lang in ("en", "zh")}
    assert {key: n for key, n in sheets.items() if n != 1} == {}


def test_a_one_pager_with_200_character_names_still_prints_on_one_sheet(browser, demo_db):
    admin = users.find_by_username(demo_db, "admin")
    busiest = max((overview.account_card(demo_db, admin, aid) for (aid,) in
                   demo_db.execute("SELECT id FROM accounts").fetchall()),
                  key=lambda card: len(one_pager_html(card, "zh")))
    long = "Very long name " * 14  # 210 characters
    busiest["name"] = long[:200]
    busiest["position"]["rationale"] = ("A rationale of several sentences that explains the posture. " * 8)[:480]
    for deal in busiest["pipeline"]["closing"]:
        deal["name"] = long[:200]
    page = one_pager_html(busiest, "zh")
    assert long[:200] in page
    assert printed_pages(browser, page) == 1
