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

static const char* __doc_gr_streamproc_ols_fir =
    R"doc(FIR filter with decimation: the output of filter.fft_filter_* / fir_filter_*.

Overlap-save, or the direct polyphase form for few taps and a large decimation (fft_size
= 0 picks; method() tells). fft_size is keyword-only: fft_filter_*'s third argument is
nthreads.

y[j] = sum_k taps[k] * x[j*D - k]. Two real frames per complex FFT for float data,
polyphase decimation (dropped outputs are never computed), automatic FFT size. Bit-identical
output for any work-call sizes; the last partial block is produced at the end of the
input. Taps change with set_taps() or a message on port "taps" (f32vector, c32vector for
ccc) at the next block boundary without losing or repeating samples. Declares a sample
delay of (ntaps-1)//2. NaN/Inf input spoils only the outputs whose window holds it.)doc";

static const char* __doc_gr_streamproc_ols_fir_make =
    R"doc(Make an overlap-save FIR filter.

Args:
    decimation: keep every decimation-th output (>= 1)
    taps: filter taps (at least one)
    fft_size: keyword-only. 0 = automatic (method and FFT size from the cost model); a
        positive FFT size (>= len(taps), a multiple of decimation) forces overlap-save;
        direct_form (-1) forces the direct polyphase form; overlap_save_auto (-2)
        overlap-save with the automatic size.)doc";

static const char* __doc_gr_streamproc_ols_fir_set_taps =
    R"doc(New taps (any count), effective at the next block boundary.)doc";

static const char* __doc_gr_streamproc_ols_fir_taps =
    R"doc(The taps in use (or the newest set).)doc";

static const char* __doc_gr_streamproc_ols_fir_fft_size =
    R"doc(The FFT size in use (0 with the direct form).)doc";

static const char* __doc_gr_streamproc_ols_fir_method =
    R"doc(The method in use: "overlap-save" or "direct".)doc";

static const char* __doc_gr_streamproc_ols_fir_decimation =
    R"doc(The decimation factor.)doc";

static const char* __doc_gr_streamproc_ols_fir_block_outputs =
    R"doc(Outputs computed per block.)doc";

static const char* __doc_gr_streamproc_ols_fir_direct_blocks =
    R"doc(Blocks filtered directly because their input held NaN or Inf.)doc";
