#!/usr/bin/python3
#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""event_file_sink: lines parse back to the events; append, overwrite; a killed writer
keeps every line it wrote; bad paths and formats."""

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np
import pmt
from gnuradio import blocks, gr, gr_unittest

from gnuradio import streamproc
from qa_helpers import wait_until


def event(i):
    d = pmt.make_dict()
    for k, v in (("id", pmt.from_uint64(i)), ("start", pmt.from_uint64(1000 * i)),
                 ("end", pmt.from_uint64(1000 * i + 50)), ("duration", pmt.from_uint64(50)),
                 ("peak_power", pmt.from_double(3.5 + i)), ("snr_db", pmt.from_double(12.25)),
                 ("truncated", pmt.from_bool(i % 2 == 1)), ("time", pmt.from_double(i / 3.0))):
        d = pmt.dict_add(d, pmt.intern(k), v)
    return d


def post_all(sink, msgs, port="events", written=None):
    """Posts messages to the sink's `port` while its flowgraph runs (the strobe, whose
    100 ms period keeps tb.stop() quick, only keeps the sink in the graph; its nil
    messages are ignored by the sink) and waits until written() (default: the sink's
    lines_written()) counts them all."""
    written = written or sink.lines_written
    tb = gr.top_block()
    src = blocks.message_strobe(pmt.PMT_NIL, 100)
    tb.msg_connect(src, "strobe", sink, port)
    tb.start()
    for m in msgs:
        sink._post(pmt.intern(port), m)
    wait_until(lambda: written() >= len(msgs), 10, "%d %s written" % (len(msgs), port))
    tb.stop()
    tb.wait()


def kill_writer_when_grown(code, path, size, timeout=30):
    """Runs `code` (a writer posting events forever) in a process and kills it (SIGKILL)
    once `path` holds `size` bytes, or after `timeout` seconds."""
    proc = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.DEVNULL)
    deadline = time.time() + timeout
    while (not os.path.exists(path) or os.path.getsize(path) < size) and time.time() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()


class qa_event_file_sink(gr_unittest.TestCase):

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="qa_event_file_sink.")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def test_001_jsonl_round_trip_and_append(self):
        path = os.path.join(self.dir, "ev.jsonl")
        post_all(streamproc.event_file_sink(path), [event(i) for i in range(5)])
        post_all(streamproc.event_file_sink(path, "jsonl"), [event(i) for i in range(5, 8)])
        lines = open(path).read().splitlines()
        self.assertEqual(len(lines), 8)
        for i, line in enumerate(lines):
            obj = json.loads(line)
            self.assertEqual(obj["id"], i)
            self.assertEqual(obj["start"], 1000 * i)
            self.assertEqual(obj["peak_power"], 3.5 + i)
            self.assertEqual(obj["truncated"], i % 2 == 1)
            self.assertEqual(obj["time"], i / 3.0)  # full precision
            self.assertEqual(list(obj)[:3], ["id", "start", "end"])
        post_all(streamproc.event_file_sink(path, overwrite=True), [event(9)])
        self.assertEqual([json.loads(x)["id"] for x in open(path)], [9])

    def test_002_csv(self):
        path = os.path.join(self.dir, "ev.csv")
        post_all(streamproc.event_file_sink(path, "csv"), [event(i) for i in range(3)])
        post_all(streamproc.event_file_sink(path, "csv"), [event(3)])
        rows = list(csv.DictReader(open(path)))
        self.assertEqual(len(rows), 4)  # one header only
        self.assertEqual([int(r["id"]) for r in rows], [0, 1, 2, 3])
        self.assertEqual(float(rows[2]["peak_power"]), 5.5)
        self.assertEqual(rows[1]["truncated"], "true")
        self.assertEqual(rows[0]["freq"], "")

    def test_003_killed_writer_keeps_every_line(self):
        path = os.path.join(self.dir, "killed.jsonl")
        code = """
import sys, time, pmt
from gnuradio import gr, blocks, streamproc
sink = streamproc.event_file_sink(%r)
tb = gr.top_block(); st = blocks.message_strobe(pmt.PMT_NIL, 100)
tb.msg_connect(st, "strobe", sink, "events"); tb.start()
i = 0
while True:
    d = pmt.dict_add(pmt.make_dict(), pmt.intern("id"), pmt.from_uint64(i))
    sink._post(pmt.intern("events"), d)
    i += 1
    if i %% 50 == 0:
        time.sleep(0.001)
""" % path
        kill_writer_when_grown(code, path, 20000)
        data = open(path).read()
        self.assertTrue(data.endswith("\n"), "a line was cut")
        ids = [json.loads(x)["id"] for x in data.splitlines()]
        self.assertGreater(len(ids), 500)
        self.assertEqual(ids, list(range(len(ids))))

    def test_006_compact_events_write_the_same_files(self):
        """event_detector's compact messages give the same JSON lines, CSV rows and SigMF
        annotations as its dicts."""
        rng = np.random.default_rng(4)
        x = (rng.standard_normal(200_000) * 0.3).astype(np.float32)
        for k in range(40):
            x[2000 + k * 4800:2000 + k * 4800 + 700 + 37 * k] += 4.0
        tags = []
        t = gr.tag_t()
        t.offset, t.key, t.value = 50_000, pmt.intern("rx_freq"), pmt.from_double(915e6)
        tags.append(t)
        out = {}
        for fmt, ext in (("jsonl", "jsonl"), ("csv", "csv"), ("sigmf", "sigmf-meta")):
            for compact in (False, True):
                path = os.path.join(self.dir, "c%d.%s" % (compact, ext))
                tb = gr.top_block()
                src = blocks.vector_source_f(x.tolist(), False, 1, tags)
                det = streamproc.event_detector_f(window=16, sample_rate=1e5)
                det.set_index_map(2, 7)  # stream_start/stream_end too
                det.set_compact_messages(compact)
                sink = streamproc.event_file_sink(path, fmt, True)
                if fmt == "sigmf":
                    sink.set_sigmf_template(json.dumps({"global": {"core:datatype": "rf32_le",
                                                                   "core:sample_rate": 1e5}}))
                tb.connect(src, det)
                tb.msg_connect(det, "events", sink, "events")
                tb.run()
                with open(path) as f:
                    out[fmt, compact] = f.read()
            self.assertEqual(out[fmt, True], out[fmt, False], fmt)
        self.assertEqual(len(out["jsonl", True].splitlines()), 40)
        self.assertIn("stream_start", out["jsonl", True])
        self.assertEqual(json.loads(out["jsonl", True].splitlines()[-1])["freq"], 915e6)

    def test_007_numbers_and_strings_as_python_prints_them(self):
        """Every float and string the sinks write is the text Python's json module gives
        for the same value (the batch merge rewrites these files in Python, and a file
        called identical must be the same bytes on any machine): event lines, CSV rows,
        burst index lines and SigMF metadata, for doubles drawn from every exponent, the
        switch points of the notation (1e-05, 1e+16), integral floats, -0.0, and strings
        with quotes, control characters and non-ASCII text."""
        rng = np.random.default_rng(7)
        bits = rng.integers(0, 2**64, 6000, dtype=np.uint64)
        values = [float(v) for v in bits.view(np.float64) if np.isfinite(v)]
        values += [float(v) for v in rng.standard_normal(3000) * 10.0 ** rng.integers(-8, 20, 3000)]
        values += [0.0, -0.0, 1.0, 3420.0, 0.0001, 0.0005, 0.00012345, 1e-05, 9.999999999999999e-06,
                   1e+16, 9999999999999998.0, 1.2345678901234568e+17, 5e-324, 1.7976931348623157e+308,
                   2.0 ** 53, 0.1, 1 / 3, 250000.0, 433.92e6]
        texts = ["plain", 'q"uote', "back\\slash", "tab\tnl\ncr\r\x01\x1f\x7f", "\u00e9t\u00e9 \u65e5",
                 "\U0001f4e1"]
        per = 12
        events, want_json, want_csv = [], [], []
        for i in range(0, len(values), per):
            d = pmt.make_dict()
            ref = {}
            for k, v in enumerate(values[i:i + per]):
                d = pmt.dict_add(d, pmt.intern("v%02d" % k), pmt.from_double(v))
                ref["v%02d" % k] = v
            d = pmt.dict_add(d, pmt.intern("label"), pmt.intern(texts[(i // per) % len(texts)]))
            ref["label"] = texts[(i // per) % len(texts)]
            events.append(d)
            want_json.append(json.dumps(ref, ensure_ascii=False))
        path = os.path.join(self.dir, "numbers.jsonl")
        post_all(streamproc.event_file_sink(path), events)
        with open(path, encoding="utf-8") as f:
            got = f.read().splitlines()
        self.assertEqual(len(got), len(want_json))
        for g, w in zip(got, want_json):
            self.assertEqual(g, w)
        # CSV: the known columns, each value as repr() prints it
        rows = []
        for i, v in enumerate(values):
            d = pmt.make_dict()
            d = pmt.dict_add(d, pmt.intern("id"), pmt.from_uint64(i))
            d = pmt.dict_add(d, pmt.intern("peak_power"), pmt.from_double(v))
            rows.append(d)
            want_csv.append(repr(v))
        path = os.path.join(self.dir, "numbers.csv")
        post_all(streamproc.event_file_sink(path, "csv"), rows)
        with open(path) as f:
            r = list(csv.DictReader(f))
        self.assertEqual([row["peak_power"] for row in r], want_csv)
        # NaN and infinities: null (JSON has none)
        d = pmt.make_dict()
        for k, v in (("a", float("nan")), ("b", float("inf")), ("c", -float("inf"))):
            d = pmt.dict_add(d, pmt.intern(k), pmt.from_double(v))
        path = os.path.join(self.dir, "nan.jsonl")
        post_all(streamproc.event_file_sink(path), [d])
        with open(path) as f:
            self.assertEqual(f.read(), '{"a": null, "b": null, "c": null}\n')
        # burst_file_sink: index lines (compact, sorted keys) and SigMF metadata (indent=1)
        out = os.path.join(self.dir, "bursts")
        os.makedirs(out)
        sink = streamproc.burst_file_sink(out, "sigmf")
        pdus = []
        for i in range(0, 600, 6):
            meta = pmt.make_dict()
            for k, v in enumerate(values[i:i + 6]):
                meta = pmt.dict_add(meta, pmt.intern("x%d" % k), pmt.from_double(v))
            meta = pmt.dict_add(meta, pmt.intern("start"), pmt.from_uint64(i))
            meta = pmt.dict_add(meta, pmt.intern("sample_rate"), pmt.from_double(250e3))
            pdus.append(pmt.cons(meta, pmt.init_c32vector(4, [1j, 0.5, -0.25, 2.0])))
        post_all(sink, pdus, "pdus", sink.bursts_written)
        with open(os.path.join(out, "index.jsonl"), encoding="utf-8") as f:
            lines = f.read().splitlines()
        self.assertEqual(len(lines), len(pdus))
        for line in lines:
            self.assertEqual(line, json.dumps(json.loads(line), sort_keys=True, separators=(",", ":"),
                                              ensure_ascii=False))
            meta = os.path.join(out, json.loads(line)["file"].replace(".sigmf-data", ".sigmf-meta"))
            with open(meta, encoding="utf-8") as f:
                text = f.read()
            self.assertEqual(text, json.dumps(json.loads(text), indent=1, sort_keys=True, ensure_ascii=False) + "\n")
        printed = [json.loads(line) for line in lines]
        self.assertEqual([p["x0"] for p in printed], [values[i] for i in range(0, 600, 6)])

    def test_004_bad_path_and_format(self):
        with self.assertRaisesRegex(RuntimeError, "cannot write '/nonexistent/dir/ev.jsonl': No such file"):
            streamproc.event_file_sink("/nonexistent/dir/ev.jsonl")
        with self.assertRaisesRegex(RuntimeError, "cannot write '%s'" % self.dir):
            streamproc.event_file_sink(self.dir)
        with self.assertRaisesRegex(ValueError, 'format must be "jsonl", "csv" or "sigmf", got "xml"'):
            streamproc.event_file_sink(os.path.join(self.dir, "x"), "xml")
        with self.assertRaisesRegex(RuntimeError, "must end in .sigmf-meta"):
            streamproc.event_file_sink(os.path.join(self.dir, "x.json"), "sigmf")
        existing = os.path.join(self.dir, "old.sigmf-meta")
        open(existing, "w").close()
        with self.assertRaisesRegex(RuntimeError, "old.sigmf-meta' exists"):
            streamproc.event_file_sink(existing, "sigmf")
        with self.assertRaisesRegex(ValueError, "needs format \"sigmf\""):
            streamproc.event_file_sink(os.path.join(self.dir, "y.jsonl")).set_sigmf_template("{}")

    def test_005_sigmf_annotations(self):
        """Events as SigMF annotations: the input's global and captures kept, the schema's
        required fields and types, readable by our own SigMF reader, rewritten
        atomically while running (never torn)."""
        data = os.path.join(self.dir, "rec.sigmf-data")
        np.zeros(4000, dtype=np.complex64).tofile(data)
        meta_in = {"global": {"core:datatype": "cf32_le", "core:sample_rate": 1e6, "core:version": "1.0.0",
                              "core:author": "qa"},
                   "captures": [{"core:sample_start": 0, "core:frequency": 433.92e6},
                                {"core:sample_start": 3000, "core:frequency": 868e6}],
                   "annotations": [{"core:sample_start": 10, "core:sample_count": 5, "core:label": "mine"}]}
        out = os.path.join(self.dir, "ev.sigmf-meta")
        sink = streamproc.event_file_sink(out, "sigmf", False)
        tmpl = dict(meta_in)
        tmpl["global"] = dict(meta_in["global"], **{"core:dataset": "rec.sigmf-data"})
        sink.set_sigmf_template(json.dumps(tmpl))
        sink.set_publish_interval(10, 60.0)
        events = [event(i) for i in range(25)]
        post_all(sink, events)
        doc = json.load(open(out))
        # the SigMF schema's facts: required fields and their types
        self.assertEqual(set(doc), {"global", "captures", "annotations"})
        self.assertIsInstance(doc["global"]["core:datatype"], str)
        self.assertIsInstance(doc["global"]["core:version"], str)
        self.assertIsInstance(doc["global"]["core:sample_rate"], float)
        for c in doc["captures"]:
            self.assertIsInstance(c["core:sample_start"], int)
        for a in doc["annotations"]:
            self.assertIsInstance(a["core:sample_start"], int)
            self.assertGreaterEqual(a["core:sample_start"], 0)
            for k, t in (("core:sample_count", int), ("core:label", str), ("core:comment", str),
                         ("core:generator", str), ("core:freq_lower_edge", float), ("core:freq_upper_edge", float)):
                if k in a:
                    self.assertIsInstance(a[k], t, k)
            if "core:freq_lower_edge" in a:
                self.assertLess(a["core:freq_lower_edge"], a["core:freq_upper_edge"])
        self.assertEqual(doc["global"]["core:author"], "qa")
        self.assertEqual(doc["captures"], meta_in["captures"])
        anns = doc["annotations"]
        self.assertEqual(len(anns), 26)  # the input's own annotation is kept
        self.assertEqual(anns[0]["core:label"], "mine")
        for ev, a in zip(events, anns[1:]):
            start = pmt.to_python(pmt.dict_ref(ev, pmt.intern("start"), pmt.PMT_NIL))
            end = pmt.to_python(pmt.dict_ref(ev, pmt.intern("end"), pmt.PMT_NIL))
            self.assertEqual(a["core:sample_start"], start)
            self.assertEqual(a["core:sample_count"], end - start)
            self.assertIsInstance(a["core:comment"], str)
            self.assertIn("SNR 12.25 dB", a["core:comment"])
            self.assertEqual(a["core:generator"], "gr-streamproc event_detector")
            f = 868e6 if start >= 3000 else 433.92e6
            self.assertEqual((a["core:freq_lower_edge"], a["core:freq_upper_edge"]), (f - 0.5e6, f + 0.5e6))
        self.assertFalse(os.path.exists(os.path.join(self.dir, ".ev.sigmf-meta.journal")))
        # a writer killed at any moment leaves a complete file
        killed = os.path.join(self.dir, "killed.sigmf-meta")
        code = """
import json, pmt
from gnuradio import blocks, gr, streamproc
sink = streamproc.event_file_sink(%r, "sigmf", True)
sink.set_sigmf_template(json.dumps({"global": {"core:datatype": "cf32_le", "core:sample_rate": 1e6}}))
sink.set_publish_interval(1, 60.0)
tb = gr.top_block(); st = blocks.message_strobe(pmt.PMT_NIL, 100)
tb.msg_connect(st, "strobe", sink, "events"); tb.start()
i = 0
while True:
    d = pmt.make_dict()
    for k, v in (("id", i), ("start", 10 * i), ("end", 10 * i + 5)):
        d = pmt.dict_add(d, pmt.intern(k), pmt.from_uint64(v))
    sink._post(pmt.intern("events"), d)
    i += 1
""" % killed
        kill_writer_when_grown(code, killed, 30000)
        doc = json.load(open(killed))  # whole JSON, whatever the moment of the kill
        starts = [a["core:sample_start"] for a in doc["annotations"]]
        self.assertGreater(len(starts), 50)
        self.assertEqual(starts, [10 * i for i in range(len(starts))])
        # our own reader opens it (the dataset is the input's data, not a copy)
        src = streamproc.mmap_file_source(0, out)
        self.assertEqual((src.format(), src.size()), ("cf32_le", 4000))
        self.assertEqual(len(json.loads(src.metadata())["annotations"]), 26)


if __name__ == "__main__":
    gr_unittest.run(qa_event_file_sink)
