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

static const char* __doc_gr_streamproc_stft =
    R"doc(Short-time Fourier transform: one vector of bins per frame (unnormalised DFT of the windowed frame), frame k at sample k*hop.

stft_cc: complex input, fft_size bins (FFT order, or fftshift order with shift).
stft_fc: real input, fft_size//2+1 bins when onesided, else all fft_size bins.)doc";

static const char* __doc_gr_streamproc_stft_make = R"doc(Make the block.

Args:
    fft_size: samples per frame and FFT size (>= 2)
    hop: samples between frame starts (>= 1; < fft_size overlaps, > fft_size skips)
    window: fft_size window values, e.g. fft.window.hann(fft_size)
    shift (stft_cc): output in fftshift order (negative frequencies first), default False
    onesided (stft_fc): fft_size//2+1 bins (the others are their conjugates), default True)doc";

static const char* __doc_gr_streamproc_stft_set_window =
    R"doc(New window (fft_size values), effective from the next frame; thread-safe.)doc";

static const char* __doc_gr_streamproc_stft_window = R"doc(The window in use.)doc";

static const char* __doc_gr_streamproc_stft_fft_size =
    R"doc(Samples per frame (FFT size).)doc";

static const char* __doc_gr_streamproc_stft_hop =
    R"doc(Samples from one frame start to the next.)doc";

static const char* __doc_gr_streamproc_stft_vlen = R"doc(Values per output vector.)doc";
