#!/usr/bin/python3
#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""The tracked noise floor on the captures that broke the first one: synthetic files
for each hard case (8-bit digital zero, one-LSB noise with exact zeros and two
transmitters, 50 % ASK starting inside a message, a burst at sample 0, a decaying
overdrive), run through `streamproc detect` with the default settings and checked
against their truth and against the numpy reference of the documented rules
(qa_event_detector.reference_events), and the real captures of ../shared/data against
that reference. Also: the floor's finite horizon (a range with a pre-roll finds the
events of a whole run) and the runtime setters."""

import json
import math
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import pmt
from gnuradio import blocks, gr, gr_unittest

from gnuradio import streamproc
from qa_event_detector import FLOATS, reference_events, sub_block_length

SRC = os.environ.get("STREAMPROC_SOURCE_DIR",
                     os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
APP = os.path.join(SRC, "apps", "streamproc")
DATA = os.path.join(SRC, "..", "shared", "data", "real-captures")
W = 64


def cli(*args):
    return subprocess.run([sys.executable, APP] + [str(a) for a in args], capture_output=True, text=True,
                          timeout=300)


def carrier(n, amp, rng, fsk=False):
    """A burst of n samples: a tone (two tones alternating for FSK) of amplitude amp."""
    t = np.arange(n)
    f = np.where((t // 200) % 2 == 1, 0.11, 0.03) if fsk else 0.05
    return amp * np.exp(1j * (2 * np.pi * f * t + rng.uniform(0, 2 * np.pi)))


def noise(n, power, rng):
    return (rng.standard_normal(n) + 1j * rng.standard_normal(n)) * math.sqrt(power / 2)


def as_cu8(x):
    """Complex samples in LSB units -> RTL-SDR bytes (offset 127.5, rounded)."""
    v = np.empty(2 * len(x))
    v[0::2], v[1::2] = x.real, x.imag
    return np.clip(np.round(v + 127.5), 0, 255).astype(np.uint8)


def as_ci8(x):
    v = np.empty(2 * len(x))
    v[0::2], v[1::2] = x.real, x.imag
    return np.clip(np.round(v), -128, 127).astype(np.int8)


def as_cf32(x):
    return x.astype(np.complex64)


def samples_of(raw, fmt):
    """The complex64 samples mmap_file_source makes of the bytes (numpy, from the
    documented scaling)."""
    if fmt == "cu8":
        v = (raw.astype(np.float64) - 127.5) / 128.0
    elif fmt == "ci8":
        v = raw.astype(np.float64) / 128.0
    else:
        return raw.view(np.complex64)
    return (v[0::2] + 1j * v[1::2]).astype(np.complex64)


def powers(x):
    re, im = x.real.astype(np.float32), x.imag.astype(np.float32)
    return (re * re + im * im).astype(np.float32)


def hard_cases():
    """name -> (format, file bytes, truth [(start, end)], what may come extra)."""
    cases = {}
    rng = np.random.default_rng(13)
    # 8-bit capture at digital zero except the bursts (an RTL-SDR with its gain at 0)
    n = 400_000
    x = np.zeros(n, complex) - 0.5 - 0.5j  # bytes 127, 127
    truth = [(50_000, 60_000), (150_000, 165_000), (300_000, 320_000)]
    for a, b in truth:
        x[a:b] += carrier(b - a, 40, rng)
    cases["digital_zero.cu8"] = ("cu8", as_cu8(x), truth)
    # 8-bit, noise at one LSB (most samples exactly 0), two transmitters 14 dB apart
    n = 1_000_000
    x = rng.choice([-1, 0, 0, 0, 1], size=n) + 1j * rng.choice([-1, 0, 0, 0, 1], size=n)
    truth = []
    for k in range(18):
        a = 20_000 + k * 53_000 + int(rng.integers(0, 5000))
        b = a + int(rng.integers(3000, 9000))
        x[a:b] += carrier(b - a, 6 if k % 2 else 30, rng)
        truth.append((a, b))
    cases["one_lsb.cs8"] = ("ci8", as_ci8(x), truth)
    # ASK with 50 % depth ("off" symbols 6 dB down), the file starting inside a message
    n = 300_000
    x = noise(n, 1e-4, rng)
    truth = []
    for k, a in enumerate((-4000, 50_000, 110_000, 170_000, 230_000)):
        b = a + 20 * 500
        amp = np.repeat(np.where(rng.integers(0, 2, 20) == 1, 0.1, 0.05), 500)
        lo = max(a, 0)
        x[lo:b] += carrier(b - lo, 1, rng) * amp[lo - a:]
        truth.append((lo, b))
    cases["ask50.cf32"] = ("cf32", as_cf32(x), truth)
    # one FSK burst from sample 0, then noise
    n = 200_000
    x = noise(n, 1e-4, rng)
    x[:20_000] += carrier(20_000, 0.1, rng, fsk=True)
    cases["fsk_at_start.cf32"] = ("cf32", as_cf32(x), [(0, 20_000)])
    # a receiver overdrive decaying over the first few thousand samples, then 6 messages
    n = 400_000
    x = noise(n, 1e-4, rng)
    x[:6000] += carrier(6000, 1, rng) * np.exp(-np.arange(6000) / 700.0)
    truth = []
    for k in range(6):
        a = 40_000 + k * 60_000
        b = a + 8000
        x[a:b] += carrier(b - a, 0.06, rng)
        truth.append((a, b))
    cases["overdrive.cf32"] = ("cf32", as_cf32(x), truth)
    return cases


class qa_detector_floor(gr_unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="qa_detector_floor.")
        cls.cases = hard_cases()
        for name, (_, raw, _) in cls.cases.items():
            raw.tofile(os.path.join(cls.dir, name))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def detect(self, path, *args):
        out = os.path.join(self.dir, "events.jsonl")
        res = cli("detect", path, "--events", out, "--overwrite", "--json", *args)
        self.assertEqual(res.returncode, 0, res.stderr)
        with open(out) as f:
            return [json.loads(line) for line in f], json.loads(res.stdout)

    def same_as_reference(self, got, x, what, **cfg):
        ref = reference_events(powers(x), **cfg)
        self.assertEqual(len(got), len(ref), what)
        for g, r in zip(got, ref):
            for k in ("start", "end", "peak_index", "truncated", "merged"):
                self.assertEqual(g[k], r[k], "%s: %s of event %d" % (what, k, r["id"]))
            for k in FLOATS:
                self.assertLessEqual(abs(g[k] - r[k]), 1e-9 * max(1.0, abs(r[k])), "%s: %s" % (what, k))

    def test_001_hard_cases_with_default_settings(self):
        for name, (fmt, raw, truth) in self.cases.items():
            got, rep = self.detect(os.path.join(self.dir, name))
            lsb2 = (1 / 128.0) ** 2 if fmt in ("cu8", "ci8") else 0.0
            # the documented rules, from numpy
            self.same_as_reference(got, samples_of(raw, fmt), name, min_floor=lsb2)
            # and the truth: every burst once, whole, to within a window
            extra = [e for e in got if e["start"] == 0 and not any(a == 0 for a, _ in truth)]
            if name == "overdrive.cf32":
                # the decaying overdrive is energy at the start: at most one event, at
                # sample 0, flagged truncated (it began before the recording)
                self.assertLessEqual(len(extra), 1, name)
                self.assertTrue(all(e["truncated"] for e in extra), name)
            else:
                self.assertEqual(extra, [], name)
            events = [e for e in got if e not in extra]
            self.assertEqual(len(events), len(truth), "%s: %s" % (name, [(e["start"], e["end"]) for e in got]))
            for e, (a, b) in zip(events, truth):
                self.assertLessEqual(abs(e["start"] - a), W, name)
                self.assertLessEqual(abs(e["end"] - b), W, name)
                self.assertEqual(e["truncated"], a == 0, name)  # began before the file
                self.assertGreater(e["snr_db"], 10.0, name)
            if fmt in ("cu8", "ci8"):
                self.assertGreaterEqual(rep["noise_floor"], lsb2)  # never below one LSB

    def test_002_real_captures_follow_the_rules(self):
        files = {"urh_homematic.complex32s": ("<i2", 32768.0), "urh_cc1101.complex": ("<f4", 1.0),
                 "urh_steckdose_anlernen.complex": ("<f4", 1.0), "urh_wsp.complex": ("<f4", 1.0),
                 "urh_pwm.complex16s": ("i1", 128.0), "urh_ook_overshoot.complex16s": ("i1", 128.0),
                 "rtl433_sensible_living_g001_433.92M_250k.cu8": ("u1", 128.0)}
        if not os.path.isdir(DATA):
            self.skipTest("no real captures at ../shared/data/real-captures")
        for name, (dtype, scale) in files.items():
            raw = np.fromfile(os.path.join(DATA, name), dtype)
            v = (raw.astype(np.float64) - (127.5 if dtype == "u1" else 0.0)) / scale
            x = (v[0::2] + 1j * v[1::2]).astype(np.complex64)
            lsb2 = 0.0 if dtype == "<f4" else (1.0 / scale) ** 2
            got, rep = self.detect(os.path.join(DATA, name))
            self.same_as_reference(got, x, name, min_floor=lsb2)

    def test_003_finite_horizon(self):
        """A range processed with a pre-roll of 8 sub-blocks (aligned) finds exactly the
        events of a whole run that start in it: the floor forgets what is older."""
        _, raw, _ = self.cases["one_lsb.cs8"]
        x = samples_of(raw, "ci8")
        L = sub_block_length(W)
        whole = run_detector(x)
        self.assertGreater(len(whole), 10)
        for a, b in ((8 * L, 20 * L), (10 * L, 15 * L), (30 * L, len(x))):
            first = a - 8 * L
            part = run_detector(x[first:min(len(x), b + 20_000)])
            mine = [shift(e, first) for e in part if a <= e["start"] + first < b]
            ref = [e for e in whole if a <= e["start"] < b]
            self.assertGreater(len(ref), 0)
            self.assertEqual([strip(e) for e in mine], [strip(e) for e in ref], (a, b))

    def test_005_cli_options(self):
        """--floor-db, --absolute-db, --hysteresis-db, --max-duration, --floor-horizon
        reach the detector (the reference with the same settings), bad values are refused
        with one line naming them."""
        fmt, raw, _ = self.cases["ask50.cf32"]
        path = os.path.join(self.dir, "ask50.cf32")
        p = powers(samples_of(raw, fmt))
        for args, cfg in ((("--floor-db", "-40"), dict(floor_db=-40.0)),
                          (("--absolute-db", "-25", "--hysteresis-db", "2"),
                           dict(relative=False, threshold_db=-25.0, hysteresis_db=2.0)),
                          (("--max-duration", "3000", "--floor-horizon", "65536"),
                           dict(max_duration=3000, floor_horizon=65536))):
            got, rep = self.detect(path, *args)
            ref = reference_events(p, **cfg)
            self.assertGreater(len(ref), 0, args)
            self.assertEqual([strip(e) for e in got], [strip(e) for e in ref], args)
            if "floor_db" in cfg:
                self.assertAlmostEqual(rep["noise_floor"], 1e-4, delta=1e-15)
        for args, text in ((("--hysteresis-db", "12"), "--hysteresis-db 12 is above --threshold-db 10"),
                           (("--floor-horizon", "0"), "--floor-horizon must be between 1 and"),
                           (("--absolute-db", "nan"), "--absolute-db must be a finite number"),
                           (("--max-duration", "-1"), "--max-duration must be between 0 and")):
            res = cli("detect", path, *args)
            self.assertEqual(res.returncode, 2, args)
            self.assertIn(text, res.stderr)
            self.assertNotIn("Traceback", res.stderr)

    def test_006_first_burst_inside_the_first_horizon(self):
        """A telegram 1-3 k samples into a capture (inside the held first horizon) gets the
        edges the same telegram gets after it: event_detector_c/_f(window=16,
        threshold_db=10, merge_gap=1000) behind a vector_source, tiny and default work
        calls, against the numpy reference of the rules, complex and real."""
        rng = np.random.default_rng(26)
        W, gap = 16, 1000
        n = 400_000  # past the first horizon (8 sub-blocks of 16384 samples at W = 16)
        # OOK: 24 pulses of 150 samples every 300, a 300-sample preamble 12 dB over the
        # noise rising into the 25 dB body: its start is the edge a late floor would lose
        body = np.concatenate([np.ones(150), np.zeros(150)] * 24)
        shape = np.concatenate([np.full(300, 10 ** (12 / 20)), 10 ** (25 / 20) * body])
        for is_complex, first in ((True, 1_200), (True, 2_900), (False, 2_100)):
            starts = (first, 200_000, 330_000)
            x = noise(n, 1.0, rng)
            for a in starts:  # the same telegram each time
                x[a:a + len(shape)] += carrier(len(shape), 1.0, rng) * shape
            if not is_complex:
                x = np.sqrt(2) * x.real
            x = x.astype(np.complex64 if is_complex else np.float32)
            p = powers(x.astype(np.complex64)) if is_complex else (x * x).astype(np.float32)
            ref = reference_events(p, window=W, merge_gap=gap, dof=2 if is_complex else 1)
            self.assertEqual(len(ref), len(starts), is_complex)
            for maxn in (7, None):
                make = streamproc.event_detector_c if is_complex else streamproc.event_detector_f
                det = make(window=W, threshold_db=10.0, merge_gap=gap)
                if maxn:
                    det.set_max_noutput_items(maxn)
                tb, dbg = gr.top_block(), blocks.message_debug()
                src = (blocks.vector_source_c if is_complex else blocks.vector_source_f)(x.tolist(), False)
                tb.connect(src, det)
                tb.msg_connect(det, "events", dbg, "store")
                tb.run()
                got = messages(dbg)
                what = "complex" if is_complex else "real", maxn
                self.assertEqual([(e["start"], e["end"]) for e in got], [(r["start"], r["end"]) for r in ref], what)
            # the first telegrams' edges, relative to where they begin, are the later ones'
            rel = [(e["start"] - a, e["end"] - a) for e, a in zip(ref, starts)]
            for later in rel[1:]:
                self.assertLessEqual(abs(rel[0][0] - later[0]), 2, (rel, is_complex))
                self.assertLessEqual(abs(rel[0][1] - later[1]), 2, (rel, is_complex))
            self.assertLessEqual(abs(rel[0][0]), W, rel)  # the preamble is part of the event

    def test_004_thresholds_and_window_at_runtime(self):
        """set_thresholds applies from the next sample; set_window while running restarts
        the detection at the next work call (open events finished, positions go on)."""
        _, raw, truth = self.cases["one_lsb.cs8"]
        x = samples_of(raw, "ci8")
        det = streamproc.event_detector_c()
        det.set_thresholds(12.0, 4.0)
        self.assertEqual((det.threshold_db(), det.hysteresis_db()), (12.0, 4.0))
        with self.assertRaisesRegex(ValueError, "hysteresis_db 13.* is above threshold_db 12"):
            det.set_thresholds(12.0, 13.0)
        self.assertEqual(det.hysteresis_db(), 4.0)  # unchanged
        ref = reference_events(powers(x), threshold_db=12.0, hysteresis_db=4.0)
        self.assertEqual([strip(e) for e in run_detector(x, det)], [strip(e) for e in ref])
        # before the start the settings simply apply; while running they restart
        det = streamproc.event_detector_c()
        det.set_window(32)
        det.set_floor_horizon(1 << 16)
        self.assertEqual((det.window(), det.floor_horizon()), (32, 1 << 16))
        ref = reference_events(powers(x), window=32, floor_horizon=1 << 16)
        self.assertEqual([strip(e) for e in run_detector(x, det)], [strip(e) for e in ref])
        det = streamproc.event_detector_c()
        det.set_floor_mode(True, -40.0)
        got = run_detector(x, det)
        self.assertTrue(all(abs(e["noise_floor"] - 1e-4) < 1e-12 for e in got))
        self.assertEqual([strip(e) for e in got], [strip(e) for e in reference_events(powers(x), floor_db=-40.0)])
        # a change while the flowgraph runs: the events after it are those of a new
        # detector over the rest of the stream (positions offset)
        det = streamproc.event_detector_c()
        tb, dbg = gr.top_block(), blocks.message_debug()
        src = blocks.vector_source_c(x.tolist(), False)
        gate = blocks.head(gr.sizeof_gr_complex, len(x))
        tb.connect(src, gate, det)
        tb.msg_connect(det, "events", dbg, "store")
        det.set_max_noutput_items(4096)
        tb.start()
        try:
            from qa_helpers import wait_until
            wait_until(lambda: det.nitems_read(0) > 300_000, 60, "the detector reading")
            det.set_window(16)
            self.assertEqual(det.window(), 16)
            tb.wait()
        finally:
            tb.stop()
            tb.wait()
        got = messages(dbg)
        self.assertEqual([e["id"] for e in got], list(range(len(got))))
        starts = [e["start"] for e in got]
        self.assertEqual(starts, sorted(starts))
        self.assertGreaterEqual(len(got), len(truth) - 1)


def run_detector(x, det=None):
    det = det or streamproc.event_detector_c()
    tb, dbg = gr.top_block(), blocks.message_debug()
    tb.connect(blocks.vector_source_c(x.tolist(), False), det)
    tb.msg_connect(det, "events", dbg, "store")
    tb.run()
    return messages(dbg)


def messages(dbg):
    out = []
    for j in range(dbg.num_messages()):
        d = dbg.get_message(j)
        keys = [pmt.nth(i, pmt.dict_keys(d)) for i in range(pmt.length(pmt.dict_keys(d)))]
        out.append({pmt.symbol_to_string(k): pmt.to_python(pmt.dict_ref(d, k, pmt.PMT_NIL)) for k in keys})
    return out


def shift(e, first):
    e = dict(e)
    for k in ("start", "end", "peak_index"):
        e[k] += first
    return e


def strip(e):
    """What must be equal between two runs (ids and times count from each run's start)."""
    return tuple((k, round(e[k], 9) if isinstance(e[k], float) else e[k])
                 for k in ("start", "end", "peak_index", "truncated", "merged", "noise_floor", "peak_power",
                           "energy"))


if __name__ == "__main__":
    gr_unittest.run(qa_detector_floor)
