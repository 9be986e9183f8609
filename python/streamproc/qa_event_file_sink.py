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

import pmt
from gnuradio import blocks, gr, gr_unittest

from gnuradio import streamproc


def event(i):
    d = pmt.make_dict()
    for k, v in (("id", pmt.from_uint64(i)), ("start", pmt.from_uint64(1000 * i)),
                 ("end", pmt.from_uint64(1000 * i + 50)), ("duration", pmt.from_uint64(50)),
                 ("peak_power", pmt.from_double(3.5 + i)), ("snr_db", pmt.from_double(12.25)),
                 ("truncated", pmt.from_bool(i % 2 == 1)), ("time", pmt.from_double(i / 3.0))):
        d = pmt.dict_add(d, pmt.intern(k), v)
    return d


def post_all(sink, msgs):
    """Posts messages to the sink while its flowgraph runs (the strobe, whose 100 ms
    period keeps tb.stop() quick, only keeps the sink in the graph; its nil messages
    are ignored by the sink)."""
    tb = gr.top_block()
    src = blocks.message_strobe(pmt.PMT_NIL, 100)
    tb.msg_connect(src, "strobe", sink, "events")
    tb.start()
    for m in msgs:
        sink._post(pmt.intern("events"), m)
    deadline = time.time() + 10
    while sink.lines_written() < len(msgs) and time.time() < deadline:
        time.sleep(0.01)
    tb.stop()
    tb.wait()


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
        proc = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.DEVNULL)
        deadline = time.time() + 30
        while (not os.path.exists(path) or os.path.getsize(path) < 20000) and time.time() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        data = open(path).read()
        self.assertTrue(data.endswith("\n"), "a line was cut")
        ids = [json.loads(x)["id"] for x in data.splitlines()]
        self.assertGreater(len(ids), 500)
        self.assertEqual(ids, list(range(len(ids))))

    def test_004_bad_path_and_format(self):
        with self.assertRaisesRegex(RuntimeError, "cannot write '/nonexistent/dir/ev.jsonl': No such file"):
            streamproc.event_file_sink("/nonexistent/dir/ev.jsonl")
        with self.assertRaisesRegex(RuntimeError, "cannot write '%s'" % self.dir):
            streamproc.event_file_sink(self.dir)
        with self.assertRaisesRegex(ValueError, 'format must be "jsonl" or "csv", got "xml"'):
            streamproc.event_file_sink(os.path.join(self.dir, "x"), "xml")


if __name__ == "__main__":
    gr_unittest.run(qa_event_file_sink)
