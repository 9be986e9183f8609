#!/usr/bin/python3
#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""burst_extractor and burst_file_sink, and `streamproc extract`: the bursts are the
input's own samples (numpy slices of it, converted by numpy for each file format),
whatever the work-call sizes and the upstream, at the stream's ends too; Debian's
rtl_433 decodes the burst cut out of each rtl_433 capture like the whole file; write
failures are reported with the files written before intact."""

import glob
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import pmt
from gnuradio import blocks, gr, gr_unittest

from gnuradio import streamproc

SRC = os.environ.get("STREAMPROC_SOURCE_DIR",
                     os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
APP = os.path.join(SRC, "apps", "streamproc")
DATA = os.path.join(SRC, "..", "shared", "data", "real-captures")


def cli(*args, **kw):
    return subprocess.run([sys.executable, APP] + [str(a) for a in args], capture_output=True, text=True,
                          timeout=300, **kw)


def signal(n, starts, length, seed=3, amp=0.3):
    """Complex noise (power 2e-4) with bursts at the given starts; the first may be at 0
    and the last may run into the end."""
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(n) + 1j * rng.standard_normal(n)) * 0.01
    for a in starts:
        b = min(n, a + length)
        x[a:b] += amp * np.exp(2j * np.pi * 0.05 * np.arange(b - a))
    return x.astype(np.complex64)


def pdus_of(x, pre, post, max_length, max_noutput=None, upstream="vector", path=None):
    """detector(tag_edges) -> burst_extractor -> message_debug: [(meta, samples)]."""
    tb = gr.top_block()
    if upstream == "file":
        src = blocks.file_source(gr.sizeof_gr_complex, path, False)
    else:
        src = blocks.vector_source_c(x.tolist(), False)
    det = streamproc.event_detector_c(tag_edges=True, sample_rate=1e6)
    ex = streamproc.burst_extractor_c(pre, post, max_length, 1e6)
    dbg = blocks.message_debug()
    tb.connect(src, det, ex)
    tb.msg_connect(ex, "pdus", dbg, "store")
    if max_noutput:
        for b in (det, ex):
            b.set_max_noutput_items(max_noutput)
    tb.run()
    out = []
    for i in range(dbg.num_messages()):
        m = dbg.get_message(i)
        out.append((pmt.to_python(pmt.car(m)), np.array(pmt.c32vector_elements(pmt.cdr(m)), dtype=np.complex64)))
    return out, ex


class qa_burst_extractor(gr_unittest.TestCase):

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="qa_burst_extractor.")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def test_001_pdus_are_slices_of_the_input(self):
        """Each PDU is x[start - pre : end + post] (clipped at the stream's ends, at most
        max_length), in event order, the same for any work-call sizes and behind
        blocks.file_source; meta = the event dict + burst fields."""
        n = 300_000
        starts = [0, 40_000, 40_000 + 3000 + 150, 150_000, n - 1500]  # at 0, close pairs, at the end
        x = signal(n, starts, 3000)
        path = os.path.join(self.dir, "x.cf32")
        x.tofile(path)
        ref, ex = pdus_of(x, 400, 700, 100_000)
        self.assertEqual(len(ref), len(starts))
        self.assertEqual(ex.bursts(), len(starts))
        for meta, v in ref:
            a = meta["burst_start"]
            self.assertEqual(a, max(0, meta["start"] - 400))
            self.assertEqual(meta["pre"], meta["start"] - a)
            self.assertEqual(len(v), min(n, meta["end"] + 700) - a)
            np.testing.assert_array_equal(v, x[a:a + len(v)])
            self.assertEqual(meta["burst_samples"], len(v))
            self.assertFalse(meta["burst_cut"])
            self.assertEqual(meta["sample_rate"], 1e6)
        self.assertTrue(ref[0][0]["truncated"])  # began with the stream
        self.assertEqual([m["id"] for m, _ in ref], list(range(len(starts))))
        for kw in (dict(max_noutput=1), dict(max_noutput=7), dict(max_noutput=1 << 20),
                   dict(upstream="file", path=path)):
            got, _ = pdus_of(x, 400, 700, 100_000, **kw)
            self.assertEqual(len(got), len(ref), kw)
            for (gm, gv), (rm, rv) in zip(got, ref):
                self.assertEqual(gm, rm, kw)
                np.testing.assert_array_equal(gv, rv)

    def test_002_cut_at_max_length(self):
        x = signal(200_000, [50_000], 20_000)
        got, ex = pdus_of(x, 100, 100, 5000)
        self.assertEqual(len(got), 1)
        meta, v = got[0]
        self.assertTrue(meta["burst_cut"])
        self.assertEqual(len(v), 5000)
        np.testing.assert_array_equal(v, x[meta["burst_start"]:meta["burst_start"] + 5000])
        self.assertEqual(ex.bursts_cut(), 1)
        with self.assertRaisesRegex(ValueError, "max_length must be >= 1"):
            streamproc.burst_extractor_c(0, 0, 0)
        with self.assertRaisesRegex(ValueError, "pre must be >= 0"):
            streamproc.burst_extractor_c(-1, 0, 10)

    def test_003_extract_every_format(self):
        """streamproc extract: every burst file holds exactly numpy's conversion of the
        input slice the index names; SigMF carries the rate and the event."""
        n = 400_000
        x = signal(n, [30_000, 120_000, 250_000], 4000, amp=0.5)
        path = os.path.join(self.dir, "rec.cf32")
        x.tofile(path)
        conv = {"cf32": lambda v: v.astype(np.complex64).view(np.float32),
                "ci16": lambda v: np.clip(np.round(v.view(np.float32).astype(np.float64) * 32768), -32768,
                                          32767).astype("<i2"),
                "cu8": lambda v: np.clip(np.round(v.view(np.float32).astype(np.float64) * 128 + 127.5), 0,
                                         255).astype(np.uint8),
                "sigmf": lambda v: v.astype(np.complex64).view(np.float32)}
        dtype = {"cf32": "<f4", "ci16": "<i2", "cu8": np.uint8, "sigmf": "<f4"}
        for fmt in conv:
            out = os.path.join(self.dir, fmt)
            os.mkdir(out)
            res = cli("extract", path, "--rate", "2M", "--out", out, "--format", fmt, "--pre", "100us",
                      "--post", "300", "--json")
            self.assertEqual(res.returncode, 0, res.stderr)
            rep = json.loads(res.stdout)
            self.assertEqual((rep["events"], rep["bursts"]), (3, 3))
            with open(os.path.join(out, "index.jsonl")) as f:
                index = [json.loads(line) for line in f]
            self.assertEqual(len(index), 3)
            for e in index:
                a, k = e["burst_start"], e["burst_samples"]
                self.assertEqual(e["pre"], 200)  # 100 us at 2 MS/s
                self.assertEqual(k, e["end"] + 300 - a)
                got = np.fromfile(os.path.join(out, e["file"]), dtype[fmt])
                np.testing.assert_array_equal(got, conv[fmt](x[a:a + k]), (fmt, e["file"]))
                self.assertIn("_2000k.", e["file"])
                if fmt == "sigmf":
                    with open(os.path.join(out, e["file"].replace("-data", "-meta"))) as f:
                        meta = json.load(f)
                    self.assertEqual(meta["global"]["core:sample_rate"], 2e6)
                    self.assertEqual(meta["global"]["core:datatype"], "cf32_le")
                    ann = meta["annotations"][0]
                    self.assertEqual(ann["core:sample_start"], 200)
                    self.assertEqual(ann["core:sample_count"], e["end"] - e["start"])
                    self.assertEqual(ann["streamproc:id"], e["id"])
            # never overwritten unasked
            res = cli("extract", path, "--rate", "2M", "--out", out, "--format", fmt)
            self.assertEqual(res.returncode, 2)
            self.assertIn("index.jsonl: exists (pass overwrite", res.stderr)

    def test_004_rtl_433_decodes_the_extracted_bursts(self):
        """Debian's rtl_433 finds in the burst cut out of each capture the same message
        (model and payload) as in the whole file."""
        rtl_433 = shutil.which("rtl_433")
        if not rtl_433 or not os.path.isdir(DATA):
            self.skipTest("needs rtl_433 (apt-get install rtl-433) and ../shared/data")

        def decode(path):
            res = subprocess.run([rtl_433, "-r", path, "-F", "json"], capture_output=True, text=True, timeout=60)
            msgs = [json.loads(line) for line in res.stdout.splitlines() if line.startswith("{")]
            return [{k: v for k, v in m.items() if k != "time"} for m in msgs]

        for path in sorted(glob.glob(os.path.join(DATA, "rtl433_*_250k.cu8"))):
            out = os.path.join(self.dir, os.path.basename(path) + ".d")
            os.mkdir(out)
            res = cli("extract", path, "--rate", "250k", "--merge-gap", 5000, "--pre", "10ms", "--post", "10ms",
                      "--out", out, "--prefix", "sensible")
            self.assertEqual(res.returncode, 0, res.stderr)
            files = sorted(glob.glob(os.path.join(out, "sensible_*_250k.cu8")))
            self.assertEqual(len(files), 1, path)
            whole = decode(path)
            self.assertGreater(len(whole), 0)
            self.assertEqual(decode(files[0]), whole, path)

    def test_006_memory_flat_with_dense_bursts(self):
        """A burst every 300 samples through detector -> extractor -> a PDU consumer: the
        peak RSS of 2 GB of samples is that of 256 MB (a bounded delay line, PDUs not
        piling up)."""
        script = os.path.join(self.dir, "flat.py")
        with open(script, "w") as f:
            f.write(FLAT)
        small_n, big_n = 256 << 20, 2 << 30
        asan = "libasan" in os.environ.get("LD_PRELOAD", "")
        if asan:  # the sanitizer run: the same flow, smaller
            small_n, big_n = 32 << 20, 256 << 20
        runs = {}
        for nbytes in (small_n, big_n):
            res = subprocess.run([sys.executable, script, str(nbytes)], capture_output=True, text=True,
                                 timeout=600)
            self.assertEqual(res.returncode, 0, res.stderr[-2000:])
            bursts, hwm = res.stdout.strip().splitlines()[-1].split()
            runs[nbytes] = (int(bursts), float(hwm))
        small, big = runs[small_n], runs[big_n]
        self.assertGreater(big[0], 7 * small[0])  # about 900 000 bursts
        if not asan:  # ASan holds freed memory in its quarantine (256 MB): RSS grows
            self.assertLess(big[1] - small[1], 8.0, runs)

    def test_007_frequency_extent(self):
        """freq_center and bandwidth of each burst against what was sent: a tone at
        +0.05 fs, one at -0.2 fs, noise band-limited to [0.1, 0.3] fs (scipy's filter);
        freq_center_abs with an rx_freq tag."""
        from scipy import signal as sps
        fs, n = 1e6, 200_000
        rng = np.random.default_rng(9)
        x = (rng.standard_normal(n) + 1j * rng.standard_normal(n)) * 0.003
        t = np.arange(8000)
        x[20_000:28_000] += 0.3 * np.exp(2j * np.pi * 0.05 * t)
        x[60_000:68_000] += 0.3 * np.exp(-2j * np.pi * 0.2 * t)
        h = sps.firwin(255, 0.1, fs=1.0)  # -0.1 .. 0.1, shifted by 0.2 below
        band = sps.lfilter(h * np.exp(2j * np.pi * 0.2 * np.arange(255)), 1.0,
                           rng.standard_normal(40_000) + 1j * rng.standard_normal(40_000))
        x[100_000:130_000] += 0.2 * band[5000:35_000]
        x = x.astype(np.complex64)
        tag = gr.tag_t()
        tag.offset, tag.key, tag.value = 0, pmt.intern("rx_freq"), pmt.from_double(433.92e6)
        tb = gr.top_block()
        src = blocks.vector_source_c(x.tolist(), False, 1, [tag])
        det = streamproc.event_detector_c(tag_edges=True, sample_rate=fs)
        ex = streamproc.burst_extractor_c(0, 0, 1 << 20, fs)
        dbg = blocks.message_debug()
        tb.connect(src, det, ex)
        tb.msg_connect(ex, "pdus", dbg, "store")
        tb.run()
        metas = [pmt.to_python(pmt.car(dbg.get_message(i))) for i in range(dbg.num_messages())]
        self.assertEqual(len(metas), 3)
        res = fs / 256
        for m, (centre, width) in zip(metas, ((0.05 * fs, 0.0), (-0.2 * fs, 0.0), (0.2 * fs, 0.2 * fs))):
            self.assertLessEqual(abs(m["freq_center"] - centre), res + 0.05 * width, m)
            self.assertLessEqual(abs(m["bandwidth"] - width), 4 * res + 0.1 * width, m)
            self.assertAlmostEqual(m["freq_center_abs"], 433.92e6 + m["freq_center"])
            self.assertEqual(m["rx_freq"], 433.92e6)

    def test_005_write_failure_keeps_what_was_written(self):
        """A file-size limit (as a full disk does: the write fails) stops the run with one
        error line; the bursts written before and their index lines are whole."""
        n = 400_000
        x = signal(n, [20_000, 100_000], 3000, amp=0.5) + signal(n, [200_000], 60_000, seed=4, amp=0.5)
        path = os.path.join(self.dir, "big.cf32")
        x.tofile(path)
        out = os.path.join(self.dir, "full")
        os.mkdir(out)

        def limit():
            resource.setrlimit(resource.RLIMIT_FSIZE, (300_000, 300_000))

        res = cli("extract", path, "--rate", "1M", "--out", out, "--format", "cf32", "--post", "1000",
                  preexec_fn=limit)  # bursts of 32 kB, then one of 490 kB
        self.assertEqual(res.returncode, 1, res.stderr)
        self.assertIn("failed", res.stderr)
        self.assertNotIn("Traceback", res.stderr)
        with open(os.path.join(out, "index.jsonl")) as f:
            index = [json.loads(line) for line in f]
        self.assertEqual(len(index), 2)
        for e in index:
            got = np.fromfile(os.path.join(out, e["file"]), np.complex64)
            a = e["burst_start"]
            np.testing.assert_array_equal(got, x[a:a + e["burst_samples"]])
        self.assertEqual(sorted(os.listdir(out)), sorted([e["file"] for e in index] + ["index.jsonl"]))
        # a directory that does not exist yet is made, with its parents (mkdir -p), by
        # the command and by the block; a file in its place, or a path that cannot be
        # made, is one clear line
        made = os.path.join(self.dir, "new", "bursts")
        res = cli("extract", path, "--rate", "1M", "--out", made, "--format", "cf32", "--post", "1000",
                  "--max-burst", "4000")
        self.assertEqual(res.returncode, 0, res.stderr)
        with open(os.path.join(made, "index.jsonl")) as f:
            self.assertGreaterEqual(len(f.readlines()), 2)
        res = cli("extract", path, "--out", path)
        self.assertEqual(res.returncode, 2)
        self.assertIn("exists and is not a directory", res.stderr)
        res = cli("extract", path, "--out", os.path.join(path, "sub"))
        self.assertEqual(res.returncode, 2)
        self.assertIn("cannot create the directory", res.stderr)
        self.assertNotIn("Traceback", res.stderr)
        made = os.path.join(self.dir, "new2", "deeper")
        streamproc.burst_file_sink(made)
        self.assertTrue(os.path.isdir(made))
        with self.assertRaisesRegex(RuntimeError, "is not a directory"):
            streamproc.burst_file_sink(path)
        with self.assertRaisesRegex(RuntimeError, "cannot create directory"):
            streamproc.burst_file_sink(os.path.join(path, "sub"))
        with self.assertRaisesRegex(ValueError, "format must be cf32, ci16, cu8 or sigmf"):
            streamproc.burst_file_sink(out, "wav")


FLAT = """
import sys
import numpy as np
from gnuradio import blocks, gr, pdu, streamproc
nbytes = int(sys.argv[1])
rng = np.random.default_rng(5)
period = 300  # a 120-sample burst every 300 samples
x = (rng.standard_normal(30 * period) + 1j * rng.standard_normal(30 * period)) * 0.01
x[(np.arange(len(x)) % period) < 120] *= 10
tb = gr.top_block()
src = blocks.vector_source_c(x.astype(np.complex64).tolist(), True)
head = blocks.head(gr.sizeof_gr_complex, nbytes // 8)
det = streamproc.event_detector_c(window=16, tag_edges=True)
ex = streamproc.burst_extractor_c(32, 32, 4096, 1e6)
to_stream = pdu.pdu_to_tagged_stream(gr.types.complex_t)
tb.connect(src, head, det, ex)
tb.msg_connect(ex, "pdus", to_stream, "pdus")
tb.connect(to_stream, blocks.null_sink(gr.sizeof_gr_complex))
tb.run()
hwm = [int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")][0]
print(ex.bursts(), hwm / 1024.0)
"""


if __name__ == "__main__":
    gr_unittest.run(qa_burst_extractor)
