#!/usr/bin/env bash
# Builds if needed and runs `streamproc bench` from the build tree; arguments are
# passed on (e.g. --size 200M,2G --runs 5).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d "${BUILD_DIR:-build}" ] || bash scripts/build.sh
. scripts/env.sh
exec /usr/bin/python3 apps/streamproc bench "$@"
