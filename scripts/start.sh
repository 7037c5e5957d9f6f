#!/usr/bin/env bash
# Install KAM War Room into .venv and start it on the demo database (db/warroom.db, built on first run).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
# Memory returns after a crowd leaves: Python objects through glibc malloc (not pymalloc's arenas),
# at most 2 glibc heaps, blocks from 64 KiB mapped on their own — the same as scripts/appserver.py
# ALLOCATOR; see docs/scaling.md "Connections and memory"
export PYTHONMALLOC="${PYTHONMALLOC:-malloc}" MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}" \
       MALLOC_MMAP_THRESHOLD_="${MALLOC_MMAP_THRESHOLD_:-65536}"
exec .venv/bin/streamlit run serve.py --browser.gatherUsageStats false "$@"
