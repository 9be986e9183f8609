#!/usr/bin/env bash
# README command 2 (and what .ci/run calls): install what is missing, check formatting,
# lint and bindings, build, run every test (C++ CppUnit suites, Python qa_*.py, the
# install check with GRC's C++ output) with CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/lint.sh
bash scripts/build.sh
cd "${BUILD_DIR:-build}"
ctest --output-on-failure --timeout 900 -j 2
