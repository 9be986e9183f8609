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
from .arrayio import as_input, make_output, scratch_file


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


def _no_progress(done, total):
    pass


def _to_file(out):
    return isinstance(out, (str, os.PathLike)) or isinstance(out, np.memmap)


def fft_with_layout(x, *, out=None, inverse=False, scratch_dir=None, max_memory="64M", dtype=None, format=None,
                    progress=None, overwrite=False):
    """fft(), also returning the layout it used (see layout())."""
    inp = as_input(x, dtype, format)
    mem = memory_bytes(max_memory)
    n = inp.n
    file_out = _to_file(out)
    lay = _engines.plan_fft(n, mem, not file_out)  # ValueError: a factor above 7, too little memory
    # a file out: computed in memory when the result and the transform's arrays fit (then
    # written once, in order), else out of core straight into the file
    temp = file_out and 2 * n * 8 <= mem and _engines.plan_fft(n, mem - n * 8, True)["in_memory"]
    mem_c = mem - n * 8 if temp else mem
    raw, reader = inp.raw_reader()
    if scratch_dir is None and isinstance(out, (str, os.PathLike)):
        scratch_dir = os.path.dirname(os.path.abspath(os.fspath(out)))
    res = make_output(out, (n,), np.complex64, inp, overwrite)
    target = np.empty(n, np.complex64) if temp else (None if file_out else res.reshape(-1))
    fds = []
    try:
        src, src_fd = raw, -1
        if inp.from_path:  # read with pread: faults on a mapping of the input cost a third of a pass
            src, src_fd = None, os.open(inp.path, os.O_RDONLY)
            fds.append(src_fd)
        out_fd, offset = -1, 0
        if target is None:
            out_fd = os.open(res.filename, os.O_RDWR)
            fds.append(out_fd)
            offset = res.offset
        scratch_fd = -1
        if not temp and not lay["in_memory"]:
            scratch_fd = scratch_file(n * 8, scratch_dir)
            fds.append(scratch_fd)
        # always a callback: Python runs between blocks, so Ctrl-C (KeyboardInterrupt)
        # stops the transform there
        lay = _engines.fft(src, src_fd, 0, reader, n, target, out_fd, offset, scratch_fd, bool(inverse), mem_c,
                           progress or _no_progress)
    finally:
        for fd in fds:
            os.close(fd)
    if temp:
        step = 1 << 20
        for i in range(0, n, step):
            res[i:i + step] = target[i:i + step]
        del target
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

    In memory when the result and the working arrays fit max_memory: one FFTW plan
    over the result (up to 2^20 points, or when only the result fits), else the
    four-step algorithm in two passes in the result itself (cache-sized blocks, then
    an in-place transpose; 1.3x FFTW's estimated single plan at 2^24). Otherwise out of core: the four-step
    algorithm in three passes over the data (each reads it once and writes it once: the
    result file and a scratch file of n * 8 bytes take turns, read and written with
    O_DIRECT around the page cache where the file system has it), working arrays within
    max_memory. With out= a file and a transform in memory, the result
    is computed in memory and written to the file once, in order.
    For an input larger than RAM give out= a path (a new file; an existing one only
    with overwrite=True). scratch_dir: where the scratch file goes (default: out's
    directory, else the system's temporary directory); it is unlinked at once, so it
    goes when the call ends, also after a crash. max_memory: bytes or "64M"."""
    return fft_with_layout(x, out=out, inverse=inverse, scratch_dir=scratch_dir, max_memory=max_memory,
                           dtype=dtype, format=format, progress=progress, overwrite=overwrite)[0]
