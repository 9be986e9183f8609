#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""One run over one recording: detect_file() finds its events, extract_file() also
cuts each burst out into a file of its own (mmap_file_source -> detect_chain [tagged
pass-through -> burst_extractor -> burst_file_sink])."""


from ..core.chain import attach_bursts, build_flowgraph, burst_rate
from ..core.errors import RunError
from ..core.events import check_events_path, make_out_dir
from ..core.formats import open_recording
from ..core.options import (MAX_BURST_DEFAULT, BurstOptions, DetectOptions, burst_lengths, check_burst_format,
                            default_burst_format)
from .runctl import peak_rss_mb, run_recording


def _report(rec, options, src, chain, out, warnings):
    """What every run over a file reports."""
    det = chain.detector
    size = src.size() * rec.itemsize
    return {
        "file": rec.path, "type": rec.kind, "type_from": rec.how, "rate": options.rate, "bytes": size,
        "samples": src.size(), "events": det.events_found(), "noise_floor": det.noise_floor(),
        "seconds": out.seconds, "mb_per_s": size / out.seconds / 1e6, "msamples_per_s": src.size() / out.seconds / 1e6,
        "peak_rss_mb": peak_rss_mb(), "warnings": warnings, "interrupted": out.signal,
        "samples_read": src.position(),
    }


def detect_file(path, options=None, kind=None, events=None, events_format=None, progress=None,
                overwrite=False):
    """Finds the events in the recording at `path` and returns a report (a dict).

    Args:
        path: the recording (raw samples, or SigMF .sigmf-meta/.sigmf-data)
        options: DetectOptions (default: DetectOptions())
        kind: sample format (f32, cf32, ci16, ci8, cu8); None: from the file name
        events: file to write the events to (.jsonl, .csv, .sigmf-meta), or None to
            only count them
        events_format: "jsonl", "csv" or "sigmf" (default: from the events file name)
        progress: called as progress(bytes_done, bytes_total) about 5 times a second
        overwrite: replace an existing events file (else it is an error)

    Event positions are input samples of the recording (filter delay taken out).
    SIGINT/SIGTERM stop the run cleanly; the report then says "interrupted".
    Raises UsageError for bad options or an unusable file, RunError when writing the
    events failed.
    """
    rec = open_recording(path, kind)
    options, warnings = (options or DetectOptions()).for_recording(rec)
    check_events_path(events, rec, overwrite)
    tb, src, chain, sink = build_flowgraph(rec, options, events, events_format, overwrite)
    out = run_recording(tb, src, rec, progress, [sink])
    if out.failed:
        raise RunError("%s; the events file holds whole events only" % out.failed)
    det = chain.detector
    rep = _report(rec, options, src, chain, out, warnings)
    rep.update({
        "events_dropped": det.events_dropped(), "events_too_short": det.events_too_short(),
        "events_lost": det.events_lost(), "nonfinite_samples": det.nonfinite_samples(), "events_file": events,
        "positions": "input samples, filter delay removed",
        # for benchmarks: how the scheduler called the detector, file size per peak RSS
        "work_calls": det.work_calls(), "memory_efficiency": rep["bytes"] / (rep["peak_rss_mb"] * 1024 * 1024),
    })
    return rep


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
    rec = open_recording(path, kind)
    options, warnings = (options or DetectOptions()).for_recording(rec)
    fmt = check_burst_format(fmt or default_burst_format(rec.kind))
    check_events_path(events, rec, overwrite)
    make_out_dir(out_dir)
    pre_n, post_n, max_n = burst_lengths(pre, post, max_burst, options.rate, options.decimation)
    tb, src, chain, sink = build_flowgraph(rec, options, events, None, overwrite, tag_edges=True,
                                           offset=offset, length=length)
    rate_out = burst_rate(chain, options)
    ex, bsink = attach_bursts(tb, chain, rec.is_complex, rate_out,
                              BurstOptions(out_dir, fmt, prefix, pre_n, post_n, max_n), overwrite)
    out = run_recording(tb, src, rec, progress, [sink, bsink])
    if out.failed:
        raise RunError("%s (%d bursts written before)" % (out.failed, bsink.bursts_written()))
    rep = _report(rec, options, src, chain, out, warnings)
    rep.update({
        "bursts": bsink.bursts_written(), "bursts_cut": ex.bursts_cut(),
        "bursts_dropped": ex.bursts_dropped() + bsink.bursts_dropped(), "out": out_dir, "format": fmt,
        "burst_rate": rate_out, "pre": pre_n, "post": post_n, "max_burst": max_n, "events_file": events,
    })
    return rep
