#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""Sample formats of recordings: SigMF datatype names and their short aliases, the
file-name conventions that tell them, and the source that reads them (the conversion
to float / complex is mmap_file_source's own)."""

import json
import os
import re

from .errors import UsageError

# short names the command line has always taken -> SigMF datatypes
ALIASES = {"f32": "rf32_le", "cf32": "cf32_le", "ci16": "ci16_le", "ci8": "ci8", "cu8": "cu8",
           "f64": "rf64_le", "cf64": "cf64_le", "ci32": "ci32_le"}
DATATYPE = re.compile(r"^([cr])(f64|f32|i32|i16|i8|u32|u16|u8)(_le|_be)?$")

# file name endings (lower case) and the formats they name, as SDR tools write them
EXTENSIONS = {
    ".f32": "rf32_le", ".rf32": "rf32_le", ".float": "rf32_le", ".fc32": "cf32_le",
    ".cf32": "cf32_le", ".cfile": "cf32_le", ".complex": "cf32_le",
    ".cs16": "ci16_le", ".ci16": "ci16_le", ".sc16": "ci16_le", ".complex32s": "ci16_le",
    ".cs8": "ci8", ".ci8": "ci8", ".sc8": "ci8", ".complex16s": "ci8", ".cu8": "cu8",
    ".cs32": "ci32_le", ".cf64": "cf64_le",
}
SIGMF_ENDINGS = (".sigmf-meta", ".sigmf-data", ".sigmf")


def canonical(kind):
    """A SigMF datatype for `kind` (a datatype or a short alias), or UsageError."""
    name = ALIASES.get(kind, kind)
    m = DATATYPE.match(name or "")
    if not m:
        raise UsageError("unknown sample format %r: give a SigMF datatype ((c|r)(f32|f64|i32|i16|i8|u32|u16|u8)"
                         "(_le|_be), e.g. cu8, ci16_le) or one of %s" % (kind, ", ".join(sorted(ALIASES))))
    if m.group(2) not in ("i8", "u8") and not m.group(3):
        name += "_le"
    if m.group(2) in ("i8", "u8"):
        name = m.group(1) + m.group(2)
    return name


def type_names():
    """What --type accepts, for the help."""
    return "a SigMF datatype (cu8, ci8, ci16_le, ci16_be, cf32_le, rf32_le, ...) or %s" % ", ".join(sorted(ALIASES))


class Recording:
    """What to read: the file, its sample format (a SigMF datatype), where the format
    came from, the sample rate when the file states it (SigMF), and the SigMF metadata
    (JSON text, "" for a raw file)."""

    def __init__(self, path, kind, how, rate=None, metadata=""):
        self.path, self.kind, self.how, self.rate, self.metadata = path, kind, how, rate, metadata

    @property
    def lsb(self):
        """One step of an integer format after the source's scaling (8 bits: 1/128,
        16 bits: 1/32768, ...), None for floats."""
        m = DATATYPE.match(self.kind)
        if m.group(2).startswith("f"):
            return None
        return 2.0 ** (1 - int(m.group(2)[1:]))

    @property
    def is_sigmf(self):
        return self.path.endswith(SIGMF_ENDINGS)

    @property
    def is_complex(self):
        return self.kind.startswith("c")

    @property
    def itemsize(self):
        """Bytes of one sample in the file (one channel)."""
        bits = int(re.search(r"(\d+)", self.kind).group(1))
        return bits // 8 * (2 if self.is_complex else 1)

    @property
    def data_path(self):
        """The file holding the samples (for sizes and SigMF core:dataset)."""
        if self.path.endswith(".sigmf-meta"):
            doc = json.loads(self.metadata) if self.metadata else {}
            ds = doc.get("global", {}).get("core:dataset")
            return os.path.join(os.path.dirname(self.path), ds) if ds else self.path[:-len("meta")] + "data"
        return self.path


def _check_file(path):
    if not os.path.exists(path):
        raise UsageError("cannot read %s: no such file" % path)
    if os.path.isdir(path):
        raise UsageError("%s is a directory, not a recording" % path)
    if not os.access(path, os.R_OK):
        raise UsageError("cannot read %s: permission denied" % path)


def open_recording(path, kind=None):
    """The recording at `path`: its format given (`kind`, a datatype or alias), or told
    by its name (SigMF .sigmf-meta/.sigmf-data/.sigmf, or an ending such as .cu8, .cs16,
    .cf32, .f32). SigMF metadata is read by mmap_file_source itself. Raises UsageError
    naming the problem."""
    given = canonical(kind) if kind is not None else None
    if path.endswith(SIGMF_ENDINGS):
        src = make_source(path, given)
        rate = src.sample_rate() or None
        doc = json.loads(src.metadata())
        stated = canonical(doc["global"]["core:datatype"])
        how = "SigMF core:datatype" if stated == src.format() else "--type, over SigMF core:datatype %s" % stated
        return Recording(path, src.format(), how, rate, src.metadata())
    _check_file(path)
    if given is not None:
        return Recording(path, given, "--type")
    ext = os.path.splitext(path)[1].lower()
    guess = EXTENSIONS.get(ext)
    if guess is None:
        raise UsageError("cannot tell the sample format of %s from its name: give --type (%s)"
                         % (path, type_names()))
    return Recording(path, guess, "its %s ending" % ext)


def make_source(path, kind=None, offset=0, length=0):
    """mmap_file_source reading `path` as `kind` (SigMF: from the metadata), output
    float or complex; errors become UsageError."""
    from gnuradio import streamproc

    try:  # for SigMF, a given kind overrides core:datatype (the report says so)
        return streamproc.mmap_file_source(0, path, offset=offset, length=length, format=kind or "")
    except (RuntimeError, ValueError) as e:
        raise UsageError(str(e).strip().splitlines()[-1])


def source_chain(tb, rec, offset=0, length=0):
    """The source of a recording, converting its samples itself (every SigMF format);
    returns (source, block whose output 0 carries the float/complex samples)."""
    src = make_source(rec.path, rec.kind if not rec.is_sigmf or rec.how.startswith("--type") else None,
                      offset, length)
    return src, src
