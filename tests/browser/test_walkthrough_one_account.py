"""The walk-through never shows two accounts at once, with the machine busy (issue 27: Qilu's title above
Yunhai's "at risk" block, once in 13 switches, with the CPUs busy).

chen.jie (executive) walks all 14 demo accounts with Next while two CPU burners run beside the server. After
each switch, once the run has finished, every block on the screen must belong to the account named in the
title: the whole account screen sits in one container keyed by the account (`st-key-walk-account-<id>`),
every block of large type carries `data-account="<id>"`, and no container of another account is left.
"""

from __future__ import annotations

from kamcore import store, users
from kamcore.i18n import t
from kamcore.portfolio import overview
from tests.browser.sign_in import busy_cpus, settle
from tests.browser.test_browser_app import MAIN, _no_error, _open

SCREEN = f'{MAIN} [class*="st-key-walk-account-"]'
CHECK = """() => {
    const screens = [...document.querySelectorAll('[class*="st-key-walk-account-"]')];
    const ids = screens.map(s => [...s.classList].find(c => c.startsWith('st-key-walk-account-'))
                                 .slice('st-key-walk-account-'.length));
    const blocks = [...document.querySelectorAll('[data-testid="stMain"] [data-account]')]
        .map(b => b.getAttribute('data-account'));
    const title = document.querySelector('[data-testid="stMain"] h1');
    return {screens: ids, blocks: blocks, title: title ? title.innerText.trim() : null};
}"""


def _accounts(db_path) -> tuple[dict[int, str], int]:
    """Every account's name, and the first account of chen.jie's default walk."""
    db = store.connect(db_path)
    try:
        return ({r[0]: r[1] for r in db.execute("SELECT id, name FROM accounts")},
                overview.walk_order(db, users.find_by_username(db, "chen.jie"))[0])
    finally:
        db.close()


def _shown(page) -> dict:
    settle(page)
    return page.evaluate(CHECK)


def test_every_block_belongs_to_the_account_on_screen_under_busy_cpus(app, new_page):
    url, db_path = app
    names, first = _accounts(db_path)
    with busy_cpus(2, seconds=600):  # bounded, killed when the block ends
        page = new_page(1600, 1000)
        _open(page, url, "walkthrough", first, username="chen.jie")
        page.locator(SCREEN).first.wait_for(state="attached")
        seen, mixed = [], []
        for _ in range(len(names) + 1):
            shown = _shown(page)
            on_screen = shown["screens"]
            title = shown["title"]
            account = int(on_screen[0]) if len(on_screen) == 1 else None
            if (len(on_screen) != 1 or title != names.get(account)
                    or any(b != on_screen[0] for b in shown["blocks"]) or not shown["blocks"]):
                mixed.append(shown)
            seen.append(account)
            _no_error(page)
            following = page.get_by_role("button", name=t("walk.next", "en"), exact=True)
            if following.is_disabled():
                break
            following.click()
            page.wait_for_function("(old) => { const h = document.querySelector('[data-testid=\"stMain\"] h1');"
                                   " return h && h.innerText.trim() !== old; }", arg=title, timeout=60_000)
        assert not mixed, f"a screen mixed accounts: {mixed}"
        assert sorted(a for a in seen if a is not None) == sorted(names), f"walked {seen}, not all 14 accounts"
