#!/usr/bin/python3
#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""mmap_file_source with a sample format and with SigMF recordings, against numpy's
conversion of the file bytes, GNU Radio's own SigMF sink, tar archives made with
Python's tarfile, and malformed metadata."""

import json
import os
import shutil
import tarfile
import tempfile

import numpy as np
import pmt
from gnuradio import blocks, gr, gr_unittest

from gnuradio import streamproc

# every SigMF datatype: numpy dtype (file order), centre, full scale
KINDS = {"f64": ("f8", 0.0, 1.0), "f32": ("f4", 0.0, 1.0), "i32": ("i4", 0.0, 2.0 ** 31),
         "i16": ("i2", 0.0, 2.0 ** 15), "i8": ("i1", 0.0, 2.0 ** 7), "u32": ("u4", 2 ** 32 / 2 - 0.5, 2.0 ** 31),
         "u16": ("u2", 2 ** 16 / 2 - 0.5, 2.0 ** 15), "u8": ("u1", 127.5, 2.0 ** 7)}


def datatypes():
    for cr in "cr":
        for k in KINDS:
            if k in ("i8", "u8"):
                yield cr + k
            else:
                yield cr + k + "_le"
                yield cr + k + "_be"


def reference(raw, datatype, scale=1.0):
    """numpy's conversion of the file bytes, from the documented rule."""
    kind = datatype[1:].split("_")[0]
    dt, centre, full = KINDS[kind]
    order = ">" if datatype.endswith("_be") else "<"
    x = (np.frombuffer(raw, dtype=order + dt).astype(np.float64) - centre) / full * scale
    x = x.astype(np.float32)
    return x[0::2] + 1j * x[1::2] if datatype[0] == "c" else x


def random_bytes(rng, datatype, n):
    kind = datatype[1:].split("_")[0]
    dt = KINDS[kind][0]
    comps = n * (2 if datatype[0] == "c" else 1)
    order = ">" if datatype.endswith("_be") else "<"
    if dt[0] == "f":
        v = rng.standard_normal(comps)
    else:
        info = np.iinfo(dt)
        v = rng.integers(int(info.min), int(info.max), comps, endpoint=True,
                         dtype=np.int64 if dt != "u4" else np.uint64)
    return np.asarray(v).astype(order + dt).tobytes()


def run(src, max_noutput=None, with_tags=False):
    tb = gr.top_block()
    sink = blocks.vector_sink_c() if src.format().startswith("c") or src.format() == "" else blocks.vector_sink_f()
    tb.connect(src, sink)
    if max_noutput:
        src.set_max_noutput_items(max_noutput)
    tb.run()
    data = np.array(sink.data())
    if with_tags:
        return data, [(t.offset, pmt.symbol_to_string(t.key), pmt.to_python(t.value)) for t in sink.tags()]
    return data


class qa_formats(gr_unittest.TestCase):

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="qa_formats.")
        self.rng = np.random.default_rng(17)

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def write(self, name, data):
        path = os.path.join(self.dir, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    # ------------------------------------------------------------ sample formats
    def test_001_every_datatype_matches_numpy(self):
        n = 5003
        for datatype in datatypes():
            raw = random_bytes(self.rng, datatype, n)
            path = self.write("x." + datatype, raw)
            ref = reference(raw, datatype)
            src = streamproc.mmap_file_source(0, path, format=datatype)
            self.assertEqual(src.format(), datatype)
            self.assertEqual(src.size(), n)
            got = run(src)
            np.testing.assert_array_equal(got, ref, datatype)
            # offset and length count samples; tiny and huge work calls give the same
            for m in (1, 7, None):
                src = streamproc.mmap_file_source(0, path, offset=11, length=3000, format=datatype,
                                                  window_bytes=8192)
                np.testing.assert_array_equal(run(src, m), ref[11:3011], "%s max_noutput=%s" % (datatype, m))

    def test_002_scale_seek_and_tags_count_samples(self):
        raw = random_bytes(self.rng, "ci16_le", 20000)
        path = self.write("x.cs16", raw)
        ref = reference(raw, "ci16_le", scale=2.5)
        src = streamproc.mmap_file_source(gr.sizeof_gr_complex, path, offset=100, format="ci16", scale=2.5)
        self.assertEqual(src.format(), "ci16_le")  # canonical name
        self.assertTrue(src.seek(400, os.SEEK_SET))  # item 500 of the file
        self.assertEqual(src.position(), 500)
        got, tags = run(src, with_tags=True)
        np.testing.assert_array_equal(got, ref[500:])
        pos = [t for t in tags if t[1] == "file_pos"]
        self.assertEqual(pos[0][2]["offset"], 500)
        # 8-bit through the lookup table: every code
        raw = bytes(range(256)) * 4
        for datatype in ("cu8", "ci8", "ru8", "ri8"):
            got = run(streamproc.mmap_file_source(0, self.write("codes." + datatype, raw), format=datatype))
            np.testing.assert_array_equal(got, reference(raw, datatype), datatype)

    def test_003_bad_formats(self):
        path = self.write("x.bin", bytes(64))
        with self.assertRaisesRegex(ValueError, "\"cs16\" is not a SigMF datatype"):
            streamproc.mmap_file_source(0, path, format="cs16")
        with self.assertRaisesRegex(ValueError, "itemsize 4 does not fit format cf32_le"):
            streamproc.mmap_file_source(4, path, format="cf32_le")
        with self.assertRaisesRegex(ValueError, "scale must be finite and not 0"):
            streamproc.mmap_file_source(0, path, format="cu8", scale=0.0)
        with self.assertRaisesRegex(ValueError, "itemsize must be at least 1"):
            streamproc.mmap_file_source(0, path)
        with self.assertRaisesRegex(ValueError, "scale and channel need a sample format"):
            streamproc.mmap_file_source(8, path, scale=2.0)

    # ------------------------------------------------------------ SigMF in
    def sigmf(self, name, meta, data):
        self.write(name + ".sigmf-data", data)
        path = os.path.join(self.dir, name + ".sigmf-meta")
        with open(path, "w") as f:
            f.write(meta if isinstance(meta, str) else json.dumps(meta))
        return path

    def test_010_gnuradio_sigmf_sink_round_trip(self):
        x = (self.rng.standard_normal(30000) + 1j * self.rng.standard_normal(30000)).astype(np.complex64)
        base = os.path.join(self.dir, "gr_rec")
        tb = gr.top_block()
        tb.connect(blocks.vector_source_c(x.tolist()),
                   blocks.sigmf_sink_minimal(8, base, 2.4e6, 433.92e6, "qa", "round trip", "none", True))
        tb.run()
        for path in (base + ".sigmf-meta", base + ".sigmf-data"):
            src = streamproc.mmap_file_source(0, path)
            self.assertEqual((src.format(), src.sample_rate()), ("cf32_le", 2.4e6))
            self.assertEqual(json.loads(src.metadata())["global"]["core:author"], "qa")
            got, tags = run(src, with_tags=True)
            np.testing.assert_array_equal(got, x)
            keyed = {k: (o, v) for o, k, v in tags}
            self.assertEqual(keyed["rx_rate"], (0, 2.4e6))
            self.assertEqual(keyed["rx_freq"], (0, 433.92e6))

    def multi_capture(self):
        """ci16_le, 2 channels, three captures with header bytes, trailing bytes, times."""
        rng = self.rng
        counts = [1000, 1500, 700]
        chunks, layout = [], []
        for k, c in enumerate(counts):
            hdr = bytes([k + 1]) * (16 * (k + 1))
            chunks.append(hdr)
            chunks.append(random_bytes(rng, "ci16_le", 2 * c))  # 2 channels
            layout.append(hdr)
        data = b"".join(chunks) + b"\xee" * 40
        starts = [0, 1000, 2500]
        meta = {"global": {"core:datatype": "ci16_le", "core:sample_rate": 1e6, "core:num_channels": 2,
                           "core:trailing_bytes": 40, "core:version": "1.0.0"},
                "captures": [{"core:sample_start": s, "core:header_bytes": 16 * (k + 1),
                              "core:frequency": 100e6 + k * 1e6,
                              "core:datetime": "2024-05-06T07:08:%02d.250000Z" % (9 + k)}
                             for k, s in enumerate(starts)],
                "annotations": [{"core:sample_start": 1200, "core:sample_count": 50, "core:label": "burst",
                                 "core:comment": "second capture"}]}
        # the samples of channel 1, without headers
        body = b"".join(chunks[1::2])
        ref = reference(body, "ci16_le")[1::2]
        return meta, data, ref

    def test_011_captures_headers_channels_tags(self):
        meta, data, ref = self.multi_capture()
        path = self.sigmf("multi", meta, data)
        src = streamproc.mmap_file_source(0, path, channel=1)
        src.set_annotation_tags(True)
        self.assertEqual(src.size(), 3200)
        got, tags = run(src, max_noutput=333, with_tags=True)
        np.testing.assert_array_equal(got, ref)
        freq = [(o, v) for o, k, v in tags if k == "rx_freq"]
        self.assertEqual(freq, [(0, 100e6), (1000, 101e6), (2500, 102e6)])
        times = [(o, v) for o, k, v in tags if k == "rx_time"]
        self.assertEqual([o for o, _ in times], [0, 1000, 2500])
        self.assertEqual(times[1][1][0], 1714979290)  # 2024-05-06T07:08:10Z
        self.assertAlmostEqual(times[1][1][1], 0.25)
        ann = [(o, v) for o, k, v in tags if k == "annotation"]
        self.assertEqual(ann[0][0], 1200)
        self.assertEqual(ann[0][1]["label"], "burst")
        # a seek into a capture: its tags at the new position, the time moved on
        src = streamproc.mmap_file_source(0, path, offset=1100, channel=0)
        got, tags = run(src, with_tags=True)
        self.assertEqual(len(got), 2100)
        first = {k: v for o, k, v in tags if o == 0}
        self.assertEqual(first["rx_freq"], 101e6)
        self.assertEqual(first["rx_time"][0], 1714979290)
        self.assertAlmostEqual(first["rx_time"][1], 0.25 + 100 / 1e6)
        # the same recording as a tar archive (read in place)
        arch = os.path.join(self.dir, "multi.sigmf")
        with tarfile.open(arch, "w") as t:
            t.add(path, arcname="multi/multi.sigmf-meta")
            t.add(path[:-len("meta")] + "data", arcname="multi/multi.sigmf-data")
        got = run(streamproc.mmap_file_source(0, arch, channel=1, window_bytes=8192))
        np.testing.assert_array_equal(got, ref)

    def test_012_meta_port_and_getters(self):
        raw = random_bytes(self.rng, "cu8", 4000)
        path = self.sigmf("rtl", {"global": {"core:datatype": "cu8", "core:sample_rate": 250000,
                                             "core:hw": "RTL-SDR"}, "captures": []}, raw)
        src = streamproc.mmap_file_source(0, path)
        dbg = blocks.message_debug()
        tb = gr.top_block()
        tb.connect(src, blocks.null_sink(8))
        tb.msg_connect(src, "meta", dbg, "store")
        tb.run()
        self.assertEqual(dbg.num_messages(), 1)
        g = dbg.get_message(0)
        self.assertEqual(pmt.symbol_to_string(pmt.dict_ref(g, pmt.intern("core:hw"), pmt.PMT_NIL)), "RTL-SDR")
        self.assertEqual(src.sample_rate(), 250000.0)
        np.testing.assert_array_equal(run(streamproc.mmap_file_source(0, path)), reference(raw, "cu8"))

    def test_013_malformed_metadata(self):
        data = random_bytes(self.rng, "ci16_le", 100)
        cases = [
            ("{not json", "bad JSON"),
            ({"captures": []}, "no \"global\" object"),
            ({"global": {}}, "global has no core:datatype"),
            ({"global": {"core:datatype": "ci12_le"}}, "core:datatype \"ci12_le\" is not a SigMF datatype"),
            ({"global": {"core:datatype": "ci16_le"}, "captures": [{"core:sample_start": 500}]},
             "core:sample_start 500 is past the end of the data"),
            ({"global": {"core:datatype": "ci16_le", "core:trailing_bytes": 1000}}, "core:trailing_bytes 1000"),
            ({"global": {"core:datatype": "ci16_le"}, "captures": [{"core:sample_start": 50},
                                                                   {"core:sample_start": 10}]},
             "captures\\[1\\] core:sample_start 10 comes before"),
            ({"global": {"core:datatype": "ci16_le"}, "captures": [{"core:datetime": "yesterday"}]},
             "captures\\[0\\] core:datetime \"yesterday\" is not an ISO 8601"),
            ({"global": {"core:datatype": "ci16_le", "core:dataset": "elsewhere.bin"}}, "elsewhere.bin cannot be read"),
        ]
        for k, (meta, message) in enumerate(cases):
            path = self.sigmf("bad%d" % k, meta, data)
            with self.assertRaisesRegex(RuntimeError, "SigMF .*bad%d.sigmf-meta: .*%s" % (k, message)):
                streamproc.mmap_file_source(0, path)
        os.unlink(os.path.join(self.dir, "bad0.sigmf-data"))
        with open(os.path.join(self.dir, "bad0.sigmf-meta"), "w") as f:
            json.dump({"global": {"core:datatype": "cu8"}}, f)
        with self.assertRaisesRegex(RuntimeError, "bad0.sigmf-data cannot be read"):
            streamproc.mmap_file_source(0, os.path.join(self.dir, "bad0.sigmf-meta"))
        # usable although it breaks the schema: an integer datetime, no sample rate
        path = self.sigmf("odd", {"global": {"core:datatype": "ci16_le"},
                                  "captures": [{"core:sample_start": 0, "core:datetime": 1700000000}]}, data)
        src = streamproc.mmap_file_source(0, path)
        self.assertEqual(src.sample_rate(), 0.0)
        got, tags = run(src, with_tags=True)
        self.assertEqual(len(got), 100)
        self.assertEqual([v for o, k, v in tags if k == "rx_time"], [(1700000000, 0.0)])
        # a given format overrides core:datatype (the metadata is wrong), with a warning
        src = streamproc.mmap_file_source(0, path, format="ci16_be")
        self.assertEqual(src.format(), "ci16_be")
        np.testing.assert_array_equal(run(src), reference(data, "ci16_be"))
        with self.assertRaisesRegex(ValueError, "format \"cs16\" is not a SigMF datatype"):
            streamproc.mmap_file_source(0, path, format="cs16")


if __name__ == "__main__":
    gr_unittest.run(qa_formats)
