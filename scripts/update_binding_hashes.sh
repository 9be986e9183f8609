#!/usr/bin/env bash
# Refresh BINDTOOL_HEADER_FILE_HASH in the hand-maintained pybind11 files after a
# public header changed (what `gr_modtool bind` would do, without castxml).
# Review the binding itself too: the hash only says it was looked at.
set -euo pipefail
cd "$(dirname "$0")/.."
for b in python/streamproc/bindings/*_python.cc; do
    h=$(sed -n 's/.*BINDTOOL_HEADER_FILE(\([^)]*\)).*/\1/p' "$b")
    [ -n "$h" ] || continue
    sum=$(md5sum "include/gnuradio/streamproc/$h" | cut -d' ' -f1)
    sed -i "s/BINDTOOL_HEADER_FILE_HASH([0-9a-f]*)/BINDTOOL_HEADER_FILE_HASH($sum)/" "$b"
    echo "$b: $sum"
done
