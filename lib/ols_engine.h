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
#include <algorithm>
#include <cstddef>
#include <memory>
#include <vector>

namespace gr {
namespace streamproc {

namespace detail {
/*!
 * The direct form's kernel for D = 1 and few real taps, on floats: out[k] = sum_{i<L}
 * rev[i] x[k + i*c] for k < n (c = 1: real data; 2: interleaved complex data, re and
 * im alike). AVX2 + FMA when the CPU has it (every output one chain of fused
 * multiply-adds in tap order, whatever its position), else VOLK tap by tap (tmp: n
 * floats). Shared by ols_engine and event_detector's prefilter, so both give the same
 * floats.
 */
STREAMPROC_API void short_fir(float* out,
                              const float* x,
                              const float* rev,
                              size_t L,
                              size_t c,
                              size_t n,
                              float* tmp);
//! Most taps the direct form runs through short_fir().
constexpr size_t short_fir_max_taps = 24;

//! True when every tap is real (float taps, or complex ones with zero imaginary parts):
//! the complex-by-real kernels then apply.
template <class V>
bool taps_all_real(const std::vector<V>& taps)
{
    if constexpr (std::is_same<V, float>::value)
        return true;
    else
        return std::all_of(
            taps.begin(), taps.end(), [](const V& t) { return t.imag() == 0.0f; });
}

/*!
 * The polyphase product-sum of ols_engine: acc[k] = sum_{p<D} X[p*nd + k] G[p*nd + k]
 * for complex k < nd (X interleaved; G per float as gr = (Re G, Re G), gs = (-Im G,
 * Im G)). simd = false forces the portable loop (the default uses AVX2+FMA when the
 * CPU has it). Exported for the tests.
 */
STREAMPROC_API void polyphase_mac(float* acc,
                                  const float* x,
                                  const float* gr,
                                  const float* gs,
                                  size_t nd,
                                  size_t D,
                                  bool simd = true);
} // namespace detail

//! How an ols_engine computes its outputs.
enum class fir_method {
    overlap_save, //!< FFT blocks (below)
    direct,       //!< time domain: only every D-th output, VOLK products
};

/*!
 * \brief Overlap-save FIR engine with polyphase decimation, or the direct form.
 *
 * Plain C++ (no scheduler), the engine behind ols_fir_*; T is float or gr_complex.
 * Output j of a stream x is y[j] = sum_k h[k] x[j*D - k] (as filter.fft_filter_* and
 * fir_filter_*).
 *
 * One FFT frame of N points gives m = floor((N-L)/D) + 1 outputs. The taps are
 * circularly shifted by L-1, so the wanted outputs are the samples jD of the circular
 * convolution c of the frame with them, and
 *   c[jD] = sum_p (x_p (*) g_p)[j],  x_p[q] = x[qD + p],  g_p[u] = h_shifted[uD - p]
 * (circular convolutions of length N/D). So a frame is transformed as D strided FFTs
 * of N/D points (one FFTW plan: the first stages of an N-point FFT, without its last
 * log2 D stages), multiplied by the D polyphase tap spectra and summed in one pass
 * (AVX2+FMA when the CPU has it), and one inverse FFT of N/D points gives the m
 * outputs. Outputs that decimation throws away are never computed, and the forward
 * transform costs N log2(N/D) instead of N log2 N. D = 1 is the plain case: one
 * N-point FFT, a product with the tap spectrum, one N-point inverse FFT.
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
 *
 * The direct form (fir_method::direct) computes the same outputs in the time domain,
 * in blocks of M = max(1, 8192 / D) outputs: with D > 1 or many taps one VOLK dot
 * product per output over the reversed taps (fir_filter_*'s method: the outputs
 * decimation drops are never computed); with D = 1 and few taps tap by tap over the
 * whole block (one VOLK scale-and-add per tap). Taps that are all real (ols_fir_ccf)
 * use the complex-by-real kernels, half the work of complex taps. choose_method()
 * picks the cheaper form from a cost model.
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
    ols_engine(const std::vector<T>& taps,
               unsigned decimation,
               size_t fft_size = 0,
               fir_method method = fir_method::overlap_save);
    ~ols_engine();
    ols_engine(const ols_engine&) = delete;
    ols_engine& operator=(const ols_engine&) = delete;

    size_t ntaps() const { return d_ntaps; }
    //! The FFT size (0 for the direct form).
    size_t fft_size() const { return d_nfft; }
    fir_method method() const { return d_method; }
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
     * (owned by the engine, valid until the next call). With the direct form and a
     * \p dst, the outputs are written there instead (and dst is returned).
     */
    const T* compute_block(const T* in, size_t valid, T* dst = nullptr);

    /*!
     * Filters a whole array: x holds L-1 history samples and then n_new new ones;
     * writes floor(n_new / D) outputs to out and returns that count. For tests and
     * offline use; the block calls compute_block() itself.
     */
    size_t filter(const T* x, size_t n_new, T* out);

    /*!
     * The FFT size with the lowest modelled cost per output sample for \p ntaps taps
     * and decimation \p decimation: among even N = D * n (n = 2^a 3^b 5^c; with D > 1
     * a power of two >= 16 or n >= 128), from ntaps + D up to max(32 * ntaps, 4096),
     * minimise (c0 + N + k1 w(N) N log2 n + k2 w(n) n log2 n) / outputs(N), with w()
     * a penalty for factors 3 and 5 and for arrays that leave the caches, and k1
     * smaller for n <= 64 and an even D >= 4 (constants fitted to block times measured
     * with FFTW 3.3.10 and AVX2), outputs(N) = M. With max_span > 0 only sizes whose
     * block_inputs() + M*D fits are considered. Returns 0 if none fits.
     */
    static size_t choose_fft_size(size_t ntaps,
                                  unsigned decimation,
                                  bool is_complex,
                                  size_t max_span = 0);

    /*!
     * The cheaper method for \p ntaps taps and decimation \p decimation, from the
     * modelled cost per output: the overlap-save cost of choose_fft_size()'s size
     * against the direct form's (a + b * ntaps per output, or c * ntaps with D = 1
     * and few taps), constants measured per type on the project machine (see
     * docs/ols_fir.md for the crossover). \p complex_taps: ols_fir_ccc with taps that
     * are not all real.
     */
    static fir_method choose_method(size_t ntaps,
                                    unsigned decimation,
                                    bool is_complex,
                                    bool complex_taps,
                                    size_t max_span = 0);
    //! Modelled ns per output of each method (for choose_method and the tests).
    static double overlap_save_cost(size_t ntaps,
                                    unsigned decimation,
                                    bool is_complex,
                                    size_t fft_size);
    static double
    direct_cost(size_t ntaps, unsigned decimation, bool is_complex, bool complex_taps);

private:
    static constexpr bool is_real = std::is_same<T, float>::value;
    static constexpr size_t frames = is_real ? 2 : 1; // frames per block
    static constexpr size_t k_direct_block_inputs = 8192;
    static constexpr size_t k_tap_major_max = detail::short_fir_max_taps;

    void polyphase_setup();
    void polyphase_product(gr_complex* dst) const;
    const T* direct(const T* padded);
    const T* direct_form(const T* src, T* dst); // the direct method's block
    // direct form, D = 1 and few taps: tap by tap
    static bool tap_major(size_t ntaps, unsigned decimation);
    bool tap_major() const { return tap_major(d_ntaps, d_decim); }
    const T* finish(const gr_complex* frame); // frame(s) -> the block's M outputs

    const std::vector<T> d_taps;
    const size_t d_ntaps;
    const unsigned d_decim;
    const fir_method d_method;
    bool d_real_taps = false;          // complex data, taps all real
    volk::vector<float> d_reversed_re; // those taps, reversed, as floats
    volk::vector<T> d_scratch;         // tap-major products
    // The direct form with AVX2 but not tap_major() (dot8_avx2): the
    // reversed taps as floats (twice each for complex data), zero-padded to a multiple
    // of 8 (dot8_avx2).
    bool d_dot8 = false;
    volk::vector<float> d_dot8_taps;
    volk::vector<float> d_dot8_taps_im; // complex taps: (-Im h, Im h) per tap
    size_t d_nfft = 0;
    size_t d_nfft_dec = 0; // N / D
    size_t d_nframe = 0;   // m: outputs per FFT frame
    size_t d_nout = 0;     // M = frames * m
    std::unique_ptr<gr::fft::fft_complex_rev> d_rev;
    volk::vector<gr_complex> d_in; // the frame(s) to transform
    int d_in_alignment = 0;        // fftwf_alignment_of(d_in)
    volk::vector<T> d_padded;      // zero-padded copy of a block's input (slow path)
    // D = 1: the tap spectrum (shifted taps, scaled by 1/N).
    volk::vector<gr_complex> d_spectrum_taps;
    // D > 1: the D polyphase tap spectra G_p (N/D points each, scaled by D/N, one
    // after the other) per float: d_g_re = (Re G, Re G), d_g_im = (-Im G, Im G).
    volk::vector<float> d_g_re;
    volk::vector<float> d_g_im;
    volk::vector<gr_complex> d_product; // the D polyphase frame spectra
    void* d_poly_plan = nullptr;        // fftwf_plan: D strided FFTs of N/D points
    volk::vector<T> d_reversed_taps;
    volk::vector<T> d_out;
    unsigned long long d_direct_blocks = 0;
};

} // namespace streamproc
} // namespace gr

#endif /* INCLUDED_STREAMPROC_OLS_ENGINE_H */
