#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""Live inputs of `streamproc detect`/`extract`: an rtl_tcp server (gr-osmosdr's
client), any SoapySDR device (GNU Radio's soapy source), standard input or a named pipe
(raw samples of --type), a file still being written (--follow). Events get wall-clock
times (the source's rx_time tags, else the host clock at the first sample plus the
sample count) and an ISO 8601 "utc"; a status line every few seconds on a terminal;
how far the input falls behind real time is measured and reported (docs/live.md)."""

import datetime
import math
import os
import resource
import stat
import sys
import threading
import time

import numpy as np
import pmt
from gnuradio import gr

from .errors import UsageError
from .formats import DATATYPE, canonical

RX_TIME = pmt.intern("rx_time")
TIME, UTC = pmt.intern("time"), pmt.intern("utc")
ABSOLUTE = 1e9  # a "time" above this many seconds is since 1970 (rx_time), not since the start
LATE_S = 0.25  # behind real time by more than this: the user is told (buffers hold ~0.1 s)


def utc_text(seconds):
    """ISO 8601 UTC with microseconds: 2026-11-28T14:40:23.123456Z."""
    t = datetime.datetime.fromtimestamp(seconds, tz=datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class wallclock(gr.sync_block):
    """Pass-through that gives a stream (in a GRC flowgraph) a time base: when the first
    items arrive and no rx_time tag came with them, tags item 0 with rx_time = the host
    clock minus the items waiting (their arrival); t0 keeps that time. `streamproc
    detect` does the same without a Python block in the sample path (Timebase)."""

    def __init__(self, is_complex, rate):
        dt = np.complex64 if is_complex else np.float32
        gr.sync_block.__init__(self, "wallclock", [dt], [dt])
        self.rate = float(rate)
        self.t0 = None  # host clock (time.time()) of item 0

    def work(self, input_items, output_items):
        n = len(output_items[0])
        output_items[0][:] = input_items[0][:n]
        if self.t0 is None:
            self.t0 = time.time() - len(input_items[0]) / self.rate
            if not any(pmt.eq(t.key, RX_TIME) for t in self.get_tags_in_window(0, 0, n)):
                secs = math.floor(self.t0)
                self.add_item_tag(0, self.nitems_written(0), RX_TIME,
                                  pmt.make_tuple(pmt.from_uint64(int(secs)), pmt.from_double(self.t0 - secs)))
        return n


class add_utc(gr.basic_block):
    """Event dicts in, the same with "utc" (ISO 8601 of their absolute "time") out.
    base: None, or a function giving the host clock of the stream's first sample: a
    "time" that is not absolute yet (seconds from the stream's start: no rx_time tag came
    from the source) is moved by it first."""

    def __init__(self, base=None):
        gr.basic_block.__init__(self, "add_utc", None, None)
        self.base = base
        self.message_port_register_in(pmt.intern("in"))
        self.message_port_register_out(pmt.intern("out"))
        self.set_msg_handler(pmt.intern("in"), self.handle)

    def handle(self, msg):
        if pmt.is_dict(msg):
            t = pmt.dict_ref(msg, TIME, pmt.PMT_NIL)
            if pmt.is_real(t) or pmt.is_integer(t):
                t = pmt.to_double(t)
                if self.base is not None and t < ABSOLUTE:
                    t += self.base()
                    msg = pmt.dict_add(msg, TIME, pmt.from_double(t))
                msg = pmt.dict_add(msg, UTC, pmt.intern(utc_text(t)))
        self.message_port_pub(pmt.intern("out"), msg)


class Timebase:
    """The time base of a live run without a Python block in the sample path: a
    blocks.head behind the source (which also ends the stream on request, so that the
    blocks behind flush) is polled for its first items (host clock of item 0 = now minus
    the items over the rate) and for the count."""

    def __init__(self, head, rate):
        self.head, self.rate = head, float(rate)
        self.t0 = self.m0 = None
        self.lock = threading.Lock()
        self.done = threading.Event()

    def start(self):
        threading.Thread(target=self._first, daemon=True).start()

    def _first(self):
        # polled every ms until the first samples come or finish() is called
        while not self.done.wait(0.001):
            n = self.head.nitems_written(0)
            if n > 0:
                now, mono = time.time(), time.monotonic()
                with self.lock:
                    self.t0, self.m0 = now - n / self.rate, mono - n / self.rate
                return

    def base(self):
        with self.lock:
            return self.t0 if self.t0 is not None else time.time()

    def finish(self):
        """Ends the stream where it is: the head passes nothing more and says done."""
        self.head.set_length(self.head.nitems_written(0))
        self.done.set()

    @property
    def items(self):
        return self.head.nitems_written(0)

    def status(self):
        """(items, seconds since item 0, samples behind real time)."""
        items = self.head.nitems_written(0)
        with self.lock:
            if self.m0 is None:
                return items, 0.0, 0.0
            elapsed = time.monotonic() - self.m0
        return items, elapsed, elapsed * self.rate - items


class raw_samples(gr.sync_block):
    """Raw sample bytes (one item = one sample of `kind`, a SigMF datatype) to float or
    complex, scaled as mmap_file_source does (integers / 2^(b-1), unsigned centred), so a
    pipe and the file give the same floats."""

    def __init__(self, kind):
        m = DATATYPE.match(kind)
        self.is_complex = m.group(1) == "c"
        base, bits = m.group(2)[0], int(m.group(2)[1:])
        order = ">" if m.group(3) == "_be" else "<"
        code = {"f": "f", "i": "i", "u": "u"}[base]
        self.src = np.dtype("%s%s%d" % (order, code, bits // 8))
        self.offset = 2.0 ** (bits - 1) - 0.5 if base == "u" else 0.0
        self.scale = 1.0 if base == "f" else 2.0 ** (1 - bits)
        size = self.src.itemsize * (2 if self.is_complex else 1)
        gr.sync_block.__init__(self, "raw_samples", [(np.uint8, size)],
                               [np.complex64 if self.is_complex else np.float32])

    def work(self, input_items, output_items):
        n = len(output_items[0])
        raw = np.ascontiguousarray(input_items[0][:n]).view(self.src).reshape(-1)
        x = raw.astype(np.float32 if self.src.itemsize <= 4 else np.float64)
        if self.offset:
            x = x - np.float32(self.offset)
        if self.scale != 1.0:
            x = x * np.float32(self.scale)
        x = x.astype(np.float32)
        output_items[0][:] = x.view(np.complex64) if self.is_complex else x
        return n


def is_pipe(path):
    try:
        return path == "-" or stat.S_ISFIFO(os.stat(path).st_mode) or stat.S_ISCHR(os.stat(path).st_mode)
    except OSError:
        return False


def _rtl_tcp_address(text):
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise UsageError("--rtl-tcp %r: give HOST:PORT (e.g. 127.0.0.1:1234)" % text)
    return host, int(port)


class LiveInput:
    """What a live input is: the block giving float/complex samples, whether they are
    complex, the format for the report, and (for SDRs) whether real time applies."""

    def __init__(self, block, is_complex, kind, what, realtime, lsb=None, source=None):
        self.block, self.is_complex, self.kind, self.what = block, is_complex, kind, what
        self.realtime, self.lsb, self.source = realtime, lsb, source
        self.relay = None


def open_live(tb, args, options):
    """The live input the arguments ask for (None when the input is a plain file)."""
    if args.rtl_tcp:
        return _rtl_tcp(args, options)
    if args.soapy is not None:
        return _soapy(args, options)
    path = args.files[0] if args.files else None
    if path is not None and is_pipe(path):
        return _pipe(tb, path, args)
    if args.follow:
        return _follow(path, args)
    return None


def _sdr_checks(args, options, flag):
    if options.rate == 1.0:
        raise UsageError("%s needs --rate (the sample rate to command, e.g. 2.4M)" % flag)
    if args.freq is None:
        raise UsageError("%s needs --freq (the centre frequency, e.g. 433.92M)" % flag)


def _rtl_tcp(args, options):
    _sdr_checks(args, options, "--rtl-tcp")
    host, port = _rtl_tcp_address(args.rtl_tcp)
    import socket
    try:  # gr-osmosdr's client waits on a refused connection: say so at once
        socket.create_connection((host, port), timeout=5).close()
    except OSError as e:
        raise UsageError("--rtl-tcp %s: cannot connect (%s); is rtl_tcp running there?" % (args.rtl_tcp, e))
    try:
        import osmosdr
    except ImportError:
        raise UsageError("--rtl-tcp needs gr-osmosdr (apt-get install gr-osmosdr)")
    try:
        src = osmosdr.source("rtl_tcp=%s:%d" % (host, port))
    except RuntimeError as e:
        raise UsageError("--rtl-tcp %s: %s" % (args.rtl_tcp, str(e).strip() or "gr-osmosdr cannot open it"))
    src.set_sample_rate(options.rate)
    src.set_center_freq(args.freq)
    src.set_freq_corr(args.ppm)
    if args.gain is None:
        src.set_gain_mode(True)
    else:
        src.set_gain_mode(False)
        src.set_gain(args.gain)
    return LiveInput(src, True, "cu8", "rtl_tcp %s:%d" % (host, port), True, lsb=1.0 / 128, source=src)


def _soapy(args, options):
    _sdr_checks(args, options, "--soapy")
    try:
        from gnuradio import soapy
    except ImportError:
        raise UsageError("--soapy needs GNU Radio's soapy module (apt-get install gnuradio)")
    dev = args.soapy if args.soapy.startswith("driver=") or "=" in args.soapy else "driver=" + args.soapy
    try:
        src = soapy.source(dev, "fc32", 1, "", "", [""], [""])
    except (RuntimeError, ValueError) as e:
        raise UsageError("--soapy %r: %s (is its SoapySDR module installed? SoapySDRUtil --find)"
                         % (args.soapy, str(e).strip().splitlines()[-1] if str(e).strip() else "no such device"))
    src.set_sample_rate(0, options.rate)
    src.set_frequency(0, args.freq)
    if args.gain is None:
        src.set_gain_mode(0, True)
    else:
        src.set_gain_mode(0, False)
        src.set_gain(0, args.gain)
    return LiveInput(src, True, "cf32", "SoapySDR %s" % dev, True, source=src)


class Relay:
    """Copies a stream (standard input, a named pipe) into a pipe of ours in a thread,
    waiting on the input with a timeout: blocks.file_descriptor_source reads our end and
    ends when we close it, at the input's end or at close() (a read() blocked on an idle
    input would keep the flowgraph from stopping)."""

    def __init__(self, fd):
        self.fd = fd
        self.read_end, self.write_end = os.pipe()
        self.closing = threading.Event()
        self.bytes = 0
        self.thread = threading.Thread(target=self._copy, daemon=True)
        self.thread.start()

    def _copy(self):
        import select
        try:
            while not self.closing.is_set():
                r, _, _ = select.select([self.fd], [], [], 0.1)
                if not r:
                    continue
                data = os.read(self.fd, 1 << 20)
                if not data:
                    break
                view = memoryview(data)
                while view and not self.closing.is_set():
                    _, w, _ = select.select([], [self.write_end], [], 0.1)
                    if w:
                        k = os.write(self.write_end, view)
                        view = view[k:]
                        self.bytes += k
        except OSError:
            pass
        finally:
            os.close(self.write_end)

    def close(self):
        self.closing.set()
        self.thread.join(5)


def _pipe(tb, path, args):
    if not args.type:
        name = "standard input" if path == "-" else path
        raise UsageError("%s is a stream: give --type (e.g. cu8, ci16, cf32)" % name)
    kind = canonical(args.type)
    conv = raw_samples(kind)
    size = conv.src.itemsize * (2 if conv.is_complex else 1)
    if path == "-":
        fd = 0
    else:
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError as e:
            raise UsageError("cannot open %s: %s" % (path, e.strerror))
    from gnuradio import blocks
    relay = Relay(fd)
    src = blocks.file_descriptor_source(size, relay.read_end, False)
    tb.connect(src, conv)
    m = DATATYPE.match(kind)
    lsb = None if m.group(2).startswith("f") else 2.0 ** (1 - int(m.group(2)[1:]))
    inp = LiveInput(conv, conv.is_complex, kind, "standard input" if path == "-" else path, False, lsb=lsb)
    inp.relay = relay
    return inp


def _follow(path, args):
    from .formats import make_source, open_recording
    rec = open_recording(path, args.type)
    src = make_source(rec.path, rec.kind if not rec.is_sigmf or rec.how.startswith("--type") else None)
    src.set_follow(True)
    src.set_follow_timeout(args.follow_timeout or 0.0)
    return LiveInput(src, rec.is_complex, rec.kind, "%s (followed)" % rec.path, False, lsb=rec.lsb, source=src)


class Status:
    """The status line of a live run: input rate, events, samples behind real time,
    CPU % of one core; printed every `every` seconds (0: never)."""

    def __init__(self, clock, det, every, out=sys.stderr):
        self.clock, self.det, self.every, self.out = clock, det, every, out
        self.last = time.monotonic()
        self.last_items = 0
        self.last_cpu = self._cpu()
        self.cpu_start, self.t_start = self.last_cpu, self.last
        self.worst_behind = 0.0

    @staticmethod
    def _cpu():
        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime

    def poll(self, realtime):
        items, elapsed, behind = self.clock.status()
        if realtime:
            self.worst_behind = max(self.worst_behind, behind)
        now = time.monotonic()
        if not self.every or now - self.last < self.every:
            return
        cpu = self._cpu()
        rate = (items - self.last_items) / (now - self.last)
        line = "live %6.1f s: %.2f MS/s, %d samples, %d events" % (elapsed, rate / 1e6, items, self.det.events_found())
        if realtime:
            line += ", behind real time %d samples (%.2f s)" % (max(0, behind), max(0.0, behind) / self.clock.rate)
        line += ", CPU %.0f %%" % (100.0 * (cpu - self.last_cpu) / (now - self.last))
        print(line, file=self.out, flush=True)
        self.last, self.last_items, self.last_cpu = now, items, cpu

    def cpu_percent(self):
        return 100.0 * (self._cpu() - self.cpu_start) / max(1e-9, time.monotonic() - self.t_start)


# ------------------------------------------------------------------ the run
def run_live(args, options, extract=None):
    """detect (or, with `extract` = dict of extract's settings, extract) on a live input;
    returns the report. Ends at the end of the input, after --duration seconds, on
    SIGINT/SIGTERM (events flushed) or when writing fails."""
    from . import streamproc_python as blocks
    from .detect import _stop_on_signals, check_events_path, events_format_of, make_chain, peak_rss_mb

    options.validate()
    tb = gr.top_block("streamproc_live")
    inp = open_live(tb, args, options)
    from gnuradio import blocks as gr_blocks
    head = gr_blocks.head(8 if inp.is_complex else 4, 1 << 62)
    clock = Timebase(head, options.rate)
    tb.connect(inp.block, head)
    chain = make_chain(inp.is_complex, inp.lsb, options, tag_edges=extract is not None)
    tb.connect(head, chain)
    det = chain.detector
    sinks = []
    utc = add_utc(clock.base)
    tb.msg_connect(chain, "events", utc, "in")
    events = args.events
    if events:
        fmt = "jsonl" if events.startswith("/dev/fd/") else events_format_of(events)
        if fmt == "sigmf":
            raise UsageError("--events %s: a live input has no recording to annotate; give .jsonl or .csv" % events)
        check_events_path(events, None, args.overwrite)
        try:
            sink = blocks.event_file_sink(events, fmt, args.overwrite)
        except (RuntimeError, ValueError) as e:
            raise UsageError(str(e).strip().splitlines()[-1])
        tb.msg_connect(utc, "out", sink, "events")
        sinks.append(sink)
    bsink = ex = None
    if extract is not None:
        D = options.decimation
        rate_out = options.rate / (D if chain.fir is not None else 1)
        ex = (blocks.burst_extractor_c if inp.is_complex else blocks.burst_extractor_f)(
            extract["pre"], extract["post"], extract["max"], rate_out)
        try:
            bsink = blocks.burst_file_sink(extract["out"], extract["format"], extract["prefix"], args.overwrite)
        except (RuntimeError, ValueError) as e:
            raise UsageError(str(e).strip().splitlines()[-1])
        tb.connect(chain, ex)
        tb.msg_connect(ex, "pdus", bsink, "pdus")
        sinks.append(bsink)
    every = args.status_every if args.status_every is not None else (5.0 if sys.stderr.isatty() else 0.0)
    status = Status(clock, det, every)
    stopped = "end of input"
    t_start = time.monotonic()
    with _stop_on_signals() as signals:
        clock.start()
        tb.start()
        done = threading.Event()
        threading.Thread(target=lambda: (tb.wait(), done.set()), daemon=True).start()
        failed = ""
        while not done.wait(0.1):
            status.poll(inp.realtime)
            failed = next((e for e in (s.error() for s in sinks) if e), "")
            if signals.received or failed or (args.duration and time.monotonic() - t_start >= args.duration):
                stopped = signals.received or ("a write failed" if failed else "--duration")
                # end the stream where it is, so that everything behind drains and
                # flushes; a source that delivers nothing more is stopped after 5 s
                if inp.relay is not None:
                    inp.relay.close()
                clock.finish()
                if not done.wait(5):
                    tb.stop()
                    done.wait(30)
                break
    status.poll(inp.realtime)
    items, elapsed, behind = clock.status()
    seconds = time.monotonic() - t_start
    failed = next((e for e in (s.error() for s in sinks) if e), "")
    rep = {"input": inp.what, "type": inp.kind, "rate": options.rate, "samples": items,
           "events": det.events_found(), "events_file": events, "seconds": seconds,
           "msamples_per_s": items / seconds / 1e6 if seconds else 0.0, "stopped_by": stopped,
           "first_sample_utc": utc_text(clock.t0) if clock.t0 else None,
           "time_from": "rx_time tags of the source, else the host clock at the first sample",
           "realtime": inp.realtime, "cpu_percent": status.cpu_percent(), "peak_rss_mb": peak_rss_mb(),
           "noise_floor": det.noise_floor(), "error": failed}
    if inp.realtime:
        rep["behind_max_samples"] = max(0, int(status.worst_behind))
        rep["behind_end_samples"] = max(0, int(behind))
    if bsink is not None:
        rep.update({"bursts": bsink.bursts_written(), "out": extract["out"],
                    "bursts_dropped": ex.bursts_dropped() + bsink.bursts_dropped()})
    return rep


def print_report(rep, as_json, out):
    import json
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


def add_live_options(parser):
    from .detect import _eng
    g = parser.add_argument_group("live input (docs/live.md)")
    g.add_argument("--rtl-tcp", metavar="HOST:PORT", help="an rtl_tcp server (gr-osmosdr's client); with --rate, "
                   "--freq, --gain, --ppm")
    g.add_argument("--soapy", metavar="ARGS", help="a SoapySDR device (e.g. driver=rtlsdr); with --rate, --freq, "
                   "--gain")
    g.add_argument("--freq", type=_eng, metavar="HZ", help="centre frequency to tune (SDR inputs)")
    g.add_argument("--gain", type=float, metavar="DB", help="tuner gain (default: automatic)")
    g.add_argument("--ppm", type=int, default=0, help="frequency correction (rtl_tcp; default 0)")
    g.add_argument("--follow", action="store_true", help="the file is still being written: wait for more")
    g.add_argument("--follow-timeout", type=float, metavar="S",
                   help="with --follow: end when the file has not grown for S seconds (default: never)")
    g.add_argument("--duration", type=float, metavar="S", help="stop after S seconds")
    g.add_argument("--status-every", type=float, metavar="S",
                   help="a status line every S seconds (default 5 on a terminal, else none)")


def is_live(args):
    files = getattr(args, "files", None) or []
    return bool(args.rtl_tcp or args.soapy is not None or args.follow or (len(files) == 1 and is_pipe(files[0])))


def check_live_args(args):
    files = args.files or []
    sdr = bool(args.rtl_tcp) + (args.soapy is not None)
    if sdr > 1:
        raise UsageError("give one of --rtl-tcp and --soapy")
    if sdr and files:
        raise UsageError("%s reads the SDR: give no file (got %s)" % ("--rtl-tcp" if args.rtl_tcp else "--soapy",
                                                                      " ".join(files)))
    if not sdr and len(files) != 1:
        raise UsageError("a live run reads one input: a file with --follow, - (standard input) or a named pipe")
    if args.duration is not None and not args.duration > 0:
        raise UsageError("--duration must be a positive number of seconds")
    if args.follow_timeout is not None and not args.follow_timeout > 0:
        raise UsageError("--follow-timeout must be a positive number of seconds")
    if args.status_every is not None and args.status_every < 0:
        raise UsageError("--status-every must be >= 0 seconds")
