#!/usr/bin/python3
#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""ols_fir_fff/ccc/ccf against numpy/scipy convolution (float64 references)."""

import numpy as np
import pmt
from gnuradio import blocks, gr, gr_unittest
from scipy import signal

from gnuradio import streamproc
from qa_helpers import wait_until

TYPES = {
    # name: (block, source, sink, complex data, complex taps)
    "fff": (streamproc.ols_fir_fff, blocks.vector_source_f, blocks.vector_sink_f, False, False),
    "ccc": (streamproc.ols_fir_ccc, blocks.vector_source_c, blocks.vector_sink_c, True, True),
    "ccf": (streamproc.ols_fir_ccf, blocks.vector_source_c, blocks.vector_sink_c, True, False),
}


def reference(x, h, decim):
    """y[j] = sum_k h[k] x[j*D - k] for j < len(x) // D, in float64."""
    full = signal.lfilter(np.asarray(h, dtype=np.complex128 if np.iscomplexobj(h) else np.float64),
                          [1.0], np.asarray(x, dtype=np.complex128 if np.iscomplexobj(x) else np.float64))
    return full[::decim][:len(x) // decim]


def make_tag(offset, value):
    t = gr.tag_t()
    t.offset = offset
    t.key = pmt.intern("mark")
    t.value = pmt.from_long(value)
    return t


def run_filter(kind, x, taps, decim, fft_size=0, max_noutput=None, tags=()):
    make, src_t, sink_t, _, _ = TYPES[kind]
    tb = gr.top_block()
    src = src_t(x.tolist(), False, 1, list(tags))
    filt = make(decim, taps.tolist(), fft_size=fft_size)
    sink = sink_t()
    tb.connect(src, filt, sink)
    if max_noutput is not None:
        # (vector_source with tags emits its whole vector in one call: with a smaller
        # max_noutput_items it never starts, so it is limited only without tags)
        for b in (filt, sink) if tags else (src, filt, sink):
            b.set_max_noutput_items(max_noutput)
    tb.run()
    return np.array(sink.data()), sink.tags(), filt


class qa_ols_fir(gr_unittest.TestCase):

    def setUp(self):
        self.rng = np.random.default_rng(2026)

    def data(self, kind, n):
        if TYPES[kind][3]:
            return (self.rng.standard_normal(n) + 1j * self.rng.standard_normal(n)).astype(np.complex64)
        return self.rng.standard_normal(n).astype(np.float32)

    def taps(self, kind, n):
        if TYPES[kind][4]:
            return (self.rng.standard_normal(n) + 1j * self.rng.standard_normal(n)).astype(np.complex64)
        return self.rng.standard_normal(n).astype(np.float32)

    def assert_close(self, got, ref, what):
        self.assertEqual(len(got), len(ref), what)
        rms = np.sqrt(np.mean(np.abs(ref) ** 2)) if len(ref) else 1.0
        err = np.max(np.abs(got - ref)) / rms if len(ref) else 0.0
        self.assertLessEqual(err, 1e-5, "%s: max error %.3g of the RMS" % (what, err))

    # ------------------------------------------------------------------ accuracy
    def test_001_against_scipy(self):
        for kind in TYPES:
            for ntaps in (1, 2, 33, 129, 1024, 1025, 4097):
                for decim in (1, 2, 3, 7, 10):
                    n = int(self.rng.integers(3 * ntaps + 500, 3 * ntaps + 20000))
                    x, h = self.data(kind, n), self.taps(kind, ntaps)
                    y, _, filt = run_filter(kind, x, h, decim)
                    self.assert_close(y, reference(x, h, decim),
                                      "%s taps=%d D=%d n=%d N=%d" % (kind, ntaps, decim, n, filt.fft_size()))

    def test_001b_large_decimation(self):
        """Every decimation fft_filter/fir_filter accept: D above max(256, 2 x taps) used to
        find no FFT size ("taps do not fit ... at most 0 items")."""
        for kind in TYPES:
            for ntaps, decim in ((3, 257), (129, 259), (1, 1000), (33, 4097)):
                x, h = self.data(kind, 30 * decim + 777), self.taps(kind, ntaps)
                y, _, filt = run_filter(kind, x, h, decim)
                self.assert_close(y, reference(x, h, decim), "%s taps=%d D=%d N=%d" % (
                    kind, ntaps, decim, filt.fft_size()))

    def test_002_given_fft_size_honoured(self):
        for kind in TYPES:
            x, h = self.data(kind, 9000), self.taps(kind, 100)
            for fft_size, decim in ((100, 1), (128, 2), (300, 3), (4096, 8), (999, 1)):
                y, _, filt = run_filter(kind, x, h, decim, fft_size=fft_size)
                self.assertEqual(filt.fft_size(), fft_size)
                self.assert_close(y, reference(x, h, decim), "%s N=%d D=%d" % (kind, fft_size, decim))

    def test_003_impulse_and_step(self):
        for kind in TYPES:
            h = self.taps(kind, 129)
            x = np.zeros(2000, dtype=h.dtype if TYPES[kind][3] else np.float32)
            x[0] = 1
            y, _, _ = run_filter(kind, x, h, 1)
            np.testing.assert_allclose(y[:129], h, rtol=0, atol=1e-5 * np.max(np.abs(h)))
            np.testing.assert_allclose(y[129:], 0, atol=1e-5 * np.max(np.abs(h)))
            x = np.ones(3000, dtype=x.dtype)
            y, _, _ = run_filter(kind, x, h, 1)
            step = np.cumsum(h.astype(np.complex128 if TYPES[kind][4] else np.float64))
            np.testing.assert_allclose(y[:129], step, rtol=0, atol=1e-5 * np.max(np.abs(step)))
            np.testing.assert_allclose(y[129:], step[-1], rtol=0, atol=1e-5 * np.max(np.abs(step)))

    def test_004_end_of_stream_not_dropped(self):
        # filter.fft_filter_* drops up to a block of outputs at the end; we do not.
        for n in (1, 7, 1000, 4097, 10001):
            x, h = self.data("fff", n), self.taps("fff", 257)
            for decim in (1, 4):
                y, _, _ = run_filter("fff", x, h, decim)
                self.assertEqual(len(y), n // decim)
                self.assert_close(y, reference(x, h, decim), "n=%d D=%d" % (n, decim))

    # ------------------------------------------------------------------ direct form
    def test_005_direct_form_against_scipy(self):
        """The direct polyphase form, forced, against lfilter(...)[::D]."""
        direct = streamproc.ols_fir_fff.direct_form
        for kind in TYPES:
            for ntaps in (1, 2, 7, 33, 200):
                for decim in (1, 2, 3, 8, 17):
                    n = int(self.rng.integers(9000, 30000))
                    x, h = self.data(kind, n), self.taps(kind, ntaps)
                    y, _, filt = run_filter(kind, x, h, decim, fft_size=direct)
                    self.assertEqual((filt.method(), filt.fft_size()), ("direct", 0))
                    self.assert_close(y, reference(x, h, decim), "direct %s taps=%d D=%d n=%d" % (
                        kind, ntaps, decim, n))
                    if ntaps in (2, 33) and decim in (1, 17):
                        for m in (1, 7):  # tiny work calls: bit-identical
                            ym, _, _ = run_filter(kind, x, h, decim, fft_size=direct, max_noutput=m)
                            np.testing.assert_array_equal(ym, y)
        # ols_fir_ccc with taps that are all real takes the complex-by-real kernels
        for ntaps, decim in ((33, 3), (200, 8), (41, 1)):
            x = self.data("ccc", 20011)
            h = self.taps("ccf", ntaps).astype(np.complex64)
            y, _, filt = run_filter("ccc", x, h, decim, fft_size=direct)
            self.assert_close(y, reference(x, h, decim), "direct ccc, real taps=%d D=%d" % (ntaps, decim))
            ym, _, _ = run_filter("ccc", x, h, decim, fft_size=direct, max_noutput=5)
            np.testing.assert_array_equal(ym, y)

    def test_006_automatic_method_choice(self):
        """fft_size=0 picks the direct form for few taps and a large decimation (or D = 1
        and very few taps) and overlap-save for long filters; -2 forces overlap-save."""
        for kind in TYPES:
            make = TYPES[kind][0]
            self.assertEqual(make(64, [1.0] * 3).method(), "direct")
            self.assertEqual(make(257, [1.0] * 3).method(), "direct")
            self.assertEqual(make(1, [1.0] * 129).method(), "overlap-save")
            self.assertEqual(make(8, [1.0] * 1025).method(), "overlap-save")
            f = make(64, [1.0] * 3, fft_size=make.overlap_save_auto)
            self.assertEqual(f.method(), "overlap-save")
            self.assertGreater(f.fft_size(), 0)
        self.assertEqual(streamproc.ols_fir_fff(1, [0.25, 0.5, 0.25]).method(), "direct")

    def test_007_switch_method_with_set_taps(self):
        """3 taps at D=1 run in the direct form, 129 taps by overlap-save, and back:
        the switch keeps the stream continuous (checked piecewise against scipy)."""
        for kind in ("fff", "ccf"):
            h3 = self.taps(kind, 3)
            self.assertEqual(TYPES[kind][0](1, h3.tolist()).method(), "direct")
            self.switch_run(kind, h3, self.taps(kind, 129), 1, False)
            self.switch_run(kind, self.taps(kind, 129), h3, 1, True)
        self.switch_run("ccc", self.taps("ccc", 5), self.taps("ccc", 300), 64, False)

    # ------------------------------------------------------------------ work-call sizes
    def test_010_tiny_and_huge_calls_identical(self):
        for kind in TYPES:
            x, h = self.data(kind, 30011), self.taps(kind, 129)
            tags = [make_tag(o, o) for o in (0, 5, 1000, 1001, 17000, 30010)]
            for decim in (1, 3):
                runs = [run_filter(kind, x, h, decim, max_noutput=m, tags=tags) for m in (1, 7, 1000, None)]
                runs += [run_filter(kind, x, h, decim, max_noutput=m) for m in (1, 7)]
                ref_y, ref_tags, _ = runs[3]  # default buffers, with tags
                self.assert_close(ref_y, reference(x, h, decim), "%s D=%d" % (kind, decim))
                ref_t = [(t.offset, pmt.to_python(t.value)) for t in ref_tags]
                for y, t, _ in runs[:3]:
                    np.testing.assert_array_equal(y, ref_y)  # bit-identical
                    self.assertEqual([(tt.offset, pmt.to_python(tt.value)) for tt in t], ref_t)
                for y, _, _ in runs[4:]:  # tiny calls upstream too
                    np.testing.assert_array_equal(y, ref_y)

    def test_011_tags_follow_delay_and_decimation(self):
        x, h = self.data("fff", 20000), self.taps("fff", 101)
        offsets = (0, 10, 999, 5000, 19999)
        tags = [make_tag(o, o) for o in offsets]
        for decim in (1, 4):
            _, got, filt = run_filter("fff", x, h, decim, tags=tags)
            delay = (101 - 1) // 2
            expect = [((o + delay) // decim, o) for o in offsets if (o + delay) // decim < 20000 // decim]
            self.assertEqual([(t.offset, pmt.to_python(t.value)) for t in got], expect)

    # ------------------------------------------------------------------ NaN / Inf
    def test_020_nan_inf_stay_local(self):
        for kind in ("fff", "ccf"):
            x, h = self.data(kind, 40000), self.taps(kind, 129)
            bad = (10000, 25000)
            x[bad[0]] = np.nan
            x[bad[1]] = np.inf
            y, _, filt = run_filter(kind, x, h, 1)
            clean = x.copy()
            clean[list(bad)] = 0
            ref = reference(clean, h, 1)
            touched = np.zeros(len(y), dtype=bool)
            for b in bad:
                touched[b:b + 129] = True
            self.assertTrue(np.all(~np.isfinite(y[touched])))
            self.assertTrue(np.all(np.isfinite(y[~touched])))
            self.assert_close(y[~touched], ref[~touched], kind + " outside the bad windows")
            self.assertGreaterEqual(filt.direct_blocks(), 1)

    # ------------------------------------------------------------------ taps while running
    def switch_run(self, kind, h1, h2, decim, via_message):
        make, src_t, sink_t, _, _ = TYPES[kind]
        n = 400000
        x = self.data(kind, n)
        tb = gr.top_block()
        src = src_t(x.tolist())
        thr = blocks.throttle(gr.sizeof_gr_complex if TYPES[kind][3] else gr.sizeof_float, 2e6)
        filt = make(decim, h1.tolist())
        sink = sink_t()
        tb.connect(src, thr, filt, sink)
        tb.start()
        wait_until(lambda: len(sink.data()) >= 20000 // decim, 60, "20000 samples through the filter",
                   poll=0.005)
        old_block = filt.block_outputs()
        if via_message:
            vec = (pmt.init_c32vector(len(h2), h2.tolist()) if TYPES[kind][4]
                   else pmt.init_f32vector(len(h2), h2.tolist()))
            filt._post(pmt.intern("taps"), vec)
        else:
            filt.set_taps(h2.tolist())
        tb.wait()
        y = np.array(sink.data())
        self.assertEqual(len(y), n // decim)
        r1, r2 = reference(x, h1, decim), reference(x, h2, decim)
        # Find where the output stops following the old taps; from there on it must
        # follow the new taps over the same, continuous input.
        rms = np.sqrt(np.mean(np.abs(r1) ** 2))
        old_ok = np.abs(y - r1) <= 1e-5 * rms
        s = int(np.argmin(old_ok)) if not old_ok.all() else len(y)
        self.assertLess(s, len(y), "the new taps never took effect")
        self.assertGreater(s, 0)
        self.assertEqual(s % old_block, 0, "switch at %d is not a block boundary (%d)" % (s, old_block))
        self.assert_close(y[s:], r2[s:], "%s after the switch at %d" % (kind, s))
        return s

    def test_030_set_taps_same_count(self):
        for kind in TYPES:
            self.switch_run(kind, self.taps(kind, 129), self.taps(kind, 129), 1, False)

    def test_031_set_taps_more_taps(self):
        # more taps than the history holds: the history grows without a gap
        self.switch_run("fff", self.taps("fff", 33), self.taps("fff", 1025), 1, False)
        self.switch_run("ccc", self.taps("ccc", 33), self.taps("ccc", 700), 3, False)

    def test_032_set_taps_fewer_taps_by_message(self):
        self.switch_run("fff", self.taps("fff", 1025), self.taps("fff", 17), 2, True)
        self.switch_run("ccc", self.taps("ccc", 129), self.taps("ccc", 64), 1, True)
        self.switch_run("ccf", self.taps("ccf", 129), self.taps("ccf", 300), 1, True)

    def test_033_set_taps_before_start(self):
        x, h1, h2 = self.data("fff", 5000), self.taps("fff", 10), self.taps("fff", 200)
        tb = gr.top_block()
        filt = streamproc.ols_fir_fff(1, h1.tolist())
        filt.set_taps(h2.tolist())
        self.assertEqual(len(filt.taps()), 200)
        sink = blocks.vector_sink_f()
        tb.connect(blocks.vector_source_f(x.tolist()), filt, sink)
        tb.run()
        self.assert_close(np.array(sink.data()), reference(x, h2, 1), "taps set before start")

    # ------------------------------------------------------------------ bad input
    def test_040_bad_arguments(self):
        with self.assertRaisesRegex(ValueError, "taps must not be empty"):
            streamproc.ols_fir_fff(1, [])
        with self.assertRaisesRegex(ValueError, "decimation must be >= 1, got 0"):
            streamproc.ols_fir_ccc(0, [1.0])
        with self.assertRaisesRegex(ValueError, "fft_size 64 is smaller than the 100 taps"):
            streamproc.ols_fir_ccf(1, [1.0] * 100, fft_size=64)
        with self.assertRaisesRegex(ValueError, "fft_size 1000 is not a multiple of the decimation 3"):
            streamproc.ols_fir_fff(3, [1.0] * 10, fft_size=1000)
        with self.assertRaisesRegex(ValueError, "fft_size must be 0 .* got -5"):
            streamproc.ols_fir_fff(1, [1.0], fft_size=-5)
        # fft_filter_*(decimation, taps, nthreads): a third positional argument is
        # refused with the reason, not taken as a 1-point FFT
        for make in (streamproc.ols_fir_fff, streamproc.ols_fir_ccf, streamproc.ols_fir_ccc):
            with self.assertRaisesRegex(TypeError, "keyword-only .*nthreads"):
                make(8, [1.0] * 10, 1)
        filt = streamproc.ols_fir_fff(1, [1.0] * 10, fft_size=64)
        with self.assertRaisesRegex(ValueError, "taps must not be empty"):
            filt.set_taps([])
        with self.assertRaisesRegex(ValueError, "fft_size 64 is smaller than the 65 taps"):
            filt.set_taps([1.0] * 65)
        self.assertEqual(len(filt.taps()), 10)


if __name__ == "__main__":
    gr_unittest.run(qa_ols_fir)
