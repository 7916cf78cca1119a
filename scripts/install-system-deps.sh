#!/usr/bin/env bash
# Install the Debian libraries the PDF report needs: WeasyPrint (from PyPI) renders through
# Pango, and the report's text is set in DejaVu Sans.
#
# Idempotent: does nothing when every package is already installed. Needs root (or sudo)
# otherwise. The tests read the PDF with pypdf (the `test` extra), so poppler is not needed.
set -euo pipefail
# shellcheck source=apt-install.sh
source "$(dirname "${BASH_SOURCE[0]}")/apt-install.sh"

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

apt_install install-system-deps.sh "${missing[@]}"
echo "installed: ${missing[*]}"
