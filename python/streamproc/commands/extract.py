#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""`streamproc extract`: parse, route (one file, a batch, a live input), run, print."""

import sys

from ..core.events import make_out_dir
from ..core.options import BURST_FORMATS, MAX_BURST_DEFAULT, BurstOptions, burst_lengths, parse_size
from ..runners import batch
from ..runners.single import extract_file
from .args import add_input, detect_options, route
from .detect import batch_finish, run_live_command
from .output import exit_status, print_extract_report, progress_bar, stdout_to_stderr, warn


def extract_command(args):
    options = detect_options(args)
    way = route(args)
    if way == "live":
        make_out_dir(args.out)
        fmt = args.format or ("cu8" if args.rtl_tcp else "cf32")
        pre_n, post_n, max_n = burst_lengths(args.pre, args.post, args.max_burst, options.rate,
                                             options.decimation)
        return run_live_command(args, options, BurstOptions(args.out, fmt, args.prefix, pre_n, post_n, max_n))
    if way == "batch":
        progress = progress_bar(args, "extract")
        with stdout_to_stderr():
            rep = batch.extract(args.files, args.out, options, args.type, args.format, args.pre, args.post,
                                args.max_burst, args.prefix, args.events, args.overwrite,
                                parse_size(args.chunk) if args.chunk else None, None, args.jobs, args.scheduler,
                                None, progress, local_files=args.local_files)
        if progress is not None:
            progress.close()
        return batch_finish(rep, args, sys.stdout, "%d bursts -> %s" % (rep["bursts"], rep["out"]))
    with stdout_to_stderr():
        rep = extract_file(args.files[0], args.out, options, args.type, args.format, args.pre, args.post,
                           args.max_burst, args.prefix, args.events, overwrite=args.overwrite)
    warn(rep["warnings"])
    print_extract_report(rep, args.json)
    return exit_status(rep["interrupted"])


def add_parser(sub):
    d = sub.add_parser("extract", help="cut the bursts out of a recording, a file each",
                       description="Find the events in a recording and write each burst (from start - PRE to "
                       "end + POST) to a file of its own, named so SDR tools read its rate (rtl_433's "
                       "NAME_250k.cu8), with OUT/index.jsonl listing them: mmap_file_source -> [FIR] -> "
                       "event_detector -> burst_extractor -> burst_file_sink.")
    add_input(d)
    o = d.add_argument_group("bursts")
    o.add_argument("--out", required=True, metavar="DIR",
                   help="directory for the burst files (made if missing, with its parents)")
    o.add_argument("--format", choices=BURST_FORMATS,
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
