#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""`streamproc bench --only array`: the array functions against what a numpy user
would write (scipy.signal.lfilter / oaconvolve, scipy.signal.stft, numpy.fft.fft /
scipy.fft.fft), and the out-of-core fft of a file larger than --array-ooc-max-memory.

Protocol as bench.py's: the input file made once and read into the page cache, each
measured call in a fresh process (`python3 -m gnuradio.streamproc.tools.bench_array
--case ...`: its peak RSS is that call's), implementations alternated run by run,
medians of --runs and ratios in one run. Only the call is timed (not the imports, not
making the input array); MB/s are of the input samples."""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

from ..core.errors import RunError
from ..runners.runctl import status_mb
from .benchfiles import warm, write_repeated


def _status_mb(key):
    return status_mb(key) or 0.0


class _AnonPeak:
    """The highest RssAnon seen by progress callbacks (the kernel keeps no peak of it)."""

    def __init__(self):
        self.peak = _status_mb("RssAnon")

    def __call__(self, done, total):
        self.peak = max(self.peak, _status_mb("RssAnon"))


def _taps(ntaps):
    import numpy as np

    k = np.arange(ntaps) - (ntaps - 1) / 2
    return (0.2 * np.sinc(0.2 * k) * np.hamming(ntaps)).astype(np.float32)


def child(case, which, path):
    """One measured call in this process; returns the result dict."""
    import numpy as np

    from gnuradio import streamproc  # noqa: F401 (the import cost is the baseline's)

    dtype = np.dtype(case["dtype"])
    x = np.memmap(path, dtype, "r")
    n = case.get("n") or x.shape[0]
    x = x[:n]
    anon = _AnonPeak()
    kind = case["kind"]
    if kind in ("fft", "stft") and which != "ours":
        x = np.array(x)  # numpy and scipy need the samples in memory anyway; not timed
    t0 = time.perf_counter()
    info = {}
    if kind == "fir":
        taps = _taps(case["ntaps"])
        if which == "ours":
            streamproc.fir(x, taps, progress=anon)
        elif which == "lfilter":
            import scipy.signal
            scipy.signal.lfilter(taps, np.float32(1.0), x)
        else:
            import scipy.signal
            scipy.signal.oaconvolve(x, taps)[:n]
    elif kind == "stft":
        nfft, hop = case["fft_size"], case["hop"]
        if which == "ours":
            streamproc.stft(x, nfft, hop, progress=anon)
        else:
            import scipy.signal
            scipy.signal.stft(x, window="hann", nperseg=nfft, noverlap=nfft - hop, boundary=None, padded=False,
                              return_onesided=False, detrend=False)
    elif kind == "fft":
        if which == "ours":
            out = case.get("out")
            # out of core as a user runs it on a recording: the path in, a path out
            _, lay = streamproc.runners.arrays.dft.fft_with_layout(
                path if out else x, out=out, max_memory=case["max_memory"], progress=anon, overwrite=True,
                format="cf32" if out else None)
            info = {"passes": lay["passes"], "in_memory": lay["in_memory"], "n1": lay["n1"], "n2": lay["n2"]}
        elif which == "numpy.fft":
            np.fft.fft(x)
        else:
            import scipy.fft
            scipy.fft.fft(x)
    dt = time.perf_counter() - t0
    anon(0, 0)
    res = {"seconds": dt, "bytes": n * dtype.itemsize, "samples": n, "peak_rss_mb": _status_mb("VmHWM"),
           "peak_rss_anon_mb": anon.peak}
    res.update(info)
    return res


def _run(case, which, path):
    cmd = [sys.executable, "-m", "gnuradio.streamproc.tools.bench_array", "--case", json.dumps(case), "--which",
           which, "--file", path]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        raise RunError("array benchmark %s/%s failed:\n%s" % (case["name"], which, res.stderr[-2000:]))
    return json.loads(res.stdout.strip().splitlines()[-1])


def _make(path, dtype, n, made):
    """n samples of Gaussian noise (a 2^22-sample block repeated), made once, read once."""
    import numpy as np

    itemsize = np.dtype(dtype).itemsize
    if not (os.path.exists(path) and os.path.getsize(path) == n * itemsize):
        made.append(path)
        print("# preparing %s (%d samples of %s)" % (path, n, dtype), file=sys.stderr)
        rng = np.random.default_rng(5)
        m = min(n, 1 << 22)
        blk = rng.standard_normal(m) + (1j * rng.standard_normal(m) if np.dtype(dtype).kind == "c" else 0)
        write_repeated(path, blk.astype(dtype).tobytes(), n * itemsize)
    warm(path)  # into the page cache
    return path


def page_cache_write_rate(workdir, nbytes=1 << 30):
    """MB/s of writing a new file into the page cache (no fsync), of rewriting it, and
    of writing a new file around it (O_DIRECT, as the out-of-core passes do): what the
    passes' writes cost on this machine."""
    import mmap
    path = os.path.join(workdir, "streamproc-bench-array-dd.bin")
    block = mmap.mmap(-1, 64 << 20)  # page-aligned, as O_DIRECT needs
    rates = []
    try:
        for flags in (os.O_WRONLY | os.O_CREAT | os.O_TRUNC, os.O_WRONLY,
                      os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_DIRECT", 0)):
            try:
                fd = os.open(path, flags, 0o644)
            except OSError:  # no O_DIRECT on this file system
                rates.append(None)
                continue
            t0 = time.perf_counter()
            for _ in range(nbytes // len(block)):
                os.write(fd, block)
            rates.append(nbytes / (time.perf_counter() - t0) / 1e6)
            os.close(fd)
    finally:
        if os.path.exists(path):
            os.unlink(path)
    return rates


def _row(case, path, impls, runs):
    results = {w: [] for w in impls}
    for r in range(runs):
        order = impls[r % len(impls):] + impls[:r % len(impls)]
        for which in (order[::-1] if r % 2 else order):
            res = _run(case, which, path)
            results[which].append(res)
            print("#   %s run %d/%d: %s %.0f MB/s" % (case["name"], r + 1, runs, which,
                                                      res["bytes"] / res["seconds"] / 1e6), file=sys.stderr)
    row = {"name": case["name"], "case": case, "impls": {}}
    for w, rs in results.items():
        row["impls"][w] = {
            "mb_per_s": statistics.median(x["bytes"] / x["seconds"] / 1e6 for x in rs),
            "msamples_per_s": statistics.median(x["samples"] / x["seconds"] / 1e6 for x in rs),
            "peak_rss_mb": max(x["peak_rss_mb"] for x in rs),
            "peak_rss_anon_mb": max(x["peak_rss_anon_mb"] for x in rs),
            "samples": rs[0]["samples"],
            **{k: rs[0][k] for k in ("passes", "in_memory", "n1", "n2") if k in rs[0]}}
    ours = row["impls"]["ours"]["msamples_per_s"]
    others = {w: v["msamples_per_s"] for w, v in row["impls"].items() if w != "ours"}
    if others:
        best = max(others, key=others.get)
        row.update(best=best, ratio=ours / others[best])
    return row


def array_bench(workdir, runs, fir_samples=10 ** 8, lfilter_samples=10 ** 7, ooc_log2=30, ooc_memory="64M"):
    """All rows of the array benchmark; prints them and returns them."""
    made, rows = [], []
    try:
        for dtype in ("float32", "complex64"):
            path = _make(os.path.join(workdir, "streamproc-bench-array-%s.bin" % dtype), dtype, fir_samples, made)
            for ntaps in (129, 1025):
                case = {"kind": "fir", "dtype": dtype, "ntaps": ntaps, "name": "fir %d taps %s" % (ntaps, dtype)}
                row = _row(case, path, ["ours", "oaconvolve"], runs)
                # lfilter's time grows linearly with the samples: measured on the first 10^7
                lf = _row(dict(case, n=lfilter_samples, name=case["name"] + " (lfilter)"), path,
                          ["ours", "lfilter"], runs)
                row["impls"]["lfilter"] = lf["impls"]["lfilter"]
                best = max(("oaconvolve", "lfilter"), key=lambda w: row["impls"][w]["msamples_per_s"])
                row.update(best=best, ratio=row["impls"]["ours"]["msamples_per_s"] /
                           row["impls"][best]["msamples_per_s"])
                rows.append(row)
        path = _make(os.path.join(workdir, "streamproc-bench-array-fft.bin"), "complex64", 1 << 26, made)
        rows.append(_row({"kind": "stft", "dtype": "complex64", "n": 1 << 24, "fft_size": 1024, "hop": 256,
                          "name": "stft 1024/256 complex64"}, path, ["ours", "scipy.signal.stft"], runs))
        for k in (24, 25, 26):
            rows.append(_row({"kind": "fft", "dtype": "complex64", "n": 1 << k, "max_memory": "2G",
                              "name": "fft 2^%d complex64 in memory (2G)" % k}, path,
                             ["ours", "numpy.fft", "scipy.fft"], runs))
        inmem = rows[-1]["impls"]["ours"]["mb_per_s"]
        # fft(x) as called with the default max_memory: 2^24 points go out of core
        rows.append(_row({"kind": "fft", "dtype": "complex64", "n": 1 << 24, "max_memory": "64M",
                          "name": "fft 2^24 complex64, default max_memory 64M"}, path,
                         ["ours", "scipy.fft"], runs))
        if ooc_log2:
            n = 1 << ooc_log2
            big = _make(os.path.join(workdir, "streamproc-bench-array-ooc.cf32"), "complex64", n, made)
            out = os.path.join(workdir, "streamproc-bench-array-ooc.fft")
            made.append(out)
            row = _row({"kind": "fft", "dtype": "complex64", "n": n, "max_memory": ooc_memory, "out": out,
                        "name": "fft 2^%d complex64 out of core (max_memory %s)" % (ooc_log2, ooc_memory)},
                       big, ["ours"], runs)
            row["of_in_memory"] = row["impls"]["ours"]["mb_per_s"] / inmem
            row["page_cache_write_mb_per_s"] = page_cache_write_rate(workdir)
            rows.append(row)
    finally:
        for p in made:
            if os.path.exists(p):
                os.unlink(p)
    print_rows(rows, runs)
    return rows


def print_rows(rows, runs):
    print("array (medians of %d runs, each call in a fresh process; peak RSS = VmHWM, anon = RssAnon):" % runs)
    for r in rows:
        parts = []
        for w, v in r["impls"].items():
            extra = ", %d passes" % v["passes"] if "passes" in v and not v.get("in_memory") else ""
            parts.append("%s %.0f MS/s (%.0f MB/s, RSS %.0f MB, anon %.0f MB%s)" % (
                w, v["msamples_per_s"], v["mb_per_s"], v["peak_rss_mb"], v["peak_rss_anon_mb"], extra))
        line = "  %-44s %s" % (r["name"], "; ".join(parts))
        if "ratio" in r:
            line += "  => %.2fx %s" % (r["ratio"], r["best"])
        if "of_in_memory" in r:
            line += "  => %.2f of the in-memory rate at 2^26" % r["of_in_memory"]
        print(line)
        if "page_cache_write_mb_per_s" in r:
            new, again, direct = (list(r["page_cache_write_mb_per_s"]) + [None])[:3]
            print("  %-44s a new 1 GiB file %.0f MB/s, the same file rewritten %.0f MB/s, a new one with O_DIRECT "
                  "%s MB/s (each pass writes the data once, O_DIRECT where it can)" % (
                      "file writes on this machine:", new, again, "%.0f" % direct if direct else "-"))


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--case", required=True)
    p.add_argument("--which", required=True)
    p.add_argument("--file", required=True)
    a = p.parse_args()
    print(json.dumps(child(json.loads(a.case), a.which, a.file)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
