#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""One range of a batch, run in its Dask worker's long-lived range process: reads
the range with its halo, further back or on until the result is proven the one run's,
and returns its own events (and bursts)."""

import atexit
import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

from ...core.chain import build_flowgraph
from ...core.errors import RunError, UsageError
from ...core.formats import open_recording
from ...core.options import DetectOptions
from ..runctl import peak_rss_mb, run_recording, status_mb
from ..single import extract_file
from .ranges import Geometry, expand_inputs, line_span, open_sized, settled, shift, shift_line


def run_once(rec, options, spec, first, last, tmp, tries, progress, count_only):
    """One read of a range: (the events file or None, its lines, the events counted but
    not in it, burst index lines or None), positions as read. count_only: the events
    that lie wholly inside the range are counted, not written (only the ends prove the
    halo); a range that is the whole file has no events file (the flowgraph of one run)."""
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
        return out, rep["events"], 0, bursts
    whole = count_only and spec["a"] == 0 and spec["b"] == spec["samples"]
    tb, src, chain, sink = build_flowgraph(rec, options, None if whole else out, "jsonl", True, offset=first,
                                           length=last - first)
    det = chain.detector
    if count_only and not whole:
        det.set_unpublished_window(spec["a"] - first, spec["b"] - first)
    run = run_recording(tb, src, rec, progress, [sink])
    if run.failed or run.signal:
        raise RunError(run.failed or "interrupted by %s" % run.signal)
    if whole:
        return None, 0, det.events_found(), None
    return out, sink.lines_written(), det.events_unpublished(), None


def run_range(spec, progress=None):
    """Finds the events of one owned range (spec: path, kind, options, a, b, geometry;
    with "extract" also its bursts); reads further back or on until the result is
    proven equal to the one run's. The events file of a read is sorted by start (the
    detector's events do not overlap): only its lines before `a` and, for a count, after
    `b` are parsed (EventLines)."""
    rec = open_recording(spec["path"], spec["kind"])
    options = DetectOptions(**spec["options"])
    geo = Geometry(**spec["geometry"])
    a, b, n = spec["a"], spec["b"], spec["samples"]
    count_only = bool(spec.get("count_only")) and not spec.get("extract")
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
            path, lines, inside, bursts = run_once(rec, options, spec, first, last, tmp, tries, report, count_only)
            read += last - first
            evs = EventLines(path, lines, inside, first, a, b)
            # the events before a (the proof), and the end of the last one the range owns
            ok_pre = first == 0 or settled(evs.before, first, a, geo, options.merge_gap)
            ok_post = last == n or b + geo.slack < last and evs.last_owned_end() + geo.slack < last
            if ok_pre and ok_post:
                break
            if bursts is not None:  # this read's burst files are not the answer
                shutil.rmtree(os.path.join(spec["extract"]["stage"], "task%d-%d" % (spec["task"], tries)))
            if not ok_pre:
                pre *= 2
            if not ok_post:
                post *= 2
        res = {"samples": b - a, "read": read, "tries": tries, "pre": a - first, "post": last - b,
               "peak_rss_mb": peak_rss_mb()}
        if count_only:
            res["count"] = evs.count()
        else:  # the lines one run writes for them (ids counted again by the merge)
            res["lines"] = [shift_line(line, first, D, options.rate) for line in evs.owned()]
    res["seconds"] = time.perf_counter() - t0
    if bursts is not None:
        res["bursts"] = own_bursts(bursts, first, D, options.rate, a, b)
    return res


class EventLines:
    """A read's events file (event_file_sink's JSON lines, sorted by start; `total`
    of them), its positions made the file's (+ first), and `inside` events the range
    [a, b) owns that the detector counted without writing them (they lie wholly in the
    range: set_unpublished_window); path None: a read of the whole file without a file.
    Parses only its head (the events before a) and its tail (from the last event back to
    the last one before b), each once: a range of millions of events is not held."""

    def __init__(self, path, total, inside, first, a, b):
        self.path, self.total, self.inside, self.first, self.a, self.b = path, total, inside, first, a, b

    def _lines(self):
        if self.path is None:
            return
        with open(self.path) as f:
            yield from f

    @functools.cached_property
    def before(self):
        """{start, end, truncated} of the events that start before a."""
        out = []
        for line in self._lines():
            s, e, cut = line_span(line)
            if s + self.first >= self.a:
                break
            out.append({"start": s + self.first, "end": e + self.first, "truncated": cut})
        return out

    @functools.cached_property
    def _tail(self):
        """The events from the last back to (and with) the last one that starts before b:
        [(start, end)] in the file's positions, newest first."""
        out = []
        if self.path is not None:
            for line in reversed_lines(self.path):
                s, e, _ = line_span(line)
                out.append((s + self.first, e + self.first))
                if s + self.first < self.b:
                    break
        return out

    def owned(self):
        """The lines of the events that start in [a, b)."""
        for line in self._lines():
            s = line_span(line)[0] + self.first
            if s >= self.b:
                break
            if s >= self.a:
                yield line.rstrip("\n")

    def last_owned_end(self):
        """The end of the last event written that starts in [a, b) (-1: none)."""
        tail = self._tail
        return tail[-1][1] if tail and self.a <= tail[-1][0] < self.b else -1

    def count(self):
        """How many events start in [a, b)."""
        if self.path is None:
            return self.inside  # the whole file
        after = sum(1 for s, _ in self._tail if s >= self.b)
        return self.inside + max(0, self.total - len(self.before) - after)


def reversed_lines(path, block=1 << 16):
    """The lines of a text file, last first, read backwards a block at a time."""
    with open(path, "rb") as f:
        f.seek(0, os.SEEK_END)
        pos, rest = f.tell(), b""
        while pos > 0:
            step = min(block, pos)
            pos -= step
            f.seek(pos)
            parts = (f.read(step) + rest).split(b"\n")
            rest = parts[0]
            for line in reversed(parts[1:]):
                if line:
                    yield line.decode()
        if rest:
            yield rest.decode()


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


def probe(items, kind):
    """The recordings that the inputs (files, directories, globs) name on this host:
    {"files": [[item index, path, Recording's fields, samples]], "problems": [[item
    index, path, problem]]} (a batch over files on the workers' own disks)."""
    files, problems = [], []
    for i, item in enumerate(items):
        paths, bad = expand_inputs([item])
        problems += [[i, p, m] for p, m in bad]
        for path in paths:
            try:
                rec, n = open_sized(path, kind)
            except UsageError as e:
                problems.append([i, path, str(e)])
                continue
            files.append([i, path, vars(rec), n])
    return {"files": files, "problems": problems}


def _run_request(spec_path, result_path, progress):
    with open(spec_path) as f:
        spec = json.load(f)
    try:
        res = probe(spec["probe"], spec["kind"]) if "probe" in spec else run_range(spec, progress)
    except (UsageError, RunError) as e:
        res = {"error": str(e)}
    tmp = result_path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(res, f)
    os.rename(tmp, result_path)


def child_main(argv):
    """python -m ...batch.task --serve: a worker's range process. Takes task after task:
    a line "SPEC RESULT" on stdin runs that range and writes its result, then "done" on
    stderr; progress lines on stderr in between (GNU Radio's log lines, which go to
    stdout, too). Ends at the end of stdin."""
    if argv != ["--serve"]:
        print("usage: python -m %s --serve" % __name__, file=sys.stderr)
        return 2
    parent = os.getppid()
    die_with_parent()
    if os.getppid() != parent:  # the worker ended before that
        return 1
    last = [0.0]

    def progress(done, _total):
        now = time.monotonic()
        if now - last[0] > 0.2:
            last[0] = now
            print("progress %d" % done, file=sys.stderr, flush=True)
    os.dup2(2, 1)
    for line in sys.stdin:
        parts = line.split()
        if len(parts) != 2:
            continue
        last[0] = 0.0
        _run_request(parts[0], parts[1], progress)
        print("done", file=sys.stderr, flush=True)
    return 0


def die_with_parent():
    # this process ends with the worker thread that started it (kill -9 included); set
    # here, not in a preexec_fn (not safe in a process with threads)
    import ctypes
    import signal
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class RangeProcess:
    """A Dask worker's long-lived range process (child_main --serve), with GNU Radio and
    the module loaded once and the client's FFTW wisdom in its own HOME (no planning, no
    lock on the user's wisdom file). It dies with the worker (PR_SET_PDEATHSIG). It
    serves batch after batch: a task whose wisdom holds entries the process was not
    given yet writes them to its wisdom file first (GNU Radio reads that file before
    each plan, and FFTW adds what it reads to what it holds). A new one is started after
    a crash, after MAX_TASKS tasks and when its anonymous memory passes MAX_ANON_MB (GNU
    Radio 3.10 leaks a little per flowgraph, gnuradio#7706)."""

    MAX_TASKS = 256
    MAX_ANON_MB = 1024

    def __init__(self, wisdom):
        self.given, self.tasks = set(), 0  # the wisdom entries written to its file
        self.lock = threading.Lock()  # one request at a time (a reply is the next "done")
        self.home = tempfile.mkdtemp(prefix="streamproc-worker-")
        self.give_wisdom(wisdom)
        # GNU Radio's own settings stay the worker's: its config, and the buffer factory
        # it tested once (~/.gnuradio/prefs; testing it again costs a process ~0.1 s)
        user = os.path.join(os.path.expanduser("~"), ".gnuradio")
        try:
            os.makedirs(user, exist_ok=True)
            os.symlink(user, os.path.join(self.home, ".gnuradio"))
        except OSError:
            pass
        self.proc = subprocess.Popen([sys.executable, "-m", __name__, "--serve"], env=dict(os.environ, HOME=self.home),
                                     stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     text=True, bufsize=1)

    def give_wisdom(self, wisdom):
        """Writes the client's wisdom to the process's wisdom file when it holds entries
        not given before (FFTW writes its entries in hash order: compared as sets)."""
        entries = set(wisdom.split("\n")) if wisdom else set()
        if not entries <= self.given:
            with open(os.path.join(self.home, ".gr_fftw_wisdom"), "w") as f:
                f.write(wisdom)
            self.given = entries

    def usable(self):
        return (self.proc.poll() is None and self.tasks < self.MAX_TASKS
                and (status_mb("RssAnon", self.proc.pid) or 0.0) < self.MAX_ANON_MB)

    def run(self, spec, on_progress):
        """The range's result (a dict); an "error" one when the process ended."""
        with self.lock:
            self.give_wisdom(spec.get("wisdom", ""))
            return self._run(spec, on_progress)

    def _run(self, spec, on_progress):
        self.tasks += 1
        before = self.wisdom_entries()
        base = os.path.join(self.home, "task%d" % self.tasks)
        spec_path, result_path = base + ".spec.json", base + ".result.json"
        with open(spec_path, "w") as f:
            json.dump({k: v for k, v in spec.items() if k != "wisdom"}, f)
        tail = []
        try:
            self.proc.stdin.write("%s %s\n" % (spec_path, result_path))
            self.proc.stdin.flush()
            for line in self.proc.stderr:  # until "done", or the end of a crashed process
                if line.startswith("progress "):
                    on_progress(int(line.split()[1]))
                elif line.strip() == "done":
                    break
                elif line.strip():
                    tail = (tail + [line.strip()])[-5:]
        except (BrokenPipeError, OSError):
            pass
        try:
            with open(result_path) as f:
                res = json.load(f)
        except (OSError, ValueError):
            rc = self.proc.wait()
            res = {"error": "the range's process ended with status %d%s" % (rc, (": " + tail[-1]) if tail else "")}
        for p in (spec_path, result_path):
            if os.path.exists(p):
                os.unlink(p)
        res["process"] = self.proc.pid
        # did the range plan anything its wisdom file did not hold before?
        res["planned"] = self.wisdom_entries() - before != set()
        return res

    def wisdom_entries(self):
        """The entries of the process's wisdom file (FFTW writes them in hash order)."""
        try:
            with open(os.path.join(self.home, ".gr_fftw_wisdom")) as f:
                return set(f.read().split("\n"))
        except OSError:
            return set()

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.home, ignore_errors=True)


# the range processes of this worker, one per thread of it that runs tasks (a process
# dies with the thread that started it: PR_SET_PDEATHSIG)
_processes = {}
_processes_lock = threading.Lock()


def _close_processes():
    with _processes_lock:
        procs = list(_processes.values())
        _processes.clear()
    for p in procs:
        p.close()


atexit.register(_close_processes)


def _range_process(wisdom):
    me = threading.get_ident()
    with _processes_lock:
        proc = _processes.get(me)
    if proc is not None and proc.usable():
        return proc
    if proc is not None:
        proc.close()
    proc = RangeProcess(wisdom)
    with _processes_lock:
        _processes[me] = proc
    return proc


def range_task(spec, queue_name):
    """A Dask task: the range in this worker thread's range process (started on its
    first task and kept: no interpreter, import or planning per task); progress to the
    client's queue."""
    from distributed import Queue, get_worker
    started = time.time()
    queue = Queue(queue_name) if queue_name else None
    proc = _range_process(spec.get("wisdom", ""))

    def on_progress(n):
        if queue is not None:
            try:
                queue.put((spec["task"], n))
            except Exception:  # progress is best effort
                pass
    res = proc.run(spec, on_progress)
    res["worker"] = get_worker().address
    res["task"] = spec["task"]
    res["started"] = started
    return res


def worker_peak_rss_mb():
    """This Dask worker process's own peak RSS (its range processes report theirs)."""
    return peak_rss_mb()


if __name__ == "__main__":
    sys.exit(child_main(sys.argv[1:]))
