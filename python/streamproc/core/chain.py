#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""Building the flowgraphs of a detection: the detect_chain some DetectOptions ask for,
a recording's source -> chain -> events file, and the burst tail (burst_extractor ->
burst_file_sink) that extraction adds."""

import json

from .. import streamproc_python as blocks
from .detect_chain import detect_chain
from .errors import usage_error_of
from .events import events_format_of, sigmf_template
from .formats import source_chain


def quiet_min_output_buffer(block, items):
    """set_min_output_buffer() without GNU Radio 3.10's info line (a user does not
    need it)."""
    from gnuradio import gr
    logging = gr.logging()
    level = logging.default_level()
    logging.set_default_level(gr.log_levels.warn)
    try:
        block.set_min_output_buffer(items)
    finally:
        logging.set_default_level(level)


def chain_settings(lsb, options):
    """What `options` ask of a detect_chain (its arguments, in input samples) and of
    its detector's floor: floor_horizon, floor_db (None: tracked) and min_floor (for
    integer samples, `lsb` being one step after scaling: one LSB after the filter's
    noise gain; None: no bound)."""
    taps = options.filter_taps()
    absolute = options.absolute_db is not None
    gain = 1.0 if taps is None else sum(t * t for t in taps)
    return dict(taps=taps, decimation=options.decimation, window=options.window,
                threshold_db=options.absolute_db if absolute else options.threshold_db,
                relative=not absolute, hysteresis_db=options.hysteresis_db,
                min_duration=options.min_duration, merge_gap=options.merge_gap,
                max_duration=-(-options.max_duration // options.decimation), sample_rate=options.rate,
                floor_horizon=options.floor_horizon, floor_db=options.floor_db,
                min_floor=None if lsb is None else lsb ** 2 * gain)


def make_chain(is_complex, lsb, options, tag_edges=False):
    """The detect_chain `options` ask for: filter, detector, floor settings; for integer
    samples (`lsb`: one step after scaling) a floor of at least one LSB."""
    s = chain_settings(lsb, options)
    chain = detect_chain(is_complex, s["sample_rate"], s["taps"], s["decimation"], s["window"], s["threshold_db"],
                         s["min_duration"], s["merge_gap"], relative=s["relative"],
                         hysteresis_db=s["hysteresis_db"], max_duration=s["max_duration"], tag_edges=tag_edges)
    det = chain.detector
    det.set_floor_horizon(s["floor_horizon"])
    if s["floor_db"] is not None:
        det.set_floor_mode(True, s["floor_db"])
    if s["min_floor"] is not None:
        det.set_min_floor(s["min_floor"])
    return chain


def event_sink(path, fmt=None, overwrite=False, rec=None, rate=None):
    """An event_file_sink writing `path` (a file or "/dev/fd/N") in `fmt` (default: from
    the name); SigMF annotates `rec` at `rate`. Errors become UsageError."""
    fmt = fmt or events_format_of(path)
    try:
        sink = blocks.event_file_sink(path, fmt, overwrite)
        if fmt == "sigmf":
            sink.set_sigmf_template(json.dumps(sigmf_template(rec, rate, path)))
    except (RuntimeError, ValueError) as e:
        raise usage_error_of(e)
    return sink


def build_flowgraph(rec, options, events=None, events_format=None, overwrite=False, tag_edges=False,
                    offset=0, length=0):
    """mmap_file_source -> detect_chain [-> event_file_sink]; returns (top block,
    source, chain, sink or None). Without an events file nothing keeps the events.
    `events` may be a path or "/dev/fd/N". tag_edges: the chain gets its tagged output
    (for a burst_extractor the caller connects). offset, length: read only these
    samples (a batch range; positions are then relative to offset)."""
    from gnuradio import gr

    tb = gr.top_block("streamproc_detect")
    src, conv = source_chain(tb, rec, offset, length)
    chain = make_chain(rec.is_complex, rec.lsb, options, tag_edges)
    itemsize = 8 if rec.is_complex else 4
    if chain.fir is not None and options.decimation == 1:
        # A full-rate FIR block bounds this chain: the source's 8 MiB buffer (for
        # decimating filters) gains nothing here and costs 7 MB of RSS.
        quiet_min_output_buffer(src, max(1, (1 << 20) // itemsize))
    elif chain.fir is None:
        # The detector alone (a short kernel filtered inside it): 2 MiB, the L2 cache
        # of a core, ran 1.2x as fast as 8 MiB on the demo's recording (2019 against
        # 1671 MB/s, 3 taps 1954 against 1610, medians of 5 alternated) with 8-12 MB
        # less peak RSS (the buffer is mapped twice).
        quiet_min_output_buffer(src, (2 << 20) // itemsize)
    tb.connect(conv, chain)
    sink = None
    if events:
        sink = event_sink(events, events_format, overwrite, rec, options.rate)
        tb.msg_connect(chain, "events", sink, "events")
        # our sink is the only receiver: events as compact records (3-4x the events/s
        # in a flood; the same lines)
        chain.detector.set_compact_messages(True)
    return tb, src, chain, sink


def burst_rate(chain, options):
    """The rate of the samples the detector sees (and the bursts hold)."""
    return options.rate / (options.decimation if chain.fir is not None else 1)


def attach_bursts(tb, chain, is_complex, rate, bursts, overwrite=False):
    """chain (built with tag_edges) -> burst_extractor -> burst_file_sink, as `bursts`
    (BurstOptions) says; returns (extractor, sink). Errors become UsageError."""
    ex = (blocks.burst_extractor_c if is_complex else blocks.burst_extractor_f)(
        bursts.pre, bursts.post, bursts.max, rate)
    try:
        sink = blocks.burst_file_sink(bursts.out, bursts.format, bursts.prefix, overwrite)
    except (RuntimeError, ValueError) as e:
        raise usage_error_of(e)
    tb.connect(chain, ex)
    tb.msg_connect(ex, "pdus", sink, "pdus")
    return ex, sink


def write_sigmf_events(path, evs, overwrite, rec, rate):
    """Events (dicts, e.g. a batch's merged list) as SigMF annotations of `rec`, written
    by event_file_sink itself (the file one run writes): fed to it as messages."""
    import time

    import pmt
    from gnuradio import gr

    from .errors import RunError

    class feeder(gr.basic_block):
        def __init__(self):
            gr.basic_block.__init__(self, "streamproc_events_feeder", None, None)
            self.message_port_register_out(pmt.intern("events"))

    def to_pmt(v):
        if isinstance(v, bool):
            return pmt.from_bool(v)
        if isinstance(v, int):
            return pmt.from_uint64(v) if v >= 0 else pmt.from_long(v)
        if isinstance(v, float):
            return pmt.from_double(v)
        return pmt.intern(str(v))

    tb = gr.top_block("streamproc_sigmf_events")
    src = feeder()
    sink = event_sink(path, "sigmf", overwrite, rec, rate)
    tb.msg_connect(src, "events", sink, "events")
    tb.start()
    for e in evs:
        d = pmt.make_dict()
        for k in reversed(list(e)):
            d = pmt.dict_add(d, pmt.intern(k), to_pmt(e[k]))
        src.message_port_pub(pmt.intern("events"), d)
    deadline = time.monotonic() + 60
    while sink.lines_written() < len(evs) and not sink.error() and time.monotonic() < deadline:
        time.sleep(0.01)
    tb.stop()
    tb.wait()
    if sink.error() or sink.lines_written() < len(evs):
        raise RunError("writing %s failed: %s" % (path, sink.error() or "events were not all written"))
    return path
