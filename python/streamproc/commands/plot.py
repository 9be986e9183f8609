#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""`streamproc plot`: a spectrogram of a section of a recording, with events drawn."""

import os

from ..core.errors import UsageError
from ..core.events import read_events
from ..core.formats import open_recording, sigmf_annotations, type_names
from ..runners.spectrogram import spectrogram
from .args import flag_type
from ..core.options import parse_eng
from .output import stdout_to_stderr

MAX_SPANS = 2000  # more events than this are drawn as markers only


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
        spec, extent = spectrogram(rec, args.rate, args.start, args.length, args.fft_size, args.max_rows)
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
    p = sub.add_parser("plot", help="a spectrogram of a section of a recording, with the events drawn",
                       description="Power spectral density (welch, navg=1, dB/Hz) of a section, with the "
                       "events of a detect run drawn as translucent spans and markers.")
    p.add_argument("file", help="the recording (raw samples or SigMF)")
    p.add_argument("--out", required=True, help="PNG to write")
    p.add_argument("--type", metavar="FORMAT", help="sample format: %s (default: told by the file name)"
                   % type_names())
    p.add_argument("--rate", type=flag_type(parse_eng),
                   help="sample rate (Hz; default: SigMF core:sample_rate, else 1)")
    p.add_argument("--start", type=int, default=0, help="first sample (default %(default)s)")
    p.add_argument("--length", type=int, default=0, help="samples to show (default: to the end)")
    p.add_argument("--events", help="events file (.jsonl from detect) to draw; a SigMF recording's own "
                   "annotations are drawn as outlines")
    p.add_argument("--fft-size", type=int, default=1024, help="points per spectrum (default %(default)s)")
    p.add_argument("--max-rows", type=int, default=1500,
                   help="spectra kept at most (sets the hop; default %(default)s)")
    p.set_defaults(func=plot_command)
