/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "pydoc_macros.h"
#define D(...) DOC(gr, streamproc, __VA_ARGS__)
/*
  Docstrings for the Python bindings. With Doxygen installed they are regenerated
  from the header during the build; without it this text is used as it is.
 */

static const char* __doc_gr_streamproc_welch =
    R"doc(Welch power spectra: mean |X|**2 of navg frames, scaled like scipy.signal.welch.

welch_cf: complex input, fft_size bins (FFT order, or fftshift order with shift).
welch_ff: real input, fft_size//2+1 bins (all but DC and Nyquist doubled) when onesided.)doc";

static const char* __doc_gr_streamproc_welch_make = R"doc(Make the block.

Args:
    fft_size: samples per frame and FFT size (>= 2)
    hop: samples between frame starts (>= 1; < fft_size overlaps, > fft_size skips)
    window: fft_size window values, e.g. fft.window.hann(fft_size)
    navg: frames averaged per output vector (>= 1; 1 = power spectrogram)
    scaling: "density" (V**2/Hz, / (sample_rate * sum(w**2))) or "spectrum" (V**2, / sum(w)**2)
    sample_rate: samples per second
    shift (welch_cf): fftshift order, default False
    onesided (welch_ff): fft_size//2+1 bins, default True
    db: 10*log10 of the power)doc";

static const char* __doc_gr_streamproc_welch_set_window =
    R"doc(New window (fft_size values), effective from the next frame; thread-safe.)doc";

static const char* __doc_gr_streamproc_welch_window = R"doc(The window in use.)doc";

static const char* __doc_gr_streamproc_welch_fft_size =
    R"doc(Samples per frame (FFT size).)doc";

static const char* __doc_gr_streamproc_welch_hop =
    R"doc(Samples from one frame start to the next.)doc";

static const char* __doc_gr_streamproc_welch_vlen = R"doc(Values per output vector.)doc";
