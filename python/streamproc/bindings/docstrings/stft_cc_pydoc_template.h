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

static const char* __doc_gr_streamproc_stft_cc =
    R"doc(Short-time Fourier transform of a complex stream: one vector of fft_size bins per frame (unnormalised DFT of the windowed frame).)doc";

static const char* __doc_gr_streamproc_stft_cc_make = R"doc(Make the block.

Args:
    fft_size: samples per frame and FFT size (>= 2)
    hop: samples between frame starts (>= 1; < fft_size overlaps, > fft_size skips)
    window: fft_size window values, e.g. fft.window.hann(fft_size)
    shift: output in fftshift order (negative frequencies first))doc";

static const char* __doc_gr_streamproc_stft_cc_set_window =
    R"doc(New window (fft_size values), effective from the next frame; thread-safe.)doc";

static const char* __doc_gr_streamproc_stft_cc_window = R"doc(The window in use.)doc";

static const char* __doc_gr_streamproc_stft_cc_fft_size =
    R"doc(Samples per frame (FFT size).)doc";

static const char* __doc_gr_streamproc_stft_cc_hop =
    R"doc(Samples from one frame start to the next.)doc";

static const char* __doc_gr_streamproc_stft_cc_vlen =
    R"doc(Values per output vector.)doc";
