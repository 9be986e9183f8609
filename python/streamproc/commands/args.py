#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""The flags of detect and extract, made from the core's options (DetectOptions'
fields, LiveOptions), and the routing of a command line to one run over a file, a Dask
batch or a live input."""

import argparse
import dataclasses
import os
import sys

from ..core.errors import UsageError
from ..core.formats import open_recording, type_names
from ..core.options import DetectOptions, LiveOptions, parse_eng, parse_size, read_taps
from ..runners.batch import MIN_CHUNK
from ..runners.live import is_live
from .output import stdout_to_stderr


def flag_type(parse):
    """An argparse type from a core parser (ValueError naming the text)."""
    def convert(text):
        try:
            return parse(text)
        except ValueError as e:
            raise argparse.ArgumentTypeError(str(e))
    convert.__name__ = parse.__name__
    return convert


def add_detect_options(parser):
    """The DetectOptions flags, in argument groups, with units and defaults."""
    groups = {None: parser.add_argument_group("detection"),
              "filter": parser.add_argument_group("filter (before detection)")}
    exclusive = groups["filter"].add_mutually_exclusive_group()
    for f in dataclasses.fields(DetectOptions):
        m = f.metadata
        unit = " (%s)" % m["unit"] if "unit" in m else ""
        default = "" if f.default is None else "; default %(default)s"
        kw = dict(dest=f.name, default=f.default, help=m["help"] + unit + default)
        if "type" in m:
            kw["type"] = m["type"] if m["type"] in (int, float) else flag_type(m["type"])
        if "metavar" in m:
            kw["metavar"] = m["metavar"]
        target = exclusive if f.name in ("lowpass", "taps") else groups[m.get("group")]
        target.add_argument(m["flag"], **kw)


def detect_options(args):
    """The DetectOptions of a command line (taps read from their file)."""
    values = {f.name: getattr(args, f.name) for f in dataclasses.fields(DetectOptions)}
    if values["taps"] is not None:
        values["taps"] = read_taps(values["taps"])
    return DetectOptions(**values)


def add_batch_options(parser):
    b = parser.add_argument_group("batch (many files, ranges of huge ones; docs/batch.md)")
    b.add_argument("--chunk", metavar="SIZE",
                   help="bytes of samples per task (k, M, G); default: the batch's bytes over its workers, at "
                        "least %dM, at most 4G (docs/batch.md)" % (MIN_CHUNK >> 20))
    b.add_argument("--jobs", type=int, metavar="N",
                   help="worker processes of the local Dask cluster; default: the number of cores")
    b.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                   help="run the tasks on this Dask scheduler's workers (files on shared storage, paths "
                   "as given)")
    b.add_argument("--local-files", action="store_true",
                   help="with --scheduler: the files are on the workers' own disks, not on shared storage; "
                   "each file's ranges run on the hosts that have it (docs/batch.md)")


def add_live_options(parser):
    g = parser.add_argument_group("live input (docs/live.md)")
    g.add_argument("--rtl-tcp", metavar="HOST:PORT", help="an rtl_tcp server (gr-osmosdr's client); with --rate, "
                   "--freq, --gain, --ppm")
    g.add_argument("--soapy", metavar="ARGS", help="a SoapySDR device (e.g. driver=rtlsdr); with --rate, --freq, "
                   "--gain")
    g.add_argument("--freq", type=flag_type(parse_eng), metavar="HZ", help="centre frequency to tune (SDR inputs)")
    g.add_argument("--gain", type=float, metavar="DB", help="tuner gain (default: automatic)")
    g.add_argument("--ppm", type=int, default=0, help="frequency correction (rtl_tcp; default 0)")
    g.add_argument("--follow", action="store_true", help="the file is still being written: wait for more")
    g.add_argument("--follow-timeout", type=float, metavar="S",
                   help="with --follow: end when the file has not grown for S seconds (default: never)")
    g.add_argument("--duration", type=float, metavar="S", help="stop after S seconds")
    g.add_argument("--status-every", type=float, metavar="S",
                   help="a status line every S seconds (default 5 on a terminal, else none)")


def live_options(args):
    """The LiveOptions of a command line: its one input (or SDR) and flags."""
    files = args.files or []
    if len(files) > 1:
        raise UsageError("a live run reads one input: a file with --follow, - (standard input) or a named pipe")
    every = args.status_every
    if every is None:
        every = 5.0 if sys.stderr.isatty() else 0.0
    live = LiveOptions(input=files[0] if files else None, kind=args.type, rtl_tcp=args.rtl_tcp, soapy=args.soapy,
                       freq=args.freq, gain=args.gain, ppm=args.ppm, follow=args.follow,
                       follow_timeout=args.follow_timeout, duration=args.duration, status_every=every)
    live.validate()
    return live


def _one_flowgraph(args):
    """One file, no cluster asked for: one flowgraph. Several files (directories, globs),
    --scheduler, or --jobs/--chunk with a file larger than the chunk (--jobs alone: than
    MIN_CHUNK): a Dask batch. One flowgraph already runs its blocks on every core of a
    small machine (docs/batch.md)."""
    if args.scheduler or args.local_files or len(args.files) != 1:
        return False
    path = args.files[0]
    if os.path.isdir(path) or (any(c in path for c in "*?[") and not os.path.exists(path)):
        return False
    if args.jobs is None and args.chunk is None:
        return True
    try:
        with stdout_to_stderr():  # the source's warnings, if any, are GNU Radio log lines
            rec = open_recording(path, args.type)
        return os.path.getsize(rec.data_path) <= (parse_size(args.chunk) if args.chunk else MIN_CHUNK)
    except (UsageError, OSError):
        return True  # the run says what is wrong


def route(args):
    """Where a detect/extract command line goes: "live", "batch" or "one" (one
    flowgraph over args.files[0]); bad combinations are usage errors."""
    files = args.files or []
    if is_live(files[0] if len(files) == 1 else None, args.rtl_tcp, args.soapy, args.follow):
        return "live"
    if not files:
        raise UsageError("give a recording (or - for standard input, --rtl-tcp HOST:PORT, --soapy ARGS)")
    if args.jobs is not None and args.jobs < 1:
        raise UsageError("--jobs must be at least 1, got %d" % args.jobs)
    return "one" if _one_flowgraph(args) else "batch"


def add_input(parser):
    """The recordings, --type, and the detection, batch and live flags."""
    parser.add_argument("files", nargs="*", metavar="FILE",
                        help="recordings: raw samples or SigMF (.sigmf-meta/.sigmf-data), directories (their "
                        "recordings) or globs; several, or one larger than --chunk, run as Dask tasks; - for "
                        "standard input or a named pipe (raw samples of --type)")
    parser.add_argument("--type", metavar="FORMAT",
                        help="sample format: %s; default: told by the file name (.f32 .cf32 .cs16 .cs8 .cu8, "
                        "SigMF .sigmf-meta/.sigmf-data/.sigmf), which the report says" % type_names())
    add_detect_options(parser)
    add_batch_options(parser)
    add_live_options(parser)
