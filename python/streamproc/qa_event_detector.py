#!/usr/bin/python3
#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""event_detector_f/_c against an independent reference detector written here in
numpy/Python from the documented rules, plus truth-based checks."""

import math
import threading

import numpy as np
import pmt
from gnuradio import analog, blocks, gr, gr_unittest

from gnuradio import streamproc


def reference_events(p, window=64, threshold_db=10.0, relative=True, hysteresis_db=3.0,
                     min_duration=0, merge_gap=0, max_duration=0, max_rate=0.0, sample_rate=1.0):
    """The rules of docs/event_detector.md, sample by sample, in float64."""
    W = window
    delay = W // 2
    inv_w = 1.0 / W
    on_f = 10.0 ** (threshold_db / 10.0)
    off_f = 10.0 ** ((threshold_db - hysteresis_db) / 10.0)
    on, off = (0.0, 0.0) if relative else (on_f, off_f)
    ring = [0.0] * W
    hist = []  # every power value, to sum ranges (the engine uses its ring)
    s = 0.0
    pos = 0
    floor, have_floor = 0.0, False
    chunk_clean, prev_clean, prev_mean = True, False, 0.0
    floor_chunks = 0
    cur = wait = None
    gap_energy = 0.0
    tokens, token_time = max(1.0, max_rate), 0
    next_id = 0
    out = []

    def rsum(a, b):  # sum of hist[a..b] in ascending order
        t = 0.0
        for i in range(a, b + 1):
            t += hist[i]
        return t

    def settle(ev):
        nonlocal tokens, token_time, next_id
        dur = ev["end"] - ev["start"]
        if dur < min_duration:
            return
        if max_rate > 0:
            cap = max(1.0, max_rate)
            tokens = min(cap, tokens + float(ev["end"] - min(ev["end"], token_time)) * max_rate / sample_rate)
            token_time = max(token_time, ev["end"])
            if tokens < 1.0:
                return
            tokens -= 1.0
        ev = dict(ev)
        ev["id"] = next_id
        next_id += 1
        ev["mean_power"] = ev["energy"] / float(dur)
        ev["snr_db"] = (10.0 * math.log10(ev["mean_power"] / ev["noise_floor"])
                        if floor > 0 and ev["noise_floor"] > 0 else 0.0)
        out.append(ev)

    def open_at(n, smooth):
        start = n - delay if n >= delay else 0
        if wait is not None:
            start = max(start, wait["end"])
        start = min(start, n)
        return {"start": start, "end": 0, "energy": rsum(start, n), "noise_floor": floor,
                "peak_power": smooth, "peak_index": n - delay if n >= delay else 0,
                "truncated": False, "merged": 0}

    def close(ev, end, truncated):
        ev["end"] = end
        ev["truncated"] = ev["truncated"] or truncated
        ev["peak_index"] = min(max(ev["peak_index"], ev["start"]), end - 1)
        return ev

    for n, pv in enumerate(p):
        pv = float(pv)
        if not math.isfinite(pv):
            pv = s * inv_w
        hist.append(pv)
        s += pv - ring[pos]
        ring[pos] = pv
        pos += 1
        chunk_end = False
        if pos == W:
            pos = 0
            lanes = [0.0, 0.0, 0.0, 0.0]
            for i, v in enumerate(ring):
                lanes[i % 4] += v
            s = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3])
            chunk_end = True
        seen = n + 1
        smooth = s * inv_w
        if cur is not None or wait is not None or (have_floor and smooth >= 4.0 * floor):
            chunk_clean = False
        if chunk_end:
            mean = s * inv_w
            if not have_floor:
                floor_chunks += 1
                floor += (mean - floor) / float(floor_chunks)
                have_floor = floor_chunks == 16
            else:
                if chunk_clean and prev_clean:
                    floor_chunks = min(floor_chunks + 1, 256)
                    floor += (prev_mean - floor) / float(floor_chunks)
                prev_clean, prev_mean = chunk_clean, mean
            if relative:
                on, off = floor * on_f, floor * off_f
            chunk_clean = True
        if seen < W or not have_floor:
            continue
        if cur is not None:
            corrected = n - delay if n >= delay else 0
            too_long = max_duration > 0 and corrected >= cur["start"] + max_duration
            if smooth < off or too_long:
                end = cur["start"] + max_duration if too_long else max(corrected, cur["start"] + 1)
                end = min(end, n)
                if end < n:
                    cur["energy"] -= rsum(end, n - 1)
                wait = close(cur, end, too_long)
                cur = None
                gap_energy = rsum(end, n)
                if too_long and smooth > on:
                    cur = open_at(n, smooth)
                    cur["start"] = end
                    cur["energy"] = gap_energy
                    gap_energy = 0.0
                    settle(wait)
                    wait = None
            else:
                cur["energy"] += pv
                if smooth > cur["peak_power"]:
                    cur["peak_power"], cur["peak_index"] = smooth, corrected
        elif smooth > on:
            cur = open_at(n, smooth)
            if wait is not None:
                corrected = n - delay if n >= delay else 0
                fits = max_duration == 0 or corrected < wait["start"] + max_duration
                if cur["start"] - wait["end"] < merge_gap and not wait["truncated"] and fits:
                    gap = gap_energy + pv - cur["energy"]
                    merged = dict(wait)
                    merged["energy"] += gap + cur["energy"]
                    if cur["peak_power"] > merged["peak_power"]:
                        merged["peak_power"], merged["peak_index"] = cur["peak_power"], cur["peak_index"]
                    merged["merged"] += 1
                    cur, wait = merged, None
                else:
                    settle(wait)
                    wait = None
        elif wait is not None:
            gap_energy += pv
            next_start = n + 1 - delay if n + 1 >= delay else 0
            if next_start >= wait["end"] + merge_gap:
                settle(wait)
                wait = None
    total = len(p)
    if cur is not None:
        wait = close(cur, max(total, cur["start"] + 1), True)
    if wait is not None:
        settle(wait)
    return out


def bursty(n, bursts, snr_db, complex_in, seed):
    rng = np.random.default_rng(seed)
    if complex_in:
        x = (rng.standard_normal(n) + 1j * rng.standard_normal(n)) * np.sqrt(0.5)
    else:
        x = rng.standard_normal(n)
    amp = math.sqrt(10 ** (snr_db / 10))
    for start, length in bursts:
        t = np.arange(length)
        if complex_in:
            x[start:start + length] += amp * np.exp(2j * np.pi * 0.05 * t + 1j * rng.uniform(0, 6.28))
        else:
            x[start:start + length] += amp * math.sqrt(2) * np.cos(2 * np.pi * 0.05 * t + rng.uniform(0, 6.28))
    return x.astype(np.complex64 if complex_in else np.float32)


def random_bursts(rng, n, count, min_len, max_len):
    starts = np.sort(rng.choice(np.arange(1000, n - max_len - 1000, 50), count, replace=False))
    out, last_end = [], 0
    for s in starts:
        if s > last_end + 200:
            length = int(rng.integers(min_len, max_len))
            out.append((int(s), length))
            last_end = s + length
    return out


def run_block(x, max_noutput=None, connect_out=False, tags=(), **kw):
    complex_in = np.iscomplexobj(x)
    tb = gr.top_block()
    src = (blocks.vector_source_c if complex_in else blocks.vector_source_f)(x.tolist(), False, 1, list(tags))
    det = (streamproc.event_detector_c if complex_in else streamproc.event_detector_f)(**kw)
    dbg = blocks.message_debug()
    tb.connect(src, det)
    sink = None
    if connect_out:
        sink = (blocks.vector_sink_c if complex_in else blocks.vector_sink_f)()
        tb.connect(det, sink)
    tb.msg_connect(det, "events", dbg, "store")
    if max_noutput is not None:
        det.set_max_noutput_items(max_noutput)
        if not tags:
            src.set_max_noutput_items(max_noutput)
    tb.run()
    events = [{pmt.symbol_to_string(k): pmt.to_python(v) for k, v in
               ((pmt.car(i), pmt.cdr(i)) for i in iter_items(dbg.get_message(j)))}
              for j in range(dbg.num_messages())]
    return events, det, sink


def iter_items(d):
    items = pmt.dict_items(d)
    while pmt.is_pair(items):
        yield pmt.car(items)
        items = pmt.cdr(items)


def power_of(x):
    if np.iscomplexobj(x):
        re, im = x.real.astype(np.float32), x.imag.astype(np.float32)
        return (re * re + im * im).astype(np.float32)
    return (x * x).astype(np.float32)


FIELDS = ("id", "start", "end", "peak_index", "truncated", "merged")
FLOATS = ("peak_power", "mean_power", "energy", "noise_floor", "snr_db")


class qa_event_detector(gr_unittest.TestCase):

    def setUp(self):
        self.rng = np.random.default_rng(55)

    def assert_same_events(self, got, ref, what):
        self.assertEqual(len(got), len(ref), what)
        for g, r in zip(got, ref):
            for f in FIELDS:
                self.assertEqual(g[f], r[f], "%s: %s %s" % (what, f, r))
            for f in FLOATS:
                self.assertAlmostEqual(g[f], r[f], delta=1e-9 * max(1.0, abs(r[f])), msg="%s: %s" % (what, f))
            self.assertEqual(g["duration"], r["end"] - r["start"])

    def test_001_matches_reference(self):
        configs = [
            {},
            {"window": 16, "threshold_db": 8.0, "hysteresis_db": 2.0},
            {"merge_gap": 400, "min_duration": 100},
            {"max_duration": 250, "window": 32},
            {"relative": False, "threshold_db": 6.0, "hysteresis_db": 3.0},
            {"max_rate": 20.0, "sample_rate": 1e4, "window": 8},
        ]
        for complex_in in (False, True):
            for k, cfg in enumerate(configs):
                n = 60000
                bursts = random_bursts(self.rng, n, 25, 40, 1500)
                x = bursty(n, bursts, float(self.rng.uniform(12, 20)), complex_in, seed=k)
                ref = reference_events(power_of(x), **cfg)
                got, _, _ = run_block(x, **cfg)
                self.assertGreater(len(ref), 3, cfg)
                self.assert_same_events(got, ref, "complex=%s %s" % (complex_in, cfg))

    def test_002_tiny_and_huge_work_calls(self):
        n = 40000
        bursts = random_bursts(self.rng, n, 20, 30, 2000) + [(n - 500, 500)]  # one open at the end
        x = bursty(n, bursts, 15.0, True, seed=9)
        cfg = {"merge_gap": 300, "max_duration": 800, "window": 32}
        ref = reference_events(power_of(x), **cfg)
        self.assertTrue(ref[-1]["truncated"])
        for m in (1, 7, 1000, None):
            got, det, _ = run_block(x, max_noutput=m, **cfg)
            self.assert_same_events(got, ref, "max_noutput=%s" % m)

    def test_003_truth_10db_and_above(self):
        # 10 dB SNR bursts with a 6 dB threshold; 13 dB and above also at the default
        # 10 dB threshold (10 dB SNR sits right at it: signal + noise is 10.4 dB)
        cases = [(snr, 6.0) for snr in (10.0, 13.0, 20.0)] + [(snr, 10.0) for snr in (13.0, 20.0)]
        for complex_in in (False, True):
            for snr, thr in cases:
                n = 300000
                bursts = [(5000 + k * 7000, 1000 + (k * 97) % 2000) for k in range(40)]
                x = bursty(n, bursts, snr, complex_in, seed=int(snr))
                got, det, _ = run_block(x, sample_rate=1e5, threshold_db=thr)
                self.assertEqual(len(got), len(bursts), (complex_in, snr, thr))
                for ev, (s, length) in zip(got, bursts):
                    self.assertLessEqual(abs(ev["start"] - s), 64)
                    self.assertLessEqual(abs(ev["end"] - (s + length)), 64)
                    self.assertAlmostEqual(ev["time"], ev["start"] / 1e5)
                    self.assertFalse(ev["truncated"])

    def test_004_noise_alone_1e7_samples(self):
        for complex_in in (False, True):
            tb = gr.top_block()
            if complex_in:
                src = analog.noise_source_c(analog.GR_GAUSSIAN, 1.0, 3)
                head = blocks.head(gr.sizeof_gr_complex, 10 ** 7)
                det = streamproc.event_detector_c()
            else:
                src = analog.noise_source_f(analog.GR_GAUSSIAN, 1.0, 3)
                head = blocks.head(gr.sizeof_float, 10 ** 7)
                det = streamproc.event_detector_f()
            dbg = blocks.message_debug()
            tb.connect(src, head, det)
            tb.msg_connect(det, "events", dbg, "store")
            tb.run()
            self.assertEqual(dbg.num_messages(), 0)
            self.assertEqual(det.events_found(), 0)
            self.assertAlmostEqual(det.noise_floor(), 1.0, delta=0.05)

    def test_004b_quiet_start_does_not_stick(self):
        # A recording that starts quieter than it goes on (a filter filling its history,
        # a receiver settling): the floor warm-up must not leave one endless event.
        rng = np.random.default_rng(8)
        x = rng.standard_normal(400_000).astype(np.float32)
        x[:100] *= 0.01
        for complex_in in (False, True):
            xx = x.astype(np.complex64) if complex_in else x
            got, det, _ = run_block(xx)
            self.assertEqual(got, [])
            self.assertAlmostEqual(det.noise_floor(), 1.0, delta=0.05)
            self.assertEqual(reference_events(power_of(xx)), [])

    def test_005_nonfinite_skipped(self):
        n = 30000
        x = bursty(n, [(5000, 2000), (15000, 3000)], 20.0, False, seed=3)
        ref = reference_events(power_of(x))
        x[[100, 5500, 5501, 16000, 25000]] = np.nan
        x[12000] = np.inf
        got, det, _ = run_block(x)
        self.assertEqual(det.nonfinite_samples(), 6)
        self.assertEqual(len(got), len(ref))
        for g, r in zip(got, ref):
            self.assertLessEqual(abs(g["start"] - r["start"]), 2)
            self.assertLessEqual(abs(g["end"] - r["end"]), 2)
            self.assertTrue(math.isfinite(g["energy"]))
        self.assert_same_events(got, reference_events(power_of(x)), "with NaN/Inf")

    def test_006_pass_through_tags_time_freq(self):
        n = 20000
        x = bursty(n, [(4000, 1000), (12000, 1500)], 20.0, True, seed=4)

        def tag(offset, key, value):
            t = gr.tag_t()
            t.offset, t.key, t.value = offset, pmt.intern(key), value
            return t
        tags = [tag(0, "rx_time", pmt.make_tuple(pmt.from_uint64(100), pmt.from_double(0.25))),
                tag(10000, "rx_freq", pmt.from_double(433.92e6))]
        got, det, sink = run_block(x, connect_out=True, tags=tags, sample_rate=1e4, tag_edges=True)
        np.testing.assert_array_equal(np.array(sink.data(), dtype=np.complex64), x)
        self.assertEqual(len(got), 2)
        self.assertAlmostEqual(got[0]["time"], 100.25 + got[0]["start"] / 1e4)
        self.assertNotIn("freq", got[0])
        self.assertAlmostEqual(got[1]["freq"], 433.92e6)
        keys = [(pmt.symbol_to_string(t.key), t.offset) for t in sink.tags()]
        self.assertIn(("rx_time", 0), keys)
        sob = [o for k, o in keys if k == "sob"]
        eob = [o for k, o in keys if k == "eob"]
        self.assertEqual(len(sob), 2)
        self.assertEqual(len(eob), 2)
        for ev, s, e in zip(got, sob, eob):
            self.assertLessEqual(abs(s - ev["start"]), 64)
            self.assertLessEqual(abs(e - ev["end"]), 64)

    def test_007_bad_arguments(self):
        with self.assertRaisesRegex(ValueError, "window must be at least 1, got 0"):
            streamproc.event_detector_f(window=0)
        with self.assertRaisesRegex(ValueError, "min_duration must be >= 0 samples, got -1"):
            streamproc.event_detector_c(min_duration=-1)
        with self.assertRaisesRegex(ValueError, "merge_gap must be >= 0"):
            streamproc.event_detector_f(merge_gap=-5)
        with self.assertRaisesRegex(ValueError, "max_duration must be >= 0"):
            streamproc.event_detector_f(max_duration=-5)
        with self.assertRaisesRegex(ValueError, "hysteresis_db must be >= 0"):
            streamproc.event_detector_f(hysteresis_db=-1.0)
        with self.assertRaisesRegex(ValueError, "hysteresis_db 12.* is above threshold_db 10"):
            streamproc.event_detector_f(hysteresis_db=12.0)
        with self.assertRaisesRegex(ValueError, "sample_rate must be positive"):
            streamproc.event_detector_c(sample_rate=0.0)
        with self.assertRaisesRegex(ValueError, "max_rate must be >= 0"):
            streamproc.event_detector_c(max_rate=-1.0)


if __name__ == "__main__":
    gr_unittest.run(qa_event_detector)
