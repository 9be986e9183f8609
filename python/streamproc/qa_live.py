#!/usr/bin/python3
#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""Live inputs, loopback only (127.0.0.1): a fake rtl_tcp server (fake_rtl_tcp.py,
Python standard library) replays a real RTL-SDR capture, paced, to GNU Radio's packaged
rtl_tcp client (gr-osmosdr) behind `streamproc detect --rtl-tcp`; the events found live
are those of an offline run over the same bytes. Also: the commands the client sends,
SIGINT mid-run, the GRC example, standard input, a file followed while it is written."""

import calendar
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

import numpy as np
from gnuradio import gr_unittest

from gnuradio.streamproc import DetectOptions, detect_file
from qa_helpers import wait_until

PY = "/usr/bin/python3"
SRC = os.environ.get("STREAMPROC_SOURCE_DIR",
                     os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
REAL = os.path.join(SRC, "..", "shared", "data", "real-captures")
CAPTURE = os.path.join(REAL, "rtl433_sensible_living_g001_433.92M_250k.cu8")
SERVER = os.path.join(SRC, "python", "streamproc", "tools", "fake_rtl_tcp.py")
KEYS = ("start", "end", "duration", "peak_index", "peak_power", "mean_power", "energy", "noise_floor", "snr_db",
        "truncated", "merged")


def cli(*args, timeout=120, **kw):
    return subprocess.run([PY, "-m", "gnuradio.streamproc.cli"] + [str(a) for a in args], capture_output=True,
                          text=True, timeout=timeout, **kw)


def events_of(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


def events_so_far(path):
    """While the run writes the file: the events of its complete lines (the last one may
    be half written at the moment it is read)."""
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.endswith("\n")]


def same(e):
    return {k: e[k] for k in KEYS if k in e}


class fake_server:
    """The fake rtl_tcp server as a process of its own (a Python thread would wait on
    the GIL that gr-osmosdr's constructor holds while it reads the dongle header)."""

    def __init__(self, capture, log, loops=0, pace=0.0):
        self.proc = subprocess.Popen([PY, SERVER, capture, "--log", log, "--loops", str(loops), "--pace",
                                      str(pace)], stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        assert line.startswith("listening "), line
        self.port = int(line.split()[1])
        self.log = log

    def records(self):
        return events_of(self.log) if os.path.exists(self.log) else []

    def close(self):
        # after the client has stopped: gr-osmosdr's client spins when its server leaves first
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


class qa_live(gr_unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        if not os.path.exists(CAPTURE):
            raise unittest_skip("no real captures at %s" % REAL)
        cls.dir = tempfile.mkdtemp(prefix="qa_live_")
        with open(CAPTURE, "rb") as f:
            cls.capture = f.read()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def offline(self, raw, options, name):
        """The reference: the same bytes converted as gr-osmosdr's rtl_tcp client does
        ((b - 127.4) / 128, checked in test_001), one offline run."""
        b = np.frombuffer(raw, np.uint8).astype(np.float32)
        x = ((b - np.float32(127.4)) / np.float32(128)).astype(np.float32)
        path = os.path.join(self.dir, name + ".cf32")
        x.tofile(path)
        out = os.path.join(self.dir, name + ".jsonl")
        detect_file(path, options, events=out, overwrite=True)
        return events_of(out)

    def test_001_commands_and_conversion(self):
        """The client's commands reach the server (rate, frequency, gain in tenths of dB,
        ppm); its samples are (b - 127.4) / 128 of the bytes sent, in order."""
        allbytes = os.path.join(self.dir, "all.cu8")
        with open(allbytes, "wb") as f:
            f.write(bytes(range(256)) * 2 * 64)
        log = os.path.join(self.dir, "cmds1.jsonl")
        srv = fake_server(allbytes, log)
        try:
            import osmosdr
            from gnuradio import blocks, gr
            tb = gr.top_block()
            src = osmosdr.source("rtl_tcp=127.0.0.1:%d" % srv.port)
            src.set_sample_rate(250e3)
            src.set_center_freq(433.92e6)
            src.set_freq_corr(7)
            src.set_gain_mode(False)
            src.set_gain(20)
            snk = blocks.vector_sink_c()
            tb.connect(src, blocks.head(8, 32768), snk)
            tb.start()
            try:
                wait_until(lambda: len(snk.data()) >= 32768, 30, "32768 samples from the client")
            finally:
                tb.stop()
                tb.wait()
        finally:
            srv.close()
        cmds = {r["name"]: r["param"] for r in srv.records() if "name" in r}
        self.assertEqual((cmds["sample_rate"], cmds["freq"], cmds["freq_correction"]), (250000, 433920000, 7))
        self.assertEqual(cmds["gain_mode"], 1)  # manual
        self.assertEqual(cmds["gain"], 197)  # 20 dB -> the nearest R820T step, 19.7 dB
        got = np.array(snk.data(), dtype=np.complex64)
        b = np.frombuffer((bytes(range(256)) * 256)[:2 * len(got)], np.uint8).astype(np.float32)
        ref = ((b - np.float32(127.4)) / np.float32(128)).astype(np.float32)
        np.testing.assert_array_equal(got.view(np.float32), ref)

    def test_002_rtl_tcp_events_equal_offline(self):
        """`streamproc detect --rtl-tcp` for 3 s at 250 kS/s: the events of an offline run
        over the bytes it received (all but the last, cut by the stop), with UTC times;
        the report names no overrun."""
        log = os.path.join(self.dir, "cmds2.jsonl")
        srv = fake_server(CAPTURE, log)
        out = os.path.join(self.dir, "live2.jsonl")
        try:
            t0 = time.time()
            res = cli("detect", "--rtl-tcp", "127.0.0.1:%d" % srv.port, "--rate", "250k", "--freq", "433.92M",
                      "--gain", "20", "--duration", "3", "--events", out, "--json")
        finally:
            srv.close()
        self.assertEqual(res.returncode, 0, res.stderr[-2000:])
        rep = json.loads(res.stdout)
        self.assertEqual(rep["stopped_by"], "--duration")
        n = rep["samples"]
        self.assertGreater(n, 600_000)
        self.assertLess(rep["behind_max_samples"], 250e3 * 0.25)
        raw = (self.capture * (2 * n // len(self.capture) + 1))[:2 * n]
        ref = self.offline(raw, DetectOptions(rate=250e3), "ref2")
        live = events_of(out)
        self.assertEqual(len(live), rep["events"])
        done = [e for e in ref if e["end"] < n - 10_000]
        self.assertGreater(len(done), 100)
        self.assertEqual([same(e) for e in live[:len(done)]], [same(e) for e in done])
        # wall-clock times: the host clock at the first sample + start / rate, in UTC
        first = live[0]
        self.assertAlmostEqual(first["time"] - first["start"] / 250e3, t0, delta=3.0)
        for e in live[:5]:
            self.assertTrue(e["utc"].endswith("Z"))
            t = calendar.timegm(time.strptime(e["utc"][:19], "%Y-%m-%dT%H:%M:%S"))
            self.assertAlmostEqual(t + float("0." + e["utc"][20:26]), e["time"], delta=1e-5)

    def test_003_sigint_leaves_a_complete_events_file(self):
        """SIGINT (and SIGTERM) mid-run: exit status 0, the report printed, every event found
        in the events file (whole lines)."""
        for sig in (signal.SIGINT, signal.SIGTERM):
            log = os.path.join(self.dir, "cmds3.jsonl")
            srv = fake_server(CAPTURE, log)
            out = os.path.join(self.dir, "live3_%d.jsonl" % sig)
            proc = subprocess.Popen([PY, "-m", "gnuradio.streamproc.cli", "detect", "--rtl-tcp",
                                     "127.0.0.1:%d" % srv.port, "--rate", "250k", "--freq", "433.92M", "--events",
                                     out, "--overwrite", "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    text=True)
            try:
                wait_until(lambda: len(events_so_far(out)) >= 20, 60, "the first events")
                proc.send_signal(sig)
                stdout, stderr = proc.communicate(timeout=60)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait(10)
                srv.close()
            self.assertEqual(proc.returncode, 0, stderr[-2000:])
            rep = json.loads(stdout)
            self.assertEqual(rep["stopped_by"], signal.Signals(sig).name)
            with open(out) as f:
                text = f.read()
            self.assertTrue(text.endswith("\n"))
            self.assertEqual(len(text.splitlines()), rep["events"])
            self.assertNotIn("Traceback", stderr)

    def test_004_grc_example_runs(self):
        """examples/rtl_tcp_detect_events.grc (grcc, QT offscreen) against the fake server
        for a few seconds: it writes events."""
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
        paths = [p for p in env.get("GRC_BLOCKS_PATH", "").split(":") if p]
        env["GRC_BLOCKS_PATH"] = ":".join([os.path.join(SRC, "grc")] + paths)
        res = subprocess.run(["grcc", "-o", self.dir, os.path.join(SRC, "examples", "rtl_tcp_detect_events.grc")],
                             capture_output=True, text=True, env=env, timeout=300)
        self.assertEqual(res.returncode, 0, res.stdout[-2000:] + res.stderr[-2000:])
        log = os.path.join(self.dir, "cmds4.jsonl")
        srv = fake_server(CAPTURE, log)
        out = os.path.join(self.dir, "grc4.jsonl")
        proc = subprocess.Popen([PY, os.path.join(self.dir, "rtl_tcp_detect_events.py"), "--server",
                                 "127.0.0.1:%d" % srv.port, "--events", out], stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True, env=env)
        try:
            wait_until(lambda: len(events_so_far(out)) >= 10, 60, "events from the example")
        finally:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
            srv.close()
        cmds = {r["name"]: r["param"] for r in srv.records() if "name" in r}
        self.assertEqual((cmds["sample_rate"], cmds["freq"]), (250000, 433920000))
        ev = events_of(out)
        self.assertGreaterEqual(len(ev), 10)
        self.assertIn("utc", ev[0])

    def test_005_standard_input_equals_the_file(self):
        """cat capture.cu8 | streamproc detect - --type cu8: the file's events (positions,
        values; the times are the host clock's)."""
        out = os.path.join(self.dir, "stdin5.jsonl")
        with open(CAPTURE, "rb") as f:
            res = cli("detect", "-", "--type", "cu8", "--rate", "250e3", "--events", out, stdin=f)
        self.assertEqual(res.returncode, 0, res.stderr[-2000:])
        ref_out = os.path.join(self.dir, "file5.jsonl")
        detect_file(CAPTURE, DetectOptions(rate=250e3), events=ref_out, overwrite=True)
        ref = events_of(ref_out)
        self.assertGreater(len(ref), 30)
        self.assertEqual([same(e) for e in events_of(out)], [same(e) for e in ref])
        res = cli("detect", "-", "--rate", "250e3", stdin=subprocess.DEVNULL)
        self.assertEqual(res.returncode, 2)
        self.assertIn("standard input is a stream: give --type", res.stderr)

    def test_006_follow_a_file_being_written(self):
        """A writer appends the capture (4 times) at 250 kS/s in 50 ms pieces while
        `detect --follow --follow-timeout 2` reads: the offline run's events."""
        path = os.path.join(self.dir, "growing.cu8")
        data = self.capture * 4
        open(path, "wb").close()
        out = os.path.join(self.dir, "follow6.jsonl")
        proc = subprocess.Popen([PY, "-m", "gnuradio.streamproc.cli", "detect", path, "--follow",
                                 "--follow-timeout", "2", "--rate", "250e3", "--events", out, "--json"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            step = 2 * 12500  # 50 ms of samples
            t0 = time.monotonic()
            with open(path, "ab") as f:
                for k in range(0, len(data), step):
                    f.write(data[k:k + step])
                    f.flush()
                    delay = t0 + (k + step) / 2 / 250e3 - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)  # the writer's pace is the point here
            stdout, stderr = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
        self.assertEqual(proc.returncode, 0, stderr[-2000:])
        rep = json.loads(stdout)
        self.assertEqual(rep["samples"], len(data) // 2)
        ref_out = os.path.join(self.dir, "offline6.jsonl")
        detect_file(path, DetectOptions(rate=250e3), events=ref_out, overwrite=True)
        self.assertEqual([same(e) for e in events_of(out)], [same(e) for e in events_of(ref_out)])

    def test_006b_named_pipe(self):
        """A named pipe written by another process: the file's events."""
        fifo = os.path.join(self.dir, "samples.fifo")
        os.mkfifo(fifo)
        out = os.path.join(self.dir, "fifo.jsonl")
        writer = subprocess.Popen(["sh", "-c", 'cat "$0" > "$1"', CAPTURE, fifo])
        try:
            res = cli("detect", fifo, "--type", "cu8", "--rate", "250e3", "--events", out)
        finally:
            writer.wait(30)
        self.assertEqual(res.returncode, 0, res.stderr[-2000:])
        ref_out = os.path.join(self.dir, "file6b.jsonl")
        detect_file(CAPTURE, DetectOptions(rate=250e3), events=ref_out, overwrite=True)
        self.assertEqual([same(e) for e in events_of(out)], [same(e) for e in events_of(ref_out)])

    def test_006c_falling_behind_is_told(self):
        """A source that delivers half the commanded rate (the server paced at 125 kS/s for
        250 kS/s: what a receiver that drops half its samples looks like): the status
        lines count the samples behind real time and the report warns."""
        log = os.path.join(self.dir, "cmds6c.jsonl")
        srv = fake_server(CAPTURE, log, pace=125e3)
        try:
            res = cli("detect", "--rtl-tcp", "127.0.0.1:%d" % srv.port, "--rate", "250k", "--freq", "433.92M",
                      "--duration", "3", "--status-every", "1")
        finally:
            srv.close()
        self.assertEqual(res.returncode, 0, res.stderr[-2000:])
        status = [line for line in res.stderr.splitlines() if line.startswith("live ")]
        self.assertGreaterEqual(len(status), 2, res.stderr[-2000:])
        self.assertIn("behind real time", status[-1])
        self.assertIn("WARNING: the input fell behind real time", res.stdout)

    def test_007_errors(self):
        """Bad live arguments: one line naming the problem, exit status 2."""
        for args, text in ((("--rtl-tcp", "nohost", "--rate", "1M", "--freq", "1G"), "give HOST:PORT"),
                           (("--rtl-tcp", "127.0.0.1:1", "--rate", "1M", "--freq", "1G"), "cannot connect"),
                           (("--rtl-tcp", "127.0.0.1:1234", "--freq", "1G"), "needs --rate"),
                           (("--rtl-tcp", "127.0.0.1:1234", "--rate", "1M"), "needs --freq"),
                           (("--soapy", "driver=nosuchdevice", "--rate", "1M", "--freq", "1G"), "--soapy"),
                           (("x.cu8", "--rtl-tcp", "127.0.0.1:1234", "--rate", "1M", "--freq", "1G"), "give no file"),
                           (("--rtl-tcp", "127.0.0.1:1234", "--soapy", "rtlsdr"), "one of --rtl-tcp and --soapy"),
                           ((CAPTURE, "--follow", "--duration", "-1"), "--duration must be a positive")):
            res = cli("detect", *args)
            self.assertEqual(res.returncode, 2, (args, res.stderr[-1000:]))
            self.assertIn(text, res.stderr, args)
            self.assertNotIn("Traceback", res.stderr)

    def test_008_the_runner_without_a_command_line(self):
        """run_live(LiveOptions, DetectOptions) from Python: a followed file gives the file's
        events (positions, values); a plain file or bad options are a UsageError."""
        from gnuradio.streamproc import LiveOptions, UsageError, run_live
        out = os.path.join(self.dir, "api8.jsonl")
        rep = run_live(LiveOptions(input=CAPTURE, follow=True, follow_timeout=0.5), DetectOptions(rate=250e3),
                       events=out, overwrite=True)
        self.assertEqual((rep["stopped_by"], rep["error"]), ("end of input", ""))
        ref_out = os.path.join(self.dir, "file8.jsonl")
        detect_file(CAPTURE, DetectOptions(rate=250e3), events=ref_out, overwrite=True)
        self.assertEqual([same(e) for e in events_of(out)], [same(e) for e in events_of(ref_out)])
        for live, text in ((LiveOptions(input=CAPTURE), "is a file, not a live input"),
                           (LiveOptions(input=CAPTURE, follow=True, duration=0), "--duration must be a positive"),
                           (LiveOptions(rtl_tcp="127.0.0.1:1", soapy="rtlsdr"), "one of --rtl-tcp and --soapy")):
            with self.assertRaisesRegex(UsageError, text):
                run_live(live, DetectOptions(rate=250e3))


def unittest_skip(why):
    import unittest
    return unittest.SkipTest(why)


if __name__ == "__main__":
    gr_unittest.run(qa_live)
