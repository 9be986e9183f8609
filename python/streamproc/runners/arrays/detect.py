#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""detect_array(): the events of an array, memmap, path or iterator of chunks, as
detect_file finds them (the same detect_chain and event_file_sink; the samples come
from a source block that copies them out of the array one output buffer at a time)."""

import os
import shutil
import tempfile

import numpy as np
from gnuradio import gr

from ...core.chain import event_sink, make_chain
from ...core.errors import RunError
from ...core.events import read_events
from ...core.options import DetectOptions
from ..runctl import run_flowgraph
from ..single import detect_file
from .arrayio import CHUNK, Input


class _ChunkSource(gr.sync_block):
    """Samples from `chunks` (an iterator of 1-D arrays of one dtype) into the
    flowgraph; the end of the iterator ends the stream."""

    def __init__(self, chunks, dtype):
        gr.sync_block.__init__(self, "streamproc_array_source", [], [dtype])
        self._chunks, self._dtype = chunks, np.dtype(dtype)
        self._cur, self._pos = None, 0
        self.samples = 0
        self.error = None

    def work(self, input_items, output_items):
        out = output_items[0]
        done = 0
        while done < len(out):
            if self._cur is None or self._pos >= self._cur.shape[0]:
                try:
                    nxt = next(self._chunks)
                except StopIteration:
                    break
                except Exception as e:  # the user's iterator failed: end the stream, say why
                    self.error = "the chunk iterator raised %s: %s" % (type(e).__name__, e)
                    break
                try:
                    self._cur, self._pos = _chunk_array(nxt, self._dtype), 0
                except ValueError as e:
                    self.error = str(e)
                    break
                continue
            k = min(len(out) - done, self._cur.shape[0] - self._pos)
            out[done:done + k] = self._cur[self._pos:self._pos + k]
            done += k
            self._pos += k
        self.samples += done
        return done if done else -1


def _chunk_array(c, dtype):
    a = np.asarray(c)
    if a.ndim != 1:
        raise ValueError("a chunk is %d-D: chunks must be 1-D arrays" % a.ndim)
    if np.iscomplexobj(a) and dtype == np.float32:
        raise ValueError("a complex chunk after real ones: every chunk must be real or every one complex")
    return a.astype(dtype, copy=False)


def _input_chunks(inp):
    for start in range(0, inp.n, CHUNK):
        yield inp.block(start, start + CHUNK)


def detect_array(x, options=None, *, lsb=None, dtype=None, format=None):
    """The events in x as a list of dicts, the same (same keys and values) as the
    events file detect_file writes for the same samples and options.

    x: a 1-D array or np.memmap (float32 / complex64, other dtypes by value), a path
    (read exactly as detect_file reads it), or an iterator of 1-D chunks (the stream in
    order, all real or all complex; the first chunk decides). Event positions are input
    samples (the filter delay removed). options: DetectOptions (default: its defaults).
    For a statistic of your own (band power, spectral kurtosis, ...) give its float
    array: event_detector_f then runs on it, so threshold_db is in dB of that
    statistic's squares over its tracked floor (docs/array.md).

    lsb: one step of the integer capture the samples came from, after its scaling
    (cu8/ci8: 1/128, ci16: 1/32768): the tracked floor is then never below it, as
    detect_file does for an integer recording. None: 1 for an array of integers (read
    by value), else no such bound."""
    options = options or DetectOptions()
    tmp = tempfile.mkdtemp(prefix="streamproc-detect-")
    events = os.path.join(tmp, "events.jsonl")
    try:
        if isinstance(x, (str, os.PathLike)):
            if dtype is not None:
                raise ValueError("dtype= is for arrays here: give format= (a SigMF datatype) for a path")
            detect_file(os.fspath(x), options, kind=format, events=events)
            return read_events(events)
        if not hasattr(x, "__next__"):  # an array (or a list of numbers); iterators give chunks
            inp = Input(x, dtype, format)
            chunks, is_complex = _input_chunks(inp), inp.is_complex
            if lsb is None and np.asarray(x).dtype.kind in "iu":
                lsb = 1.0
        else:
            it = iter(x)
            try:
                first = np.asarray(next(it))
            except StopIteration:
                raise ValueError("the chunk iterator is empty: nothing to detect") from None

            def chained():
                yield first
                yield from it

            chunks, is_complex = chained(), np.iscomplexobj(first)
        options.validate()
        src = _ChunkSource(chunks, np.complex64 if is_complex else np.float32)
        tb = gr.top_block("streamproc_detect_array")
        chain = make_chain(is_complex, lsb, options)
        sink = event_sink(events, "jsonl")
        tb.connect(src, chain)
        tb.msg_connect(chain, "events", sink, "events")
        chain.detector.set_compact_messages(True)
        chain.detector.set_log_level("warn")  # the events are the result: no summary line on stdout
        outcome = run_flowgraph(tb, [sink])
        if src.error:
            raise ValueError(src.error)
        if outcome.failed:
            raise RunError(outcome.failed)
        if outcome.signal:
            raise KeyboardInterrupt("stopped by %s" % outcome.signal)
        return read_events(events)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
