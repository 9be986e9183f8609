#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""The `streamproc` command line: the parser and main(); each subcommand lives in a
module of its own under commands/ (detect, extract, info, plot, fft, gen, demo, bench)."""

import argparse
import sys

from .core.errors import RunError, UsageError
from .core.version import __version__

EXIT_BAD_ARGS = 2


def build_parser():
    from .commands import bench, demo, detect, extract, fft, gen, info, plot

    p = argparse.ArgumentParser(
        prog="streamproc",
        description="Process huge signal recordings with gr-streamproc: find events (bursts) in them, "
        "plot them, generate test recordings, benchmark the blocks.")
    p.add_argument("--version", action="version", version="streamproc (gr-streamproc) " + __version__)
    p.add_argument("-v", "--verbose", action="count", default=0,
                   help="show GNU Radio's log lines (-v info, -vv debug); default: warnings only")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for module in (detect, extract, info, plot, fft, gen, demo, bench):
        module.add_parser(sub)
    return p


def _set_log_level(verbose):
    from gnuradio import gr
    levels = [gr.log_levels.warn, gr.log_levels.info, gr.log_levels.debug]
    gr.logging().set_default_level(levels[min(verbose, 2)])


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    _set_log_level(args.verbose)
    try:
        return args.func(args)
    except UsageError as e:
        print("streamproc: error: %s" % e, file=sys.stderr)
        return EXIT_BAD_ARGS
    except RunError as e:
        print("streamproc: error: %s" % e, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
