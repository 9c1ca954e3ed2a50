#!/usr/bin/env bash
# The whole test suite: lint, types, knowledge-base check, then pytest. `.ci/run` calls this.
source "$(dirname "$0")/env.sh"
cd "$ROOT"
for setup in scripts/services.sh scripts/browser.sh scripts/java.sh scripts/audit.sh; do
  if [ -f "$setup" ]; then source "$setup"; fi
done
ruff check src tests benchmarks
mypy
calcitrack kb check
pytest "$@"
