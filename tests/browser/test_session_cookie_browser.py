"""Issue 20 item 11: the session cookie. Served through serve.py the server sets it HttpOnly and
SameSite=Strict (no script can read the token) and a reload stays signed in; sign-out ends the session on
the server and deletes the cookie. Under plain `streamlit run Home.py` the script-set cookie is at least
SameSite=Strict, and sign-out still revokes the token on the server."""

from __future__ import annotations

import shutil

import pytest

from kamcore import sessions, store
from tests.browser.server import running_app
from tests.browser.sign_in import settle, sign_in


@pytest.fixture(scope="module")
def served(demo_template, tmp_path_factory):
    path = tmp_path_factory.mktemp("served") / "app.db"
    shutil.copy(demo_template, path)
    with running_app(path, entry="serve.py") as url:
        yield url, path


@pytest.fixture(scope="module")
def plain(demo_template, tmp_path_factory):
    path = tmp_path_factory.mktemp("plain") / "app.db"
    shutil.copy(demo_template, path)
    with running_app(path, entry="Home.py") as url:
        yield url, path


def session_cookie(page):
    page.wait_for_function("() => true")
    for _ in range(50):
        found = [c for c in page.context.cookies() if c["name"] == sessions.COOKIE]
        if found:
            return found[0]
        page.wait_for_timeout(100)
    return None


def signed_in(page) -> bool:
    return page.get_by_role("button", name="Sign out").is_visible()


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("textbox", name="Username").wait_for(state="visible")
    settle(page)


def test_served_cookie_is_httponly_strict_and_survives_a_reload(served, new_page):
    url, path = served
    page = new_page()
    sign_in(page, url)
    cookie = session_cookie(page)
    assert cookie is not None, "the server set the session cookie"
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Strict"
    assert sessions.COOKIE not in page.evaluate("document.cookie"), "no script can read the token"
    db = store.connect(path)
    assert sessions.resume(db, cookie["value"]) is not None
    page.reload()
    page.locator('[data-testid="stMain"] h1').first.wait_for(state="visible")
    settle(page)
    assert signed_in(page), "a reload stays signed in through the HttpOnly cookie"
    sign_out(page)
    assert sessions.resume(db, cookie["value"]) is None, "sign-out ends the session on the server"
    page.wait_for_timeout(500)
    assert not [c for c in page.context.cookies() if c["name"] == sessions.COOKIE], "and deletes the cookie"
    page.reload()
    page.get_by_role("textbox", name="Username").wait_for(state="visible")
    db.close()


def test_a_code_cannot_be_redeemed_from_another_site_or_twice(served, new_page):
    url, path = served
    db = store.connect(path)
    from kamcore import users

    token = sessions.start(db, users.find_by_username(db, "li.wei"))
    code = sessions.hand_over(db, token)
    page = new_page()
    forged = page.context.request.post(f"{url}/_kam/session", data=code, headers={"Origin": "http://evil.example"})
    assert forged.status == 403, "another site cannot trade a code for a cookie (login CSRF)"
    page.goto(f"{url}/_stcore/health")
    status = page.evaluate("""async ([url, code]) => {
        const r = await fetch(url + '/_kam/session', {method: 'POST', body: code}); return r.status; }""",
                           [url, code])
    assert status == 204
    again = page.evaluate("""async ([url, code]) => {
        const r = await fetch(url + '/_kam/session', {method: 'POST', body: code}); return r.status; }""",
                          [url, code])
    assert again == 410, "a hand-over code is used once"
    db.close()


def test_plain_streamlit_run_cookie_is_strict_and_sign_out_revokes_it(plain, new_page):
    url, path = plain
    page = new_page()
    sign_in(page, url, username="zhang.min")
    cookie = session_cookie(page)
    assert cookie is not None and cookie["sameSite"] == "Strict"
    db = store.connect(path)
    assert sessions.resume(db, cookie["value"]) is not None
    sign_out(page)
    assert sessions.resume(db, cookie["value"]) is None
    db.close()


def _free_run(length: int) -> int:
    """A first port of PORTS with `length` free ports in a row (nginx, then one per process)."""
    import socket

    from tests.browser.server import PORTS

    for base in PORTS:
        try:
            for port in range(base, base + length):
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise RuntimeError("no free ports")


def test_behind_the_nginx_cluster_the_cookie_is_httponly_and_a_reload_stays_signed_in(demo_template, tmp_path,
                                                                                        new_page):
    from scripts.cluster import cluster

    path = tmp_path / "cluster.db"
    shutil.copy(demo_template, path)
    with cluster(path, 2, _free_run(3), tmp_path, entry="serve.py") as (url, _pids):
        page = new_page()
        sign_in(page, url, username="wang.fang")
        cookie = session_cookie(page)
        assert cookie is not None and cookie["httpOnly"] is True and cookie["sameSite"] == "Strict"
        assert sessions.COOKIE not in page.evaluate("document.cookie")
        page.reload()
        page.locator('[data-testid="stMain"] h1').first.wait_for(state="visible")
        settle(page)
        assert signed_in(page)
        sign_out(page)
        db = store.connect(path)
        assert sessions.resume(db, cookie["value"]) is None
        db.close()
