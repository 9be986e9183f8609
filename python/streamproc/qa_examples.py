#!/usr/bin/python3
#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""Every example flowgraph compiles with grcc; the non-GUI ones run on generated data
and their output is checked with numpy/scipy."""

import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
from gnuradio import gr_unittest
from gnuradio.filter import firdes
from scipy import signal

SRC = os.environ.get("STREAMPROC_SOURCE_DIR",
                     os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
EXAMPLES = os.path.join(SRC, "examples")


class qa_examples(gr_unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="qa_examples.")
        cls.env = dict(os.environ)
        paths = [os.path.join(SRC, "grc")] + [p for p in cls.env.get("GRC_BLOCKS_PATH", "").split(":") if p]
        cls.env["GRC_BLOCKS_PATH"] = ":".join(paths)
        cls.compiled = {}
        for grc in sorted(glob.glob(os.path.join(EXAMPLES, "*.grc"))):
            res = subprocess.run(["grcc", "-o", cls.dir, grc], capture_output=True, text=True,
                                 env=cls.env, timeout=300)
            cls.compiled[os.path.basename(grc)] = res

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def run_example(self, name, *args):
        res = subprocess.run([sys.executable, os.path.join(self.dir, name + ".py")] + list(args),
                             capture_output=True, text=True, env=self.env, timeout=300)
        self.assertEqual(res.returncode, 0, res.stderr[-2000:])

    def test_001_all_compile(self):
        self.assertGreaterEqual(len(self.compiled), 2)
        for name, res in self.compiled.items():
            self.assertEqual(res.returncode, 0, "%s: %s" % (name, res.stdout[-2000:] + res.stderr[-2000:]))

    def test_002_mmap_file_scale(self):
        inp, out = os.path.join(self.dir, "in.f32"), os.path.join(self.dir, "out.f32")
        x = np.random.default_rng(1).standard_normal(300001).astype(np.float32)
        x.tofile(inp)
        self.run_example("mmap_file_scale", "--infile", inp, "--outfile", out, "--scale", "-3")
        np.testing.assert_array_equal(np.fromfile(out, dtype=np.float32), x * np.float32(-3))

    def test_003_mmap_lowpass_decimate(self):
        inp, out = os.path.join(self.dir, "in.cf32"), os.path.join(self.dir, "out.cf32")
        rng = np.random.default_rng(2)
        x = (rng.standard_normal(400000) + 1j * rng.standard_normal(400000)).astype(np.complex64)
        x.tofile(inp)
        self.run_example("mmap_lowpass_decimate", "--infile", inp, "--outfile", out,
                         "--samp-rate", "2e6", "--cutoff", "100e3", "--decim", "5")
        y = np.fromfile(out, dtype=np.complex64)
        h = np.array(firdes.low_pass(1.0, 2e6, 100e3, 25e3))
        ref = signal.lfilter(h, [1.0], x.astype(np.complex128))[::5][:len(x) // 5]
        self.assertEqual(len(y), len(ref))
        err = np.max(np.abs(y - ref)) / np.sqrt(np.mean(np.abs(ref) ** 2))
        self.assertLess(err, 1e-5)

    def test_005_detect_events(self):
        inp, out = os.path.join(self.dir, "bursts.f32"), os.path.join(self.dir, "events.jsonl")
        rng = np.random.default_rng(3)
        n, fs = 2_000_000, 1e6
        x = rng.standard_normal(n)
        truth = [(20000 + k * 40000, 5000 + (k * 311) % 10000) for k in range(45)]
        for s0, length in truth:
            t = np.arange(length)
            x[s0:s0 + length] += 10 * np.cos(2 * np.pi * 0.03 * t)  # 17 dB over the noise
        x.astype(np.float32).tofile(inp)
        self.run_example("detect_events", "--infile", inp, "--events", out, "--samp-rate", str(fs))
        events = [json.loads(line) for line in open(out)]
        self.assertEqual(len(events), len(truth))
        for ev, (s0, length) in zip(events, truth):
            # detect_chain takes the low-pass's group delay out: start and end within
            # the detector window
            self.assertLessEqual(abs(ev["start"] - s0), 64)
            self.assertLessEqual(abs(ev["end"] - (s0 + length)), 64)
            self.assertAlmostEqual(ev["time"], ev["start"] / fs)

    def test_004_every_block_yml_generates_and_runs(self):
        """A small flowgraph per GRC block of the module (default parameters where
        possible), compiled with grcc and run: the yml templates make working Python."""
        cases = [
            ("streamproc_ols_fir_xxx", "float", {"type": "fff", "decim": "2", "taps": "[0.5, 0.25]"}, "float", 1),
            ("streamproc_ols_fir_xxx", "complex", {"type": "ccc", "decim": "1", "taps": "[0.5, 0.25j]"},
             "complex", 1),
            ("streamproc_stft_x", "complex", {"type": "complex", "fft_size": "64", "hop": "16", "shift": "True"},
             "complex", 64),
            ("streamproc_stft_x", "float", {"type": "float", "fft_size": "64", "hop": "100"}, "complex", 33),
            ("streamproc_stft_x", "float", {"type": "float", "fft_size": "64", "hop": "32", "onesided": "False"},
             "complex", 64),
            ("streamproc_welch_x", "complex", {"type": "complex", "fft_size": "64", "hop": "32",
                                               "samp_rate": "1e3"}, "float", 64),
            ("streamproc_welch_x", "float", {"type": "float", "fft_size": "64", "hop": "32", "samp_rate": "1e3"},
             "float", 33),
            ("streamproc_event_detector_x", "complex",
             {"type": "c", "samp_rate": "1e3", "floor_mode": "True", "floor_db": "-20", "noise_taps": "[0.5, 0.5]"},
             "complex", 1),
            ("streamproc_offset_tagger", "complex", {"type": "complex", "origin": "5", "total": "0"}, "complex", 1),
            ("streamproc_offset_rebase", "float", {"type": "float", "decimation": "2", "delay": "1",
                                                   "samp_rate": "1e3"}, "float", 1),
            ("streamproc_wallclock", "complex", {"type": "complex", "samp_rate": "1e3"}, "complex", 1),
        ]
        for k, (block_id, in_type, params, out_type, vlen) in enumerate(cases):
            plist = "\n".join("    %s: '%s'" % kv for kv in params.items())
            name = "t%d_%s" % (k, block_id[11:])
            grc = GRC_TEMPLATE.format(id=name, block=block_id, in_type=in_type, params=plist,
                                      out_type=out_type, vlen=vlen)
            path = os.path.join(self.dir, name + ".grc")
            with open(path, "w") as f:
                f.write(grc)
            res = subprocess.run(["grcc", "-o", self.dir, path], capture_output=True, text=True, env=self.env,
                                 timeout=300)
            self.assertEqual(res.returncode, 0, name + ": " + res.stdout[-2000:] + res.stderr[-2000:])
            self.run_example(name)

    def test_007_extract_bursts(self):
        """examples/extract_bursts.grc on an rtl_433 capture: one cu8 burst whose bytes
        are the recording's own, decoded by rtl_433 (when installed) like the file."""
        cap = os.path.join(SRC, "..", "shared", "data", "real-captures",
                           "rtl433_sensible_living_g003_433.92M_250k.cu8")
        if not os.path.exists(cap):
            self.skipTest("no ../shared/data/real-captures")
        out = os.path.join(self.dir, "bursts")
        os.makedirs(out, exist_ok=True)
        self.run_example("extract_bursts", "--infile", cap, "--outdir", out)
        with open(os.path.join(out, "index.jsonl")) as f:
            index = [json.loads(line) for line in f]
        self.assertEqual(len(index), 1)
        e = index[0]
        raw = np.fromfile(cap, np.uint8)
        got = np.fromfile(os.path.join(out, e["file"]), np.uint8)
        np.testing.assert_array_equal(got, raw[2 * e["burst_start"]:2 * (e["burst_start"] + e["burst_samples"])])
        self.assertAlmostEqual(e["time"], 0.2846, delta=0.002)
        rtl_433 = shutil.which("rtl_433")
        if rtl_433:
            def decode(path):
                res = subprocess.run([rtl_433, "-r", path, "-F", "json"], capture_output=True, text=True,
                                     timeout=60)
                return [{k: v for k, v in json.loads(line).items() if k != "time"}
                        for line in res.stdout.splitlines() if line.startswith("{")]
            self.assertEqual(decode(os.path.join(out, e["file"])), decode(cap))

    def test_006_mmap_format_selector(self):
        """GRC's File Format selector on Mmap File Source: cu8 read as complex (+-1.0)."""
        raw = np.random.default_rng(6).integers(0, 256, 20000, dtype=np.uint8)
        inp, out = os.path.join(self.dir, "cap.cu8"), os.path.join(self.dir, "cap.cf32")
        raw.tofile(inp)
        grc = GRC_SOURCE.format(infile=inp, outfile=out)
        path = os.path.join(self.dir, "t_mmap_cu8.grc")
        with open(path, "w") as f:
            f.write(grc)
        res = subprocess.run(["grcc", "-o", self.dir, path], capture_output=True, text=True, env=self.env,
                             timeout=300)
        self.assertEqual(res.returncode, 0, res.stdout[-2000:] + res.stderr[-2000:])
        self.run_example("t_mmap_cu8")
        v = (raw.astype(np.float64) - 127.5) / 128
        np.testing.assert_array_equal(np.fromfile(out, dtype=np.complex64),
                                      (v[0::2] + 1j * v[1::2]).astype(np.complex64))

    def test_008_own_statistic(self):
        """band_power_events.grc (stft_cc -> an embedded-Python band-power ratio ->
        event_detector_f) finds the planted tone bursts, and examples/own_statistic.py
        (the same statistic with numpy on streamproc.stft, then detect_array) the same
        events."""
        inp, out = os.path.join(self.dir, "tones.cf32"), os.path.join(self.dir, "band.jsonl")
        rng = np.random.default_rng(8)
        n = 1_200_000
        x = (rng.standard_normal(n) + 1j * rng.standard_normal(n)) * 0.1
        truth = [(30000 + k * 100000, 3000 + (k * 977) % 20000) for k in range(11)]
        t = np.arange(n)
        for s0, length in truth:  # a tone at 0.2 fs (bins 12-13 of 64), as strong as the noise
            x[s0:s0 + length] += 0.14 * np.exp(2j * np.pi * 0.2 * t[s0:s0 + length])
        # and a wideband burst as strong: the band-power ratio does not rise for it
        x[600000:620000] += 0.14 * (rng.standard_normal(20000) + 1j * rng.standard_normal(20000))
        x.astype(np.complex64).tofile(inp)
        self.run_example("band_power_events", "--infile", inp, "--events", out)
        with open(out) as f:
            events = [json.loads(line) for line in f]
        self.assertEqual(len(events), len(truth), events)
        for ev, (s0, length) in zip(events, truth):
            # positions are frames of 16 samples; the 8-frame window and the 64-sample
            # frames smear each edge by up to ~6 frames
            self.assertLessEqual(abs(ev["start"] * 16 - s0), 128, (ev, s0))
            self.assertLessEqual(abs(ev["end"] * 16 - (s0 + length)), 128, (ev, s0, length))
        res = subprocess.run([sys.executable, os.path.join(EXAMPLES, "own_statistic.py"), inp],
                             capture_output=True, text=True, env=self.env, timeout=300)
        self.assertEqual(res.returncode, 0, res.stderr[-2000:])
        mine = [json.loads(line) for line in res.stdout.splitlines()]
        self.assertEqual([(e["frame_start"], e["frame_end"]) for e in mine],
                         [(e["start"], e["end"]) for e in events])
        self.assertEqual([e["snr_db"] for e in mine], [e["snr_db"] for e in events])


GRC_SOURCE = """options:
  parameters:
    generate_options: no_gui
    id: t_mmap_cu8
    title: t_mmap_cu8
    output_language: python
    run_options: run
  states:
    coordinate: [8, 8]
    state: enabled
blocks:
- name: src
  id: streamproc_mmap_file_source
  parameters:
    file: '{infile}'
    format: cu8
    type: complex
    vlen: '1'
  states:
    coordinate: [8, 100]
    state: enabled
- name: sink
  id: blocks_file_sink
  parameters:
    file: '{outfile}'
    type: complex
    vlen: '1'
    append: 'False'
    unbuffered: 'False'
  states:
    coordinate: [300, 100]
    state: enabled
connections:
- [src, '0', sink, '0']
metadata:
  file_format: 1
"""


GRC_TEMPLATE = """options:
  parameters:
    generate_options: no_gui
    id: {id}
    title: {id}
    output_language: python
    run_options: run
  states:
    coordinate: [8, 8]
    state: enabled
blocks:
- name: src
  id: analog_sig_source_x
  parameters:
    type: {in_type}
    samp_rate: '1000'
    waveform: analog.GR_COS_WAVE
    freq: '100'
    amp: '1'
    offset: '0'
    phase: '0'
  states:
    coordinate: [8, 100]
    state: enabled
- name: head
  id: blocks_head
  parameters:
    type: {in_type}
    num_items: '5000'
  states:
    coordinate: [200, 100]
    state: enabled
- name: dut
  id: {block}
  parameters:
{params}
  states:
    coordinate: [400, 100]
    state: enabled
- name: sink
  id: blocks_null_sink
  parameters:
    type: {out_type}
    vlen: '{vlen}'
  states:
    coordinate: [600, 100]
    state: enabled
connections:
- [src, '0', head, '0']
- [head, '0', dut, '0']
- [dut, '0', sink, '0']
metadata:
  file_format: 1
"""


if __name__ == "__main__":
    gr_unittest.run(qa_examples)
