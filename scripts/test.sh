#!/usr/bin/env bash
# Install alatau-geo with its test dependencies (and what the tests need from
# Debian: the browser the map tests drive, the libraries of the PDF writer),
# check the code (ruff, the import-linter stage contract), run the whole test
# suite, and check that the tests left the checkout as they found it.
# Arguments are passed to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install --quiet --disable-pip-version-check -e ".[test]"
for script in scripts/install-browser.sh scripts/install-system-deps.sh; do
  if [ -f "$script" ]; then
    bash "$script"
  fi
done

checkout_state() {
  # Every file git sees, ignored ones included; Python's own caches do not count.
  git status --porcelain --ignored --untracked-files=all 2>/dev/null \
    | grep -v -E '__pycache__|\.pytest_cache|\.egg-info|\.ruff_cache' || true
}
before="$(checkout_state)"

ruff check src tests benchmarks
lint-imports --no-cache  # its cache would be written into the checkout
python -m pytest "$@"

after="$(checkout_state)"
if [ "$before" != "$after" ]; then
  echo "test.sh: the tests changed the checkout (tests must write under their own temporary folders):" >&2
  diff <(printf '%s\n' "$before") <(printf '%s\n' "$after") >&2 || true
  exit 1
fi
