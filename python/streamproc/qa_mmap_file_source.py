#!/usr/bin/python3
#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""mmap_file_source against the file's own bytes (numpy reads the file independently)."""

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np
import pmt
from gnuradio import blocks, gr, gr_unittest

from gnuradio import streamproc
from qa_helpers import wait_until

SMALL_WINDOW = 8192  # two pages: forces a remap every 8 KiB


def run_bytes(src, itemsize, max_noutput=None, head=None, timeout=60.0):
    """Run src -> [head] -> byte vector sink; returns (bytes, tags)."""
    tb = gr.top_block()
    sink = blocks.vector_sink_b(itemsize)
    chain = [src]
    if head is not None:
        chain.append(blocks.head(itemsize, head))
    chain.append(sink)
    tb.connect(*chain)
    if max_noutput is not None:
        for b in chain:
            b.set_max_noutput_items(max_noutput)
    run_with_timeout(tb, timeout)
    return bytes(bytearray(sink.data())), sink.tags()


def run_with_timeout(tb, timeout):
    tb.start()
    waiter = threading.Thread(target=tb.wait, daemon=True)
    waiter.start()
    waiter.join(timeout)
    if waiter.is_alive():
        tb.stop()
        waiter.join(10)
        raise AssertionError("flowgraph did not finish within %.0f s" % timeout)


def tag_dict(tag):
    return {pmt.symbol_to_string(k): pmt.to_python(pmt.dict_ref(tag.value, k, pmt.PMT_NIL))
            for k in (pmt.intern("filename"), pmt.intern("offset"), pmt.intern("pass"))}


class qa_mmap_file_source(gr_unittest.TestCase):

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="qa_mmap_file_source.")
        self.rng = np.random.default_rng(1234)

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def make_file(self, nbytes, name="data.bin"):
        path = os.path.join(self.dir, name)
        data = self.rng.integers(0, 256, nbytes, dtype=np.uint8).tobytes()
        with open(path, "wb") as f:
            f.write(data)
        return path, data

    # ---------------------------------------------------------------- byte exactness
    def test_001_item_sizes_byte_exact(self):
        for itemsize in (1, 2, 4, 8, 12):
            nitems = 50021
            path, data = self.make_file(nitems * itemsize, "i%d.bin" % itemsize)
            for window in (0, SMALL_WINDOW):
                out, tags = run_bytes(streamproc.mmap_file_source(
                    itemsize, path, window_bytes=window), itemsize)
                self.assertEqual(out, data, "itemsize %d window %d" % (itemsize, window))

    def test_002_vector_items_match_numpy(self):
        vlen = 5
        path = os.path.join(self.dir, "vec.f32")
        ref = self.rng.standard_normal((3001, vlen)).astype(np.float32)
        ref.tofile(path)
        tb = gr.top_block()
        src = streamproc.mmap_file_source(4 * vlen, path, window_bytes=SMALL_WINDOW)
        sink = blocks.vector_sink_f(vlen)
        tb.connect(src, sink)
        run_with_timeout(tb, 60)
        got = np.array(sink.data(), dtype=np.float32).reshape(-1, vlen)
        np.testing.assert_array_equal(got, np.fromfile(path, dtype=np.float32).reshape(-1, vlen))
        np.testing.assert_array_equal(got, ref)

    def test_003_offset_length_cross_windows(self):
        itemsize = 4
        nitems = 40000
        path, data = self.make_file(nitems * itemsize)
        cases = [(0, 0), (1, 0), (2047, 1), (2047, 2), (2048, 4096), (1000, 30001),
                 (nitems - 1, 1), (nitems - 1, 0), (12345, nitems - 12345)]
        for offset, length in cases:
            out, tags = run_bytes(streamproc.mmap_file_source(
                itemsize, path, offset=offset, length=length, window_bytes=SMALL_WINDOW), itemsize)
            end = nitems if length == 0 else offset + length
            self.assertEqual(out, data[offset * itemsize:end * itemsize], (offset, length))
            self.assertEqual(tags[0].offset, 0)
            self.assertEqual(tag_dict(tags[0])["offset"], offset)

    def test_004_trailing_partial_item_ignored(self):
        path, data = self.make_file(8 * 1000 + 5)
        out, _ = run_bytes(streamproc.mmap_file_source(8, path), 8)
        self.assertEqual(out, data[:8000])

    def test_005_empty_file_ends_at_once(self):
        path = os.path.join(self.dir, "empty.bin")
        open(path, "wb").close()
        for repeat in (False, True):
            src = streamproc.mmap_file_source(4, path, repeat=repeat)
            out, tags = run_bytes(src, 4, timeout=20)
            self.assertEqual(out, b"")
            self.assertEqual(len(tags), 0)
            self.assertEqual(src.size(), 0)

    # ---------------------------------------------------------------- repeat and tags
    def test_010_repeat_tags_each_pass(self):
        itemsize = 2
        path, data = self.make_file(2 * 3000)
        offset, length = 100, 2500
        seg = data[offset * itemsize:(offset + length) * itemsize]
        total = 4 * length + 17
        src = streamproc.mmap_file_source(itemsize, path, repeat=True, offset=offset,
                                          length=length, window_bytes=SMALL_WINDOW)
        src.set_begin_tag(pmt.intern("begin"))
        out, tags = run_bytes(src, itemsize, head=total)
        expect = (seg * 5)[:total * itemsize]
        self.assertEqual(out, expect)
        pos_tags = [t for t in tags if pmt.symbol_to_string(t.key) == "file_pos"]
        self.assertEqual([t.offset for t in pos_tags], [0, length, 2 * length, 3 * length, 4 * length])
        self.assertEqual([tag_dict(t)["pass"] for t in pos_tags], [0, 1, 2, 3, 4])
        for t in pos_tags:
            d = tag_dict(t)
            self.assertEqual(d["offset"], offset)
            self.assertEqual(d["filename"], path)
        begin = [t for t in tags if pmt.symbol_to_string(t.key) == "begin"]
        self.assertEqual([t.offset for t in begin], [t.offset for t in pos_tags])
        self.assertEqual([pmt.to_python(t.value) for t in begin], [0, 1, 2, 3, 4])
        # a tiny file with repeat: many passes per work call; without pass tags only
        # the first pass is tagged, the data are the same
        tiny, tdata = self.make_file(4 * 3, "tiny.bin")
        src = streamproc.mmap_file_source(4, tiny, repeat=True)
        src.set_pass_tags(False)
        out, tags = run_bytes(src, 4, head=100003)
        self.assertEqual(out, (tdata * 33335)[:100003 * 4])
        self.assertEqual([(t.offset, tag_dict(t)["pass"]) for t in tags], [(0, 0)])
        src = streamproc.mmap_file_source(4, tiny, repeat=True)  # with them: every pass
        out, tags = run_bytes(src, 4, head=30)
        self.assertEqual([t.offset for t in tags], list(range(0, 30, 3)))

    def test_011_tiny_and_huge_work_calls_identical(self):
        itemsize = 4
        path, data = self.make_file(4 * 20000)
        results = []
        for max_noutput in (1, 7, 4093, None):
            src = streamproc.mmap_file_source(itemsize, path, repeat=True, offset=3, length=9001,
                                              window_bytes=SMALL_WINDOW)
            out, tags = run_bytes(src, itemsize, head=30000, max_noutput=max_noutput)
            results.append((out, [(t.offset, pmt.symbol_to_string(t.key), tag_dict(t)["pass"])
                                  for t in tags]))
        seg = data[3 * 4:(3 + 9001) * 4]
        self.assertEqual(results[0][0], (seg * 4)[:30000 * 4])
        for r in results[1:]:
            self.assertEqual(r, results[0])

    # ---------------------------------------------------------------- seek and open
    def test_020_seek(self):
        itemsize = 8
        nitems = 10000
        path, data = self.make_file(itemsize * nitems)
        offset, length = 500, 8000

        def item(i):  # absolute item i of the file
            return data[i * itemsize:(i + 1) * itemsize]

        src = streamproc.mmap_file_source(itemsize, path, offset=offset, length=length,
                                          window_bytes=SMALL_WINDOW)
        self.assertTrue(src.seek(7000, os.SEEK_SET))
        self.assertEqual(src.position(), offset + 7000)
        self.assertTrue(src.seek(-100, os.SEEK_CUR))
        self.assertEqual(src.position(), offset + 6900)
        out, tags = run_bytes(src, itemsize)
        self.assertEqual(out, data[(offset + 6900) * itemsize:(offset + length) * itemsize])
        self.assertEqual(tag_dict(tags[0])["offset"], offset + 6900)

        src = streamproc.mmap_file_source(itemsize, path, offset=offset, length=length,
                                          window_bytes=SMALL_WINDOW)
        self.assertTrue(src.seek(-10, os.SEEK_END))
        out, _ = run_bytes(src, itemsize)
        self.assertEqual(out, b"".join(item(i) for i in range(offset + length - 10, offset + length)))
        # Outside the segment, or an unknown whence: refused, position unchanged.
        src = streamproc.mmap_file_source(itemsize, path, offset=offset, length=length)
        for point, whence in ((-1, os.SEEK_SET), (length, os.SEEK_SET), (0, os.SEEK_END),
                              (-length - 1, os.SEEK_END), (-1, os.SEEK_CUR), (5, 7)):
            self.assertFalse(src.seek(point, whence), (point, whence))
            self.assertEqual(src.position(), offset)

    def test_021_seek_while_running(self):
        # A repeating source on a big segment, seeked back to item 0 from another
        # thread: after the seek the stream continues from item 0 (a new file_pos tag).
        itemsize = 4
        nitems = 1 << 20
        path, data = self.make_file(itemsize * nitems)
        src = streamproc.mmap_file_source(itemsize, path, repeat=True, window_bytes=SMALL_WINDOW)
        tb = gr.top_block()
        thr = blocks.throttle(itemsize, 2e6)
        head = blocks.head(itemsize, 3 * nitems)
        sink = blocks.vector_sink_b(itemsize)
        tb.connect(src, thr, head, sink)
        tb.start()
        wait_until(lambda: src.position() >= 300000, 30, "the source reaching item 300000")
        self.assertTrue(src.seek(12345, os.SEEK_SET))
        wait_until(lambda: (any(tag_dict(t)["offset"] == 12345 for t in sink.tags())
                            and len(sink.data()) >= 400000 * itemsize),
                   30, "the seek's tag and 400000 items")
        tb.stop()
        tb.wait()
        out = bytes(bytearray(sink.data()))
        tags = [t for t in sink.tags() if tag_dict(t)["offset"] == 12345]
        self.assertEqual(len(tags), 1)
        at = tags[0].offset
        # Before the seek: the file repeated (the source runs ahead of the throttle by
        # up to its output buffer, 8 MiB, so it may have wrapped around already).
        passes = at // nitems + 1
        self.assertEqual(out[:at * itemsize], (data * passes)[:at * itemsize])
        # After it: item 12345 on, the file repeated again at its end (a loaded machine
        # polls the sink slowly, and the stream may pass the file's end before it stops)
        rest = out[at * itemsize:]
        again = data[12345 * itemsize:] + data * (len(rest) // len(data) + 1)
        self.assertEqual(rest, again[:len(rest)])

    def test_022_open_while_running(self):
        itemsize = 4
        path_a, data_a = self.make_file(itemsize * 10000, "a.bin")
        path_b, data_b = self.make_file(itemsize * 7777, "b.bin")
        src = streamproc.mmap_file_source(itemsize, path_a, repeat=True)
        tb = gr.top_block()
        thr = blocks.throttle(itemsize, 1e6)
        sink = blocks.vector_sink_b(itemsize)
        tb.connect(src, thr, sink)
        tb.start()
        wait_until(lambda: src.passes() >= 2, 30, "two passes over the file")
        src.open(path_b, False, 100, 5000)
        waiter = threading.Thread(target=tb.wait, daemon=True)
        waiter.start()
        waiter.join(60)
        self.assertFalse(waiter.is_alive(), "flowgraph did not end after open() of a finite segment")
        out = bytes(bytearray(sink.data()))
        b_tags = [t for t in sink.tags() if tag_dict(t)["filename"] == path_b]
        self.assertEqual(len(b_tags), 1)
        at = b_tags[0].offset
        self.assertEqual(tag_dict(b_tags[0])["offset"], 100)
        self.assertEqual(out[:at * itemsize], (data_a * (at // 10000 + 1))[:at * itemsize])
        self.assertEqual(out[at * itemsize:], data_b[100 * itemsize:5100 * itemsize])
        self.assertEqual(src.filename(), path_b)
        # open() checks at once: a bad file raises in the caller, the old file stays.
        with self.assertRaises(RuntimeError):
            src.open(os.path.join(self.dir, "nope.bin"), False, 0, 0)
        with self.assertRaises(ValueError):
            src.open(path_b, False, 7777, 1)

    # ---------------------------------------------------------------- follow mode
    def test_030_follow_writer_thread(self):
        itemsize = 8
        path = os.path.join(self.dir, "growing.bin")
        chunks = [self.rng.integers(0, 256, itemsize * n, dtype=np.uint8).tobytes()
                  for n in (1000, 1, 4096, 333, 20000, 7)]
        with open(path, "wb") as f:
            f.write(chunks[0])

        def writer():
            with open(path, "ab") as f:
                for c in chunks[1:]:
                    time.sleep(0.05)
                    # half an item first: the source must wait for the whole item
                    f.write(c[:3])
                    f.flush()
                    time.sleep(0.02)
                    f.write(c[3:])
                    f.flush()

        src = streamproc.mmap_file_source(itemsize, path, follow=True, follow_timeout=0.5,
                                          window_bytes=SMALL_WINDOW)
        self.assertTrue(src.follow())
        w = threading.Thread(target=writer)
        w.start()
        out, tags = run_bytes(src, itemsize, timeout=60)
        w.join()
        self.assertEqual(out, b"".join(chunks))
        self.assertEqual(len(tags), 1)

    def test_031_follow_until_stopped(self):
        itemsize = 4
        path, data = self.make_file(itemsize * 5000)
        src = streamproc.mmap_file_source(itemsize, path, follow=True)  # no timeout
        tb = gr.top_block()
        sink = blocks.vector_sink_b(itemsize)
        tb.connect(src, sink)
        tb.start()
        wait_until(lambda: len(sink.data()) >= len(data), 10, "the whole file")
        with open(path, "ab") as f:
            f.write(data[:400])
        wait_until(lambda: len(sink.data()) >= len(data) + 400, 10, "the 400 appended bytes")
        tb.stop()
        waiter = threading.Thread(target=tb.wait, daemon=True)
        waiter.start()
        waiter.join(10)
        self.assertFalse(waiter.is_alive(), "stop() did not end a waiting follow source")
        self.assertEqual(bytes(bytearray(sink.data())), data + data[:400])

    def test_032_follow_offset_at_end(self):
        # offset == size is allowed in follow mode: read only what is appended.
        itemsize = 4
        path, data = self.make_file(itemsize * 100)
        src = streamproc.mmap_file_source(itemsize, path, offset=100, follow=True,
                                          follow_timeout=0.3)

        def writer():
            time.sleep(0.1)
            with open(path, "ab") as f:
                f.write(data[:40])

        w = threading.Thread(target=writer)
        w.start()
        out, _ = run_bytes(src, itemsize, timeout=30)
        w.join()
        self.assertEqual(out, data[:40])

    # ---------------------------------------------------------------- truncation
    def test_040_truncated_while_reading(self):
        itemsize = 1
        size = 8 << 20
        path, data = self.make_file(size)
        for cut in (6 << 20, 100000):
            with open(path, "wb") as f:
                f.write(data)
            src = streamproc.mmap_file_source(itemsize, path, window_bytes=1 << 16)
            # keep the reader close to the throttle (by default it runs up to 8 MiB
            # ahead, the whole file), so the first cut lands ahead of it
            src.set_min_output_buffer(1 << 16)
            tb = gr.top_block()
            thr = blocks.throttle(itemsize, 4e6)
            sink = blocks.vector_sink_b(itemsize)
            tb.connect(src, thr, sink)
            tb.start()
            wait_until(lambda: src.position() >= (1 << 20), 30, "the source reaching item 2^20",
                       poll=0.005)
            os.truncate(path, cut)
            waiter = threading.Thread(target=tb.wait, daemon=True)
            waiter.start()
            waiter.join(60)
            self.assertFalse(waiter.is_alive(), "stream did not end after truncation")
            out = bytes(bytearray(sink.data()))
            self.assertEqual(out, data[:len(out)])
            if cut > (2 << 20):
                # cut ahead of the reader: the stream ends exactly at the new end
                self.assertEqual(len(out), cut)
            else:
                # cut behind the reader: nothing produced before is lost, nothing after
                self.assertGreaterEqual(len(out), 1 << 20)
                self.assertLess(len(out), size)

    # ---------------------------------------------------------------- bad input
    def test_050_bad_paths(self):
        missing = os.path.join(self.dir, "missing.bin")
        with self.assertRaisesRegex(RuntimeError, "missing.bin.*No such file"):
            streamproc.mmap_file_source(4, missing)
        with self.assertRaisesRegex(RuntimeError, "is a directory"):
            streamproc.mmap_file_source(4, self.dir)
        fifo = os.path.join(self.dir, "fifo")
        os.mkfifo(fifo)
        with self.assertRaisesRegex(RuntimeError, "fifo.*FIFO.*blocks.file_source"):
            streamproc.mmap_file_source(4, fifo)
        with self.assertRaisesRegex(RuntimeError, "/dev/zero.*is a device"):
            streamproc.mmap_file_source(4, "/dev/zero")

    def test_051_bad_numbers(self):
        path, _ = self.make_file(4 * 100)
        with self.assertRaisesRegex(ValueError, "itemsize must be at least 1"):
            streamproc.mmap_file_source(0, path)
        with self.assertRaisesRegex(ValueError, "offset 101 items is past the end"):
            streamproc.mmap_file_source(4, path, offset=101)
        with self.assertRaisesRegex(ValueError, "offset 100 items is past the end"):
            streamproc.mmap_file_source(4, path, offset=100)
        with self.assertRaisesRegex(ValueError, "length 11 items from offset 90"):
            streamproc.mmap_file_source(4, path, offset=90, length=11)
        with self.assertRaisesRegex(ValueError, "follow_timeout"):
            streamproc.mmap_file_source(4, path, follow=True, follow_timeout=-1)
        # follow reads what is appended: a fixed segment cannot follow
        with self.assertRaisesRegex(ValueError, "follow .* cannot be combined with length 10"):
            streamproc.mmap_file_source(4, path, offset=10, length=10, follow=True)
        src = streamproc.mmap_file_source(4, path, offset=90, length=10)
        self.assertEqual(src.size(), 100)
        with self.assertRaisesRegex(ValueError, "follow cannot be switched on for a segment"):
            src.set_follow(True)
        self.assertFalse(src.follow())
        follower = streamproc.mmap_file_source(4, path, follow=True)
        with self.assertRaisesRegex(ValueError, "cannot be combined with length 5"):
            follower.open(path, False, 0, 5)

    def test_052_unreadable_file(self):
        path, _ = self.make_file(64)
        os.chmod(path, 0)
        os.chmod(self.dir, 0o755)
        code = ("from gnuradio import streamproc\n"
                "try:\n"
                "    streamproc.mmap_file_source(4, %r)\n"
                "except RuntimeError as e:\n"
                "    print(e)\n" % path)
        if os.geteuid() == 0:
            # root reads any file: run the check as 'nobody'
            def demote():
                os.setgid(65534)
                os.setuid(65534)
            preexec = demote
        else:
            preexec = None
        env = dict(os.environ, HOME=self.dir)
        res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             preexec_fn=preexec, env=env, timeout=60)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertIn(path, res.stdout)
        self.assertIn("Permission denied", res.stdout)


if __name__ == "__main__":
    gr_unittest.run(qa_mmap_file_source)
