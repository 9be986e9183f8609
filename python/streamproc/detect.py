#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""`streamproc gen`, `streamproc detect` and `streamproc demo`: a recording in, events,
a report and a check against the truth out."""

import json
import os

import numpy as np
import resource
import sys
import tempfile
import threading
import time

TYPES = {
    # name: (bytes per item read from the file, complex after conversion)
    "f32": (4, False),
    "cf32": (8, True),
    "ci16": (4, True),
    "ci8": (2, True),
    "cu8": (2, True),
}


class UsageError(Exception):
    """Bad arguments or unreadable input: one line on stderr, exit code 2."""


# ------------------------------------------------------------------ gen
def generate(out, samples, events, snr_db=15.0, kind="f32", seed=1, min_len=2000, max_len=20000):
    """Noise of power 1 plus `events` tone bursts `snr_db` above it, written in blocks
    (bounded memory); the truth goes to OUT.truth, one "start length" per line.
    Returns the list of (start, length)."""
    import numpy as np

    if kind not in ("f32", "cf32"):
        raise UsageError("gen writes f32 or cf32, not %s" % kind)
    if samples < 1 or events < 0:
        raise UsageError("--samples must be positive and --events not negative")
    slot = samples // max(1, events)
    if events and slot < max_len + 2000:
        max_len = max(100, slot - 2000)
        min_len = min(min_len, max_len // 2)
    rng = np.random.default_rng(seed)
    truth = []
    for k in range(events):
        length = int(rng.integers(min_len, max_len + 1))
        start = k * slot + 1000 + int(rng.integers(0, max(1, slot - length - 2000)))
        truth.append((start, length))
    amp = 10 ** (snr_db / 20.0)
    block = 1 << 22
    with open(out, "wb") as f:
        for c0 in range(0, samples, block):
            c1 = min(samples, c0 + block)
            n = c1 - c0
            if kind == "cf32":
                x = (rng.standard_normal(n) + 1j * rng.standard_normal(n)) * np.sqrt(0.5)
            else:
                x = rng.standard_normal(n)
            for s, length in truth:
                a, b = max(s, c0), min(s + length, c1)
                if a < b:
                    t = np.arange(a - s, b - s)
                    if kind == "cf32":
                        x[a - c0:b - c0] += amp * np.exp(2j * np.pi * 0.02 * t)
                    else:
                        x[a - c0:b - c0] += amp * np.sqrt(2) * np.cos(2 * np.pi * 0.02 * t)
            f.write(x.astype(np.complex64 if kind == "cf32" else np.float32).tobytes())
    with open(out + ".truth", "w") as f:
        for s, length in truth:
            f.write("%d %d\n" % (s, length))
    return truth


def gen_command(args):
    truth = generate(args.out, args.samples, args.events, args.snr_db, args.type)
    print("wrote %s (%d samples, %s) and %s.truth (%d events)" % (
        args.out, args.samples, args.type, args.out, len(truth)))
    return 0


# ------------------------------------------------------------------ detect
def read_taps(path):
    try:
        text = open(path).read()
    except OSError as e:
        raise UsageError("cannot read taps file %s: %s" % (path, e.strerror))
    try:
        taps = [float(t) for t in text.replace(",", " ").split()]
    except ValueError:
        raise UsageError("taps file %s must hold numbers separated by spaces, commas or lines" % path)
    if not taps:
        raise UsageError("taps file %s holds no taps" % path)
    return taps


def source_chain(tb, kind, path, offset=0, length=0):
    """mmap_file_source and the conversion of integer types to complex; returns the
    source and the block whose output 0 carries float (f32) or complex samples."""
    from gnuradio import blocks, streamproc

    src = streamproc.mmap_file_source(TYPES[kind][0], path, offset=offset, length=length)
    if kind == "ci16":
        conv = blocks.interleaved_short_to_complex(True, False, 1.0 / 32768)
        tb.connect(src, conv)
    elif kind == "ci8":
        conv = blocks.interleaved_char_to_complex(True, 1.0 / 128)
        tb.connect(src, conv)
    elif kind == "cu8":
        # RTL-SDR style: unsigned I/Q bytes around 127.5
        v2s = blocks.vector_to_stream(1, 2)
        u2f = blocks.uchar_to_float()
        add = blocks.add_const_ff(-127.5)
        mul = blocks.multiply_const_ff(1.0 / 128)
        deint = blocks.deinterleave(4)
        conv = blocks.float_to_complex()
        tb.connect(src, v2s, u2f, add, mul, deint)
        tb.connect((deint, 0), (conv, 0))
        tb.connect((deint, 1), (conv, 1))
    else:
        conv = src
    return src, conv


def build_flowgraph(args):
    """mmap_file_source -> conversion -> [ols_fir] -> event_detector [-> event_file_sink]."""
    from gnuradio import blocks, gr, streamproc
    from gnuradio.filter import firdes

    itemsize, is_complex = TYPES[args.type]
    tb = gr.top_block("streamproc_detect")
    src, conv = source_chain(tb, args.type, args.file)
    taps = None
    if args.taps:
        taps = read_taps(args.taps)
    elif args.lowpass:
        if not 0 < args.lowpass < args.rate / 2:
            raise UsageError("--lowpass %g must be between 0 and half the rate (%g)" % (args.lowpass, args.rate / 2))
        taps = list(firdes.low_pass(1.0, args.rate, args.lowpass, args.lowpass / 4))
    elif args.decimation != 1:
        raise UsageError("--decimation needs --lowpass or --taps (an anti-alias filter)")
    fir = None
    if taps is not None:
        fir = (streamproc.ols_fir_ccf if is_complex else streamproc.ols_fir_fff)(args.decimation, taps)
    make_det = streamproc.event_detector_c if is_complex else streamproc.event_detector_f
    det = make_det(window=args.window, threshold_db=args.threshold_db, min_duration=args.min_duration,
                   merge_gap=args.merge_gap, sample_rate=args.rate / args.decimation)
    prev = conv
    if fir is not None:
        tb.connect(prev, fir)
        prev = fir
        if args.decimation == 1:
            # A full-rate FIR bounds this chain: the source's 8 MiB buffer (for decimating
            # filters and the detector alone) gains nothing here and costs 7 MB of RSS.
            src.set_min_output_buffer(max(1, (1 << 20) // itemsize))
    tb.connect(prev, det)
    sink = None
    if args.events:
        ext = os.path.splitext(args.events)[1].lower()
        sink = streamproc.event_file_sink(args.events, "csv" if ext == ".csv" else "jsonl", True)
        tb.msg_connect(det, "events", sink, "events")
    else:
        sink = blocks.message_debug()
        tb.msg_connect(det, "events", sink, "store")
    return tb, src, det, sink


class _stdout_to_stderr:
    """GNU Radio's logger writes to stdout: send it to stderr while the flowgraph runs,
    so that stdout carries only the report (--json stays machine-readable)."""

    def __enter__(self):
        sys.stdout.flush()
        self.saved = os.dup(1)
        os.dup2(2, 1)

    def __exit__(self, *exc):
        sys.stdout.flush()
        os.dup2(self.saved, 1)
        os.close(self.saved)


def run_detect(args, progress=True):
    with _stdout_to_stderr():
        return _run_detect(args, progress)


def _run_detect(args, progress):
    if args.type not in TYPES:
        raise UsageError("unknown --type %s (choose from %s)" % (args.type, ", ".join(TYPES)))
    if args.rate <= 0:
        raise UsageError("--rate must be positive")
    if args.decimation < 1:
        raise UsageError("--decimation must be at least 1")
    if not os.path.exists(args.file):
        raise UsageError("cannot read %s: no such file" % args.file)
    try:
        tb, src, det, sink = build_flowgraph(args)
    except (RuntimeError, ValueError) as e:
        raise UsageError(str(e).strip().splitlines()[-1])
    size = os.path.getsize(args.file)
    bar = None
    if progress and sys.stderr.isatty():
        try:
            from tqdm import tqdm
            bar = tqdm(total=size, unit="B", unit_scale=True, desc="detect", file=sys.stderr)
        except ImportError:
            bar = None
    t0 = time.perf_counter()
    tb.start()
    done = threading.Event()
    waiter = threading.Thread(target=lambda: (tb.wait(), done.set()), daemon=True)
    waiter.start()
    itemsize = TYPES[args.type][0]
    last = 0
    while not done.wait(0.2):
        if bar is not None:
            pos = src.position() * itemsize
            bar.update(max(0, pos - last))
            last = pos
    dt = time.perf_counter() - t0
    if bar is not None:
        bar.update(size - last)
        bar.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return {
        "file": args.file, "type": args.type, "bytes": size,
        "samples": src.size(), "work_calls": det.work_calls(), "events": det.events_found(),
        "events_dropped": det.events_dropped(), "events_too_short": det.events_too_short(),
        "nonfinite_samples": det.nonfinite_samples(), "noise_floor": det.noise_floor(),
        "seconds": dt, "mb_per_s": size / dt / 1e6,
        "peak_rss_mb": peak, "memory_efficiency": size / (peak * 1024 * 1024),
        "events_file": args.events,
    }


def print_report(rep, as_json):
    if as_json:
        print(json.dumps(rep, indent=1))
        return
    print("%s: %d samples (%s, %.1f MB) in %d work calls, %d events%s in %.2f s, %.0f MB/s, "
          "peak RSS %.1f MB, memory efficiency %.1f (file size / peak RSS)" % (
              rep["file"], rep["samples"], rep["type"], rep["bytes"] / 1e6, rep["work_calls"], rep["events"],
              " -> " + rep["events_file"] if rep["events_file"] else "", rep["seconds"], rep["mb_per_s"],
              rep["peak_rss_mb"], rep["memory_efficiency"]))


def detect_command(args):
    rep = run_detect(args)
    print_report(rep, args.json)
    return 0


# ------------------------------------------------------------------ demo
def compare(events, truth, tolerance):
    """Recall, precision and the worst start/end error of events against the truth."""
    hits, errors, used = 0, [], set()
    for s, length in truth:
        match = [i for i, e in enumerate(events) if e["start"] < s + length and e["end"] > s and i not in used]
        if match:
            e = events[match[0]]
            used.add(match[0])
            hits += 1
            errors.append(max(abs(e["start"] - s), abs(e["end"] - (s + length))))
    recall = hits / len(truth) if truth else 1.0
    precision = len(used) / len(events) if events else 1.0
    worst = max(errors) if errors else 0
    return recall, precision, worst, (recall == 1.0 and precision == 1.0 and worst <= tolerance)


def demo_command(args):
    work = tempfile.mkdtemp(prefix="streamproc-demo.", dir=args.dir)
    try:
        rec = os.path.join(work, "recording.f32")
        t0 = time.perf_counter()
        truth = generate(rec, args.samples, args.events, args.snr_db, "f32")
        print("demo: generated %s: %d float samples, %d bursts %.0f dB over the noise (%.1f s)" % (
            rec, args.samples, len(truth), args.snr_db, time.perf_counter() - t0))
        dargs = _DetectArgs(rec, os.path.join(work, "events.jsonl"))
        rep = run_detect(dargs)
        print_report(rep, False)
        events = [json.loads(line) for line in open(dargs.events)]
        recall, precision, worst, ok = compare(events, truth, 2 * dargs.window)
        print("demo: recall %.4f, precision %.4f, worst start/end error %d samples (limit %d): %s" % (
            recall, precision, worst, 2 * dargs.window, "OK" if ok else "MISMATCH"))
        return 0 if ok else 1
    finally:
        if not args.keep:
            import shutil
            shutil.rmtree(work, ignore_errors=True)


class _DetectArgs:
    """The demo's `detect` settings: float32 at 1 MHz, a low-pass FIR at 200 kHz."""

    def __init__(self, path, events):
        self.file, self.events = path, events
        self.type, self.rate, self.lowpass, self.taps, self.decimation = "f32", 1e6, 200e3, None, 1
        self.window, self.threshold_db, self.min_duration, self.merge_gap, self.json = 64, 10.0, 0, 0, False


# ------------------------------------------------------------------ plot
def plot_command(args):
    if args.type not in TYPES:
        raise UsageError("unknown --type %s" % args.type)
    if not os.path.exists(args.file):
        raise UsageError("cannot read %s: no such file" % args.file)
    if args.fft_size < 16 or args.rate <= 0 or args.start < 0 or args.length < 0:
        raise UsageError("--fft-size must be >= 16, --rate positive, --start and --length not negative")
    events = []
    if args.events:
        try:
            events = [json.loads(line) for line in open(args.events) if line.strip()]
        except (OSError, ValueError) as e:
            raise UsageError("cannot read events from %s: %s" % (args.events, e))
    with _stdout_to_stderr():
        spec, extent = _spectrogram(args)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    fig, ax = plt.subplots(figsize=(10, 5), dpi=100)
    img = ax.imshow(spec.T, origin="lower", aspect="auto", extent=extent, cmap="viridis",
                    vmin=np.percentile(spec, 5), vmax=np.percentile(spec, 99.9))
    fig.colorbar(img, ax=ax, label="power (dB/Hz)")
    t0, t1, f0, f1 = extent
    shown = 0
    for e in events:
        a, b = e["start"] / args.rate, e["end"] / args.rate
        if b < t0 or a > t1:
            continue
        ax.add_patch(Rectangle((a, f0), b - a, f1 - f0, fill=False, edgecolor="red", linewidth=1.2))
        shown += 1
    ax.set_xlabel("time (s)")
    ax.set_ylabel("frequency (Hz)")
    ax.set_title("%s%s" % (os.path.basename(args.file), ", %d events" % shown if args.events else ""))
    fig.tight_layout()
    fig.savefig(args.out)
    print("wrote %s (%d spectra of %d points, %.3f-%.3f s, %d event boxes)" % (
        args.out, spec.shape[0], args.fft_size, t0, t1, shown))
    return 0


def _spectrogram(args):
    """A power spectrogram (dB/Hz) of the section, computed with stft_fc/stft_cc in a
    flowgraph; the hop is chosen so that at most --max-rows spectra are kept."""
    from gnuradio import blocks, fft, gr, streamproc

    itemsize, is_complex = TYPES[args.type]
    total = os.path.getsize(args.file) // itemsize
    if args.start >= total:
        raise UsageError("--start %d is past the end of the file (%d samples)" % (args.start, total))
    length = args.length or (total - args.start)
    length = min(length, total - args.start)
    n = args.fft_size
    if length < n:
        raise UsageError("the section holds %d samples, fewer than --fft-size %d" % (length, n))
    hop = max(n // 2, (length - n) // args.max_rows + 1)
    tb = gr.top_block("streamproc_plot")
    src, conv = source_chain(tb, args.type, args.file, args.start, length)
    window = fft.window.hann(n)
    blk = streamproc.stft_cc(n, hop, window, True) if is_complex else streamproc.stft_fc(n, hop, window, True)
    sink = blocks.vector_sink_c(blk.vlen(), 4096)
    tb.connect(conv, blk, sink)
    tb.run()
    frames = np.array(sink.data(), dtype=np.complex64).reshape(-1, blk.vlen())
    # power spectral density like scipy's 'density' scaling (one-sided doubled)
    psd = np.abs(frames) ** 2 / (args.rate * np.sum(np.square(window)))
    if not is_complex:
        psd[:, 1:(n + 1) // 2] *= 2
    with np.errstate(divide="ignore"):
        spec = 10 * np.log10(psd)
    finite = np.isfinite(spec)
    spec[~finite] = spec[finite].min() if finite.any() else 0.0
    t0 = args.start / args.rate + n / 2 / args.rate
    t1 = t0 + (spec.shape[0] - 1) * hop / args.rate
    f0, f1 = (-args.rate / 2, args.rate / 2) if is_complex else (0.0, args.rate / 2)
    return spec, (t0, max(t1, t0 + 1.0 / args.rate), f0, f1)


def add_parsers(sub):
    g = sub.add_parser("gen", help="write a synthetic recording of noise and bursts plus a truth file")
    g.add_argument("out", help="recording to write (the truth goes to OUT.truth)")
    g.add_argument("--samples", type=int, required=True)
    g.add_argument("--events", type=int, required=True)
    g.add_argument("--snr-db", type=float, default=15.0, help="burst power over the noise (default 15)")
    g.add_argument("--type", default="f32", choices=["f32", "cf32"])
    g.set_defaults(func=gen_command)

    d = sub.add_parser("detect", help="find the events in a recording")
    d.add_argument("file")
    d.add_argument("--type", default="f32", choices=sorted(TYPES), help="sample format (default f32)")
    d.add_argument("--rate", type=float, default=1.0, help="sample rate in Hz (default 1)")
    f = d.add_mutually_exclusive_group()
    f.add_argument("--lowpass", type=float, metavar="CUTOFF_HZ", help="low-pass FIR before detection")
    f.add_argument("--taps", metavar="FILE", help="FIR taps (numbers) to apply before detection")
    d.add_argument("--decimation", type=int, default=1, help="decimation of the FIR (default 1)")
    d.add_argument("--window", type=int, default=64)
    d.add_argument("--threshold-db", type=float, default=10.0)
    d.add_argument("--min-duration", type=int, default=0)
    d.add_argument("--merge-gap", type=int, default=0)
    d.add_argument("--events", metavar="OUT", help="write the events (.jsonl or .csv)")
    d.add_argument("--json", action="store_true", help="print the report as JSON")
    d.set_defaults(func=detect_command)

    m = sub.add_parser("demo", help="generate a recording, detect its bursts, check them against the truth")
    m.add_argument("--samples", type=int, default=50_000_000)
    m.add_argument("--events", type=int, default=1000)
    m.add_argument("--snr-db", type=float, default=15.0)
    m.add_argument("--dir", help="where to put the files (default: the temporary directory)")
    m.add_argument("--keep", action="store_true")
    m.set_defaults(func=demo_command)

    p = sub.add_parser("plot", help="a spectrogram of a section of a recording, with the events drawn")
    p.add_argument("file")
    p.add_argument("--out", required=True, help="PNG to write")
    p.add_argument("--type", default="f32", choices=sorted(TYPES))
    p.add_argument("--rate", type=float, default=1.0, help="sample rate in Hz (default 1)")
    p.add_argument("--start", type=int, default=0, help="first sample (default 0)")
    p.add_argument("--length", type=int, default=0, help="samples to show (default: to the end)")
    p.add_argument("--events", help="events file (.jsonl) to draw as boxes")
    p.add_argument("--fft-size", type=int, default=1024)
    p.add_argument("--max-rows", type=int, default=1500, help="spectra kept at most (sets the hop)")
    p.set_defaults(func=plot_command)
