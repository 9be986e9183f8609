#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""The plan of a batch: the inputs (files, directories, globs), the ranges of each file
and the halo of each range's read (the rule: runners/batch/__init__.py), and the
positions of a range's events in the whole file."""

import dataclasses
import glob
import math
import os
import re

from ...core.chain import make_chain
from ...core.errors import UsageError
from ...core.events import number_text
from ...core.formats import EXTENSIONS, make_source, open_recording
from ...core.options import DetectOptions

# The range size when none is given (auto_chunk): a batch's bytes over its workers, so
# that each worker gets one long range (a range costs ~0.5 s of fixed work, its
# flowgraph's start, halo and result: docs/batch.md), within these bounds
MIN_CHUNK = 256 << 20
MAX_CHUNK = 4 << 30


def auto_chunk(total, workers):
    """Bytes per range for `total` bytes of samples on `workers` workers: total / workers
    (at least MIN_CHUNK); above MAX_CHUNK the least number of ranges per worker that
    keeps them under it, so that every worker gets as many."""
    workers = max(1, int(workers))
    per = -(-max(1, total) // workers)
    if per <= MIN_CHUNK:
        return MIN_CHUNK
    k = -(-per // MAX_CHUNK)
    return -(-per // k)


def is_recording_name(name):
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
                     if is_recording_name(n) and os.path.isfile(os.path.join(item, n))]
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
    D = options.decimation
    taps = options.filter_taps()
    ntaps = len(taps) if taps else 1
    W = options.window
    L = max(1, math.floor(options.floor_horizon / (8.0 * W) + 0.5)) * W  # the floor's sub-block
    # The chain, built here once: its FFT plans are made in this process (the client),
    # whose FFTW wisdom the tasks get, so that every range uses the same plans (the same
    # floats as one run in this process: docs/batch.md).
    chain = make_chain(is_complex, None, options)
    M = chain.fir.block_outputs() if chain.fir is not None else 1  # FFT blocks laid out from the stream's start
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


def settled(events, first, a, geo, merge_gap):
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


def shift(e, first, D, rate):
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


_POSITION = re.compile(r'"(start|end|peak_index|stream_start|stream_end)": (\d+)')
_SPAN = re.compile(r'"start": (\d+), "end": (\d+)')
_TIME = re.compile(r'"time": [^,}]+')
_STREAM_START = re.compile(r'"stream_start": (\d+)')


def line_span(line):
    """(start, end, truncated) of an event's JSON line as event_file_sink writes it."""
    m = _SPAN.search(line)
    return int(m.group(1)), int(m.group(2)), '"truncated": true' in line


def shift_line(line, first, D, rate):
    """shift() on an event's JSON line as event_file_sink writes it, as text: the line
    one run writes for the event (its values printed as the sink prints them), without
    parsing the line (a range's 10^5 events cost seconds as dicts)."""
    if first == 0:
        return line

    def moved(m):
        k = m.group(1)
        return '"%s": %d' % (k, int(m.group(2)) + (first // D if k.startswith("stream_") else first))
    line = _POSITION.sub(moved, line)
    if '"time": ' in line:
        start = int(_SPAN.search(line).group(1))
        m = _STREAM_START.search(line)
        ss = int(m.group(1)) if m else start
        r = rate / D
        t = float(ss) / r + (float(start) - float(ss * D)) / (r * float(D))
        line = _TIME.sub(lambda _: '"time": ' + number_text(t), line, count=1)
    return line


def open_sized(path, kind=None):
    """(the Recording at `path`, its number of samples); UsageError naming the problem."""
    rec = open_recording(path, kind)
    return rec, make_source(rec.path, rec.source_format).size()


def plan(paths, options=None, kind=None, chunk=None, ranges=None, workers=1, found=None):
    """The tasks of a batch: ([task spec], [(path, problem)]). chunk: bytes per range
    (default: auto_chunk of all the files' bytes on `workers`); ranges: cut every file
    into this many equal ranges instead, or at these samples. found: files on the
    workers' own disks, {path: (Recording, samples, hosts)} as the workers opened them
    (locate()): not opened here, and their tasks carry "hosts", where they can run."""
    options = options or DetectOptions()
    tasks, failed = [], []
    geometries = {}
    opened = []
    for index, path in enumerate(paths):
        if found is not None:
            opened.append((index, path) + tuple(found[path]))
            continue
        try:
            rec, n = open_sized(path, kind)
        except UsageError as e:
            failed.append((path, str(e)))
            continue
        opened.append((index, path, rec, n, None))
    if chunk is None:
        chunk = auto_chunk(sum(n * rec.itemsize for _, _, rec, n, _ in opened), workers)
    for index, path, rec, n, hosts in opened:
        opts, _ = options.for_recording(rec)  # bad options: an error for the whole batch
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
            if hosts is not None:
                tasks[-1]["hosts"] = hosts
    return tasks, failed
