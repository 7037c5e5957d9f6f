"""Benchmark every page at sizes S, M and L against the framework's floor.

    .venv/bin/python scripts/bench.py [--sizes S,M,L] [--runs 5] [--pages home,account] [--users li.wei,chen.jie,admin]
                                      [--browser] [--rebuild] [--table-from test-artifacts/bench.json]

The README's table (every page, the three roles, S/M/L, warm and after a write): `scripts/bench.py --runs 5`.

For each size the generated database (kamcore/demo/scale.py) is built once into
--dir (default /tmp/kam-bench) and reused while the schema and generator are
unchanged. Then, in a separate process per size:

- every page registered in Home.py PAGES is run as a user would meet it, for each role in
  --users (default: li.wei the member with 5 accounts, chen.jie the executive who sees every
  account, admin): a fresh `AppTest.from_file("Home.py")`, signed in, with `?account=` the
  demo account Huaxin Semiconductor, switched to the page before its first run (as when
  opening the page's URL) — that full run is timed (one warm-up, then the median of
  --runs fresh apps): the "warm" figure;
- "after a write": before each of --runs more fresh runs, another user (a member of the
  account's team who is not the viewer) saves a change to Huaxin Semiconductor's notes
  through kamcore, so the timed run is the first view after someone else's write;
- the floor: `scripts/bench_floor.py`, a page that only draws a title, timed the same
  way (fresh AppTest, median of --runs);
- peak memory: the process's peak RSS, and per page the Python allocation peak
  (tracemalloc) of one extra run at that size.

Every fresh AppTest shares one compiled-script cache, as every session of a `streamlit run`
server does (AppTest alone recompiles Home.py and the page on each fresh app: up to 0.15 s for
a long page, a cost no server visit pays and the three-line floor hardly has). The rest of a
fresh AppTest's set-up (its component scan, 50-150 ms here) stays in page and floor alike.

A page that raises (an exception, or the app's "Something went wrong … reference" box) is
not timed: its cells read "error", the error is printed, and the command exits with status 1.

With --browser the heaviest pages (by median at the largest size) are also opened in
headless Chromium against `streamlit run` on that database: the figure is the time
from clicking "Sign in" on the page's deep link until its title is visible and the
script run has finished (median of 3 after one warm-up visit).

Prints a markdown table per role (medians in ms and page ÷ floor, warm and after a write, per
size) and writes test-artifacts/bench.json. Goal: at L every page for every role ≤ 2× the floor
warm and ≤ 3× after another user's write.
"""

from __future__ import annotations

import argparse
import ast
import json
import multiprocessing
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

FLOOR = ROOT / "scripts" / "bench_floor.py"
ACCOUNT = "Huaxin Semiconductor"
USER = "li.wei"
USERS = ("li.wei", "chen.jie", "admin")  # member, executive, administrator
WARM_GOAL, WRITE_GOAL = 2.0, 3.0
PORTS = range(8609, 8620)


def registered_pages() -> list[tuple[str, str]]:
    """(path, url_path) of every page in Home.py PAGES, read without running Streamlit."""
    tree = ast.parse((ROOT / "Home.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "PAGES" for t in node.targets):
            pages = ast.literal_eval(node.value)
            return [(path, url) for group in pages.values() for path, _title, _icon, url in group]
    raise SystemExit("Home.py has no PAGES")


def database(size: str, folder: Path, rebuild: bool = False) -> Path:
    """The generated database for `size`, rebuilt when the schema or the generator changed."""
    from kamcore import store
    from kamcore.demo import scale

    path = folder / f"bench-{size}.db"
    sources = [*(ROOT / "db").glob("m*.py"), *(ROOT / "kamcore" / "demo").glob("*.py")]
    stale = not path.exists() or path.stat().st_mtime < max(p.stat().st_mtime for p in sources)
    if rebuild or stale:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        folder.mkdir(parents=True, exist_ok=True)
        db = store.connect(path)
        started = time.perf_counter()
        counts = scale.generate(db, size, progress=_bar(size))
        db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.close()
        print(f"\nbuilt {size} in {time.perf_counter() - started:.0f} s: {counts}", flush=True)
    return path


def _bar(size: str):
    def show(share: float, step: str) -> None:
        print(f"\r  {size} [{'#' * int(share * 30):<30}] {share:4.0%} {step:<30}", end="", flush=True)
    return show


# ---- measuring (in a child process per size) ---------------------------------------------------
class PageError(RuntimeError):
    """A page showed an exception or the app's unexpected-error box: its time means nothing."""


def _like_a_server() -> None:
    """Fresh AppTests share the compiled scripts, as every session of one `streamlit run` process shares
    its Runtime's ScriptCache. (The rest of a fresh AppTest's set-up, its component scan included, stays in
    every run, page and floor alike: it is the session cost the floor has always stood for.)"""
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1 import app_test, local_script_runner

    if getattr(app_test, "_kam_shared", False):
        return
    scripts = ScriptCache()
    app_test.ScriptCache = local_script_runner.ScriptCache = lambda: scripts
    app_test._kam_shared = True
    from streamlit import config

    config.set_option("client.showErrorDetails", "full")  # the bench names a failing page's error (never a browser)


def _check(at, page: str, user_id: int) -> None:
    """Raise PageError when the run shows an exception or the error boundary's message."""
    from kamcore.i18n import t

    marker = t("shell.unexpected_ref", "en", ref="").split("{")[0][:40]
    shown = [str(e.message) for e in at.exception] + [str(e.value) for e in at.error if marker in str(e.value)]
    if shown:
        raise PageError(f"{page} (user id {user_id}) shows an error: {shown[0][:500]}")


def _app(user_id: int, account_id: int):
    from streamlit.testing.v1 import AppTest

    _like_a_server()
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=120)
    at.session_state["user_id"] = user_id
    at.session_state["lang"] = "en"
    at.query_params["account"] = str(account_id)
    return at


def _time_page(page: str, user_id: int, account_id: int, runs: int) -> tuple[list[float], list[float]]:
    """Page runs interleaved with floor runs, so a busy machine slows both alike (the ratio stays fair)."""
    from streamlit.testing.v1 import AppTest

    _like_a_server()
    times, floors = [], []
    for attempt in range(runs + 1):
        floor = AppTest.from_file(str(FLOOR), default_timeout=60)
        started = time.perf_counter()
        floor.run()
        floor_time = time.perf_counter() - started
        at = _app(user_id, account_id).switch_page(page)  # lands straight on the page, like opening its URL
        started = time.perf_counter()
        at.run()
        elapsed = time.perf_counter() - started
        _check(at, page, user_id)
        if attempt:  # the first run warms imports and caches
            times.append(elapsed)
            floors.append(floor_time)
    return times, floors


def _time_floor(runs: int) -> list[float]:
    from streamlit.testing.v1 import AppTest

    _like_a_server()
    times = []
    for attempt in range(runs + 1):
        at = AppTest.from_file(str(FLOOR), default_timeout=60)
        started = time.perf_counter()
        at.run()
        if attempt:
            times.append(time.perf_counter() - started)
    return times


def _writer(db_path: str, viewer: str, account_id: int):
    """Another user who may edit the account: a team member who is not the viewer (else an administrator)."""
    from kamcore import permissions, store, users

    db = store.connect(db_path)
    try:
        team = [r[0] for r in db.execute(
            "SELECT u.username FROM account_team t JOIN users u ON u.id = t.user_id WHERE t.account_id = ? "
            "ORDER BY t.first_responsible DESC, u.id", [account_id]).fetchall()]
        for name in [*team, "admin", "li.wei"]:
            user = users.find_by_username(db, name)
            if name != viewer and user is not None and permissions.can_edit(db, user, account_id):
                return user
        raise SystemExit(f"nobody but {viewer} may edit {ACCOUNT}")
    finally:
        db.close()


def _write(db_path: str, writer, account_id: int, n: int) -> None:
    """One save by `writer` to the account (its notes), through kamcore like the account page does."""
    from kamcore import accounts, store

    db = store.connect(db_path)
    try:
        account = accounts.get_account(db, writer, account_id)
        accounts.update_account(db, writer, account_id, account["version"], {"notes": f"bench write {n}"})
    finally:
        db.close()


def _time_after_write(page: str, user_id: int, account_id: int, runs: int, db_path: str, writer,
                      ) -> tuple[list[float], list[float]]:
    """Each timed run is the first view of the page after another user's write (floor run just before it)."""
    from streamlit.testing.v1 import AppTest

    times, floors = [], []
    for attempt in range(runs):
        floor = AppTest.from_file(str(FLOOR), default_timeout=60)
        started = time.perf_counter()
        floor.run()
        floors.append(time.perf_counter() - started)
        _write(db_path, writer, account_id, attempt)
        at = _app(user_id, account_id).switch_page(page)
        started = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - started)
        _check(at, page, user_id)
    return times, floors


def _figures(times: list[float], floors: list[float]) -> dict:
    return {"median": statistics.median(times), "runs": times, "floors": floors,
            "ratio": statistics.median(t / f for t, f in zip(times, floors, strict=True))}


def measure(args: tuple[str, str, list[str], int, list[str]]) -> dict:
    """All pages for every role at one size (runs in its own process, so memory figures are per size)."""
    size, db_path, pages, runs, usernames = args
    os.environ["KAM_DB"] = db_path
    os.environ["KAM_DEBUG"] = "1"  # an unexpected error surfaces as an exception (and fails the page)
    import logging

    logging.getLogger("streamlit").setLevel(logging.ERROR)
    from kamcore import store, users

    db = store.connect(db_path)
    account_id = db.execute("SELECT id FROM accounts WHERE name = ?", [ACCOUNT]).fetchone()[0]
    ids = {name: users.find_by_username(db, name).id for name in usernames}
    db.close()
    result = {"size": size, "floor": statistics.median(_time_floor(runs)), "users": {}}
    for username in usernames:
        user_id, writer = ids[username], _writer(db_path, username, account_id)
        out = result["users"][username] = {"writer": writer.username, "pages": {}}
        for page in pages:
            if not (ROOT / page).exists():
                out["pages"][page] = {"missing": True}
                continue
            try:
                warm = _figures(*_time_page(page, user_id, account_id, runs))
                after = _figures(*_time_after_write(page, user_id, account_id, runs, db_path, writer))
            except PageError as exc:  # no time for a page that fails: say so loudly and go on
                out["pages"][page] = {"error": str(exc)}
                result.setdefault("errors", []).append(str(exc))
                print(f"  {size} {username:<9} {page:<30} ERROR {exc}", file=sys.stderr, flush=True)
                continue
            info = out["pages"][page] = {**warm, "after_write": after}
            if username == usernames[0]:
                tracemalloc.start()
                _app(user_id, account_id).switch_page(page).run()
                info["alloc_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
                tracemalloc.stop()
            print(f"  {size} {username:<9} {page:<30} warm {warm['median'] * 1000:6.0f} ms {warm['ratio']:4.1f}x"
                  f"   after a write {after['median'] * 1000:6.0f} ms {after['ratio']:4.1f}x", flush=True)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


# ---- the browser-side figure ----------------------------------------------------------------------
def browser_times(db_path: Path, pages: list[tuple[str, str]], runs: int = 3) -> dict[str, float]:
    """Per page, in headless Chromium: open its deep link, sign in, and time from the click on "Sign in"
    until the page's title is visible and its script run has finished (one sign-in check included)."""
    from tests.browser.server import running_app  # the browser tests' fixture, reused
    from tests.browser.sign_in import HOW_TO_GET_CHROMIUM, PASSWORD, chromium_path, launch_args, settle

    chromium = chromium_path()
    if chromium is None:
        print(HOW_TO_GET_CHROMIUM)
        return {}
    from playwright.sync_api import sync_playwright

    from kamcore import store

    db = store.connect(db_path)
    account_id = db.execute("SELECT id FROM accounts WHERE name = ?", [ACCOUNT]).fetchone()[0]
    db.close()
    out: dict[str, float] = {}
    with running_app(db_path) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=launch_args())
        for path, url_path in pages:
            samples = []
            for _ in range(runs + 1):
                context = browser.new_context(viewport={"width": 1920, "height": 1080})
                page = context.new_page()
                page.goto(f"{url}/{'' if url_path == 'home' else url_path}?account={account_id}")
                form = page.get_by_role("textbox", name="Username")
                form.wait_for(state="visible", timeout=120_000)
                settle(page)
                form.fill(USER)
                page.get_by_role("textbox", name="Password").fill(PASSWORD)
                started = time.perf_counter()
                page.get_by_role("button", name="Sign in").click()
                form.wait_for(state="hidden", timeout=120_000)
                page.locator('[data-testid="stMain"] h1').first.wait_for(state="visible", timeout=120_000)
                page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
                                       timeout=120_000)
                samples.append(time.perf_counter() - started)
                context.close()
            out[path] = statistics.median(samples[1:])  # the first visit warms the server
            print(f"  browser {path:<32} {out[path] * 1000:7.0f} ms", flush=True)
        browser.close()
    return out


# ---- reporting ------------------------------------------------------------------------------------
def table(results: dict[str, dict], pages: list[str], browser: dict[str, dict[str, float]], user: str) -> str:
    """One role: per page and size, warm ms and ÷floor, after-a-write ms and ÷floor; goal marks at the
    largest size (✓ met, ✗ not: warm ≤ 2× and after a write ≤ 3× the floor)."""
    sizes = [s for s in results if user in results[s]["users"]]
    last = sizes[-1]
    head = ["page", *(f"{s} warm ms (÷floor)" for s in sizes), *(f"{s} after write ms (÷floor)" for s in sizes),
            f"goal at {last}", *(f"browser {s} ms" for s in browser)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for page in pages:
        info = {s: results[s]["users"][user]["pages"].get(page, {}) for s in sizes}
        if any(i.get("missing") or not i for i in info.values()):
            continue
        cells = [page.removeprefix("pages/").removesuffix(".py")]
        if any(i.get("error") and "median" not in i for i in info.values()):
            failed = [s for s in sizes if "median" not in info[s]]
            cells += ["error" if s in failed else f"{info[s]['median'] * 1000:.0f} ({info[s]['ratio']:.1f})"
                      for s in sizes]
            cells += ["error" if s in failed else f"{info[s]['after_write']['median'] * 1000:.0f} "
                      f"({info[s]['after_write']['ratio']:.1f})" for s in sizes]
            cells.append(f"✗ the page fails at {', '.join(failed)}")
            cells += ["" for _ in browser]
            lines.append("| " + " | ".join(cells) + " |")
            continue
        cells += [f"{info[s]['median'] * 1000:.0f} ({info[s]['ratio']:.1f})" for s in sizes]
        cells += [f"{info[s]['after_write']['median'] * 1000:.0f} ({info[s]['after_write']['ratio']:.1f})"
                  for s in sizes]
        warm, after = info[last]["ratio"], info[last]["after_write"]["ratio"]
        gaps = [f"warm {warm:.2f}× > {WARM_GOAL:.0f}×" if warm > WARM_GOAL else "",
                f"after a write {after:.2f}× > {WRITE_GOAL:.0f}×" if after > WRITE_GOAL else ""]
        cells.append("✓" if not any(gaps) else "✗ " + ", ".join(g for g in gaps if g))
        cells += [f"{browser[s][page] * 1000:.0f}" if page in browser[s] else "" for s in browser]
        lines.append("| " + " | ".join(cells) + " |")
    floor = ["*floor (title only)*", *(f"{results[s]['floor'] * 1000:.0f} (1.0)" for s in sizes),
             *("" for _ in sizes), "", *("" for _ in browser)]
    lines.append("| " + " | ".join(floor) + " |")
    return "\n".join(lines)


def tables(results: dict[str, dict], pages: list[str], browser: dict[str, dict[str, float]]) -> str:
    users = list(dict.fromkeys(u for r in results.values() for u in r["users"]))
    parts = []
    for user in users:
        writer = next(r["users"][user]["writer"] for r in results.values() if user in r["users"])
        parts.append(f"**Signed in as {user}** (the write between runs: {writer} on {ACCOUNT})\n\n"
                     + table(results, pages, browser if user == users[0] else {}, user))
    rss = ", ".join(f"{s} {results[s]['peak_rss_mb']:.0f} MB" for s in results)
    return "\n\n".join(parts) + f"\n\nPeak RSS of the measuring process: {rss}."


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{cpu}, {os.cpu_count()} CPUs, {mem:.0f} GB RAM, Python {platform.python_version()}, {platform.system()}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="S,M,L")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pages", help="comma-separated url paths (default: every registered page)")
    parser.add_argument("--dir", default="/tmp/kam-bench")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--users", default=",".join(USERS),
                        help="who is signed in, one table each (chen.jie, the executive, sees every account)")
    parser.add_argument("--browser", action="store_true", help="add headless-Chromium figures for the heaviest pages")
    parser.add_argument("--browser-pages", type=int, default=4)
    parser.add_argument("--out", default=str(ROOT / "test-artifacts" / "bench.json"))
    parser.add_argument("--table-from", help="print the table of an earlier --out file and stop")
    args = parser.parse_args(argv)
    if args.table_from:
        saved = json.loads(Path(args.table_from).read_text(encoding="utf-8"))
        first = saved["results"][next(iter(saved["results"]))]["users"]
        pages = list(dict.fromkeys(p for u in first.values() for p in u["pages"]))
        print(tables(saved["results"], pages, saved["browser"]))
        return 0
    sizes = [s.strip().upper() for s in args.sizes.split(",") if s.strip()]
    registered = registered_pages()
    wanted = set(args.pages.split(",")) if args.pages else None
    pages = [(p, u) for p, u in registered if wanted is None or u in wanted]
    paths = {s: database(s, Path(args.dir), args.rebuild) for s in sizes}
    results = {}
    context = multiprocessing.get_context("spawn")
    for size in sizes:
        with context.Pool(1) as pool:
            results[size] = pool.apply(measure, ((size, str(paths[size]), [p for p, _ in pages], args.runs,
                                                  [u.strip() for u in args.users.split(",") if u.strip()]),))
    browser: dict[str, dict[str, float]] = {}
    print(tables(results, [p for p, _ in pages], browser), flush=True)  # kept even if the browser part fails
    if args.browser:
        largest = sizes[-1]
        first = next(iter(results[largest]["users"].values()))["pages"]
        heavy = sorted((p for p in pages if "median" in first.get(p[0], {})),
                       key=lambda p: -first[p[0]]["median"])[: args.browser_pages]
        for size in [s for s in sizes if s != "S"]:
            try:
                browser[size] = browser_times(paths[size], heavy)
            except Exception as exc:  # noqa: BLE001 - the page table above still stands
                print(f"browser figures at {size} failed: {exc}")
    report = tables(results, [p for p, _ in pages], browser)
    stamp = time.strftime("%Y-%m-%d")
    print(f"\nBenchmark {stamp} on {machine()}; median of {args.runs} runs per figure, account {ACCOUNT}; "
          f"ratio = median of (page run ÷ the floor run just before it); goal at the largest size: warm ≤ "
          f"{WARM_GOAL:.0f}× and after another user's write ≤ {WRITE_GOAL:.0f}× the floor.\n")
    print(report)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"date": stamp, "machine": machine(), "results": results, "browser": browser,
                               "table": report, "commit": _commit()}, indent=1, default=str), encoding="utf-8")
    errors = [e for r in results.values() for e in r.get("errors", [])]
    if errors:
        print(f"\n{len(errors)} page(s) FAILED (not timed):", *errors, sep="\n  ", file=sys.stderr)
        return 1
    return 0


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=False).stdout.strip()
    except OSError:
        return ""


if __name__ == "__main__":
    sys.exit(main())
