#!/usr/bin/env bash
# An ASan + UBSan build of the module (build-asan/) running the C++ suites and the Python
# QA (libasan preloaded into Debian's python3, leak checks off for the interpreter).
# Part of .ci/run. Usage: bash scripts/sanitize.sh
set -euo pipefail
cd "$(dirname "$0")/.."
build=${ASAN_BUILD_DIR:-build-asan}
mkdir -p "$build"
flags="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPYTHON_EXECUTABLE=/usr/bin/python3 \
    -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined" \
    -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" -DCMAKE_INTERPROCEDURAL_OPTIMIZATION=OFF \
    >"$build/configure.log" 2>&1 || { cat "$build/configure.log"; exit 1; }
cmake --build "$build" -j "$(nproc)" >"$build/build.log" 2>&1 || { tail -50 "$build/build.log"; exit 1; }
# handle_sigbus=0: mapped_file's own SIGBUS guard must see a truncated file's fault
export ASAN_OPTIONS=detect_leaks=0:handle_sigbus=0:halt_on_error=1:detect_odr_violation=0
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
echo "sanitize: C++ suites"
"$build/lib/test-streamproc"
echo "sanitize: Python QA (libasan preloaded)"
cd "$build"
# the install check and the examples run compilers and grcc, qa_batch runs Dask clusters
# of Python processes (its flowgraphs are those the other suites check): not what is
# checked here
LD_PRELOAD="$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libubsan.so)" \
    ctest --output-on-failure --timeout 900 -j 2 -E "install_prefix|qa_examples|qa_batch|^qa_(mapped_file|ols_engine|ols_stream|frame_cursor|stft_engine|event_detector_engine)$"
