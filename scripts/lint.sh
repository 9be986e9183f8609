#!/usr/bin/env bash
# What the README promises about the code, checked: GNU Radio's .clang-format (clang-format
# 14) on all C++, pycodestyle (120 columns) and pyflakes on our Python, and every public
# method of each block header bound in Python, the Python package's layers (no import
# cycle, no private name imported across modules). Part of scripts/test.sh (and CI).
set -euo pipefail
cd "$(dirname "$0")/.."
fail=0
mapfile -t cxx < <(git ls-files '*.h' '*.cc' | grep -v '^docs/')
if ! clang-format-14 --dry-run -Werror "${cxx[@]}" 2>lint-clang.log; then
    grep -m 20 'error:' lint-clang.log || true
    echo "lint: C++ not formatted (run clang-format-14 -i on the files above)"
    fail=1
fi
rm -f lint-clang.log
mapfile -t py < <(git ls-files ':(glob)python/streamproc/**/*.py' ':(glob)scripts/*.py' | grep -v '/bindings/'; echo apps/streamproc)
/usr/bin/python3 -m pycodestyle --max-line-length=120 "${py[@]}" || { echo "lint: pycodestyle"; fail=1; }
pyflakes3 "${py[@]}" || { echo "lint: pyflakes"; fail=1; }
/usr/bin/python3 scripts/check_bindings.py || fail=1
# the Python package's layers: no import cycle, no private name across modules
/usr/bin/python3 scripts/check_imports.py python/streamproc || fail=1
[ "$fail" -eq 0 ] && echo "lint: clang-format, pycodestyle, pyflakes, bindings, layers OK"
exit "$fail"
