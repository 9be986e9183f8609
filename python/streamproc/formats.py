#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""Sample formats of recordings: names, the file-name conventions that tell them, and
the source blocks that turn them into float or complex streams."""

import json
import os

from .errors import UsageError

# name: (bytes per item read from the file, complex after conversion)
TYPES = {
    "f32": (4, False),
    "cf32": (8, True),
    "ci16": (4, True),
    "ci8": (2, True),
    "cu8": (2, True),
}

# file name endings (lower case) and the formats they name, as SDR tools write them
EXTENSIONS = {
    ".f32": "f32", ".rf32": "f32", ".float": "f32", ".fc32": "cf32",
    ".cf32": "cf32", ".cfile": "cf32", ".complex": "cf32", ".raw": None,
    ".cs16": "ci16", ".ci16": "ci16", ".sc16": "ci16", ".complex32s": "ci16", ".complex16s": "ci8",
    ".cs8": "ci8", ".ci8": "ci8", ".sc8": "ci8",
    ".cu8": "cu8", ".data": None,
}

# SigMF core:datatype -> our name (little endian only, until the source reads them all)
SIGMF_TYPES = {"rf32_le": "f32", "cf32_le": "cf32", "ci16_le": "ci16", "ci8": "ci8", "cu8": "cu8",
               "ci8_le": "ci8", "cu8_le": "cu8"}


class Recording:
    """What to read: the data file, its sample format, where the format came from, and
    the sample rate when the file states it (SigMF)."""

    def __init__(self, data, kind, how, rate=None):
        self.data, self.kind, self.how, self.rate = data, kind, how, rate

    @property
    def itemsize(self):
        return TYPES[self.kind][0]

    @property
    def is_complex(self):
        return TYPES[self.kind][1]


def _sigmf(path):
    meta = path[:-len(".sigmf-data")] + ".sigmf-meta" if path.endswith(".sigmf-data") else path
    data = meta[:-len(".sigmf-meta")] + ".sigmf-data"
    try:
        with open(meta) as f:
            doc = json.load(f)
    except OSError as e:
        raise UsageError("cannot read SigMF metadata %s: %s" % (meta, e.strerror))
    except ValueError as e:
        raise UsageError("SigMF metadata %s is not valid JSON: %s" % (meta, e))
    glob = doc.get("global") if isinstance(doc, dict) else None
    if not isinstance(glob, dict) or "core:datatype" not in glob:
        raise UsageError("SigMF metadata %s has no global core:datatype" % meta)
    dtype = glob["core:datatype"]
    if dtype not in SIGMF_TYPES:
        raise UsageError("SigMF datatype %r of %s is not supported yet (supported: %s)"
                         % (dtype, meta, ", ".join(sorted(SIGMF_TYPES))))
    rate = glob.get("core:sample_rate")
    rate = float(rate) if isinstance(rate, (int, float)) and rate > 0 else None
    return Recording(data, SIGMF_TYPES[dtype], "SigMF core:datatype %s" % dtype, rate)


def open_recording(path, kind=None):
    """The recording at `path`, its format given (`kind`) or told by its name: a SigMF
    .sigmf-meta/.sigmf-data pair, or an ending such as .cu8, .cs16, .cf32, .f32.
    Raises UsageError naming the problem."""
    if kind is not None and kind not in TYPES:
        raise UsageError("unknown sample format %r (choose from %s)" % (kind, ", ".join(TYPES)))
    if path.endswith((".sigmf-meta", ".sigmf-data")):
        rec = _sigmf(path)
        if kind is not None and kind != rec.kind:
            raise UsageError("--type %s contradicts %s (%s)" % (kind, path, rec.how))
    elif kind is not None:
        rec = Recording(path, kind, "--type")
    else:
        ext = os.path.splitext(path)[1].lower()
        guess = EXTENSIONS.get(ext)
        if guess is None:
            raise UsageError("cannot tell the sample format of %s from its name: give --type (%s)"
                             % (path, ", ".join(TYPES)))
        rec = Recording(path, guess, "its %s ending" % ext)
    if not os.path.exists(rec.data):
        raise UsageError("cannot read %s: no such file" % rec.data)
    if os.path.isdir(rec.data):
        raise UsageError("%s is a directory, not a recording" % rec.data)
    if not os.access(rec.data, os.R_OK):
        raise UsageError("cannot read %s: permission denied" % rec.data)
    return rec


def source_chain(tb, rec, offset=0, length=0):
    """mmap_file_source and the conversion of integer formats to complex (full scale
    +-1.0: ci16 / 32768, ci8 / 128, cu8 (x - 127.5) / 128); returns the source and the
    block whose output 0 carries float (f32) or complex samples."""
    from gnuradio import blocks, streamproc

    try:
        src = streamproc.mmap_file_source(rec.itemsize, rec.data, offset=offset, length=length)
    except (RuntimeError, ValueError) as e:
        raise UsageError(str(e).strip().splitlines()[-1])
    kind = rec.kind
    if kind == "ci16":
        # interleaved_*_to_complex divide by their scale argument
        conv = blocks.interleaved_short_to_complex(True, False, 32768.0)
        tb.connect(src, conv)
    elif kind == "ci8":
        conv = blocks.interleaved_char_to_complex(True, 128.0)
        tb.connect(src, conv)
    elif kind == "cu8":
        # RTL-SDR style: unsigned I/Q bytes around 127.5
        v2s = blocks.vector_to_stream(1, 2)
        u2f = blocks.uchar_to_float()
        add = blocks.add_const_ff(-127.5)
        mul = blocks.multiply_const_ff(1.0 / 128)
        deint = blocks.deinterleave(4)
        conv = blocks.float_to_complex()
        tb.connect(src, v2s, u2f, add, mul, deint)
        tb.connect((deint, 0), (conv, 0))
        tb.connect((deint, 1), (conv, 1))
    else:
        conv = src
    return src, conv
