#!/usr/bin/env bash
# Install the headless browser the map tests use (tests/test_maps_browser.py).
#
# Idempotent: does nothing when /usr/bin/chromium exists. Installs Debian's
# `chromium` package otherwise (needs root, or sudo). The tests drive it with
# Playwright from PyPI (`pip install playwright`); never run
# `playwright install`, which downloads browsers from the internet.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
    echo "chromium already installed: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "install-browser.sh: need root (or sudo) to apt-get install chromium" >&2
    exit 1
fi

$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

if [ ! -x "$CHROMIUM" ]; then
    echo "install-browser.sh: apt-get finished but $CHROMIUM is missing" >&2
    exit 1
fi
echo "chromium installed: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
