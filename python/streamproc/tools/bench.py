#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""`streamproc bench`: our blocks against the stock GNU Radio chains.

Benchmarks follow one protocol: the same file for ours and the stock GNU Radio chain,
the file read once beforehand so both run from the page cache, each run in a fresh
process (`python3 -m gnuradio.streamproc.tools.bench --case ...`, so its peak RSS is that
run's), ours and stock alternated (ABBA) within one invocation, medians and ratios
reported, never a single time.
"""

import argparse
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import time

from ..core.errors import RunError, UsageError
from ..core.options import parse_size
from .benchfiles import write_repeated


def human(nbytes):
    for unit, div in (("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)):
        if nbytes >= div and nbytes % div == 0:
            return "%d%s" % (nbytes // div, unit)
    return "%dB" % nbytes


# ------------------------------------------------------------------ bench children
def _maxrss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _source_chain(which, path, case):
    """mmap_file_source -> null_sink against blocks.file_source -> null_sink."""
    from gnuradio import blocks, gr

    itemsize = case["itemsize"]
    tb = gr.top_block()
    if which == "ours":
        from gnuradio import streamproc
        src = streamproc.mmap_file_source(itemsize, path)
    else:
        src = blocks.file_source(itemsize, path, False)
    tb.connect(src, blocks.null_sink(itemsize))
    return tb


def bench_taps(ntaps, complex_taps):
    import numpy as np

    rng = np.random.default_rng(ntaps)
    h = rng.standard_normal(ntaps).astype(np.float32) / np.sqrt(ntaps)
    if complex_taps:
        return (h + 1j * rng.standard_normal(ntaps).astype(np.float32) / np.sqrt(ntaps)).tolist()
    return h.tolist()


UPSTREAMS = {"mmap": "mmap_file_source", "file_source": "blocks.file_source",
             "vector_source": "vector_source+head"}


def _upstream(tb, case, itemsize, path):
    """The block that feeds the measured one: our mmap_file_source (8 MiB buffer),
    blocks.file_source, or vector_source(repeat) -> head (GNU Radio's default buffers,
    like an SDR source or any ordinary block); all deliver the file's item count."""
    from gnuradio import blocks, streamproc

    kind = case.get("upstream", "mmap")
    if kind == "mmap":
        return streamproc.mmap_file_source(itemsize, path)
    if kind == "file_source":
        return blocks.file_source(itemsize, path, False)
    import numpy as np
    nitems = os.path.getsize(path) // itemsize
    # the file's first 8192 items, repeated (a byte vector_source with vlen would cost
    # 12 ns per item itself and measure only the source)
    dtype = np.float32 if itemsize == 4 else np.complex64
    data = np.fromfile(path, dtype=dtype, count=8192).tolist()
    src = (blocks.vector_source_f if itemsize == 4 else blocks.vector_source_c)(data, True)
    head = blocks.head(itemsize, nitems)
    tb.connect(src, head)
    return head


def _filter_chain(which, path, case):
    """upstream -> ols_fir_T / fft_filter_T / fir_filter_T -> null_sink (the same
    upstream for all: only the filter differs)."""
    from gnuradio import blocks, filter as grfilter, gr, streamproc

    kind = case["type"]
    itemsize = 4 if kind == "fff" else 8
    taps = bench_taps(case["ntaps"], kind == "ccc")
    tb = gr.top_block()
    up = _upstream(tb, case, itemsize, path)
    if which == "upstream":  # the upstream's own rate
        tb.connect(up, blocks.null_sink(itemsize))
        return tb
    make = {"ours": getattr(streamproc, "ols_fir_" + kind), "stock": getattr(grfilter, "fft_filter_" + kind),
            "fft": getattr(grfilter, "fft_filter_" + kind), "fir": getattr(grfilter, "fir_filter_" + kind)}[which]
    filt = make(case["decim"], taps)
    tb.connect(up, filt, blocks.null_sink(itemsize))
    tb.measured = [filt]  # the block whose own CPU time is reported too
    return tb


def _spectral_chain(which, path, case):
    """Our overlapped STFT/Welch blocks against the stock chains without overlap:
    stream_to_vector + fft_vfc/fft_vcc, and fft.logpwrfft_c."""
    from gnuradio import blocks, fft, gr, streamproc
    from gnuradio.fft import logpwrfft

    n, kind = case["fft_size"], case["type"]
    window = fft.window.hann(n)
    itemsize = case["itemsize"]
    tb = gr.top_block()
    src = _upstream(tb, case, itemsize, path)
    if which == "ours":
        if kind == "stft_fc":
            blk = streamproc.stft_fc(n, case["hop"], window)
            out = blk.vlen() * 8
        elif kind == "stft_cc":
            blk = streamproc.stft_cc(n, case["hop"], window)
            out = n * 8
        else:
            blk = streamproc.welch_cf(n, case["hop"], window, case["navg"], "density", 1e6, False, True)
            out = n * 4
        tb.connect(src, blk, blocks.null_sink(out))
    elif kind in ("stft_fc", "stft_cc"):
        s2v = blocks.stream_to_vector(itemsize, n)
        f = fft.fft_vfc(n, True, window, 1) if kind == "stft_fc" else fft.fft_vcc(n, True, window, False, 1)
        tb.connect(src, s2v, f, blocks.null_sink(n * 8))
    else:
        avg = case["navg"] > 1
        blk = logpwrfft.logpwrfft_c(1e6, n, 1.0, 1e6 / n, 1.0 / case["navg"] if avg else 1.0, avg)
        tb.connect(src, blk, blocks.null_sink(n * 4))
    return tb


WINDOW = 64  # the detector's window and the stock chain's moving average


def _collect_events(tb, det):
    """Our detector's events go to a message_debug, as a user would store them."""
    from gnuradio import blocks

    tb.msg_connect(det, "events", blocks.message_debug(), "store")


def _stock_threshold(tb, power):
    """The stock detection a user would build on a power stream: moving_average_ff ->
    threshold_ff -> null_sink."""
    from gnuradio import blocks

    tb.connect(power, blocks.moving_average_ff(WINDOW, 1.0 / WINDOW, 4000), blocks.threshold_ff(5.0, 10.0, 0),
               blocks.null_sink(4))


def _detector_chain(which, path, case):
    """event_detector_f (messages to a message_debug) against the stock chain a user
    would build: multiply_ff (x*x) -> moving_average_ff -> threshold_ff -> null_sink."""
    from gnuradio import blocks, gr, streamproc

    tb = gr.top_block()
    src = _upstream(tb, case, 4, path)
    if which == "ours":
        det = streamproc.event_detector_f(window=WINDOW, sample_rate=1e6)
        tb.connect(src, det)
        _collect_events(tb, det)
    else:
        sq = blocks.multiply_ff()
        tb.connect(src, (sq, 0))
        tb.connect(src, (sq, 1))
        _stock_threshold(tb, sq)
    return tb


class _NumpyStream:
    """The numpy stream processor `streamproc detect` replaces: mmap the file, walk it
    in 1 M-sample chunks with 1000 samples of overlap, np.convolve(np.abs(x), kernel)
    with the same taps, count the threshold crossings. f32: the kernel as float32 (the
    convolution stays in float32: what a careful numpy user writes); else as the list
    of numbers it is read as (np.convolve then works in float64)."""

    def __init__(self, path, case, f32=False):
        self.path, self.case, self.f32 = path, case, f32

    def run(self):
        import mmap
        import numpy as np

        kernel = [float(t) for t in open(self.case["taps_file"]).read().split(",")]
        if self.f32:
            kernel = np.array(kernel, np.float32)
        with open(self.path, "rb") as f:
            mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
            x = np.frombuffer(mm, dtype=np.float32)
            chunk, overlap, count = 1 << 20, 1000, 0
            for s in range(0, len(x), chunk):
                y = np.convolve(np.abs(x[max(0, s - overlap):s + chunk]), kernel)
                count += int(np.count_nonzero(np.diff((y > 3.0).astype(np.int8)) == 1))
            del x, y
            mm.close()
        self.events = count


def _pipeline_chain(which, path, case):
    """The numpy stream processor above (float64 or float32 kernel); `streamproc
    detect` itself runs as the user runs it (pipeline_command)."""
    return _NumpyStream(path, case, f32=which == "stock32")


def pipeline_command(path, case):
    """The user's command line of the pipeline benchmark: detect with the taps file,
    writing the events, the report as JSON."""
    return [sys.executable, "-m", "gnuradio.streamproc.cli", "detect", path, "--type", "f32", "--taps",
            case["taps_file"], "--events", path + ".events.jsonl", "--overwrite", "--json"]


def run_pipeline_command(case, path):
    """`streamproc detect` as a user runs it (its own process, an events file): the
    report's own seconds (what its mb_per_s is made of) and peak RSS; the interpreter's
    RSS with gnuradio, numpy and the module imported is the baseline."""
    res = subprocess.run(pipeline_command(path, case), capture_output=True, text=True)
    if res.returncode != 0:
        raise RunError("streamproc detect failed:\n%s" % res.stderr[-2000:])
    rep = json.loads(res.stdout)
    os.unlink(path + ".events.jsonl")
    base = subprocess.run([sys.executable, "-c", "import numpy, gnuradio.blocks, gnuradio.streamproc; "
                           "print([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0])"],
                          capture_output=True, text=True, check=True)
    return {"seconds": rep["seconds"], "bytes": rep["bytes"], "peak_rss_mb": rep["peak_rss_mb"],
            "base_rss_mb": int(base.stdout) / 1024.0, "report_mb_per_s": rep["mb_per_s"], "events": rep["events"]}


def _live_chain(which, path, case):
    """The chain of a live receiver on a cf32 stream: ols_fir_ccf(8, 129 taps) ->
    event_detector_c against fir_filter_ccf(8) -> complex_to_mag_squared ->
    moving_average_ff -> threshold_ff, behind the given upstream."""
    from gnuradio import blocks, filter as grfilter, gr, streamproc

    taps = bench_taps(129, False)
    tb = gr.top_block()
    up = _upstream(tb, case, 8, path)
    if which == "ours":
        det = streamproc.event_detector_c(window=WINDOW, sample_rate=1e6)
        tb.connect(up, streamproc.ols_fir_ccf(8, taps), det)
        _collect_events(tb, det)
    else:
        mag2 = blocks.complex_to_mag_squared()
        tb.connect(up, grfilter.fir_filter_ccf(8, taps), mag2)
        _stock_threshold(tb, mag2)
    return tb


def _formats_chain(which, path, case):
    """Reading one sample format as complex: mmap_file_source's own conversion against
    the stock chains a user would build (file_source + interleaved_short_to_complex /
    interleaved_char_to_complex / uchar_to_float ... float_to_complex); or `streamproc
    detect` (no filter) on the format, ours only, compared with its cf32 row."""
    from gnuradio import blocks, gr

    kind = case["kind"]
    tb = gr.top_block()
    if case["stage"] == "detect":
        from ..core.chain import build_flowgraph
        from ..core.formats import open_recording
        from ..core.options import DetectOptions
        return build_flowgraph(open_recording(path, kind), DetectOptions(rate=1e6))[0]
    if which == "ours":
        from gnuradio import streamproc
        tb.connect(streamproc.mmap_file_source(0, path, format=kind), blocks.null_sink(8))
        return tb
    if kind == "cf32_le":
        tb.connect(blocks.file_source(8, path, False), blocks.null_sink(8))
    elif kind == "ci16_le":
        tb.connect(blocks.file_source(4, path, False), blocks.interleaved_short_to_complex(True, False, 32768.0),
                   blocks.null_sink(8))
    elif kind == "ci8":
        tb.connect(blocks.file_source(2, path, False), blocks.interleaved_char_to_complex(True, 128.0),
                   blocks.null_sink(8))
    else:  # cu8, as RTL-SDR users convert it
        deint, f2c = blocks.deinterleave(4), blocks.float_to_complex()
        tb.connect(blocks.file_source(1, path, False), blocks.uchar_to_float(), blocks.add_const_ff(-127.5),
                   blocks.multiply_const_ff(1.0 / 128), deint)
        tb.connect((deint, 0), (f2c, 0))
        tb.connect((deint, 1), (f2c, 1))
        tb.connect(f2c, blocks.null_sink(8))
    return tb


FORMATS = (("cf32_le", 8), ("ci16_le", 4), ("ci8", 2), ("cu8", 2))


def make_format_files(workdir, nsamples, made):
    """The same complex samples (noise, 4 % of full scale) as cf32, ci16, ci8 and cu8
    files, written in blocks; returns {format: path}."""
    paths = {}
    for kind, _ in FORMATS:
        path = os.path.join(workdir, "streamproc-bench-formats-%d.%s" % (nsamples, kind))
        paths[kind] = path
        if not os.path.exists(path):
            made.append(path)
    print("# preparing %d complex samples as %s" % (nsamples, ", ".join(k for k, _ in FORMATS)), file=sys.stderr)
    subprocess.run([sys.executable, "-c", """
import numpy as np, os
from gnuradio.streamproc.tools.benchfiles import warm
paths = %r
n = %d
if not all(os.path.exists(p) for p in paths.values()):
    rng = np.random.default_rng(3)
    files = {k: open(p + ".part", "wb") for k, p in paths.items()}
    for c0 in range(0, n, 1 << 22):
        m = min(n, c0 + (1 << 22)) - c0
        q = np.round(rng.standard_normal(2 * m) * 5).clip(-127, 127)  # integers: exact in every format
        files["ci8"].write(q.astype(np.int8).tobytes())
        files["cu8"].write((q + 128).astype(np.uint8).tobytes())
        files["ci16_le"].write((q * 256).astype("<i2").tobytes())
        files["cf32_le"].write((q / 128).astype("<f4").tobytes())
    for k, f in files.items():
        f.close()
        os.replace(paths[k] + ".part", paths[k])
for p in paths.values():
    warm(p)
""" % (paths, nsamples)], check=True)
    return paths


CHAINS = {"source": _source_chain, "filter": _filter_chain, "spectral": _spectral_chain, "formats": _formats_chain,
          "detector": _detector_chain, "pipeline": _pipeline_chain, "live": _live_chain}


def bench_child(args):
    """One measured run in this (fresh) process; prints one JSON line."""
    import importlib
    importlib.import_module("gnuradio.gr")  # import cost belongs to the baseline

    case = json.loads(args.case)
    if case["bench"] == "pipeline":
        # the baseline is the interpreter with gnuradio (and numpy) imported, before
        # anything is built: the processing part is all that follows
        for module in ("numpy", "gnuradio.blocks", "gnuradio.streamproc"):
            importlib.import_module(module)
        base = _maxrss_mb()
        tb = CHAINS[case["bench"]](args.which, args.file, case)
    else:
        tb = CHAINS[case["bench"]](args.which, args.file, case)
        base = _maxrss_mb()
    t0 = time.perf_counter()
    tb.run()
    dt = time.perf_counter() - t0
    res = {"seconds": dt, "bytes": os.path.getsize(args.file),
           "base_rss_mb": base, "peak_rss_mb": _maxrss_mb()}
    measured = getattr(tb, "measured", None)
    if measured:
        # GNU Radio's performance counters (switched on by run_child, thread CPU clock):
        # the CPU time spent in the block's work(), without the source and the sink
        res["block_cpu_s"] = sum(b.pc_work_time_total() for b in measured) / 1e9
    print(json.dumps(res))
    return 0


# ------------------------------------------------------------------ bench driver
def make_recording(path, nbytes):
    """Float32 noise, written in 64 MiB blocks (never the whole file in memory)."""
    import numpy as np

    if os.path.exists(path) and os.path.getsize(path) == nbytes:
        return
    rng = np.random.default_rng(7)
    write_repeated(path, rng.standard_normal(16 << 20).astype(np.float32).tobytes(), nbytes)


def make_bursty_recording(path, nbytes):
    """Float32 noise with bursts in 20 % of the samples (2000-sample bursts 15 dB up,
    one every 10000 samples): traffic that keeps the detector's per-sample path busy."""
    import numpy as np

    if os.path.exists(path) and os.path.getsize(path) == nbytes:
        return
    rng = np.random.default_rng(8)
    x = rng.standard_normal(16 << 20).astype(np.float32)
    on = (np.arange(len(x)) % 10000) < 2000
    x[on] *= np.float32(math.sqrt(1 + 10 ** 1.5))
    write_repeated(path, x.tobytes(), nbytes)


def make_demo_recording(path, nbytes):
    """The recording `streamproc demo` makes (and a user's own run uses): float32 noise
    with 15 dB tone bursts of 2000-20000 samples, 1000 of them per 200 MB
    (tools/gen.py), with its truth beside it."""
    from .gen import generate

    if os.path.exists(path) and os.path.getsize(path) == nbytes:
        return
    generate(path, nbytes // 4, max(1, round(1000 * nbytes / 200e6)))


def run_child(case, which, path):
    if case["bench"] == "pipeline" and which == "ours":
        return run_pipeline_command(case, path)
    cmd = [sys.executable, "-m", "gnuradio.streamproc.tools.bench", "--case", json.dumps(case), "--which", which,
           "--file", path]
    env = dict(os.environ, GR_CONF_CONTROLPORT_ON="False",
               # work() time per block (ours and stock alike), on the thread CPU clock
               GR_CONF_PERFCOUNTERS_ON="True", GR_CONF_PERFCOUNTERS_CLOCK="thread")
    res = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if res.returncode != 0:
        raise RunError("benchmark run %s/%s failed:\n%s" % (case["name"], which, res.stderr[-2000:]))
    return json.loads(res.stdout.strip().splitlines()[-1])


BENCHES = ("source", "filter", "spectral", "detector", "extract", "live", "pipeline", "formats", "batch", "soak",
           "array", "scale")


def soak(workdir, big, made, runs_out):
    """`streamproc detect` with a 129-tap low-pass on a 200 MB and a `big` recording of
    noise with a burst every 2 M samples (thousands of events): every event found
    (recall and precision against the truth) and the same peak RSS (VmHWM) for both.
    Each detect runs in its own process; returns report rows."""
    from .gen import compare

    rows = []
    reports = {}
    for size in (200 << 20, big):
        samples = size // 4
        events = max(10, samples // 2_000_000)
        path = os.path.join(workdir, "streamproc-soak-%s.f32" % human(size))
        if not (os.path.exists(path) and os.path.exists(path + ".truth")
                and os.path.getsize(path) == samples * 4):
            made += [path, path + ".truth"]
            print("# soak: writing %s (%d samples, %d bursts)" % (path, samples, events), file=sys.stderr)
            subprocess.run([sys.executable, "-m", "gnuradio.streamproc.cli", "gen", path, "--samples",
                            str(samples), "--events", str(events)], check=True, capture_output=True)
        ev = path + ".events.jsonl"
        made.append(ev)
        t0 = time.perf_counter()
        res = subprocess.run([sys.executable, "-m", "gnuradio.streamproc.cli", "detect", path, "--rate", "1M",
                              "--lowpass", "200k", "--events", ev, "--overwrite", "--json"],
                             capture_output=True, text=True)
        if res.returncode != 0:
            raise RunError("soak detect failed: %s" % res.stderr[-2000:])
        rep = json.loads(res.stdout)
        truth = [tuple(map(int, line.split())) for line in open(path + ".truth")]
        with open(ev) as f:
            found = [json.loads(line) for line in f]
        recall, precision, worst, ok = compare(found, truth, 64)
        reports[size] = rep
        rows.append({"size": human(size), "events": len(found), "truth": len(truth), "recall": recall,
                     "precision": precision, "worst_error": worst, "mb_per_s": rep["mb_per_s"],
                     "peak_rss_mb": rep["peak_rss_mb"], "seconds": time.perf_counter() - t0})
        print("# soak %s: %d events of %d, recall %.4f precision %.4f, %.0f MB/s, peak RSS %.1f MB" % (
            human(size), len(found), len(truth), recall, precision, rep["mb_per_s"], rep["peak_rss_mb"]),
            file=sys.stderr)
    runs_out += rows
    return rows


def spectral_cases():
    n = 1024
    stock_stft = {"stft_fc": "s2v+fft_vfc", "stft_cc": "s2v+fft_vcc"}
    cases = []
    for up in UPSTREAMS:
        cases += [{"bench": "spectral", "type": k, "fft_size": n, "hop": n // 2, "navg": 1, "upstream": up,
                   "itemsize": 4 if k == "stft_fc" else 8, "name": "%s 50%% %s" % (k, up),
                   "ours": k, "stock": stock_stft[k]} for k in ("stft_fc", "stft_cc")]
        for navg in (1, 8):
            cases.append({"bench": "spectral", "type": "welch_cf", "fft_size": n, "hop": n // 2, "navg": navg,
                          "upstream": up, "itemsize": 8, "name": "welch_cf navg=%d %s" % (navg, up),
                          "ours": "welch_cf", "stock": "logpwrfft_c" + (" avg" if navg > 1 else "")})
    return cases


def filter_cases(ntaps_list, decims):
    """The matrix: upstream x type x taps x D; ours against fft_filter and (D > 1)
    fir_filter; the upstream's own rate once per upstream and type."""
    cases = []
    for up in UPSTREAMS:
        for kind in ("fff", "ccc", "ccf"):
            itemsize = 4 if kind == "fff" else 8
            cases.append({"bench": "filter", "type": kind, "ntaps": 1, "decim": 1, "itemsize": itemsize,
                          "upstream": up, "name": "upstream %s %s" % (up, kind), "ours": UPSTREAMS[up],
                          "stock": "-", "ours_only": True, "impls": ["upstream"]})
            for ntaps in ntaps_list:
                for decim in decims:
                    stocks = ["fft", "fir"] if decim > 1 else ["fft"]
                    cases.append({"bench": "filter", "type": kind, "ntaps": ntaps, "decim": decim,
                                  "itemsize": itemsize, "upstream": up,
                                  "name": "%s %d taps D=%d %s" % (kind, ntaps, decim, up),
                                  "ours": "ols_fir_" + kind, "stock": "+".join(
                                      "%s_filter_%s" % (st, kind) for st in stocks),
                                  "impls": ["ours"] + stocks})
    return cases


def extract_bench(workdir, size, made, runs):
    """`streamproc extract` (a file per burst) next to `streamproc detect` on the same
    file with bursts in 20 % of the samples (one every 10000), alternated, medians."""
    import shutil
    import tempfile

    path = prepare_file(workdir, size, made, bursty=True)
    rows = {"detect": [], "extract": []}
    bursts = 0
    for _ in range(runs):
        for which in ("detect", "extract"):
            out = tempfile.mkdtemp(prefix="streamproc-bench-bursts.", dir=workdir)
            cmd = [sys.executable, "-m", "gnuradio.streamproc.cli", which, path, "--rate", "1M", "--json"]
            if which == "extract":
                cmd += ["--out", out]
            res = subprocess.run(cmd, capture_output=True, text=True, check=True)
            rep = json.loads(res.stdout)
            rows[which].append(rep)
            bursts = rep.get("bursts", bursts)
            shutil.rmtree(out, ignore_errors=True)

    def med(which, key):
        return statistics.median(r[key] for r in rows[which])

    return {"size": human(size), "bursts": bursts,
            "detect_mb_per_s": med("detect", "mb_per_s"), "extract_mb_per_s": med("extract", "mb_per_s"),
            "detect_rss_mb": med("detect", "peak_rss_mb"), "extract_rss_mb": med("extract", "peak_rss_mb")}


def batch_bench(workdir, size, made, runs):
    """`streamproc detect` with a low-pass (rate 1M, cutoff 50k: 287 taps, CPU-bound) on a
    file with bursts in 20 % of the samples: one flowgraph, then Dask batches on 1 and 2
    local workers (the default ranges: the file over the workers) and on 2 workers in
    ranges of a quarter of the file, alternated; medians of MB/s (the report's and the
    command's own wall time), CPU-seconds per GB (getrusage of the whole process tree:
    every process is waited for), per-worker peak RSS (range process and Dask worker
    process), the halo's share of the samples read, the start-up (cluster, plan, first
    task). Then the same command with --scheduler on a cluster of 1 and of 2 workers that
    stays up for the whole benchmark (as a user's cluster does), after one batch on it
    that is not counted: no cluster start, the workers' range processes already running.
    Every batch must find the one run's events."""
    from ..runners.batch import local_cluster
    path = prepare_file(workdir, size, made, bursty=True)
    quarter = "%dk" % max(1, size // 4 // 1024)
    # warm: a cluster that stays up (as a user's --scheduler), its workers' range
    # processes started by a first batch that is not counted
    warm = {}
    try:  # the clusters closed however the runs end
        for w in (1, 2):
            warm[w] = local_cluster(w)
        setups = {"one flowgraph": [],
                  "batch 1 worker": ["--jobs", "1"],
                  "batch 2 workers": ["--jobs", "2"],
                  "batch 2 workers, 4 ranges": ["--jobs", "2", "--chunk", quarter],
                  "warm cluster, 1 worker": ["--scheduler", warm[1].scheduler_address],
                  "warm cluster, 2 workers": ["--scheduler", warm[2].scheduler_address]}
        rows = {k: [] for k in setups}
        counts = set()

        def run(name):
            cmd = [sys.executable, "-m", "gnuradio.streamproc.cli", "detect", path, "--rate", "1M", "--lowpass",
                   "50k", "--json"] + setups[name]
            before = tree_cpu_seconds()
            t0 = time.perf_counter()
            res = subprocess.run(cmd, capture_output=True, text=True)
            wall = time.perf_counter() - t0
            if res.returncode != 0:
                raise RunError("batch bench: %s failed: %s" % (name, res.stderr.strip().splitlines()[-1:]))
            rep = json.loads(res.stdout)
            rep["command_seconds"] = wall
            rep["cpu_seconds"] = tree_cpu_seconds() - before
            return rep
        for name in setups:
            if name.startswith("warm"):
                run(name)
        for r in range(runs):
            names = list(setups)
            names = names[r % len(names):] + names[:r % len(names)]
            for name in (names[::-1] if r % 2 else names):
                rep = run(name)
                rows[name].append(rep)
                counts.add(rep["events"])
    finally:
        for c in warm.values():
            c.close()
    if len(counts) != 1:
        raise RunError("batch bench: the setups found different event counts %s" % sorted(counts))

    def med(name, f):
        vals = [f(r) for r in rows[name]]
        vals = [v for v in vals if v is not None]
        return statistics.median(vals) if vals else None
    out = {"size": human(size), "bytes": size, "events": counts.pop(), "setups": list(setups)}
    for name in setups:
        out[name] = {
            "mb_per_s": med(name, lambda r: r["mb_per_s"]),
            "command_mb_per_s": med(name, lambda r: size / r["command_seconds"] / 1e6),
            "command_seconds": med(name, lambda r: r["command_seconds"]),
            "cpu_s_per_gb": med(name, lambda r: r["cpu_seconds"] / (size / 1e9)),
            "peak_rss_mb": med(name, lambda r: max(r["peak_rss_mb_per_worker"].values())
                               if "peak_rss_mb_per_worker" in r else r["peak_rss_mb"]),
            "worker_process_rss_mb": med(name, lambda r: max(r["peak_rss_mb_per_worker_process"].values())
                                         if r.get("peak_rss_mb_per_worker_process") else None),
            "halo_percent": med(name, lambda r: r.get("halo_percent", 0.0)),
            "ranges": med(name, lambda r: r.get("tasks", 1)),
            "cluster_s": med(name, lambda r: r.get("startup_seconds", {}).get("cluster")),
            "plan_s": med(name, lambda r: r.get("startup_seconds", {}).get("plan")),
            "first_task_s": med(name, lambda r: r.get("startup_seconds", {}).get("first_task"))}
    out["model"] = batch_model(out)
    return out


def tree_cpu_seconds():
    """CPU-seconds of this process's children: those waited for (getrusage) and those
    still running (a warm cluster's workers and their range processes, from /proc: their
    own time and that of their children waited for)."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = ru.ru_utime + ru.ru_stime
    tick = os.sysconf("SC_CLK_TCK")
    parent, times = {}, {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parent[int(pid)] = int(fields[1])
        times[int(pid)] = sum(int(v) for v in fields[11:15]) / tick  # utime stime cutime cstime
    me = os.getpid()
    for pid in times:
        p, seen = parent.get(pid), 0
        while p not in (None, 0, 1, me) and seen < 64:
            p, seen = parent.get(p), seen + 1
        if p == me:
            total += times[pid]
    return total


def batch_model(r):
    """The cost model of docs/batch.md from the 1-worker row, checked against the
    2-worker rows: T(W) = start + ranges_per_worker * fixed + bytes * c / min(W, cores),
    c the batch's CPU-seconds per byte, start the cluster, plan and first task's start,
    fixed a range's own overhead (its read's halo, the flowgraph's start and end, the
    result's way back) from the 1-worker command: T1 - start - bytes * c / cores...
    with one worker one flowgraph uses every core (GNU Radio runs each block in a thread
    of its own)."""
    one = r["batch 1 worker"]
    cores = os.cpu_count() or 1
    # (the warm rows have no cluster start; the model is the cold one's)
    start = (one["cluster_s"] or 0) + (one["plan_s"] or 0) + (one["first_task_s"] or 0)
    c = one["cpu_s_per_gb"] / 1e9  # CPU-seconds per byte
    work1 = r["bytes"] * c / cores
    fixed = max(0.0, one["command_seconds"] - start - work1) / max(1, one["ranges"])
    out = {"start_s": start, "cpu_s_per_gb": one["cpu_s_per_gb"], "fixed_per_range_s": fixed, "cores": cores,
           "predicted": {}}
    for name in r["setups"]:
        if not name.startswith("batch 2"):
            continue  # the warm rows: measured, not modelled
        x = r[name]
        W = 2
        per_worker = -(-int(x["ranges"]) // W)
        pred = start + per_worker * fixed + r["bytes"] * c / min(W, cores)
        out["predicted"][name] = {"seconds": pred, "measured": x["command_seconds"]}
    return out


def _rtl_tcp_run(capture, pace, seconds, taps, decim, workdir):
    """One paced rtl_tcp session: the fake server (a process of its own) at `pace`
    samples/s, gr-osmosdr's client -> head -> detect_chain -> a probe stamping each
    event message. Returns (latencies in s of the events after the first second, CPU %
    of one core, samples, bytes the server dropped after the first second)."""
    import numpy as np
    import osmosdr
    import pmt
    from gnuradio import blocks, gr

    from ..core.chain import make_chain
    from ..core.live_blocks import Timebase
    from ..core.options import DetectOptions

    server = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fake_rtl_tcp.py")
    if not os.path.exists(server):  # installed without the test tree
        raise RunError("live bench: fake_rtl_tcp.py is not installed next to bench.py")
    stamps_path = os.path.join(workdir, "streamproc-bench-stamps.txt")
    srv = subprocess.Popen([sys.executable, server, capture, "--pace", str(pace), "--stamps", stamps_path],
                           stdout=subprocess.PIPE, text=True)
    port = int(srv.stdout.readline().split()[1])
    arrivals = []

    class probe(gr.basic_block):
        def __init__(self):
            gr.basic_block.__init__(self, "probe", None, None)
            self.message_port_register_in(pmt.intern("in"))
            self.set_msg_handler(pmt.intern("in"), self.handle)

        def handle(self, msg):
            now = time.time()
            arrivals.append((pmt.to_python(pmt.dict_ref(msg, pmt.intern("end"), pmt.PMT_NIL)), now))

    try:
        tb = gr.top_block()
        src = osmosdr.source("rtl_tcp=127.0.0.1:%d" % port)
        src.set_sample_rate(2.4e6)
        src.set_center_freq(433.92e6)
        head = blocks.head(8, 1 << 62)  # as in `streamproc detect --rtl-tcp`
        clock = Timebase(head, pace)
        chain = make_chain(True, 1.0 / 128, DetectOptions(rate=pace, taps=taps, decimation=decim))
        p = probe()
        tb.connect(src, head, chain)
        tb.msg_connect(chain, "events", p, "in")
        r0 = resource.getrusage(resource.RUSAGE_SELF)
        t0 = time.monotonic()
        tb.start()
        time.sleep(seconds)  # the run's length is what is measured
        r1 = resource.getrusage(resource.RUSAGE_SELF)
        t1 = time.monotonic()
        tb.stop()
        tb.wait()
    finally:
        srv.terminate()
        srv.wait(10)
    cpu = 100.0 * ((r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)) / (t1 - t0)
    st = np.loadtxt(stamps_path, ndmin=2)
    os.unlink(stamps_path)
    start_t = st[0, 1]
    late = st[:, 1] > start_t + 1.0
    dropped = float(st[-1, 2] - st[late][0, 2]) if late.any() else 0.0
    lat = []
    for end, t in arrivals:
        k = np.searchsorted(st[:, 0], 2 * end)  # the chunk holding the event's last sample
        if k < len(st) and st[k, 1] > start_t + 1.0 and st[k, 2] == 0:
            lat.append(t - st[k, 1])
    return lat, cpu, clock.items, dropped


def live_sdr_bench(workdir, runs):
    """rtl_tcp live figures: latency (a burst's last sample leaving the fake server ->
    its event message) at 2.4 MS/s, CPU % of one core at 2.4 and 10 MS/s, and the
    highest paced rate at which the server drops nothing, with a 129-tap low-pass
    decimating by 8 in the chain."""
    import numpy as np
    here = os.path.dirname(os.path.abspath(__file__))
    # the source tree: given, or this file's in it, or the build tree's (build/test_modules/...)
    roots = [os.environ.get("STREAMPROC_SOURCE_DIR", ""), os.path.join(here, "..", ".."),
             os.path.join(here, "..", "..", "..", ".."), os.getcwd()]
    name = os.path.join("shared", "data", "real-captures", "rtl433_sensible_living_g001_433.92M_250k.cu8")
    found = [os.path.join(r, "..", name) for r in roots if r and os.path.exists(os.path.join(r, "..", name))]
    if not found:
        raise RunError("live bench: ../%s is missing next to the source tree (set STREAMPROC_SOURCE_DIR)" % name)
    capture = found[0]
    k = np.arange(129) - 64
    taps = (0.1 * np.sinc(0.1 * k) * np.hamming(129))
    taps = (taps / taps.sum()).tolist()
    out = {"latency": [], "cpu": {}, "rates": []}
    for _ in range(runs):
        lat, cpu, n, dropped = _rtl_tcp_run(capture, 2.4e6, 4.0, taps, 8, workdir)
        out["latency"] += lat
        out["cpu"].setdefault(2.4e6, []).append(cpu)
        lat10, cpu10, _, _ = _rtl_tcp_run(capture, 10e6, 3.0, taps, 8, workdir)
        out["cpu"].setdefault(10e6, []).append(cpu10)
    best = 0.0
    for rate in (24e6, 36e6, 48e6, 64e6, 96e6):
        lat, cpu, n, dropped = _rtl_tcp_run(capture, rate, 3.0, taps, 8, workdir)
        out["rates"].append((rate, dropped, cpu, n / 3.0))
        if dropped > 0:
            break
        best = rate
    out["best_rate"] = best
    return out


def prepare_file(workdir, size, made, bursty=False, demo=False):
    """The benchmark's float32 file of `size` bytes (noise; bursty: bursts in 20 %;
    demo: the demo's recording with its truth), made once, read into the page cache."""
    kind = "demo_" if demo else "bursty_" if bursty else ""
    path = os.path.join(workdir, "streamproc-bench-%s%s.f32" % (kind.replace("_", "-"), human(size)))
    if not os.path.exists(path):
        made.append(path)
        if demo:
            made.append(path + ".truth")
    print("# preparing %s (%s)" % (path, human(size)), file=sys.stderr)
    # In a child: the peak RSS of a process is inherited by the processes it starts
    # (Linux keeps ru_maxrss across exec), so this one stays small.
    subprocess.run([sys.executable, "-c",
                    "from gnuradio.streamproc.tools.bench import make_%srecording; "
                    "from gnuradio.streamproc.tools.benchfiles import warm; "
                    "make_%srecording(%r, %d); warm(%r)" % (kind, kind, path, size, path)],
                   check=True)
    return path


def bench(args):
    sizes = [parse_size(s, "--size") for s in args.size.split(",")]
    only = [b.strip() for b in args.only.split(",")] if args.only else list(BENCHES)
    only_default = not args.only
    if only_default:
        only = [b for b in only if b not in ("soak", "array", "scale")]  # 20+ GB of files: only when asked for
    for b in only:
        if b not in BENCHES:
            raise UsageError("unknown benchmark %r (choose from %s)" % (b, ", ".join(BENCHES)))
    if args.runs < 1:
        raise UsageError("--runs must be at least 1")
    try:
        ntaps_list = [int(t) for t in args.taps.split(",")]
        decims = [int(d) for d in args.decim.split(",")]
    except ValueError:
        raise UsageError("--taps and --decim take comma-separated whole numbers")
    if min(ntaps_list) < 1 or min(decims) < 1:
        raise UsageError("tap counts and decimations must be at least 1")
    workdir = args.dir or os.environ.get("STREAMPROC_BENCH_DIR") or "/var/tmp"
    if not os.path.isdir(workdir):
        raise UsageError("benchmark directory %s does not exist" % workdir)
    rows = []
    made = []
    try:
        if "pipeline" in only:
            taps_files = {}
            for label, h in (("3 taps", [0.25, 0.5, 0.25]), ("129 taps", None)):
                taps_file = os.path.join(workdir, "streamproc-bench-taps%s.txt" % label.split()[0])
                made.append(taps_file)
                if h is None:
                    import numpy as np
                    k = np.arange(129) - 64
                    h = 0.4 * np.sinc(0.4 * k) * np.hamming(129)  # low-pass at 0.2 x the rate
                    h = (h / h.sum()).tolist()
                with open(taps_file, "w") as f:
                    f.write(",".join(repr(float(t)) for t in h))
                taps_files[label] = taps_file
            for size in sizes:
                # the file a user runs it on: the demo's recording (1000 bursts per 200 MB)
                path = prepare_file(workdir, size, made, demo=True)
                for label, taps_file in taps_files.items():
                    case = {"bench": "pipeline", "itemsize": 4, "name": "detect pipeline " + label,
                            "taps_file": taps_file, "taps_label": label, "impls": ["ours", "stock", "stock32"],
                            "ours": "streamproc detect", "stock": "numpy stream"}
                    rows.append(bench_pair(case, path, args.runs))
        if "source" in only:
            for size in sizes:
                path = prepare_file(workdir, size, made)
                case = {"bench": "source", "itemsize": 4, "name": "source",
                        "ours": "mmap_file_source", "stock": "blocks.file_source"}
                rows.append(bench_pair(case, path, args.runs))
        if "filter" in only or "spectral" in only or "detector" in only or "live" in only:
            path = prepare_file(workdir, parse_size(args.filter_size, "--filter-size"), made)
            cases = []
            if "filter" in only:
                # with each upstream's own rate (upstream -> null_sink): no chain with a
                # filter behind it can be faster
                cases += filter_cases(ntaps_list, decims)
            cases += spectral_cases() if "spectral" in only else []
            if "detector" in only:
                for up in UPSTREAMS:
                    cases.append({"bench": "detector", "itemsize": 4, "name": "event_detector_f %s" % up,
                                  "upstream": up, "ours": "event_detector_f", "stock": "mul+movavg+thresh"})
                # real-like traffic: bursts in 20 % of the samples (the per-sample path)
                bursty = prepare_file(workdir, parse_size(args.filter_size, "--filter-size"), made, bursty=True)
                cases.append({"bench": "detector", "itemsize": 4, "name": "event_detector_f mmap bursts 20%",
                              "upstream": "mmap", "ours": "event_detector_f", "stock": "mul+movavg+thresh",
                              "file": bursty, "traffic": "bursts in 20 %"})
            if "live" in only:
                # in a child: the client's peak RSS would be inherited by the chains' children
                res = subprocess.run([sys.executable, "-c", "import json, sys; from gnuradio.streamproc.tools.bench "
                                      "import live_sdr_bench; r = live_sdr_bench(%r, %d); "
                                      "r['cpu'] = list(r['cpu'].items()); sys.stdout.write('\\n' + json.dumps(r))"
                                      % (workdir, args.runs)],
                                     capture_output=True, text=True)
                if res.returncode != 0:
                    raise RunError("live bench failed: %s" % (res.stderr.strip().splitlines() or ["?"])[-1])
                r = json.loads(res.stdout.strip().splitlines()[-1])
                r["cpu"] = dict(r["cpu"])
                lat = sorted(r["latency"])
                if lat:
                    med, p99 = 1e3 * lat[len(lat) // 2], 1e3 * lat[int(0.99 * (len(lat) - 1))]
                    print("live rtl_tcp (fake server, gr-osmosdr client, 129-tap low-pass / 8, window 64): "
                          "latency at 2.4 MS/s median %.1f ms, 99th percentile %.1f ms (%d events; target: "
                          "window %.2f ms + 50 ms)" % (med, p99, len(lat), 1e3 * 64 * 8 / 2.4e6))
                for rate, cpus in sorted(r["cpu"].items()):
                    print("  CPU at %.1f MS/s: %.0f %% of one core (median of %d)"
                          % (rate / 1e6, statistics.median(cpus), len(cpus)))
                for rate, dropped, cpu, got in r["rates"]:
                    print("  paced %.0f MS/s: received %.1f MS/s, server dropped %d bytes after 1 s, CPU %.0f %%"
                          % (rate / 1e6, got / 1e6, dropped, cpu))
                print("  highest paced rate without drops: %.0f MS/s (%.0fx an RTL-SDR's 2.4 MS/s; target 20x)"
                      % (r["best_rate"] / 1e6, r["best_rate"] / 2.4e6))
                for up in UPSTREAMS:
                    cases.append({"bench": "live", "itemsize": 8, "name": "live chain %s" % up, "upstream": up,
                                  "ours": "ols_fir_ccf+det_c", "stock": "fir_filter+mag2+thresh"})
            for case in cases:
                rows.append(bench_pair(case, case.get("file", path), args.runs))
        if "extract" in only:
            r = extract_bench(workdir, parse_size(args.filter_size, "--filter-size"), made, args.runs)
            print("extract (a file per burst, %d bursts, bursts in 20 %% of the samples, %s): extract %.0f MB/s, "
                  "detect %.0f MB/s (%.2fx), peak RSS %.1f / %.1f MB" % (
                      r["bursts"], r["size"], r["extract_mb_per_s"], r["detect_mb_per_s"],
                      r["extract_mb_per_s"] / r["detect_mb_per_s"], r["extract_rss_mb"], r["detect_rss_mb"]))
        if "batch" in only:
            r = batch_bench(workdir, parse_size(args.filter_size, "--filter-size"), made, args.runs)
            one = r["one flowgraph"]
            print("batch (streamproc detect --lowpass 50k, %s, %d events; medians of %d runs; MB/s of the report "
                  "/ of the command's wall time; CPU-s per GB of the whole process tree):"
                  % (r["size"], r["events"], args.runs))
            for name in r["setups"]:
                x = r[name]
                line = ("  %-26s %5.0f / %5.0f MB/s  %.2fx / %.2fx one flowgraph  %5.2f CPU-s/GB (%.2fx)  "
                        "peak RSS %.1f MB" % (name, x["mb_per_s"], x["command_mb_per_s"],
                                              x["mb_per_s"] / one["mb_per_s"],
                                              x["command_mb_per_s"] / one["command_mb_per_s"], x["cpu_s_per_gb"],
                                              x["cpu_s_per_gb"] / one["cpu_s_per_gb"], x["peak_rss_mb"]))
                if name != "one flowgraph":
                    line += (" (worker process %.0f MB)  %d ranges  halo %.2f %%  start: cluster %.2f s, plan "
                             "%.2f s, first task %.2f s" % (x["worker_process_rss_mb"] or 0, x["ranges"],
                                                            x["halo_percent"], x["cluster_s"] or 0,
                                                            x["plan_s"] or 0, x["first_task_s"] or 0))
                print(line)
            m = r["model"]
            print("  cost model (docs/batch.md; constants from the 1-worker row): start %.2f s, %.2f CPU-s/GB on "
                  "%d cores, %.2f s per range" % (m["start_s"], m["cpu_s_per_gb"], m["cores"],
                                                  m["fixed_per_range_s"]))
            for name, p in m["predicted"].items():
                print("    %-26s predicted %.2f s, measured %.2f s (%+.0f %%)" % (
                    name, p["seconds"], p["measured"], 100.0 * (p["measured"] / p["seconds"] - 1)))
        if "soak" in only:
            soak_rows = []
            soak(workdir, parse_size(args.soak_size, "--soak-size"), made, soak_rows)
            print("soak (streamproc detect, 129-tap low-pass, a burst every 2 M samples):")
            for r in soak_rows:
                print("  %5s: %d of %d events, recall %.4f, precision %.4f, worst start/end error %d, "
                      "%.0f MB/s, peak RSS %.1f MB" % (r["size"], r["events"], r["truth"], r["recall"],
                                                       r["precision"], r["worst_error"], r["mb_per_s"],
                                                       r["peak_rss_mb"]))
            if len(soak_rows) == 2:
                print("  peak RSS difference: %.1f MB" % (soak_rows[1]["peak_rss_mb"] - soak_rows[0]["peak_rss_mb"]))
        if "scale" in only:
            from .bench_scale import print_rows, scale_bench
            print_rows(scale_bench(workdir, [parse_size(s, "--sizes") for s in args.sizes.split(",")], made,
                                   args.runs, human))
        if "array" in only:
            from .bench_array import array_bench
            array_bench(workdir, args.runs, ooc_log2=args.array_ooc_log2, ooc_memory=args.array_ooc_max_memory)
        if "formats" in only:
            paths = make_format_files(workdir, parse_size(args.filter_size, "--filter-size") // 8, made)
            for stage in ("source", "detect"):
                for kind, itemsize in FORMATS:
                    ours = "mmap_file_source" if stage == "source" else "streamproc detect"
                    case = {"bench": "formats", "stage": stage, "kind": kind, "itemsize": itemsize,
                            "name": "%s %s" % (stage, kind), "ours": ours,
                            "stock": ("file_source+convert" if stage == "source" else "-"),
                            "ours_only": stage == "detect"}
                    rows.append(bench_pair(case, paths[kind], args.runs))
    finally:
        if not args.keep:
            for p in made:
                os.unlink(p)
    report(rows, args.json)
    return 0


def bench_pair(case, path, runs):
    """Runs each implementation of the case `runs` times, rotating their order from run
    to run; the row compares ours with the best (fastest median) stock one."""
    impls = case.get("impls") or (["ours"] if case.get("ours_only") else ["ours", "stock"])
    results = {w: [] for w in impls}
    nbytes = os.path.getsize(path)
    for r in range(runs):
        k = r % len(impls)
        order = impls[k:] + impls[:k]
        if r % 2:
            order = order[::-1]
        for which in order:
            res = run_child(case, which, path)
            results[which].append(res)
            print("#   %s %s run %d/%d: %s %.0f MB/s" % (
                case["name"], human(nbytes), r + 1, runs, which, res["bytes"] / res["seconds"] / 1e6),
                file=sys.stderr)

    def summary(rs):
        mbps = [x["bytes"] / x["seconds"] / 1e6 for x in rs]
        out = {"mb_per_s": statistics.median(mbps), "all_mb_per_s": mbps,
               "msamples_per_s": statistics.median(mbps) / case["itemsize"],
               "peak_rss_mb": max(x["peak_rss_mb"] for x in rs),
               "rss_over_base_mb": max(x["peak_rss_mb"] - x["base_rss_mb"] for x in rs)}
        if all("block_cpu_s" in x for x in rs):
            nsamples = nbytes / case["itemsize"]
            out["block_ns_per_sample"] = statistics.median(x["block_cpu_s"] for x in rs) / nsamples * 1e9
        return out

    first = impls[0]
    ours = summary(results[first])
    row = {"bench": case["bench"], "case": case, "ours": case["ours"], "stock": case["stock"],
           "size": human(nbytes), "bytes": nbytes, "runs": runs, "ours_stats": ours,
           "stock_stats": None, "ratio": None, "median_pair_ratio": None}
    stocks = {w: summary(results[w]) for w in impls[1:]}
    if not stocks:
        return row
    best = max(stocks, key=lambda w: stocks[w]["mb_per_s"])
    row.update(stocks_stats=stocks, best_stock=best, stock_stats=stocks[best],
               ratio=ours["mb_per_s"] / stocks[best]["mb_per_s"],
               median_pair_ratio=statistics.median(
                   s["seconds"] / o["seconds"] for o, s in zip(results[first], results[best])))
    if "block_ns_per_sample" in ours and "block_ns_per_sample" in stocks[best]:
        row["block_ratio"] = stocks[best]["block_ns_per_sample"] / ours["block_ns_per_sample"]
    return row


def report(rows, as_json):
    if as_json:
        print(json.dumps(rows, indent=1))
        return
    if not rows:
        return
    head = ("%-17s %-19s %-13s %5s %10s %10s %9s %6s %9s %9s %9s" %
            ("ours", "stock", "case", "file", "ours MB/s", "stock MB/s", "ours MS/s", "ratio",
             "ours RSS", "stock RSS", "ours +RSS"))
    print(head)
    print("-" * len(head))
    for r in rows:
        o, s, c = r["ours_stats"], r["stock_stats"], r["case"]
        up = {"mmap": "mmap", "file_source": "file", "vector_source": "vec"}.get(c.get("upstream"), "")
        label = {"source": lambda: "-",
                 "filter": lambda: "%d taps D=%d %s" % (c["ntaps"], c["decim"], up),
                 "spectral": lambda: "N=%d hop=%d" % (c["fft_size"], c["hop"]) +
                 (" avg %d" % c["navg"] if c["navg"] > 1 else "") + " " + up,
                 "detector": lambda: ("w64 bursts 20%" if c.get("traffic") else "window 64 ") + (
                     "" if c.get("traffic") else up),
                 "live": lambda: "D=8 129 taps " + up,
                 "pipeline": lambda: c["taps_label"],
                 "formats": lambda: c["kind"]}[c["bench"]]()
        if s is None:
            print("%-17s %-19s %-13s %5s %10.0f %10s %9.1f %6s %7.1fMB %9s %7.1fMB" % (
                r["ours"], r["stock"], label, r["size"], o["mb_per_s"], "-", o["msamples_per_s"], "-",
                o["peak_rss_mb"], "-", o["rss_over_base_mb"]))
            continue
        print("%-17s %-19s %-13s %5s %10.0f %10.0f %9.1f %5.2fx %7.1fMB %7.1fMB %7.1fMB" % (
            r["ours"], r["stock"], label, r["size"], o["mb_per_s"], s["mb_per_s"],
            o["msamples_per_s"], r["ratio"], o["peak_rss_mb"], s["peak_rss_mb"], o["rss_over_base_mb"]))
    filter_matrix(rows)
    for r in rows:
        if r["bench"] == "spectral":
            c = r["case"]
            ours_fps = r["ours_stats"]["msamples_per_s"] * 1e6 / c["hop"]
            stock_fps = r["stock_stats"]["msamples_per_s"] * 1e6 / c["fft_size"]
            print("%s: ours %.0f frames/s (hop %d), %s %.0f frames/s (no overlap): %.2fx the frames" % (
                c["name"], ours_fps, c["hop"], r["stock"], stock_fps, ours_fps / stock_fps))
    for r in rows:
        if r.get("block_ratio"):
            c = r["case"]
            print("%s %d taps D=%d: CPU in work() %.2f ns/sample ours, %.2f stock: %.2fx" % (
                c["type"], c["ntaps"], c["decim"], r["ours_stats"]["block_ns_per_sample"],
                r["stock_stats"]["block_ns_per_sample"], r["block_ratio"]))
    for r in rows:
        if r["bench"] == "pipeline" and r["ratio"]:
            st = r["stocks_stats"]
            print("pipeline %s, %s: `%s` (the report's mb_per_s) %.0f MB/s; numpy stream processor %.0f MB/s "
                  "(float64 kernel), %.0f MB/s (float32 kernel): %.2fx the faster" % (
                      r["case"]["taps_label"], r["size"], " ".join(pipeline_command("FILE", r["case"])[3:]),
                      r["ours_stats"]["mb_per_s"], st["stock"]["mb_per_s"], st["stock32"]["mb_per_s"], r["ratio"]))
    fmt = {(r["case"]["stage"], r["case"]["kind"]): r for r in rows if r["bench"] == "formats"}
    base = fmt.get(("detect", "cf32_le"))
    for (stage, kind), r in sorted(fmt.items()):
        o = r["ours_stats"]["msamples_per_s"]
        if stage == "detect" and base:
            print("formats: detect %s %.1f MS/s = %.0f %% of cf32's %.1f MS/s" % (
                kind, o, 100 * o / base["ours_stats"]["msamples_per_s"], base["ours_stats"]["msamples_per_s"]))
        elif stage == "source":
            print("formats: source %s %.1f MS/s, stock chain %.1f MS/s: %.2fx" % (
                kind, o, r["stock_stats"]["msamples_per_s"], r["ratio"]))
    for bench_name in ("source",):
        same = [r for r in rows if r["bench"] == bench_name and r["case"]["name"] != "source ceiling"]
        if len(same) > 1:
            peaks = [r["ours_stats"]["peak_rss_mb"] for r in same]
            print("%s: ours peak RSS spread across sizes %s: %.1f MB" % (
                bench_name, ",".join(r["size"] for r in same), max(peaks) - min(peaks)))
    print("(medians of %d alternated runs per chain, each in a fresh process, file in page cache; "
          "MB/s and MS/s of input; RSS = ru_maxrss, which counts mapped file pages; +RSS = peak "
          "minus the interpreter with gnuradio imported)" % rows[0]["runs"])


def filter_matrix(rows):
    """One matrix per filter type: Msamples/s of input behind each upstream, ours,
    fft_filter, fir_filter (D > 1), the ratio to the best stock filter, and the
    upstream's own rate (a cell whose filters all run near it is upstream-bound)."""
    cells = [r for r in rows if r["bench"] == "filter"]
    if not cells:
        return
    own = {(r["case"]["upstream"], r["case"]["type"]): r["ours_stats"]["msamples_per_s"]
           for r in cells if r["case"]["impls"] == ["upstream"]}
    for kind in ("fff", "ccc", "ccf"):
        mine = [r for r in cells if r["case"]["type"] == kind and r["case"]["impls"] != ["upstream"]]
        if not mine:
            continue
        print("\nols_fir_%s matrix (Msamples/s of input; medians of %d):" % (kind, mine[0]["runs"]))
        print("%-14s %6s %3s %8s %8s %8s %7s %9s" % (
            "upstream", "taps", "D", "ours", "fft", "fir", "ratio", "upstream"))
        for r in mine:
            c, st = r["case"], r.get("stocks_stats", {})

            def ms(w):
                return "%8.1f" % st[w]["msamples_per_s"] if w in st else "%8s" % "-"
            up_rate = own.get((c["upstream"], kind))
            note = ""
            if up_rate and max([r["ours_stats"]["msamples_per_s"]] +
                               [v["msamples_per_s"] for v in st.values()]) > 0.8 * up_rate:
                note = " upstream-bound"
            print("%-14s %6d %3d %8.1f %s %s %6.2fx %9s%s" % (
                c["upstream"], c["ntaps"], c["decim"], r["ours_stats"]["msamples_per_s"], ms("fft"), ms("fir"),
                r["ratio"], "%.1f" % up_rate if up_rate else "-", note))


def child_main(argv=None):
    """One measured run: `python3 -m gnuradio.streamproc.tools.bench --case JSON --which
    ours|stock --file PATH` (started by bench itself)."""
    p = argparse.ArgumentParser(prog="python3 -m gnuradio.streamproc.tools.bench")
    p.add_argument("--case", required=True)
    p.add_argument("--which", required=True, choices=["ours", "stock", "stock32", "fft", "fir", "upstream"])
    p.add_argument("--file", required=True)
    return bench_child(p.parse_args(argv))


if __name__ == "__main__":
    sys.exit(child_main())
