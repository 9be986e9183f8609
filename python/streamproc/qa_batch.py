#!/usr/bin/python3
#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""Batch detection on Dask: every split of a file into ranges finds the events of one
run over the whole file (the reference: detect_file, one flowgraph), field for field,
on synthetic files and the real captures; several files, the events files, failing
files, a worker killed with SIGKILL, progress, and a scheduler and a worker on two
network hosts (namespaces)."""

import glob
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading

import numpy as np
from gnuradio import gr_unittest

from gnuradio import streamproc
from gnuradio.streamproc import DetectOptions, batch, detect_file
from gnuradio.streamproc.runners.batch.ranges import shift
from qa_helpers import wait_until

PY = "/usr/bin/python3"
SRC = os.environ.get("STREAMPROC_SOURCE_DIR",
                     os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
REAL = os.path.join(SRC, "..", "shared", "data", "real-captures")


def cli(*args, timeout=300):
    return subprocess.run([PY, "-m", "gnuradio.streamproc.cli"] + [str(a) for a in args],
                          capture_output=True, text=True, timeout=timeout)


def write_bursts(path, n, seed, complex_=True):
    """Noise (power 0.01) with bursts of 40 to 30000 samples, one at sample 0 and one
    running to the end; returns the burst spans."""
    rng = np.random.default_rng(seed)
    x = (rng.normal(size=n) + 1j * rng.normal(size=n)) * np.sqrt(0.005)
    spans = [(0, 3000), (n - 5000, n)]
    pos = 20000
    while pos < n - 60000:
        length = int(rng.choice([40, 300, 2000, 30000]))
        spans.append((pos, pos + length))
        pos += length + int(rng.integers(500, 40000))
    for s, e in spans:
        t = np.arange(e - s)
        x[s:e] += 0.5 * np.exp(2j * np.pi * 0.03 * t) * (1 + 0.3 * np.sin(2 * np.pi * t / 700))
    (x.astype(np.complex64) if complex_ else x.real.astype(np.float32)).tofile(path)
    return spans


def stop_processes(procs):
    """Terminates the processes in this order and waits for them (bounded; then kill)."""
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(10)


def events_of(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


class qa_batch(gr_unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="qa_batch_")
        cls.rec = os.path.join(cls.dir, "bursts.cf32")
        cls.spans = write_bursts(cls.rec, 1_500_000, 7)
        cls.client = batch.local_client(2)
        cls.cache = {}

    @classmethod
    def tearDownClass(cls):
        cluster = cls.client.cluster
        cls.client.close()
        cluster.close()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def whole(self, path, options, kind=None):
        """The reference: one flowgraph over the whole file."""
        key = (path, repr(options), kind)
        if key not in self.cache:
            out = os.path.join(self.dir, "whole.jsonl")
            detect_file(path, options, kind, events=out, overwrite=True)
            self.cache[key] = events_of(out)
        return self.cache[key]

    def assert_same_file(self, a, b):
        """SigMF metadata: the same JSON values; anything else: the same bytes."""
        if a.endswith(".sigmf-meta"):
            with open(a) as fa, open(b) as fb:
                self.assertEqual(json.load(fa), json.load(fb), a)
        else:
            with open(a, "rb") as fa, open(b, "rb") as fb:
                self.assertEqual(fa.read(), fb.read(), a)

    def check(self, path, options, ranges, kind=None, what=""):
        ref = self.whole(path, options, kind)
        rep = batch.detect(path, options, kind, ranges=ranges, client=self.client)
        self.assertEqual(rep["failed"], [], what)
        got = rep["event_list"]
        self.assertEqual(len(got), len(ref), what)
        for g, r in zip(got, ref):
            self.assertEqual(g, r, what)  # every field, floats bit for bit
        return rep, ref

    def test_001_ranges_equal_one_run(self):
        """2, 3 and 7 ranges, and a cut inside every event: the one run's events, for no
        filter, a short prefilter (inside the detector), ols_fir at full rate and
        decimating by 4 and 8."""
        settings = {
            "none": DetectOptions(),
            "prefilter 7": DetectOptions(taps=[0.1, 0.15, 0.2, 0.1, 0.2, 0.15, 0.1]),
            "ols_fir 33": DetectOptions(taps=list(np.hanning(35)[1:-1] / 17)),
            "lowpass D4": DetectOptions(rate=1e6, lowpass=100e3, decimation=4, window=32),
            "lowpass D8 gap": DetectOptions(rate=1e6, lowpass=50e3, decimation=8, window=16, merge_gap=3000,
                                            min_duration=100),
        }
        for name, options in settings.items():
            ref = self.whole(self.rec, options)
            self.assertGreater(len(ref), 20, name)
            cuts = [(e["start"] + e["end"]) // 2 for e in ref]  # an event across every boundary
            for ranges in (2, 3, 7, cuts):
                self.check(self.rec, options, ranges, what="%s, %s ranges" % (
                    name, ranges if isinstance(ranges, int) else "%d cut" % len(cuts)))

    def test_002_ranges_smaller_than_a_filter_block(self):
        """Ranges of 1000 samples behind a 129-tap ols_fir (1920 outputs per block), and
        fixed floors and max_duration (other proofs of the event state)."""
        path = os.path.join(self.dir, "short.cf32")
        write_bursts(path, 60_000, 3)
        opts = DetectOptions(taps=list(np.hanning(131)[1:-1] / 65), floor_horizon=8192)
        rep, ref = self.check(path, opts, 60, what="129 taps")
        self.assertGreater(len(ref), 2)
        for opts in (DetectOptions(floor_db=-20.0), DetectOptions(max_duration=1000, floor_horizon=8192),
                     DetectOptions(absolute_db=-10.0, max_duration=5000)):
            self.check(self.rec, opts, 5, what=repr(opts))

    def test_003_real_captures_several_files(self):
        """All the real captures in one batch, 5 ranges each: each file's events are its
        one run's (ids per file), sorted by file and start, each naming its file."""
        files = sorted(glob.glob(os.path.join(REAL, "*")))
        files = [f for f in files if not f.endswith(".md")]
        if not files:
            self.skipTest("no real captures in %s" % REAL)
        opts = DetectOptions(floor_horizon=8192, window=16)
        rep = batch.detect(files, opts, ranges=5, client=self.client)
        self.assertEqual(rep["failed"], [])
        got = rep["event_list"]
        want = []
        for f in files:
            want += [dict({"file": f}, **e) for e in self.whole(f, opts)]
        self.assertGreater(len(want), 30)
        self.assertEqual(got, want)
        self.assertEqual([f["file"] for f in rep["files"]], files)
        self.assertEqual(sum(f["events"] for f in rep["files"]), len(want))
        self.assertTrue(all(r > 0 for r in rep["peak_rss_mb_per_worker"].values()))

    def test_004_events_files_as_one_run(self):
        """The CLI with --chunk: the .jsonl and .csv files are byte for byte those of one
        run; SigMF holds the same annotations; several files name theirs."""
        opts = ["--rate", "1e6", "--lowpass", "100e3", "--decimation", "4"]
        for ext in ("jsonl", "csv", "sigmf-meta"):
            one, many = (os.path.join(self.dir, "%s.%s" % (n, ext)) for n in ("one", "many"))
            res = cli("detect", self.rec, "--events", one, "--overwrite", *opts)
            self.assertEqual(res.returncode, 0, res.stderr)
            res = cli("detect", self.rec, "--events", many, "--overwrite", "--chunk", "2M", "--jobs", "2", *opts)
            self.assertEqual(res.returncode, 0, res.stderr)
            self.assertIn("6 ranges", res.stdout)  # 12 MB in 2 MB ranges
            self.assert_same_file(one, many)
            if ext == "sigmf-meta":
                self.assertGreater(len(json.load(open(one))["annotations"]), 20)
        # several files: a file column / key; the events file is not overwritten unasked
        other = os.path.join(self.dir, "other.cf32")
        shutil.copy(self.rec, other)
        out = os.path.join(self.dir, "two.csv")
        res = cli("detect", self.rec, other, "--events", out, "--jobs", "2", *opts)
        self.assertEqual(res.returncode, 0, res.stderr)
        with open(out) as f:
            lines = f.read().splitlines()
        self.assertTrue(lines[0].startswith("file,id,start,end"))
        n = (len(lines) - 1) // 2
        self.assertEqual([line.split(",", 1)[1] for line in lines[1:n + 1]],
                         [line.split(",", 1)[1] for line in lines[n + 1:]])
        self.assertTrue(all(line.startswith(other + ",") for line in lines[n + 1:]))
        res = cli("detect", self.rec, other, "--events", out, "--jobs", "2", *opts)
        self.assertEqual(res.returncode, 2)
        self.assertIn("exists: pass --overwrite", res.stderr)
        res = cli("detect", self.rec, other, "--events", os.path.join(self.dir, "x.sigmf-meta"), *opts)
        self.assertEqual(res.returncode, 2)
        self.assertIn("annotates one recording", res.stderr)

    def test_005_a_failing_file_does_not_stop_the_others(self):
        """A malformed SigMF file, a missing file, a name without a format and an empty
        glob are reported by name; the good files complete; exit status 1."""
        bad = os.path.join(self.dir, "bad.sigmf-meta")
        with open(bad, "w") as f:
            f.write('{"global": {"core:datatype": "cf32_le"')  # cut short
        with open(bad[:-4] + "data", "wb") as f:
            f.write(bytes(800))
        noext = os.path.join(self.dir, "noext")
        with open(noext, "wb") as f:
            f.write(bytes(64))
        out = os.path.join(self.dir, "some.jsonl")
        res = cli("detect", self.rec, bad, os.path.join(self.dir, "missing.cu8"), noext,
                  os.path.join(self.dir, "*.nothing"), "--events", out, "--overwrite", "--jobs", "2",
                  "--chunk", "4M")
        self.assertEqual(res.returncode, 1, res.stderr)
        self.assertNotIn("Traceback", res.stderr)
        for name in (bad, "missing.cu8", noext, "*.nothing"):
            self.assertIn(name, res.stderr)
        self.assertIn("4 of 5 inputs failed", res.stderr)
        got = events_of(out)
        self.assertEqual([{k: v for k, v in e.items() if k != "file"} for e in got],
                         self.whole(self.rec, DetectOptions()))

    def test_006_worker_killed_mid_task(self):
        """kill -9 of a worker while it runs a range: Dask runs the range again; the
        events are the one run's, none twice, none missing."""
        opts = DetectOptions(rate=1e6, lowpass=100e3)
        ref = self.whole(self.rec, opts)
        from distributed import Client
        client = Client(batch.local_cluster(2))  # a cluster of its own: one worker dies
        try:
            pids = set(client.run(os.getpid).values())
            started = threading.Event()
            out = {}

            def progress(done, total):
                if done > 0:
                    started.set()

            def run():
                out["rep"] = batch.detect(self.rec, opts, ranges=6, client=client, progress=progress)
            t = threading.Thread(target=run, daemon=True)
            t.start()
            self.assertTrue(started.wait(120), "no range started")
            victim = sorted(pids)[0]
            os.kill(victim, signal.SIGKILL)
            t.join(240)
            self.assertFalse(t.is_alive(), "the batch did not finish after the kill")
            rep = out["rep"]
            self.assertEqual(rep["failed"], [])
            self.assertEqual(rep["event_list"], ref)
            self.assertNotIn(victim, set(client.run(os.getpid).values()))
        finally:
            cluster = client.cluster
            client.close()
            if cluster is not None:
                cluster.close()

    def test_007_progress_report_and_wisdom(self):
        """progress() rises to the total; the report has per-file and total figures and
        the halo; tasks plan no FFT the client's wisdom did not hold."""
        seen = []
        opts = DetectOptions(rate=1e6, lowpass=100e3, decimation=4)
        rep = batch.detect(self.rec, opts, ranges=4, client=self.client,
                           progress=lambda d, t: seen.append((d, t)))
        self.assertTrue(seen)
        self.assertEqual(seen[-1][0], seen[-1][1])
        self.assertEqual(seen[-1][1], os.path.getsize(self.rec))
        self.assertEqual([d for d, _ in seen], sorted(d for d, _ in seen))
        f = rep["files"][0]
        self.assertEqual((f["samples"], f["ranges"], f["complete"]), (1_500_000, 4, True))
        self.assertGreater(f["halo_percent"], 0)
        self.assertEqual(rep["bytes"], os.path.getsize(self.rec))
        self.assertFalse(any(rep["planned"]), "a task planned an FFT itself")
        # the workers' range processes are kept: 8 ranges ran in at most one per worker
        rep = batch.detect(self.rec, opts, ranges=8, client=self.client)
        self.assertEqual(rep["tasks"], 8)
        self.assertIn(rep["range_processes"], (1, 2))
        # and the same ones serve the next batch of another client process, whose
        # FFTW wisdom holds the same entries in another order (FFTW's hash order):
        # entries_reversed stands for it
        real = batch.fftw_wisdom

        def entries_reversed():
            return "\n".join(reversed(real().split("\n")))
        batch.fftw_wisdom = entries_reversed
        try:
            again = batch.detect(self.rec, opts, ranges=8, client=self.client)
        finally:
            batch.fftw_wisdom = real
        self.assertEqual(again["range_process_ids"], rep["range_process_ids"])
        self.assertFalse(any(again["planned"]))
        # nothing writes or keeps the events: the ranges send their count alone, and
        # it is the one run's
        counted = batch.detect(self.rec, opts, ranges=8, client=self.client, keep_events=False)
        self.assertNotIn("event_list", counted)
        self.assertEqual(counted["events"], len(rep["event_list"]))
        self.assertEqual(counted["events"], detect_file(self.rec, opts)["events"])
        # one range that is the whole file: no events file, the detector's count
        whole = batch.detect(self.rec, opts, ranges=1, client=self.client, keep_events=False)
        self.assertEqual((whole["tasks"], whole["events"]), (1, counted["events"]))

    def test_009_extract_ranges(self):
        """extract over ranges: the one run's burst files (names, samples), index lines
        and SigMF metadata (values), with padding around the events and a filter; several
        files get their own names."""
        cases = (("cf32", DetectOptions(), "300", "2000", 3),
                 ("sigmf", DetectOptions(rate=1e6, lowpass=100e3, decimation=4), "1ms", "0.5ms", 7))
        for fmt, opts, pre, post, ranges in cases:
            one, many = (os.path.join(self.dir, "%s_%s" % (n, fmt)) for n in ("one", "many"))
            for d in (one, many):
                shutil.rmtree(d, ignore_errors=True)
                os.makedirs(d)
            streamproc.extract_file(self.rec, one, opts, fmt=fmt, pre=pre, post=post)
            ref = events_of(os.path.join(one, "index.jsonl"))
            cuts = [(e["start"] + e["end"]) // 2 for e in ref[1::3]]
            for r in (ranges, cuts):
                rep = batch.extract(self.rec, many, opts, fmt=fmt, pre=pre, post=post, ranges=r,
                                    client=self.client, overwrite=True)
                self.assertEqual(rep["failed"], [])
                self.assertEqual(rep["bursts"], len(ref))
                self.assertEqual(events_of(os.path.join(many, "index.jsonl")), ref, (fmt, r))
                self.assertEqual(sorted(os.listdir(one)), sorted(os.listdir(many)))
                for name in os.listdir(one):
                    self.assert_same_file(os.path.join(one, name), os.path.join(many, name))
        # several files through the CLI: each file's bursts under its own name
        other = os.path.join(self.dir, "second.cf32")
        shutil.copy(self.rec, other)
        out = os.path.join(self.dir, "two_files")
        os.makedirs(out, exist_ok=True)
        res = cli("extract", self.rec, other, "--out", out, "--jobs", "2", "--pre", "300", "--post", "2000")
        self.assertEqual(res.returncode, 0, res.stderr)
        one = os.path.join(self.dir, "one_cf32")
        names = sorted(os.listdir(one))
        got = sorted(os.listdir(out))
        for stem in ("bursts", "second"):
            mine = [n.replace("burst_%s_" % stem, "burst_") for n in got if n.startswith("burst_%s_" % stem)]
            self.assertEqual(mine, [n for n in names if n != "index.jsonl"])
        res = cli("extract", self.rec, other, "--out", out, "--jobs", "2")
        self.assertEqual(res.returncode, 2)
        self.assertIn("index.jsonl exists", res.stderr)

    def test_010_zmq_split_chain(self):
        """examples/zmq_split_sender.grc and zmq_split_detector.grc (grcc) as two
        processes over 127.0.0.1, the sender starting inside the file: the events of one
        process over the same samples at the same absolute positions, on the events file
        and on the PUB socket."""
        import pmt
        import socket
        import zmq
        env = dict(os.environ)
        paths = [p for p in env.get("GRC_BLOCKS_PATH", "").split(":") if p]
        env["GRC_BLOCKS_PATH"] = ":".join([os.path.join(SRC, "grc")] + paths)
        for name in ("zmq_split_sender", "zmq_split_detector"):
            res = subprocess.run(["grcc", "-o", self.dir, os.path.join(SRC, "examples", name + ".grc")],
                                 capture_output=True, text=True, env=env, timeout=300)
            self.assertEqual(res.returncode, 0, res.stdout[-2000:] + res.stderr[-2000:])
        ports = []
        for _ in range(2):
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                ports.append(s.getsockname()[1])
        D, K = 4, 200_000
        n = (1_500_000 - K) // D * D
        seg = os.path.join(self.dir, "segment.cf32")
        with open(self.rec, "rb") as f:
            f.seek(K * 8)
            with open(seg, "wb") as g:
                g.write(f.read(n * 8))
        opts = DetectOptions(rate=1e6, lowpass=100e3, decimation=D)
        ref = [shift(e, K, D, 1e6) for e in self.whole(seg, opts)]
        self.assertGreater(len(ref), 20)
        out = os.path.join(self.dir, "split.jsonl")
        ctx = zmq.Context()
        sub = ctx.socket(zmq.SUB)
        sub.setsockopt(zmq.SUBSCRIBE, b"")
        det = subprocess.Popen([PY, os.path.join(self.dir, "zmq_split_detector.py"), "--address",
                                "tcp://127.0.0.1:%d" % ports[0], "--pub", "tcp://127.0.0.1:%d" % ports[1],
                                "--events", out], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        try:
            # PUB drops what no subscriber has asked for yet: connect first (bounded)
            monitor = sub.get_monitor_socket(zmq.EVENT_CONNECTED)
            sub.connect("tcp://127.0.0.1:%d" % ports[1])
            self.assertTrue(monitor.poll(30000), "the receiver's PUB socket did not come up")
            sub.disable_monitor()
            monitor.close(0)
            snd = subprocess.run([PY, os.path.join(self.dir, "zmq_split_sender.py"), "--infile", self.rec,
                                  "--offset", str(K), "--length", str(n), "--address",
                                  "tcp://127.0.0.1:%d" % ports[0]], capture_output=True, text=True, env=env,
                                 timeout=120)
            self.assertEqual(snd.returncode, 0, snd.stderr[-2000:])
            wait_until(lambda: os.path.exists(out) and len(events_of(out)) >= len(ref), 60,
                       "the receiver's events (%d expected)" % len(ref))
            published = []
            while sub.poll(2000):
                published.append(pmt.to_python(pmt.deserialize_str(sub.recv())))
                if len(published) == len(ref):
                    break
        finally:
            det.send_signal(signal.SIGINT)
            try:
                det.wait(30)
            except subprocess.TimeoutExpired:
                det.kill()
                det.wait(10)
            sub.close(0)
            ctx.term()
        got = events_of(out)
        self.assertEqual(len(got), len(ref))
        for g, r in zip(got, ref):
            self.assertEqual(g, r)
        self.assertEqual(len(published), len(ref))
        self.assertEqual([(e["start"], e["end"]) for e in published], [(e["start"], e["end"]) for e in ref])

    def test_011_range_size_from_the_batch(self):
        """Without --chunk: the batch's bytes over the workers, at least MIN_CHUNK, at
        most MAX_CHUNK with as many ranges for every worker."""
        from gnuradio.streamproc.runners.batch.ranges import MAX_CHUNK, MIN_CHUNK, auto_chunk
        G = 1 << 30
        self.assertEqual(auto_chunk(2 * G, 1), 2 * G)  # one worker: the file in one range
        self.assertEqual(auto_chunk(2 * G, 2), G)
        self.assertEqual(auto_chunk(10 << 20, 2), MIN_CHUNK)
        self.assertEqual(auto_chunk(0, 4), MIN_CHUNK)
        c = auto_chunk(20 * G, 2)  # 10 GiB a worker: 3 ranges each of 3.33 GiB
        self.assertLessEqual(c, MAX_CHUNK)
        self.assertEqual(-(-20 * G // c), 6)
        for total, workers in ((20 * G, 3), (7 * G + 5, 1), (100 * G, 32)):
            c = auto_chunk(total, workers)
            self.assertLessEqual(c, MAX_CHUNK)
            self.assertEqual(-(-total // c) % workers, 0, (total, workers))
        # the plan: one file over two workers, each a range; the CLI's --jobs alone
        tasks, _ = batch.plan([self.rec], DetectOptions(), workers=2)
        self.assertEqual(len(tasks), 1)  # 12 MB < MIN_CHUNK
        tasks, _ = batch.plan([self.rec], DetectOptions(), chunk=4 << 20, workers=2)
        self.assertEqual(len(tasks), 3)

    def test_012_events_stream_in_order(self):
        """EventStream against the rule written out: ranges come in any order; a range's
        events are written once every earlier one is in (ids counted per file, sorted by
        start), a file one of whose ranges failed has none (what was written of it is
        cut off), the client holds only the events of ranges waiting for an earlier one."""
        from gnuradio.streamproc.runners.batch.merge import EventStream
        files = ["a.cf32", "b.cf32", "c.cf32"]
        tasks = [{"task": k, "file": f} for k, f in enumerate([0, 0, 0, 1, 1, 2])]

        def ev(start):  # a range's line: the id is counted again
            return '{"id": 99, "start": %d, "end": %d, "time": 0.5}' % (start, start + 5)
        events = {0: [ev(10), ev(30)], 1: [ev(120)], 2: [ev(250), ev(260)], 3: [ev(7)],
                  4: {"error": "the range's process ended with status 9"}, 5: [ev(1), ev(2), ev(3)]}
        out = os.path.join(self.dir, "stream.jsonl")
        st = EventStream(files, tasks, out, "jsonl", keep=False)
        lines = []
        for k in (2, 5, 0, 3, 1, 4):  # out of order; file b's second range fails last
            res = dict(events[k]) if isinstance(events[k], dict) else {"lines": list(events[k])}
            res["task"] = k
            st.add(res)
            self.assertNotIn("lines", res)  # its events left the result
            if k == 0:  # range 0 in: written; 2 and 5 still wait (5 events)
                self.assertEqual(st.held, 5)
                st.writer.f.flush()
                lines = events_of(st.writer.tmp)
                self.assertEqual([(e["file"], e["id"], e["start"]) for e in lines],
                                 [("a.cf32", 0, 10), ("a.cf32", 1, 30)])
        st.finish()
        self.assertEqual(st.peak_held, 6)  # after range 3: 2, 3 and 5 wait for 1
        self.assertEqual(st.close(), out)
        with open(out) as f:
            self.assertEqual(f.readline(), '{"file": "a.cf32", "id": 0, "start": 10, "end": 15, "time": 0.5}\n')
        got = [(e["file"], e["id"], e["start"]) for e in events_of(out)]
        self.assertEqual(got, [("a.cf32", 0, 10), ("a.cf32", 1, 30), ("a.cf32", 2, 120), ("a.cf32", 3, 250),
                               ("a.cf32", 4, 260), ("c.cf32", 0, 1), ("c.cf32", 1, 2), ("c.cf32", 2, 3)])
        self.assertEqual(st.failed, {1: "the range's process ended with status 9"})
        self.assertFalse(st.kept)  # keep=False: nothing kept
        # the whole batch: keep_events=False writes the one run's events file, holds no list
        one = os.path.join(self.dir, "one012.jsonl")
        opts = DetectOptions(rate=1e6, lowpass=100e3, decimation=4)
        detect_file(self.rec, opts, events=one, overwrite=True)
        many = os.path.join(self.dir, "many012.jsonl")
        rep = batch.detect(self.rec, opts, events=many, overwrite=True, ranges=6, client=self.client,
                           keep_events=False)
        self.assertNotIn("event_list", rep)
        self.assert_same_file(one, many)
        self.assertGreater(rep["events"], 20)
        self.assertLessEqual(rep["events_held_peak"], rep["events"])

    def test_013_shift_line_is_shift(self):
        """A range's event lines moved as text are the lines of the events moved by
        shift() and printed by the sink's rules (event_line), for every event of a run
        with decimation, at several read starts."""
        from gnuradio.streamproc.core.events import event_line
        from gnuradio.streamproc.runners.batch.ranges import line_span, shift_line
        out = os.path.join(self.dir, "lines013.jsonl")
        opts = DetectOptions(rate=1e6, lowpass=100e3, decimation=4)
        detect_file(self.rec, opts, events=out, overwrite=True)
        with open(out) as f:
            lines = f.read().splitlines()
        self.assertGreater(len(lines), 20)
        for first in (0, 4096, 123456 * 4, 10 ** 9 * 4):
            for line in lines:
                e = json.loads(line)
                self.assertEqual(line_span(line), (e["start"], e["end"], e["truncated"]))
                self.assertEqual(shift_line(line, first, 4, 1e6), event_line(shift(e, first, 4, 1e6)), first)

    def test_008_two_hosts(self):
        """A scheduler and a worker in two network namespaces (veth, 192.0.2.1/.2), the
        CLI with --scheduler: the same events as one run."""
        tag = "sp%d" % os.getpid()
        a, b = tag + "a", tag + "b"

        def ip(*args):
            return subprocess.run(["ip"] + list(args), capture_output=True, text=True, timeout=30)
        if ip("netns", "add", a).returncode != 0:
            self.skipTest("cannot make network namespaces here (needs root and ip netns)")
        procs = []
        try:
            veth = ("link", "add", tag + "0", "netns", a, "type", "veth", "peer", "name", tag + "1", "netns", b)
            for cmd in (("netns", "add", b), veth,
                        ("-n", a, "addr", "add", "192.0.2.1/24", "dev", tag + "0"),
                        ("-n", b, "addr", "add", "192.0.2.2/24", "dev", tag + "1"),
                        ("-n", a, "link", "set", tag + "0", "up"), ("-n", b, "link", "set", tag + "1", "up"),
                        ("-n", a, "link", "set", "lo", "up"), ("-n", b, "link", "set", "lo", "up")):
                r = ip(*cmd)
                self.assertEqual(r.returncode, 0, "ip %s: %s" % (" ".join(cmd), r.stderr))
            log = open(os.path.join(self.dir, "dask.log"), "w")
            procs.append(subprocess.Popen(["ip", "netns", "exec", a, PY, "-m", "distributed.cli.dask_scheduler",
                                           "--host", "192.0.2.1", "--port", "8786", "--no-dashboard"],
                                          stdout=log, stderr=log))
            procs.append(subprocess.Popen(["ip", "netns", "exec", b, PY, "-m", "distributed.cli.dask_worker",
                                           "tcp://192.0.2.1:8786", "--host", "192.0.2.2", "--nworkers", "1",
                                           "--nthreads", "1", "--no-dashboard", "--memory-limit", "0"],
                                          stdout=log, stderr=log))
            out = os.path.join(self.dir, "remote.jsonl")
            wait_until(lambda: "Starting established connection" in open(log.name).read()
                       or "Registered to" in open(log.name).read(), 60, "the worker to join the scheduler")
            res = subprocess.run(["ip", "netns", "exec", a, PY, "-m", "gnuradio.streamproc.cli", "detect", self.rec,
                                  "--scheduler", "tcp://192.0.2.1:8786", "--chunk", "3M", "--events", out,
                                  "--overwrite", "--json"], capture_output=True, text=True, timeout=300)
            self.assertEqual(res.returncode, 0, res.stderr)
            rep = json.loads(res.stdout)
            workers = list(rep["peak_rss_mb_per_worker"])
            self.assertEqual(len(workers), 1)
            self.assertTrue(workers[0].startswith("tcp://192.0.2.2:"), workers)  # the other host ran it
            self.assertEqual(events_of(out), self.whole(self.rec, DetectOptions()))
        finally:
            stop_processes(procs)
            ip("netns", "del", a)
            ip("netns", "del", b)

    def test_014_files_on_the_workers_disks(self):
        """--local-files: two workers on two hosts (127.0.0.2 and .3), each seeing its own
        disk (a tmpfs in a mount namespace of its own) under the same directory, which the
        client sees empty. Each file's ranges run on the host that has it, a file on both
        (the same samples) on either, one whose copies differ is an error naming both
        hosts; the events are the one run's over the test's own copies. Then a task pinned
        to a host without workers fails after the grace instead of waiting forever."""
        if subprocess.run(["unshare", "-m", "true"], capture_output=True).returncode != 0:
            self.skipTest("cannot make mount namespaces here (needs root and unshare)")
        top = tempfile.mkdtemp(prefix="local_", dir=self.dir)
        disk, own = os.path.join(top, "disk"), os.path.join(top, "own")
        os.makedirs(disk)
        os.makedirs(own)
        for name, seed, n in (("x", 3, 600_000), ("y", 4, 500_000), ("z", 5, 700_000), ("w2", 6, 400_000),
                              ("w3", 6, 450_000)):
            write_bursts(os.path.join(own, name + ".cf32"), n, seed)
        disks = {"127.0.0.2": ("x", "y", "w2"), "127.0.0.3": ("z", "y", "w3")}
        sched = os.path.join(top, "scheduler.json")
        log = open(os.path.join(top, "dask.log"), "w")
        procs = [subprocess.Popen([PY, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", "0",
                                   "--no-dashboard", "--scheduler-file", sched], stdout=log, stderr=log)]
        client = None
        try:
            wait_until(lambda: os.path.exists(sched), 60, "the scheduler's file")
            for host, names in disks.items():
                copies = " ".join("cp %s/%s.cf32 %s/%s.cf32 &&" % (own, n, disk, n[0]) for n in names)
                procs.append(subprocess.Popen(
                    ["unshare", "-m", "--propagation", "private", "sh", "-c",
                     "mount -t tmpfs tmpfs %s && %s exec %s -m distributed.cli.dask_worker --scheduler-file %s "
                     "--host %s --nthreads 1 --no-dashboard --memory-limit 0" % (disk, copies, PY, sched, host)],
                    stdout=log, stderr=log))
            from distributed import Client
            client = Client(scheduler_file=sched, timeout=60)
            client.wait_for_workers(2, timeout=60)
            self.assertEqual(os.listdir(disk), [])  # the client sees neither disk
            opts = DetectOptions(rate=1e6, lowpass=100e3)
            rep = batch.detect([disk], opts, ranges=3, client=client, local_files=True)
            files = {os.path.basename(f["file"]): f for f in rep["files"]}
            self.assertEqual(sorted(files), ["x.cf32", "y.cf32", "z.cf32"])
            self.assertEqual(len(rep["failed"]), 1, rep["failed"])
            bad = rep["failed"][0]
            self.assertEqual(os.path.basename(bad["file"]), "w.cf32")
            self.assertIn("different recordings", bad["error"])
            self.assertIn("127.0.0.2", bad["error"])
            self.assertIn("127.0.0.3", bad["error"])
            for name, host in (("x", "127.0.0.2"), ("z", "127.0.0.3")):
                f = files[name + ".cf32"]
                self.assertEqual(f["hosts"], [host])
                self.assertEqual(f["ranges"], 3)
                self.assertTrue(all(w.startswith("tcp://%s:" % host) for w in f["workers"]), f["workers"])
            self.assertEqual(files["y.cf32"]["hosts"], sorted(disks))
            for name in ("x", "y", "z"):
                ref = self.whole(os.path.join(own, name + ".cf32"), opts)
                got = [dict(e) for e in rep["event_list"] if os.path.basename(e["file"]) == name + ".cf32"]
                for e in got:
                    self.assertEqual(e.pop("file"), os.path.join(disk, name + ".cf32"))
                self.assertEqual(got, ref, name)
            # the command line: the same events file as the one runs', w.cf32 named on stderr
            out = os.path.join(top, "ev.jsonl")
            res = cli("detect", disk, "--scheduler", client.scheduler.address, "--local-files", "--rate", "1M",
                      "--lowpass", "100k", "--chunk", "1M", "--events", out, "--json")
            self.assertEqual(res.returncode, 1, res.stderr)
            self.assertIn("w.cf32: different recordings under one path", res.stderr)
            with open(out) as f:
                lines = [json.loads(line) for line in f]
            self.assertEqual([e for e in lines if e["file"].endswith("z.cf32")],
                             [dict(e, file=os.path.join(disk, "z.cf32")) for e in
                              self.whole(os.path.join(own, "z.cf32"), opts)])
            # a file that no worker has
            with self.assertRaisesRegex(streamproc.UsageError, "on no worker's disk"):
                batch.detect([os.path.join(disk, "nowhere.cf32")], opts, client=client, local_files=True)
            # a task pinned to a host without workers: an error after the grace
            tasks, _ = batch.plan([os.path.join(own, "x.cf32")], opts)
            tasks[0]["hosts"] = ["127.0.0.9"]
            got = []
            results, _ = batch.run_tasks(tasks[:1], client, None, 0, got.append, host_grace=1.0)
            self.assertIn("no worker is left on 127.0.0.9", results[0]["error"])
            self.assertEqual(got, [results[0]])
        finally:
            if client is not None:
                client.close()
            stop_processes(procs[::-1])
            log.close()


if __name__ == "__main__":
    gr_unittest.run(qa_batch)
