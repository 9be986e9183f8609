#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""Cutting the bursts out of a recording: `extract_file()` for Python users and
`streamproc extract` on the command line: mmap_file_source -> detect_chain (tagged
pass-through) -> burst_extractor -> burst_file_sink, a file per burst and an index."""

import dataclasses
import math
import os
import sys

from .detect import (DetectOptions, add_batch_options, add_options, build_flowgraph, check_events_path,
                     options_from_args, peak_rss_mb, report_head, run_flowgraph, stdout_to_stderr)
from .errors import RunError, UsageError
from .formats import open_recording, type_names

FORMATS = ("cf32", "ci16", "cu8", "sigmf")
MAX_BURST_DEFAULT = "1048576"


def samples_of(text, rate, flag):
    """A length in samples ("2000") or seconds ("0.01s", "5ms"), as whole input samples."""
    t = str(text).strip()
    try:
        if t.endswith("ms"):
            n = float(t[:-2]) * 1e-3 * rate
        elif t.endswith("us"):
            n = float(t[:-2]) * 1e-6 * rate
        elif t.endswith("s"):
            n = float(t[:-1]) * rate
        else:
            n = float(t)
    except ValueError:
        raise UsageError("%s %r: give samples (2000) or seconds (0.01s, 5ms, 200us)" % (flag, text))
    if not (math.isfinite(n) and 0 <= n < 1 << 40):
        raise UsageError("%s %r must be between 0 and 2^40 samples" % (flag, text))
    return int(math.ceil(n))


def burst_lengths(pre, post, max_burst, rate, decimation):
    """--pre, --post, --max-burst (samples or seconds of input) as whole samples after
    decimation: (pre, post, max); a --max-burst below one sample is refused."""
    def n(text, flag):
        return -(-samples_of(text, rate, flag) // decimation)
    lengths = n(pre, "--pre"), n(post, "--post"), n(max_burst, "--max-burst")
    if lengths[2] < 1:
        raise UsageError("--max-burst must be at least one sample")
    return lengths


def default_format(rec):
    """The recording's own format when a burst file can hold it, else cf32."""
    return {"cu8": "cu8", "ci16_le": "ci16"}.get(rec.kind, "cf32")


def extract_file(path, out_dir, options=None, kind=None, fmt=None, pre="0", post="0",
                 max_burst=MAX_BURST_DEFAULT, prefix="burst", events=None, progress=None, overwrite=False,
                 offset=0, length=0):
    """Finds the events in the recording at `path` and writes each burst (from start -
    pre to end + post, at most max_burst samples) to a file of its own in `out_dir`,
    with `out_dir`/index.jsonl listing them; returns a report (a dict).

    pre, post, max_burst: input samples ("2000") or seconds ("0.01s", "5ms"). The bursts
    are the samples the detector saw: the recording's own (no filter, or up to 24 taps
    without decimation, applied inside the detector), else the filtered and decimated
    stream (at the rate after decimation). fmt: cf32, ci16, cu8 or sigmf (default: the
    recording's format when cu8 or ci16, else cf32). offset, length: only these samples
    (a batch range; positions relative to offset). Raises UsageError for bad options,
    RunError when writing failed (the files written before stay whole).
    """
    from . import streamproc_python as blocks

    options = options or DetectOptions()
    rec = open_recording(path, kind)
    if rec.rate is not None and options.rate == DetectOptions.rate:
        options = dataclasses.replace(options, rate=rec.rate)
    options.validate()
    fmt = fmt or default_format(rec)
    if fmt not in FORMATS:
        raise UsageError("--format must be one of %s, got %r" % (", ".join(FORMATS), fmt))
    if not os.path.isdir(out_dir):
        raise UsageError("--out %s is not a directory (make it first)" % out_dir)
    check_events_path(events, rec, overwrite)
    D = options.decimation
    pre_n, post_n, max_n = burst_lengths(pre, post, max_burst, options.rate, D)
    tb, src, chain, sink = build_flowgraph(rec, options, events, None, overwrite, tag_edges=True,
                                           offset=offset, length=length)
    rate_out = options.rate / (D if chain.fir is not None else 1)
    ex = (blocks.burst_extractor_c if rec.is_complex else blocks.burst_extractor_f)(
        pre_n, post_n, max_n, rate_out)
    try:
        bsink = blocks.burst_file_sink(out_dir, fmt, prefix, overwrite)
    except (RuntimeError, ValueError) as e:
        raise UsageError(str(e).strip().splitlines()[-1])
    tb.connect(chain, ex)
    tb.msg_connect(ex, "pdus", bsink, "pdus")
    size = src.size() * rec.itemsize
    dt, interrupted, failed = run_flowgraph(tb, src, rec, progress, [sink, bsink])
    if failed:
        raise RunError("%s (%d bursts written before)" % (failed, bsink.bursts_written()))
    det = chain.detector
    return {
        "file": rec.path, "type": rec.kind, "type_from": rec.how, "rate": options.rate, "bytes": size,
        "samples": src.size(), "events": det.events_found(), "bursts": bsink.bursts_written(),
        "bursts_cut": ex.bursts_cut(), "bursts_dropped": ex.bursts_dropped() + bsink.bursts_dropped(),
        "out": out_dir, "format": fmt, "burst_rate": rate_out, "pre": pre_n, "post": post_n,
        "max_burst": max_n, "noise_floor": det.noise_floor(), "seconds": dt, "mb_per_s": size / dt / 1e6,
        "msamples_per_s": src.size() / dt / 1e6, "peak_rss_mb": peak_rss_mb(), "events_file": events,
        "interrupted": interrupted, "samples_read": src.position(),
    }


def print_report(rep, as_json, out=None):
    out = out or sys.stdout
    if report_head(rep, as_json, out, "the files"):
        return
    print("%s: %d samples (%s from %s, %.1f MB), %d events, %d bursts -> %s (%s%s) in %.2f s: %.0f MB/s, "
          "%.1f MS/s, peak RSS %.1f MB" % (
              rep["file"], rep["samples"], rep["type"], rep["type_from"], rep["bytes"] / 1e6, rep["events"],
              rep["bursts"], rep["out"], rep["format"],
              ", %d cut at --max-burst" % rep["bursts_cut"] if rep["bursts_cut"] else "", rep["seconds"],
              rep["mb_per_s"], rep["msamples_per_s"], rep["peak_rss_mb"]), file=out)


def extract_command(args):
    from .detect import live_command, route
    options = options_from_args(args)
    way = route(args)
    if way == "live":
        if not os.path.isdir(args.out):
            raise UsageError("--out %s is not a directory (make it first)" % args.out)
        fmt = args.format or ("cu8" if args.rtl_tcp else "cf32")
        pre_n, post_n, max_n = burst_lengths(args.pre, args.post, args.max_burst, options.rate,
                                             options.decimation)
        return live_command(args, options, {"out": args.out, "format": fmt, "prefix": args.prefix,
                                            "max": max_n, "pre": pre_n, "post": post_n})
    if way == "batch":
        from .batch import extract_command as batch_extract
        return batch_extract(args, options)
    with stdout_to_stderr():
        rep = extract_file(args.file, args.out, options, args.type, args.format, args.pre, args.post,
                           args.max_burst, args.prefix, args.events, overwrite=args.overwrite)
    print_report(rep, args.json)
    if rep["interrupted"]:
        return 130 if rep["interrupted"] == "SIGINT" else 143
    return 0


def add_parser(sub):
    d = sub.add_parser("extract", help="cut the bursts out of a recording, a file each",
                       description="Find the events in a recording and write each burst (from start - PRE to "
                       "end + POST) to a file of its own, named so SDR tools read its rate (rtl_433's "
                       "NAME_250k.cu8), with OUT/index.jsonl listing them: mmap_file_source -> [FIR] -> "
                       "event_detector -> burst_extractor -> burst_file_sink.")
    d.add_argument("files", nargs="*", metavar="FILE",
                   help="recordings: raw samples or SigMF (.sigmf-meta/.sigmf-data), directories (their "
                   "recordings) or globs; several, or one larger than --chunk, run as Dask tasks")
    d.add_argument("--type", metavar="FORMAT", help="sample format: %s; default: from the file name" % type_names())
    add_options(d)
    add_batch_options(d)
    from .live import add_live_options
    add_live_options(d)
    o = d.add_argument_group("bursts")
    o.add_argument("--out", required=True, metavar="DIR", help="directory for the burst files (must exist)")
    o.add_argument("--format", choices=FORMATS,
                   help="burst file format (default: the recording's when cu8 or ci16, else cf32; sigmf: "
                   ".sigmf-data + .sigmf-meta with the event as an annotation)")
    o.add_argument("--pre", default="0", metavar="N|Ts",
                   help="padding before each event: input samples, or seconds with s/ms/us (default 0)")
    o.add_argument("--post", default="0", metavar="N|Ts", help="padding after each event (default 0)")
    o.add_argument("--max-burst", default=MAX_BURST_DEFAULT, metavar="N|Ts",
                   help="at most this much per burst; longer ones are cut and flagged burst_cut "
                   "(default %s samples)" % MAX_BURST_DEFAULT)
    o.add_argument("--prefix", default="burst", help="burst file name prefix (default burst)")
    o.add_argument("--events", metavar="OUT", help="also write the events (.jsonl, .csv, .sigmf-meta)")
    o.add_argument("--overwrite", action="store_true", help="replace an existing index, burst or events files")
    o.add_argument("--json", action="store_true", help="print the report as JSON")
    d.set_defaults(func=extract_command)
