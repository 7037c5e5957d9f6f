"""Several Streamlit processes on one machine behind nginx, all on the same SQLite file (WAL).

    .venv/bin/python scripts/cluster.py --processes 2                    # serve until Ctrl-C
    .venv/bin/python scripts/cluster.py --processes 2 --loadtest 1,10,25,50   # measure, then stop

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
import secrets
import shutil
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
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://warroom;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_read_timeout 1d;
            proxy_buffering off;
            add_header Set-Cookie "kam_route=$kam_route; Path=/; HttpOnly; SameSite=Lax" always;
        }}
    }}
}}
"""


def nginx_binary() -> str:
    found = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)
    if not found:
        raise SystemExit("nginx is not installed: apt-get install -y nginx-light")
    return found


@contextlib.contextmanager
def cluster(db_path: Path, processes: int, port: int, folder: Path, entry: str = "serve.py"):
    """Start the processes (`streamlit run <entry>`: Home.py, or serve.py for the server-set HttpOnly
    session cookie) and nginx; yield (proxy URL, streamlit pids); stop them all afterwards."""
    started: list[subprocess.Popen] = []
    logs = []
    env = appserver.environment(db_path, STREAMLIT_SERVER_COOKIE_SECRET=secrets.token_hex(32))
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
        conf.write_text(NGINX_CONF.format(dir=folder, servers=servers, port=port))
        nginx_log = open(folder / "nginx.log", "w")  # noqa: SIM115 - closed below
        logs.append(nginx_log)
        proxy = subprocess.Popen([nginx_binary(), "-c", str(conf), "-p", str(folder), "-g", "daemon off;"],
                                 stdout=nginx_log, stderr=subprocess.STDOUT, start_new_session=True)
        started.append(proxy)
        url = f"http://127.0.0.1:{port}"
        appserver.wait_healthy(url, proxy, timeout=30)
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
    parser.add_argument("--settle", type=float, default=150.0)
    parser.add_argument("--workdir", type=Path, help="keep logs, config and the demo database here")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if not 1 <= args.processes <= 16:
        raise SystemExit("1 to 16 processes")

    with contextlib.ExitStack() as stack:
        if args.workdir:
            args.workdir.mkdir(parents=True, exist_ok=True)
            folder = args.workdir.resolve()
        else:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="kam-cluster-")))
        db_path = args.db.resolve() if args.db else loadtest.demo_copy(folder)
        url, pids = stack.enter_context(cluster(db_path, args.processes, args.port, folder))
        print(f"{args.processes} processes behind nginx at {url} (pids {pids}); logs in {folder}", flush=True)
        if not args.loadtest:
            with contextlib.suppress(KeyboardInterrupt):
                while True:
                    time.sleep(3600)
            return 0
        levels = [int(n) for n in args.loadtest.split(",") if n.strip()]
        report = loadtest.run_all(url, pids, db_path, levels, args.think, args.settle)
        report["processes"] = args.processes
    loadtest.print_report(report)
    if args.json:
        import json

        args.json.write_text(json.dumps(report, indent=2))
    return 0 if all(level["errors"] == 0 for level in report["levels"]) else 1


if __name__ == "__main__":
    sys.exit(main())
