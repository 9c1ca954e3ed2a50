#!/usr/bin/env bash
# The whole test suite: lint, types, knowledge-base check, then pytest. `.ci/run` calls this.
source "$(dirname "$0")/env.sh"
cd "$ROOT"
if [ -f scripts/services.sh ]; then source scripts/services.sh; fi
ruff check src tests benchmarks
mypy
calcitrack kb check
pytest "$@"
