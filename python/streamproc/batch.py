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
it has (below, `_settled`) and reads further back (or on) when it cannot: the merged
result is the one run's, event for event, field for field.
"""

import dataclasses
import glob
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time

from .detect import (DetectOptions, _stop_on_signals, build_flowgraph, check_events_path, events_format_of,
                     peak_rss_mb, run_flowgraph, sigmf_template)
from .errors import RunError, UsageError
from .formats import EXTENSIONS, open_recording

DEFAULT_CHUNK = 512 << 20  # bytes of samples per range (a task costs ~0.4 s of start-up: docs/batch.md)


# ------------------------------------------------------------------ inputs
def _is_recording_name(name):
    low = name.lower()
    return low.endswith(tuple(EXTENSIONS) + (".sigmf-meta", ".sigmf"))


def expand_inputs(items):
    """Files, directories (their recordings, by name ending) and globs -> (paths in
    order, without repeats; [(item, problem)] for items that name nothing)."""
    paths, problems = [], []

    def add(p):
        if p not in paths:
            paths.append(p)

    for item in items:
        if os.path.isdir(item):
            names = sorted(os.listdir(item))
            metas = {n[:-len(".sigmf-meta")] for n in names if n.endswith(".sigmf-meta")}
            found = [os.path.join(item, n) for n in names
                     if _is_recording_name(n) and os.path.isfile(os.path.join(item, n))]
            found += [os.path.join(item, n) for n in names  # a .sigmf-data without its meta: none
                      if n.endswith(".sigmf-data") and n[:-len(".sigmf-data")] not in metas]
            if not found:
                problems.append((item, "no recordings in this directory (by name: %s, .sigmf-meta)"
                                 % " ".join(sorted(EXTENSIONS))))
            for p in sorted(found):
                add(p)
        elif any(c in item for c in "*?[") and not os.path.exists(item):
            found = sorted(p for p in glob.glob(item, recursive=True) if os.path.isfile(p))
            if not found:
                problems.append((item, "matches no file"))
            for p in found:
                add(p)
        else:
            add(item)
    return paths, problems


def parse_size(text):
    """Bytes from "256M", "1G", "4096", "64k" (powers of 1024)."""
    t = str(text).strip().upper().rstrip("B")
    scale = 1
    for suffix, s in (("K", 1 << 10), ("M", 1 << 20), ("G", 1 << 30), ("T", 1 << 40)):
        if t.endswith(suffix):
            t, scale = t[:-1], s
    try:
        n = float(t) * scale
    except ValueError:
        raise UsageError("--chunk %r: give bytes, e.g. 256M, 1G, 65536" % text)
    if not (math.isfinite(n) and n >= 1):
        raise UsageError("--chunk %r must be at least one byte" % text)
    return int(n)


# ------------------------------------------------------------------ geometry
@dataclasses.dataclass
class Geometry:
    """Where range reads start and how far they reach, in input samples."""
    align: int  # reads start at multiples of this
    settle: int  # after this many samples of a read the floor and power equal the one run's
    quiet: int  # an idle stretch this long (after settle) proves the event state equal too; 0: none
    pre: int  # first halo before a range (grown when the proof is not found)
    post: int  # first halo after a range (grown while an owned event is still open)
    slack: int  # an owned event ending closer than this to a read's end may go on


def geometry(is_complex, options):
    """The halo and alignment of `options`' chain (see the module's rule)."""
    from .detect_chain import detect_chain
    from . import streamproc_python as blocks

    D = options.decimation
    taps = options.filter_taps()
    ntaps = len(taps) if taps else 1
    W = options.window
    L = max(1, math.floor(options.floor_horizon / (8.0 * W) + 0.5)) * W  # the floor's sub-block
    M = 1
    if taps is not None and (D > 1 or len(taps) > detect_chain.PREFILTER_MAX_TAPS):
        fir = (blocks.ols_fir_ccf if is_complex else blocks.ols_fir_fff)(D, taps)
        M = fir.block_outputs()  # FFT blocks are laid out from the stream's start
    tracked = options.floor_db is None
    align = D * (L * M // math.gcd(L, M))
    # the floor uses the last 8 sub-blocks: the 9th after the read's start holds no
    # sample of the filter's warm-up any more
    settle = (9 * L * D if tracked else 0) + (W + 1) * D + ntaps
    quiet = []
    if tracked and options.absolute_db is None:
        # an event open this long would have raised the floor over itself and closed
        quiet.append(2 * 8 * L * D + 2 * W * D)
    if options.max_duration > 0:
        quiet.append(options.max_duration + (W + 1) * D)  # every event closes this soon
    quiet = min(quiet) + options.merge_gap if quiet else 0
    longest = options.max_duration or 8 * L * D
    pre = settle + (quiet or longest) + options.merge_gap
    slack = options.merge_gap + 2 * (W + 1) * D + ntaps + options.min_duration
    return Geometry(align, settle, quiet, pre, longest + slack, slack)


def _settled(events, first, a, geo, merge_gap):
    """True when the run that read from `first` is in the one run's state before `a`:
    after `settle` the floor and power are the same, and then either an event closed by
    its power (not cut: both runs are closed there) or an idle stretch of `quiet`
    samples, with merge_gap more to let a pending merge lapse."""
    z = first + geo.settle
    spans = sorted((e["start"], e["end"], e["truncated"]) for e in events)
    for s, end, cut in spans:
        if not cut and end >= z and end + merge_gap + 1 < a:
            return True
    if geo.quiet:
        t = z
        for s, end, _ in spans:
            if end + merge_gap < t:
                continue
            if s - t >= geo.quiet and t + geo.quiet < a:
                return True
            t = max(t, end + merge_gap + 1)
        if a - t > geo.quiet:
            return True
    return False


# ------------------------------------------------------------------ one range (in its own process)
def _shift(e, first, D, rate):
    """An event of a read from `first` as the one run reports it."""
    e = dict(e)
    for k in ("start", "end", "peak_index"):
        e[k] += first
    for k in ("stream_start", "stream_end"):
        if k in e:
            e[k] += first // D
    ss = e.get("stream_start", e["start"])
    if "time" in e:  # as event_detector computes it (no rx_time tags in raw files)
        r = rate / D
        t = float(ss) / r
        e["time"] = t + (float(e["start"]) - float(ss * D)) / (r * float(D))
    return e


def _run_once(rec, options, spec, first, last, tmp, tries, progress):
    """One read of a range: (events, burst index lines or None), positions as read."""
    out = os.path.join(tmp, "events%d.jsonl" % tries)
    ex = spec.get("extract")
    if ex:
        from .extract import extract_file
        bdir = os.path.join(ex["stage"], "task%d-%d" % (spec["task"], tries))
        os.makedirs(bdir)
        rep = extract_file(rec.path, bdir, options, spec["kind"], ex["format"], str(ex["pre"]), str(ex["post"]),
                           str(ex["max_burst"]), ex["prefix"], out, progress, True, offset=first,
                           length=last - first)
        if rep["interrupted"]:
            raise RunError("interrupted by %s" % rep["interrupted"])
        with open(os.path.join(bdir, "index.jsonl")) as f:
            bursts = [dict(json.loads(line), _dir=bdir) for line in f]
    else:
        tb, src, chain, sink = build_flowgraph(rec, options, out, "jsonl", True, offset=first, length=last - first)
        dt, interrupted, failed = run_flowgraph(tb, src, rec, progress, [sink])
        if failed or interrupted:
            raise RunError(failed or "interrupted by %s" % interrupted)
        bursts = None
    with open(out) as f:
        return [json.loads(line) for line in f], bursts


def run_range(spec, progress=None):
    """Finds the events of one owned range (spec: path, kind, options, a, b, geometry;
    with "extract" also its bursts); reads further back or on until the result is
    proven equal to the one run's."""
    rec = open_recording(spec["path"], spec["kind"])
    options = DetectOptions(**spec["options"])
    geo = Geometry(**spec["geometry"])
    a, b, n = spec["a"], spec["b"], spec["samples"]
    D = options.decimation
    pre, post = geo.pre, geo.post
    read = tries = 0
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="streamproc-range-") as tmp:
        while True:
            tries += 1
            first = max(0, (a - pre) // geo.align * geo.align)
            last = min(n, b + post)

            def report(done, total, base=read):
                if progress:
                    progress(base + done // rec.itemsize, None)
            raw, bursts = _run_once(rec, options, spec, first, last, tmp, tries, report)
            read += last - first
            events = [_shift(e, first, D, options.rate) for e in raw]
            mine = [e for e in events if a <= e["start"] < b]
            ok_pre = first == 0 or _settled(events, first, a, geo, options.merge_gap)
            ok_post = last == n or all(e["end"] + geo.slack < last for e in mine) and b + geo.slack < last
            if ok_pre and ok_post:
                break
            if bursts is not None:  # this read's burst files are not the answer
                shutil.rmtree(os.path.join(spec["extract"]["stage"], "task%d-%d" % (spec["task"], tries)))
            if not ok_pre:
                pre *= 2
            if not ok_post:
                post *= 2
    res = {"events": mine, "samples": b - a, "read": read, "tries": tries, "pre": a - first, "post": last - b,
           "seconds": time.perf_counter() - t0, "peak_rss_mb": peak_rss_mb()}
    if bursts is not None:
        res["bursts"] = _own_bursts(bursts, first, D, options.rate, a, b)
    return res


def _own_bursts(bursts, first, D, rate, a, b):
    """The burst files of the events a range owns, their index lines shifted to the
    file's positions; the others' files deleted."""
    mine = []
    for line in bursts:
        ev = _shift({k: line[k] for k in ("start", "end", "peak_index", "stream_start", "stream_end", "time")
                     if k in line}, first, D, rate)
        paths = [os.path.join(line["_dir"], line["file"])]
        if line["file"].endswith(".sigmf-data"):
            paths.append(paths[0][:-len("data")] + "meta")
        if a <= ev["start"] < b:
            line.update(ev)
            line["burst_start"] += first // D
            mine.append(line)
        else:
            for p in paths:
                os.unlink(p)
    return mine


def _child_main(argv):
    """python -m ...batch SPEC RESULT: one range in this process; progress lines on stderr."""
    from .detect import stdout_to_stderr
    spec_path, result_path = argv
    with open(spec_path) as f:
        spec = json.load(f)
    last = [0.0]

    def progress(done, _total):
        now = time.monotonic()
        if now - last[0] > 0.2:
            last[0] = now
            print("progress %d" % done, file=sys.stderr, flush=True)
    try:
        with stdout_to_stderr():
            res = run_range(spec, progress)
    except (UsageError, RunError) as e:
        res = {"error": str(e)}
    tmp = result_path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(res, f)
    os.rename(tmp, result_path)
    return 0


def _die_with_parent():
    # the range's process ends with the worker that started it (kill -9 included)
    import ctypes
    import signal
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def _task(spec, queue_name):
    """A Dask task: the range in a fresh process (GNU Radio 3.10 leaks across run()s,
    gnuradio#7706), with the client's FFTW wisdom in its own HOME (no planning, no lock
    on the user's wisdom file); progress to the client's queue."""
    from distributed import Queue, get_worker
    queue = Queue(queue_name) if queue_name else None
    with tempfile.TemporaryDirectory(prefix="streamproc-task-") as home:
        if spec.get("wisdom"):
            with open(os.path.join(home, ".gr_fftw_wisdom"), "w") as f:
                f.write(spec["wisdom"])
        # GNU Radio's own settings stay the worker's: its config, and the buffer factory
        # it tested once (~/.gnuradio/prefs; testing it again costs each task ~0.1 s)
        user = os.path.join(os.path.expanduser("~"), ".gnuradio")
        try:
            os.makedirs(user, exist_ok=True)
            os.symlink(user, os.path.join(home, ".gnuradio"))
        except OSError:
            pass
        spec_path, result_path = os.path.join(home, "spec.json"), os.path.join(home, "result.json")
        with open(spec_path, "w") as f:
            json.dump({k: v for k, v in spec.items() if k != "wisdom"}, f)
        env = dict(os.environ, HOME=home)
        proc = subprocess.Popen([sys.executable, "-m", __name__, spec_path, result_path], env=env,
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                preexec_fn=_die_with_parent, text=True)
        tail = []
        for line in proc.stderr:
            if line.startswith("progress ") and queue is not None:
                try:
                    queue.put((spec["task"], int(line.split()[1])))
                except Exception:  # progress is best effort
                    pass
            elif line.strip():
                tail = (tail + [line.strip()])[-5:]
        rc = proc.wait()
        try:
            with open(result_path) as f:
                res = json.load(f)
        except (OSError, ValueError):
            res = {"error": "the range's process ended with status %d%s" % (rc, (": " + tail[-1]) if tail else "")}
        try:  # did the range plan anything the shipped wisdom did not hold?
            with open(os.path.join(home, ".gr_fftw_wisdom")) as f:
                # FFTW writes its wisdom in hash order: compare the entries
                res["planned"] = set(f.read().split("\n")) - set(spec.get("wisdom", "").split("\n")) != set()
        except OSError:
            res["planned"] = bool(spec.get("wisdom"))
    res["worker"] = get_worker().address
    res["task"] = spec["task"]
    return res


# ------------------------------------------------------------------ the batch
def _options_for(rec, options):
    if rec.rate is not None and options.rate == DetectOptions.rate:
        options = dataclasses.replace(options, rate=rec.rate)
    options.validate()
    return options


def plan(paths, options=None, kind=None, chunk=DEFAULT_CHUNK, ranges=None):
    """The tasks of a batch: ([task spec], [(path, problem)]). chunk: bytes per range;
    ranges: cut every file into this many equal ranges instead, or at these samples."""
    options = options or DetectOptions()
    tasks, failed = [], []
    from .formats import make_source
    geometries = {}
    for index, path in enumerate(paths):
        try:
            rec = open_recording(path, kind)
            n = make_source(rec.path, rec.kind if not rec.is_sigmf or rec.how.startswith("--type") else None).size()
        except UsageError as e:
            failed.append((path, str(e)))
            continue
        opts = _options_for(rec, options)  # bad options: an error for the whole batch
        key = (rec.is_complex, repr(opts))  # files of one kind and rate share a chain: build it once
        if key not in geometries:
            geometries[key] = geometry(rec.is_complex, opts)
        geo = geometries[key]
        if isinstance(ranges, (list, tuple)):
            bounds = [0] + [int(c) for c in ranges if 0 < c < n] + [n]
        elif ranges:
            bounds = [n * k // ranges for k in range(ranges + 1)]
        else:
            step = max(1, chunk // rec.itemsize)
            bounds = list(range(0, n, step)) + [n]
        bounds = sorted(set(bounds)) if n else [0, 0]
        for a, b in zip(bounds[:-1], bounds[1:]):
            tasks.append({"task": len(tasks), "file": index, "path": rec.path, "kind": kind, "type": rec.kind,
                          "itemsize": rec.itemsize, "options": dataclasses.asdict(opts), "a": a, "b": b,
                          "samples": n, "geometry": dataclasses.asdict(geo)})
    return tasks, failed


def _wisdom():
    """FFTW's wisdom as this process has it (the chain's plans were made by geometry())."""
    path = os.path.join(os.path.expanduser("~"), ".gr_fftw_wisdom")
    try:
        with open(path) as f:
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
        return LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None,
                            memory_limit=0, silence_logs=logging.ERROR)
    finally:
        if hide:
            main.__file__ = path


def _local_client(jobs):
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
    fmt = _check_events(events, files, kind, overwrite,
                        (events_format or events_format_of(events)) if events else None)
    tasks, bad = plan(files, options, kind, chunk, ranges)
    failed += bad
    if not tasks and failed:  # nothing to run: a usage error, as for one file
        raise UsageError("; ".join(m if p in m else "%s: %s" % (p, m) for p, m in failed))
    rep, _ = _run_and_merge(files, tasks, failed, options, events, fmt, overwrite, jobs, scheduler, client,
                            progress)
    return rep


def _run_and_merge(files, tasks, failed, options, events, fmt, overwrite, jobs, scheduler, client, progress):
    """Ships the client's FFTW wisdom with the tasks (plan() made the chain's plans here,
    once), runs them, merges: (report, {task: result})."""
    wisdom = _wisdom()
    for t in tasks:
        t["wisdom"] = wisdom
    total = sum((t["b"] - t["a"]) * t["itemsize"] for t in tasks)
    t0 = time.perf_counter()
    results, interrupted = _run_tasks(tasks, jobs, scheduler, client, progress, total)
    wall = time.perf_counter() - t0
    return _merge(files, tasks, results, failed, options, events, fmt, overwrite, wall, interrupted), results


def extract(paths, out_dir, options=None, kind=None, fmt=None, pre="0", post="0", max_burst=None,
            prefix="burst", events=None, overwrite=False, chunk=DEFAULT_CHUNK, ranges=None, jobs=None,
            scheduler=None, client=None, progress=None):
    """extract_file() for many recordings and ranges of huge ones, as Dask tasks: the
    burst files and index.jsonl of one run over each whole file (names, index lines and
    samples), in `out_dir` (on storage the workers share). With several files each
    file's bursts are named PREFIX_STEM_NNNNNN..., STEM the file's name without its
    ending. Returns detect()'s report with "bursts" per file and in total."""
    import uuid
    from .extract import FORMATS, MAX_BURST_DEFAULT, burst_lengths, default_format
    options = options or DetectOptions()
    max_burst = MAX_BURST_DEFAULT if max_burst is None else max_burst
    items = [paths] if isinstance(paths, str) else list(paths)
    files, failed = expand_inputs(items)
    if not os.path.isdir(out_dir):
        raise UsageError("--out %s is not a directory (make it first)" % out_dir)
    if fmt is not None and fmt not in FORMATS:
        raise UsageError("--format must be one of %s, got %r" % (", ".join(FORMATS), fmt))
    index = os.path.join(out_dir, "index.jsonl")
    if os.path.exists(index) and not overwrite:
        raise UsageError("%s exists (pass --overwrite to replace it)" % index)
    fmt_events = _check_events(events, files, kind, overwrite, events_format_of(events) if events else None)
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
                    "stage": stage, "format": fmt or default_format(open_recording(t["path"], kind)),
                    "pre": pre_n * D, "post": post_n * D, "max_burst": max_n * D,
                    "prefix": "%s_%s" % (prefix, stem) if several else prefix})
            pre_d, post_d, t["extract"] = per_file[t["file"]]
            g = t["geometry"]
            g["pre"] += pre_d  # the burst's samples before its event are read too
            g["slack"] += post_d
            g["post"] += post_d
        rep, results = _run_and_merge(files, tasks, failed, options, events, fmt_events, overwrite, jobs,
                                      scheduler, client, progress)
        rep["bursts"] = _place_bursts(files, tasks, results, rep, out_dir, overwrite)
        rep["out"] = out_dir
        return rep
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _place_bursts(files, tasks, results, rep, out_dir, overwrite):
    """Moves the owned burst files into out_dir under the one run's names (their
    events' ids in the merged list) and writes out_dir/index.jsonl in start order."""
    ok = {f["file"] for f in rep["files"]}
    lines = []
    for index, path in enumerate(files):
        if path not in ok:
            continue
        mine = [t for t in tasks if t["file"] == index]
        bursts = sorted((b for t in mine if t["task"] in results for b in results[t["task"]].get("bursts", [])),
                        key=lambda b: b["start"])
        prefix = mine[0]["extract"]["prefix"]
        ids = {e["start"]: e["id"] for e in _events_of_file(rep, path, len(files) > 1)}
        for b in bursts:
            old = b.pop("_dir")
            number = "_%06d" % ids[b["start"]]
            name = prefix + number + b["file"][len(prefix) + len("_%06d" % b["id"]):]
            moves = [(os.path.join(old, b["file"]), os.path.join(out_dir, name))]
            b["id"] = ids[b["start"]]
            b["file"] = name
            if name.endswith(".sigmf-data"):
                meta_from = moves[0][0][:-len("data")] + "meta"
                with open(meta_from) as f:
                    doc = json.load(f)
                for k, v in b.items():
                    if k != "file":
                        doc["annotations"][0]["streamproc:" + k] = v
                with open(meta_from, "w") as f:
                    f.write(json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
                moves.append((meta_from, os.path.join(out_dir, name[:-len("data")] + "meta")))
            for src, dst in moves:
                if os.path.exists(dst) and not overwrite:
                    raise RunError("%s exists (pass --overwrite to replace it)" % dst)
                os.replace(src, dst)
            lines.append(json.dumps(b, sort_keys=True, separators=(",", ":"), ensure_ascii=False))
        for f in rep["files"]:
            if f["file"] == path:
                f["bursts"] = len(bursts)
    tmp = os.path.join(out_dir, ".index.jsonl.part")
    with open(tmp, "w", encoding="utf-8") as f:
        f.writelines(line + "\n" for line in lines)
    os.replace(tmp, os.path.join(out_dir, "index.jsonl"))
    return len(lines)


def _events_of_file(rep, path, several):
    return [e for e in rep["event_list"] if not several or e["file"] == path]


def _check_events(events, files, kind, overwrite, fmt):
    """The events file a batch writes: refused when it exists (unless overwrite), is a
    recording, or is SigMF for several files; returns its format."""
    if not events:
        return None
    if fmt == "sigmf" and len(files) > 1:
        raise UsageError("--events %s: a SigMF events file annotates one recording; give .jsonl or .csv "
                         "for %d files" % (events, len(files)))
    for path in files:
        try:
            rec = open_recording(path, kind)
        except UsageError:
            continue  # reported with the file
        check_events_path(events, rec, overwrite)
    check_events_path(events, None, overwrite)  # also when no input could be opened
    return fmt


def _run_tasks(tasks, jobs, scheduler, client, progress, total):
    """{task: result} of the tasks run on Dask; the signal's name when interrupted."""
    if not tasks:
        return {}, None
    import uuid
    from distributed import Client, Queue, as_completed
    own = None
    if client is None:
        own = client = Client(scheduler) if scheduler else _local_client(jobs or os.cpu_count() or 1)
    results, interrupted = {}, None
    queue_name = "streamproc-progress-" + uuid.uuid4().hex if progress else None
    try:
        queue = Queue(queue_name, client=client) if queue_name else None
        done_bytes = {}
        futures = client.map(_task, tasks, [queue_name] * len(tasks), pure=False,
                             key=["streamproc-range-%d-%s" % (t["task"], uuid.uuid4().hex) for t in tasks])
        pending = as_completed(futures)
        with _stop_on_signals() as stop:
            while len(results) < len(tasks):
                for fut in _ready(pending, 0.2):
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


def _ready(pending, timeout):
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


def _merge(files, tasks, results, failed, options, events, fmt, overwrite, wall, interrupted):
    failed = list(failed)
    per_file, merged = [], []
    workers = {}
    for index, path in enumerate(files):
        mine = [t for t in tasks if t["file"] == index]
        if not mine:
            continue
        res = [results.get(t["task"]) for t in mine]
        errors = [r["error"] for r in res if r is not None and "error" in r]
        if errors:
            failed.append((path, errors[0]))
            continue
        complete = all(r is not None for r in res)
        evs = sorted((e for r in res if r is not None for e in r["events"]), key=lambda e: e["start"])
        for i, e in enumerate(evs):
            e["id"] = i
        for r in res:
            if r is not None:
                workers[r["worker"]] = max(workers.get(r["worker"], 0.0), r["peak_rss_mb"])
        done = [(t, r) for t, r in zip(mine, res) if r is not None]
        samples = sum(r["samples"] for _, r in done)
        read = sum(r["read"] for _, r in done)
        secs = sum(r["seconds"] for _, r in done)
        nbytes = samples * mine[0]["itemsize"]
        per_file.append({"file": path, "type": mine[0]["type"], "rate": mine[0]["options"]["rate"],
                         "samples": samples, "bytes": nbytes, "events": len(evs), "ranges": len(mine),
                         "complete": complete, "samples_read": read,
                         "halo_percent": 100.0 * (read - samples) / samples if samples else 0.0,
                         "retries": sum(r["tries"] - 1 for _, r in done), "task_seconds": secs,
                         "mb_per_s_per_task": nbytes / secs / 1e6 if secs else 0.0})
        several = len(files) > 1
        merged.extend(dict({"file": path}, **e) if several else e for e in evs)
    written = None
    if events:
        written = _write_events(events, fmt, merged, len(files) > 1, overwrite, files, options)
    nbytes = sum(f["bytes"] for f in per_file)
    samples = sum(f["samples"] for f in per_file)
    return {"files": per_file, "failed": [{"file": p, "error": m} for p, m in failed],
            "events": len(merged), "event_list": merged, "samples": samples, "bytes": nbytes,
            "seconds": wall, "mb_per_s": nbytes / wall / 1e6 if wall else 0.0, "tasks": len(tasks),
            "peak_rss_mb_per_worker": workers, "events_file": written, "interrupted": interrupted,
            "planned": [results[k].get("planned", False) for k in sorted(results)],
            "halo_percent": (100.0 * (sum(f["samples_read"] for f in per_file) - samples) / samples
                             if samples else 0.0)}


def _number(v):
    """A float as event_file_sink writes it: the shortest round trip (std::to_chars:
    3420, not 3420.0), null for NaN and infinities."""
    if not math.isfinite(v):
        return "null"
    text = repr(v)
    return text[:-2] if text.endswith(".0") else text


def _csv_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    return _number(v) if isinstance(v, float) else str(v)


def _json_value(v):
    if isinstance(v, bool) or v is None:
        return json.dumps(v)
    if isinstance(v, float):
        return _number(v)
    if isinstance(v, int):
        return str(v)
    return json.dumps(v, ensure_ascii=False)


def json_line(e):
    """An event as event_file_sink's JSON line (keys in order)."""
    return "{" + ", ".join("%s: %s" % (json.dumps(k, ensure_ascii=False), _json_value(v)) for k, v in e.items()) + "}"


def _write_events(path, fmt, evs, several, overwrite, files, options):
    """The merged events file: the lines event_file_sink writes (JSONL, CSV; SigMF
    through event_file_sink itself), written to a temporary file and renamed."""
    if fmt == "sigmf":
        return _write_sigmf(path, evs, overwrite, files[0], options)
    tmp = os.path.join(os.path.dirname(os.path.abspath(path)), ".%s.tmp" % os.path.basename(path))
    with open(tmp, "w", encoding="utf-8") as f:
        if fmt == "csv":
            from .streamproc_python import event_file_sink
            fields = (["file"] if several else []) + event_file_sink.csv_columns()
            f.write(",".join(fields) + "\n")
            for e in evs:
                f.write(",".join(_csv_value(e[k]) if k in e else "" for k in fields) + "\n")
        else:
            for e in evs:
                f.write(json_line(e) + "\n")
    os.replace(tmp, path)
    return path


def _write_sigmf(path, evs, overwrite, recording, options):
    """SigMF annotations by event_file_sink, fed the merged events as messages."""
    import pmt
    from gnuradio import gr
    from . import streamproc_python as blocks

    rec = open_recording(recording)

    class feeder(gr.basic_block):
        def __init__(self):
            gr.basic_block.__init__(self, "streamproc_batch_feeder", None, None)
            self.message_port_register_out(pmt.intern("events"))

    def to_pmt(v):
        if isinstance(v, bool):
            return pmt.from_bool(v)
        if isinstance(v, int):
            return pmt.from_uint64(v) if v >= 0 else pmt.from_long(v)
        if isinstance(v, float):
            return pmt.from_double(v)
        return pmt.intern(str(v))

    tb = gr.top_block("streamproc_batch_sigmf")
    src = feeder()
    try:
        sink = blocks.event_file_sink(path, "sigmf", overwrite)
        sink.set_sigmf_template(json.dumps(sigmf_template(rec, options.rate, path)))
    except (RuntimeError, ValueError) as e:
        raise UsageError(str(e).strip().splitlines()[-1])
    tb.msg_connect(src, "events", sink, "events")
    tb.start()
    for e in evs:
        d = pmt.make_dict()
        for k in reversed(list(e)):
            d = pmt.dict_add(d, pmt.intern(k), to_pmt(e[k]))
        src.message_port_pub(pmt.intern("events"), d)
    deadline = time.monotonic() + 60
    while sink.lines_written() < len(evs) and not sink.error() and time.monotonic() < deadline:
        time.sleep(0.01)
    tb.stop()
    tb.wait()
    if sink.error() or sink.lines_written() < len(evs):
        raise RunError("writing %s failed: %s" % (path, sink.error() or "events were not all written"))
    return path


# ------------------------------------------------------------------ command line
def print_report(rep, as_json, out):
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


def _finish(rep, args, out, extra=""):
    for f in rep["failed"]:
        print("streamproc: error: %s: %s" % (f["file"], f["error"]), file=sys.stderr)
    print_report(rep, args.json, out)
    if extra and not args.json:
        print(extra, file=out)
    if rep["interrupted"]:
        return 130 if rep["interrupted"] == "SIGINT" else 143
    if rep["failed"]:
        given = len(rep["failed"]) + len(rep["files"])
        print("streamproc: error: %d of %d inputs failed" % (len(rep["failed"]), given), file=sys.stderr)
        return 1
    return 0


def batch_command(args, options):
    """streamproc detect with several files, or one larger than --chunk."""
    to_stdout = args.events == "-"
    from .detect import progress_bar, stdout_to_stderr
    progress = progress_bar(args, "detect")
    with stdout_to_stderr():  # GNU Radio's log lines: stdout carries the report (--json) or events
        rep = detect(args.files, options, args.type, None if to_stdout else args.events, None, args.overwrite,
                     parse_size(args.chunk or DEFAULT_CHUNK), None, args.jobs, args.scheduler, None, progress)
    if progress is not None:
        progress.close()
    out = sys.stdout
    if to_stdout:  # JSON lines on standard output, the report on stderr
        for e in rep["event_list"]:
            print(json_line(e), file=sys.stdout)
        rep["events_file"] = "-"
        out = sys.stderr
    return _finish(rep, args, out)


def extract_command(args, options):
    """streamproc extract with several files, or one larger than --chunk."""
    from .detect import progress_bar, stdout_to_stderr
    progress = progress_bar(args, "extract")
    with stdout_to_stderr():
        rep = extract(args.files, args.out, options, args.type, args.format, args.pre, args.post,
                      args.max_burst, args.prefix, args.events, args.overwrite,
                      parse_size(args.chunk or DEFAULT_CHUNK), None, args.jobs, args.scheduler, None, progress)
    if progress is not None:
        progress.close()
    return _finish(rep, args, sys.stdout, "%d bursts -> %s" % (rep["bursts"], rep["out"]))


if __name__ == "__main__":
    sys.exit(_child_main(sys.argv[1:]))
