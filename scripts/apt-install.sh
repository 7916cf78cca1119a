#!/usr/bin/env bash
# apt_install SCRIPT PACKAGE...: install Debian packages with apt-get, as root or through
# sudo; SCRIPT names the caller in the message when neither is available.
#
# Sourced by install-browser.sh and install-system-deps.sh (not run on its own), so the
# two installers share one way of getting root and calling apt-get.

apt_install() {
    local script="$1"
    shift
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1; then
            sudo="sudo"
        else
            echo "$script: need root (or sudo) to apt-get install $*" >&2
            return 1
        fi
    fi
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}
