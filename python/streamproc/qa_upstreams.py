#!/usr/bin/python3
#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""Every block behind each kind of upstream: mmap_file_source (8 MiB buffer),
blocks.file_source (GNU Radio's default buffer) and file_source -> blocks.copy (a
default-buffer block in between), with tiny and huge work calls: the output is identical
(bit for bit, event lists field for field), and correct against numpy/scipy."""

import os
import shutil
import tempfile

import numpy as np
import pmt
from gnuradio import blocks, gr, gr_unittest
from scipy import signal

from gnuradio import streamproc

UPSTREAMS = ("mmap", "file_source", "file_source+copy")


def upstream(tb, kind, itemsize, path):
    """The source chain: returns its last block."""
    if kind == "mmap":
        return streamproc.mmap_file_source(itemsize, path)
    src = blocks.file_source(itemsize, path, False)
    if kind == "file_source":
        return src
    copy = blocks.copy(itemsize)
    tb.connect(src, copy)
    return copy


def run_stream(kind, path, itemsize, make_block, out_itemsize, max_noutput=None):
    """upstream -> block -> vector sink; returns the output bytes as an array."""
    tb = gr.top_block()
    up = upstream(tb, kind, itemsize, path)
    blk = make_block()
    sink = blocks.file_sink(out_itemsize, path + ".out")
    sink.set_unbuffered(False)
    tb.connect(up, blk, sink)
    if max_noutput is not None:
        blk.set_max_noutput_items(max_noutput)
    tb.run()
    sink.close()
    data = np.fromfile(path + ".out", dtype=np.uint8)
    os.unlink(path + ".out")
    return data, blk


def run_detector(kind, path, complex_in, max_noutput=None):
    tb = gr.top_block()
    up = upstream(tb, kind, 8 if complex_in else 4, path)
    det = (streamproc.event_detector_c if complex_in else streamproc.event_detector_f)(window=32)
    dbg = blocks.message_debug()
    tb.connect(up, det)
    tb.msg_connect(det, "events", dbg, "store")
    if max_noutput is not None:
        det.set_max_noutput_items(max_noutput)
    tb.run()
    return [pmt.write_string(dbg.get_message(i)) for i in range(dbg.num_messages())]


class qa_upstreams(gr_unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="qa_upstreams_")
        rng = np.random.default_rng(11)
        n = 200_003
        cls.xf = rng.standard_normal(n).astype(np.float32)
        cls.xc = (rng.standard_normal(n) + 1j * rng.standard_normal(n)).astype(np.complex64)
        for x in (cls.xf, cls.xc):  # bursts for the detector
            for s in range(5000, n - 3000, 17000):
                x[s:s + 1500 + s % 700] *= 8
        cls.pf = os.path.join(cls.dir, "x.f32")
        cls.pc = os.path.join(cls.dir, "x.cf32")
        cls.xf.tofile(cls.pf)
        cls.xc.tofile(cls.pc)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir)

    def same_everywhere(self, path, itemsize, make_block, out_itemsize, what):
        """The same bytes behind every upstream and for tiny/huge work calls; returns them."""
        ref, _ = run_stream("mmap", path, itemsize, make_block, out_itemsize)
        self.assertGreater(len(ref), 0, what)
        for kind in UPSTREAMS:
            for m in (None, 7, 1 << 20):
                got, _ = run_stream(kind, path, itemsize, make_block, out_itemsize, m)
                self.assertEqual(len(got), len(ref), "%s behind %s, max_noutput %s" % (what, kind, m))
                self.assertTrue(np.array_equal(got, ref), "%s behind %s, max_noutput %s" % (what, kind, m))
        return ref

    def test_001_ols_fir(self):
        rng = np.random.default_rng(5)
        for kind, make, x, path, itemsize in (
                ("fff", streamproc.ols_fir_fff, self.xf, self.pf, 4),
                ("ccf", streamproc.ols_fir_ccf, self.xc, self.pc, 8),
                ("ccc", streamproc.ols_fir_ccc, self.xc, self.pc, 8)):
            for ntaps, decim, fft_size in ((129, 1, 0), (33, 8, 0), (3, 1, 0), (7, 17, -1), (1025, 3, 0)):
                h = rng.standard_normal(ntaps).astype(np.float32)
                if kind == "ccc":
                    h = (h + 1j * rng.standard_normal(ntaps)).astype(np.complex64)
                what = "%s %d taps D=%d fft_size=%d" % (kind, ntaps, decim, fft_size)
                out = self.same_everywhere(path, itemsize, lambda: make(decim, h.tolist(), fft_size=fft_size),
                                           itemsize, what)
                y = out.view(np.float32 if kind == "fff" else np.complex64)
                ref = signal.lfilter(h.astype(np.complex128 if kind == "ccc" else np.float64), [1.0],
                                     x.astype(np.float64 if kind == "fff" else np.complex128))[::decim]
                ref = ref[:len(x) // decim]
                self.assertEqual(len(y), len(ref), what)
                err = np.max(np.abs(y - ref)) / np.sqrt(np.mean(np.abs(ref) ** 2))
                self.assertLess(err, 1e-5, what)

    def test_002_stft_and_welch(self):
        w = np.hanning(1024).astype(np.float32).tolist()
        cases = (
            ("stft_cc", lambda: streamproc.stft_cc(1024, 512, w), self.pc, 8, 1024 * 8),
            ("stft_fc", lambda: streamproc.stft_fc(1024, 256, w), self.pf, 4, 513 * 8),
            ("welch_cf", lambda: streamproc.welch_cf(1024, 512, w, 4), self.pc, 8, 1024 * 4),
            ("welch_ff", lambda: streamproc.welch_ff(1024, 512, w, 3), self.pf, 4, 513 * 4),
            ("stft_cc 8192", lambda: streamproc.stft_cc(8192, 2048, np.hanning(8192).tolist()), self.pc, 8,
             8192 * 8),
        )
        for name, make, path, itemsize, out_itemsize in cases:
            out = self.same_everywhere(path, itemsize, make, out_itemsize, name)
            if name == "stft_cc":
                z = out.view(np.complex64).reshape(-1, 1024)
                frames = np.lib.stride_tricks.sliding_window_view(self.xc, 1024)[::512]
                ref = np.fft.fft(frames * np.hanning(1024), axis=1)
                self.assertEqual(z.shape, ref.shape)
                self.assertLess(np.max(np.abs(z - ref)) / np.max(np.abs(ref)), 1e-5)

    def test_003_event_detector(self):
        for complex_in, path in ((False, self.pf), (True, self.pc)):
            ref = run_detector("mmap", path, complex_in)
            self.assertEqual(len(ref), len(range(5000, len(self.xf) - 3000, 17000)))
            for kind in UPSTREAMS:
                for m in (None, 7, 1 << 20):
                    self.assertEqual(run_detector(kind, path, complex_in, m), ref,
                                     "complex %s behind %s, max_noutput %s" % (complex_in, kind, m))

    def test_004_run_again(self):
        """top_block.run() a second and third time (a notebook, stop() and start()):
        GNU Radio starts a new stream, and every block gives the same output again (the
        detector's forecast used to ask for the whole last stream again and stall; the
        filters' and spectra's tag and frame counters ran on)."""
        x = self.xf[:100000]
        tb = gr.top_block()
        src = blocks.vector_source_f(x.tolist(), False, 1, [])
        fir = streamproc.ols_fir_fff(1, [0.25, 0.5, 0.25])
        fir2 = streamproc.ols_fir_fff(3, np.hanning(129).tolist())
        det = streamproc.event_detector_f(window=32)
        st = streamproc.stft_fc(1024, 512, np.hanning(1024).tolist())
        we = streamproc.welch_ff(256, 128, np.hanning(256).tolist(), 4)
        dbg = blocks.message_debug()
        sinks = [blocks.vector_sink_f(), blocks.vector_sink_f(), blocks.vector_sink_c(513),
                 blocks.vector_sink_f(129)]
        tb.connect(src, fir, sinks[0])
        tb.connect(src, fir2, sinks[1])
        tb.connect(src, st, sinks[2])
        tb.connect(src, we, sinks[3])
        tb.connect(src, det)
        tb.msg_connect(det, "events", dbg, "store")
        runs = []
        for r in range(3):
            src.rewind()
            for k in sinks:
                k.reset()
            before = dbg.num_messages()
            tb.run()
            runs.append(([np.array(k.data()) for k in sinks],
                         [pmt.write_string(dbg.get_message(i)) for i in range(before, dbg.num_messages())]))
        self.assertEqual(len(runs[0][0][0]), len(x))
        self.assertEqual(len(runs[0][0][1]), len(x) // 3)
        self.assertGreater(len(runs[0][1]), 0)
        for r in (1, 2):
            for a, b in zip(runs[0][0], runs[r][0]):
                np.testing.assert_array_equal(a, b)
            self.assertEqual(runs[r][1], runs[0][1])
            self.assertEqual(det.events_found(), len(runs[0][1]))


if __name__ == "__main__":
    gr_unittest.run(qa_upstreams)
