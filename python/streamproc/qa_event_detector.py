#!/usr/bin/python3
#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""event_detector_f/_c against an independent reference detector written here in
numpy from the documented rules (not a copy of the engine), plus truth-based checks."""

import math

import numpy as np
import pmt
from gnuradio import analog, blocks, gr, gr_unittest

from gnuradio import streamproc


FLT_MIN = float(np.finfo(np.float32).tiny)


def sub_block_length(window, floor_horizon=131072):
    """Samples per floor sub-block: round(horizon / (8 window)) windows, at least one."""
    return max(1, math.floor(floor_horizon / (8.0 * window) + 0.5)) * window


def quantile_bias(window, dof):
    """The 10th percentile of a window's mean power over the mean for Gaussian noise
    (Wilson-Hilferty), at least 0.0158."""
    a = window * dof / 2.0
    q = 1.0 - 1.0 / (9.0 * a) - 1.2816 / math.sqrt(9.0 * a)
    return max(q ** 3 if q > 0 else 0.0, 0.0158)


def reference_floors(p, window=64, floor_horizon=131072, min_floor=0.0, dof=2):
    """The tracked floor of docs/event_detector.md from numpy: chunk means, the 10th
    percentile of each sub-block's usable chunks over quantile_bias(), the smallest of
    the last 8 sub-blocks. Returns the floor in force in each sub-block (the first
    sub-block's own floor for the first one)."""
    W = int(window)
    L = sub_block_length(W, floor_horizon)
    B = L // W
    p = np.asarray(p, dtype=np.float64)
    nchunks = len(p) // W
    ch = p[:nchunks * W].reshape(nchunks, W)
    means = ch.sum(axis=1) / W
    usable = np.all(np.isfinite(ch), axis=1)
    if W > 1 and min_floor == 0:
        usable &= ~np.all(ch == ch[:, :1], axis=1)
    nsub = max(1, -(-len(p) // L))
    values = []
    for j in range(nsub):
        v = np.sort(means[j * B:(j + 1) * B][usable[j * B:(j + 1) * B]])
        values.append(v[(len(v) - 1) // 10] / quantile_bias(W, dof) if len(v) else math.nan)

    def floor_from(vals):
        vals = [v for v in vals if not math.isnan(v)]
        f = max(min(vals), min_floor) if vals else min_floor
        return max(f, FLT_MIN)

    held = floor_from(values[0:8])  # the first horizon is held and gets the floor of its end
    return [held] * min(8, nsub) + [floor_from(values[j - 8:j]) for j in range(8, nsub)]


def reference_events(p, window=64, threshold_db=10.0, relative=True, hysteresis_db=3.0,
                     min_duration=0, merge_gap=0, max_duration=0, max_rate=0.0, sample_rate=1.0,
                     floor_horizon=131072, min_floor=0.0, floor_db=None, dof=2):
    """The rules of docs/event_detector.md, written independently of the engine: the
    smoothed power and the sums come from float64 cumulative sums (numpy), the floor
    from reference_floors() (or floor_db), and the state machine jumps from one
    threshold crossing to the next with numpy searches, one stretch of constant
    thresholds (one floor sub-block) at a time.

    Tolerance: the engine sums in another order (a running sum recomputed per chunk),
    so float fields agree to about 1e-12 relative, not bit for bit; the tests compare
    them within 1e-9 and the integer fields exactly (no decision of these random
    signals falls within that rounding of a threshold)."""
    W = int(window)
    delay = W // 2
    p_in = p
    p = np.array(p, dtype=np.float64)
    N = len(p)
    for n in np.flatnonzero(~np.isfinite(p)):  # the moving mean of the W before
        p[n] = p[max(0, n - W):n].sum() / W
    c = np.concatenate(([0.0], np.cumsum(p)))
    idx = np.arange(N)
    s = (c[idx + 1] - c[np.maximum(0, idx + 1 - W)]) / W
    on_f = 10.0 ** (threshold_db / 10.0)
    off_f = 10.0 ** ((threshold_db - hysteresis_db) / 10.0)
    if floor_db is None:
        L = sub_block_length(W, floor_horizon)
        floors = reference_floors(p_in, W, floor_horizon, min_floor, dof)
    else:
        L = max(N, 1)
        floors = [10.0 ** (floor_db / 10.0)]
    st = {"floor": floors[0], "on": on_f if not relative else 0.0,
          "off": off_f if not relative else 0.0,
          "cur": None, "wait": None, "wait_closed_at": 0,
          "tokens": max(1.0, max_rate), "token_time": 0, "next_id": 0}
    out = []

    def corrected(n):
        return n - delay if n >= delay else 0

    def settle(ev):
        dur = ev["end"] - ev["start"]
        if dur < min_duration:
            return
        if max_rate > 0:
            st["tokens"] = min(max(1.0, max_rate), st["tokens"] + float(
                ev["end"] - min(ev["end"], st["token_time"])) * max_rate / sample_rate)
            st["token_time"] = max(st["token_time"], ev["end"])
            if st["tokens"] < 1.0:
                return
            st["tokens"] -= 1.0
        ev = dict(ev, id=st["next_id"])
        st["next_id"] += 1
        if ev["start"] == 0:  # it may have begun before the stream
            ev["truncated"] = True
        ev["energy"] = c[ev["end"]] - c[ev["start"]]
        ev["mean_power"] = ev["energy"] / dur
        ev["snr_db"] = 10 * math.log10(ev["mean_power"] / ev["noise_floor"])
        out.append(ev)

    def close(ev, end, truncated, at):
        ev["end"] = end
        ev["parts"][-1][1] = end
        ev["truncated"] = ev["truncated"] or truncated
        ev["peak_index"] = min(max(ev["peak_index"], ev["start"]), end - 1)
        st["wait"], st["wait_closed_at"] = ev, at

    def open_at(n):
        start = corrected(n) if n > W - 1 else 0
        wait = st["wait"]
        if wait is not None:
            start = max(start, wait["end"])
        new = {"start": min(start, n), "noise_floor": st["floor"], "peak_power": s[n],
               "peak_index": corrected(n), "truncated": False, "merged": 0,
               "parts": [[min(start, n), None]]}
        if wait is not None:
            fits = max_duration == 0 or corrected(n) < wait["start"] + max_duration
            if new["start"] - wait["end"] < merge_gap and not wait["truncated"] and fits:
                new = dict(wait, merged=wait["merged"] + 1, parts=wait["parts"] + new["parts"])
                if s[n] > new["peak_power"]:
                    new["peak_power"], new["peak_index"] = s[n], corrected(n)
            else:
                settle(wait)
            st["wait"] = None
        st["cur"] = new

    def advance(n, b):
        """Samples [n, b) with the thresholds fixed; notes if any found an event open
        or waiting before it."""
        while n < b:
            cur, wait = st["cur"], st["wait"]
            if cur is not None:
                stop = b
                if max_duration > 0:  # corrected(t) >= start + max_duration
                    stop = min(stop, max(n, cur["start"] + max_duration + delay))
                below = np.flatnonzero(s[n:stop] < st["off"])
                t = n + below[0] if len(below) else stop
                if t > n:  # still open over [n, t): the peak
                    k = n + int(np.argmax(s[n:t]))
                    if s[k] > cur["peak_power"]:
                        cur["peak_power"], cur["peak_index"] = s[k], corrected(k)
                if t >= b:
                    return
                too_long = max_duration > 0 and corrected(t) >= cur["start"] + max_duration
                end = cur["start"] + max_duration if too_long else max(corrected(t), cur["start"] + 1)
                end = min(end, t)
                st["cur"] = None
                close(cur, end, too_long, t)
                if too_long and s[t] > st["on"]:  # goes on as the next event
                    closed = st["wait"]
                    st["wait"] = None
                    st["cur"] = {"start": end, "noise_floor": st["floor"], "peak_power": s[t],
                                 "peak_index": corrected(t), "truncated": False, "merged": 0,
                                 "parts": [[end, None]]}
                    settle(closed)
                n = t + 1
                continue
            above = np.flatnonzero(s[n:b] > st["on"])
            o = n + above[0] if len(above) else b
            if wait is not None:
                # settled at the first sample (after closing) where no event opens and
                # t + 1 - delay >= end + merge_gap
                sp = max(wait["end"] + merge_gap + delay - 1, st["wait_closed_at"] + 1, n)
                if sp < o and sp < b:
                    settle(wait)
                    st["wait"] = None
                    n = sp + 1
                    continue
            if o >= b:
                return
            open_at(o)
            n = o + 1

    for j, floor in enumerate(floors):
        st["floor"] = floor
        if relative:
            st["on"], st["off"] = floor * on_f, floor * off_f
        advance(max(j * L, W - 1), min(N, (j + 1) * L))
    if st["cur"] is not None:
        cur = st["cur"]
        st["cur"] = None
        close(cur, max(N, cur["start"] + 1), True, N)
    if st["wait"] is not None:
        settle(st["wait"])
    return out


def reference_extent(x, parts, rate, nfft=256, level=8):
    """The frequency extent of an event (docs/event_detector.md) from the input x and
    the event's parts (one, or several for merged events: the gaps are left out), in
    float64: segments of nfft samples from each part's start, numbered on across parts,
    the first `level` used, then 4 per doubling; Hann; summed power spectra; the run of
    bins around the strongest within 10 dB. Returns (centre, bandwidth, clear): clear
    is False when a bin next to the run is within 0.1 % of the limit (float32 sums may
    decide it either way)."""
    def used(k):
        if k < level:
            return True
        j = int(math.floor(math.log2(k / level))) + 1
        return k % (1 << j) == 0

    win = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(nfft) / nfft)
    segs, k, partial = [], 0, None
    for a, b in parts:
        m = (b - a) // nfft
        for i in range(m):
            if used(k):
                segs.append(x[a + i * nfft:a + (i + 1) * nfft])
            k += 1
        partial = x[a + m * nfft:b]
    if not segs:
        if k > 0 or len(partial) == 0:
            return None
        segs = [np.concatenate((partial, np.zeros(nfft - len(partial), x.dtype)))]
    psd = sum(np.abs(np.fft.fft(np.asarray(g, np.complex128) * win)) ** 2 for g in segs)
    if np.iscomplexobj(x):
        power, first = np.fft.fftshift(psd), -rate / 2
    else:
        power, first = psd[:nfft // 2 + 1], 0.0
    peak = int(np.argmax(power))
    limit = power[peak] * 0.1
    lo = hi = peak
    while lo > 0 and power[lo - 1] >= limit:
        lo -= 1
    while hi + 1 < len(power) and power[hi + 1] >= limit:
        hi += 1
    near = [power[i] for i in (lo - 1, hi + 1) if 0 <= i < len(power)]
    clear = all(abs(v - limit) > 1e-3 * limit for v in near) and \
        np.sum(np.abs(power - power[peak]) < 1e-3 * power[peak]) == 1
    return first + (lo + hi) / 2 * rate / nfft, (hi - lo + 1) * rate / nfft, clear


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


def run_block(x, max_noutput=None, connect_out=False, tags=(), setup=None, **kw):
    """x through an event_detector made with **kw (setup(det) called before the run):
    (its events as dicts, the block, the pass-through sink or None)."""
    complex_in = np.iscomplexobj(x)
    tb = gr.top_block()
    src = (blocks.vector_source_c if complex_in else blocks.vector_source_f)(x.tolist(), False, 1, list(tags))
    det = (streamproc.event_detector_c if complex_in else streamproc.event_detector_f)(**kw)
    if setup is not None:
        setup(det)
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


def ref_of(x, **cfg):
    """reference_events() for the input x of a block (its powers, its dof)."""
    return reference_events(power_of(x), dof=2 if np.iscomplexobj(x) else 1, **cfg)


FLOATS = ("peak_power", "mean_power", "energy", "noise_floor", "snr_db")


class qa_event_detector(gr_unittest.TestCase):

    def setUp(self):
        self.rng = np.random.default_rng(55)

    def assert_same_events(self, got, ref, what):
        self.assertEqual(len(got), len(ref), what)
        for g, r in zip(got, ref):
            for f in FIELDS:
                self.assertEqual(g[f], r[f], "%s: %s %s" % (what, f, r))
            for f in FLOATS:  # summation order differs: see reference_events()
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
                ref = ref_of(x, **cfg)
                got, _, _ = run_block(x, **cfg)
                self.assertGreater(len(ref), 3, cfg)
                self.assert_same_events(got, ref, "complex=%s %s" % (complex_in, cfg))

    def assert_extents(self, got, ref, x, rate, what):
        """Each event's freq_center and bandwidth against reference_extent()."""
        self.assertEqual(len(got), len(ref), what)
        clear = 0
        for g, r in zip(got, ref):
            centre, width, ok = reference_extent(x, r["parts"], rate)
            if not ok:  # a bin at the -10 dB limit: within a bin
                self.assertAlmostEqual(g["freq_center"], centre, delta=rate / 256 + 1e-6, msg=what)
                self.assertAlmostEqual(g["bandwidth"], width, delta=2 * rate / 256 + 1e-6, msg=what)
                continue
            clear += 1
            self.assertEqual((g["freq_center"], g["bandwidth"]), (centre, width), "%s: %s" % (what, r))
        self.assertGreater(clear, len(ref) // 2, what)

    def test_010_frequency_extent(self):
        """freq_center/bandwidth of every event = reference_extent() of its samples:
        tones and noise bands at random frequencies, events shorter than one segment and
        over 100 segments long, merged and truncated events, events held with the floor's
        first horizon and after it, a fixed floor; real and complex; work calls of 1, 7
        and any size; freq_center_abs with rx_freq."""
        from scipy import signal as sps
        rate = 2e6
        for complex_in in (False, True):
            rng = np.random.default_rng(77 + complex_in)
            n = 400_000
            x = rng.standard_normal(n) + (1j * rng.standard_normal(n) if complex_in else 0)
            x *= np.sqrt(0.5) if complex_in else 1.0
            bursts = random_bursts(rng, n, 40, 100, 6000) + [(150_000, 30_000), (300_000, 90)]
            for k, (a, length) in enumerate(bursts):
                t = np.arange(length)
                f = rng.uniform(-0.45, 0.45) if complex_in else rng.uniform(0.02, 0.45)
                amp = 10 ** (rng.uniform(15, 30) / 20)
                if k % 3 == 2:  # a noise band 0.02 .. 0.1 fs wide
                    h = sps.firwin(127, rng.uniform(0.01, 0.05), fs=1.0) * np.exp(2j * np.pi * f * np.arange(127))
                    v = sps.lfilter(h, 1.0, rng.standard_normal(length + 200) + 1j * rng.standard_normal(length + 200))
                    sig = v[200:] / np.sqrt(np.mean(np.abs(v[200:]) ** 2))
                else:
                    sig = np.exp(2j * np.pi * f * t + 1j * rng.uniform(0, 6.28))
                x[a:a + length] += amp * (sig if complex_in else np.sqrt(2) * sig.real)
            x = x.astype(np.complex64 if complex_in else np.float32)
            tag = gr.tag_t()
            tag.offset, tag.key, tag.value = 0, pmt.intern("rx_freq"), pmt.from_double(868e6)
            for cfg in ({}, {"merge_gap": 2000, "min_duration": 50}, {"max_duration": 1000, "window": 32}):
                ref = ref_of(x, sample_rate=rate, **cfg)
                self.assertGreater(len(ref), 10, cfg)
                self.assertTrue(any(len(r["parts"]) > 1 for r in ref) or "merge_gap" not in cfg)
                for m in (None, 7, 1):
                    if m == 1 and cfg:
                        continue  # (slow; the default config covers one-item calls)
                    got, _, _ = run_block(x, max_noutput=m, tags=[tag], sample_rate=rate, **cfg)
                    what = "complex=%s %s max_noutput=%s" % (complex_in, cfg, m)
                    self.assert_same_events(got, ref, what)
                    self.assert_extents(got, ref, x, rate, what)
                    for g in got:
                        self.assertEqual(g["freq_center_abs"], 868e6 + g["freq_center"])
            # a fixed floor: nothing held at the start
            p = power_of(x)
            floor_db = 10 * math.log10(float(np.median(p)))
            ref = ref_of(x, sample_rate=rate, floor_db=floor_db)
            got, _, _ = self.run_fixed(x, rate, floor_db)
            self.assert_same_events(got, ref, "fixed floor")
            self.assert_extents(got, ref, x, rate, "fixed floor")
            self.assertNotIn("freq_center_abs", got[0])

    def run_fixed(self, x, rate, floor_db):
        complex_in = np.iscomplexobj(x)
        tb = gr.top_block()
        src = (blocks.vector_source_c if complex_in else blocks.vector_source_f)(x.tolist(), False)
        det = (streamproc.event_detector_c if complex_in else streamproc.event_detector_f)(sample_rate=rate)
        det.set_floor_mode(True, floor_db)
        det.set_max_noutput_items(777)
        dbg = blocks.message_debug()
        tb.connect(src, det)
        tb.msg_connect(det, "events", dbg, "store")
        tb.run()
        return [pmt.to_python(dbg.get_message(j)) for j in range(dbg.num_messages())], det, None

    def test_002_tiny_and_huge_work_calls(self):
        n = 40000
        bursts = random_bursts(self.rng, n, 20, 30, 2000) + [(n - 500, 500)]  # one open at the end
        x = bursty(n, bursts, 15.0, True, seed=9)
        cfg = {"merge_gap": 300, "max_duration": 800, "window": 32}
        ref = ref_of(x, **cfg)
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

    def test_003b_telegram_early_in_a_capture(self):
        """An OOK telegram starting 1-3 k samples into a capture (inside the floor's
        first horizon) and two later ones, window 16, threshold 10 dB, merge_gap 1000:
        every telegram's start within the window of its first pulse, the first as the
        later ones, and the events those of the reference (issue 26, point 3)."""
        cfg = {"window": 16, "threshold_db": 10.0, "merge_gap": 1000}
        for complex_in in (False, True):
            for first in (1000, 2100, 3000):
                n = 200000
                telegrams = [first, 60000, 140000]
                pulses = [(t0 + k * 600, 300) for t0 in telegrams for k in range(40)]  # 300 on, 300 off
                x = bursty(n, pulses, 20.0, complex_in, seed=first)
                got, _, _ = run_block(x, **cfg)
                self.assertEqual(len(got), 3, (complex_in, first))
                for ev, t0 in zip(got, telegrams):
                    self.assertLessEqual(abs(ev["start"] - t0), 16, (complex_in, first, t0))
                    self.assertLessEqual(abs(ev["end"] - (t0 + 39 * 600 + 300)), 16, (complex_in, first, t0))
                self.assert_same_events(got, ref_of(x, **cfg), (complex_in, first))

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
        y = rng.standard_normal(400_000).astype(np.float32)
        x[:100] *= 0.01
        y[:100] *= 0.01
        for complex_in in (False, True):
            xx = ((x + 1j * y) / np.sqrt(2)).astype(np.complex64) if complex_in else x
            got, det, _ = run_block(xx)
            self.assertEqual(got, [])
            self.assertAlmostEqual(det.noise_floor(), 1.0, delta=0.05)
            self.assertEqual(ref_of(xx), [])

    def test_005_nonfinite_replaced(self):
        n = 30000
        x = bursty(n, [(5000, 2000), (15000, 3000)], 20.0, False, seed=3)
        ref = ref_of(x)
        x[[100, 5500, 5501, 16000, 25000]] = np.nan
        x[12000] = np.inf
        got, det, _ = run_block(x)
        self.assertEqual(det.nonfinite_samples(), 6)
        self.assertEqual(len(got), len(ref))
        for g, r in zip(got, ref):
            self.assertLessEqual(abs(g["start"] - r["start"]), 2)
            self.assertLessEqual(abs(g["end"] - r["end"]), 2)
            self.assertTrue(math.isfinite(g["energy"]))
        self.assert_same_events(got, ref_of(x), "with NaN/Inf")

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
        self.assertEqual(sob, [ev["start"] for ev in got])  # first sample of each event
        self.assertEqual(eob, [ev["end"] - 1 for ev in got])  # last sample
        self.assertEqual(det.edge_latency(), 64 // 2 + 1 + 8 * sub_block_length(64))

    def test_006b_edges_of_emitted_events_only(self):
        """sob/eob on exactly the emitted events (none on those dropped as too short or
        merged away), the whole input passed through, for any work-call sizes."""
        n = 60000
        rng = np.random.default_rng(12)
        bursts = random_bursts(rng, n, 30, 20, 600)
        x = bursty(n, bursts, 16.0, False, seed=12)
        cfg = {"window": 16, "min_duration": 150, "merge_gap": 200}
        ref = ref_of(x, **cfg)
        self.assertGreater(len(ref), 5)
        self.assertGreater(len(bursts), len(ref))  # some dropped or merged
        for m in (1, 13, 4096, None):
            got, det, sink = run_block(x, max_noutput=m, connect_out=True, tag_edges=True, **cfg)
            self.assert_same_events(got, ref, "tag_edges max_noutput=%s" % m)
            np.testing.assert_array_equal(np.array(sink.data(), dtype=np.float32), x)
            keys = [(pmt.symbol_to_string(t.key), t.offset) for t in sink.tags()]
            self.assertEqual([o for k, o in keys if k == "sob"], [ev["start"] for ev in ref])
            self.assertEqual([o for k, o in keys if k == "eob"], [ev["end"] - 1 for ev in ref])
            self.assertEqual(det.edge_latency(), 16 // 2 + 150 + 200 + 1 + 8 * sub_block_length(16))
        with self.assertRaisesRegex(ValueError, "tag_edges cannot be combined with max_rate"):
            streamproc.event_detector_f(tag_edges=True, max_rate=5.0)

    def test_006c_index_map(self):
        """set_index_map: positions in samples of an upstream filter's input."""
        n = 30000
        x = bursty(n, [(5000, 2000), (15000, 3000)], 20.0, True, seed=3)
        ref, _, _ = run_block(x, sample_rate=1e3)
        tb = gr.top_block()
        src = blocks.vector_source_c(x.tolist())
        det = streamproc.event_detector_c(sample_rate=1e3)
        det.set_index_map(4, 10)
        dbg = blocks.message_debug()
        tb.connect(src, det)
        tb.msg_connect(det, "events", dbg, "store")
        tb.run()
        got = [{pmt.symbol_to_string(k): pmt.to_python(v) for k, v in
                ((pmt.car(i), pmt.cdr(i)) for i in iter_items(dbg.get_message(j)))}
               for j in range(dbg.num_messages())]
        self.assertEqual(len(got), len(ref))
        for g, r in zip(got, ref):
            self.assertEqual(g["start"], r["start"] * 4 - 10)
            self.assertEqual(g["end"], r["end"] * 4 - 10)
            self.assertEqual(g["peak_index"], r["peak_index"] * 4 - 10)
            self.assertEqual(g["duration"], g["end"] - g["start"])
            self.assertEqual((g["stream_start"], g["stream_end"]), (r["start"], r["end"]))
            self.assertAlmostEqual(g["time"], g["start"] / 4e3)
        with self.assertRaisesRegex(ValueError, "decimation >= 1 and delay >= 0"):
            det.set_index_map(0, 0)

    def test_006d_unpublished_window(self):
        """set_unpublished_window(start, stop): the events lying wholly in [start, stop)
        are counted (events_found, events_unpublished), not posted; the others are posted
        as without it (the reference model's events); tiny and huge work calls alike."""
        n = 80000
        bursts = random_bursts(self.rng, n, 30, 40, 1500)
        x = bursty(n, bursts, 18.0, True, seed=9)
        ref = ref_of(x)
        self.assertGreater(len(ref), 12)
        # cut through events at both ends: the one starting before `lo` and the one
        # ending at `hi` (not before it) are posted
        lo, hi = ref[2]["start"] + 1, ref[-3]["end"]
        inside = [r for r in ref if lo <= r["start"] and r["end"] < hi]
        self.assertGreater(len(inside), 5)
        # start >= stop: everything is posted (the default)
        for lo_, hi_, max_noutput in ((lo, hi, None), (lo, hi, 7), (hi, lo, None), (10, 10, 7)):
            posted = [r for r in ref if not (lo_ <= r["start"] and r["end"] < hi_)]
            got, det, _ = run_block(x, max_noutput, setup=lambda d: d.set_unpublished_window(lo_, hi_))
            what = (lo_, hi_, max_noutput)
            self.assertEqual((det.events_found(), det.events_unpublished()), (len(ref), len(ref) - len(posted)),
                             what)
            self.assertEqual([(g["start"], g["end"], g["id"]) for g in got],
                             [(r["start"], r["end"], r["id"]) for r in posted], what)
        self.assertEqual(len(posted), len(ref))

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
        det = streamproc.event_detector_f()
        with self.assertRaisesRegex(ValueError, "at most 24 taps, got 25"):
            det.set_prefilter([0.1] * 25)
        with self.assertRaisesRegex(ValueError, "prefilter tap 1 is not finite"):
            det.set_prefilter([0.5, float("nan")])

    def test_009_diagnostics_outputs(self):
        """Outputs 1-3, one value per window: the chunk's mean power, the floor and the
        threshold in force (reference_floors, numpy), for any work-call sizes; the
        pass-through keeps its items and tags."""
        rng = np.random.default_rng(2)
        n = 600_000
        x = ((rng.standard_normal(n) + 1j * rng.standard_normal(n)) * 0.1).astype(np.complex64)
        x[200_000:230_000] *= 10
        p = power_of(x)
        W = 64
        chunks = p[:n // W * W].reshape(-1, W).astype(np.float64).mean(axis=1)
        floors = np.repeat(reference_floors(p), sub_block_length(W) // W)[:len(chunks)]
        tag = gr.tag_t()
        tag.offset, tag.key, tag.value = 12345, pmt.intern("rx_freq"), pmt.from_double(1e6)
        for max_noutput in (None, 7, 1 << 20):
            tb = gr.top_block()
            det = streamproc.event_detector_c(threshold_db=12.0)
            sinks = [blocks.vector_sink_c()] + [blocks.vector_sink_f() for _ in range(3)]
            tb.connect(blocks.vector_source_c(x.tolist(), False, 1, [tag]), det)
            for i, sink in enumerate(sinks):
                tb.connect((det, i), sink)
            if max_noutput:
                det.set_max_noutput_items(max_noutput)
            tb.run()
            np.testing.assert_array_equal(np.array(sinks[0].data(), dtype=np.complex64), x)
            self.assertEqual([(t.offset, pmt.symbol_to_string(t.key)) for t in sinks[0].tags()], [(12345, "rx_freq")])
            power, floor, threshold = (np.array(s.data(), dtype=np.float64) for s in sinks[1:])
            self.assertEqual(len(power), len(chunks))
            np.testing.assert_allclose(power, chunks, rtol=1e-6)
            np.testing.assert_allclose(floor, floors, rtol=1e-6)
            np.testing.assert_allclose(threshold, floors * 10 ** 1.2, rtol=1e-6)

    def test_008_prefilter_same_as_ols_fir_in_front(self):
        """set_prefilter(taps) gives the events of ols_fir(1, taps) -> detector (the same
        floats: both use the direct form's kernel), for any work-call sizes; a late call
        is refused."""
        for complex_in in (False, True):
            n = 300_001
            x = bursty(n, random_bursts(self.rng, n, 25, 100, 3000), 12.0, complex_in, 8)
            for taps in ([0.25, 0.5, 0.25], list(np.hanning(17) / np.hanning(17).sum())):
                delay = (len(taps) - 1) // 2
                fir_t = streamproc.ols_fir_ccf if complex_in else streamproc.ols_fir_fff
                make = streamproc.event_detector_c if complex_in else streamproc.event_detector_f
                src_t = blocks.vector_source_c if complex_in else blocks.vector_source_f

                def run(prefilter, max_noutput=None):
                    tb = gr.top_block()
                    src = src_t(x.tolist())
                    det = make(window=32)
                    det.set_index_map(1, delay)
                    dbg = blocks.message_debug()
                    if prefilter:
                        det.set_prefilter(taps)
                        tb.connect(src, det)
                    else:  # the same noise correlation for the floor as the prefilter sets
                        det.set_noise_filter(taps, 1)
                        tb.connect(src, fir_t(1, taps, fft_size=fir_t.direct_form), det)
                    tb.msg_connect(det, "events", dbg, "store")
                    if max_noutput is not None:
                        det.set_max_noutput_items(max_noutput)
                    tb.run()
                    with self.assertRaisesRegex(ValueError, "before the flowgraph starts"):
                        det.set_prefilter(taps)
                    return [pmt.to_python(dbg.get_message(i)) for i in range(dbg.num_messages())]

                ref = run(False)
                self.assertGreaterEqual(len(ref), 20)
                for m in (None, 7, 1 << 20):
                    self.assertEqual(run(True, m), ref, "complex %s, %d taps, max_noutput %s" % (
                        complex_in, len(taps), m))


if __name__ == "__main__":
    gr_unittest.run(qa_event_detector)
