#!/usr/bin/python3
#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""stft_cc and stft_fc against scipy.signal.stft (and numpy where scipy cannot skip)."""

import os
import shutil
import tempfile

import numpy as np
import pmt
from gnuradio import analog, blocks, fft, gr, gr_unittest
from scipy import signal

from gnuradio import streamproc
from qa_helpers import wait_until

SIZES_HOPS = [(n, h) for n in (16, 1000, 1024, 4096) for h in (1, n // 4, n // 2, n, 2 * n)]
# odd sizes (real input goes through FFTW's r2c there, a half-length complex FFT
# and a split for even sizes) and the smallest even ones
SIZES_HOPS += [(n, h) for n in (4, 6, 15, 1001) for h in (1, max(1, n // 2), n)]


def frames_for(n, hop):
    return 6 if hop == 1 and n >= 1000 else 20


def reference(x, w, n, hop, onesided, shift=False):
    """Unnormalised DFT of each windowed frame (frames x bins)."""
    if hop <= n:
        _, _, z = signal.stft(x, window=w, nperseg=n, noverlap=n - hop, boundary=None, padded=False,
                              return_onesided=onesided, detrend=False)
        z = z.T * np.sum(w)  # scipy scales by 1/sum(window)
    else:
        nf = (len(x) - n) // hop + 1
        fr = np.stack([x[k * hop:k * hop + n] * w for k in range(nf)]).astype(np.complex128)
        z = np.fft.rfft(fr.real, axis=1) if onesided else np.fft.fft(fr, axis=1)
    return np.fft.fftshift(z, axes=1) if shift else z


def run(block, x, vlen, complex_in, max_noutput=None, tags=()):
    tb = gr.top_block()
    src = (blocks.vector_source_c if complex_in else blocks.vector_source_f)(x.tolist(), False, 1, list(tags))
    sink = blocks.vector_sink_c(vlen)
    tb.connect(src, block, sink)
    if max_noutput is not None:
        block.set_max_noutput_items(max_noutput)
        sink.set_max_noutput_items(max_noutput)
    tb.run()
    return np.array(sink.data()).reshape(-1, vlen), sink.tags()


def rel_err(got, ref):
    return np.max(np.abs(got - ref)) / np.max(np.abs(ref))


class qa_stft(gr_unittest.TestCase):

    def setUp(self):
        self.rng = np.random.default_rng(4)

    def signal(self, n, complex_in):
        x = self.rng.standard_normal(n)
        if complex_in:
            x = x + 1j * self.rng.standard_normal(n)
        return x.astype(np.complex64 if complex_in else np.float32)

    def test_001_stft_cc_against_scipy(self):
        for n, hop in SIZES_HOPS:
            nf = frames_for(n, hop)
            x = self.signal((nf - 1) * hop + n + hop // 3, True)
            w = np.array(fft.window.hann(n), dtype=np.float32)
            for shift in (False, True):
                blk = streamproc.stft_cc(n, hop, w.tolist(), shift)
                got, _ = run(blk, x, n, True)
                ref = reference(x.astype(np.complex128), w, n, hop, False, shift)
                self.assertEqual(got.shape, ref.shape, (n, hop))
                self.assertLessEqual(rel_err(got, ref), 1e-4, (n, hop, shift))

    def test_002_stft_fc_against_scipy(self):
        for n, hop in SIZES_HOPS:
            nf = frames_for(n, hop)
            x = self.signal((nf - 1) * hop + n + 1, False)
            w = np.array(fft.window.hamming(n), dtype=np.float32)
            for onesided in (True, False):
                blk = streamproc.stft_fc(n, hop, w.tolist(), onesided)
                vlen = n // 2 + 1 if onesided else n
                self.assertEqual(blk.vlen(), vlen)
                got, _ = run(blk, x, vlen, False)
                ref = reference(x.astype(np.float64), w, n, hop, onesided)
                self.assertEqual(got.shape, ref.shape, (n, hop, onesided))
                self.assertLessEqual(rel_err(got, ref), 1e-4, (n, hop, onesided))

    def test_003_tiny_and_huge_calls_identical(self):
        def tag(o):
            t = gr.tag_t()
            t.offset, t.key, t.value = o, pmt.intern("m"), pmt.from_long(o)
            return t
        for complex_in in (True, False):
            for n, hop in ((64, 16), (64, 64), (64, 150)):
                x = self.signal(5000, complex_in)
                w = fft.window.blackmanharris(n)
                tags = [tag(o) for o in (0, 1, 15, 16, 17, 1000, 4999)]
                outs = []
                for m in (1, 3, None):
                    blk = (streamproc.stft_cc(n, hop, w) if complex_in else streamproc.stft_fc(n, hop, w))
                    outs.append(run(blk, x, blk.vlen(), complex_in, max_noutput=m, tags=tags))
                for got, t in outs[:-1]:
                    np.testing.assert_array_equal(got, outs[-1][0])
                    self.assertEqual([(a.offset, pmt.to_python(a.value)) for a in t],
                                     [(a.offset, pmt.to_python(a.value)) for a in outs[-1][1]])
                # a tag goes to the first frame that starts at or after it
                nframes = len(outs[-1][0])
                expect = [(-(-o // hop), o) for o in (0, 1, 15, 16, 17, 1000, 4999) if -(-o // hop) < nframes]
                self.assertEqual([(a.offset, pmt.to_python(a.value)) for a in outs[-1][1]], expect)

    def test_004_set_window_while_stopped_and_running(self):
        n, hop = 128, 64
        x = self.signal(20000, True)
        blk = streamproc.stft_cc(n, hop, fft.window.hann(n))
        blk.set_window(fft.window.rectangular(n))  # before start
        got, _ = run(blk, x, n, True)
        ref = reference(x.astype(np.complex128), np.ones(n), n, hop, False)
        self.assertLessEqual(rel_err(got, ref), 1e-4)
        self.assertEqual(list(blk.window()), [1.0] * n)
        # While running (throttled, so the stream is half-way when the window changes):
        # the frames follow the Hann window up to some frame and the rectangular one
        # from there on, each frame exactly one of the two.
        x = self.signal(200_000, True)
        blk = streamproc.stft_cc(n, hop, fft.window.hann(n))
        tb = gr.top_block()
        src = blocks.vector_source_c(x.tolist())
        thr = blocks.throttle(gr.sizeof_gr_complex, 400e3)
        sink = blocks.vector_sink_c(n)
        tb.connect(src, thr, blk, sink)
        tb.start()
        wait_until(lambda: len(sink.data()) >= 200 * n, 30, "200 frames")
        blk.set_window(fft.window.rectangular(n))
        tb.wait()
        got = np.array(sink.data(), dtype=np.complex64).reshape(-1, n)
        hann = reference(x.astype(np.complex128), np.array(fft.window.hann(n)), n, hop, False)
        rect = reference(x.astype(np.complex128), np.ones(n), n, hop, False)
        self.assertEqual(got.shape, hann.shape)
        err_h = np.max(np.abs(got - hann), axis=1) / np.max(np.abs(hann), axis=1)
        err_r = np.max(np.abs(got - rect), axis=1) / np.max(np.abs(rect), axis=1)
        is_hann = err_h < 1e-4
        self.assertTrue(np.all(is_hann | (err_r < 1e-4)))  # every frame one of the two
        switch = int(np.argmin(is_hann))  # first rectangular frame
        self.assertGreaterEqual(switch, 200)  # the change came while running
        self.assertLess(switch, len(got) - 100)
        self.assertTrue(np.all(is_hann[:switch]) and not np.any(is_hann[switch:]))

    def test_006_frames_larger_than_default_buffers(self):
        """fft_size above what a default upstream buffer holds (64 KiB: 8192 complex or
        16384 float items) used to give 0 frames and end normally; now every frame comes,
        behind vector_source (default buffers), head, and mmap_file_source."""
        for complex_in, n, hop in ((True, 8192, 2048), (False, 16384, 4096), (True, 32768, 20000)):
            x = self.signal(6 * n + 123, complex_in)
            w = np.array(fft.window.hann(n))
            blk = streamproc.stft_cc(n, hop, list(w)) if complex_in else streamproc.stft_fc(n, hop, list(w))
            got, _ = run(blk, x, blk.vlen(), complex_in)
            ref = reference(x.astype(np.complex128) if complex_in else x.astype(np.float64), w, n, hop,
                            not complex_in)
            self.assertEqual(got.shape[0], (len(x) - n) // hop + 1, (complex_in, n, hop))
            self.assertLessEqual(rel_err(got, ref), 1e-4)
        # behind analog noise -> head (the case) and behind mmap_file_source
        tb = gr.top_block()
        st = streamproc.stft_cc(8192, 2048, fft.window.hann(8192))
        sink = blocks.vector_sink_c(8192)
        tb.connect(analog.noise_source_c(analog.GR_GAUSSIAN, 1.0, 1), blocks.head(gr.sizeof_gr_complex, 500_000),
                   st, sink)
        tb.run()
        self.assertEqual(len(sink.data()) // 8192, (500_000 - 8192) // 2048 + 1)
        path = os.path.join(tempfile.mkdtemp(prefix="qa_stft."), "big.cf32")
        try:
            n = 1 << 19
            self.signal(3 * n, True).astype(np.complex64).tofile(path)
            tb = gr.top_block()
            st = streamproc.stft_cc(n, n // 4, fft.window.hann(n))
            sink = blocks.null_sink(n * 8)
            probe = blocks.probe_rate(n * 8)
            tb.connect(streamproc.mmap_file_source(8, path), st, sink)
            tb.connect(st, probe)
            tb.run()
            self.assertEqual(st.nitems_written(0), (3 * n - n) // (n // 4) + 1)
        finally:
            shutil.rmtree(os.path.dirname(path), ignore_errors=True)

    def test_005_bad_arguments(self):
        w = fft.window.hann(64)
        with self.assertRaisesRegex(ValueError, "fft_size must be between 2 and 16777216, got 1"):
            streamproc.stft_cc(1, 1, [1.0])
        with self.assertRaisesRegex(ValueError, "hop must be between 1 and 1073741824, got 0"):
            streamproc.stft_fc(64, 0, w)
        with self.assertRaisesRegex(ValueError, "window has 64 values, fft_size is 32"):
            streamproc.stft_cc(32, 8, w)
        blk = streamproc.stft_fc(64, 8, w)
        with self.assertRaisesRegex(ValueError, "window has 3 values, fft_size is 64"):
            blk.set_window([1.0, 2.0, 3.0])


if __name__ == "__main__":
    gr_unittest.run(qa_stft)
