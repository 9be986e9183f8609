#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""The spectrogram `streamproc plot` draws: Welch spectra (navg=1) of a section of a
recording, computed by our welch blocks."""

from .. import streamproc_python as sp
from ..core.errors import UsageError
from ..core.formats import make_source, source_chain


def spectrogram(rec, rate, start, length, fft_size, max_rows):
    """Power spectral density (dB/Hz) of the section, one row per frame, computed by
    welch_cf/welch_ff with navg=1 (density scaling, one-sided for real input, centred
    for complex); the hop is chosen so that at most max_rows frames are kept."""
    import numpy as np
    from gnuradio import blocks, fft, gr
    total = make_source(rec.path, None if rec.is_sigmf else rec.kind).size()
    if start >= total:
        raise UsageError("--start %d is past the end of the file (%d samples)" % (start, total))
    length = min(length or (total - start), total - start)
    n = fft_size
    if length < n:
        raise UsageError("the section holds %d samples, fewer than --fft-size %d" % (length, n))
    hop = max(n // 2, (length - n) // max_rows + 1)
    tb = gr.top_block("streamproc_plot")
    src, conv = source_chain(tb, rec, start, length)
    window = fft.window.hann(n)
    if rec.is_complex:
        blk = sp.welch_cf(n, hop, window, 1, "density", rate, shift=True, db=True)
    else:
        blk = sp.welch_ff(n, hop, window, 1, "density", rate, onesided=True, db=True)
    sink = blocks.vector_sink_f(blk.vlen(), 4096)
    tb.connect(conv, blk, sink)
    tb.run()
    spec = np.array(sink.data(), dtype=np.float32).reshape(-1, blk.vlen())
    finite = np.isfinite(spec)
    spec[~finite] = spec[finite].min() if finite.any() else 0.0
    t0 = start / rate + n / 2 / rate
    t1 = t0 + (spec.shape[0] - 1) * hop / rate
    if rec.is_complex:
        f0, f1 = -rate / 2, rate / 2
    else:
        f0, f1 = 0.0, rate / 2
    return spec, (t0, max(t1, t0 + 1.0 / rate), f0, f1)
