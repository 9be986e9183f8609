#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""stft() and welch(): the engine of stft_*/welch_* (stft_engine: windowed frames in
batches through one FFTW plan) over an array, memmap or path, in chunks of frames."""

import numpy as np

from ...streamproc_python import array as _engines
from .arrayio import CHUNK, Input, check_chunk, make_output, report


def window_values(window, fft_size):
    """A window of fft_size float32 values: a name or (name, parameter) tuple as
    scipy.signal.get_window takes it (periodic, scipy's default for spectra), or the
    values themselves."""
    if isinstance(window, (str, tuple)):
        import scipy.signal

        try:
            w = scipy.signal.get_window(window, fft_size)
        except ValueError as e:
            raise ValueError("window %r: %s" % (window, e)) from None
    else:
        w = np.asarray(window, dtype=np.float64)
        if w.shape != (fft_size,):
            raise ValueError("window has shape %s; fft_size %d values are needed" % (w.shape, fft_size))
    if not np.all(np.isfinite(w)):
        raise ValueError("window holds NaN or infinite values")
    return w.astype(np.float32)


def _frames(inp, fft_size, hop):
    if int(fft_size) != fft_size or fft_size < 2:
        raise ValueError("fft_size must be a whole number >= 2, got %r" % (fft_size,))
    if int(hop) != hop or hop < 1:
        raise ValueError("hop must be a whole number >= 1, got %r" % (hop,))
    fft_size, hop = int(fft_size), int(hop)
    if inp.n < fft_size:
        raise ValueError("%s has %d samples, fewer than one frame of %d" % (inp.name, inp.n, fft_size))
    return (inp.n - fft_size) // hop + 1, fft_size, hop


def _chunks(nframes, hop, chunk):
    """(first frame, frames) of each chunk: frames spanning about `chunk` samples."""
    per = max(1, check_chunk(chunk) // hop)
    for f0 in range(0, nframes, per):
        yield f0, min(per, nframes - f0)


def stft(x, fft_size, hop, window="hann", *, shift=False, onesided=True, out=None, dtype=None, format=None,
         progress=None, overwrite=False, chunk=CHUNK):
    """The short-time Fourier transform of x as the stft_cc/stft_fc blocks compute it:
    frame k is x[k*hop : k*hop + fft_size] times the window, its DFT (not normalised);
    only whole frames, (len(x) - fft_size) // hop + 1 of them. Returns a complex64
    array of shape (frames, bins): fft_size bins for complex x (FFT order, or fftshift
    order with shift=True), fft_size // 2 + 1 for real x (onesided; all fft_size with
    onesided=False). Equal to np.fft.fft(frames * window) within float32 rounding.
    window: a scipy.signal.get_window name ("hann", ("kaiser", 8), ...) or fft_size
    values. out, progress, overwrite, chunk: as fir(). Working set: one chunk of
    input (converted) and the engine's batch (a few MB)."""
    inp = Input(x, dtype, format)
    nframes, n, hop = _frames(inp, fft_size, hop)
    w = window_values(window, n)
    if inp.is_complex:
        eng = _engines.stft_frames_c(n, hop, list(w), bool(shift))
    else:
        eng = _engines.stft_frames_f(n, hop, list(w), bool(onesided))
    res = make_output(out, (nframes, eng.nbins()), np.complex64, inp, overwrite)
    flat = res.reshape(-1)
    nb = eng.nbins()
    for f0, k in _chunks(nframes, hop, chunk):
        block = inp.block(f0 * hop, f0 * hop + eng.span(k))
        eng.transform(block, k, flat[f0 * nb:(f0 + k) * nb])
        report(progress, f0 + k, nframes)
    return res


def welch(x, fft_size, hop=None, window="hann", *, navg=0, scaling="density", sample_rate=1.0, detrend=False,
          onesided=True, out=None, dtype=None, format=None, progress=None, overwrite=False, chunk=CHUNK):
    """Welch's power spectral density: the mean of |DFT(frame * window)|^2 over frames
    (frames as stft()), scaled as scipy.signal.welch scales it. Returns (freqs, psd),
    float64. For the same arguments equal to scipy.signal.welch(x, fs=sample_rate,
    window=window, nperseg=fft_size, noverlap=fft_size - hop, detrend=detrend,
    return_onesided=onesided, scaling=scaling) within float32 rounding (scipy's default
    detrend is "constant": pass detrend="constant" for it; ours is False, the welch_*
    blocks' rule).

    hop: default fft_size // 2 overlap (scipy's default). navg=0: one average over all
    frames (psd 1-D, what scipy computes); navg > 0: one average per navg frames, as
    the welch_* blocks output them (psd of shape (len(x) frames // navg, bins); frames
    after the last whole group are left out). Real x: onesided (fft_size // 2 + 1
    bins, all but DC and Nyquist doubled) unless onesided=False; complex x: fft_size
    bins in FFT order (freqs as np.fft.fftfreq). scaling: "density" (V^2/Hz:
    1 / (sample_rate * sum(w^2))) or "spectrum" (V^2: 1 / sum(w)^2). detrend: False or
    "constant" (each frame's mean taken out). Sums are kept in float64."""
    inp = Input(x, dtype, format)
    if hop is None:
        hop = int(fft_size) - int(fft_size) // 2
    nframes, n, hop = _frames(inp, fft_size, hop)
    w = window_values(window, n)
    if scaling not in ("density", "spectrum"):
        raise ValueError('scaling must be "density" or "spectrum", got %r' % (scaling,))
    if detrend not in (False, None, "constant"):
        raise ValueError('detrend must be False or "constant", got %r' % (detrend,))
    if not (np.isfinite(sample_rate) and sample_rate > 0):
        raise ValueError("sample_rate must be positive, got %r" % (sample_rate,))
    if int(navg) != navg or navg < 0:
        raise ValueError("navg must be a whole number >= 0, got %r" % (navg,))
    navg = int(navg)
    if navg > nframes:
        raise ValueError("navg %d is more than the %d frames of %s" % (navg, nframes, inp.name))
    cls = _engines.power_sum_c if inp.is_complex else _engines.power_sum_f
    eng = cls(n, hop, list(w), detrend == "constant")
    wd = w.astype(np.float64)
    scale = 1.0 / (sample_rate * np.sum(wd * wd)) if scaling == "density" else 1.0 / np.sum(wd) ** 2
    real_half = not inp.is_complex
    two_sided = inp.is_complex or not onesided
    nb = n if two_sided else eng.nbins()
    freqs = np.fft.fftfreq(n, 1.0 / sample_rate) if two_sided else np.fft.rfftfreq(n, 1.0 / sample_rate)
    per_bin = np.full(eng.nbins(), scale)
    if real_half and not two_sided:
        per_bin[1:n // 2 + (n % 2)] *= 2.0  # one-sided: all but DC (and Nyquist for even n)

    def finish(acc, frames):
        p = acc * per_bin / frames
        if real_half and two_sided:  # the other half of a real input's spectrum
            p = np.concatenate([p, p[1:n - n // 2][::-1]])
        return p

    acc = np.zeros(eng.nbins())
    groups = nframes // navg if navg else 1
    res = make_output(out, (groups, nb) if navg else (nb,), np.float64, inp, overwrite)
    group_len = navg or nframes
    for g in range(groups):
        acc[:] = 0.0
        g0 = g * group_len
        for f0, k in _chunks(group_len, hop, chunk):
            block = inp.block((g0 + f0) * hop, (g0 + f0) * hop + eng.span(k))
            eng.add(block, k, acc)
            report(progress, g0 + f0 + k, groups * group_len)
        if navg:
            res[g] = finish(acc, group_len)
        else:
            res[:] = finish(acc, group_len)
    return freqs, res
