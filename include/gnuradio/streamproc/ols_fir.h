/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_STREAMPROC_OLS_FIR_H
#define INCLUDED_STREAMPROC_OLS_FIR_H

#include <gnuradio/block.h>
#include <gnuradio/gr_complex.h>
#include <gnuradio/streamproc/api.h>
#include <string>
#include <vector>

namespace gr {
namespace streamproc {

/*!
 * \brief Overlap-save FFT FIR filter with decimation, for the jobs of
 * filter.fft_filter_fff / _ccc / _ccf and fir_filter_* (not a drop-in by position:
 * fft_size is keyword-only in Python, where fft_filter_* takes nthreads).
 * \ingroup streamproc
 *
 * \details
 * Output j is y[j] = sum_k taps[k] * x[j*D - k], exactly as fft_filter_* and
 * fir_filter_* compute it from the same decimation and taps. Overlap-save
 * with set_history() (no tail to add, no zero fill); ols_fir_fff packs two real
 * frames into one complex FFT; FFTW plans made once. With decimation D each frame is
 * split into its D polyphase components (D strided FFTs of N/D points), multiplied by
 * the polyphase tap spectra, summed and inverse transformed with an FFT D times
 * smaller, so the outputs that decimation drops are never computed. fft_size = 0 picks
 * the FFT size with the lowest modelled cost per output for the tap count and
 * decimation (see docs/ols_fir.md).
 *
 * For few taps and a large decimation the time domain is cheaper than any FFT:
 * fft_size = 0 chooses between overlap-save and the direct polyphase form (only the
 * kept outputs: with real taps and AVX2 eight outputs at a time over the taps loaded
 * once, otherwise one VOLK dot product per output as fir_filter_* computes it; with
 * D = 1 and few taps a loop over the block per tap) from a
 * cost model per type, tap count and decimation; method() tells which, and the
 * choice is logged at debug level. Both give the same outputs (to rounding).
 *
 * Blocks of outputs are laid out from the start of the stream whatever the work-call
 * sizes, so tiny and huge work calls give bit-identical output, and the last,
 * partial block is produced when the input ends.
 *
 * New taps (set_taps() or a message on port "taps": f32vector, or c32vector for
 * ols_fir_ccc) take effect at the next block boundary; the output stays continuous
 * (no sample lost or repeated) and the tap count may change. The block declares a
 * sample delay of (ntaps-1)/2, the group delay of a linear-phase filter, so tags
 * stay on the samples they describe; override with declare_sample_delay().
 *
 * A NaN or Inf in the input spoils only the outputs whose window contains it.
 */
template <class T, class TAP_T>
class STREAMPROC_API ols_fir : virtual public gr::block
{
public:
    using sptr = std::shared_ptr<ols_fir<T, TAP_T>>;

    /*!
     * \param decimation keep every decimation-th output (>= 1)
     * \param taps filter taps (at least one)
     * \param fft_size 0 (automatic): the cheaper method and FFT size from the cost
     *        model; a positive size: overlap-save with that FFT size (at least the tap
     *        count and a multiple of the decimation); direct_form (-1): the direct
     *        polyphase form; overlap_save_auto (-2): overlap-save with the automatic
     *        size. Keyword-only in Python (fft_filter_*'s third argument is nthreads).
     */
    static sptr make(int decimation, const std::vector<TAP_T>& taps, int fft_size = 0);

    //! New taps (any count); effective at the next block boundary. Throws
    //! std::invalid_argument for empty taps, or taps that do not fit a given fft_size.
    virtual void set_taps(const std::vector<TAP_T>& taps) = 0;
    //! The taps in use, or the new ones once set_taps() has been called.
    virtual std::vector<TAP_T> taps() const = 0;
    //! fft_size value that forces the direct polyphase form.
    static constexpr int direct_form = -1;
    //! fft_size value that forces overlap-save with the automatic FFT size.
    static constexpr int overlap_save_auto = -2;

    //! The FFT size in use (0 with the direct form).
    virtual int fft_size() const = 0;
    //! The method in use: "overlap-save" or "direct".
    virtual std::string method() const = 0;
    virtual int decimation() const = 0;
    //! Outputs computed per FFT block.
    virtual int block_outputs() const = 0;
    //! Blocks computed by direct convolution because their input held NaN or Inf.
    virtual unsigned long long direct_blocks() const = 0;
};

using ols_fir_fff = ols_fir<float, float>;
using ols_fir_ccc = ols_fir<gr_complex, gr_complex>;
using ols_fir_ccf = ols_fir<gr_complex, float>;

} // namespace streamproc
} // namespace gr

#endif /* INCLUDED_STREAMPROC_OLS_FIR_H */
