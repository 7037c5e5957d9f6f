#!/usr/bin/env bash
# Install everything the tests need into .venv (and Chromium for the browser tests, where apt
# is available and we are root), then lint and run the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
if ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "Installing Debian's chromium for the browser tests…"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null) \
    || echo "Could not install chromium; browser tests will be skipped."
fi
.venv/bin/ruff check .
exec .venv/bin/python -m pytest "$@"
