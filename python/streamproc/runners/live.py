#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""Detection on a live input (LiveOptions): an rtl_tcp server (gr-osmosdr's client),
any SoapySDR device (GNU Radio's soapy source), standard input or a named pipe (raw
samples of a given type), a file still being written (follow). Events get wall-clock
times (the source's rx_time tags, else the host clock at the first sample plus the
sample count) and an ISO 8601 "utc"; status lines every few seconds go to a callback;
how far the input falls behind real time is measured and reported (docs/live.md)."""

import os
import resource
import stat
import threading
import time

from gnuradio import gr

from ..core.chain import attach_bursts, burst_rate, event_sink, make_chain
from ..core.errors import UsageError
from ..core.events import check_events_path, events_format_of
from ..core.formats import DATATYPE, canonical, make_source, open_recording
from ..core.live_blocks import Timebase, add_utc, raw_samples, utc_text
from .runctl import peak_rss_mb, run_flowgraph

LATE_S = 0.25  # behind real time by more than this: the user is told (buffers hold ~0.1 s)


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


def open_live(tb, live, options):
    """The live input `live` (LiveOptions) names (None when it is a plain file)."""
    if live.rtl_tcp:
        return _rtl_tcp(live, options)
    if live.soapy is not None:
        return _soapy(live, options)
    path = live.input
    if path is not None and is_pipe(path):
        return _pipe(tb, path, live.kind)
    if live.follow:
        return _follow(path, live)
    return None


def _sdr_checks(live, options, flag):
    if options.rate == 1.0:
        raise UsageError("%s needs --rate (the sample rate to command, e.g. 2.4M)" % flag)
    if live.freq is None:
        raise UsageError("%s needs --freq (the centre frequency, e.g. 433.92M)" % flag)


def _rtl_tcp(live, options):
    _sdr_checks(live, options, "--rtl-tcp")
    host, port = _rtl_tcp_address(live.rtl_tcp)
    import socket
    try:  # gr-osmosdr's client waits on a refused connection: say so at once
        socket.create_connection((host, port), timeout=5).close()
    except OSError as e:
        raise UsageError("--rtl-tcp %s: cannot connect (%s); is rtl_tcp running there?" % (live.rtl_tcp, e))
    try:
        import osmosdr
    except ImportError:
        raise UsageError("--rtl-tcp needs gr-osmosdr (apt-get install gr-osmosdr)")
    try:
        src = osmosdr.source("rtl_tcp=%s:%d" % (host, port))
    except RuntimeError as e:
        raise UsageError("--rtl-tcp %s: %s" % (live.rtl_tcp, str(e).strip() or "gr-osmosdr cannot open it"))
    src.set_sample_rate(options.rate)
    src.set_center_freq(live.freq)
    src.set_freq_corr(live.ppm)
    if live.gain is None:
        src.set_gain_mode(True)
    else:
        src.set_gain_mode(False)
        src.set_gain(live.gain)
    return LiveInput(src, True, "cu8", "rtl_tcp %s:%d" % (host, port), True, lsb=1.0 / 128, source=src)


def _soapy(live, options):
    _sdr_checks(live, options, "--soapy")
    try:
        from gnuradio import soapy
    except ImportError:
        raise UsageError("--soapy needs GNU Radio's soapy module (apt-get install gnuradio)")
    dev = live.soapy if live.soapy.startswith("driver=") or "=" in live.soapy else "driver=" + live.soapy
    try:
        src = soapy.source(dev, "fc32", 1, "", "", [""], [""])
    except (RuntimeError, ValueError) as e:
        raise UsageError("--soapy %r: %s (is its SoapySDR module installed? SoapySDRUtil --find)"
                         % (live.soapy, str(e).strip().splitlines()[-1] if str(e).strip() else "no such device"))
    src.set_sample_rate(0, options.rate)
    src.set_frequency(0, live.freq)
    if live.gain is None:
        src.set_gain_mode(0, True)
    else:
        src.set_gain_mode(0, False)
        src.set_gain(0, live.gain)
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


def _pipe(tb, path, kind):
    if not kind:
        name = "standard input" if path == "-" else path
        raise UsageError("%s is a stream: give --type (e.g. cu8, ci16, cf32)" % name)
    kind = canonical(kind)
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


def _follow(path, live):
    rec = open_recording(path, live.kind)
    src = make_source(rec.path, rec.source_format)
    src.set_follow(True)
    src.set_follow_timeout(live.follow_timeout or 0.0)
    return LiveInput(src, rec.is_complex, rec.kind, "%s (followed)" % rec.path, False, lsb=rec.lsb, source=src)


class Status:
    """The status of a live run: input rate, events, samples behind real time, CPU % of
    one core; a line for `show` every `every` seconds (0 or no show: none)."""

    def __init__(self, clock, det, every, show=None):
        self.clock, self.det, self.every, self.show = clock, det, every, show
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
        if not self.every or self.show is None or now - self.last < self.every:
            return
        cpu = self._cpu()
        rate = (items - self.last_items) / (now - self.last)
        line = "live %6.1f s: %.2f MS/s, %d samples, %d events" % (elapsed, rate / 1e6, items, self.det.events_found())
        if realtime:
            line += ", behind real time %d samples (%.2f s)" % (max(0, behind), max(0.0, behind) / self.clock.rate)
        line += ", CPU %.0f %%" % (100.0 * (cpu - self.last_cpu) / (now - self.last))
        self.show(line)
        self.last, self.last_items, self.last_cpu = now, items, cpu

    def cpu_percent(self):
        return 100.0 * (self._cpu() - self.cpu_start) / max(1e-9, time.monotonic() - self.t_start)


# ------------------------------------------------------------------ the run
def run_live(live, options, events=None, overwrite=False, bursts=None, status=None):
    """detect (with `bursts`, BurstOptions: also extract) on the live input `live`
    (LiveOptions); returns the report. Ends at the end of the input, after
    live.duration seconds, on SIGINT/SIGTERM (events flushed) or when writing fails.
    events: a .jsonl/.csv path or "/dev/fd/N"; status(line) gets the status lines."""
    live.validate()
    options.validate()
    tb = gr.top_block("streamproc_live")
    inp = open_live(tb, live, options)
    if inp is None:
        raise UsageError("%s is a file, not a live input: use detect_file(), or follow=True for a file "
                         "still being written" % live.input)
    from gnuradio import blocks as gr_blocks
    head = gr_blocks.head(8 if inp.is_complex else 4, 1 << 62)
    clock = Timebase(head, options.rate)
    tb.connect(inp.block, head)
    chain = make_chain(inp.is_complex, inp.lsb, options, tag_edges=bursts is not None)
    tb.connect(head, chain)
    det = chain.detector
    sinks = []
    utc = add_utc(clock.base)
    tb.msg_connect(chain, "events", utc, "in")
    if events:
        fmt = "jsonl" if events.startswith("/dev/fd/") else events_format_of(events)
        if fmt == "sigmf":
            raise UsageError("--events %s: a live input has no recording to annotate; give .jsonl or .csv" % events)
        check_events_path(events, None, overwrite)
        sink = event_sink(events, fmt, overwrite)
        tb.msg_connect(utc, "out", sink, "events")
        sinks.append(sink)
    bsink = ex = None
    if bursts is not None:
        ex, bsink = attach_bursts(tb, chain, inp.is_complex, burst_rate(chain, options), bursts, overwrite)
        sinks.append(bsink)
    meter = Status(clock, det, live.status_every, status)
    t_start = time.monotonic()

    def drain():
        # end the stream where it is, so that everything behind drains and flushes; a
        # source that delivers nothing more is stopped after 5 s
        if inp.relay is not None:
            inp.relay.close()
        clock.finish()

    def over_time():
        if live.duration and time.monotonic() - t_start >= live.duration:
            return "--duration"
        return None
    clock.start()
    out = run_flowgraph(tb, sinks, lambda: meter.poll(inp.realtime), 0.1, over_time, drain)
    meter.poll(inp.realtime)
    items, elapsed, behind = clock.status()
    seconds = time.monotonic() - t_start
    rep = {"input": inp.what, "type": inp.kind, "rate": options.rate, "samples": items,
           "events": det.events_found(), "events_file": events, "seconds": seconds,
           "msamples_per_s": items / seconds / 1e6 if seconds else 0.0, "stopped_by": out.stopped_by,
           "first_sample_utc": utc_text(clock.t0) if clock.t0 else None,
           "time_from": "rx_time tags of the source, else the host clock at the first sample",
           "realtime": inp.realtime, "cpu_percent": meter.cpu_percent(), "peak_rss_mb": peak_rss_mb(),
           "noise_floor": det.noise_floor(), "error": out.failed}
    if inp.realtime:
        rep["behind_max_samples"] = max(0, int(meter.worst_behind))
        rep["behind_end_samples"] = max(0, int(behind))
    if bsink is not None:
        rep.update({"bursts": bsink.bursts_written(), "out": bursts.out,
                    "bursts_dropped": ex.bursts_dropped() + bsink.bursts_dropped()})
    return rep


def is_live(live_input, rtl_tcp=None, soapy=None, follow=False):
    """True when a run reads a live input: an SDR, a followed file, or a pipe."""
    return bool(rtl_tcp or soapy is not None or follow or (live_input is not None and is_pipe(live_input)))
