#!/usr/bin/env bash
# Install KAM War Room into .venv and start it on the demo database (db/warroom.db, built on first run).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
exec .venv/bin/streamlit run serve.py --browser.gatherUsageStats false "$@"
