#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""`streamproc demo`: generate a recording, detect its bursts, check them against the
truth."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from ..core.errors import UsageError
from ..core.options import DetectOptions
from ..runners.single import detect_file
from ..tools.benchfiles import warm
from ..tools.gen import compare
from .output import print_detect_report, stdout_to_stderr

# the demo's detection: float32 at 1 MHz, a low-pass FIR at 200 kHz
RATE, CUTOFF = 1e6, 200e3


def demo_command(args):
    if args.dir is not None and not os.path.isdir(args.dir):
        raise UsageError("--dir %s is not a directory" % args.dir)
    try:
        work = tempfile.mkdtemp(prefix="streamproc-demo.", dir=args.dir)
    except OSError as e:
        raise UsageError("cannot make a directory in %s: %s" % (args.dir or tempfile.gettempdir(), e.strerror))
    try:
        rec = os.path.join(work, "recording.f32")
        t0 = time.perf_counter()
        # in a child process, so that the report's peak RSS is the detection's own
        res = subprocess.run([sys.executable, "-m", "gnuradio.streamproc.cli", "gen", rec,
                              "--samples", str(args.samples), "--events", str(args.events),
                              "--snr-db", str(args.snr_db)], capture_output=True, text=True)
        if res.returncode != 0:
            raise UsageError(res.stderr.strip().splitlines()[-1] if res.stderr.strip() else "gen failed")
        truth = [tuple(map(int, line.split())) for line in open(rec + ".truth")]
        print("demo: generated %s: %d float samples, %d bursts %.0f dB over the noise (%.1f s)" % (
            rec, args.samples, len(truth), args.snr_db, time.perf_counter() - t0))
        # the first read of a just-written file can still meet its write-back: read it
        # once, so that detect's figure is the page cache's, as the benchmarks' are
        t0 = time.perf_counter()
        warm(rec)
        size = os.path.getsize(rec)
        print("demo: read the recording once into the page cache (%.0f MB in %.2f s); the figures below are "
              "from memory, not from the disk" % (size / 1e6, time.perf_counter() - t0))
        events_path = os.path.join(work, "events.jsonl")
        options = DetectOptions(rate=RATE, lowpass=CUTOFF)
        with stdout_to_stderr():
            rep = detect_file(rec, options, "f32", events_path)
        print_detect_report(rep, False)
        events = [json.loads(line) for line in open(events_path)]
        # positions have the filter delay taken out: within the detector window
        tolerance = options.window
        recall, precision, worst, ok = compare(events, truth, tolerance)
        print("demo: recall %.4f, precision %.4f, worst start/end error %d samples (limit %d): %s" % (
            recall, precision, worst, tolerance, "OK" if ok else "MISMATCH"))
        return 0 if ok else 1
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def add_parser(sub):
    m = sub.add_parser("demo", help="generate a recording, detect its bursts, check them against the truth",
                       description="Writes a float32 recording of noise with bursts (in a child process), "
                       "runs detect on it (%g Hz, low-pass at %g Hz) and compares the events with the truth; "
                       "exit status 1 if they disagree." % (RATE, CUTOFF))
    m.add_argument("--samples", type=int, default=50_000_000, help="recording length (samples; default %(default)s)")
    m.add_argument("--events", type=int, default=1000, help="bursts (default %(default)s)")
    m.add_argument("--snr-db", type=float, default=15.0, help="burst power over the noise (dB; default %(default)s)")
    m.add_argument("--dir", help="where to put the files (default: the temporary directory)")
    m.add_argument("--keep", action="store_true", help="keep the recording and the events")
    m.set_defaults(func=demo_command)
