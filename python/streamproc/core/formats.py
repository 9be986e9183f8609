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

from .errors import UsageError, usage_error_of

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
    def source_format(self):
        """The format to give mmap_file_source: a SigMF recording's own from its
        metadata (None) unless --type overrides it."""
        return self.kind if not self.is_sigmf or self.how.startswith("--type") else None

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


DETECT_WINDOW_BYTES = 2 << 20


def make_source(path, kind=None, offset=0, length=0):
    """mmap_file_source reading `path` as `kind` (SigMF: from the metadata), output
    float or complex; errors become UsageError."""
    from ..streamproc_python import mmap_file_source

    try:  # for SigMF, a given kind overrides core:datatype (the report says so)
        # a 2 MiB window (the block's default is 4): 1-2 MB less peak RSS for the
        # command, the same speed within the noise on the demo's recording
        return mmap_file_source(0, path, offset=offset, length=length, format=kind or "",
                                window_bytes=DETECT_WINDOW_BYTES)
    except (RuntimeError, ValueError) as e:
        raise usage_error_of(e)


def source_chain(tb, rec, offset=0, length=0):
    """The source of a recording, converting its samples itself (every SigMF format);
    returns (source, block whose output 0 carries the float/complex samples)."""
    src = make_source(rec.path, rec.source_format, offset, length)
    return src, src


def recording_info(path, kind=None):
    """A dict: format, where it came from, rate, channels, samples, duration, captures,
    annotations, size, for a raw file or a SigMF recording (`streamproc info`)."""
    rec = open_recording(path, kind)
    src = make_source(rec.path, None if rec.is_sigmf else rec.kind)
    doc = json.loads(rec.metadata) if rec.metadata else {}
    g = doc.get("global", {})
    samples = src.size()
    return {"file": path, "data": rec.data_path, "format": rec.kind, "format_from": rec.how,
            "complex": rec.is_complex, "sample_rate": rec.rate, "channels": g.get("core:num_channels", 1),
            "samples": samples, "duration_s": samples / rec.rate if rec.rate else None,
            "data_bytes": os.path.getsize(rec.data_path) if os.path.exists(rec.data_path) else None,
            "captures": doc.get("captures", []), "annotations": len(doc.get("annotations", [])),
            "global": g}


def sigmf_annotations(rec):
    """(start, count, label) of the recording's own SigMF annotations."""
    if not rec.metadata:
        return []
    doc = json.loads(rec.metadata)
    return [(a.get("core:sample_start", 0), a.get("core:sample_count", 0), a.get("core:label", ""))
            for a in doc.get("annotations", []) if isinstance(a, dict)]
