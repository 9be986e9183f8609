/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "ols_engine.h"
#include <volk/volk.h>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

namespace gr {
namespace streamproc {

namespace {

size_t largest_prime_factor(size_t n)
{
    size_t largest = 1;
    for (size_t p = 2; p * p <= n; ++p) {
        while (n % p == 0) {
            largest = p;
            n /= p;
        }
    }
    return n > 1 ? std::max(largest, n) : largest;
}

bool is_7_smooth(size_t n)
{
    for (size_t p : { 2, 3, 5, 7 })
        while (n % p == 0)
            n /= p;
    return n == 1;
}

// Relative cost per point of a complex transform of size n against a power of two
// that fits the L1 cache: FFTW's codelets are fastest for radix 2, slower for 3, 5, 7
// and much slower for larger primes (Rader/Bluestein); arrays that leave the L1 (48
// KiB here) and L2 caches cost more per point (measured with FFTW 3.3.10 on the
// 2-core Xeon of the project machines: 8192 points are 35 % slower per point than
// 4096, and 32768 slower again than 16384).
double size_penalty(size_t n)
{
    const size_t p = largest_prime_factor(n);
    double w = p <= 2 ? 1.0 : p == 3 ? 1.15 : p == 5 ? 1.3 : p == 7 ? 1.45 : 2.5;
    const size_t bytes = n * sizeof(gr_complex);
    if (bytes > (size_t(2) << 20))
        w *= 2.0;
    else if (bytes > (size_t(128) << 10))
        w *= 1.6;
    else if (bytes > (size_t(32) << 10))
        w *= 1.4;
    return w;
}

inline float dot(const float* a, const float* b, size_t n)
{
    float r = 0.0f;
    volk_32f_x2_dot_prod_32f(&r, a, b, unsigned(n));
    return r;
}

inline gr_complex dot(const gr_complex* a, const gr_complex* b, size_t n)
{
    gr_complex r = 0.0f;
    volk_32fc_x2_dot_prod_32fc(&r, a, b, unsigned(n));
    return r;
}

} // namespace

template <class T>
size_t ols_engine<T>::choose_fft_size(size_t ntaps,
                                      unsigned decimation,
                                      bool is_complex,
                                      size_t max_span)
{
    const size_t D = std::max(1u, decimation);
    const size_t nframes = is_complex ? 1 : 2;
    const size_t lo = ntaps + D;
    const size_t hi =
        std::min<size_t>(size_t(1) << 22, std::max<size_t>(32 * ntaps, 4096));
    size_t best = 0;
    double best_cost = 0.0;
    for (size_t m = 1; m * D <= hi; ++m) {
        const size_t n = m * D;
        if (n < lo || n % 2 != 0 || !is_7_smooth(m))
            continue;
        const size_t nout = nframes * ((n - ntaps) / D + 1);
        const size_t span = (nout - 1) * D + ntaps + nout * D;
        if (max_span && span > max_span)
            continue;
        const size_t nd = n / D;
        const double fft =
            size_penalty(n) * n * std::log2(double(n)) +
            size_penalty(nd) * nd * std::log2(double(std::max<size_t>(nd, 2)));
        // copy/pack, finiteness check, spectral product, fold, unpack: per point
        const double linear = 3.0 * n + (D > 1 ? 0.5 * n : 0.0);
        const double cost = (fft + linear) / double(nout);
        if (best == 0 || cost < best_cost) {
            best = n;
            best_cost = cost;
        }
    }
    return best;
}

template <class T>
ols_engine<T>::ols_engine(const std::vector<T>& taps,
                          unsigned decimation,
                          size_t fft_size)
    : d_taps(taps), d_ntaps(taps.size()), d_decim(decimation)
{
    if (d_ntaps == 0)
        throw std::invalid_argument("ols_fir: taps must not be empty");
    if (decimation < 1)
        throw std::invalid_argument("ols_fir: decimation must be >= 1, got " +
                                    std::to_string(decimation));
    if (fft_size == 0) {
        d_nfft = choose_fft_size(d_ntaps, d_decim, !is_real);
    } else {
        if (fft_size < d_ntaps)
            throw std::invalid_argument("ols_fir: fft_size " + std::to_string(fft_size) +
                                        " is smaller than the " +
                                        std::to_string(d_ntaps) +
                                        " taps (it must be at least the tap count)");
        if (fft_size % d_decim != 0)
            throw std::invalid_argument("ols_fir: fft_size " + std::to_string(fft_size) +
                                        " is not a multiple of the decimation " +
                                        std::to_string(d_decim));
        if (fft_size > (size_t(1) << 24))
            throw std::invalid_argument("ols_fir: fft_size " + std::to_string(fft_size) +
                                        " is larger than the supported 16777216");
        d_nfft = fft_size;
    }
    d_nfft_dec = d_nfft / d_decim;
    d_nframe = (d_nfft - d_ntaps) / d_decim + 1;
    d_nout = frames * d_nframe;

    d_fwd = std::make_unique<gr::fft::fft_complex_fwd>(int(d_nfft));
    d_rev = std::make_unique<gr::fft::fft_complex_rev>(int(d_nfft_dec));
    d_spectrum_taps.resize(d_nfft);
    d_product.resize(d_nfft);
    d_out.resize(d_nout);
    d_padded.resize(block_inputs() + d_nfft);
    d_reversed_taps.assign(d_taps.rbegin(), d_taps.rend());

    // Tap spectrum: h circularly shifted left by L-1, so output j of a frame sits at
    // index j*D of the circular convolution; scaled by 1/N (FFTW does not normalise).
    gr_complex* tin = d_fwd->get_inbuf();
    std::fill(tin, tin + d_nfft, gr_complex(0.0f));
    for (size_t k = 0; k < d_ntaps; ++k)
        tin[(k + d_nfft - (d_ntaps - 1)) % d_nfft] =
            gr_complex(d_taps[k]) / float(d_nfft);
    d_fwd->execute();
    std::copy(d_fwd->get_outbuf(), d_fwd->get_outbuf() + d_nfft, d_spectrum_taps.begin());
}

template <class T>
ols_engine<T>::~ols_engine() = default;

template <class T>
void ols_engine<T>::fold(const gr_complex* spec, gr_complex* dst) const
{
    // dst[k] = sum_r spec[k + r * N/D]: decimation in time is aliasing in frequency.
    const size_t nd = d_nfft_dec;
    std::copy(spec, spec + nd, dst);
    for (size_t r = 1; r < d_decim; ++r)
        volk_32f_x2_add_32f(reinterpret_cast<float*>(dst),
                            reinterpret_cast<const float*>(dst),
                            reinterpret_cast<const float*>(spec + r * nd),
                            unsigned(2 * nd));
}

template <class T>
const T* ols_engine<T>::direct(const T* padded)
{
    ++d_direct_blocks;
    for (size_t j = 0; j < d_nout; ++j)
        d_out[j] = dot(padded + j * d_decim, d_reversed_taps.data(), d_ntaps);
    return d_out.data();
}

template <class T>
const T* ols_engine<T>::finish()
{
    d_fwd->execute();
    gr_complex* rin = d_rev->get_inbuf();
    if (d_decim == 1) {
        volk_32fc_x2_multiply_32fc(
            rin, d_fwd->get_outbuf(), d_spectrum_taps.data(), unsigned(d_nfft));
    } else {
        volk_32fc_x2_multiply_32fc(d_product.data(),
                                   d_fwd->get_outbuf(),
                                   d_spectrum_taps.data(),
                                   unsigned(d_nfft));
        fold(d_product.data(), rin);
    }
    d_rev->execute();
    if constexpr (is_real) {
        // frame 0 came back in the real parts, frame 1 in the imaginary parts
        volk_32fc_deinterleave_32f_x2(d_out.data(),
                                      d_out.data() + d_nframe,
                                      d_rev->get_outbuf(),
                                      unsigned(d_nframe));
        return d_out.data();
    } else {
        return d_rev->get_outbuf();
    }
}

template <class T>
const T* ols_engine<T>::compute_block(const T* in, size_t valid)
{
    gr_complex* buf = d_fwd->get_inbuf();
    const size_t N = d_nfft;
    // A frame reads N samples; frame 1 of a real block starts m*D after frame 0.
    const size_t second = is_real ? d_nframe * d_decim : 0;
    const size_t span = second + N;
    const T* src = in;
    if (valid < span) {
        // The end of the input: pad with zeros (they only reach unused outputs).
        std::memcpy(d_padded.data(), in, valid * sizeof(T));
        std::fill(d_padded.data() + valid, d_padded.data() + span, T(0));
        src = d_padded.data();
    }
    if constexpr (is_real)
        volk_32f_x2_interleave_32fc(buf, src, src + second, unsigned(N));
    else
        std::memcpy(buf, src, N * sizeof(T));

    const T* out = finish();
    // A NaN or Inf in the input spreads through the FFT to every output of the block
    // (NaN survives every addition and multiplication, and an infinite input gives
    // NaN bins), so checking the M outputs - D times fewer than the inputs - finds
    // it. Such a block, or one whose FFT overflowed, is filtered directly instead.
    float sum = 0.0f;
    volk_32f_accumulator_s32f(
        &sum, reinterpret_cast<const float*>(out), unsigned(d_nout * (is_real ? 1 : 2)));
    if (std::isfinite(sum))
        return out;
    if (src == in) {
        std::memcpy(d_padded.data(), in, span * sizeof(T));
        src = d_padded.data();
    }
    return direct(src);
}

template <class T>
size_t ols_engine<T>::filter(const T* x, size_t n_new, T* out)
{
    const size_t total = n_new / d_decim;
    const size_t step = d_nout * d_decim;
    const size_t nx = d_ntaps - 1 + n_new;
    size_t done = 0;
    for (size_t b = 0; done < total; ++b) {
        const size_t start = b * step;
        const T* res = compute_block(x + start, nx - start);
        const size_t k = std::min(d_nout, total - done);
        std::copy(res, res + k, out + done);
        done += k;
    }
    return total;
}

template class ols_engine<float>;
template class ols_engine<gr_complex>;

} // namespace streamproc
} // namespace gr
