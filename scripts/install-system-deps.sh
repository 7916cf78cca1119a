#!/usr/bin/env bash
# Install the Debian libraries the PDF report needs: WeasyPrint (from PyPI) renders through
# Pango, and the report's text is set in DejaVu Sans.
#
# Idempotent: does nothing when every package is already installed. Needs root (or sudo)
# otherwise. The tests read the PDF with pypdf (the `test` extra), so poppler is not needed.
set -euo pipefail

PACKAGES=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core)

missing=()
for package in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done

if [ "${#missing[@]}" -eq 0 ]; then
    echo "system libraries for the PDF report already installed: ${PACKAGES[*]}"
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "install-system-deps.sh: need root (or sudo) to apt-get install ${missing[*]}" >&2
    exit 1
fi

$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
echo "installed: ${missing[*]}"
