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
import uuid

from ...core.errors import RunError, UsageError
from ...core.events import events_format_of, make_out_dir
from ...core.formats import Recording
from ...core.options import MAX_BURST_DEFAULT, DetectOptions, burst_lengths, check_burst_format, default_burst_format
from ..runctl import StopOnSignals
from .merge import EventStream, check_events, merge, place_bursts
from .ranges import MAX_CHUNK, MIN_CHUNK, auto_chunk, expand_inputs, plan
from .task import range_task, worker_peak_rss_mb

__all__ = ["MAX_CHUNK", "MIN_CHUNK", "auto_chunk", "detect", "extract", "local_client", "local_cluster", "plan"]


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
        # no dashboard (dashboard_address=None means Dask's default port, 8787: a second
        # batch beside the first warned that it was taken), its HTTP server on any port
        return LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=":0",
                            scheduler_kwargs={"dashboard": False}, memory_limit=0,
                            silence_logs=logging.CRITICAL)
    finally:
        if hide:
            main.__file__ = path


def local_client(jobs):
    """A dask.distributed Client of a local_cluster(jobs)."""
    from distributed import Client
    return Client(local_cluster(jobs))


def detect(paths, options=None, kind=None, events=None, events_format=None, overwrite=False,
           chunk=None, ranges=None, jobs=None, scheduler=None, client=None, progress=None, keep_events=True,
           local_files=False):
    """Finds the events of many recordings (files, directories, globs) and ranges of
    huge ones as Dask tasks; returns a report (a dict) with the merged events.

    The events are those of one run over each whole file (same indices, flags and
    values), sorted by file and start, ids counted per file; with several files each
    event names its "file". events: also write them (.jsonl, .csv; .sigmf-meta for one
    file). client: your own dask.distributed Client; else scheduler
    ("tcp://HOST:PORT", files on shared storage, paths as given); else a local cluster
    of `jobs` worker processes (default: the number of cores). chunk: bytes per range
    (default: auto_chunk, the batch's bytes over the workers). progress(done, total) is
    called with bytes. A file that fails is reported under "failed"; the others complete.
    The events file is written range by range as the earlier ranges are in;
    keep_events=False: the report has no "event_list" and the client holds only the
    events of ranges that finished before an earlier one (millions of events).
    local_files: the paths are on the workers' own disks, not on storage they share
    (locate()): each file's ranges run on the hosts that have it.
    """
    t0 = time.perf_counter()
    options = options or DetectOptions()
    items = [paths] if isinstance(paths, str) else list(paths)
    efmt = (events_format or events_format_of(events)) if events else None
    if not local_files:  # checked before a cluster starts
        files, failed, found, fmt = batch_inputs(items, kind, events, efmt, overwrite)
        if not files and not failed:
            raise UsageError("no recordings given")
    with BatchClient(jobs, scheduler, client) as bc:
        if local_files:
            files, failed, found, fmt = batch_inputs(items, kind, events, efmt, overwrite, bc.client)
        tasks, bad = plan(files, options, kind, chunk, ranges, bc.workers(), found)
        failed += bad
        if not tasks and failed:  # nothing to run: a usage error, as for one file
            raise UsageError("; ".join(m if p in m else "%s: %s" % (p, m) for p, m in failed))
        rep, _ = run_and_merge(files, tasks, failed, options, events, fmt, overwrite, bc, progress, t0,
                               keep_events)
    return rep


def host_of(address):
    """The host of a Dask worker's address (tcp://192.0.2.2:40123 -> 192.0.2.2)."""
    from distributed.comm import get_address_host
    return get_address_host(address)


def batch_inputs(items, kind, events, events_format, overwrite, client=None):
    """The recordings a batch reads: (paths, [(item, problem)], found, the events
    file's format checked against them). client: they are on its workers' own disks
    (locate(); found is its {path: (Recording, samples, hosts)}); else here (found
    None)."""
    if client is None:
        files, failed = expand_inputs(items)
        found = None
    else:
        if events_format == "sigmf":
            raise UsageError("a SigMF events file points at its recording, which is on a worker's disk here: "
                             "give .jsonl or .csv with local files")
        files, failed, found = locate(client, items, kind)
        if not files and not failed:
            raise UsageError("no recordings given")
    return files, failed, found, check_events(events, files, kind, overwrite, events_format)


def locate(client, items, kind=None):
    """The recordings that `items` (files, directories, globs) name on the workers' own
    disks: (paths, [(item, problem)], {path: (Recording, samples, hosts)}). Each host
    is asked once, by a task pinned to it that opens the files in one of its workers'
    range processes. A path found on several hosts is one file copied to each when
    its samples agree (its ranges may run on any of them); when they differ, the hosts
    hold different recordings under one name: an error for that path."""
    from distributed import wait
    hosts = sorted({host_of(w) for w in client.scheduler_info()["workers"]})
    if not hosts:
        raise UsageError("the Dask cluster has no workers to look for the files on")
    spec = {"probe": items, "kind": kind, "task": -1}
    futures = [client.submit(range_task, spec, None, workers=[h], pure=False, key="streamproc-locate-%s-%s" % (
        h, uuid.uuid4().hex)) for h in hosts]
    wait(futures)
    seen = {}  # path -> {host: (item, Recording, samples)}
    problems = {}  # item index -> [(host, path, problem)]
    for h, fut in zip(hosts, futures):
        try:
            res = fut.result()
        except Exception as e:  # the host's task could not run: its files are not seen
            res = {"error": str(e) or type(e).__name__}
        if "error" in res:
            for i in range(len(items)):
                problems.setdefault(i, []).append((h, items[i], res["error"]))
            continue
        for i, path, rec, n in res["files"]:
            seen.setdefault(path, {})[h] = (i, Recording(**rec), n)
        for i, path, msg in res["problems"]:
            problems.setdefault(i, []).append((h, path, msg))
    files, failed, found = [], [], {}
    for i, item in enumerate(items):
        mine = sorted(p for p, where in seen.items() if min(v[0] for v in where.values()) == i)
        if not mine:
            where = problems.get(i, [])
            failed.append((item, "on no worker's disk (%s)" % "; ".join(
                "%s: %s" % (h, m) for h, _, m in where[:3]) if where else "on no worker's disk"))
        for path in mine:
            where = seen[path]
            sizes = {h: v[2] for h, v in where.items()}
            if len(set(sizes.values())) > 1:
                failed.append((path, "different recordings under one path: %s" % ", ".join(
                    "%d samples on %s" % (n, h) for h, n in sorted(sizes.items()))))
                continue
            _, rec, n = next(iter(where.values()))
            files.append(path)
            found[path] = (rec, n, sorted(where))
    return files, failed, found


def run_and_merge(files, tasks, failed, options, events, fmt, overwrite, bc, progress, t0, keep=True):
    """Ships the client's FFTW wisdom with the tasks (plan() made the chain's plans here,
    once), runs them, streams their events, merges: (report, {task: result})."""
    wisdom = fftw_wisdom()
    stream = EventStream(files, tasks, events, fmt, keep)
    for t in tasks:
        t["wisdom"] = wisdom
        # nothing writes or keeps the events: a range returns their count alone (the
        # lines of 90 000 events are 40 MB of JSON through the worker to the client)
        t["count_only"] = not stream.wants_lines()
    total = sum((t["b"] - t["a"]) * t["itemsize"] for t in tasks)
    t_run = time.perf_counter()
    try:
        results, interrupted = run_tasks(tasks, bc.client, progress, total, stream.add)
        wall = time.perf_counter() - t0
        rep = merge(files, tasks, results, failed, stream, options, events, fmt, overwrite, wall, interrupted)
    except BaseException:
        stream.discard()
        raise
    # the command's wait before the first task could run: the cluster's start (or the
    # connection to it) and the plan (files opened, the chain's FFT plans made)
    delays = [r["start_delay"] for r in results.values() if "start_delay" in r]
    rep["startup_seconds"] = {"cluster": bc.seconds, "plan": t_run - t0 - bc.seconds,
                              # from the tasks' submission to the first one's start on a worker
                              "first_task": min(delays) if delays else None}
    rep["workers"] = bc.workers()
    rep["peak_rss_mb_per_worker_process"] = worker_processes_rss(bc.client)
    return rep, results


class BatchClient:
    """The Dask client a batch runs on: the caller's, one of `scheduler`'s, or a local
    cluster of `jobs` worker processes (closed with this); seconds: its start."""

    def __init__(self, jobs, scheduler, client):
        self.jobs, self.scheduler, self.client, self.own, self.seconds = jobs, scheduler, client, None, 0.0

    def __enter__(self):
        if self.client is None:
            from distributed import Client
            t0 = time.perf_counter()
            self.own = self.client = (Client(self.scheduler) if self.scheduler
                                      else local_client(self.jobs or os.cpu_count() or 1))
            self.seconds = time.perf_counter() - t0
        return self

    def workers(self):
        """The threads that run tasks (1 when the scheduler has none yet)."""
        try:
            return max(1, sum(self.client.nthreads().values()))
        except Exception:  # a scheduler that does not answer: the tasks will say
            return 1

    def __exit__(self, *exc):
        if self.own is not None:
            cluster = self.own.cluster
            self.own.close()
            if cluster is not None:
                cluster.close()
        return False


def extract(paths, out_dir, options=None, kind=None, fmt=None, pre="0", post="0", max_burst=None,
            prefix="burst", events=None, overwrite=False, chunk=None, ranges=None, jobs=None,
            scheduler=None, client=None, progress=None, local_files=False):
    """extract_file() for many recordings and ranges of huge ones, as Dask tasks: the
    burst files and index.jsonl of one run over each whole file (names, index lines and
    samples), in `out_dir` (on storage the workers share). With several files each
    file's bursts are named PREFIX_STEM_NNNNNN..., STEM the file's name without its
    ending. local_files: the recordings are on the workers' own disks (out_dir still on
    storage they share). Returns detect()'s report with "bursts" per file and in total."""
    options = options or DetectOptions()
    max_burst = MAX_BURST_DEFAULT if max_burst is None else max_burst
    items = [paths] if isinstance(paths, str) else list(paths)
    make_out_dir(out_dir)
    if fmt is not None:
        check_burst_format(fmt)
    index = os.path.join(out_dir, "index.jsonl")
    if os.path.exists(index) and not overwrite:
        raise UsageError("%s exists (pass --overwrite to replace it)" % index)
    efmt = events_format_of(events) if events else None
    if not local_files:
        files, failed, found, fmt_events = batch_inputs(items, kind, events, efmt, overwrite)
    t0 = time.perf_counter()
    with BatchClient(jobs, scheduler, client) as bc:
        if local_files:
            files, failed, found, fmt_events = batch_inputs(items, kind, events, efmt, overwrite, bc.client)
        tasks, bad = plan(files, options, kind, chunk, ranges, bc.workers(), found)
        failed += bad
        if not tasks and failed:
            raise UsageError("; ".join(m if p in m else "%s: %s" % (p, m) for p, m in failed))
        return _extract_tasks(files, tasks, failed, options, kind, fmt, pre, post, max_burst, prefix, events,
                              fmt_events, overwrite, out_dir, bc, progress, t0)


def _extract_tasks(files, tasks, failed, options, kind, fmt, pre, post, max_burst, prefix, events, fmt_events,
                   overwrite, out_dir, bc, progress, t0):
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
                    "stage": stage, "format": fmt or default_burst_format(t["type"]),
                    "pre": pre_n * D, "post": post_n * D, "max_burst": max_n * D,
                    "prefix": "%s_%s" % (prefix, stem) if several else prefix})
            pre_d, post_d, t["extract"] = per_file[t["file"]]
            g = t["geometry"]
            g["pre"] += pre_d  # the burst's samples before its event are read too
            g["slack"] += post_d
            g["post"] += post_d
        rep, results = run_and_merge(files, tasks, failed, options, events, fmt_events, overwrite, bc, progress,
                                     t0)
        rep["bursts"] = place_bursts(files, tasks, results, rep, out_dir, overwrite)
        rep["out"] = out_dir
        return rep
    finally:
        shutil.rmtree(stage, ignore_errors=True)


# how long the tasks of a file on the workers' own disks wait for a worker on a host
# that has it, when none is left (a nanny restarts a killed worker in seconds)
HOST_GRACE_SECONDS = 60.0


def run_tasks(tasks, client, progress, total, on_result, host_grace=HOST_GRACE_SECONDS):
    """{task: result} of the tasks run on Dask, each given to on_result as it comes in
    (which may take parts of it); the signal's name when interrupted. A task with
    "hosts" runs only there; when none of its hosts has had a worker for `host_grace`
    seconds it fails (Dask would wait for one forever)."""
    if not tasks:
        return {}, None
    from distributed import Queue, as_completed
    results, interrupted = {}, None
    queue_name = "streamproc-progress-" + uuid.uuid4().hex if progress else None
    queue = Queue(queue_name, client=client) if queue_name else None
    done_bytes = {}
    submitted = time.time()
    futures = [client.submit(range_task, t, queue_name, pure=False, workers=t.get("hosts"),
                             key="streamproc-range-%d-%s" % (t["task"], uuid.uuid4().hex)) for t in tasks]
    pending = as_completed(futures)
    orphans = HostWatch(client, tasks, host_grace)
    with StopOnSignals() as stop:
        while len(results) < len(tasks):
            got = [(fut, None) for fut in ready(pending, 0.2)]
            got += [(futures[k], "no worker is left on %s, where %s is (waited %.0f s)" % (
                ", ".join(tasks[k]["hosts"]), tasks[k]["path"], host_grace))
                for k in orphans.lost(set(results))]
            for fut, lost in got:
                k = futures.index(fut)
                if k in results:
                    continue
                try:
                    if lost:
                        fut.cancel()
                        raise RunError(lost)
                    res = fut.result()
                except Exception as e:  # the task could not run (e.g. failed on every retry)
                    res = {"error": "the task failed: %s" % (str(e) or type(e).__name__), "task": k}
                fut.release()  # the worker may drop it
                on_result(res)
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
    for res in results.values():
        if "started" in res:
            res["start_delay"] = res.pop("started") - submitted
    return results, interrupted


class HostWatch:
    """The tasks pinned to hosts (files on the workers' own disks) none of whose hosts
    has had a worker for `grace` seconds, looked at about once a second."""

    def __init__(self, client, tasks, grace):
        self.client, self.grace = client, grace
        self.pinned = {t["task"]: set(t["hosts"]) for t in tasks if t.get("hosts")}
        self.since = {}  # task -> when its hosts were first seen without a worker
        self.next = 0.0

    def lost(self, done):
        now = time.monotonic()
        if not self.pinned or now < self.next:
            return []
        self.next = now + 1.0
        try:
            alive = {host_of(w) for w in self.client.scheduler_info()["workers"]}
        except Exception:  # the scheduler does not answer: Dask's own errors will say
            return []
        out = []
        for k, hosts in self.pinned.items():
            if k in done or hosts & alive:
                self.since.pop(k, None)
                continue
            if now - self.since.setdefault(k, now) >= self.grace:
                out.append(k)
        return out


def worker_processes_rss(client):
    """{worker: peak RSS in MB} of the Dask worker processes themselves; {} when they
    cannot be asked."""
    try:
        return client.run(worker_peak_rss_mb)
    except Exception:
        return {}


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
