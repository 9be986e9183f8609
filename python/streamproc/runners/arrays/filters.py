#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""fir() and convolve(): the engine of ols_fir_* (ols_engine, overlap-save with the
polyphase form or the direct form) over an array, memmap or path, in chunks."""

import numpy as np

from ...streamproc_python import array as _engines
from .arrayio import CHUNK, Input, check_chunk, check_finite_taps, make_output, report


def _stream(taps, is_complex, decimation, method):
    if int(decimation) != decimation or decimation < 1:
        raise ValueError("decimation must be a whole number >= 1, got %r" % (decimation,))
    if method not in ("auto", "fft", "direct"):
        raise ValueError('method must be "auto", "fft" or "direct", got %r' % (method,))
    cls = _engines.fir_stream_c if is_complex else _engines.fir_stream_f
    return cls(list(taps), int(decimation), method)


def _run(inp, stream, tail_zeros, progress, chunk, out, skip):
    """Filters the input followed by `tail_zeros` zeros and writes outputs [skip, skip +
    len(out)) of the stream into out: straight from the engine where a call's outputs
    all fall inside, else through a buffer. Returns the outputs written."""
    dtype = np.complex64 if stream.__class__ is _engines.fir_stream_c else np.float32
    chunk = check_chunk(chunk)
    per = stream.chunk() // stream.decimation()
    buf = None
    length = out.shape[0]
    total = inp.n + tail_zeros
    state = {"pos": 0, "written": 0}

    def emit(k, call):
        pos = state["pos"]
        if k and pos >= skip and pos + k <= skip + length:
            got = call(out[pos - skip:pos - skip + k])
        else:
            nonlocal buf
            if buf is None:
                buf = np.empty((chunk // stream.chunk() + 2) * per + 2, dtype)
            got = call(buf[:max(k, 1)])
            a, b = max(skip - pos, 0), min(skip + length - pos, got)
            if b > a:
                out[pos + a - skip:pos + b - skip] = buf[a:b]
        state["pos"] += got

    done = 0
    zeros = np.zeros(min(chunk, tail_zeros), dtype) if tail_zeros else None
    while done < total:
        if done < inp.n:
            x = inp.block(done, min(done + chunk, inp.n))
            if x.dtype != dtype:
                x = x.astype(dtype)
        else:
            x = zeros[:min(chunk, total - done)]
        emit(stream.outputs_for(x.shape[0]), lambda o: stream.process(x, o))
        done += x.shape[0]
        report(progress, done, total)
    emit(stream.remaining(), stream.finish)
    return min(max(state["pos"] - skip, 0), length)


def fir(x, taps, decimation=1, *, out=None, method="auto", dtype=None, format=None, progress=None,
        overwrite=False, chunk=CHUNK):
    """The FIR filter `taps` applied to x and decimated: equal (within float32 rounding)
    to scipy.signal.lfilter(taps, 1, x)[::decimation], ceil(len(x) / decimation)
    outputs; complex64 when x or the taps are complex, else float32.

    x: 1-D array, np.memmap or path (docs/array.md: formats and conversion). out: None
    (a new array), an array of the result's shape and dtype, or a path (a new file; an
    existing one only with overwrite=True). method: "auto" (the cost model's choice),
    "fft" (overlap-save) or "direct". progress(done, total): after each chunk.
    chunk: samples read (and converted) at a time; the result does not depend on it,
    to the last bit. Working set: the filter's buffer (2^18 samples and the taps), the
    FFT arrays and one or two chunks: about 4 MB for float32 and 8 MB for complex64
    with the defaults, whatever the input's length (docs/array.md)."""
    inp = Input(x, dtype, format)
    t = check_finite_taps(taps)
    cplx = inp.is_complex or np.iscomplexobj(t)
    stream = _stream(t.astype(np.complex64) if cplx else t, cplx, decimation, method)
    n_out = -(-inp.n // int(decimation))
    res = make_output(out, (n_out,), np.complex64 if cplx else np.float32, inp, overwrite)
    got = _run(inp, stream, 0, progress, chunk, res.reshape(-1), 0)
    assert got == n_out, (got, n_out)
    return res


def convolve(x, kernel, mode="full", *, out=None, method="auto", dtype=None, format=None, progress=None,
             overwrite=False, chunk=CHUNK):
    """The convolution of x with kernel: equal (within float32 rounding) to
    np.convolve(x, kernel, mode) for mode "full" (len(x) + len(kernel) - 1 samples),
    "same" (max of the lengths, centred as numpy centres it) and "valid" (max - min + 1);
    scipy.signal.oaconvolve gives the same for len(x) >= len(kernel). A kernel longer
    than x is swapped with it (convolution commutes), as numpy does. Other arguments as
    fir()."""
    if mode not in ("full", "same", "valid"):
        raise ValueError('mode must be "full", "same" or "valid", got %r' % (mode,))
    inp = Input(x, dtype, format)
    k = check_finite_taps(kernel, "kernel")
    n, m = inp.n, k.shape[0]
    if m > n:  # numpy's rule: the longer one is the signal
        small = inp.block(0, n).copy()
        if not np.all(np.isfinite(small)):
            raise ValueError("x holds NaN or infinite values and is shorter than the kernel (it would be the taps)")
        inp, k = Input(k), small
        n, m = m, n
    cplx = inp.is_complex or np.iscomplexobj(k)
    stream = _stream(k.astype(np.complex64) if cplx else k, cplx, 1, method)
    skip, length = {"full": (0, n + m - 1), "same": ((m - 1) // 2, n), "valid": (m - 1, n - m + 1)}[mode]
    res = make_output(out, (length,), np.complex64 if cplx else np.float32, inp, overwrite)
    got = _run(inp, stream, m - 1, progress, chunk, res.reshape(-1), skip)
    assert got == length, (got, length)
    return res
