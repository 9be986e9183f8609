#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""`streamproc plot`: a spectrogram of a section of a recording, with events drawn."""

import json
import os

from .detect import stdout_to_stderr
from .errors import UsageError
from .formats import open_recording, source_chain, type_names

MAX_SPANS = 2000  # more events than this are drawn as markers only


def _spectrogram(rec, rate, start, length, fft_size, max_rows):
    """Power spectral density (dB/Hz) of the section, one row per frame, computed by
    welch_cf/welch_ff with navg=1 (density scaling, one-sided for real input, centred
    for complex); the hop is chosen so that at most max_rows frames are kept."""
    import numpy as np
    from gnuradio import blocks, fft, gr, streamproc

    from .formats import make_source
    total = make_source(rec.path, None if rec.is_sigmf else rec.kind).size()
    if start >= total:
        raise UsageError("--start %d is past the end of the file (%d samples)" % (start, total))
    length = min(length or (total - start), total - start)
    n = fft_size
    if length < n:
        raise UsageError("the section holds %d samples, fewer than --fft-size %d" % (length, n))
    hop = max(n // 2, (length - n) // max_rows + 1)
    tb = gr.top_block("streamproc_plot")
    src, conv = source_chain(tb, rec, start, length)
    window = fft.window.hann(n)
    if rec.is_complex:
        blk = streamproc.welch_cf(n, hop, window, 1, "density", rate, shift=True, db=True)
    else:
        blk = streamproc.welch_ff(n, hop, window, 1, "density", rate, onesided=True, db=True)
    sink = blocks.vector_sink_f(blk.vlen(), 4096)
    tb.connect(conv, blk, sink)
    tb.run()
    spec = np.array(sink.data(), dtype=np.float32).reshape(-1, blk.vlen())
    finite = np.isfinite(spec)
    spec[~finite] = spec[finite].min() if finite.any() else 0.0
    t0 = start / rate + n / 2 / rate
    t1 = t0 + (spec.shape[0] - 1) * hop / rate
    if rec.is_complex:
        f0, f1 = -rate / 2, rate / 2
    else:
        f0, f1 = 0.0, rate / 2
    return spec, (t0, max(t1, t0 + 1.0 / rate), f0, f1)


def read_events(path):
    try:
        with open(path) as f:
            events = [json.loads(line) for line in f if line.strip()]
    except OSError as e:
        raise UsageError("cannot read events from %s: %s" % (path, e.strerror))
    except ValueError as e:
        raise UsageError("events file %s is not JSON lines: %s" % (path, e))
    for e in events:
        if not isinstance(e, dict) or not isinstance(e.get("start"), int) or not isinstance(e.get("end"), int):
            raise UsageError("events file %s: every line needs integer start and end" % path)
    return events


def sigmf_annotations(rec):
    """(start, count, label) of the recording's own SigMF annotations."""
    if not rec.metadata:
        return []
    doc = json.loads(rec.metadata)
    return [(a.get("core:sample_start", 0), a.get("core:sample_count", 0), a.get("core:label", ""))
            for a in doc.get("annotations", []) if isinstance(a, dict)]


def plot_command(args):
    rec = open_recording(args.file, args.type)
    if args.rate is None:
        args.rate = rec.rate or 1.0
    if not args.rate > 0:
        raise UsageError("--rate must be positive")
    if args.fft_size < 16 or args.fft_size > 1 << 20:
        raise UsageError("--fft-size must be between 16 and 2^20, got %d" % args.fft_size)
    if args.start < 0 or args.length < 0:
        raise UsageError("--start and --length must not be negative")
    if args.max_rows < 1:
        raise UsageError("--max-rows must be at least 1, got %d" % args.max_rows)
    events = read_events(args.events) if args.events else []
    with stdout_to_stderr():
        spec, extent = _spectrogram(rec, args.rate, args.start, args.length, args.fft_size, args.max_rows)
    import numpy as np
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 5), dpi=100)
    img = ax.imshow(spec.T, origin="lower", aspect="auto", extent=extent, cmap="viridis",
                    vmin=np.percentile(spec, 5), vmax=np.percentile(spec, 99.9))
    fig.colorbar(img, ax=ax, label="power (dB/Hz)")
    t0, t1, f0, f1 = extent
    # event positions are input samples of the recording (detect removes the filter's
    # decimation and delay), so time = sample / rate
    spans = [(e["start"] / args.rate, (e["end"] - e["start"]) / args.rate) for e in events]
    spans = [(a, w) for a, w in spans if a + w >= t0 and a <= t1]
    if spans:
        if len(spans) <= MAX_SPANS:  # translucent spans, one artist
            ax.broken_barh(spans, (f0, f1 - f0), facecolors=(1.0, 0.2, 0.2, 0.22), edgecolors="none")
        # a short marker at the top for every event start: dense events stay readable
        ax.plot([a for a, _ in spans], [f1 - (f1 - f0) * 0.02] * len(spans), linestyle="none",
                marker="v", markersize=4, color="red")
    # the recording's own SigMF annotations: outlined, not filled
    own = [(s / args.rate, max(c, 1) / args.rate) for s, c, _ in sigmf_annotations(rec)]
    own = [(a, w) for a, w in own if a + w >= t0 and a <= t1]
    if own:
        ax.broken_barh(own[:MAX_SPANS], (f0, f1 - f0), facecolors="none", edgecolors="cyan", linewidth=0.8)
    ax.set_xlim(t0, t1)
    ax.set_ylim(f0, f1)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("frequency (Hz)")
    ax.set_title("%s%s" % (os.path.basename(args.file), ", %d events" % len(spans) if args.events else ""))
    fig.tight_layout()
    try:
        fig.savefig(args.out)
    except OSError as e:
        raise UsageError("cannot write %s: %s" % (args.out, e.strerror))
    print("wrote %s (%d spectra of %d points, %.3f-%.3f s, %d events, %d SigMF annotations)" % (
        args.out, spec.shape[0], args.fft_size, t0, t1, len(spans), len(own)))
    return 0


def add_parser(sub):
    from gnuradio.eng_arg import eng_float

    p = sub.add_parser("plot", help="a spectrogram of a section of a recording, with the events drawn",
                       description="Power spectral density (welch, navg=1, dB/Hz) of a section, with the "
                       "events of a detect run drawn as translucent spans and markers.")
    p.add_argument("file", help="the recording (raw samples or SigMF)")
    p.add_argument("--out", required=True, help="PNG to write")
    p.add_argument("--type", metavar="FORMAT", help="sample format: %s (default: told by the file name)"
                   % type_names())
    p.add_argument("--rate", type=eng_float, help="sample rate (Hz; default: SigMF core:sample_rate, else 1)")
    p.add_argument("--start", type=int, default=0, help="first sample (default %(default)s)")
    p.add_argument("--length", type=int, default=0, help="samples to show (default: to the end)")
    p.add_argument("--events", help="events file (.jsonl from detect) to draw; a SigMF recording's own "
                   "annotations are drawn as outlines")
    p.add_argument("--fft-size", type=int, default=1024, help="points per spectrum (default %(default)s)")
    p.add_argument("--max-rows", type=int, default=1500,
                   help="spectra kept at most (sets the hop; default %(default)s)")
    p.set_defaults(func=plot_command)
