#!/usr/bin/env bash
# Install KAM War Room into .venv and start it on the demo database (db/warroom.db, built on first run).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
# glibc malloc: at most 2 heaps, blocks from 64 KiB mapped on their own, so memory returns after a
# crowd leaves (the same as scripts/appserver.py ALLOCATOR; docs/scaling.md "Connections and memory")
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}" MALLOC_MMAP_THRESHOLD_="${MALLOC_MMAP_THRESHOLD_:-65536}"
exec .venv/bin/streamlit run Home.py --browser.gatherUsageStats false "$@"
