#!/usr/bin/python3
#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""The streamproc command: gen, detect (every input type, filters, files, report) and
its errors, run as a user runs it (a subprocess of apps/streamproc)."""

import csv
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np
from gnuradio import gr_unittest

SRC = os.environ.get("STREAMPROC_SOURCE_DIR",
                     os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
APP = os.path.join(SRC, "apps", "streamproc")


def streamproc(*args):
    return subprocess.run([sys.executable, APP] + [str(a) for a in args], capture_output=True, text=True,
                          timeout=600)


class qa_cli(gr_unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="qa_cli.")
        cls.rec = os.path.join(cls.dir, "rec.f32")
        res = streamproc("gen", cls.rec, "--samples", 3_000_000, "--events", 50, "--snr-db", 15)
        assert res.returncode == 0, res.stderr
        cls.truth = [tuple(map(int, line.split())) for line in open(cls.rec + ".truth")]

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def check_events(self, events, truth, tol=128):
        self.assertEqual(len(events), len(truth))
        for e, (s, length) in zip(events, truth):
            self.assertLessEqual(abs(e["start"] - s), tol)
            self.assertLessEqual(abs(e["end"] - (s + length)), tol)

    def test_001_gen_file_and_truth(self):
        x = np.fromfile(self.rec, dtype=np.float32)
        self.assertEqual(len(x), 3_000_000)
        self.assertEqual(len(self.truth), 50)
        s, length = self.truth[7]
        inside = np.mean(x[s:s + length].astype(np.float64) ** 2)
        outside = np.mean(x[s - 900:s - 100].astype(np.float64) ** 2)
        self.assertAlmostEqual(10 * np.log10(inside / outside), 10 * np.log10(1 + 10 ** 1.5), delta=0.5)

    def test_002_detect_report_and_events(self):
        out = os.path.join(self.dir, "ev.jsonl")
        res = streamproc("detect", self.rec, "--rate", 1e6, "--lowpass", 200e3, "--events", out, "--json")
        self.assertEqual(res.returncode, 0, res.stderr)
        rep = json.loads(res.stdout)  # stdout holds the report only
        self.assertEqual(rep["samples"], 3_000_000)
        self.assertEqual(rep["events"], 50)
        self.assertEqual(rep["bytes"], 12_000_000)
        self.assertGreater(rep["work_calls"], 0)
        self.assertGreater(rep["peak_rss_mb"], 0)
        self.assertEqual(rep["type"], "f32")
        self.assertEqual(rep["type_from"], "its .f32 ending")
        self.check_events([json.loads(line) for line in open(out)], self.truth)
        csv_out = os.path.join(self.dir, "ev.csv")
        res = streamproc("detect", self.rec, "--rate", 1e6, "--events", csv_out)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertIn("50 events", res.stdout)
        self.assertNotIn("work calls", res.stdout)  # scheduler figures: --json only
        self.assertNotIn("efficiency", res.stdout)
        self.assertNotIn("set_min_output_buffer", res.stdout + res.stderr)
        rows = [{k: int(v) for k, v in r.items() if k in ("start", "end")} for r in csv.DictReader(open(csv_out))]
        self.check_events(rows, self.truth)

    def test_003_input_types(self):
        x = np.fromfile(self.rec, dtype=np.float32)[:1_000_000]
        truth = [t for t in self.truth if t[0] + t[1] < 1_000_000]
        files = {
            "cf32": x.astype(np.complex64),
            "ci16": np.stack([np.clip(x * 2000, -32767, 32767), np.zeros_like(x)], 1).astype(np.int16),
            "ci8": np.stack([np.clip(x * 12, -127, 127), np.zeros_like(x)], 1).astype(np.int8),
            "cu8": np.stack([np.clip(x * 12 + 127.5, 0, 255), np.full_like(x, 127.5)], 1).astype(np.uint8),
        }
        for kind, data in files.items():
            path = os.path.join(self.dir, "rec." + kind)
            data.tofile(path)
            out = os.path.join(self.dir, kind + ".jsonl")
            res = streamproc("detect", path, "--type", kind, "--rate", 1e6, "--events", out, "--json")
            self.assertEqual(res.returncode, 0, kind + ": " + res.stderr)
            self.assertEqual(json.loads(res.stdout)["samples"], 1_000_000, kind)
            self.check_events([json.loads(line) for line in open(out)], truth)

    def test_004_taps_file_and_decimation(self):
        taps = os.path.join(self.dir, "taps.txt")
        h = np.hanning(65)
        with open(taps, "w") as f:
            f.write(",".join("%r" % v for v in h / h.sum()))
        out = os.path.join(self.dir, "dec.jsonl")
        res = streamproc("detect", self.rec, "--rate", 1e6, "--taps", taps, "--decimation", 4, "--events", out)
        self.assertEqual(res.returncode, 0, res.stderr)
        events = [json.loads(line) for line in open(out)]
        # positions are input samples with the filter delay taken out: within the
        # detector window (64 samples after decimation by 4) of the truth
        self.check_events(events, self.truth, tol=4 * 64)
        self.assertAlmostEqual(events[0]["time"], events[0]["start"] / 1e6)
        for e in events:  # the detector's own (decimated) indices come along
            self.assertEqual(e["start"], max(0, 4 * e["stream_start"] - 32))
        # the same without decimation, with the delay removed: tighter than before
        out1 = os.path.join(self.dir, "dec1.jsonl")
        res = streamproc("detect", self.rec, "--rate", 1e6, "--lowpass", 200e3, "--events", out1)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.check_events([json.loads(line) for line in open(out1)], self.truth, tol=64)

    def test_006_plot(self):
        out = os.path.join(self.dir, "ev_plot.jsonl")
        png = os.path.join(self.dir, "spec.png")
        res = streamproc("detect", self.rec, "--rate", 1e6, "--events", out)
        self.assertEqual(res.returncode, 0, res.stderr)
        res = streamproc("plot", self.rec, "--rate", 1e6, "--events", out, "--out", png,
                         "--start", 100000, "--length", 1_000_000)
        self.assertEqual(res.returncode, 0, res.stderr)
        with open(png, "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
        inside = [t for t in self.truth if t[0] + t[1] > 100000 and t[0] < 1_100_000]
        self.assertIn("%d events" % len(inside), res.stdout)
        # events of a decimating detect are drawn at the same times
        out4 = os.path.join(self.dir, "ev_plot4.jsonl")
        res = streamproc("detect", self.rec, "--rate", 1e6, "--lowpass", 100e3, "--decimation", 4,
                         "--events", out4)
        self.assertEqual(res.returncode, 0, res.stderr)
        res = streamproc("plot", self.rec, "--rate", 1e6, "--events", out4, "--out", png,
                         "--start", 100000, "--length", 1_000_000)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertIn("%d events" % len(inside), res.stdout)
        res = streamproc("plot", self.rec, "--out", png, "--start", 10 ** 9)
        self.assertEqual(res.returncode, 2)
        self.assertIn("past the end", res.stderr)

    def test_003b_type_from_file_name(self):
        """Without --type the format comes from the name (and the report says so)."""
        x = np.fromfile(self.rec, dtype=np.float32)[:500_000]
        truth = [t for t in self.truth if t[0] + t[1] < 500_000]
        cu8 = np.stack([np.clip(x * 12 + 127.5, 0, 255), np.full_like(x, 127.5)], 1).astype(np.uint8)
        path = os.path.join(self.dir, "capture_433.92M_1000k.cu8")
        cu8.tofile(path)
        out = os.path.join(self.dir, "cu8.jsonl")
        res = streamproc("detect", path, "--rate", "1M", "--events", out)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertIn("cu8 from its .cu8 ending", res.stdout)
        self.check_events([json.loads(line) for line in open(out)], truth)
        # SigMF: format and rate from the metadata
        meta = os.path.join(self.dir, "rec.sigmf-meta")
        cu8.tofile(os.path.join(self.dir, "rec.sigmf-data"))
        with open(meta, "w") as f:
            json.dump({"global": {"core:datatype": "cu8", "core:sample_rate": 1e6, "core:version": "1.0.0"},
                       "captures": [], "annotations": []}, f)
        res = streamproc("detect", meta, "--json")
        self.assertEqual(res.returncode, 0, res.stderr)
        rep = json.loads(res.stdout)
        self.assertEqual((rep["type"], rep["rate"], rep["samples"]), ("cu8", 1e6, 500_000))
        self.assertEqual(rep["events"], len(truth))

    def test_003c_gen_bursts_inside_the_file(self):
        rec = os.path.join(self.dir, "small.cf32")
        res = streamproc("gen", rec, "--samples", 50_000, "--events", 20, "--type", "cf32", "--seed", 4,
                         "--freq", -0.1)
        self.assertEqual(res.returncode, 0, res.stderr)
        truth = [tuple(map(int, line.split())) for line in open(rec + ".truth")]
        self.assertEqual(len(truth), 20)
        for k, (s, length) in enumerate(truth):
            self.assertGreaterEqual(s, 1000 + k * 2500)
            self.assertLessEqual(s + length, (k + 1) * 2500 - 1000)
        x = np.fromfile(rec, dtype=np.complex64)
        s, length = truth[3]
        spec = np.abs(np.fft.fft(x[s:s + length]))
        self.assertAlmostEqual(np.fft.fftfreq(length)[np.argmax(spec)], -0.1, delta=2.0 / length)

    def test_007_help_and_version(self):
        res = streamproc("--help")
        self.assertEqual(res.returncode, 0)
        self.assertNotIn("SUPPRESS", res.stdout)
        self.assertNotIn("_bench", res.stdout)
        for cmd in ("detect", "plot", "gen", "demo", "bench"):
            self.assertIn(cmd, res.stdout)
        res = streamproc("detect", "--help")
        for text in ("--window", "samples after decimation", "--threshold-db", "(dB)", "default 64",
                     "--min-duration", "input samples", "--merge-gap", "(Hz)"):
            self.assertIn(text, " ".join(res.stdout.split()))
        with open(os.path.join(SRC, "CMakeLists.txt")) as f:
            cmake = f.read()
        version = ".".join(re.search(r"set\(VERSION_%s +(\d+)\)" % part, cmake).group(1)
                           for part in ("MAJOR", "API", "ABI"))
        res = streamproc("--version")
        self.assertEqual(res.stdout.strip(), "streamproc (gr-streamproc) " + version)

    def test_005_errors_are_one_line_exit_2(self):
        cases = [
            ("detect", os.path.join(self.dir, "missing.f32")),
            ("detect", self.dir),
            ("detect", self.rec, "--rate", "0"),
            ("detect", self.rec, "--decimation", "4"),
            ("detect", self.rec, "--rate", "1e6", "--lowpass", "900e3"),
            ("detect", self.rec, "--taps", os.path.join(self.dir, "nope.txt")),
            ("detect", self.rec, "--window", "0"),
            ("detect", self.rec, "--events", "/nonexistent/dir/ev.jsonl"),
            ("gen", os.path.join(self.dir, "x.f32"), "--samples", "0", "--events", "1"),
            ("gen", os.path.join(self.dir, "x.f32"), "--samples", "1000", "--events", "50"),
            ("demo", "--dir", "/nonexistent/streamproc"),
            ("detect", self.rec, "--window", "2147483647"),
            ("detect", self.rec, "--window", "1e12"),
            ("detect", self.rec, "--min-duration", "1e20"),
            ("detect", self.rec, "--rate", "fast"),
            ("detect", self.rec, "--events", self.dir),
            ("plot", self.rec, "--out", os.path.join(self.dir, "p.png"), "--max-rows", "0"),
            ("plot", self.rec, "--out", os.path.join(self.dir, "p.png"), "--events", self.rec),
            ("detect", os.path.join(self.dir, "noext")),
        ]
        with open(os.path.join(self.dir, "noext"), "wb") as f:
            f.write(bytes(64))
        for args in cases:
            res = streamproc(*args)
            self.assertEqual(res.returncode, 2, "%s: %s" % (args, res.stderr))
            errors = [line for line in res.stderr.splitlines() if "error:" in line]
            self.assertEqual(len(errors), 1, res.stderr)
            self.assertNotIn("Traceback", res.stderr)
        res = streamproc("detect", os.path.join(self.dir, "noext"))
        self.assertIn("cannot tell the sample format", res.stderr)
        self.assertIn("--type", res.stderr)
        res = streamproc("detect", self.rec, "--type", "s16")  # argparse: exit 2 too
        self.assertEqual(res.returncode, 2)


if __name__ == "__main__":
    gr_unittest.run(qa_cli)
