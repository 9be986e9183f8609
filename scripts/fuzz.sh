#!/usr/bin/env bash
# Builds the libFuzzer targets of every parser of outside input (SigMF metadata, the
# ols_fir "taps" and event_file_sink "events" message handlers) with clang 14 (ASan +
# UBSan) and runs each for a bounded time on a copy of its corpus in lib/fuzz/corpus.
# Part of .ci/run. Usage: bash scripts/fuzz.sh [SECONDS per target, default 20]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
out=${FUZZ_BUILD_DIR:-build-fuzz}
mkdir -p "$out"
cxx="clang++-14 -std=c++17 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined"
inc="-Ilib -Iinclude -I/usr/include"
libs="-lgnuradio-runtime -lgnuradio-pmt -lvolk -lfmt -lspdlog -lboost_thread -lpthread"
$cxx $inc lib/fuzz/fuzz_sigmf_meta.cc lib/sigmf.cc lib/sample_format.cc lib/json_text.cc -o "$out/fuzz_sigmf_meta" $libs
$cxx $inc lib/fuzz/fuzz_taps_message.cc -o "$out/fuzz_taps_message" $libs
$cxx $inc lib/fuzz/fuzz_event_message.cc lib/event_file_sink_impl.cc lib/sigmf_writer.cc lib/event_record.cc lib/json_text.cc \
    -o "$out/fuzz_event_message" $libs
export ASAN_OPTIONS=detect_leaks=0:halt_on_error=1
for t in sigmf_meta taps_message event_message; do
    corpus="$out/corpus_$t"
    rm -rf "$corpus" && cp -r "lib/fuzz/corpus/$t" "$corpus"
    echo "fuzz: $t for ${seconds} s"
    "$out/fuzz_$t" -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 "$corpus" \
        >"$out/$t.log" 2>&1 || { tail -60 "$out/$t.log"; echo "fuzz: $t FAILED (crash input in $out)"; exit 1; }
    grep -E "stat::number_of_executed_units|Done" "$out/$t.log" | tail -2
done
echo "fuzz: all targets ran without a crash"
echo "fuzz: 3 passed, 0 failed"
