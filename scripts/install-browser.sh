#!/usr/bin/env bash
# Install the headless browser the map tests use (tests/test_maps_browser.py).
#
# Idempotent: does nothing when /usr/bin/chromium exists. Installs Debian's
# `chromium` package otherwise (needs root, or sudo). The tests drive it with
# Playwright from PyPI (`pip install playwright`); never run
# `playwright install`, which downloads browsers from the internet.
set -euo pipefail
# shellcheck source=apt-install.sh
source "$(dirname "${BASH_SOURCE[0]}")/apt-install.sh"

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
    echo "chromium already installed: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
    exit 0
fi

apt_install install-browser.sh chromium

if [ ! -x "$CHROMIUM" ]; then
    echo "install-browser.sh: apt-get finished but $CHROMIUM is missing" >&2
    exit 1
fi
echo "chromium installed: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
