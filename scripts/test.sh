#!/usr/bin/env bash
# Install alatau-geo with its test dependencies (the browser the map tests drive,
# and the Pango libraries the PDF report needs), then run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install --quiet --disable-pip-version-check -e ".[test]"
if [ -f scripts/install-browser.sh ]; then
  bash scripts/install-browser.sh
fi
if [ -f scripts/install-system-deps.sh ]; then
  bash scripts/install-system-deps.sh
fi
python -m pytest "$@"
