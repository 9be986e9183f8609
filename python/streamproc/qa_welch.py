#!/usr/bin/python3
#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""welch_cf and welch_ff against scipy.signal.welch / spectrogram (numpy where scipy
cannot skip samples between frames)."""

import numpy as np
from gnuradio import blocks, fft, gr, gr_unittest
from scipy import signal

from gnuradio import streamproc

SIZES_HOPS = [(n, h) for n in (16, 1000, 1024, 4096) for h in (1, n // 4, n // 2, n, 2 * n)]


def reference(x, w, n, hop, navg, scaling, fs, onesided, shift=False, db=False):
    """One Welch estimate per navg frames, each from scipy on that stretch of input."""
    nframes = (len(x) - n) // hop + 1
    out = []
    for j in range(nframes // navg):
        chunk = x[j * navg * hop: j * navg * hop + (navg - 1) * hop + n]
        if hop <= n:
            _, p = signal.welch(chunk, fs=fs, window=w, nperseg=n, noverlap=n - hop, detrend=False,
                                scaling=scaling, return_onesided=onesided, average="mean")
        else:
            fr = np.stack([chunk[k * hop:k * hop + n] * w for k in range(navg)])
            z = np.fft.rfft(fr.real, axis=1) if onesided else np.fft.fft(fr, axis=1)
            scale = 1.0 / (fs * np.sum(w ** 2)) if scaling == "density" else 1.0 / np.sum(w) ** 2
            p = np.mean(np.abs(z) ** 2, axis=0) * scale
            if onesided:
                p[1:n // 2 + (n % 2)] *= 2
        if shift:
            p = np.fft.fftshift(p)
        out.append(10 * np.log10(p) if db else p)
    return np.array(out)


def run(block, x, vlen, complex_in, max_noutput=None):
    tb = gr.top_block()
    src = (blocks.vector_source_c if complex_in else blocks.vector_source_f)(x.tolist())
    sink = blocks.vector_sink_f(vlen)
    tb.connect(src, block, sink)
    if max_noutput is not None:
        for b in (src, block, sink):
            b.set_max_noutput_items(max_noutput)
    tb.run()
    return np.array(sink.data()).reshape(-1, vlen)


class qa_welch(gr_unittest.TestCase):

    def setUp(self):
        self.rng = np.random.default_rng(5)

    def signal(self, n, complex_in):
        x = self.rng.standard_normal(n)
        if complex_in:
            x = x + 1j * self.rng.standard_normal(n)
        return x.astype(np.complex64 if complex_in else np.float32)

    def check(self, complex_in, n, hop, navg, scaling, fs, flag, db):
        nf = 3 * navg + (1 if navg > 1 else 0)
        x = self.signal((nf - 1) * hop + n + hop // 2, complex_in)
        w = np.array(fft.window.hann(n), dtype=np.float64)
        if complex_in:
            blk = streamproc.welch_cf(n, hop, w.tolist(), navg, scaling, fs, shift=flag, db=db)
            ref = reference(x.astype(np.complex128), w, n, hop, navg, scaling, fs, False, flag, db)
        else:
            blk = streamproc.welch_ff(n, hop, w.tolist(), navg, scaling, fs, onesided=flag, db=db)
            ref = reference(x.astype(np.float64), w, n, hop, navg, scaling, fs, flag, False, db)
        got = run(blk, x, blk.vlen(), complex_in)
        what = (complex_in, n, hop, navg, scaling, flag, db)
        self.assertEqual(got.shape, ref.shape, what)
        if db:
            self.assertLessEqual(np.max(np.abs(got - ref)), 1e-3, what)  # dB
        else:
            self.assertLessEqual(np.max(np.abs(got - ref) / np.max(ref, axis=1, keepdims=True)), 1e-4, what)

    def test_001_welch_cf_against_scipy(self):
        for n, hop in SIZES_HOPS:
            navg = 3 if hop > 1 else 2
            self.check(True, n, hop, navg, "density", 48000.0, False, False)
        self.check(True, 1024, 512, 4, "spectrum", 1.0, True, False)
        self.check(True, 1000, 250, 1, "density", 2e6, True, True)

    def test_002_welch_ff_against_scipy(self):
        for n, hop in SIZES_HOPS:
            navg = 3 if hop > 1 else 2
            self.check(False, n, hop, navg, "density", 48000.0, True, False)
        self.check(False, 1024, 256, 5, "spectrum", 1.0, False, False)
        self.check(False, 1000, 500, 2, "spectrum", 1.0, True, True)
        self.check(False, 16, 16, 1, "density", 10.0, False, True)

    def test_003_spectrogram_navg1(self):
        n, hop = 256, 64
        x = self.signal(50 * hop + n, False)
        w = np.array(fft.window.hann(n))
        blk = streamproc.welch_ff(n, hop, w.tolist(), 1, "density", 1e3)
        got = run(blk, x, blk.vlen(), False)
        _, _, sxx = signal.spectrogram(x.astype(np.float64), fs=1e3, window=w, nperseg=n, noverlap=n - hop,
                                       detrend=False, scaling="density", mode="psd")
        self.assertEqual(got.shape, sxx.T.shape)
        self.assertLessEqual(np.max(np.abs(got - sxx.T) / np.max(sxx.T, axis=1, keepdims=True)), 1e-4)

    def test_004_tiny_and_huge_calls_identical(self):
        for complex_in in (True, False):
            x = self.signal(20000, complex_in)
            w = fft.window.hann(128)
            outs = []
            for m in (1, 2, 5, None):
                blk = (streamproc.welch_cf(128, 40, w, 3) if complex_in else streamproc.welch_ff(128, 40, w, 3))
                outs.append(run(blk, x, blk.vlen(), complex_in, max_noutput=m))
            for got in outs[:-1]:
                np.testing.assert_array_equal(got, outs[-1])

    def test_005_bad_arguments(self):
        w = fft.window.hann(64)
        with self.assertRaisesRegex(ValueError, "navg must be between 1 and 1073741824, got 0"):
            streamproc.welch_cf(64, 32, w, 0)
        with self.assertRaisesRegex(ValueError, 'scaling must be "density" or "spectrum", got "psd"'):
            streamproc.welch_ff(64, 32, w, 2, "psd")
        with self.assertRaisesRegex(ValueError, "sample_rate must be positive"):
            streamproc.welch_ff(64, 32, w, 2, "density", 0.0)
        with self.assertRaisesRegex(ValueError, "fft_size must be between 2 and 16777216, got 0"):
            streamproc.welch_cf(0, 32, [], 2)
        with self.assertRaisesRegex(ValueError, "hop must be between 1 and 1073741824, got -1"):
            streamproc.welch_cf(64, -1, w, 2)
        # near 2^31 the item counts would overflow GNU Radio's int: refused with the limit
        with self.assertRaisesRegex(ValueError, "below 2\\^30 input samples per output vector"):
            streamproc.welch_cf(64, 1 << 20, fft.window.hann(64), 1 << 12)
        with self.assertRaisesRegex(ValueError, "navg must be between 1 and 1073741824, got 2147483647"):
            streamproc.welch_ff(64, 32, fft.window.hann(64), 2 ** 31 - 1)
        with self.assertRaisesRegex(ValueError, "window has 10 values, fft_size is 64"):
            streamproc.welch_ff(64, 16, [1.0] * 10, 2)


if __name__ == "__main__":
    gr_unittest.run(qa_welch)
