#!/usr/bin/env bash
# Regenerates docs/reliability.md: runs every hardening check (pytest -m reliability) at the issue's full
# scale - 10,000 hostile inputs, 200 API clients for 5 minutes on SQLite and PostgreSQL, the injected
# faults, the security checks - and writes the table from the rows the tests record (tests/reliability.py).
# Usage: bash scripts/reliability.sh [--quick] [--report FILE] [-- extra pytest args]. Takes about 30 minutes.
source "$(dirname "$0")/env.sh"
cd "$ROOT"
for setup in scripts/services.sh scripts/browser.sh scripts/java.sh; do
  if [ -f "$setup" ]; then source "$setup"; fi
done
python -m tests.reliability "$@"
