#!/usr/bin/env bash
# README command 1: install what is missing, build, then run the main job on a
# generated recording: examples/detect_events.grc (compiled with grcc) reads a 160 MB
# float32 recording of noise with 400 bursts through mmap_file_source, low-pass
# filters it with ols_fir_fff, finds the bursts with event_detector_f and writes them
# with event_file_sink; the events are then compared with the truth.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
. scripts/env.sh
work=$(mktemp -d /var/tmp/streamproc-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 - "$work" <<'PY'
import json, os, sys
import numpy as np
work = sys.argv[1]
rng = np.random.default_rng(1)
n, nb = 40_000_000, 400
starts = np.sort(rng.choice(np.arange(10_000, n - 60_000, 1000), nb, replace=False))
starts = starts[np.concatenate(([True], np.diff(starts) > 60_000))]
lengths = rng.integers(2_000, 40_000, len(starts))
with open(os.path.join(work, "recording.f32"), "wb") as f:
    for c0 in range(0, n, 1 << 22):
        c1 = min(n, c0 + (1 << 22))
        x = rng.standard_normal(c1 - c0)
        for s, l in zip(starts, lengths):
            a, b = max(s, c0), min(s + l, c1)
            if a < b:
                x[a - c0:b - c0] += 6.0 * np.cos(2 * np.pi * 0.02 * np.arange(a - s, b - s))
        f.write(x.astype(np.float32).tobytes())
json.dump([[int(s), int(l)] for s, l in zip(starts, lengths)], open(os.path.join(work, "truth.json"), "w"))
PY
grcc -o "$work" examples/detect_events.grc >/dev/null
/usr/bin/python3 - "$work" <<'PY'
import json, os, resource, subprocess, sys, time
work = sys.argv[1]
rec, out = os.path.join(work, "recording.f32"), os.path.join(work, "events.jsonl")
t0 = time.perf_counter()
subprocess.run([sys.executable, os.path.join(work, "detect_events.py"), "--infile", rec,
                "--events", out, "--samp-rate", "1e6"], check=True,
               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
dt = time.perf_counter() - t0
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
truth = json.load(open(os.path.join(work, "truth.json")))
events = [json.loads(line) for line in open(out)]
hits = 0
errs = []
for s, l in truth:
    m = [e for e in events if e["start"] < s + l and e["end"] > s]
    if m:
        hits += 1
        errs.append(max(abs(m[0]["start"] - s), abs(m[0]["end"] - (s + l))))
size = os.path.getsize(rec)
print("demo: %d MB recording, %d bursts -> mmap_file_source -> ols_fir_fff -> event_detector_f"
      " -> %d events in %.2f s (%.0f MB/s incl. start-up), peak RSS %.0f MB" %
      (size >> 20, len(truth), len(events), dt, size / dt / 1e6, rss))
print("demo: recall %.3f, precision %.3f, worst start/end error %d samples" %
      (hits / len(truth), hits / max(1, len(events)), max(errs) if errs else -1))
ok = hits == len(truth) and len(events) == len(truth) and max(errs) <= 128
print("demo: " + ("events match the truth" if ok else "events DO NOT match the truth"))
sys.exit(0 if ok else 1)
PY
