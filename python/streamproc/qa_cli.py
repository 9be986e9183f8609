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
        self.assertEqual(rep["type"], "rf32_le")
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
        """Each integer format: the events (positions AND powers) equal those of a cf32
        file holding numpy's conversion of the same integers by the documented scaling
        (ci16 / 32768, ci8 / 128, cu8 (x - 127.5) / 128)."""
        x = np.fromfile(self.rec, dtype=np.float32)[:1_000_000]
        truth = [t for t in self.truth if t[0] + t[1] < 1_000_000]
        zero = np.zeros_like(x)
        files = {
            "ci16": (np.stack([np.clip(np.round(x * 2000), -32768, 32767), zero], 1).astype(np.int16),
                     lambda v: v.astype(np.float64) / 32768),
            "ci8": (np.stack([np.clip(np.round(x * 12), -128, 127), zero], 1).astype(np.int8),
                    lambda v: v.astype(np.float64) / 128),
            "cu8": (np.stack([np.clip(np.round(x * 12 + 127.5), 0, 255), np.full_like(x, 128)], 1).astype(np.uint8),
                    lambda v: (v.astype(np.float64) - 127.5) / 128),
        }
        for kind, (data, scale) in files.items():
            path = os.path.join(self.dir, "rec." + kind)
            data.tofile(path)
            ref_path = os.path.join(self.dir, "ref_%s.cf32" % kind)
            v = scale(data)
            (v[:, 0] + 1j * v[:, 1]).astype(np.complex64).tofile(ref_path)
            events = {}
            for name, p, t in ((kind, path, kind), ("ref", ref_path, "cf32")):
                out = os.path.join(self.dir, "%s_%s.jsonl" % (kind, name))
                res = streamproc("detect", p, "--type", t, "--rate", 1e6, "--events", out, "--json")
                self.assertEqual(res.returncode, 0, kind + ": " + res.stderr)
                self.assertEqual(json.loads(res.stdout)["samples"], 1_000_000, kind)
                events[name] = [json.loads(line) for line in open(out)]
            self.check_events(events[kind], truth)
            self.assertEqual(len(events[kind]), len(events["ref"]))
            for e, r in zip(events[kind], events["ref"]):
                self.assertEqual((e["start"], e["end"]), (r["start"], r["end"]), kind)
                for f in ("mean_power", "peak_power", "noise_floor", "energy"):
                    self.assertAlmostEqual(e[f], r[f], delta=1e-6 * abs(r[f]), msg="%s %s" % (kind, f))
            # and the power is the full-scale one, not 2^30 times it (ci16 at 2000/32768)
            if kind == "ci16":
                self.assertLess(events[kind][0]["noise_floor"], 0.01)

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
            ("detect", os.path.join(self.dir, "empty")),  # a directory without recordings
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
        os.makedirs(os.path.join(self.dir, "empty"), exist_ok=True)
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
