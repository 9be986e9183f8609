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

static const char* __doc_gr_streamproc_stft_fc =
    R"doc(Short-time Fourier transform of a real stream (real FFTs): fft_size//2+1 bins per frame when onesided.)doc";

static const char* __doc_gr_streamproc_stft_fc_make = R"doc(Make the block.

Args:
    fft_size: samples per frame and FFT size (>= 2)
    hop: samples between frame starts (>= 1; < fft_size overlaps, > fft_size skips)
    window: fft_size window values, e.g. fft.window.hann(fft_size)
    onesided: fft_size//2+1 bins, else all fft_size)doc";

static const char* __doc_gr_streamproc_stft_fc_set_window =
    R"doc(New window (fft_size values), effective from the next frame; thread-safe.)doc";

static const char* __doc_gr_streamproc_stft_fc_window = R"doc(The window in use.)doc";

static const char* __doc_gr_streamproc_stft_fc_fft_size =
    R"doc(Samples per frame (FFT size).)doc";

static const char* __doc_gr_streamproc_stft_fc_hop =
    R"doc(Samples from one frame start to the next.)doc";

static const char* __doc_gr_streamproc_stft_fc_vlen =
    R"doc(Values per output vector.)doc";
