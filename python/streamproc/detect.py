#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""Finding events in a recording: `detect_file()` for Python users and `streamproc
detect` on the command line, both on the detect_chain block."""

import dataclasses
import json
import math
import os
import sys
import threading
import time
from typing import List, Optional

from .errors import RunError, UsageError
from .formats import open_recording, source_chain, type_names


def _eng(text):
    """A number with an optional SI suffix (2.4M, 250k, 1e6), as GNU Radio's apps read
    rates and frequencies."""
    import argparse
    from gnuradio.eng_arg import eng_float
    try:
        return eng_float(text)
    except (argparse.ArgumentTypeError, ValueError):
        raise argparse.ArgumentTypeError("cannot read %r as a number (e.g. 2.4M, 250k, 1e6)" % text)


@dataclasses.dataclass
class DetectOptions:
    """The detection settings, declared once: detect_file(), the command line (its
    flags, help and defaults are made from these fields) and the benchmark use them."""

    rate: float = dataclasses.field(default=1.0, metadata=dict(
        flag="--rate", type=_eng, unit="Hz", help="sample rate of the recording (SigMF: from the metadata)"))
    lowpass: Optional[float] = dataclasses.field(default=None, metadata=dict(
        flag="--lowpass", type=_eng, unit="Hz", group="filter",
        help="low-pass FIR cutoff before detection (transition band cutoff/4)"))
    taps: Optional[List[float]] = dataclasses.field(default=None, metadata=dict(
        flag="--taps", group="filter", metavar="FILE", help="FIR taps (numbers) to apply before detection"))
    decimation: int = dataclasses.field(default=1, metadata=dict(
        flag="--decimation", type=int, group="filter", help="keep every D-th filter output"))
    window: int = dataclasses.field(default=64, metadata=dict(
        flag="--window", type=int, unit="samples after decimation", help="moving-average length of the power"))
    threshold_db: float = dataclasses.field(default=10.0, metadata=dict(
        flag="--threshold-db", type=float, unit="dB", help="open an event this far above the noise floor"))
    absolute_db: Optional[float] = dataclasses.field(default=None, metadata=dict(
        flag="--absolute-db", type=float, unit="dB of power, 10 log10 of mean |x|^2",
        help="open an event above this absolute level instead (the floor is still reported)"))
    hysteresis_db: float = dataclasses.field(default=3.0, metadata=dict(
        flag="--hysteresis-db", type=float, unit="dB",
        help="close an event this far below the open level"))
    floor_db: Optional[float] = dataclasses.field(default=None, metadata=dict(
        flag="--floor-db", type=float, unit="dB of power",
        help="use this noise floor instead of tracking it"))
    floor_horizon: int = dataclasses.field(default=131072, metadata=dict(
        flag="--floor-horizon", type=int, unit="samples after decimation",
        help="the tracked floor looks back this far; longer bursts become the floor"))
    min_duration: int = dataclasses.field(default=0, metadata=dict(
        flag="--min-duration", type=int, unit="input samples", help="drop shorter events"))
    max_duration: int = dataclasses.field(default=0, metadata=dict(
        flag="--max-duration", type=int, unit="input samples",
        help="cut longer events there (flagged truncated; 0 = no limit)"))
    merge_gap: int = dataclasses.field(default=0, metadata=dict(
        flag="--merge-gap", type=int, unit="input samples", help="merge events closer than this"))

    # limits: what the blocks accept and what fits in memory
    MAX_WINDOW = 1 << 24

    def validate(self):
        if not (self.rate > 0 and math.isfinite(self.rate)):
            raise UsageError("--rate must be a positive number of Hz, got %g" % self.rate)
        if self.decimation < 1:
            raise UsageError("--decimation must be at least 1, got %d" % self.decimation)
        if self.lowpass is not None and not 0 < self.lowpass < self.rate / 2:
            raise UsageError("--lowpass %g must be between 0 and half the rate (%g Hz)"
                             % (self.lowpass, self.rate / 2))
        if self.decimation != 1 and self.lowpass is None and self.taps is None:
            raise UsageError("--decimation needs --lowpass or --taps (an anti-alias filter)")
        if not 1 <= self.window <= self.MAX_WINDOW:
            raise UsageError("--window must be between 1 and %d samples, got %d" % (self.MAX_WINDOW, self.window))
        if not math.isfinite(self.threshold_db):
            raise UsageError("--threshold-db must be a finite number of dB")
        for name in ("absolute_db", "floor_db"):
            v = getattr(self, name)
            if v is not None and not math.isfinite(v):
                raise UsageError("--%s must be a finite number of dB" % name.replace("_", "-"))
        if not (self.hysteresis_db >= 0 and math.isfinite(self.hysteresis_db)):
            raise UsageError("--hysteresis-db must be a finite number >= 0 dB, got %g" % self.hysteresis_db)
        if self.absolute_db is None and self.hysteresis_db > self.threshold_db:
            raise UsageError("--hysteresis-db %g is above --threshold-db %g (events would close below the floor)"
                             % (self.hysteresis_db, self.threshold_db))
        if not 1 <= self.floor_horizon < 1 << 40:
            raise UsageError("--floor-horizon must be between 1 and 2^40 samples, got %d" % self.floor_horizon)
        for name in ("min_duration", "merge_gap", "max_duration"):
            v = getattr(self, name)
            if not 0 <= v < 1 << 62:
                raise UsageError("--%s must be between 0 and 2^62 samples, got %d" % (name.replace("_", "-"), v))
        if self.taps is not None and not all(math.isfinite(t) for t in self.taps):
            raise UsageError("the taps must be finite numbers")

    def filter_taps(self):
        """The FIR taps the options ask for, or None."""
        if self.taps is not None:
            return list(self.taps)
        if self.lowpass is not None:
            from gnuradio.filter import firdes
            return list(firdes.low_pass(1.0, self.rate, self.lowpass, self.lowpass / 4))
        return None


def read_taps(path):
    """Taps from a text file: numbers separated by spaces, commas or lines."""
    try:
        with open(path, "rb") as f:
            text = f.read().decode("utf-8")
    except OSError as e:
        raise UsageError("cannot read taps file %s: %s" % (path, e.strerror))
    except UnicodeDecodeError:
        raise UsageError("taps file %s is not text (numbers separated by spaces, commas or lines)" % path)
    try:
        taps = [float(t) for t in text.replace(",", " ").split()]
    except ValueError:
        raise UsageError("taps file %s must hold numbers separated by spaces, commas or lines" % path)
    if not taps:
        raise UsageError("taps file %s holds no taps" % path)
    return taps


def peak_rss_mb():
    """This process's peak resident memory (VmHWM, which counts mapped file pages), MB."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _quiet_min_output_buffer(block, items):
    # GNU Radio 3.10 logs set_min_output_buffer() at info level; a user does not need it
    from gnuradio import gr
    logging = gr.logging()
    level = logging.default_level()
    logging.set_default_level(gr.log_levels.warn)
    try:
        block.set_min_output_buffer(items)
    finally:
        logging.set_default_level(level)


def make_chain(is_complex, lsb, options, tag_edges=False):
    """The detect_chain `options` ask for: filter, detector, floor settings; for integer
    samples (`lsb`: one step after scaling) a floor of at least one LSB."""
    from .detect_chain import detect_chain

    taps = options.filter_taps()
    absolute = options.absolute_db is not None
    chain = detect_chain(is_complex, options.rate, taps, options.decimation, options.window,
                         options.absolute_db if absolute else options.threshold_db,
                         options.min_duration, options.merge_gap, relative=not absolute,
                         hysteresis_db=options.hysteresis_db,
                         max_duration=-(-options.max_duration // options.decimation), tag_edges=tag_edges)
    det = chain.detector
    det.set_floor_horizon(options.floor_horizon)
    if options.floor_db is not None:
        det.set_floor_mode(True, options.floor_db)
    if lsb is not None:
        # the floor is never below one LSB of the capture (after the filter's noise gain)
        gain = 1.0 if taps is None else sum(t * t for t in taps)
        det.set_min_floor(lsb ** 2 * gain)
    return chain


def build_flowgraph(rec, options, events=None, events_format=None, overwrite=False, tag_edges=False,
                    offset=0, length=0):
    """mmap_file_source -> detect_chain [-> event_file_sink]; returns (top block,
    source, chain, sink or None). Without an events file nothing keeps the events.
    `events` may be a path or "/dev/fd/N". tag_edges: the chain gets its tagged output
    (for a burst_extractor the caller connects). offset, length: read only these
    samples (a batch range; positions are then relative to offset)."""
    from gnuradio import gr

    from . import streamproc_python as blocks

    tb = gr.top_block("streamproc_detect")
    src, conv = source_chain(tb, rec, offset, length)
    chain = make_chain(rec.is_complex, rec.lsb, options, tag_edges)
    if options.filter_taps() is not None and options.decimation == 1:
        # A full-rate FIR bounds this chain: the source's 8 MiB buffer (for decimating
        # filters and the detector alone) gains nothing here and costs 7 MB of RSS.
        _quiet_min_output_buffer(src, max(1, (1 << 20) // (8 if rec.is_complex else 4)))
    tb.connect(conv, chain)
    if events:
        fmt = events_format or events_format_of(events)
        try:
            sink = blocks.event_file_sink(events, fmt, overwrite)
            if fmt == "sigmf":
                sink.set_sigmf_template(json.dumps(sigmf_template(rec, options.rate, events)))
        except (RuntimeError, ValueError) as e:
            raise UsageError(str(e).strip().splitlines()[-1])
        tb.msg_connect(chain, "events", sink, "events")
        # our sink is the only receiver: events as compact records (3-4x the events/s
        # in a flood; the same lines)
        chain.detector.set_compact_messages(True)
    else:
        sink = None
    return tb, src, chain, sink


def check_events_path(events, rec, overwrite):
    """Refuses an events file that is the recording itself (or a link to it), and one
    that exists unless `overwrite`: a user's file is never overwritten unasked. rec None:
    no recording to compare with (a live input)."""
    if not events or events.startswith("/dev/fd/"):
        return
    for data in {rec.path, rec.data_path} if rec is not None else ():
        try:
            if os.path.exists(events) and os.path.samefile(events, data):
                raise UsageError("--events %s is the recording itself (%s): refusing to overwrite it"
                                 % (events, data))
        except OSError:
            pass
    if os.path.exists(events) and not overwrite and os.path.isfile(events):
        raise UsageError("--events %s exists: pass --overwrite to replace it" % events)
    parent = os.path.dirname(os.path.abspath(events))
    if not os.path.isdir(parent):
        raise UsageError("--events %s: directory %s does not exist" % (events, parent))


def events_format_of(path):
    """jsonl, csv or sigmf, from the events file's name."""
    low = path.lower()
    return "csv" if low.endswith(".csv") else "sigmf" if low.endswith(".sigmf-meta") else "jsonl"


def sigmf_template(rec, rate, events_path):
    """The metadata an events .sigmf-meta carries: the input recording's (SigMF input)
    or one made for a raw file, with core:dataset naming the original samples (relative
    to the events file: nothing is copied)."""
    out_dir = os.path.dirname(os.path.abspath(events_path))
    if rec.metadata:
        doc = json.loads(rec.metadata)  # its own annotations are kept
    else:
        doc = {"global": {"core:datatype": rec.kind, "core:version": "1.0.0"},
               "captures": [{"core:sample_start": 0}]}
    g = doc.setdefault("global", {})
    g["core:sample_rate"] = float(rate)
    if rec.path.endswith(".sigmf"):
        g.pop("core:dataset", None)  # an archive member cannot be named as a dataset
    else:
        g["core:dataset"] = os.path.relpath(os.path.abspath(rec.data_path), out_dir)
    g.setdefault("core:description", "events found by gr-streamproc in %s" % os.path.basename(rec.path))
    return doc


class _stop_on_signals:
    """While the flowgraph runs: SIGINT and SIGTERM stop it cleanly (events flushed,
    report made) instead of killing the interpreter under running threads. Only in the
    main thread (signal handlers cannot be set elsewhere)."""

    def __init__(self):
        self.received = None

    def __enter__(self):
        import signal
        self.saved = {}
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self.saved[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum, frame):
        import signal
        self.received = signal.Signals(signum).name

    def __exit__(self, *exc):
        import signal
        for sig, handler in self.saved.items():
            signal.signal(sig, handler)


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
    options = options or DetectOptions()
    rec = open_recording(path, kind)
    warnings = []
    if rec.rate is not None:
        if options.rate == DetectOptions.rate:
            options = dataclasses.replace(options, rate=rec.rate)
        elif options.rate != rec.rate:
            warnings.append("--rate %g overrides core:sample_rate %g of %s" % (options.rate, rec.rate, path))
    options.validate()
    check_events_path(events, rec, overwrite)
    tb, src, chain, sink = build_flowgraph(rec, options, events, events_format, overwrite)
    size = src.size() * rec.itemsize  # the samples' bytes in the file
    dt, interrupted, failed = run_flowgraph(tb, src, rec, progress, [sink])
    if failed:
        raise RunError("%s; the events file holds whole events only" % failed)
    det = chain.detector
    peak = peak_rss_mb()
    return {
        "file": rec.path, "type": rec.kind, "type_from": rec.how, "rate": options.rate, "bytes": size,
        "samples": src.size(), "events": det.events_found(), "events_dropped": det.events_dropped(),
        "events_too_short": det.events_too_short(), "events_lost": det.events_lost(),
        "nonfinite_samples": det.nonfinite_samples(),
        "noise_floor": det.noise_floor(), "seconds": dt, "mb_per_s": size / dt / 1e6,
        "msamples_per_s": src.size() / dt / 1e6, "peak_rss_mb": peak, "events_file": events,
        "positions": "input samples, filter delay removed", "warnings": warnings,
        "interrupted": interrupted, "samples_read": src.position(),
        # for benchmarks: how the scheduler called the detector, file size per peak RSS
        "work_calls": det.work_calls(), "memory_efficiency": size / (peak * 1024 * 1024),
    }


def run_flowgraph(tb, src, rec, progress, sinks):
    """Runs the flowgraph to its end, calling progress(bytes_done, bytes_total) about 5
    times a second; SIGINT/SIGTERM or a sink's error() stop it cleanly (the blocks'
    stop(): sinks flush and close). Returns (seconds, the signal's name or None, the
    first sink error or "")."""
    size = src.size() * rec.itemsize
    sinks = [s for s in sinks if s is not None]

    def failure():
        return next((e for e in (s.error() for s in sinks) if e), "")

    t0 = time.perf_counter()
    failed = ""
    with _stop_on_signals() as signals:
        tb.start()
        done = threading.Event()
        threading.Thread(target=lambda: (tb.wait(), done.set()), daemon=True).start()
        while not done.wait(0.2):
            if progress is not None:
                progress(min(size, src.position() * rec.itemsize), size)
            failed = failure()
            if signals.received or failed:
                tb.stop()
                done.wait(30)
                break
    dt = time.perf_counter() - t0
    failed = failed or failure()
    if progress is not None and not signals.received and not failed:
        progress(size, size)
    return dt, signals.received, failed


def report_head(rep, as_json, out, covered):
    """The JSON report (True: done), or the INTERRUPTED line of an interrupted run."""
    if as_json:
        print(json.dumps(rep, indent=1), file=out)
        return True
    if rep.get("interrupted"):
        print("INTERRUPTED by %s after %d of %d samples: %s cover what was read"
              % (rep["interrupted"], rep["samples_read"], rep["samples"], covered), file=out)
    return False


def print_report(rep, as_json, out=None):
    out = out or sys.stdout
    if report_head(rep, as_json, out, "the report and the events file"):
        return
    print("%s: %d samples (%s from %s, %.1f MB), %d events%s in %.2f s: %.0f MB/s, %.1f MS/s, "
          "peak RSS %.1f MB" % (
              rep["file"], rep["samples"], rep["type"], rep["type_from"], rep["bytes"] / 1e6, rep["events"],
              " -> " + rep["events_file"] if rep["events_file"] else "", rep["seconds"], rep["mb_per_s"],
              rep["msamples_per_s"], rep["peak_rss_mb"]), file=out)


# ------------------------------------------------------------------ command line
def add_options(parser):
    """The DetectOptions flags, in argument groups, with units and defaults."""
    groups = {None: parser.add_argument_group("detection"),
              "filter": parser.add_argument_group("filter (before detection)")}
    exclusive = groups["filter"].add_mutually_exclusive_group()
    for f in dataclasses.fields(DetectOptions):
        m = f.metadata
        unit = " (%s)" % m["unit"] if "unit" in m else ""
        default = "" if f.default is None else "; default %(default)s"
        kw = dict(dest=f.name, default=f.default, help=m["help"] + unit + default)
        if "type" in m:
            kw["type"] = m["type"]
        if "metavar" in m:
            kw["metavar"] = m["metavar"]
        target = exclusive if f.name in ("lowpass", "taps") else groups[m.get("group")]
        target.add_argument(m["flag"], **kw)


def options_from_args(args):
    values = {f.name: getattr(args, f.name) for f in dataclasses.fields(DetectOptions)}
    if values["taps"] is not None:
        values["taps"] = read_taps(values["taps"])
    return DetectOptions(**values)


def one_flowgraph(args):
    """One file, no cluster asked for: one flowgraph. Several files (directories, globs),
    --scheduler, or --jobs/--chunk with a file larger than the chunk: a Dask batch. One
    flowgraph already runs its blocks on every core of a small machine: on the 2-core
    project machine it is ~3x a local batch of the same file's ranges (docs/batch.md)."""
    from .batch import DEFAULT_CHUNK, parse_size
    if args.scheduler or len(args.files) != 1:
        return False
    path = args.files[0]
    if os.path.isdir(path) or (any(c in path for c in "*?[") and not os.path.exists(path)):
        return False
    if args.jobs is None and args.chunk is None:
        return True
    try:
        with stdout_to_stderr():  # the source's warnings, if any, are GNU Radio log lines
            rec = open_recording(path, args.type)
        return os.path.getsize(rec.data_path) <= parse_size(args.chunk or DEFAULT_CHUNK)
    except (UsageError, OSError):
        return True  # detect_file says what is wrong


def live_command(args, options, extract=None):
    """A live input (SDR, standard input, a pipe, a followed file): run until its end,
    --duration, Ctrl-C or SIGTERM; exit status 0 unless writing failed."""
    from . import live
    live.check_live_args(args)
    to_stdout = args.events == "-"
    with stdout_to_stderr() as redirect:
        if to_stdout:
            args.events = "/dev/fd/%d" % redirect.saved
        rep = live.run_live(args, options, extract)
    if to_stdout:
        rep["events_file"] = "-"
    live.print_report(rep, args.json, sys.stderr if to_stdout else sys.stdout)
    return 1 if rep["error"] else 0


def route(args):
    """Where a detect/extract command line goes: "live", "batch" or "one" (one
    flowgraph over args.file); bad combinations are usage errors."""
    from .live import is_live
    if is_live(args):
        return "live"
    if not args.files:
        raise UsageError("give a recording (or - for standard input, --rtl-tcp HOST:PORT, --soapy ARGS)")
    if args.jobs is not None and args.jobs < 1:
        raise UsageError("--jobs must be at least 1, got %d" % args.jobs)
    if not one_flowgraph(args):
        return "batch"
    args.file = args.files[0]
    return "one"


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


def detect_command(args):
    options = options_from_args(args)
    way = route(args)
    if way == "live":
        return live_command(args, options)
    if way == "batch":
        from .batch import batch_command
        return batch_command(args, options)
    progress = progress_bar(args, "detect")
    to_stdout = args.events == "-"
    with stdout_to_stderr() as redirect:
        # "-": JSON lines on the real standard output (the report goes to stderr)
        events = "/dev/fd/%d" % redirect.saved if to_stdout else args.events
        fmt = "jsonl" if to_stdout else None
        rep = detect_file(args.file, options, args.type, events, fmt, progress=progress,
                          overwrite=args.overwrite)
    if progress is not None:
        progress.close()
    for w in rep["warnings"]:
        print("streamproc: warning: %s" % w, file=sys.stderr)
    out = sys.stderr if to_stdout else sys.stdout
    if to_stdout:
        rep["events_file"] = "-"
    if not args.json:
        for key in ("work_calls", "memory_efficiency"):
            rep.pop(key)
    print_report(rep, args.json, out)
    if rep["interrupted"]:
        return 130 if rep["interrupted"] == "SIGINT" else 143
    return 0


class stdout_to_stderr:
    """GNU Radio's logger writes to stdout: send it to stderr while the flowgraph runs,
    so that stdout carries only the report (--json stays machine-readable)."""

    def __enter__(self):
        sys.stdout.flush()
        self.saved = os.dup(1)
        os.dup2(2, 1)
        return self

    def __exit__(self, *exc):
        sys.stdout.flush()
        os.dup2(self.saved, 1)
        os.close(self.saved)


def add_batch_options(parser):
    from .batch import DEFAULT_CHUNK
    b = parser.add_argument_group("batch (many files, ranges of huge ones; docs/batch.md)")
    b.add_argument("--chunk", metavar="SIZE",
                   help="bytes of samples per task (k, M, G); default %dM" % (DEFAULT_CHUNK >> 20))
    b.add_argument("--jobs", type=int, metavar="N",
                   help="worker processes of the local Dask cluster; default: the number of cores")
    b.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                   help="run the tasks on this Dask scheduler's workers (files on shared storage, paths "
                   "as given)")


def add_parser(sub):
    d = sub.add_parser("detect", help="find the events (bursts) in a recording",
                       description="Find the events in a recording: mmap_file_source -> [low-pass FIR] -> "
                       "event_detector. Event positions are input samples of the recording, filter delay "
                       "removed.")
    d.add_argument("files", nargs="*", metavar="FILE",
                   help="recordings: raw samples or SigMF (.sigmf-meta/.sigmf-data), directories (their "
                   "recordings) or globs; several, or one larger than --chunk, run as Dask tasks; - for "
                   "standard input or a named pipe (raw samples of --type)")
    d.add_argument("--type", metavar="FORMAT",
                   help="sample format: %s; default: told by the file name (.f32 .cf32 .cs16 .cs8 .cu8, "
                   "SigMF .sigmf-meta/.sigmf-data/.sigmf), which the report says" % type_names())
    add_options(d)
    add_batch_options(d)
    from .live import add_live_options
    add_live_options(d)
    o = d.add_argument_group("output")
    o.add_argument("--events", metavar="OUT",
                   help="write the events: .jsonl, .csv, or .sigmf-meta (SigMF annotations with the "
                   "recording's metadata, pointing at its data); - for JSON lines on standard output "
                   "(the report then goes to stderr); default: count only")
    o.add_argument("--overwrite", action="store_true", help="replace an existing events file")
    o.add_argument("--json", action="store_true", help="print the report as JSON (with scheduler figures)")
    d.set_defaults(func=detect_command)
