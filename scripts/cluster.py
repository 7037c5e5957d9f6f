"""Several Streamlit processes on one machine behind nginx, all on the same SQLite file (WAL).

    .venv/bin/python scripts/cluster.py --processes 2                    # serve until Ctrl-C
    .venv/bin/python scripts/cluster.py --processes 2 --loadtest 1,10,25,50   # measure, then stop

`scripts/start.sh` serves the app this way by default (one process per core, nginx on 0.0.0.0:8501).

nginx (Debian package `nginx-light` or `nginx`; `apt-get install -y nginx-light`) listens on
127.0.0.1:PORT and spreads sessions over the processes on PORT+1..PORT+N. Sticky sessions:
a browser gets a `kam_route` cookie on its first request and nginx hashes on it, so the page,
its websocket (upgraded) and any reconnect of that tab reach the same process — Streamlit keeps
a session's state in the process that serves it. (`ip_hash` would do for browsers on different
machines, but sends every client of one address — a NAT, an office proxy, this load test — to
one process.) All processes share one cookie secret, so signed cookies verify on any of them.

Without --db, a fresh deterministic demo database is built in a temporary folder. Everything
started here is stopped on exit, by process group id.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts import appserver, loadtest  # noqa: E402

NGINX_CONF = """\
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    server_tokens off;
    client_body_temp_path {dir}/tmp/body;
    proxy_temp_path {dir}/tmp/proxy;
    fastcgi_temp_path {dir}/tmp/fastcgi;
    uwsgi_temp_path {dir}/tmp/uwsgi;
    scgi_temp_path {dir}/tmp/scgi;
    client_max_body_size 200m;

    map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
    # sticky sessions: the route cookie if the browser has one, else a fresh random key
    map $cookie_kam_route $kam_route {{ "" $request_id; default $cookie_kam_route; }}

    upstream warroom {{
        hash $kam_route consistent;
{servers}
    }}

    server {{
        listen {listen}:{port};
        location / {{
            proxy_pass http://warroom;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_read_timeout 1d;
            proxy_buffering off;
            add_header Set-Cookie "kam_route=$kam_route; Path=/; HttpOnly; SameSite=Lax" always;
        }}
    }}
}}
"""


def prepare(db_path: Path) -> Path:
    """Migrate the database once before the processes start, and build the demo into the default database
    when it is empty (scripts/start.sh's first run) — here, so that N processes do not each try."""
    from kamcore import demo, store

    db = store.connect(db_path)
    try:
        if db_path == store.DEFAULT_PATH and store.is_empty(db):
            print("Building the demo war room (first run)…", flush=True)
            demo.build(db)
    finally:
        db.close()
    return db_path


def _public_hosts(listen: str) -> list[str]:
    """The names a browser may use for nginx's address: 127.0.0.1 and localhost, plus this host's names when
    nginx listens on every interface."""
    hosts = ["127.0.0.1", "localhost"]
    if listen not in ("127.0.0.1", "localhost"):
        hosts += [name for name in {socket.gethostname(), socket.getfqdn(), listen} if name and name != "0.0.0.0"]
    return hosts


def nginx_binary() -> str:
    found = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)
    if not found:
        raise SystemExit("nginx is not installed: apt-get install -y nginx-light")
    return found


@contextlib.contextmanager
def cluster(db_path: Path, processes: int, port: int, folder: Path, entry: str = "serve.py",
            listen: str = "127.0.0.1"):
    """Start the processes (`streamlit run <entry>`: Home.py, or serve.py for the server's own sign-in and
    HttpOnly session cookie) and nginx on `listen`:`port`; yield (proxy URL, streamlit pids); stop them all
    afterwards. The processes trust X-Forwarded-For from this nginx only (KAM_TRUSTED_PROXIES) and take
    sign-ins from pages of nginx's address (KAM_PUBLIC_URL, unless the operator set it)."""
    started: list[subprocess.Popen] = []
    logs = []
    public = ",".join(f"http://{host}:{port}" for host in _public_hosts(listen))
    env = appserver.environment(db_path, STREAMLIT_SERVER_COOKIE_SECRET=secrets.token_hex(32),
                                KAM_TRUSTED_PROXIES="127.0.0.1",
                                KAM_PUBLIC_URL=os.environ.get("KAM_PUBLIC_URL") or public)
    try:
        for n in range(1, processes + 1):
            log = open(folder / f"streamlit-{n}.log", "w")  # noqa: SIM115 - closed below
            logs.append(log)
            started.append(appserver.start(port + n, env, log, entry))
        for n, proc in enumerate(started, start=1):
            appserver.wait_healthy(f"http://127.0.0.1:{port + n}", proc)
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (folder / "tmp" / sub).mkdir(parents=True, exist_ok=True)
        servers = "\n".join(f"        server 127.0.0.1:{port + n};" for n in range(1, processes + 1))
        conf = folder / "nginx.conf"
        conf.write_text(NGINX_CONF.format(dir=folder, servers=servers, port=port, listen=listen))
        nginx_log = open(folder / "nginx.log", "w")  # noqa: SIM115 - closed below
        logs.append(nginx_log)
        proxy = subprocess.Popen([nginx_binary(), "-c", str(conf), "-p", str(folder), "-g", "daemon off;"],
                                 stdout=nginx_log, stderr=subprocess.STDOUT, start_new_session=True)
        started.append(proxy)
        url = f"http://127.0.0.1:{port}"
        appserver.wait_healthy(f"http://127.0.0.1:{port}", proxy, timeout=30)
        yield url, [p.pid for p in started[:-1]]
    finally:
        appserver.stop(started)
        for log in logs:
            log.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--port", type=int, default=8600, help="nginx port; processes on the next N ports")
    parser.add_argument("--db", type=Path, help="the SQLite file (default: a fresh demo copy)")
    parser.add_argument("--loadtest", help="levels, e.g. 1,10,25,50: run the load test, then stop")
    parser.add_argument("--think", type=float, default=1.0)
    parser.add_argument("--arrivals", default="burst", help="burst, spread or burst,spread")
    parser.add_argument("--spread", type=float, default=60.0)
    parser.add_argument("--listen", default="127.0.0.1", help="nginx's address (0.0.0.0: the whole network)")
    parser.add_argument("--settle", type=float, default=150.0)
    parser.add_argument("--workdir", type=Path, help="keep logs, config and the demo database here")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if not 1 <= args.processes <= 16:
        raise SystemExit("1 to 16 processes")
    # stopped by a service manager (SIGTERM, as `docker stop` or systemd do): leave through the cleanup below,
    # which stops every process started here, instead of dying and leaving them running
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    with contextlib.ExitStack() as stack:
        if args.workdir:
            args.workdir.mkdir(parents=True, exist_ok=True)
            folder = args.workdir.resolve()
        else:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="kam-cluster-")))
        levels = [int(n) for n in (args.loadtest or "").split(",") if n.strip()]
        own_db = not args.db
        db_path = prepare(args.db.resolve()) if args.db else loadtest.demo_copy(folder, max(levels, default=0))
        url, pids = stack.enter_context(cluster(db_path, args.processes, args.port, folder, listen=args.listen))
        print(f"{args.processes} processes behind nginx at {url} (pids {pids}); logs in {folder}", flush=True)
        if not args.loadtest:
            with contextlib.suppress(KeyboardInterrupt):
                while True:
                    time.sleep(3600)
            return 0
        people = [loadtest.PEOPLE.format(n + 1) for n in range(max(levels))] if own_db else None
        report = loadtest.run_all(url, pids, db_path, levels, args.think, args.settle,
                                  loadtest.arrivals(args.arrivals), args.spread, people)
        report["processes"] = args.processes
    loadtest.print_report(report)
    if args.json:
        import json

        args.json.write_text(json.dumps(report, indent=2))
    return 0 if all(level["errors"] == 0 for level in report["levels"]) else 1


if __name__ == "__main__":
    sys.exit(main())
