#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""One range of a batch, run in a process of its own (a Dask task starts it): reads
the range with its halo, further back or on until the result is proven the one run's,
and returns its own events (and bursts)."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from ...core.chain import build_flowgraph
from ...core.errors import RunError, UsageError
from ...core.formats import open_recording
from ...core.options import DetectOptions
from ..runctl import peak_rss_mb, run_recording
from ..single import extract_file
from .ranges import Geometry, settled, shift


def run_once(rec, options, spec, first, last, tmp, tries, progress):
    """One read of a range: (events, burst index lines or None), positions as read."""
    out = os.path.join(tmp, "events%d.jsonl" % tries)
    ex = spec.get("extract")
    if ex:
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
        run = run_recording(tb, src, rec, progress, [sink])
        if run.failed or run.signal:
            raise RunError(run.failed or "interrupted by %s" % run.signal)
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
            raw, bursts = run_once(rec, options, spec, first, last, tmp, tries, report)
            read += last - first
            events = [shift(e, first, D, options.rate) for e in raw]
            mine = [e for e in events if a <= e["start"] < b]
            ok_pre = first == 0 or settled(events, first, a, geo, options.merge_gap)
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
        res["bursts"] = own_bursts(bursts, first, D, options.rate, a, b)
    return res


def own_bursts(bursts, first, D, rate, a, b):
    """The burst files of the events a range owns, their index lines shifted to the
    file's positions; the others' files deleted."""
    mine = []
    for line in bursts:
        ev = shift({k: line[k] for k in ("start", "end", "peak_index", "stream_start", "stream_end", "time")
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


def child_main(argv):
    """python -m ...batch.task SPEC RESULT: one range in this process; progress lines on
    stderr (GNU Radio's log lines, which go to stdout, too)."""
    spec_path, result_path = argv
    with open(spec_path) as f:
        spec = json.load(f)
    last = [0.0]

    def progress(done, _total):
        now = time.monotonic()
        if now - last[0] > 0.2:
            last[0] = now
            print("progress %d" % done, file=sys.stderr, flush=True)
    os.dup2(2, 1)
    try:
        res = run_range(spec, progress)
    except (UsageError, RunError) as e:
        res = {"error": str(e)}
    tmp = result_path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(res, f)
    os.rename(tmp, result_path)
    return 0


def die_with_parent():
    # the range's process ends with the worker that started it (kill -9 included)
    import ctypes
    import signal
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def range_task(spec, queue_name):
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
                                preexec_fn=die_with_parent, text=True)
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


if __name__ == "__main__":
    sys.exit(child_main(sys.argv[1:]))
