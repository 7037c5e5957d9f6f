"""Load test: N simulated users over Streamlit's own websocket protocol, against localhost only.

Each user signs in as a browser does (served through serve.py: a POST of the sign-in form to
/_kam/sign-in, which answers with the session cookie; under plain Home.py: Streamlit's form), opens a
websocket session with that cookie (as a tab does) and sees home, then opens plan, pipeline, decision
chain and huddle, reading `--think` seconds before each. Two figures per level, kept apart: the
sign-in (pressing Enter until home is drawn) and the pages (each page run while others read). A user
who finds the sign-in form where a page should be is an error ("signed out"), as is a refused sign-in.
Arrival: `burst` (everyone within a second or two, the 9:00 crowd) and/or `spread` (evenly over
`--spread` seconds). Levels run one after the other (default 1, 10, 25, 50 people); after each level
and again after the crowd has left, the server process's open handles on the database and its WAL and
its resident memory are read from /proc, and the machine's load average is recorded (the machine may
be shared). Bounded: every step has a timeout and the whole run stops by itself.

With its own server (no --url) the demo copy gets one sign-in per simulated person (`load.01`…, on
li.wei's account teams): fifty people at 9:00 are fifty usernames, and the sign-in throttle rightly
counts parallel attempts on one username as guessing.

    .venv/bin/python scripts/loadtest.py                     # starts its own server on a demo copy
    .venv/bin/python scripts/loadtest.py --levels 10,25,50 --think 10 --arrivals burst,spread
    .venv/bin/python scripts/loadtest.py --url http://127.0.0.1:8501 --pid 1234 --db db/warroom.db

The protocol in short (streamlit 1.67): connect to /_stcore/stream with subprotocol
"streamlit"; send BackMsg.rerun_script (ClientState: query_string, page_name = the page's
url path, widget_states); read ForwardMsgs until script_finished. A form is submitted by
sending its widgets' values and the submit button's trigger in widget_states.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.sync.client import connect

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts import appserver  # noqa: E402

PASSWORD = "warroom-demo"
USERS = ("li.wei", "zhang.min", "wang.fang", "chen.jie")  # against a server whose people we did not make
PEOPLE = "load.{:02d}"  # the people made in our own demo copy (one sign-in each)
STEPS = ("plan", "pipeline", "decision_chain", "huddle")  # after home, which the sign-in ends on
SIGN_IN_PATH = "/_kam/sign-in"
STEP_TIMEOUT = 120.0
FRIENDLY = "Something went wrong on our side"
SIGN_IN_TITLE = "Sign in to the war room"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


class StepError(RuntimeError):
    """A step that failed: timeout, an exception element, or the friendly error message."""


@dataclass
class Widget:
    id: str
    kind: str
    label: str
    form_id: str = ""


@dataclass
class Run:
    widgets: dict[str, Widget] = field(default_factory=dict)
    texts: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    auto_rerun: dict[str, float] = field(default_factory=dict)
    page_not_found: bool = False


class Session:
    """One browser tab's websocket session."""

    def __init__(self, url: str, cookies: dict[str, str] | None = None) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.hostname not in LOCAL_HOSTS:
            raise SystemExit(f"refusing to load-test {parts.hostname}: localhost only")
        self.origin = f"{parts.scheme}://{parts.netloc}"
        ws_url = f"{'wss' if parts.scheme == 'https' else 'ws'}://{parts.netloc}/_stcore/stream"
        self._stack = contextlib.ExitStack()
        # a browser brings the route cookie nginx gave it (scripts/cluster.py; harmless without nginx) and,
        # once signed in, its session cookie
        jar = {"kam_route": secrets.token_hex(8), **(cookies or {})}
        header = {"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())}
        self.ws = self._stack.enter_context(connect(ws_url, subprotocols=["streamlit"], origin=self.origin,
                                                    open_timeout=30, max_size=None, additional_headers=header))
        self.query = ""

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._stack.close()

    def rerun(self, page: str = "", query: str | None = None, widgets: list | None = None,
              fragment_id: str = "") -> Run:
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = self.query if query is None else query
        state.page_name = page
        if fragment_id:
            state.fragment_id = fragment_id
            state.is_auto_rerun = True
        for widget in widgets or []:
            state.widget_states.widgets.append(widget)
        self.ws.send(msg.SerializeToString())
        return self._read_until_finished()

    def _read_until_finished(self) -> Run:
        run = Run()
        deadline = time.monotonic() + STEP_TIMEOUT
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise StepError("timeout")
            fwd = ForwardMsg()
            fwd.ParseFromString(self.ws.recv(timeout=left))
            kind = fwd.WhichOneof("type")
            if kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
                self._element(run, fwd.delta.new_element)
            elif kind == "page_info_changed":
                self.query = fwd.page_info_changed.query_string
            elif kind == "auto_rerun":
                run.auto_rerun[fwd.auto_rerun.fragment_id] = fwd.auto_rerun.interval
            elif kind == "page_not_found":
                run.page_not_found = True
            elif kind == "script_finished":
                status = ForwardMsg.ScriptFinishedStatus.Name(fwd.script_finished)
                if status == "FINISHED_EARLY_FOR_RERUN":
                    continue  # st.rerun(): the next run follows on its own
                return run

    @staticmethod
    def _element(run: Run, element) -> None:
        kind = element.WhichOneof("type")
        if kind == "exception":
            run.exceptions.append(element.exception.message or element.exception.type or "exception")
        elif kind == "alert":
            run.texts.append(element.alert.body)
        elif kind in ("markdown", "heading"):
            run.texts.append(getattr(element, kind).body)
        inner = getattr(element, kind, None) if kind else None
        widget_id = getattr(inner, "id", "") if inner is not None else ""
        if widget_id:
            run.widgets[widget_id] = Widget(widget_id, kind, getattr(inner, "label", ""),
                                            getattr(inner, "form_id", ""))


def find(run: Run, key: str) -> Widget:
    """The widget whose user key is `key` (widget ids end with the key)."""
    for widget_id, widget in run.widgets.items():
        if widget_id.endswith(f"-{key}") or widget_id == key:
            return widget
    raise StepError(f"no widget {key!r} on screen")


def check(run: Run) -> None:
    if run.exceptions:
        raise StepError(f"exception on screen: {run.exceptions[0][:120]}")
    if any(FRIENDLY in text for text in run.texts):
        raise StepError("the friendly error message was shown")
    if run.page_not_found:
        raise StepError("page not found")


def signed_out(run: Run) -> bool:
    """The run drew the sign-in page where a signed-in page should be."""
    return any(SIGN_IN_TITLE in text for text in run.texts)


class NoRoute(Exception):
    """The server has no /_kam/sign-in (plain `streamlit run Home.py`)."""


def post_sign_in(url: str, username: str) -> str:
    """POST the sign-in form as the browser does; the session cookie's value, or StepError when refused."""
    import http.client

    parts = urllib.parse.urlsplit(url)
    body = urllib.parse.urlencode({"username": username, "password": PASSWORD, "next": "/"})
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=STEP_TIMEOUT)
    try:
        conn.request("POST", SIGN_IN_PATH, body=body, headers={
            "Content-Type": "application/x-www-form-urlencoded", "Origin": f"{parts.scheme}://{parts.netloc}",
            "Cookie": f"kam_route={secrets.token_hex(8)}"})
        answer = conn.getresponse()
        answer.read()
    finally:
        conn.close()
    if answer.status in (404, 405):
        raise NoRoute
    location = answer.getheader("location") or ""
    if answer.status != 303 or "kam_signin=" in location:
        raise StepError(f"sign-in refused: {answer.status} {location.rsplit('kam_signin=', 1)[-1][:40]}")
    for name, value in answer.getheaders():
        if name.lower() == "set-cookie" and value.startswith("kam_session="):
            return value.split(";", 1)[0].split("=", 1)[1]
    raise StepError("sign-in answered without a session cookie")


def sign_in(url: str, username: str) -> tuple[Session, Run]:
    """Sign in and draw home, the way the server offers: (the signed-in tab, home's run)."""
    try:
        token = post_sign_in(url, username)
    except NoRoute:
        session = Session(url)
        return session, sign_in_by_form(session, username)
    session = Session(url, {"kam_session": token})
    return session, session.rerun("")


def sign_in_by_form(session: Session, username: str) -> Run:
    """Streamlit's own sign-in form over the websocket (plain Home.py)."""
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    first = session.rerun("")
    check(first)
    user, password = find(first, "signin.username"), find(first, "signin.password")
    submit = find_submit(first, user.form_id)
    states = []
    for widget, value in ((user, username), (password, PASSWORD)):
        state = WidgetState(id=widget.id)
        state.string_value = value
        states.append(state)
    trigger = WidgetState(id=submit.id)
    trigger.trigger_value = True
    states.append(trigger)
    run = session.rerun("", widgets=states)
    check(run)
    if any("Wrong username or password" in text or "Too many attempts" in text for text in run.texts):
        raise StepError("sign-in refused")
    return run


def press(widget: Widget):
    """The widget state of a button press (a trigger)."""
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    state = WidgetState(id=widget.id)
    state.trigger_value = True
    return state


def find_submit(run: Run, form: str) -> Widget:
    for widget in run.widgets.values():
        if widget.kind == "button" and widget.form_id == form:
            return widget
    raise StepError(f"no submit button in form {form}")


# ---------------------------------------------------------------- measuring the server
def db_handles(pid: int, db_path: Path) -> int:
    names = {str(db_path.resolve()), f"{db_path.resolve()}-wal"}
    count = 0
    with contextlib.suppress(FileNotFoundError):
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                count += os.readlink(f"/proc/{pid}/fd/{fd}") in names
    return count


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pids: list[int]) -> float:
    """CPU time (user + system) the server processes have used so far."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def server_figures(pids: list[int], db_path: Path) -> dict[str, float]:
    return {"db_handles": sum(db_handles(p, db_path) for p in pids),
            "rss_mb": round(sum(rss_mb(p) for p in pids), 1)}


# ---------------------------------------------------------------- users and levels
def one_user(url: str, username: str, delay: float, think: float, results: dict[str, list[float]],
             errors: list[str], lock: threading.Lock) -> None:
    session = None
    time.sleep(delay)
    try:
        started = time.monotonic()
        session, home = sign_in(url, username)
        check(home)
        if signed_out(home):
            raise StepError("home: signed out right after signing in")
        _record(results, lock, "sign_in", time.monotonic() - started)
        for step in STEPS:
            time.sleep(think)
            started = time.monotonic()
            run = session.rerun(step)
            check(run)
            if signed_out(run):
                raise StepError(f"{step}: signed out")
            _record(results, lock, step, time.monotonic() - started)
    except Exception as exc:  # noqa: BLE001 - every failure is counted, never raised: the crowd goes on
        with lock:
            errors.append(f"{username}: {type(exc).__name__}: {str(exc)[:160]}")
    finally:
        if session is not None:
            session.close()


def _record(results: dict[str, list[float]], lock: threading.Lock, step: str, seconds: float) -> None:
    with lock:
        results.setdefault(step, []).append(seconds)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def _figures(values: list[float]) -> dict:
    if not values:
        return {"p50": None, "p95": None, "n": 0}
    return {"p50": round(statistics.median(values), 2), "p95": round(percentile(values, 0.95), 2), "n": len(values)}


def run_level(url: str, users: int, think: float, arrival: str = "burst", spread: float = 60.0,
              people: list[str] | None = None, pids: list[int] | None = None) -> dict:
    """One level: `users` people arriving in a burst (five every 0.2 s) or evenly over `spread` seconds.
    With the server's `pids`: its CPU seconds over the level and per page run (sign-ins included)."""
    results: dict[str, list[float]] = {}
    errors: list[str] = []
    lock = threading.Lock()
    names = people or list(USERS)
    gap = spread / users if arrival == "spread" else 0.0
    delays = [n * gap if arrival == "spread" else (n // 5) * 0.2 for n in range(users)]
    threads = [threading.Thread(target=one_user, args=(url, names[n % len(names)], delays[n], think, results,
                                                       errors, lock), daemon=True)
               for n in range(users)]
    load_before = os.getloadavg()
    cpu_before = cpu_seconds(pids or [])
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(delays) + STEP_TIMEOUT * (len(STEPS) + 2))
    pages = [v for step, values in results.items() if step != "sign_in" for v in values]
    cpu = cpu_seconds(pids or []) - cpu_before
    runs = sum(len(v) for v in results.values())
    return {
        "server_cpu_s": round(cpu, 1) if pids else None,
        "server_cpu_per_run_s": round(cpu / runs, 3) if pids and runs else None,
        "users": users,
        "arrival": arrival if arrival == "burst" else f"spread over {spread:.0f} s",
        "think_s": think,
        "wall_s": round(time.monotonic() - started, 1),
        "steps": {step: _figures(v) for step, v in results.items()},
        "sign_in": _figures(results.get("sign_in", [])),
        "pages": _figures(pages),
        "errors": len(errors),
        "error_samples": errors[:5],
        "load_average": {"before": [round(x, 2) for x in load_before], "after": [round(x, 2) for x in os.getloadavg()]},
    }


# ---------------------------------------------------------------- a server of our own
own_server = appserver.running  # (db_path, port) -> (url, process); the start the browser tests use too
wait_healthy = appserver.wait_healthy


def demo_copy(folder: Path, people: int = 0) -> Path:
    """A fresh demo database (the same deterministic demo the tests build), with `people` extra members
    (`load_people`) for the load test."""
    from kamcore import demo, store

    path = folder / "loadtest.db"
    for old in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        old.unlink(missing_ok=True)
    db = store.connect(path)
    try:
        demo.build(db)
        add_people(db, people)
    finally:
        db.close()
    return path


def add_people(db, count: int) -> list[str]:
    """`count` members named load.01, load.02, … (password PASSWORD), each on li.wei's account teams as a
    solution manager: people who see and open what li.wei does."""
    from kamcore import permissions, team, users

    admin = users.find_by_username(db, "admin")
    li = users.find_by_username(db, "li.wei")
    accounts = [row[0] for row in db.execute("SELECT account_id FROM account_team WHERE user_id = ?", [li.id])]
    names = [PEOPLE.format(n + 1) for n in range(count)]
    for name in names:
        person = users.create_user(db, admin, name, f"Load {name[5:]}", PASSWORD)
        for account_id in accounts:
            team.add_member(db, admin, account_id, person.id, permissions.EDITING_ROLES[1])
    return names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running server (localhost only); default: start one")
    parser.add_argument("--pid", type=int, action="append", help="server process id(s) to watch (with --url)")
    parser.add_argument("--db", type=Path, help="the server's database file (with --url)")
    parser.add_argument("--levels", default="1,10,25,50")
    parser.add_argument("--think", type=float, default=1.0, help="seconds of reading before each page")
    parser.add_argument("--arrivals", default="burst", help="burst, spread or burst,spread")
    parser.add_argument("--spread", type=float, default=60.0, help="seconds over which a spread crowd arrives")
    parser.add_argument("--settle", type=float, default=150.0,
                        help="seconds to wait after the crowd leaves (Streamlit keeps a left session 120 s)")
    parser.add_argument("--port", type=int, default=8619)
    parser.add_argument("--json", type=Path, help="write the figures here as JSON")
    parser.add_argument("--workdir", type=Path, help="keep the demo database and server log here")
    args = parser.parse_args(argv)
    levels = [int(n) for n in args.levels.split(",") if n.strip()]
    if max(levels) > 200:
        raise SystemExit("at most 200 users per level")
    if not 0 <= args.settle <= 900:
        raise SystemExit("--settle: 0 to 900 seconds")
    arrivals(args.arrivals)

    with contextlib.ExitStack() as stack:
        if args.url:
            url, pids, db_path = args.url.rstrip("/"), args.pid or [], args.db
            wait_healthy(url)
        else:
            if args.workdir:
                args.workdir.mkdir(parents=True, exist_ok=True)
                folder = args.workdir
            else:
                folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="kam-load-")))
            db_path = demo_copy(folder, max(levels))
            url, proc = stack.enter_context(own_server(db_path, args.port))
            pids = [proc.pid]
        people = [PEOPLE.format(n + 1) for n in range(max(levels))] if not args.url else None
        report = run_all(url, pids, db_path, levels, args.think, args.settle, arrivals(args.arrivals),
                         args.spread, people)
    print_report(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0 if all(level["errors"] == 0 for level in report["levels"]) else 1


def arrivals(text: str) -> list[str]:
    """The arrival modes named on the command line (burst, spread)."""
    modes = [m.strip() for m in text.split(",") if m.strip()]
    if not modes or any(m not in ("burst", "spread") for m in modes):
        raise SystemExit("--arrivals: burst, spread or burst,spread")
    return modes


def run_all(url: str, pids: list[int], db_path: Path | None, levels: list[int], think: float,
            settle: float, modes: list[str] = ("burst",), spread: float = 60.0,
            people: list[str] | None = None) -> dict:
    def figures() -> dict[str, float]:
        return server_figures(pids, db_path) if pids and db_path else {}

    run_level(url, 1, 0, people=people)  # warm up: imports and caches happen once per process
    time.sleep(2)
    report = {"url": url, "processes": len(pids) or None, "before": figures(), "levels": []}
    for mode in modes:
        for users in levels:
            level = run_level(url, users, think, mode, spread, people, pids)
            time.sleep(1)
            level["server_after"] = figures()
            report["levels"].append(level)
            print(f"{users:>3} users, {level['arrival']}: sign-in p50 {level['sign_in']['p50']} / p95 "
                  f"{level['sign_in']['p95']} s, pages p50 {level['pages']['p50']} / p95 {level['pages']['p95']} s, "
                  f"errors {level['errors']}, server CPU per run {level['server_cpu_per_run_s']} s, "
                  f"load {level['load_average']['after']}, server {level['server_after']}",
                  flush=True)
    time.sleep(settle)
    report["after_settle"] = {"seconds": settle, **figures()}
    # Streamlit keeps a disconnected session for 2 minutes (to resume it on reconnect) and
    # drops expired ones lazily, when sessions come or go: the next visitor's knock does it.
    with contextlib.suppress(Exception):
        Session(url).close()
    time.sleep(3)
    report["after_next_visit"] = figures()
    return report


def print_report(report: dict) -> None:
    print(f"\nserver before: {report['before']}   after the crowd left (+{report['after_settle']['seconds']:.0f} s): "
          f"{ {k: v for k, v in report['after_settle'].items() if k != 'seconds'} }   "
          f"after the next visitor: {report.get('after_next_visit')}")
    print("| users | arrival | step | p50 s | p95 s |")
    print("|---|---|---|---|---|")
    for level in report["levels"]:
        for step, figures in level["steps"].items():
            print(f"| {level['users']} | {level['arrival']} | {step} | {figures['p50']} | {figures['p95']} |")
    print("\n| users | arrival | reading | sign-in p50 / p95 | pages p50 / p95 | errors | load average (1 min) "
          "before → after | server CPU per page run | db handles after | RSS after (MB) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for level in report["levels"]:
        server = level.get("server_after", {})
        sign, pages, load = level["sign_in"], level["pages"], level["load_average"]
        print(f"| {level['users']} | {level['arrival']} | {level['think_s']:g} s | {sign['p50']} / {sign['p95']} s | "
              f"{pages['p50']} / {pages['p95']} s | {level['errors']} | {load['before'][0]} → {load['after'][0]} | "
              f"{level.get('server_cpu_per_run_s') or '—'} s | "
              f"{server.get('db_handles', '—')} | {server.get('rss_mb', '—')} |")
        for sample in level["error_samples"]:
            print(f"    error: {sample}")


if __name__ == "__main__":
    sys.exit(main())
