"""Start and stop `streamlit run serve.py` (or Home.py) on a given database: the one way the load test, the
cluster script and the browser tests start a server (localhost only, headless, no usage statistics,
no file watcher, the test-only error pass-through off). Stopped by process group id.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Memory allocation every server gets (scripts/start.sh sets the same). Python objects through glibc
# malloc instead of pymalloc, whose 1 MiB arenas stay mapped while any object in them lives (+24 MB
# after 50 users, never returned); at most 2 glibc heaps instead of one per busy thread; blocks from
# 64 KiB up mapped on their own. With kamui/janitor.py's malloc_trim: after 50 users left, +13 %
# instead of +23 % over the value before (scripts/memprobe.py; docs/scaling.md "Connections and memory").
ALLOCATOR = {"PYTHONMALLOC": "malloc", "MALLOC_ARENA_MAX": "2", "MALLOC_MMAP_THRESHOLD_": "65536"}


def command(port: int, entry: str = "serve.py") -> list[str]:
    """serve.py is how users run the app (server-set HttpOnly cookie); Home.py is the bare app."""
    return [sys.executable, "-m", "streamlit", "run", str(ROOT / entry), "--server.port", str(port),
            "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
            "--server.fileWatcherType", "none"]


def environment(db_path: str | Path, **extra: str) -> dict[str, str]:
    """The server's environment: this one with the ALLOCATOR settings (unless already set), on
    `db_path`, without KAM_DEBUG (tests set it for themselves, not for the server), plus `extra`."""
    env = {**ALLOCATOR, **os.environ, "KAM_DB": str(db_path), **extra}
    env.pop("KAM_DEBUG", None)
    return env


def start(port: int, env: dict[str, str], log, entry: str = "serve.py") -> subprocess.Popen:
    """One server process in its own process group (so stopping it stops its children too)."""
    return subprocess.Popen(command(port, entry), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)


def stop(procs: list[subprocess.Popen]) -> None:
    """SIGTERM each process group, then SIGKILL whatever has not left after 10 s."""
    for proc in reversed(procs):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def wait_healthy(url: str, proc: subprocess.Popen | None = None, timeout: float = 90) -> None:
    """Until `url`'s health endpoint answers 200; RuntimeError if the process ends or time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(OSError), urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
            if answer.status == 200:
                return
        if (proc is not None and proc.poll() is not None) or time.monotonic() > deadline:
            raise RuntimeError(f"the server at {url} did not become healthy (see its log)")
        time.sleep(0.3)


@contextlib.contextmanager
def running(db_path: str | Path, port: int, log_path: str | Path | None = None,
            timeout: float = 90, entry: str = "serve.py", **extra_env: str) -> Iterator[tuple[str, subprocess.Popen]]:
    """Yield (base URL, process) of a server on `db_path`; it stops when the block ends.
    Its output goes to `log_path` (default: the database's name with .server.log)."""
    log_path = Path(log_path) if log_path else Path(db_path).with_suffix(".server.log")
    with open(log_path, "w") as log:
        proc = start(port, environment(db_path, **extra_env), log, entry)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_healthy(url, proc, timeout)
            yield url, proc
        finally:
            stop([proc])
