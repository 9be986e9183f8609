#!/usr/bin/env bash
# README command 1: install what is missing, build, then run the main job on a
# generated recording: `streamproc demo` writes 50 million float samples with 1000
# bursts, runs `streamproc detect` on them (mmap_file_source -> ols_fir_fff low-pass
# -> event_detector_f -> event_file_sink), prints the report and compares the events
# with the truth (exit status 1 if they disagree).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
. scripts/env.sh
exec /usr/bin/python3 apps/streamproc demo "$@"
