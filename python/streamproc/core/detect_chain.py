#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""The detection chain as one block: an optional ols_fir low-pass/decimator, then the
event detector, with event positions reported in samples of the chain's input."""

from gnuradio import gr

from .. import streamproc_python as _blocks

PREFILTER_MAX_TAPS = 24


def filter_plan(taps, decimation):
    """How the chain applies `taps` at `decimation`: "prefilter" (inside the detector:
    no decimation, at most PREFILTER_MAX_TAPS taps), "fir" (ols_fir in front) or None
    (no taps); ValueError for what it cannot do."""
    if decimation < 1:
        raise ValueError("detect_chain: decimation must be at least 1, got %d" % decimation)
    if taps is None and decimation != 1:
        raise ValueError("detect_chain: decimation %d needs taps (an anti-alias filter)" % decimation)
    if taps is not None and not len(taps):
        raise ValueError("detect_chain: taps must not be empty")
    if taps is None:
        return None
    return "prefilter" if decimation == 1 and len(taps) <= PREFILTER_MAX_TAPS else "fir"


def after_decimation(n, decimation):
    """A count of input samples in samples after decimation, rounded up."""
    return -(-int(n) // int(decimation))


class detect_chain(gr.hier_block2):
    """[ols_fir_fff/ccf (decimation, taps)] -> event_detector_f/_c; events on message
    port "events".

    Event positions (start, end, peak_index, duration) and times are in samples of the
    chain's input: the filter's decimation and group delay ((ntaps - 1) // 2) are taken
    out (event_detector.set_index_map), and the detector's own indices are kept as
    stream_start/stream_end. window is in samples after decimation; min_duration and
    merge_gap are in input samples (rounded up to whole samples after decimation).
    Without decimation, up to 24 taps are applied inside the detector
    (event_detector.set_prefilter: the same floats as ols_fir's direct form, one thread
    less); self.fir is then None.

    Args:
        complex_input: complex (True) or float input
        sample_rate: input samples per second
        taps: FIR taps, or None for no filter (then decimation must be 1)
        decimation: keep every decimation-th filter output
        window, threshold_db, relative, hysteresis_db, max_duration (in samples after
        decimation), max_rate: as event_detector
        tag_edges: the chain gets an output: the stream the detector saw (the input, or
            the filtered and decimated stream behind ols_fir) with sob/eob tags, for
            burst_extractor (see event_detector's tag_edges)
    """

    PREFILTER_MAX_TAPS = PREFILTER_MAX_TAPS

    def __init__(self, complex_input=False, sample_rate=1.0, taps=None, decimation=1, window=64,
                 threshold_db=10.0, min_duration=0, merge_gap=0, relative=True, hysteresis_db=3.0,
                 max_duration=0, max_rate=0.0, tag_edges=False):
        itemsize = gr.sizeof_gr_complex if complex_input else gr.sizeof_float
        # with tag_edges: the detector's pass-through (the stream it saw), sob/eob tagged
        out = gr.io_signature(1, 1, itemsize) if tag_edges else gr.io_signature(0, 0, 0)
        gr.hier_block2.__init__(self, "detect_chain", gr.io_signature(1, 1, itemsize), out)
        self.message_port_register_hier_out("events")
        plan = filter_plan(taps, decimation)
        taps = None if taps is None else [float(t) for t in taps]
        self.decimation = int(decimation)
        self.delay = 0 if taps is None else (len(taps) - 1) // 2
        make = _blocks.event_detector_c if complex_input else _blocks.event_detector_f
        self.detector = make(window=window, threshold_db=threshold_db, relative=relative,
                             hysteresis_db=hysteresis_db, min_duration=after_decimation(min_duration, decimation),
                             merge_gap=after_decimation(merge_gap, decimation), max_duration=max_duration,
                             sample_rate=sample_rate / self.decimation, max_rate=max_rate,
                             tag_edges=tag_edges)
        self.fir = None
        if plan == "prefilter":
            # a short smoothing kernel: filtered inside the detector (the same floats as
            # ols_fir's direct form, one thread less)
            self.detector.set_prefilter(taps)
            self.detector.set_index_map(1, self.delay)
            self.connect(self, self.detector)
        elif plan == "fir":
            self.fir = (_blocks.ols_fir_ccf if complex_input else _blocks.ols_fir_fff)(self.decimation, taps)
            self.detector.set_index_map(self.decimation, self.delay)
            self.detector.set_noise_filter(taps, self.decimation)  # the floor's bias correction
            self.connect(self, self.fir, self.detector)
        else:
            self.connect(self, self.detector)
        self.msg_connect(self.detector, "events", self, "events")
        if tag_edges:
            self.connect(self.detector, self)
