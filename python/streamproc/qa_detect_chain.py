#!/usr/bin/python3
#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""detect_chain (the hier block of `streamproc detect`) and detect_file() (its library
function): the same events as the blocks wired by hand, positions mapped to the input,
the same for any work-call sizes and upstream, progress reported, errors named."""

import json
import os
import shutil
import tempfile

import numpy as np
import pmt
from gnuradio import blocks, gr, gr_unittest
from gnuradio.filter import firdes

from gnuradio import streamproc


def events_of(dbg):
    out = []
    for j in range(dbg.num_messages()):
        d = dbg.get_message(j)
        items = pmt.dict_items(d)
        ev = {}
        while pmt.is_pair(items):
            ev[pmt.symbol_to_string(pmt.car(pmt.car(items)))] = pmt.to_python(pmt.cdr(pmt.car(items)))
            items = pmt.cdr(items)
        out.append(ev)
    return out


def bursts(n, truth, complex_in, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n) + (1j * rng.standard_normal(n) if complex_in else 0)
    for s, length in truth:
        x[s:s + length] += 8 * np.exp(2j * np.pi * 0.01 * np.arange(length)) if complex_in else \
            8 * np.cos(2 * np.pi * 0.01 * np.arange(length))
    return x.astype(np.complex64 if complex_in else np.float32)


class qa_detect_chain(gr_unittest.TestCase):

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="qa_detect_chain.")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def run_chain(self, x, taps, decim, max_noutput=None, **kw):
        tb = gr.top_block()
        src = (blocks.vector_source_c if np.iscomplexobj(x) else blocks.vector_source_f)(x.tolist())
        chain = streamproc.detect_chain(np.iscomplexobj(x), 1e6, taps, decim, **kw)
        dbg = blocks.message_debug()
        tb.connect(src, chain)
        tb.msg_connect(chain, "events", dbg, "store")
        if max_noutput:
            for b in (chain.fir, chain.detector):
                if b is not None:
                    b.set_max_noutput_items(max_noutput)
        tb.run()
        return events_of(dbg), chain

    def test_001_same_as_blocks_by_hand(self):
        n = 400_000
        truth = [(20_000 + k * 37_000, 3000 + 500 * k) for k in range(10)]
        taps = list(firdes.low_pass(1.0, 1e6, 50e3, 12.5e3))
        for complex_in in (False, True):
            x = bursts(n, truth, complex_in)
            for decim in (1, 4):
                got, chain = self.run_chain(x, taps, decim, merge_gap=400)
                # by hand: filter, detector, positions mapped
                tb = gr.top_block()
                src = (blocks.vector_source_c if complex_in else blocks.vector_source_f)(x.tolist())
                fir = (streamproc.ols_fir_ccf if complex_in else streamproc.ols_fir_fff)(decim, taps)
                det = (streamproc.event_detector_c if complex_in else streamproc.event_detector_f)(
                    sample_rate=1e6 / decim, merge_gap=-(-400 // decim))
                det.set_noise_filter(taps, decim)
                dbg = blocks.message_debug()
                tb.connect(src, fir, det)
                tb.msg_connect(det, "events", dbg, "store")
                tb.run()
                ref = events_of(dbg)
                self.assertEqual(len(got), len(truth), (complex_in, decim))
                self.assertEqual(len(got), len(ref))
                delay = (len(taps) - 1) // 2
                for g, r, (s, length) in zip(got, ref, truth):
                    self.assertEqual(g["stream_start"], r["start"])
                    self.assertEqual(g["start"], max(0, r["start"] * decim - delay))
                    self.assertEqual(g["end"], r["end"] * decim - delay)
                    self.assertEqual(g["energy"], r["energy"])
                    self.assertAlmostEqual(g["time"], g["start"] / 1e6)
                    # in input samples: within the window (after decimation) of the truth
                    self.assertLessEqual(abs(g["start"] - s), 64 * decim)
                    self.assertLessEqual(abs(g["end"] - (s + length)), 64 * decim)
                self.assertEqual(chain.delay, delay)

    def test_002_work_call_sizes(self):
        n = 200_000
        truth = [(10_000 + k * 30_000, 2000 + 700 * k) for k in range(6)]
        x = bursts(n, truth, True, seed=2)
        taps = list(firdes.low_pass(1.0, 1e6, 100e3, 25e3))
        ref, _ = self.run_chain(x, taps, 2)
        self.assertEqual(len(ref), len(truth))
        for m in (1, 7, 100_000):
            got, _ = self.run_chain(x, taps, 2, max_noutput=m)
            self.assertEqual(got, ref, "max_noutput=%d" % m)
        plain, chain = self.run_chain(x, None, 1)  # no filter: the detector alone
        self.assertIsNone(chain.fir)
        self.assertEqual(len(plain), len(truth))
        self.assertNotIn("stream_start", plain[0])

    def test_003_detect_file(self):
        n = 1_000_000
        truth = [(30_000 + k * 90_000, 5000 + 300 * k) for k in range(10)]
        path = os.path.join(self.dir, "rec.cf32")
        bursts(n, truth, True, seed=3).tofile(path)
        seen = []
        out = os.path.join(self.dir, "ev.jsonl")
        rep = streamproc.detect_file(path, streamproc.DetectOptions(rate=1e6, lowpass=100e3, decimation=4),
                                     events=out, progress=lambda done, total: seen.append((done, total)))
        self.assertEqual(rep["type"], "cf32_le")
        self.assertEqual(rep["samples"], n)
        self.assertEqual(rep["events"], len(truth))
        self.assertEqual(seen[-1], (8 * n, 8 * n))
        self.assertEqual([d for d, _ in seen], sorted(d for d, _ in seen))
        events = [json.loads(line) for line in open(out)]
        for e, (s, length) in zip(events, truth):
            self.assertLessEqual(abs(e["start"] - s), 4 * 64)
        with self.assertRaisesRegex(streamproc.UsageError, "--decimation needs --lowpass or --taps"):
            streamproc.detect_file(path, streamproc.DetectOptions(decimation=2))
        with self.assertRaisesRegex(streamproc.UsageError, "no such file"):
            streamproc.detect_file(path + ".missing", kind="cf32")
        with self.assertRaisesRegex(ValueError, "needs taps"):
            streamproc.detect_chain(False, 1e6, None, 3)


if __name__ == "__main__":
    gr_unittest.run(qa_detect_chain)
