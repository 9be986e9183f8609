#!/usr/bin/env bash
# README command 1: install what is missing, build, then run the main job on a
# generated recording: the example flowgraph examples/mmap_file_scale.grc, compiled
# with grcc, reads a 512 MiB float32 recording through mmap_file_source, scales it
# and writes it out; numpy checks the result against the input.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
. scripts/env.sh
work=$(mktemp -d /var/tmp/streamproc-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 - "$work/recording.f32" <<'PY'
import sys, numpy as np
rng = np.random.default_rng(1)
with open(sys.argv[1], "wb") as f:
    for _ in range(8):  # 8 x 64 MiB
        f.write(rng.standard_normal(16 << 20).astype(np.float32).tobytes())
PY
grcc -o "$work" examples/mmap_file_scale.grc >/dev/null
/usr/bin/python3 - "$work" <<'PY'
import os, resource, subprocess, sys, time
import numpy as np
work = sys.argv[1]
inp, out = os.path.join(work, "recording.f32"), os.path.join(work, "scaled.f32")
t0 = time.perf_counter()
subprocess.run([sys.executable, os.path.join(work, "mmap_file_scale.py"),
                "--infile", inp, "--outfile", out, "--scale", "0.25"],
               check=True, stderr=subprocess.DEVNULL)
dt = time.perf_counter() - t0
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
a = np.memmap(inp, dtype=np.float32, mode="r")
b = np.memmap(out, dtype=np.float32, mode="r")
ok = a.shape == b.shape and all(
    np.array_equal(a[i:i + (1 << 24)] * np.float32(0.25), b[i:i + (1 << 24)])
    for i in range(0, a.size, 1 << 24))
print("demo: %d MiB recording -> mmap_file_source -> x0.25 -> file in %.2f s "
      "(%.0f MB/s incl. start-up and writing), peak RSS %.0f MB, output %s"
      % (os.path.getsize(inp) >> 20, dt, os.path.getsize(inp) / dt / 1e6, rss,
         "matches numpy" if ok else "DIFFERS from numpy"))
sys.exit(0 if ok else 1)
PY
