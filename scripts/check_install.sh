#!/usr/bin/env bash
# Installs the build tree into a temporary prefix and checks what a user gets:
# the Python package imports with Debian's python3, grcc compiles every example
# flowgraph against the installed GRC files, and another CMake project finds the
# library with find_package(gnuradio-streamproc) and runs a flowgraph with it.
# Usage: check_install.sh BUILD_DIR SOURCE_DIR   (run by CTest as "install_prefix")
set -euo pipefail
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
py=${PYTHON:-/usr/bin/python3}
prefix=$(mktemp -d /tmp/streamproc-prefix.XXXXXX)
work=$(mktemp -d /tmp/streamproc-install-check.XXXXXX)
trap 'rm -rf "$prefix" "$work"' EXIT

cmake --install "$build" --prefix "$prefix" >"$work/install.log"

pkgdir=$(dirname "$(find "$prefix" -path '*/gnuradio/streamproc/__init__.py' | head -1)")
[ -d "$pkgdir" ] || { echo "FAIL: no Python package under $prefix"; exit 1; }
pypath=$(dirname "$(dirname "$pkgdir")")
libdir=$(dirname "$(find "$prefix" -name 'libgnuradio-streamproc.so' | head -1)")
export PYTHONPATH="$pypath" LD_LIBRARY_PATH="$libdir"
export GRC_BLOCKS_PATH="$prefix/share/gnuradio/grc/blocks"
for f in include/gnuradio/streamproc/mmap_file_source.h bin/streamproc \
         share/gnuradio/grc/blocks/streamproc_mmap_file_source.block.yml \
         lib/cmake/gnuradio-streamproc/gnuradio-streamprocConfig.cmake; do
    [ -e "$prefix/$f" ] || { echo "FAIL: $f not installed"; exit 1; }
done

# 1. the package, from the prefix (not the build tree)
"$py" - <<PYEOF
import gnuradio.streamproc as sp, os
assert os.path.realpath(sp.__file__).startswith(os.path.realpath("$prefix")), sp.__file__
from gnuradio import streamproc
assert hasattr(streamproc, "mmap_file_source")
print("import OK:", sp.__file__)
PYEOF
"$prefix/bin/streamproc" --help >/dev/null
head -1 "$prefix/bin/streamproc" | grep -q '^#!/usr/bin/python3' || { echo "FAIL: shebang"; exit 1; }

# 2. every example flowgraph compiles with grcc against the installed block files
for grc in "$prefix"/share/gr-streamproc/examples/*.grc; do
    grcc -o "$work" "$grc" >"$work/grcc.log" 2>&1 || { cat "$work/grcc.log"; echo "FAIL: grcc $grc"; exit 1; }
    echo "grcc OK: $(basename "$grc")"
done

# 3. a C++ consumer project: find_package + link + run
cmake -S "$src/scripts/consumer" -B "$work/consumer" -DCMAKE_PREFIX_PATH="$prefix" >"$work/consumer.log" 2>&1 \
    || { cat "$work/consumer.log"; echo "FAIL: find_package(gnuradio-streamproc)"; exit 1; }
cmake --build "$work/consumer" >>"$work/consumer.log" 2>&1 || { cat "$work/consumer.log"; echo "FAIL: consumer build"; exit 1; }
head -c 100000 /dev/urandom >"$work/data.bin"
"$work/consumer/consumer" "$work/data.bin"
echo "install check passed"
