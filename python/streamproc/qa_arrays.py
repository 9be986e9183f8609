#!/usr/bin/python3
#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""The array half (streamproc.fir/convolve/stft/welch/fft/detect_array) against numpy and
scipy, against the blocks, across chunk sizes, on bad input and at bounded memory."""

import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
from gnuradio import blocks, gr, gr_unittest
from scipy import signal

from gnuradio import streamproc
from gnuradio.streamproc.core.formats import open_recording
from gnuradio.streamproc.core.events import read_events

DATA = os.path.join(os.environ.get("STREAMPROC_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", "..")),
                    "..", "shared", "data", "real-captures")


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def rel_rms(a, b):
    a, b = np.asarray(a, np.complex128), np.asarray(b, np.complex128)
    return float(np.sqrt(np.mean(np.abs(a - b) ** 2) / max(np.mean(np.abs(b) ** 2), 1e-300)))


def rss_anon_kb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1])
    raise RuntimeError("no RssAnon in /proc/self/status")


class qa_arrays(gr_unittest.TestCase):

    def setUp(self):
        self.rng = np.random.default_rng(24)
        self.tmp = tempfile.mkdtemp(prefix="qa_arrays-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def signal(self, n, cplx):
        x = self.rng.standard_normal(n)
        if cplx:
            x = x + 1j * self.rng.standard_normal(n)
        return x.astype(np.complex64 if cplx else np.float32)

    def test_001_fir_vs_lfilter(self):
        """fir == lfilter(taps, 1, x)[::D] for every tap count, decimation, real and
        complex data and taps, lengths 1, shorter than the taps, and long."""
        for cplx in (False, True):
            for ntaps in (1, 2, 3, 33, 129, 1025):
                for ctaps in (False, True):
                    taps = self.rng.standard_normal(ntaps) + (1j * self.rng.standard_normal(ntaps) if ctaps else 0)
                    for d in (1, 3, 8):
                        for n in (1, max(1, ntaps // 2), 5 * ntaps + 3000):
                            x = self.signal(n, cplx)
                            y = streamproc.fir(x, taps, d)
                            t32 = taps.astype(np.complex64 if ctaps else np.float32).astype(np.complex128)
                            ref = signal.lfilter(t32, 1, x.astype(np.complex128))[::d]
                            self.assertEqual(y.shape, ref.shape, (ntaps, d, n))
                            self.assertEqual(y.dtype, np.complex64 if (cplx or ctaps) else np.float32)
                            self.assertLess(rel_rms(y, ref), 2e-6, (cplx, ntaps, ctaps, d, n))

    def test_002_fir_long_and_chunks(self):
        """10^7 samples; three chunk sizes give the same bits."""
        x = self.signal(10 ** 7, False)
        taps = signal.firwin(129, 0.1)
        ys = [streamproc.fir(x, taps, 3, chunk=c) for c in (4099, 100000, 2 ** 18)]
        ref = signal.lfilter(taps.astype(np.float32).astype(np.float64), 1, x.astype(np.float64))[::3]
        self.assertLess(rel_rms(ys[0], ref), 2e-6)
        for y in ys[1:]:
            self.assertTrue(np.array_equal(y, ys[0]))
        xc = self.signal(300001, True)
        for method in ("fft", "direct"):
            yc = [streamproc.fir(xc, taps[:33], 8, method=method, chunk=c) for c in (1, 7777, 2 ** 18)]
            for y in yc[1:]:
                self.assertTrue(np.array_equal(y, yc[0]), method)

    def test_003_convolve_modes(self):
        for cplx in (False, True):
            for n, m in ((5000, 1), (5000, 3), (5000, 129), (100, 1025), (1, 1), (7, 7), (33, 2)):
                x, k = self.signal(n, cplx), self.rng.standard_normal(m)
                for mode in ("full", "same", "valid"):
                    y = streamproc.convolve(x, k, mode)
                    ref = np.convolve(x.astype(np.complex128), k.astype(np.float32).astype(np.float64), mode)
                    self.assertEqual(y.shape, ref.shape, (n, m, mode))
                    self.assertLess(rel_rms(y, ref), 2e-6, (cplx, n, m, mode))
                    if n >= m and mode != "same" or n >= m:
                        sref = signal.oaconvolve(x.astype(np.complex128), k.astype(np.float32), mode)
                        self.assertLess(rel_rms(y, sref), 2e-6, (n, m, mode))

    def test_004_stft_vs_numpy_and_block(self):
        for cplx in (False, True):
            x = self.signal(20000, cplx)
            for n, hop in ((256, 64), (1000, 1000), (63, 100), (16, 1)):
                w = signal.get_window("hann", n)
                frames = np.lib.stride_tricks.sliding_window_view(x.astype(np.complex128), n)[::hop] * w
                ref = np.fft.fft(frames, axis=1) if cplx else np.fft.rfft(frames.real, axis=1)
                s = streamproc.stft(x, n, hop)
                self.assertEqual(s.shape, ref.shape)
                self.assertLess(rel_rms(s, ref), 1e-6, (cplx, n, hop))
                # chunk sizes give the same bits
                self.assertTrue(np.array_equal(streamproc.stft(x, n, hop, chunk=777), s))
                # the block, fed by a default-buffer upstream
                tb = gr.top_block()
                src = (blocks.vector_source_c if cplx else blocks.vector_source_f)(x.tolist())
                blk = (streamproc.stft_cc if cplx else streamproc.stft_fc)(n, hop, w.astype(np.float32).tolist())
                snk = blocks.vector_sink_c(blk.vlen())
                tb.connect(src, blk, snk)
                tb.run()
                b = np.array(snk.data(), np.complex64).reshape(-1, blk.vlen())
                self.assertTrue(np.array_equal(b, s), (cplx, n, hop))
        x = self.signal(5000, True)
        sh = streamproc.stft(x, 64, 32, shift=True)
        self.assertTrue(np.array_equal(sh, np.fft.fftshift(streamproc.stft(x, 64, 32), axes=1)))
        full = streamproc.stft(x.real.copy(), 64, 32, onesided=False)
        ref = np.fft.fft(np.lib.stride_tricks.sliding_window_view(x.real, 64)[::32] * signal.get_window("hann", 64))
        self.assertLess(rel_rms(full, ref), 1e-6)

    def test_005_welch_vs_scipy(self):
        for cplx in (False, True):
            x = self.signal(100000, cplx)
            for n, hop in ((256, 128), (255, 100), (1024, 1024)):
                for detrend in (False, "constant"):
                    for scaling in ("density", "spectrum"):
                        f, p = streamproc.welch(x, n, hop, detrend=detrend, scaling=scaling, sample_rate=2e6)
                        fr, pr = signal.welch(x.astype(np.complex128 if cplx else np.float64), fs=2e6,
                                              window="hann", nperseg=n, noverlap=n - hop, detrend=detrend,
                                              scaling=scaling, return_onesided=not cplx)
                        self.assertTrue(np.allclose(f, fr))
                        self.assertLess(rel_rms(p, pr), 1e-6, (cplx, n, hop, detrend, scaling))
            if not cplx:
                f, p = streamproc.welch(x, 255, 100, onesided=False)
                fr, pr = signal.welch(x.astype(np.float64), nperseg=255, noverlap=155, detrend=False,
                                      return_onesided=False)
                self.assertLess(rel_rms(p, pr), 1e-6)
        # navg > 0: one average per navg frames, as welch_* outputs them
        x = self.signal(40000, True)
        _, p = streamproc.welch(x, 512, 256, navg=10)
        frames = np.lib.stride_tricks.sliding_window_view(x.astype(np.complex128), 512)[::256]
        spec = np.abs(np.fft.fft(frames * signal.get_window("hann", 512), axis=1)) ** 2
        spec /= np.sum(signal.get_window("hann", 512) ** 2)
        ref = spec[:len(frames) // 10 * 10].reshape(-1, 10, 512).mean(axis=1)
        self.assertEqual(p.shape, ref.shape)
        self.assertLess(rel_rms(p, ref), 1e-6)

    def test_006_fft_vs_numpy(self):
        """Lengths 2^k, 3*2^k, 5^3*2^k, 1, 2 in memory and forced out of core; inverse."""
        for n in (1, 2, 2 ** 12, 3 * 2 ** 11, 5 ** 3 * 2 ** 6, 7 * 360, 2 ** 16):
            x = self.signal(n, True)
            ref = np.fft.fft(x.astype(np.complex128))
            for mem in ("64M", 16384, 4096, 1024):
                try:
                    lay = streamproc.runners.arrays.dft.layout(n, mem)
                except ValueError as e:  # too small for the blocks of this length: said so
                    self.assertNotEqual(mem, "64M")
                    self.assertGreater(n * 8, mem)
                    self.assertIn("give at least", str(e))
                    continue
                y = streamproc.fft(x, max_memory=mem)
                self.assertEqual(lay["in_memory"], n * 8 <= (64 << 20 if mem == "64M" else mem))
                self.assertLess(rel_rms(y, ref), 1e-5, (n, mem))
                back = streamproc.fft(y, inverse=True, max_memory=mem)
                self.assertLess(rel_rms(back, x), 1e-5, (n, mem))
        # in memory, the four-step algorithm (over 2^20 points, scratch and out within
        # max_memory) and one plan (out is all max_memory holds)
        x = self.signal(3 * 2 ** 20, True)
        ref = np.fft.fft(x.astype(np.complex128))
        for mem, passes in (("64M", 2), ("25M", 1)):
            y, lay = streamproc.runners.arrays.dft.fft_with_layout(x, max_memory=mem)
            self.assertEqual((lay["in_memory"], lay["passes"]), (True, passes), mem)
            self.assertLess(rel_rms(y, ref), 1e-5, mem)
        # a square split (2048 x 2048): the rows transformed in out, out transposed in place
        x = self.signal(2 ** 22, True)
        y, lay = streamproc.runners.arrays.dft.fft_with_layout(x, max_memory="96M")
        self.assertEqual((lay["in_memory"], lay["passes"], lay["n1"], lay["n2"]), (True, 2, 2048, 2048))
        self.assertLess(rel_rms(y, np.fft.fft(x.astype(np.complex128))), 1e-5)
        # real input, integer input by value, a path in and out
        xr = self.signal(3 * 2 ** 12, False)
        self.assertLess(rel_rms(streamproc.fft(xr, max_memory=4096), np.fft.fft(xr.astype(np.float64))), 1e-5)
        xi = self.rng.integers(-30000, 30000, 2 ** 12).astype(np.int16)
        self.assertLess(rel_rms(streamproc.fft(xi, max_memory=4096), np.fft.fft(xi.astype(np.float64))), 1e-5)
        xu = self.rng.integers(0, 256, 2 ** 12).astype(np.uint8)
        self.assertLess(rel_rms(streamproc.fft(xu), np.fft.fft(xu.astype(np.float64))), 1e-5)
        src = os.path.join(self.tmp, "x.cf32")
        x = self.signal(2 ** 14, True)
        x.tofile(src)
        out = os.path.join(self.tmp, "X.cf32")
        streamproc.fft(src, out=out, max_memory=8192)
        self.assertLess(rel_rms(np.fromfile(out, np.complex64), np.fft.fft(x.astype(np.complex128))), 1e-5)
        with self.assertRaisesRegex(FileExistsError, "exists"):
            streamproc.fft(src, out=out)
        # a file to a file out of core with rows of 2^20 two at a time: the pieces on
        # 4 KiB read and written around the page cache (O_DIRECT, several per read)
        big = os.path.join(self.tmp, "big.cf32")
        x = self.signal(2 ** 22, True)
        x.tofile(big)
        bigout = os.path.join(self.tmp, "BIG.cf32")
        for inverse in (False, True):
            y, lay = streamproc.runners.arrays.dft.fft_with_layout(
                big, out=bigout, max_memory="40M", inverse=inverse, overwrite=True)
            self.assertEqual((lay["in_memory"], lay["n2"], lay["rows"]), (False, 2 ** 20, 2))
            ref = np.fft.ifft(x.astype(np.complex128)) if inverse else np.fft.fft(x.astype(np.complex128))
            self.assertLess(rel_rms(np.fromfile(bigout, np.complex64), ref), 1e-5)
            del y
        os.unlink(big)
        os.unlink(bigout)
        before = read_bytes(out)
        streamproc.fft(src, out=out, overwrite=True, inverse=True)
        self.assertNotEqual(read_bytes(out), before)
        # a prime length: the error names the factor and the length to pad to
        with self.assertRaisesRegex(ValueError, r"prime factor 1009.*zero-pad to 1024"):
            streamproc.fft(self.signal(1009, True))
        with self.assertRaisesRegex(ValueError, "max_memory"):
            streamproc.fft(self.signal(2 ** 16, True), max_memory=64)

    def test_007_cli_fft(self):
        src = os.path.join(self.tmp, "rec.sigmf-data")
        x = self.signal(3 * 2 ** 12, True)
        x.tofile(src)
        with open(os.path.join(self.tmp, "rec.sigmf-meta"), "w") as f:
            f.write('{"global": {"core:datatype": "cf32_le", "core:sample_rate": 1e6, "core:version": "1.0.0"}, '
                    '"captures": [{"core:sample_start": 0, "core:frequency": 433e6}], "annotations": []}')
        cmd = [sys.executable, "-m", "gnuradio.streamproc.cli", "fft", src, "--out",
               os.path.join(self.tmp, "spec.sigmf-meta"), "--max-memory", "16k", "--json"]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        y = np.fromfile(os.path.join(self.tmp, "spec.sigmf-data"), np.complex64)
        self.assertLess(rel_rms(y, np.fft.fft(x.astype(np.complex128))), 1e-5)
        with open(os.path.join(self.tmp, "spec.sigmf-meta")) as f:
            meta = json.load(f)
        self.assertEqual(meta["global"]["core:datatype"], "cf32_le")
        self.assertEqual(meta["global"]["core:sample_rate"], 1e6)
        self.assertEqual(meta["captures"][0]["core:frequency"], 433e6)
        self.assertEqual(json.loads(r.stdout)["passes"], 3)  # out of core: three passes
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 2)
        self.assertIn("exists", r.stderr)
        self.assertNotIn("Traceback", r.stderr)
        bad = os.path.join(self.tmp, "p.cf32")
        self.signal(1009, True).tofile(bad)
        r = subprocess.run(cmd[:4] + [bad, "--out", bad + ".out"], capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 2)
        self.assertIn("prime factor 1009", r.stderr)
        self.assertFalse(os.path.exists(bad + ".out"))

    def test_013_cli_fft_interrupted(self):
        """Ctrl-C during an out-of-core streamproc fft: exit 130, no traceback, the
        incomplete output removed, the input untouched."""
        import signal as sig
        src = os.path.join(self.tmp, "long.cf32")
        with open(src, "wb") as f:
            block = self.signal(1 << 20, True).tobytes()
            for _ in range(8):
                f.write(block)
        before = os.path.getsize(src)
        out = os.path.join(self.tmp, "long.fft")
        p = subprocess.Popen([sys.executable, "-m", "gnuradio.streamproc.cli", "fft", src, "--out", out,
                              "--max-memory", "256k"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(600):  # the output exists once the transform has started (bounded: 60 s)
            if os.path.exists(out) or p.poll() is not None:
                break
            try:
                p.wait(0.1)
            except subprocess.TimeoutExpired:
                pass
        self.assertIsNone(p.poll(), "the transform ended before it could be interrupted")
        p.send_signal(sig.SIGINT)
        _, err = p.communicate(timeout=120)
        self.assertEqual(p.returncode, 130, err)
        self.assertNotIn("Traceback", err)
        self.assertIn("removed", err)
        self.assertFalse(os.path.exists(out))
        self.assertEqual(os.path.getsize(src), before)

    def test_008_bad_input(self):
        x = self.signal(1000, False)
        cases = [
            (lambda: streamproc.fir(np.zeros((10, 2), np.float32), [1.0]), ValueError, "2-D"),
            (lambda: streamproc.fir(np.zeros(0, np.float32), [1.0]), ValueError, "empty"),
            (lambda: streamproc.fir(x, [1.0, np.nan]), ValueError, r"taps\[1\] is nan"),
            (lambda: streamproc.fir(x, []), ValueError, "non-empty"),
            (lambda: streamproc.fir(x, [1.0], 0), ValueError, "decimation"),
            (lambda: streamproc.fir(x, [1.0], out=np.zeros(1000, np.complex64)), ValueError, "dtype"),
            (lambda: streamproc.fir(x, [1.0], out=np.zeros(999, np.float32)), ValueError, "shape"),
            (lambda: streamproc.fir(x, [1.0], out=x), ValueError, "shares memory"),
            (lambda: streamproc.fir("/nonexistent/rec.cf32", [1.0]), FileNotFoundError, "no such file"),
            (lambda: streamproc.fir(np.array(["a"]), [1.0]), ValueError, "dtype"),
            (lambda: streamproc.stft(x, 2000, 10), ValueError, "fewer than one frame"),
            (lambda: streamproc.stft(x, 64, 0), ValueError, "hop"),
            (lambda: streamproc.welch(x, 64, 32, scaling="power"), ValueError, "scaling"),
            (lambda: streamproc.convolve(x, [1.0], "middle"), ValueError, "mode"),
            (lambda: streamproc.fft(x, max_memory="lots"), ValueError, "max_memory"),
        ]
        for fn, exc, text in cases:
            with self.assertRaisesRegex(exc, text):
                fn()
        # out= equal to the input file, an existing file: refused, the file untouched
        path = os.path.join(self.tmp, "x.f32")
        x.tofile(path)
        before = read_bytes(path)
        with self.assertRaisesRegex(ValueError, "is the input"):
            streamproc.fir(path, [1.0, 2.0], out=path, overwrite=True)
        with self.assertRaisesRegex(FileExistsError, "overwrite=True"):
            streamproc.fir(x, [1.0], out=path)
        mm = np.memmap(path, np.float32, "r+")
        with self.assertRaisesRegex(ValueError, "input"):
            streamproc.fir(mm, [1.0], out=mm)
        del mm
        self.assertEqual(read_bytes(path), before)

    def test_009_paths_and_formats(self):
        """A cu8 path reads as detect reads it; dtype= by value; memmaps without copies."""
        raw = self.rng.integers(0, 256, 2 * 5000).astype(np.uint8)
        path = os.path.join(self.tmp, "c.cu8")
        raw.tofile(path)
        x = ((raw[0::2].astype(np.float64) - 127.5) / 128 + 1j * (raw[1::2] - 127.5) / 128)
        taps = self.rng.standard_normal(17)
        ref = signal.lfilter(taps.astype(np.float32), 1, x)
        self.assertLess(rel_rms(streamproc.fir(path, taps), ref), 2e-6)
        byval = streamproc.fir(path, taps, dtype=np.uint8)
        self.assertEqual(byval.shape, (10000,))
        self.assertLess(rel_rms(byval, signal.lfilter(taps.astype(np.float32), 1, raw.astype(np.float64))), 2e-6)
        mm = np.memmap(path, np.uint8, "r")
        self.assertTrue(np.array_equal(streamproc.fir(mm, taps), byval))
        out = os.path.join(self.tmp, "y.f32")
        res = streamproc.fir(mm, taps, out=out)
        self.assertIsInstance(res, np.memmap)
        self.assertTrue(np.array_equal(np.fromfile(out, np.float32), byval))

    def test_010_detect_array_equals_detect_file(self):
        """detect_array (no flowgraph) finds what detect_file (the flowgraph) writes, on
        every real capture: from the path, the array, chunks of it; with no filter, a
        3-tap prefilter, and a decimating low-pass (ols_fir in front)."""
        caps = sorted(p for p in glob.glob(os.path.join(DATA, "*")) if not p.endswith((".md", ".json", ".txt")))
        self.assertGreaterEqual(len(caps), 5, DATA)
        from gnuradio.streamproc.runners.arrays.arrayio import Input
        for p in caps:
            evfile = os.path.join(self.tmp, "ev.jsonl")
            rep = streamproc.detect_file(p, events=evfile, overwrite=True)
            rate = rep["rate"]
            inp = Input(p)
            arr = inp.block(0, inp.n).copy()
            lsb = open_recording(p).lsb
            for opts in (streamproc.DetectOptions(rate=rate),
                         streamproc.DetectOptions(rate=rate, taps=[0.25, 0.5, 0.25], merge_gap=100),
                         streamproc.DetectOptions(rate=rate, lowpass=rate / 10, decimation=4, window=16,
                                                  merge_gap=101, min_duration=30)):
                streamproc.detect_file(p, opts, events=evfile, overwrite=True)
                want = read_events(evfile)
                self.assertGreater(len(want), 0, (p, opts))
                self.assertEqual(streamproc.detect_array(p, opts), want, (p, opts))
                self.assertEqual(streamproc.detect_array(arr, opts, lsb=lsb), want, (p, opts))
                self.assertEqual(streamproc.detect_array(iter(np.array_split(arr, 7)), opts, lsb=lsb), want,
                                 (p, opts))
        # the last capture and options again in chunks of 1 to 5000 samples
        cuts = np.cumsum(self.rng.integers(1, 5000, size=len(arr) // 2000 + 10))
        pieces = np.split(arr, cuts[cuts < len(arr)])
        self.assertEqual(streamproc.detect_array(iter(pieces), opts, lsb=lsb), want, p)
        with self.assertRaisesRegex(ValueError, "empty"):
            streamproc.detect_array(iter([]))

    def test_011_detect_own_statistic(self):
        """A statistic of the user's (band power) through event_detector_f, against
        the burst positions planted."""
        n, fs = 400000, 1e6
        x = (self.rng.standard_normal(n) + 1j * self.rng.standard_normal(n)).astype(np.complex64) * 0.1
        t = np.arange(n)
        bursts = [(50000, 60000), (200000, 230000), (330000, 331000)]
        for a, b in bursts:  # a tone at +200 kHz, the same total power as the noise
            x[a:b] += 0.14 * np.exp(2j * np.pi * 0.2 * t[a:b])
        s = streamproc.stft(x, 64, 16)
        band = np.abs(s[:, 12:14]) ** 2  # the bins around 0.2 fs
        stat = np.sqrt(band.sum(axis=1) / (np.abs(s) ** 2).sum(axis=1)).astype(np.float32)
        evs = streamproc.detect_array(stat, streamproc.DetectOptions(rate=fs / 16, window=8, merge_gap=8))
        self.assertEqual(len(evs), 3, evs)
        for e, (a, b) in zip(evs, bursts):
            self.assertLess(abs(e["start"] * 16 - a), 400)
            self.assertLess(abs(e["end"] * 16 - b), 400)

    def test_012_memory_bounded(self):
        """A memmap 100x the working set: anonymous memory grows by less than the bound."""
        mem = 1 << 20  # fft's working set: max_memory
        n = 2 ** 24  # 128 MiB of complex64: 128x
        path = os.path.join(self.tmp, "big.cf32")
        with open(path, "wb") as f:
            block = self.signal(1 << 20, True).tobytes()
            for _ in range(n >> 20):
                f.write(block)
        mm = np.memmap(path, np.complex64, "r")
        peak = [0]

        def watch(done, total):
            peak[0] = max(peak[0], rss_anon_kb())

        base = rss_anon_kb()
        streamproc.fft(mm, out=os.path.join(self.tmp, "big.fft"), max_memory=mem, progress=watch)
        grew = (peak[0] - base) / 1024.0
        # AddressSanitizer keeps freed memory in quarantine and shadows it: RSS says
        # nothing there (the run still checks the code under it)
        asan = "libasan" in os.environ.get("LD_PRELOAD", "")
        if not asan:
            self.assertLess(grew, 1.0 + 8.0, "fft: RssAnon grew %.1f MB" % grew)  # working set + plans, slack
        peak[0] = 0
        base = rss_anon_kb()
        streamproc.fir(mm, signal.firwin(129, 0.1), out=os.path.join(self.tmp, "big.fir"), progress=watch)
        grew = (peak[0] - base) / 1024.0
        if not asan:
            self.assertLess(grew, 16.0, "fir: RssAnon grew %.1f MB" % grew)  # docs/array.md: ~8 MB complex
        peak[0] = 0
        base = rss_anon_kb()
        evs = streamproc.detect_array(mm, streamproc.DetectOptions(lowpass=0.1, decimation=4), progress=watch)
        grew = (peak[0] - base) / 1024.0
        self.assertEqual(len(evs), 0)  # white noise, no burst (a floor is tracked)
        if not asan:
            self.assertLess(grew, 16.0, "detect_array: RssAnon grew %.1f MB" % grew)  # docs/array.md: a few MB


if __name__ == "__main__":
    gr_unittest.run(qa_arrays)
