"""Production error handling in a real browser: an unexpected error inside a fragment or a
widget callback shows the friendly message with a reference, never a traceback; the server
log has the traceback under the same reference."""

from __future__ import annotations

import re
import shutil

import pytest

from kamcore.i18n import t
from tests.browser.server import running_app
from tests.browser.sign_in import settle, sign_in

MAIN = '[data-testid="stMain"]'
MARKER = "SECRET-TRACEBACK-MARKER"


@pytest.fixture(scope="module")
def hooks_app(demo_template, tmp_path_factory):
    """A server with the test-only hooks page (KAM_TEST_HOOKS=1)."""
    path = tmp_path_factory.mktemp("errors") / "app.db"
    shutil.copy(demo_template, path)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KAM_TEST_HOOKS", "1")
        with running_app(path) as url:
            yield url, path


def _friendly_and_nothing_else(page) -> str:
    main = page.locator(MAIN)
    text = main.inner_text()
    assert t("shell.unexpected", "en")[:30] in text, text
    for leak in (MARKER, "Traceback", "PlantedError", "planted failure", 'File "'):
        assert leak not in page.content(), leak
    assert page.locator('[data-testid="stException"]').count() == 0
    found = re.search(r"reference ([0-9a-f]{8})", text)
    assert found, text
    return found.group(1)


def test_errors_in_a_callback_and_a_fragment_show_only_the_friendly_message(hooks_app, new_page):
    url, db_path = hooks_app
    page = new_page()
    sign_in(page, url, "li.wei")  # the very first request of a fresh server does not know hidden pages yet
    page.goto(f"{url}/test-hooks")
    page.get_by_text("Test hooks").first.wait_for(state="visible")
    assert t("shell.unexpected", "en")[:30] not in page.locator(MAIN).inner_text()  # before: no error

    page.get_by_role("button", name="Break in a callback").click()
    settle(page)
    callback_ref = _friendly_and_nothing_else(page)

    page.reload()
    page.get_by_text("fragment ready").first.wait_for(state="visible")
    settle(page)
    page.get_by_role("button", name="Break inside the fragment").click()
    page.get_by_text(re.compile(r"reference [0-9a-f]{8}")).first.wait_for(state="visible")
    fragment_ref = _friendly_and_nothing_else(page)
    assert fragment_ref != callback_ref

    log = db_path.with_suffix(".server.log").read_text()
    for ref, where in ((callback_ref, "callback"), (fragment_ref, "fragment")):
        line = next(line for line in log.splitlines() if ref in line)
        assert where in line
    assert log.count(MARKER) >= 2  # the details are in the server log, not in the browser
