#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""detect_array(): the events of an array, memmap, path or iterator of chunks, as
detect_file finds them: the same filter engine, event detector and event lines (the C++
detector_stream, lib/array.cc), fed chunk by chunk with the GIL released; no
flowgraph, no scheduler threads."""

import json
import os

import numpy as np

from ...core.chain import chain_settings
from ...core.detect_chain import after_decimation, filter_plan
from ...core.options import DetectOptions
from ...streamproc_python import array as _engines
from .arrayio import CHUNK, Input, report


def _chunk_array(c, dtype):
    a = np.asarray(c)
    if a.ndim != 1:
        raise ValueError("a chunk is %d-D: chunks must be 1-D arrays" % a.ndim)
    if np.iscomplexobj(a) and dtype == np.float32:
        raise ValueError("a complex chunk after real ones: every chunk must be real or every one complex")
    if a.dtype.kind not in "fciu":
        raise ValueError("a chunk has dtype %s: give real or complex numbers" % a.dtype)
    return np.ascontiguousarray(a, dtype=dtype)


def _input_chunks(inp):
    for start in range(0, inp.n, CHUNK):
        yield inp.block(start, start + CHUNK)


def _stream(is_complex, lsb, options):
    """The detector_stream of detect_chain as make_chain builds it for `options`."""
    s = chain_settings(lsb, options)
    plan = filter_plan(s["taps"], s["decimation"])
    d = s["decimation"]
    st = _engines.detect_settings()
    st.window = s["window"]
    st.threshold_db = s["threshold_db"]
    st.relative = s["relative"]
    st.hysteresis_db = s["hysteresis_db"]
    st.min_duration = after_decimation(s["min_duration"], d)
    st.merge_gap = after_decimation(s["merge_gap"], d)
    st.max_duration = s["max_duration"]
    st.sample_rate = s["sample_rate"] / d
    st.floor_horizon = s["floor_horizon"]
    if s["floor_db"] is not None:
        st.fixed_floor, st.floor_db = True, s["floor_db"]
    if s["min_floor"] is not None:
        st.min_floor = s["min_floor"]
    if plan is not None:
        st.taps = [float(t) for t in s["taps"]]
        st.decimation = d
        st.prefilter = plan == "prefilter"
    return (_engines.detector_stream_c if is_complex else _engines.detector_stream_f)(st)


def detect_array(x, options=None, *, lsb=None, dtype=None, format=None, progress=None):
    """The events in x as a list of dicts, the same (same keys and values) as the
    events file detect_file writes for the same samples and options.

    x: a 1-D array or np.memmap (float32 / complex64, other dtypes by value), a path
    (read as detect_file reads it: type from the name or SigMF, its rate, one LSB of
    an integer recording), or an iterator of 1-D chunks (the stream in order, all real
    or all complex; the first chunk decides). Event positions are input samples (the
    filter delay removed). options: DetectOptions (default: its defaults). For a
    statistic of your own (band power, spectral kurtosis, ...) give its float array:
    event_detector_f's detection then runs on it, so threshold_db is in dB of that
    statistic's squares over its tracked floor (docs/array.md).

    lsb: one step of the integer capture the samples came from, after its scaling
    (cu8/ci8: 1/128, ci16: 1/32768): the tracked floor is then never below it, as
    detect_file does for an integer recording. None: 1 for an array of integers (read
    by value), the recording's for a path, else no such bound.

    progress(done, total): after each chunk, in input samples (total None for an
    iterator).

    Memory: the chunk being read (2^18 samples), the filter's buffer and the
    detector's first floor horizon (a few MB); the events found are the result."""
    options = options or DetectOptions()
    if isinstance(x, (str, os.PathLike)):
        if dtype is not None:
            raise ValueError("dtype= is for arrays here: give format= (a SigMF datatype) for a path")
        inp = Input(os.fspath(x), format=format)
        options, _ = options.for_recording(inp.recording)
        chunks, is_complex, total = _input_chunks(inp), inp.is_complex, inp.n
        lsb = inp.recording.lsb if lsb is None else lsb
    elif not hasattr(x, "__next__"):  # an array (or a list of numbers); iterators give chunks
        inp = Input(x, dtype, format)
        chunks, is_complex, total = _input_chunks(inp), inp.is_complex, inp.n
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

        chunks, is_complex, total = chained(), np.iscomplexobj(first), None
    options.validate()
    stream = _stream(is_complex, lsb, options)
    dt = np.complex64 if is_complex else np.float32
    events = []
    for c in chunks:
        stream.process(_chunk_array(c, dt))
        events.extend(json.loads(line) for line in stream.take_events())
        report(progress, stream.samples(), total)
    stream.finish()
    events.extend(json.loads(line) for line in stream.take_events())
    return events
