"""Chromium settings and the steps every browser test shares (sign in, wait for a run to finish)."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys
import time
from pathlib import Path

from kamcore.sessions import COOKIE

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "warroom-demo"
SIGN_IN_TITLE = "Sign in to the war room"  # kamcore/i18n/core.py signin.title (a new session starts in English)
HOW_TO_GET_CHROMIUM = (
    f"no Chromium at {CHROMIUM}: install Debian's package (`apt-get install chromium fonts-noto-cjk`; "
    "scripts/test.sh does this when run as root) and `pip install -r requirements-dev.txt` for Playwright"
)


def chromium_path() -> str | None:
    """Debian's Chromium, if installed (no Playwright browser download)."""
    if Path(CHROMIUM).exists():
        return CHROMIUM
    return shutil.which("chromium")


def launch_args() -> list[str]:
    """Flags for a headless Chromium in a container with no network to spare."""
    return ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]


SETTLED = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    const state = app ? app.getAttribute('data-test-script-state') : 'initial';
    return !['initial', 'running', 'rerunRequested', 'stopRequested'].includes(state)
        && !document.querySelector('[data-testid="stStatusWidget"]');
}"""


def settle(page, timeout: float = 60_000) -> None:
    """Wait until the current script run has finished: the app's own run state (the status widget alone
    shows only after a run has lasted a while, so a busy server's run could still be going)."""
    page.bring_to_front()  # a page behind another one is hidden: Chromium pauses its rendering
    page.wait_for_timeout(150)
    page.wait_for_function(SETTLED, timeout=timeout)
    page.wait_for_timeout(100)


STILL = """() => [...document.querySelectorAll('[data-testid="stExpander"] details')]
    .every(details => details.getAnimations().every(a => a.playState !== 'running' && !a.pending))"""


def still(page, timeout: float = 10_000) -> None:
    """Wait until no expander is opening or closing. Streamlit 1.67 animates an expander's height for 500 ms
    with overflow hidden; Playwright's `fill` of a field inside scrolls that clipped box to show the field, and
    as the box grows the scroll runs back: everything inside slides down, frame by frame. A click sent then
    presses the button and releases it lower down, on another element — no click event, nothing sent to the
    server: the "lost submit" of the team soak (frames and pointer events in the report of wt-lostsubmit).
    A person cannot open an expander, type into it and click within half a second."""
    page.wait_for_function(STILL, timeout=timeout)


def sign_in(page, url: str, username: str = "li.wei", password: str = PASSWORD, path: str = "") -> None:
    """Open `url/path`; if the app asks, sign in through the form (a deep link lands on its page)."""
    page.bring_to_front()
    page.goto(f"{url}/{path}")
    form = page.get_by_role("textbox", name="Username")
    form.or_(page.locator('[data-testid="stMain"] h1')).first.wait_for(state="visible", timeout=90_000)
    settle(page)
    if page.locator('[data-testid="stMain"] h1', has_text=SIGN_IN_TITLE).count():
        form.wait_for(state="visible", timeout=90_000)  # the sign-in page's title is drawn before its form
    if form.is_visible():
        form.fill(username)
        page.get_by_role("textbox", name="Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        form.wait_for(state="hidden", timeout=90_000)
        settle(page)


open_page = sign_in


def wait_for_session_cookie(page, timeout: float = 60.0) -> None:
    """Wait until the browser holds the session cookie (set by the sign-in's one-time hand-over), so a
    `goto` that follows is still signed in: the app's own state, not a guess at how long it takes."""
    deadline = time.monotonic() + timeout
    while not any(c["name"] == COOKIE for c in page.context.cookies()):
        assert time.monotonic() < deadline, f"no {COOKIE} cookie {timeout:.0f} s after signing in"
        page.wait_for_timeout(50)  # a poll interval: the browser keeps running while we look again


@contextlib.contextmanager
def busy_cpus(count: int = 2, seconds: float = 600):
    """`count` CPU burners beside the server, each bounded to `seconds` on its own and killed (by its pid)
    when the block ends: races between threads and a slow hidden frame show this way."""
    burn = f"import time\nend = time.monotonic() + {seconds}\nwhile time.monotonic() < end: pass"
    procs = [subprocess.Popen([sys.executable, "-c", burn]) for _ in range(count)]
    try:
        yield
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()
