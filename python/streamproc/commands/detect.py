#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""`streamproc detect`: parse, route (one file, a batch, a live input), run, print."""

import sys

from ..core.options import parse_size
from ..runners import batch
from ..runners.live import run_live
from ..runners.single import detect_file
from .args import add_input, detect_options, live_options, route
from .output import (exit_status, print_batch_report, print_detect_report, print_live_report, progress_bar,
                     stdout_to_stderr, warn)


def run_live_command(args, options, bursts=None):
    """A live input (SDR, standard input, a pipe, a followed file): run until its end,
    --duration, Ctrl-C or SIGTERM; exit status 0 unless writing failed. With --events -
    the events go to the real stdout as JSON lines and the report to stderr."""
    live = live_options(args)
    to_stdout = args.events == "-"
    with stdout_to_stderr() as redirect:
        events = "/dev/fd/%d" % redirect.saved if to_stdout else args.events
        rep = run_live(live, options, events, args.overwrite, bursts,
                       status=lambda line: print(line, file=sys.stderr, flush=True))
    if to_stdout:
        rep["events_file"] = "-"
    print_live_report(rep, args.json, sys.stderr if to_stdout else sys.stdout)
    return 1 if rep["error"] else 0


def batch_finish(rep, args, out, extra=""):
    """Prints a batch's failures and report; its exit status."""
    for f in rep["failed"]:
        print("streamproc: error: %s: %s" % (f["file"], f["error"]), file=sys.stderr)
    print_batch_report(rep, args.json, out)
    if extra and not args.json:
        print(extra, file=out)
    if rep["interrupted"]:
        return exit_status(rep["interrupted"])
    if rep["failed"]:
        given = len(rep["failed"]) + len(rep["files"])
        print("streamproc: error: %d of %d inputs failed" % (len(rep["failed"]), given), file=sys.stderr)
        return 1
    return 0


def _batch(args, options):
    """Several files, or one larger than --chunk: a Dask batch."""
    from ..core.events import event_line
    to_stdout = args.events == "-"
    progress = progress_bar(args, "detect")
    with stdout_to_stderr():  # GNU Radio's log lines: stdout carries the report (--json) or events
        rep = batch.detect(args.files, options, args.type, None if to_stdout else args.events, None,
                           args.overwrite, parse_size(args.chunk) if args.chunk else None, None, args.jobs,
                           args.scheduler, None, progress, keep_events=to_stdout, local_files=args.local_files)
    if progress is not None:
        progress.close()
    out = sys.stdout
    if to_stdout:  # JSON lines on standard output, the report on stderr
        for e in rep["event_list"]:
            print(event_line(e), file=sys.stdout)
        rep["events_file"] = "-"
        out = sys.stderr
    return batch_finish(rep, args, out)


def detect_command(args):
    options = detect_options(args)
    way = route(args)
    if way == "live":
        return run_live_command(args, options)
    if way == "batch":
        return _batch(args, options)
    progress = progress_bar(args, "detect")
    to_stdout = args.events == "-"
    with stdout_to_stderr() as redirect:
        # "-": JSON lines on the real standard output (the report goes to stderr)
        events = "/dev/fd/%d" % redirect.saved if to_stdout else args.events
        fmt = "jsonl" if to_stdout else None
        rep = detect_file(args.files[0], options, args.type, events, fmt, progress=progress,
                          overwrite=args.overwrite)
    if progress is not None:
        progress.close()
    warn(rep["warnings"])
    out = sys.stderr if to_stdout else sys.stdout
    if to_stdout:
        rep["events_file"] = "-"
    if not args.json:
        for key in ("work_calls", "memory_efficiency"):
            rep.pop(key)
    print_detect_report(rep, args.json, out)
    return exit_status(rep["interrupted"])


def add_parser(sub):
    d = sub.add_parser("detect", help="find the events (bursts) in a recording",
                       description="Find the events in a recording: mmap_file_source -> [low-pass FIR] -> "
                       "event_detector. Event positions are input samples of the recording, filter delay "
                       "removed.")
    add_input(d)
    o = d.add_argument_group("output")
    o.add_argument("--events", metavar="OUT",
                   help="write the events: .jsonl, .csv, or .sigmf-meta (SigMF annotations with the "
                   "recording's metadata, pointing at its data); - for JSON lines on standard output "
                   "(the report then goes to stderr); default: count only")
    o.add_argument("--overwrite", action="store_true", help="replace an existing events file")
    o.add_argument("--json", action="store_true", help="print the report as JSON (with scheduler figures)")
    d.set_defaults(func=detect_command)
