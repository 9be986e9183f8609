#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""Many recordings, and ranges of huge ones, as tasks on Dask distributed: `detect()`
for Python users (and their own Dask client), `streamproc detect FILES... --jobs N` or
`--scheduler tcp://HOST:PORT` on the command line.

The rule (docs/batch.md): a file is cut into owned ranges [a, b). The task of a range
reads [first, last) with first = a - pre rounded down to a multiple of `align` and
last = b + post, and keeps the events whose start falls in [a, b). `align` makes the
filter's FFT blocks, the decimation phase, the detector's windows and the floor's
sub-blocks fall where they fall in one run over the whole file, so once the chain's
state has forgotten the read's start the task sees the same floats. The task proves that
it has (ranges.settled) and reads further back (or on) when it cannot: the merged
result is the one run's, event for event, field for field.
"""

import os
import shutil
import sys
import time

from ...core.errors import UsageError
from ...core.events import events_format_of, make_out_dir
from ...core.formats import open_recording
from ...core.options import MAX_BURST_DEFAULT, DetectOptions, burst_lengths, check_burst_format, default_burst_format
from ..runctl import StopOnSignals
from .merge import check_events, merge, place_bursts
from .ranges import DEFAULT_CHUNK, expand_inputs, plan
from .task import range_task

__all__ = ["DEFAULT_CHUNK", "detect", "extract", "local_client", "local_cluster", "plan"]


def fftw_wisdom():
    """FFTW's wisdom as this process holds it: the plans geometry() made here (and any
    run before in this process used), shipped to the tasks so that every range uses
    them. From FFTW itself (GNU Radio's wisdom file may have been rewritten since by
    another process that measured the same sizes); the file when FFTW cannot be asked."""
    import ctypes
    try:
        fftw = ctypes.CDLL("libfftw3f.so.3")
        fftw.fftwf_export_wisdom_to_string.restype = ctypes.c_void_p
        p = fftw.fftwf_export_wisdom_to_string()
        if p:
            try:
                return ctypes.string_at(p).decode("ascii")
            finally:
                ctypes.CDLL("libc.so.6").free(ctypes.c_void_p(p))
    except (OSError, AttributeError, UnicodeDecodeError):
        pass
    try:
        with open(os.path.join(os.path.expanduser("~"), ".gr_fftw_wisdom")) as f:
            return f.read()
    except OSError:
        return ""


def local_cluster(jobs):
    """A Dask cluster of `jobs` worker processes on this machine, one thread each (a
    range is one flowgraph), no memory limit (mapped file pages count as memory)."""
    import logging
    from distributed import LocalCluster
    # Workers are spawned and re-run the main script's file: a main read from standard
    # input ("python3 - <<EOF") has none, and the workers would fail and restart forever.
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    hide = path is not None and not os.path.isfile(path)
    if hide:
        del main.__file__
    try:
        # CRITICAL: a worker's heartbeat that meets the scheduler closing at the end of a
        # run logs an ERROR with a traceback (seen on a loaded machine); the tasks' own
        # errors come back with their results, and a lost worker is retried by Dask
        return LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None,
                            memory_limit=0, silence_logs=logging.CRITICAL)
    finally:
        if hide:
            main.__file__ = path


def local_client(jobs):
    """A dask.distributed Client of a local_cluster(jobs)."""
    from distributed import Client
    return Client(local_cluster(jobs))


def detect(paths, options=None, kind=None, events=None, events_format=None, overwrite=False,
           chunk=DEFAULT_CHUNK, ranges=None, jobs=None, scheduler=None, client=None, progress=None):
    """Finds the events of many recordings (files, directories, globs) and ranges of
    huge ones as Dask tasks; returns a report (a dict) with the merged events.

    The events are those of one run over each whole file (same indices, flags and
    values), sorted by file and start, ids counted per file; with several files each
    event names its "file". events: also write them (.jsonl, .csv; .sigmf-meta for one
    file). client: your own dask.distributed Client; else scheduler
    ("tcp://HOST:PORT", files on shared storage, paths as given); else a local cluster
    of `jobs` worker processes (default: the number of cores). progress(done, total) is
    called with bytes. A file that fails is reported under "failed"; the others complete.
    """
    options = options or DetectOptions()
    items = [paths] if isinstance(paths, str) else list(paths)
    files, failed = expand_inputs(items)
    if not files and not failed:
        raise UsageError("no recordings given")
    fmt = check_events(events, files, kind, overwrite,
                       (events_format or events_format_of(events)) if events else None)
    tasks, bad = plan(files, options, kind, chunk, ranges)
    failed += bad
    if not tasks and failed:  # nothing to run: a usage error, as for one file
        raise UsageError("; ".join(m if p in m else "%s: %s" % (p, m) for p, m in failed))
    rep, _ = run_and_merge(files, tasks, failed, options, events, fmt, overwrite, jobs, scheduler, client,
                           progress)
    return rep


def run_and_merge(files, tasks, failed, options, events, fmt, overwrite, jobs, scheduler, client, progress):
    """Ships the client's FFTW wisdom with the tasks (plan() made the chain's plans here,
    once), runs them, merges: (report, {task: result})."""
    wisdom = fftw_wisdom()
    for t in tasks:
        t["wisdom"] = wisdom
    total = sum((t["b"] - t["a"]) * t["itemsize"] for t in tasks)
    t0 = time.perf_counter()
    results, interrupted = run_tasks(tasks, jobs, scheduler, client, progress, total)
    wall = time.perf_counter() - t0
    return merge(files, tasks, results, failed, options, events, fmt, overwrite, wall, interrupted), results


def extract(paths, out_dir, options=None, kind=None, fmt=None, pre="0", post="0", max_burst=None,
            prefix="burst", events=None, overwrite=False, chunk=DEFAULT_CHUNK, ranges=None, jobs=None,
            scheduler=None, client=None, progress=None):
    """extract_file() for many recordings and ranges of huge ones, as Dask tasks: the
    burst files and index.jsonl of one run over each whole file (names, index lines and
    samples), in `out_dir` (on storage the workers share). With several files each
    file's bursts are named PREFIX_STEM_NNNNNN..., STEM the file's name without its
    ending. Returns detect()'s report with "bursts" per file and in total."""
    import uuid
    options = options or DetectOptions()
    max_burst = MAX_BURST_DEFAULT if max_burst is None else max_burst
    items = [paths] if isinstance(paths, str) else list(paths)
    files, failed = expand_inputs(items)
    make_out_dir(out_dir)
    if fmt is not None:
        check_burst_format(fmt)
    index = os.path.join(out_dir, "index.jsonl")
    if os.path.exists(index) and not overwrite:
        raise UsageError("%s exists (pass --overwrite to replace it)" % index)
    fmt_events = check_events(events, files, kind, overwrite, events_format_of(events) if events else None)
    tasks, bad = plan(files, options, kind, chunk, ranges)
    failed += bad
    if not tasks and failed:
        raise UsageError("; ".join(m if p in m else "%s: %s" % (p, m) for p, m in failed))
    stage = os.path.join(os.path.abspath(out_dir), ".streamproc-stage-" + uuid.uuid4().hex)
    os.makedirs(stage)
    several = len(files) > 1
    try:
        per_file = {}  # the burst settings of each file (its rate and format), made once
        for t in tasks:
            if t["file"] not in per_file:
                opts = DetectOptions(**t["options"])
                D = opts.decimation
                pre_n, post_n, max_n = burst_lengths(pre, post, max_burst, opts.rate, D)
                stem = os.path.basename(t["path"]).split(".")[0]
                per_file[t["file"]] = (pre_n * D, post_n * D, {
                    "stage": stage, "format": fmt or default_burst_format(open_recording(t["path"], kind).kind),
                    "pre": pre_n * D, "post": post_n * D, "max_burst": max_n * D,
                    "prefix": "%s_%s" % (prefix, stem) if several else prefix})
            pre_d, post_d, t["extract"] = per_file[t["file"]]
            g = t["geometry"]
            g["pre"] += pre_d  # the burst's samples before its event are read too
            g["slack"] += post_d
            g["post"] += post_d
        rep, results = run_and_merge(files, tasks, failed, options, events, fmt_events, overwrite, jobs,
                                     scheduler, client, progress)
        rep["bursts"] = place_bursts(files, tasks, results, rep, out_dir, overwrite)
        rep["out"] = out_dir
        return rep
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def run_tasks(tasks, jobs, scheduler, client, progress, total):
    """{task: result} of the tasks run on Dask; the signal's name when interrupted."""
    if not tasks:
        return {}, None
    import uuid
    from distributed import Client, Queue, as_completed
    own = None
    if client is None:
        own = client = Client(scheduler) if scheduler else local_client(jobs or os.cpu_count() or 1)
    results, interrupted = {}, None
    queue_name = "streamproc-progress-" + uuid.uuid4().hex if progress else None
    try:
        queue = Queue(queue_name, client=client) if queue_name else None
        done_bytes = {}
        futures = client.map(range_task, tasks, [queue_name] * len(tasks), pure=False,
                             key=["streamproc-range-%d-%s" % (t["task"], uuid.uuid4().hex) for t in tasks])
        pending = as_completed(futures)
        with StopOnSignals() as stop:
            while len(results) < len(tasks):
                for fut in ready(pending, 0.2):
                    try:
                        res = fut.result()
                    except Exception as e:  # the task could not run (e.g. failed on every retry)
                        k = futures.index(fut)
                        res = {"error": "the task failed: %s" % (str(e) or type(e).__name__), "task": k}
                    results[res["task"]] = res
                    t = tasks[res["task"]]
                    done_bytes[res["task"]] = (t["b"] - t["a"]) * t["itemsize"]
                if queue is not None:
                    for k, n in queue.get(batch=True):
                        if k not in results:
                            t = tasks[k]
                            done_bytes[k] = min(n, t["b"] - t["a"]) * t["itemsize"]
                    progress(sum(done_bytes.values()), total)
                if stop.received:
                    interrupted = stop.received
                    client.cancel(futures)
                    break
    finally:
        if own is not None:
            cluster = own.cluster
            own.close()
            if cluster is not None:
                cluster.close()
    return results, interrupted


def ready(pending, timeout):
    """Futures of `pending` (as_completed) that finish within `timeout` seconds."""
    out = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = pending.next_batch(block=False)
        if got:
            out.extend(got)
            break
        time.sleep(0.02)
    return out
