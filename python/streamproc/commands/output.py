#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""What the commands print: the reports of one run, a batch and a live run, progress
bars, GNU Radio's log lines kept off stdout, and the exit status of a run."""

import json
import os
import sys

from ..runners.live import LATE_S


def exit_status(interrupted):
    """The exit status of a run stopped by `interrupted` (a signal's name: 130 for
    SIGINT, 143 for SIGTERM, as a shell gives), else 0."""
    if not interrupted:
        return 0
    return 130 if interrupted == "SIGINT" else 143


class stdout_to_stderr:
    """GNU Radio's logger writes to stdout: send it to stderr while the flowgraph runs,
    so that stdout carries only the report (--json stays machine-readable). `saved` is a
    descriptor of the real stdout meanwhile."""

    def __enter__(self):
        sys.stdout.flush()
        self.saved = os.dup(1)
        os.dup2(2, 1)
        return self

    def __exit__(self, *exc):
        sys.stdout.flush()
        os.dup2(self.saved, 1)
        os.close(self.saved)


def progress_bar(args, what):
    """On a terminal (and without --json), a tqdm bar: progress(done, total) in bytes,
    progress.close() at the end; else None."""
    if not sys.stderr.isatty() or args.json:
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    bar = tqdm(total=0, unit="B", unit_scale=True, desc=what, file=sys.stderr)

    def progress(done, total):
        bar.total = total
        bar.update(done - bar.n)
    progress.close = bar.close
    return progress


def warn(warnings):
    for w in warnings:
        print("streamproc: warning: %s" % w, file=sys.stderr)


def report_head(rep, as_json, out, covered):
    """The JSON report (True: done), or the INTERRUPTED line of an interrupted run."""
    if as_json:
        print(json.dumps(rep, indent=1), file=out)
        return True
    if rep.get("interrupted"):
        print("INTERRUPTED by %s after %d of %d samples: %s cover what was read"
              % (rep["interrupted"], rep["samples_read"], rep["samples"], covered), file=out)
    return False


def print_detect_report(rep, as_json, out=None):
    out = out or sys.stdout
    if report_head(rep, as_json, out, "the report and the events file"):
        return
    print("%s: %d samples (%s from %s, %.1f MB), %d events%s in %.2f s: %.0f MB/s, %.1f MS/s, "
          "peak RSS %.1f MB" % (
              rep["file"], rep["samples"], rep["type"], rep["type_from"], rep["bytes"] / 1e6, rep["events"],
              " -> " + rep["events_file"] if rep["events_file"] else "", rep["seconds"], rep["mb_per_s"],
              rep["msamples_per_s"], rep["peak_rss_mb"]), file=out)


def print_extract_report(rep, as_json, out=None):
    out = out or sys.stdout
    if report_head(rep, as_json, out, "the files"):
        return
    print("%s: %d samples (%s from %s, %.1f MB), %d events, %d bursts -> %s (%s%s) in %.2f s: %.0f MB/s, "
          "%.1f MS/s, peak RSS %.1f MB" % (
              rep["file"], rep["samples"], rep["type"], rep["type_from"], rep["bytes"] / 1e6, rep["events"],
              rep["bursts"], rep["out"], rep["format"],
              ", %d cut at --max-burst" % rep["bursts_cut"] if rep["bursts_cut"] else "", rep["seconds"],
              rep["mb_per_s"], rep["msamples_per_s"], rep["peak_rss_mb"]), file=out)


def print_batch_report(rep, as_json, out):
    if as_json:
        rep = {k: v for k, v in rep.items() if k != "event_list"}
        print(json.dumps(rep, indent=1), file=out)
        return
    if rep["interrupted"]:
        print("INTERRUPTED by %s: the report and the events file cover the ranges that finished"
              % rep["interrupted"], file=out)
    for f in rep["files"]:
        print("%s: %d samples (%s, %.1f MB), %d events, %d range%s (halo %.1f %%, %d retried)%s" % (
            f["file"], f["samples"], f["type"], f["bytes"] / 1e6, f["events"], f["ranges"],
            "" if f["ranges"] == 1 else "s", f["halo_percent"], f["retries"],
            "" if f["complete"] else ", INCOMPLETE"), file=out)
    rss = rep["peak_rss_mb_per_worker"]
    print("total: %d file%s, %d samples (%.1f MB), %d events%s in %.2f s: %.0f MB/s over %d task%s on %d "
          "worker%s, peak RSS per worker %s MB" % (
              len(rep["files"]), "" if len(rep["files"]) == 1 else "s", rep["samples"], rep["bytes"] / 1e6,
              rep["events"], " -> " + rep["events_file"] if rep["events_file"] else "", rep["seconds"],
              rep["mb_per_s"], rep["tasks"], "" if rep["tasks"] == 1 else "s", len(rss),
              "" if len(rss) == 1 else "s", "/".join("%.0f" % v for v in sorted(rss.values())) or "-"), file=out)


def print_live_report(rep, as_json, out):
    if as_json:
        print(json.dumps(rep, indent=1), file=out)
        return
    line = "%s (%s, %g S/s): %d samples in %.1f s (%.2f MS/s), %d events%s, stopped by %s; CPU %.0f %% of a core" % (
        rep["input"], rep["type"], rep["rate"], rep["samples"], rep["seconds"], rep["msamples_per_s"],
        rep["events"], " -> " + rep["events_file"] if rep["events_file"] else "", rep["stopped_by"],
        rep["cpu_percent"])
    if "bursts" in rep:
        line += "; %d bursts -> %s" % (rep["bursts"], rep["out"])
    print(line, file=out)
    if rep.get("behind_max_samples", 0) > rep["rate"] * LATE_S:
        print("WARNING: the input fell behind real time by up to %d samples (%.2f s): the source dropped "
              "samples or events came late; use a larger --decimation, fewer taps or a faster machine"
              % (rep["behind_max_samples"], rep["behind_max_samples"] / rep["rate"]), file=out)
    if rep["error"]:
        print("streamproc: error: %s" % rep["error"], file=sys.stderr)
