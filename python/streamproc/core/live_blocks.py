#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""The blocks and clocks of live streams: wallclock (an rx_time tag with the host clock
at a stream's first sample), add_utc (ISO 8601 "utc" on events), Timebase (the same
without a Python block in the sample path) and raw_samples (raw sample bytes from a pipe
to float/complex, scaled as mmap_file_source does)."""

import datetime
import math
import threading
import time

import numpy as np
import pmt
from gnuradio import gr

from .formats import DATATYPE

RX_TIME = pmt.intern("rx_time")
TIME, UTC = pmt.intern("time"), pmt.intern("utc")
ABSOLUTE = 1e9  # a "time" above this many seconds is since 1970 (rx_time), not since the start


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
