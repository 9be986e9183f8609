#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""What the array functions read and write: a 1-D numpy array, an np.memmap or a path
in, an array, a memmap or a path out, read in chunks at fixed memory.

Conversion (docs/array.md): float32 and complex64 arrays are read as they are (no
copy when C-contiguous); other numeric arrays by value (as `x.astype(np.float32)` or
`np.complex64`, one chunk at a time); a path as `detect` reads it (the format from the
name or SigMF metadata, SigMF scaling: cu8 -> (x - 127.5) / 128, ci16 -> x / 32768);
`format=` overrides the format (a SigMF datatype or alias), `dtype=` reads the file as
that numpy dtype, by value (as np.fromfile(path, dtype))."""

import os
import tempfile

import numpy as np

from ...core.errors import UsageError
from ...core.formats import open_recording
from ...streamproc_python import array as _engines

CHUNK = 1 << 18  # samples per chunk (1 MiB of float32, 2 MiB of complex64)

# numpy dtypes read by value through the C++ reader: SigMF datatype, scale, offset
_BY_VALUE = {
    "f4": ("rf32", 1.0, 0.0), "f8": ("rf64", 1.0, 0.0), "c8": ("cf32", 1.0, 0.0), "c16": ("cf64", 1.0, 0.0),
    "i1": ("ri8", 128.0, 0.0), "i2": ("ri16", 32768.0, 0.0), "i4": ("ri32", 2.0 ** 31, 0.0),
    "u1": ("ru8", 128.0, 127.5), "u2": ("ru16", 32768.0, 32767.5), "u4": ("ru32", 2.0 ** 31, 2.0 ** 31 - 0.5),
}


def _datatype_of(dtype):
    """(SigMF datatype, scale, offset) reading `dtype` by value."""
    code = "%s%d" % (dtype.kind, dtype.itemsize)
    if code not in _BY_VALUE:
        raise ValueError("cannot read dtype %s: give real or complex numbers (float32, complex64, int16, ...)"
                         % dtype)
    name, scale, offset = _BY_VALUE[code]
    if dtype.itemsize > 1 or dtype.kind in "fc":
        name += "_be" if dtype.byteorder == ">" or (dtype.byteorder == "=" and np.little_endian is False) else "_le"
    return name, scale, offset


class Input:
    """A 1-D input of n samples, read in chunks as float32 (real) or complex64.

    block(start, stop) returns samples [start, stop) as a C-contiguous array: a view of
    the input when it already is float32/complex64 in memory order, else converted
    into a buffer of this object's (reused: valid until the next call)."""

    def __init__(self, x, dtype=None, format=None, name="x"):
        self.name = name
        self.path = None
        self.from_path = isinstance(x, (str, os.PathLike))
        self.metadata = ""
        self.rate = None
        self.recording = None  # a path's Recording (open_recording), when typed by name/SigMF
        if isinstance(x, (str, os.PathLike)):
            self._open_path(os.fspath(x), dtype, format)
        else:
            if format is not None:
                raise ValueError("format= is for paths; %s is an array (use dtype= or x.astype())" % name)
            self._open_array(x, dtype)
        if self.n == 0:
            raise ValueError("%s is empty: nothing to process" % name)
        self.is_complex = self.reader.is_complex() if self.reader is not None else np.iscomplexobj(self.array)
        self.dtype = np.dtype(np.complex64 if self.is_complex else np.float32)
        self._buf = None

    def _open_array(self, x, dtype):
        a = np.asanyarray(x)
        if dtype is not None:
            raise ValueError("dtype= is for paths; convert an array with %s.astype()" % self.name)
        if a.ndim != 1:
            raise ValueError("%s is %d-D (shape %s): give a 1-D array (one channel, e.g. x[:, 0], or x.ravel())"
                             % (self.name, a.ndim, a.shape))
        if a.dtype.kind not in "fciu":
            raise ValueError("%s has dtype %s: give real or complex numbers (float32, complex64, int16, ...)"
                             % (self.name, a.dtype))
        self.array, self.n = a, a.shape[0]
        self.native = a.dtype in (np.float32, np.complex64) and a.dtype.isnative and a.flags.c_contiguous
        self.reader = None
        filename = getattr(a, "filename", None)
        self.path = os.path.realpath(filename) if filename else None
        if a.flags.c_contiguous:
            self.raw = a.reshape(-1).view(np.uint8)
            self.reader = _engines.sample_reader(*_datatype_of(a.dtype))
            self.is_complex = self.reader.is_complex()
        if self.native:
            self.reader = None  # blocks are views

    def _open_path(self, path, dtype, format):
        if dtype is not None and format is not None:
            raise ValueError("give dtype= or format=, not both")
        if dtype is not None:
            if not os.path.isfile(path):
                raise FileNotFoundError("cannot read %s: no such file" % path)
            dt = np.dtype(dtype)
            name, scale, offset = _datatype_of(dt)
            data = path
        else:
            try:
                rec = open_recording(path, format)
            except UsageError as e:
                if not os.path.exists(path):
                    raise FileNotFoundError(str(e)) from None
                raise ValueError(str(e)) from None
            name, scale, offset, data = rec.kind, 1.0, 0.0, rec.data_path
            self.metadata, self.rate, self.recording = rec.metadata, rec.rate, rec
        self.path = os.path.realpath(data)
        self.reader = _engines.sample_reader(name, scale, offset)
        fb = self.reader.file_bytes()
        size = os.path.getsize(data)
        self.n = size // fb
        self.raw = np.memmap(data, np.uint8, "r", shape=(self.n * fb,)) if self.n else np.zeros(0, np.uint8)
        self.native = (name in ("rf32_le", "cf32_le") and np.little_endian)
        if self.native:
            self.array = self.raw.view(np.complex64 if name.startswith("c") else np.float32)
            self.reader = None
        else:
            self.array = None

    def block(self, start, stop):
        """Samples [start, stop) (stop clipped to n) as float32/complex64."""
        stop = min(stop, self.n)
        if self.native:
            return self.array[start:stop]
        if self.reader is None:  # a strided array: numpy's conversion, by value
            return np.ascontiguousarray(self.array[start:stop], dtype=self.dtype)
        k = stop - start
        if self._buf is None or self._buf.shape[0] < k:
            self._buf = np.empty(max(k, CHUNK), self.dtype)
        fb = self.reader.file_bytes()
        out = self._buf[:k]
        self.reader.read(self.raw[start * fb:stop * fb], out)
        return out

    def raw_reader(self):
        """(the stored bytes, the C++ reader of them) for engines that read the input
        themselves (fft)."""
        if self.native:
            name = "cf32_le" if self.is_complex else "rf32_le"
            return self.array.view(np.uint8), _engines.sample_reader(name)
        if self.reader is None:
            raise ValueError("%s is not contiguous in memory: give np.ascontiguousarray(%s)" % (self.name, self.name))
        return self.raw, self.reader


def check_chunk(chunk):
    """chunk= as a whole number of samples >= 1; ValueError otherwise."""
    if int(chunk) != chunk or chunk < 1:
        raise ValueError("chunk must be a whole number of samples >= 1, got %r" % (chunk,))
    return int(chunk)


def as_input(x, dtype=None, format=None):
    """x as an Input (an Input already made is taken as it is)."""
    return x if isinstance(x, Input) else Input(x, dtype, format)


def check_finite_taps(taps, name="taps"):
    """taps as a 1-D float32 or complex64 array; ValueError naming the problem."""
    t = np.asarray(taps)
    if t.ndim != 1 or t.shape[0] == 0:
        raise ValueError("%s must be a non-empty 1-D sequence, got shape %s" % (name, t.shape))
    if t.dtype.kind not in "fciu":
        raise ValueError("%s must be numbers, got dtype %s" % (name, t.dtype))
    if not np.all(np.isfinite(t)):
        bad = int(np.flatnonzero(~np.isfinite(t))[0])
        raise ValueError("%s[%d] is %s: every tap must be finite" % (name, bad, t[bad]))
    return t.astype(np.complex64 if np.iscomplexobj(t) else np.float32)


def _preallocate(path, nbytes):
    """A new file of nbytes, its blocks reserved (a full disk is an OSError now, not a
    SIGBUS when a page of the mapping is written)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        if nbytes:
            os.posix_fallocate(fd, 0, nbytes)
    except OSError as e:
        os.close(fd)
        os.unlink(path)
        raise OSError(e.errno, "cannot make %s of %d bytes: %s" % (path, nbytes, e.strerror)) from None
    return fd


def make_output(out, shape, dtype, inp, overwrite=False):
    """The array to write a result of `shape` and `dtype` into: new (out None), the
    user's array (checked), or a new file at the path `out` mapped into memory (never
    an existing file unless overwrite, never the input)."""
    dtype = np.dtype(dtype)
    if out is None:
        return np.empty(shape, dtype)
    if isinstance(out, (str, os.PathLike)):
        path = os.fspath(out)
        if inp.path is not None and os.path.exists(path) and os.path.samefile(path, inp.path):
            raise ValueError("out= %s is the input file: give another path" % path)
        if os.path.exists(path):
            if not overwrite:
                raise FileExistsError("out= %s exists: give overwrite=True to replace it" % path)
            if os.path.isdir(path):
                raise IsADirectoryError("out= %s is a directory" % path)
            os.unlink(path)
        parent = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(parent):
            raise FileNotFoundError("out= %s: the directory %s does not exist" % (path, parent))
        nbytes = int(np.prod(shape)) * dtype.itemsize
        fd = _preallocate(path, nbytes)
        os.close(fd)
        if nbytes == 0:
            return np.zeros(shape, dtype)
        return np.memmap(path, dtype, "r+", shape=shape)
    a = out
    if not isinstance(a, np.ndarray):
        raise ValueError("out= must be None, a numpy array or a path, got %s" % type(out).__name__)
    if a.dtype != dtype:
        raise ValueError("out= has dtype %s; this result is %s" % (a.dtype, dtype))
    if a.shape != tuple(shape):
        raise ValueError("out= has shape %s; this result has shape %s" % (a.shape, tuple(shape)))
    if not a.flags.c_contiguous or not a.flags.writeable:
        raise ValueError("out= must be C-contiguous and writeable")
    if inp.array is not None and np.shares_memory(a, inp.array):
        raise ValueError("out= shares memory with the input: give a separate array")
    if getattr(a, "filename", None) and inp.path and os.path.samefile(a.filename, inp.path):
        raise ValueError("out= is a memmap of the input file: give another file")
    return a


def scratch_file(nbytes, directory):
    """An open file of nbytes in `directory`, already unlinked (it goes when the fd is
    closed, also after a crash), its blocks reserved; returns the fd."""
    directory = directory or tempfile.gettempdir()
    if not os.path.isdir(directory):
        raise FileNotFoundError("scratch_dir %s is not a directory" % directory)
    fd, path = tempfile.mkstemp(prefix="streamproc-scratch-", dir=directory)
    os.close(fd)
    os.unlink(path)
    fd = _preallocate(path, nbytes)
    os.unlink(path)
    return fd


def report(progress, done, total):
    if progress is not None:
        progress(done, total)
