#!/usr/bin/env bash
# Install KAM War Room into .venv and start it on the demo database (db/warroom.db, built on first run).
# A team by default: one process per core behind nginx (Debian's nginx-light, installed here where apt is
# available and we are root) with cookie-sticky sessions, on port 8501 of every interface. One process when
# that is not possible — it says why. KAM_PROCESSES=N chooses the count (1: one plain process, which also
# takes streamlit flags: KAM_PROCESSES=1 bash scripts/start.sh --server.port 8502).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
# Memory returns after a crowd leaves: Python objects through glibc malloc (not pymalloc's arenas),
# at most 2 glibc heaps, blocks from 64 KiB mapped on their own — the same as scripts/appserver.py
# ALLOCATOR; see docs/scaling.md "Connections and memory"
export PYTHONMALLOC="${PYTHONMALLOC:-malloc}" MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}" \
       MALLOC_MMAP_THRESHOLD_="${MALLOC_MMAP_THRESHOLD_:-65536}"
processes="${KAM_PROCESSES:-$(nproc 2>/dev/null || echo 1)}"
have_nginx() { command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; }
if [ "$processes" -gt 1 ] && ! have_nginx && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "Installing Debian's nginx-light to serve one process per core…"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null) \
    || echo "Could not install nginx-light."
fi
if [ "$processes" -gt 1 ] && have_nginx; then
  echo "KAM War Room: $processes processes (one per core) behind nginx on port ${KAM_PORT:-8501}."
  exec .venv/bin/python scripts/cluster.py --processes "$processes" --port "${KAM_PORT:-8501}" \
       --listen "${KAM_LISTEN:-0.0.0.0}" --db db/warroom.db
fi
if [ "$processes" -gt 1 ]; then
  echo "KAM War Room: ONE process only — nginx is not installed and could not be (run as root on a machine with"
  echo "apt, or apt-get install nginx-light). One process serves about ten people at once; see docs/scaling.md."
else
  echo "KAM War Room: one process (KAM_PROCESSES=${KAM_PROCESSES:-1}, or one core)."
fi
exec .venv/bin/streamlit run serve.py --browser.gatherUsageStats false "$@"
