#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""`streamproc bench --only scale --sizes 200M,2G,20G`: the seed's headline table done
properly. For each size a float32 recording of noise with a tone burst every ~2 M samples
(`streamproc gen`, the truth beside it), then, alternated on the same file:
`streamproc detect FILE --type f32 --taps 3-tap --events EV.jsonl --json` (its report's
MB/s) and the numpy stream processor of the seed's design (mmap, 1 M-sample chunks, 1000
samples of overlap, np.convolve of |x| with the same 3 taps in float32, threshold
crossings counted). Each in its own process, its peak RSS (VmHWM) and its highest
RssAnon sampled from /proc every 20 ms; our events against the truth (recall, precision).
A file larger than the page cache is read from the disk: the disk's own rate (O_DIRECT
reads of the file) is printed beside it."""

import json
import os
import statistics
import subprocess
import sys
import threading
import time

from ..core.errors import RunError

TAPS3 = "0.25,0.5,0.25"
THRESHOLD = 3.0  # |x| smoothed: noise ~0.8, a 15 dB tone ~3.6


def numpy_seed(path, taps_file):
    """The seed's stream processor; returns (threshold crossings, samples)."""
    import mmap

    import numpy as np
    kernel = np.array([float(t) for t in open(taps_file).read().split(",")], np.float32)
    with open(path, "rb") as f:
        mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        x = np.frombuffer(mm, dtype=np.float32)
        chunk, overlap, count = 1 << 20, 1000, 0
        for s in range(0, len(x), chunk):
            y = np.convolve(np.abs(x[max(0, s - overlap):s + chunk]), kernel)
            count += int(np.count_nonzero(np.diff((y > THRESHOLD).astype(np.int8)) == 1))
        n = len(x)
        del x, y
        mm.close()
    return count, n


def _status(pid):
    out = {}
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmHWM", "RssAnon"):
                    out[k] = int(v.split()[0]) / 1024.0
    except OSError:
        pass
    return out


def run_sampled(cmd):
    """Runs cmd; (CompletedProcess-like stdout/stderr/returncode, wall seconds, peak
    VmHWM MB, peak RssAnon MB), the memory sampled every 20 ms while it runs."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = {"VmHWM": 0.0, "RssAnon": 0.0}
    done = threading.Event()

    def sample():
        while not done.wait(0.02):
            for k, v in _status(p.pid).items():
                peak[k] = max(peak[k], v)
    th = threading.Thread(target=sample, daemon=True)
    th.start()
    out, err = p.communicate()
    done.set()
    th.join(5)
    return p.returncode, out, err, time.perf_counter() - t0, peak["VmHWM"], peak["RssAnon"]


def disk_read_rate(path, nbytes=2 << 30):
    """MB/s of O_DIRECT reads of the file's first nbytes (the disk, not the page cache)."""
    import mmap
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECT", 0))
    except OSError:
        return None
    buf = mmap.mmap(-1, 8 << 20)
    t0 = time.perf_counter()
    done = 0
    try:
        while done < nbytes:
            k = os.readv(fd, [buf])
            if k <= 0:
                break
            done += k
    except OSError:
        return None
    finally:
        os.close(fd)
    return done / (time.perf_counter() - t0) / 1e6


def _make(workdir, size, made):
    samples = size // 4
    events = max(10, samples // 2_000_000)
    path = os.path.join(workdir, "streamproc-scale-%d.f32" % size)
    if not (os.path.exists(path) and os.path.exists(path + ".truth") and os.path.getsize(path) == samples * 4):
        made += [path, path + ".truth"]
        print("# scale: writing %s (%d samples, %d bursts)" % (path, samples, events), file=sys.stderr)
        subprocess.run([sys.executable, "-m", "gnuradio.streamproc.cli", "gen", path, "--samples", str(samples),
                        "--events", str(events)], check=True, capture_output=True)
    return path


def scale_bench(workdir, sizes, made, runs, human):
    """Rows of the scale table (one per size); the files made go to `made`."""
    from .gen import compare
    taps = os.path.join(workdir, "streamproc-scale-taps3.txt")
    with open(taps, "w") as f:
        f.write(TAPS3)
    made.append(taps)
    rows = []
    for size in sizes:
        path = _make(workdir, size, made)
        ev = path + ".events.jsonl"
        made.append(ev)
        truth = [tuple(map(int, line.split())) for line in open(path + ".truth")]
        ours_cmd = [sys.executable, "-m", "gnuradio.streamproc.cli", "detect", path, "--type", "f32", "--taps",
                    taps, "--events", ev, "--overwrite", "--json"]
        seed_cmd = [sys.executable, "-m", "gnuradio.streamproc.tools.bench_scale", "--seed", path, taps]
        res = {"ours": [], "numpy": []}
        n_runs = runs if size <= (4 << 30) else 1
        for r in range(n_runs):
            for which in (("ours", "numpy") if r % 2 == 0 else ("numpy", "ours")):
                rc, out, err, wall, hwm, anon = run_sampled(ours_cmd if which == "ours" else seed_cmd)
                if rc != 0:
                    raise RunError("scale bench: %s on %s failed: %s" % (which, path, err[-2000:]))
                rep = json.loads(out)
                mbs = rep["mb_per_s"] if which == "ours" else size / rep["seconds"] / 1e6
                res[which].append({"mb_per_s": mbs, "vmhwm_mb": hwm, "rss_anon_mb": anon,
                                   "events": rep["events"], "wall": wall})
                print("#   scale %s run %d/%d: %s %.0f MB/s, VmHWM %.1f MB, RssAnon %.1f MB, %d events" % (
                    human(size), r + 1, n_runs, which, mbs, hwm, anon, rep["events"]), file=sys.stderr)
        with open(ev) as f:
            found = [json.loads(line) for line in f]
        recall, precision, worst, _ = compare(found, truth, 64)
        row = {"size": human(size), "bytes": size, "truth": len(truth), "runs": n_runs,
               "recall": recall, "precision": precision, "worst_error": worst,
               "disk_mb_per_s": disk_read_rate(path)}
        for which, rs in res.items():
            row[which] = {k: statistics.median(x[k] for x in rs) for k in ("mb_per_s", "wall")}
            row[which].update(vmhwm_mb=max(x["vmhwm_mb"] for x in rs), rss_anon_mb=max(x["rss_anon_mb"] for x in rs),
                              events=rs[0]["events"])
        rows.append(row)
    return rows


def print_rows(rows):
    print("scale (streamproc detect --taps 0.25,0.5,0.25 --events, vs the seed's numpy stream processor; "
          "medians; peak RSS = VmHWM, anon = highest RssAnon):")
    for r in rows:
        o, n = r["ours"], r["numpy"]
        print("  %5s: ours %5.0f MB/s, VmHWM %5.1f MB, RssAnon %5.1f MB, %d events of %d (recall %.4f, precision "
              "%.4f); numpy %5.0f MB/s, VmHWM %6.1f MB, RssAnon %5.1f MB, %d threshold crossings: %.2fx; disk "
              "(O_DIRECT) %s MB/s; %d run(s)" % (
                  r["size"], o["mb_per_s"], o["vmhwm_mb"], o["rss_anon_mb"], o["events"], r["truth"], r["recall"],
                  r["precision"], n["mb_per_s"], n["vmhwm_mb"], n["rss_anon_mb"], n["events"],
                  o["mb_per_s"] / n["mb_per_s"],
                  "%.0f" % r["disk_mb_per_s"] if r["disk_mb_per_s"] else "-", r["runs"]))


def main(argv):
    if len(argv) == 3 and argv[0] == "--seed":
        t0 = time.perf_counter()
        count, n = numpy_seed(argv[1], argv[2])
        print(json.dumps({"seconds": time.perf_counter() - t0, "events": count, "samples": n}))
        return 0
    print("usage: python -m %s --seed FILE TAPS" % __name__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
