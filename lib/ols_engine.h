/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_STREAMPROC_OLS_ENGINE_H
#define INCLUDED_STREAMPROC_OLS_ENGINE_H

#include <gnuradio/fft/fft.h>
#include <gnuradio/gr_complex.h>
#include <gnuradio/streamproc/api.h>
#include <type_traits>
#include <volk/volk_alloc.hh>
#include <cstddef>
#include <memory>
#include <vector>

namespace gr {
namespace streamproc {

/*!
 * \brief Overlap-save FIR engine with decimation by spectral folding.
 *
 * Plain C++ (no scheduler), the engine behind ols_fir_*; T is float (real FFTs,
 * r2c/c2r) or gr_complex (complex FFTs). Output j of a stream x is
 * y[j] = sum_k h[k] x[j*D - k] (as filter.fft_filter_* and fir_filter_*).
 *
 * One FFT frame of N points gives m = floor((N-L)/D) + 1 outputs. The tap spectrum
 * is stored circularly shifted by L-1 and scaled by 1/N, so the wanted outputs sit at
 * multiples of D of the circular convolution; with D > 1 the spectrum of the product
 * is folded D times (aliasing = decimation in time) before an inverse FFT of size N/D,
 * so outputs that decimation throws away are never computed.
 *
 * Real data with real taps: two consecutive frames are packed into the real and
 * imaginary parts of one complex FFT (the filter is real, so the two results come
 * back in the real and imaginary parts of the output untouched). A complex FFT costs
 * much less than two real ones here, and no r2c/c2r post-processing is needed. A
 * block is then two frames: M = 2m outputs.
 *
 * A block reads block_inputs() = (M-1)*D + L samples (L-1 of history, then new ones)
 * and gives M outputs.
 *
 * A block whose input holds NaN or Inf is computed by direct convolution instead, so
 * a bad sample spoils only the outputs whose window contains it.
 */
template <class T>
class STREAMPROC_API ols_engine
{
public:
    /*!
     * \param taps filter taps (at least one)
     * \param decimation D >= 1
     * \param fft_size N; 0 picks it with choose_fft_size(). A given N must be at
     *        least the tap count and a multiple of D (else std::invalid_argument).
     */
    ols_engine(const std::vector<T>& taps, unsigned decimation, size_t fft_size = 0);
    ~ols_engine();
    ols_engine(const ols_engine&) = delete;
    ols_engine& operator=(const ols_engine&) = delete;

    size_t ntaps() const { return d_ntaps; }
    size_t fft_size() const { return d_nfft; }
    unsigned decimation() const { return d_decim; }
    //! M: outputs per block.
    size_t block_outputs() const { return d_nout; }
    //! Samples one block reads: (M-1)*D + L.
    size_t block_inputs() const { return (d_nout - 1) * d_decim + d_ntaps; }
    const std::vector<T>& taps() const { return d_taps; }
    //! Blocks computed by direct convolution because of NaN/Inf input.
    unsigned long long direct_blocks() const { return d_direct_blocks; }

    /*!
     * Computes the M outputs of one block from in[0 .. valid) (valid <=
     * block_inputs(); missing samples count as zeros) and returns a pointer to them
     * (owned by the engine, valid until the next call).
     */
    const T* compute_block(const T* in, size_t valid);

    /*!
     * Filters a whole array: x holds L-1 history samples and then n_new new ones;
     * writes floor(n_new / D) outputs to out and returns that count. For tests and
     * offline use; the block calls compute_block() itself.
     */
    size_t filter(const T* x, size_t n_new, T* out);

    /*!
     * The FFT size with the lowest modelled cost per output sample for \p ntaps taps
     * and decimation \p decimation: among even N = D * (a 7-smooth number), from
     * ntaps + D up to max(32 * ntaps, 4096), minimise
     * (w(N) N log2 N + w(N/D) (N/D) log2 (N/D) + k N) / outputs(N), with w() a
     * penalty for factors other than 2 and for arrays that leave the L1 and L2
     * caches (measured on FFTW 3.3.10 with AVX2), outputs(N) = M. With max_span > 0
     * only sizes whose block_inputs() + M*D fits are considered. Returns 0 if none
     * fits.
     */
    static size_t choose_fft_size(size_t ntaps,
                                  unsigned decimation,
                                  bool is_complex,
                                  size_t max_span = 0);

private:
    static constexpr bool is_real = std::is_same<T, float>::value;
    static constexpr size_t frames = is_real ? 2 : 1; // frames per block

    void fold(const gr_complex* spec, gr_complex* dst) const;
    const T* direct(const T* padded);
    const T* finish(); // inverse FFT output -> the block's M outputs

    const std::vector<T> d_taps;
    const size_t d_ntaps;
    const unsigned d_decim;
    size_t d_nfft = 0;
    size_t d_nfft_dec = 0; // N / D
    size_t d_nframe = 0;   // m: outputs per FFT frame
    size_t d_nout = 0;     // M = frames * m
    std::unique_ptr<gr::fft::fft_complex_fwd> d_fwd;
    std::unique_ptr<gr::fft::fft_complex_rev> d_rev;
    volk::vector<T> d_padded; // zero-padded copy of a block's input (slow path)
    volk::vector<gr_complex> d_spectrum_taps; // shifted, scaled tap spectrum
    volk::vector<gr_complex> d_product;
    volk::vector<T> d_reversed_taps;
    volk::vector<T> d_out;
    unsigned long long d_direct_blocks = 0;
};

} // namespace streamproc
} // namespace gr

#endif /* INCLUDED_STREAMPROC_OLS_ENGINE_H */
