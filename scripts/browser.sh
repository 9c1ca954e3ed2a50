# Sourced by scripts/test.sh (bash, set -euo pipefail): makes a Chromium available to the browser tests.
# Why Debian's package: Playwright's own browser download is blocked here and unpinned elsewhere; the
# distribution's Chromium is signed, cached by apt, and Playwright drives it via executable_path.
# In CI (CI=true) a missing browser is an error; locally the browser tests skip with the reason.
CALCITRACK_CHROMIUM="${CALCITRACK_CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$CALCITRACK_CHROMIUM" ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "browser.sh: installing Chromium with apt-get ..." >&2
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1; then
      DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null 2>&1 || true
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1 || true
    fi
  fi
  if [ ! -x "$CALCITRACK_CHROMIUM" ]; then
    if [ "${CI:-}" = "true" ]; then
      echo "browser.sh: Chromium is missing at $CALCITRACK_CHROMIUM and could not be installed (CI)" >&2
      return 1 2>/dev/null || exit 1
    fi
    echo "browser.sh: no Chromium at $CALCITRACK_CHROMIUM; the browser tests will be skipped" >&2
  fi
fi
export CALCITRACK_CHROMIUM
