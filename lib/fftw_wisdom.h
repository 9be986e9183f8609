/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_STREAMPROC_FFTW_WISDOM_H
#define INCLUDED_STREAMPROC_FFTW_WISDOM_H

#include <gnuradio/fft/fft.h>

namespace gr {
namespace streamproc {

/*!
 * GNU Radio keeps FFTW's wisdom in a file (~/.gr_fftw_wisdom in 3.10) that it reads
 * before and rewrites after planning any of its transforms, under its own locks, with
 * all the wisdom FFTW holds in the process. Our engines plan some transforms directly
 * (fftwf_plan_many_dft with FFTW_MEASURE); calling this before planning loads the
 * wisdom of earlier runs, and after planning saves ours, so a size is measured once per
 * machine rather than once per run (a 2^20-point plan takes seconds to measure). It
 * does so by planning a 2-point GNU Radio transform. Call without holding
 * gr::fft::planner::mutex().
 */
inline void sync_fftw_wisdom() { gr::fft::fft_complex_rev sync(2); }

} // namespace streamproc
} // namespace gr

#endif /* INCLUDED_STREAMPROC_FFTW_WISDOM_H */
