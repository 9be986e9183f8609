#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""Absolute sample positions across a network link (gr-zeromq), for a chain split
across hosts (examples/zmq_split_sender.grc and zmq_split_detector.grc, docs/batch.md).

gr-zeromq's sinks send tags with their offsets relative to the sending stream and its
sources rebase them onto the receiving stream, which starts at 0 whenever the receiver
starts; a receiver that joins late or restarts numbers its samples differently from the
sender. So the sender's `offset_tagger` puts the absolute position in tag *values*
("streamproc_offset": the absolute index of the tagged item, at the first item and every
`every` items), and the receiver's `offset_rebase` maps its events back: an event's
start, end and peak (the detector's stream indices) become positions in the sender's
input, as detect_chain reports them (times (start / rate) included). A
"streamproc_eos" tag on the sender's last item (when its length is known) ends the
receiving flowgraph, so the detector flushes its last events.
"""

import threading

import numpy as np
import pmt
from gnuradio import gr

OFFSET = pmt.intern("streamproc_offset")
EOS = pmt.intern("streamproc_eos")


def _dtype(item_type):
    if item_type not in ("complex", "float"):
        raise ValueError("item_type must be \"complex\" or \"float\", got %r" % (item_type,))
    return np.complex64 if item_type == "complex" else np.float32


class offset_tagger(gr.sync_block):
    """Pass-through that tags item j with streamproc_offset = origin + j (absolute item
    index, a uint64) at j = 0 and every `every` items, and the item `total` - 1 with
    streamproc_eos (total = 0: a live stream without end)."""

    def __init__(self, item_type="complex", origin=0, every=1 << 20, total=0):
        dt = _dtype(item_type)
        gr.sync_block.__init__(self, "offset_tagger", [dt], [dt])
        if origin < 0 or every < 1 or total < 0:
            raise ValueError("offset_tagger: origin >= 0, every >= 1 and total >= 0, got %d, %d, %d"
                             % (origin, every, total))
        self.origin, self.every, self.total = int(origin), int(every), int(total)

    def work(self, input_items, output_items):
        n = len(output_items[0])
        output_items[0][:] = input_items[0][:n]
        base = self.nitems_written(0)
        first = -(-base // self.every) * self.every
        for j in range(first, base + n, self.every):
            self.add_item_tag(0, j, OFFSET, pmt.from_uint64(self.origin + j))
        if self.total and base <= self.total - 1 < base + n:
            self.add_item_tag(0, self.total - 1, EOS, pmt.PMT_T)
        return n


class _offsets:
    """The (receiver offset, absolute index) pairs seen, newest last (at most 256)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.pairs = []
        self.first = None

    def add(self, rel, absolute):
        with self.lock:
            if not self.pairs:
                self.first = absolute - rel
            self.pairs.append((rel, absolute))
            del self.pairs[:-256]

    def origin(self):
        """The absolute index of the receiver's first item (0 before the first tag)."""
        with self.lock:
            return self.first if self.first is not None else 0

    def delta(self, rel):
        """absolute - relative at the receiver's item `rel` (0 before the first tag)."""
        with self.lock:
            d = 0
            for r, a in self.pairs:
                if r <= rel:
                    d = a - r
            return d


class _gate(gr.basic_block):
    """Pass-through that records streamproc_offset tags and ends the stream after the
    item tagged streamproc_eos. That item goes out without being consumed, so the
    scheduler calls once more, and the block says it is done: a block with no more
    input is not called again, and the detector behind it flushes its last events only
    when it sees its input done."""

    def __init__(self, dt, offsets):
        gr.basic_block.__init__(self, "offset_gate", [dt], [dt])
        self.offsets = offsets
        self.ended = False
        self.set_tag_propagation_policy(gr.TPP_ONE_TO_ONE)

    def general_work(self, input_items, output_items):
        if self.ended:
            return -1  # WORK_DONE
        n = min(len(input_items[0]), len(output_items[0]))
        base = self.nitems_read(0)
        keep = 0
        for t in self.get_tags_in_window(0, 0, n):
            if pmt.eq(t.key, OFFSET):
                self.offsets.add(t.offset, pmt.to_uint64(t.value))
            elif pmt.eq(t.key, EOS) and not self.ended:
                n = t.offset - base + 1
                self.ended = True
                keep = 1
        output_items[0][:n] = input_items[0][:n]
        self.consume(0, n - keep)
        return n


class _fixer(gr.basic_block):
    """Events from the detector's stream indices to absolute input positions."""

    def __init__(self, offsets, decimation, delay, rate):
        gr.basic_block.__init__(self, "offset_events", None, None)
        self.offsets, self.D, self.delay, self.rate = offsets, int(decimation), int(delay), float(rate)
        self.message_port_register_in(pmt.intern("in"))
        self.message_port_register_out(pmt.intern("out"))
        self.set_msg_handler(pmt.intern("in"), self.handle)

    def _map(self, k, origin):
        # as event_detector's index map, from the sender's first item: the filter's
        # delay is not taken out before it (there is no input there)
        i = (k - origin) * self.D
        return origin * self.D + (i - self.delay if i > self.delay else 0)

    def handle(self, msg):
        if not pmt.is_dict(msg):
            return
        ev = pmt.to_python(msg)
        ss = int(ev.get("stream_start", ev["start"]))
        se = int(ev.get("stream_end", ev["end"]))
        d = self.offsets.delta(ss)
        origin = self.offsets.origin()
        ss, se = ss + d, se + d
        start = self._map(ss, origin)
        end = max(self._map(se, origin), start + 1)
        r = self.rate / self.D
        fields = {"start": start, "end": end, "duration": end - start,
                  "peak_index": self._map(int(ev["peak_index"]) + d, origin), "stream_start": ss, "stream_end": se,
                  "time": float(ss) / r + (float(start) - float(ss * self.D)) / (r * float(self.D))}
        mapped = self.D != 1 or self.delay != 0  # as event_detector after set_index_map
        for key, value in fields.items():
            if key in ev or (mapped and key in ("stream_start", "stream_end")):
                v = pmt.from_double(value) if isinstance(value, float) else pmt.from_uint64(value)
                msg = pmt.dict_add(msg, pmt.intern(key), v)
        self.message_port_pub(pmt.intern("out"), msg)


class offset_rebase(gr.hier_block2):
    """Receiver side: stream in -> out (ends after a streamproc_eos tag); event dicts
    in on "events_in", out on "events" with start, end, duration, peak_index, time and
    stream_start/stream_end as the one-process chain reports them: stream indices made
    absolute by the last streamproc_offset tag, then mapped to input samples (x
    decimation - delay) as detect_chain does for a filter of that decimation and
    delay ((ntaps - 1) // 2) in front of the link. rate: input samples per second."""

    def __init__(self, item_type="complex", decimation=1, delay=0, rate=1.0):
        dt = _dtype(item_type)
        size = np.dtype(dt).itemsize
        gr.hier_block2.__init__(self, "offset_rebase", gr.io_signature(1, 1, size), gr.io_signature(1, 1, size))
        if decimation < 1 or delay < 0 or not rate > 0:
            raise ValueError("offset_rebase: decimation >= 1, delay >= 0 and rate > 0")
        self.offsets = _offsets()
        self.gate = _gate(dt, self.offsets)
        self.fixer = _fixer(self.offsets, decimation, delay, rate)
        self.message_port_register_hier_in("events_in")
        self.message_port_register_hier_out("events")
        self.connect(self, self.gate, self)
        self.msg_connect(self, "events_in", self.fixer, "in")
        self.msg_connect(self.fixer, "out", self, "events")
