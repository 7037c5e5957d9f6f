"""The way a team works: three members of one account's iron triangle, each in their own browser
session, clicking through whole flows in rotation for minutes, then two of them saving the same
field at once, then the rotation again with the CPUs busy, then every visited page read in both
languages for slips.

AppTest runs one session, on one thread, one page at a time; a team does not. Every step asserts
against the database state read (through kamcore, in this process) BEFORE the action, and after
every step no exception box, no "Traceback", and no error alert except an expected conflict.
Problems are collected per page and step (the rotation goes on after one, from a fresh page) and
reported together, so one run names every defect. Screens land in test-artifacts/soak/.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from kamcore import activity, audit, store, users
from kamcore.i18n import t
from tests.browser.server import running_app
from tests.browser.sign_in import busy_cpus, settle, sign_in, still
from tests.visible_text import slips

ACCOUNT = "Huaxin Semiconductor"
TEAM = ("li.wei", "zhang.min", "wang.fang")  # its iron triangle (kamcore/demo/core.py)
MAIN = '[data-testid="stMain"]'
ERROR_BOX = '[data-testid="stException"]'
ALERT_ERROR = '[data-testid="stAlertContentError"]'
IDLE_SECONDS = float(os.environ.get("KAM_SOAK_SECONDS", 60))  # idle rotation: whole rounds until this much time passed
PlaywrightError = Exception  # narrowed below when Playwright is importable

with contextlib.suppress(ImportError):
    from playwright.sync_api import Error as PlaywrightError  # noqa: F811 - timeouts subclass it


# ------------------------------------------------------------------ the database, read in this process

class Db:
    """Short-lived connections to the app's database (the server writes it at the same time)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextlib.contextmanager
    def open(self):
        db = store.connect(self.path)
        try:
            yield db
        finally:
            db.close()

    def one(self, sql: str, params=()):
        with self.open() as db:
            return db.execute(sql, list(params)).fetchone()

    def user(self, username: str):
        with self.open() as db:
            return users.find_by_username(db, username)


@dataclass
class Member:
    username: str
    name: str
    page: object
    lang: str = "en"
    seen_history: int = 0
    seen_changes: int = 0


@dataclass
class Soak:
    url: str
    db: Db
    account_id: int
    artifacts: Path
    problems: list[str] = field(default_factory=list)
    texts: dict[tuple[str, str], str] = field(default_factory=dict)  # (page, lang) -> main text seen
    steps: int = 0

    def tag(self) -> str:
        return f"soak {time.strftime('%H%M%S')}.{self.steps}"


# ------------------------------------------------------------------ browser helpers

def _go(page, url_path: str) -> None:
    """Open a page through the top navigation (same Streamlit session, as a person clicks)."""
    page.bring_to_front()  # Chromium pauses the rendering of a page behind another one
    href = "/" if url_path == "home" else f"/{url_path}"
    link = page.locator(f'[data-testid="stTopNavDropdownLink"][href$="{href}"]')
    sections = page.locator('[data-testid="stTopNavSection"]')
    for index in range(sections.count()):
        if link.first.is_visible():
            break
        sections.nth(index).click()
        page.wait_for_timeout(150)
    link.first.click()
    page.locator(f"{MAIN} h1").first.wait_for(state="visible")
    settle(page)


def _reopen(soak: Soak, member: Member, url_path: str) -> None:
    """A fresh page load (a new Streamlit session; the sign-in cookie carries over)."""
    path = f"{'' if url_path == 'home' else url_path}?account={soak.account_id}"
    sign_in(member.page, soak.url, member.username, path=path)
    member.page.locator(f"{MAIN} h1").first.wait_for(state="visible")
    settle(member.page)


def _main_text(page) -> str:
    return page.locator(MAIN).inner_text()


def _screen_errors(page, lang: str, conflict_expected: bool = False) -> list[str]:
    """What must never be on screen after a step: exception box, traceback, unexpected error alert."""
    found = []
    if page.locator(ERROR_BOX).count():
        found.append("exception box: " + page.locator(ERROR_BOX).first.inner_text()[:300])
    body = page.locator("body").inner_text()
    if "Traceback" in body:
        found.append("'Traceback' on screen")
    if t("shell.unexpected", lang)[:20] in body:
        found.append("the 'something went wrong' message")
    for alert in page.locator(ALERT_ERROR).all_inner_texts():
        if conflict_expected and t("conflict.title", lang) in alert:
            continue
        found.append("error alert: " + alert[:300])
    return found


def _wait_text(page, *texts: str, timeout: float = 60_000) -> str:
    """Wait until one of `texts` is in the main area; return the one found."""
    locator = page.locator(MAIN).get_by_text(texts[0], exact=False)
    for text in texts[1:]:
        locator = locator.or_(page.locator(MAIN).get_by_text(text, exact=False))
    locator.first.wait_for(state="visible", timeout=timeout)
    settle(page)
    main = _main_text(page)
    return next((text for text in texts if text in main), "")


def _grid_cell(page, key_prefix: str, column: int, row: int = 0):
    """Open the overlay editor of one cell of a data editor (glide grid: a canvas, driven by keys).

    Known defect (issue 27, open): right after a rerun of the plan page (a Save with nothing to save) the goals
    grid takes the focus but ignores the first click — no cell selected, so the arrows and Enter open nothing;
    a second click works. A person clicks again; so does this helper, once, and says so on stdout."""
    grid = page.locator(f'[class*="st-key-{key_prefix}"] [data-testid="stDataFrame"]').first
    editor = page.locator("#portal textarea, #portal input").first
    for attempt in range(2):
        grid.scroll_into_view_if_needed()
        grid.wait_for(state="visible")
        page.wait_for_timeout(300)
        for _ in range(3):
            grid.click(position={"x": 60, "y": 35 + 35 * row + 17})  # below the 35 px header, in the first column
            page.wait_for_timeout(300)  # a person pauses after the click; an Enter in the same instant may open nothing
            if grid.evaluate("grid => grid.contains(document.activeElement)"):
                break
        # the arrows below must reach the grid: with the focus still on a tab bar (the tab just clicked open) they
        # switch tabs instead — the fresh-clone run's Needs page jumped from SPIN questions back to Iceberg that way
        assert grid.evaluate("grid => grid.contains(document.activeElement)"), "the grid never took the focus"
        for _ in range(column):
            page.keyboard.press("ArrowRight")
        page.keyboard.press("Enter")
        try:
            editor.wait_for(state="visible", timeout=10_000 if attempt else 5_000)
            return editor
        except PlaywrightTimeout:
            if attempt:
                raise
            print(f"\n{key_prefix}: the first click selected no cell; clicking again (known defect, issue 27)")
            page.keyboard.press("Escape")
    return editor


WATCH_RUN = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    window.__kamRunStarted = false;
    const observer = new MutationObserver(() => {
        if (app.getAttribute('data-test-script-state') !== 'notRunning') {
            window.__kamRunStarted = true;
            observer.disconnect();
        }
    });
    observer.observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""


def _edit_cell(page, key_prefix: str, column: int, text: str, row: int = 0) -> None:
    """Type `text` into one cell and wait until the edit has reached the server. Streamlit 1.67's data editor
    hands an edit committed with Enter to the server only after a 150 ms debounce (a click outside the grid
    flushes it at once); a Save clicked before then reruns without the edit and says there is nothing to
    save — the "grid edit lost before Save". A person does not press Enter and click Save within 150 ms."""
    editor = _grid_cell(page, key_prefix, column, row)
    editor.fill(text)
    page.evaluate(WATCH_RUN)
    page.keyboard.press("Enter")
    page.wait_for_function("() => window.__kamRunStarted", timeout=15_000)
    settle(page)


def _reload_table(page, key_prefix: str, lang: str) -> None:
    """Press a table's "reload latest" button and wait until the fresh editor has replaced the old one."""
    reload = page.get_by_role("button", name=t("table.reload", lang))
    if not reload.count():
        return
    container = page.locator(f'[class*="st-key-{key_prefix}"]').first
    container.wait_for(state="visible")
    shown = re.search(rf"st-key-{re.escape(key_prefix)}\S*", container.get_attribute("class") or "")
    reload.first.click()
    if shown:
        page.wait_for_function("cls => !document.getElementsByClassName(cls).length", arg=shown.group(0))
    settle(page)


def _submit(page, form_key: str, label: str) -> None:
    """Click the submit button of one form (`st.form(key)`: dots become dashes in the class name), once
    no expander around it is still opening (sign_in.still: a click on a sliding button is lost)."""
    still(page)
    page.locator(f'[class*="st-key-FormSubmitter-{form_key}"] button', has_text=label).first.click()


def _tab(page, label: str) -> None:
    """Open a tab; a click that lands while a run redraws the tabs is lost, so click until it is open."""
    tab = page.get_by_role("tab", name=label)
    for _ in range(5):
        if not tab.count() or tab.first.get_attribute("aria-selected") == "true":
            break
        tab.first.click()
        page.wait_for_timeout(300)
        settle(page)


def _expand(page, label: str, inside: str) -> None:
    """Open an expander unless the widget it holds is already visible, and wait until it has finished opening:
    a field filled while it still grows scrolls its clipped box, and the form then slides (sign_in.still)."""
    if not page.locator(inside).first.is_visible():
        page.locator('[data-testid="stExpander"] summary', has_text=label).first.click()
        page.locator(inside).first.wait_for(state="visible")
    still(page)


# ------------------------------------------------------------------ the steps of one member's round

def step_home(soak: Soak, m: Member) -> None:
    with soak.db.open() as db:
        expected = activity.change_count(db, users.find_by_username(db, m.username))
    _go(m.page, "home")
    label = t("home.metric.changes_7d", m.lang)
    metric = m.page.locator('[data-testid="stMetric"]', has_text=label).first
    value = int(re.sub(r"\D", "", metric.locator('[data-testid="stMetricValue"]').inner_text()) or -1)
    assert value == expected, f"home shows {value} changes in 7 days, kamcore counts {expected}"
    assert m.seen_changes == 0 or value > m.seen_changes, (
        f"the team saved since {m.username}'s last look, yet changes stay at {value}")
    m.seen_changes = value


def step_account(soak: Soak, m: Member) -> None:
    _go(m.page, "account")
    version, notes = soak.db.one("SELECT version, notes FROM accounts WHERE id = ?", [soak.account_id])
    box = m.page.get_by_label(t("field.notes", m.lang), exact=True)
    shown = box.input_value()
    if shown != notes:
        soak.problems.append(f"account / {m.username}: back on Account & team in the same session, the profile "
                             f"form shows notes {shown[:40]!r} and name "
                             f"{m.page.get_by_label(t('field.name', m.lang), exact=True).first.input_value()!r}, "
                             f"not the saved {notes[:40]!r} (version {version}); saving would write the blanks")
        _screenshot(soak, m, "account-blank-form")
        _reopen(soak, m, "account")  # go on from a fresh page
        version, notes = soak.db.one("SELECT version, notes FROM accounts WHERE id = ?", [soak.account_id])
        assert box.input_value() == notes, "even a fresh page does not show the saved notes"
    text = f"{notes.split(' · ')[0][:200]} · {soak.tag()} by {m.name}"
    box.fill(text)
    m.page.get_by_role("button", name=t("account.save", m.lang)).click()
    saved = t("account.saved", m.lang, version="").split(" ")[0]
    seen = _wait_text(m.page, saved, t("conflict.title", m.lang))
    if seen == t("conflict.title", m.lang):  # a teammate saved since this form was loaded: re-apply
        m.page.get_by_role("button", name=t("conflict.reapply", m.lang)).click()
        _wait_text(m.page, saved)
    now_version, now_notes = soak.db.one("SELECT version, notes FROM accounts WHERE id = ?", [soak.account_id])
    assert now_notes == text and now_version > version, (now_version, version, now_notes)


def step_plan(soak: Soak, m: Member) -> None:
    _go(m.page, "plan")
    _tab(m.page, t("plan.tab.goals", m.lang))
    title = f"{soak.tag()} by {m.name}"
    before = soak.db.one("SELECT count(*), max(version) FROM goals WHERE account_id = ? AND title = ?",
                         [soak.account_id, title])
    assert before[0] == 0
    _reload_table(m.page, "plan-goals-editor-", m.lang)  # a user reloads before editing, as the table offers
    _edit_cell(m.page, "plan-goals-editor-", column=2, text=title)  # quadrant, measure, title
    m.page.get_by_role("button", name=t("plan.save_goals", m.lang)).click()
    seen = _wait_text(m.page, t("table.saved", m.lang, count=1), t("table.refused", m.lang, count=1)[:25])
    if seen != t("table.saved", m.lang, count=1):  # a teammate saved that row first: re-apply
        m.page.get_by_role("button", name=t("conflict.reapply", m.lang)).first.click()
        _wait_text(m.page, t("table.saved", m.lang, count=1))
    count, version = soak.db.one("SELECT count(*), max(version) FROM goals WHERE account_id = ? AND title = ?",
                                 [soak.account_id, title])
    assert count == 1 and version > 1, f"goal title {title!r} saved {count} time(s)"


def _submit_once(m: Member, form_key: str, label: str, done: str) -> None:
    """Submit a create form and wait for its confirmation (a lost click fails the step: see sign_in.still)."""
    _submit(m.page, form_key, label)
    _wait_text(m.page, done)


def step_opportunities(soak: Soak, m: Member) -> None:
    _go(m.page, "opportunities")
    name = f"{soak.tag()} lead by {m.name}"
    (before,) = soak.db.one("SELECT count(*) FROM opportunities WHERE account_id = ?", [soak.account_id])
    _expand(m.page, t("opp.new", m.lang), '[class*="st-key-opp-new-name"] input')
    m.page.locator('[class*="st-key-opp-new-name"] input').first.fill(name)
    _submit_once(m, "opp-new", t("opp.create", m.lang), t("opp.created", m.lang, number="").strip(" .。"))
    (after,) = soak.db.one("SELECT count(*) FROM opportunities WHERE account_id = ?", [soak.account_id])
    row = soak.db.one("SELECT id, stage, version FROM opportunities WHERE account_id = ? AND name = ?",
                      [soak.account_id, name])
    assert after == before + 1 and row is not None, (before, after, row)
    deal_id, stage, version = row
    (moves,) = soak.db.one("SELECT count(*) FROM stage_history WHERE opportunity_id = ?", [deal_id])
    assert name in m.page.locator(f"{MAIN} h3").first.inner_text(), "the new lead is not the one on screen"
    _tab(m.page, t("opp.tab.stage", m.lang))
    boxes = m.page.locator('[class*="st-key-opp-check-"]')
    (met,) = soak.db.one("SELECT count(*) FROM opportunity_criteria WHERE opportunity_id = ? AND met", [deal_id])
    shown = [boxes.nth(i).locator('input[type="checkbox"]').is_checked() for i in range(boxes.count())]
    if sum(shown) != met:
        soak.problems.append(f"opportunities / {m.username}: the new lead's entry-criteria checklist shows "
                             f"{sum(shown)} criteria ticked, the database has {met} (ticks carried over from the "
                             f"deal shown before: widget keys are per criterion, not per deal); saving it marks "
                             f"them met")
        _screenshot(soak, m, "opp-checklist-carried-over")
    for index, checked in enumerate(shown):  # the entry criteria of the next stage (and the rest): all met
        if not checked:
            boxes.nth(index).locator("label").first.click()
    m.page.get_by_role("button", name=t("opp.checklist_save", m.lang), exact=True).click()
    _wait_text(m.page, t("opp.checklist_saved", m.lang, count="").strip(" .。"))
    (now_met,) = soak.db.one("SELECT count(*) FROM opportunity_criteria WHERE opportunity_id = ? AND met",
                             [deal_id])
    assert now_met == len(shown) > met, (met, len(shown), now_met)
    _submit(m.page, "opp-move", t("opp.move", m.lang))
    _wait_text(m.page, t("opp.moved", m.lang, stage="").strip(" .。"))
    now_stage, now_version = soak.db.one("SELECT stage, version FROM opportunities WHERE id = ?", [deal_id])
    (now_moves,) = soak.db.one("SELECT count(*) FROM stage_history WHERE opportunity_id = ?", [deal_id])
    assert now_stage != stage and now_version > version and now_moves == moves + 1, (stage, now_stage, moves,
                                                                                     now_moves)


def step_decision_chain(soak: Soak, m: Member) -> None:
    _go(m.page, "decision_chain")
    _tab(m.page, t("sh.tab.people", m.lang))
    name = f"Soak Person {soak.steps} {m.name}"
    (before,) = soak.db.one("SELECT count(*) FROM stakeholders WHERE account_id = ?", [soak.account_id])
    _expand(m.page, t("sh.new_person", m.lang), '[class*="st-key-new_person-"][class*="-name"] input')
    m.page.locator('[class*="st-key-new_person-"][class*="-name"] input').first.fill(name)
    m.page.locator('[class*="st-key-new_person-"][class*="-job_title"] input').first.fill("Plant engineer")
    _submit_once(m, "new_person-form", t("sh.add_person", m.lang), t("sh.added", m.lang, name=name))
    (after,) = soak.db.one("SELECT count(*) FROM stakeholders WHERE account_id = ?", [soak.account_id])
    (named,) = soak.db.one("SELECT count(*) FROM stakeholders WHERE account_id = ? AND name = ?",
                           [soak.account_id, name])
    assert after == before + 1 and named == 1, (before, after, named)


def step_relationships(soak: Soak, m: Member) -> None:
    _go(m.page, "relationships")
    _tab(m.page, t("rel.tab.plan", m.lang))
    plan = f"{soak.tag()}: lunch with the plant engineer, planned by {m.name}"
    (before,) = soak.db.one("SELECT count(*) FROM relationship_actions WHERE account_id = ?", [soak.account_id])
    m.page.locator('[class*="st-key-action-plan"] textarea').first.fill(plan)
    _submit(m.page, "action-new", t("rel.add_action", m.lang))
    _wait_text(m.page, t("rel.action_added", m.lang).split(".")[0])
    (after,) = soak.db.one("SELECT count(*) FROM relationship_actions WHERE account_id = ?", [soak.account_id])
    (named,) = soak.db.one("SELECT count(*) FROM relationship_actions WHERE account_id = ? AND plan = ?",
                           [soak.account_id, plan])
    assert after == before + 1 and named == 1, (before, after, named)


def step_history(soak: Soak, m: Member) -> None:
    with soak.db.open() as db:
        expected = audit.count_history(db, users.find_by_username(db, m.username), soak.account_id)
    _go(m.page, "history")
    shown = _wait_text(m.page, t("history.count", m.lang, count=expected))
    assert shown, f"history does not say {t('history.count', 'en', count=expected)!r}"
    assert expected > m.seen_history, f"{m.username} sees no new change since the last look ({expected})"
    m.seen_history = expected


def step_huddle(soak: Soak, m: Member) -> None:
    _go(m.page, "huddle")
    assert t("huddle.title", m.lang) in m.page.locator(f"{MAIN} h1").first.inner_text()


ROTATION: list[tuple[str, Callable[[Soak, Member], None]]] = [
    ("home", step_home), ("account", step_account), ("plan", step_plan), ("opportunities", step_opportunities),
    ("decision_chain", step_decision_chain), ("relationships", step_relationships), ("history", step_history),
    ("huddle", step_huddle),
]


def _screenshot(soak: Soak, m: Member, name: str) -> None:
    with contextlib.suppress(PlaywrightError):
        m.page.screenshot(path=str(soak.artifacts / f"{name}-{m.username}.png"), full_page=True)


def _run_step(soak: Soak, m: Member, page_name: str, step) -> None:
    """One step; a failure is recorded with page and member, and the member goes on from a fresh page."""
    soak.steps += 1
    try:
        step(soak, m)
    except (AssertionError, PlaywrightError) as exc:
        lines = str(exc).splitlines() or [""]
        waited = next((line.strip() for line in lines if "waiting for" in line), "")
        soak.problems.append(f"{page_name} / {m.username}: {type(exc).__name__}: {lines[0][:300]} {waited[:200]}")
        _screenshot(soak, m, f"fail-{page_name}-{soak.steps}")
    with contextlib.suppress(PlaywrightError):
        for problem in _screen_errors(m.page, m.lang):
            soak.problems.append(f"{page_name} / {m.username}: {problem}")
        soak.texts[(page_name, m.lang)] = _main_text(m.page)
    if soak.problems and soak.problems[-1].startswith(f"{page_name} / {m.username}"):
        with contextlib.suppress(PlaywrightError):
            _reopen(soak, m, "home")


def _rotate(soak: Soak, members: list[Member], *, seconds: float = 0, staggered: bool = False) -> int:
    """Whole rounds: every member through every step in turn (member by member within a step).
    Staggered: one round in which each step is taken by the next member (a third of the time)."""
    start, done = time.monotonic(), 0
    while done < 1 or time.monotonic() - start < seconds:
        for number, (page_name, step) in enumerate(ROTATION):
            for member in [members[number % len(members)]] if staggered else members:
                _run_step(soak, member, page_name, step)
        done += 1
    return done


# ------------------------------------------------------------------ fixtures

@pytest.fixture(scope="module")
def soak_app(demo_template, tmp_path_factory):
    """Its own server on its own copy of the demo (the writes here must not meet other browser tests)."""
    path = tmp_path_factory.mktemp("soak") / "app.db"
    shutil.copy(demo_template, path)
    with running_app(path) as url:
        yield url, path


@pytest.fixture(scope="module")
def team(soak_app, browser):
    url, path = soak_app
    db = Db(path)
    (account_id,) = db.one("SELECT id FROM accounts WHERE name = ?", [ACCOUNT])
    folder = Path(__file__).resolve().parents[2] / "test-artifacts" / "soak"
    folder.mkdir(parents=True, exist_ok=True)
    soak = Soak(url, db, account_id, folder)
    contexts, members = [], []
    for username in TEAM:
        context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-GB")
        context.set_default_timeout(45_000)
        contexts.append(context)
        page = context.new_page()
        members.append(Member(username, db.user(username).display_name, page))
        _reopen(soak, members[-1], "home")
    yield soak, members
    for context in contexts:
        context.close()


def _report(soak: Soak, title: str) -> str:
    return f"{title}: {len(soak.problems)} problem(s) in {soak.steps} steps\n  " + "\n  ".join(soak.problems)


# ------------------------------------------------------------------ the tests

def test_three_members_work_the_same_account_in_rotation(team):
    soak, members = team
    soak.problems.clear()
    started = time.monotonic()
    rounds = _rotate(soak, members, seconds=IDLE_SECONDS)
    _screenshot(soak, members[0], "rotation-end")
    print(f"idle rotation: {rounds} round(s), {soak.steps} steps, {time.monotonic() - started:.0f} s")
    assert not soak.problems, _report(soak, "idle rotation")


def test_two_members_save_the_same_field_at_once(team):
    soak, members = team
    soak.problems.clear()
    first, second = members[0], members[1]
    for m in (first, second):
        _reopen(soak, m, "account")
    version, notes = soak.db.one("SELECT version, notes FROM accounts WHERE id = ?", [soak.account_id])
    typed = {m.username: f"{notes[:100]} · at once, {m.name}" for m in (first, second)}
    for m in (first, second):
        assert m.page.get_by_label(t("field.notes", "en"), exact=True).input_value() == notes
        m.page.get_by_label(t("field.notes", "en"), exact=True).fill(typed[m.username])
    buttons = [m.page.get_by_role("button", name=t("account.save", "en")) for m in (first, second)]
    for button in buttons:  # both clicks leave before either run has finished
        button.click(no_wait_after=True)
    saved, conflict = t("account.saved", "en", version="").split(" ")[0], t("conflict.title", "en")
    outcome = {m.username: _wait_text(m.page, saved, conflict) for m in (first, second)}
    _screenshot(soak, second, "conflict-second")
    _screenshot(soak, first, "conflict-first")
    now_version, now_notes = soak.db.one("SELECT version, notes FROM accounts WHERE id = ?", [soak.account_id])
    assert sorted(outcome.values()) == sorted([saved, conflict]), f"exactly one lands: {outcome}"
    winner = next(m for m in (first, second) if outcome[m.username] == saved)
    loser = next(m for m in (first, second) if m is not winner)
    assert now_version == version + 1 and now_notes == typed[winner.username], (version, now_version, now_notes)
    body = _main_text(loser.page)
    assert winner.name in body, f"the conflict message does not name {winner.name}: {body[:400]}"
    assert loser.page.get_by_label(t("field.notes", "en"), exact=True).input_value() == typed[loser.username], \
        "the loser's typed value is gone"
    assert not _screen_errors(loser.page, "en", conflict_expected=True), _screen_errors(loser.page, "en", True)
    loser.page.get_by_role("button", name=t("conflict.reapply", "en")).click()
    _wait_text(loser.page, saved)
    final_version, final_notes = soak.db.one("SELECT version, notes FROM accounts WHERE id = ?", [soak.account_id])
    assert final_version == version + 2 and final_notes == typed[loser.username], (final_version, final_notes)
    for m in (first, second):
        assert not _screen_errors(m.page, "en"), _screen_errors(m.page, "en")


def test_the_rotation_again_with_the_cpus_busy(team):
    soak, members = team
    soak.problems.clear()
    started = time.monotonic()
    with busy_cpus(2):
        _rotate(soak, members, staggered=True)
        _screenshot(soak, members[2], "loaded-rotation-end")
    print(f"loaded rotation: {soak.steps} steps, {time.monotonic() - started:.0f} s")
    assert not soak.problems, _report(soak, "rotation under load")


def test_every_visited_page_reads_clean_in_both_languages(team):
    soak, members = team
    soak.problems.clear()
    reader = members[2]
    for lang, switch in (("zh", "中文"), ("en", "English")):
        reader.page.locator('[data-testid="stSidebar"]').get_by_text(switch, exact=True).click()
        reader.page.locator(f"{MAIN} h1").first.wait_for(state="visible")
        settle(reader.page)
        reader.lang = lang
        for page_name, _ in ROTATION:
            try:
                _go(reader.page, page_name)
            except PlaywrightError as exc:
                soak.problems.append(f"{page_name} [{lang}]: could not open: {str(exc).splitlines()[0]}")
                continue
            soak.texts[(page_name, lang)] = _main_text(reader.page)
            soak.problems += [f"{page_name} [{lang}]: {p}" for p in _screen_errors(reader.page, lang)]
        _screenshot(soak, reader, f"read-{lang}")
    for (page_name, lang), text in sorted(soak.texts.items()):
        found = slips(text)
        if found:
            soak.problems.append(f"{page_name} [{lang}]: {', '.join(found[:12])}")
    assert {lang for _, lang in soak.texts} == {"en", "zh"}
    assert not soak.problems, _report(soak, "visible text")
