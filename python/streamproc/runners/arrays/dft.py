#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""fft(): the exact DFT of a whole input, in memory or out of core (the four-step
algorithm over a scratch file; lib/array.cc)."""

import os

import numpy as np

from ...core.errors import UsageError
from ...core.options import parse_size
from ...streamproc_python import array as _engines
from .arrayio import Input, make_output, scratch_array


def memory_bytes(max_memory):
    """Bytes from an int or a size text ("64M", "1G"); ValueError naming it."""
    if isinstance(max_memory, (int, np.integer)) and not isinstance(max_memory, bool):
        if max_memory < 1:
            raise ValueError("max_memory must be at least one byte, got %d" % max_memory)
        return int(max_memory)
    try:
        return parse_size(max_memory, "max_memory")
    except UsageError as e:
        raise ValueError(str(e)) from None


def layout(n, max_memory="64M"):
    """How fft() transforms n points within max_memory: a dict with in_memory, n1, n2
    (the split n = n1 * n2), columns and rows per block, passes over the data."""
    return _engines.plan_fft(int(n), memory_bytes(max_memory))


def fft_with_layout(x, *, out=None, inverse=False, scratch_dir=None, max_memory="64M", dtype=None, format=None,
                    progress=None, overwrite=False):
    """fft(), also returning the layout it used (see layout())."""
    inp = Input(x, dtype, format)
    mem = memory_bytes(max_memory)
    lay = _engines.plan_fft(inp.n, mem)  # ValueError for a length with a factor above 7
    raw, reader = inp.raw_reader()
    if scratch_dir is None and isinstance(out, (str, os.PathLike)):
        scratch_dir = os.path.dirname(os.path.abspath(os.fspath(out)))
    res = make_output(out, (inp.n,), np.complex64, inp, overwrite)
    scratch = None if lay["in_memory"] else scratch_array(inp.n, np.complex64, scratch_dir)
    try:
        lay = _engines.fft(raw, reader, inp.n, res.reshape(-1), scratch, bool(inverse), mem, progress)
    finally:
        del scratch  # the unnamed scratch file goes with its mapping
    if isinstance(res, np.memmap):
        res.flush()
    return res, lay


def fft(x, *, out=None, inverse=False, scratch_dir=None, max_memory="64M", dtype=None, format=None, progress=None,
        overwrite=False):
    """The exact DFT of the whole input (complex64 out): equal to
    numpy.fft.fft(x.astype(complex128)) within float32 rounding (relative RMS error
    about 2e-7), inverse=True: numpy.fft.ifft (with its 1/n). Lengths whose prime
    factors are 2, 3, 5 and 7 (others: ValueError naming the factor and the next
    such length to zero-pad to).

    In memory when n * 8 bytes fit max_memory (one FFTW plan over out). Otherwise out
    of core: the four-step algorithm, n = n1 * n2 (n1 about sqrt(n)), two passes over
    the data (each reads it once and writes it once: the input read into a scratch file
    of n * 8 bytes, then the scratch read into out), working arrays within max_memory.
    For an input larger than RAM give out= a path (a new file; an existing one only
    with overwrite=True). scratch_dir: where the scratch file goes (default: out's
    directory, else the system's temporary directory); it is unlinked at once, so it
    goes when the call ends, also after a crash. max_memory: bytes or "64M"."""
    return fft_with_layout(x, out=out, inverse=inverse, scratch_dir=scratch_dir, max_memory=max_memory,
                           dtype=dtype, format=format, progress=progress, overwrite=overwrite)[0]
