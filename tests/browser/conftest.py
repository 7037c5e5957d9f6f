"""Browser fixtures: one `streamlit run` on a copy of the demo database, one headless Chromium.

Skipped (with how to get Chromium) when Chromium or Playwright is missing.
"""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

import pytest

from tests.browser.server import running_app
from tests.browser.sign_in import HOW_TO_GET_CHROMIUM, chromium_path, launch_args

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def pytest_collection_modifyitems(config, items):
    if chromium_path() is None:
        skip = pytest.mark.skip(reason=HOW_TO_GET_CHROMIUM)
        for item in items:
            if "tests/browser" in str(item.fspath).replace("\\", "/"):
                item.add_marker(skip)


@pytest.fixture(scope="session")
def app(demo_template, tmp_path_factory):
    """(base URL, database path) of the app serving a private copy of the demo database."""
    path = tmp_path_factory.mktemp("browser") / "app.db"
    shutil.copy(demo_template, path)
    with running_app(path) as url:
        yield url, path


@pytest.fixture(scope="session")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason=HOW_TO_GET_CHROMIUM)
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=chromium_path(), args=launch_args())
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser):
    """A factory of pages, each in its own browser context (its own Streamlit session)."""
    contexts = []

    def make(width: int = 1366, height: int = 768):
        context = browser.new_context(viewport={"width": width, "height": height}, locale="en-GB")
        context.set_default_timeout(60_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On failure, keep a screenshot of every open page under test-artifacts/failures/."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed and "browser" in item.fixturenames:
        folder = ARTIFACTS / "failures"
        folder.mkdir(parents=True, exist_ok=True)
        browser = item.funcargs["browser"]
        for n, context in enumerate(browser.contexts):
            for m, page in enumerate(context.pages):
                with contextlib.suppress(Exception):  # a screenshot is a courtesy, never a second failure
                    page.screenshot(path=str(folder / f"{item.name}-{n}-{m}.png"), full_page=True)
