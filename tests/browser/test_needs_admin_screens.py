"""Screenshots of the Needs page (iceberg and SPIN tabs) and of the Admin page's lead editor at 1920×1080 and
1366×768, in English and 中文, on the demo war room and on an empty one (test-artifacts/screens/needs-admin/);
each screen is read for slips (keys, codes, bare record numbers, None) and must show no error."""

from __future__ import annotations

import shutil

import pytest

from kamcore import accounts, store, users
from kamcore.i18n import t
from tests.browser.server import running_app
from tests.browser.sign_in import settle, sign_in, wait_for_session_cookie
from tests.browser.test_team_soak import MAIN, _screen_errors, _tab
from tests.visible_text import slips

SIZES = ((1920, 1080), (1366, 768))
EMPTY_PASSWORD = "empty-room-1"
SCROLLER = """(() => { let e = document.querySelector('[data-testid="stMain"]');
    while (e && !(e.scrollHeight > e.clientHeight + 5 && getComputedStyle(e).overflowY !== 'visible')) e = e.parentElement;
    return e; })()"""
SCROLL = f"""() => {{ const e = {SCROLLER}; if (!e) return false; const before = e.scrollTop;
    e.scrollTop = before + e.clientHeight - 80; return e.scrollTop > before; }}"""
TOP = f"() => {{ const e = {SCROLLER}; if (e) e.scrollTop = 0; }}"


@pytest.fixture(scope="module")
def demo_app(demo_template, tmp_path_factory):
    path = tmp_path_factory.mktemp("screens-demo") / "app.db"
    shutil.copy(demo_template, path)
    db = store.connect(path)
    (account_id,) = db.execute("SELECT id FROM accounts WHERE name = 'Jiangnan Power Grid'").fetchone()
    db.close()
    with running_app(path) as url:
        yield url, account_id, "li.wei", None


@pytest.fixture(scope="module")
def empty_app(tmp_path_factory):
    """A war room with its first administrator and one account, nothing else."""
    path = tmp_path_factory.mktemp("screens-empty") / "app.db"
    db = store.connect(path)
    admin = users.create_user(db, users.SYSTEM, "admin", "Admin", EMPTY_PASSWORD, "admin")
    account = accounts.create_account(db, admin, {"name": "First Account", "industry": "Energy", "region": "East"})
    db.close()
    with running_app(path) as url:
        yield url, account["id"], "admin", EMPTY_PASSWORD


def _language(page, lang: str) -> None:
    name = "中文" if lang == "zh" else "English"
    page.locator('[data-testid="stSidebar"]').get_by_text(name, exact=True).click()
    settle(page)
    page.wait_for_timeout(500)
    settle(page)


def _shoot(page, folder, name: str, lang: str, problems: list[str]) -> None:
    settle(page)
    page.wait_for_timeout(600)  # charts draw after the run
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
    for part in range(2, 5):  # Streamlit scrolls inside the app, not the page: the rest, a screen at a time
        moved = page.evaluate(SCROLL)
        if not moved:
            break
        page.wait_for_timeout(400)
        page.screenshot(path=str(folder / f"{name}-{part}.png"))
    page.evaluate(TOP)
    text = page.locator(MAIN).inner_text()
    problems += [f"{name}: {p}" for p in _screen_errors(page, lang)]
    problems += [f"{name}: slip {s!r}" for s in slips(text)]


@pytest.mark.parametrize("room", ["demo", "empty"])
def test_needs_and_lead_editor_screens_in_both_languages_at_both_sizes(room, demo_app, empty_app, new_page,
                                                                       artifacts):
    url, account_id, who, password = demo_app if room == "demo" else empty_app
    folder = artifacts / "screens" / "needs-admin"
    folder.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    for width, height in SIZES:
        page = new_page(width, height)
        sign_in(page, url, who, **({"password": password} if password else {}))
        wait_for_session_cookie(page)
        for lang in ("en", "zh"):
            _language(page, lang)
            page.goto(f"{url}/needs?account={account_id}")
            page.locator(f"{MAIN} h1", has_text=t("needs.title", lang)).first.wait_for(state="visible")
            settle(page)
            _shoot(page, folder, f"{room}-needs-iceberg-{lang}-{width}x{height}", lang, problems)
            _tab(page, t("needs.tab.spin", lang))
            _shoot(page, folder, f"{room}-needs-spin-{lang}-{width}x{height}", lang, problems)
            for path, title in (("whitespace", "whitespace.title"), ("pipeline", "pipe.title")):  # paged / tabbed
                page.goto(f"{url}/{path}?account={account_id}")
                page.locator(f"{MAIN} h1", has_text=t(title, lang)).first.wait_for(state="visible")
                _shoot(page, folder, f"{room}-{path}-{lang}-{width}x{height}", lang, problems)
            if room == "demo":  # the lead editor is the administrator's
                continue
            page.goto(f"{url}/admin")
            page.locator(f"{MAIN} h1", has_text=t("admin.title", lang)).first.wait_for(state="visible")
            _shoot(page, folder, f"{room}-admin-{lang}-{width}x{height}", lang, problems)
        _language(page, "en")
    if room == "demo":  # the demo's administrator, with leads set and missing
        for width, height in SIZES:
            page = new_page(width, height)
            sign_in(page, url, "admin")
            wait_for_session_cookie(page)
            for lang in ("en", "zh"):
                _language(page, lang)
                page.goto(f"{url}/admin")
                page.locator(f"{MAIN} h1", has_text=t("admin.title", lang)).first.wait_for(state="visible")
                _shoot(page, folder, f"demo-admin-{lang}-{width}x{height}", lang, problems)
            _language(page, "en")
    assert problems == [], "\n".join(problems)
