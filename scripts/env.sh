# Sourced by the other scripts: makes sure `.venv` at the repository root holds the locked project.
# Why: the README promises two commands on a fresh machine with Python 3.11 and nothing else; this file
# is the "nothing else". uv installs exactly what `uv.lock` pins, and reruns are a no-op.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${CALCITRACK_PYTHON:-}"
if [ -z "$PY" ]; then
  for candidate in python3.11 python3.12 python3.13 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
      PY="$candidate"; break
    fi
  done
fi
[ -n "$PY" ] || { echo "calcitrack needs Python >= 3.11 (set CALCITRACK_PYTHON)" >&2; exit 2; }
STAMP="$ROOT/.venv/.calcitrack-lock"
if [ ! -f "$STAMP" ] || ! cmp -s "$ROOT/uv.lock" "$STAMP"; then
  if [ ! -x "$ROOT/.cache/uv/bin/uv" ]; then
    "$PY" -m venv "$ROOT/.cache/uv"
    "$ROOT/.cache/uv/bin/pip" install --quiet --disable-pip-version-check "uv==0.13.9"
  fi
  echo "Installing calcitrack into $ROOT/.venv (first run only) ..." >&2
  (cd "$ROOT" && UV_PROJECT_ENVIRONMENT="$ROOT/.venv" "$ROOT/.cache/uv/bin/uv" sync --frozen --quiet --python "$PY")
  cp "$ROOT/uv.lock" "$STAMP"
fi
export PATH="$ROOT/.venv/bin:$PATH"
