#!/usr/bin/env bash
# The main job on bundled examples: analyse example reports of a few patients over time, store them in
# the default SQLite registry, print the follow-up worklist.
source "$(dirname "$0")/env.sh"
cd "$ROOT"
calcitrack demo "$@"
