/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "cpu_features.h"
#include "fftw_wisdom.h"
#include "ols_engine.h"
#include <fftw3.h>
#include <volk/volk.h>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <mutex>
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

// Relative cost per point of a complex transform of size n against a power of two:
// FFTW's codelets are fastest for radix 2, slower for 3 and 5 (sizes with 7 or larger
// primes are not considered).
double radix_penalty(size_t n)
{
    const size_t p = largest_prime_factor(n);
    return p <= 2 ? 1.0 : p == 3 ? 1.15 : p == 5 ? 1.3 : 0.0;
}

// Arrays that leave the L1 (48 KiB here), L2 and L3 caches cost more per point.
double cache_penalty(size_t n)
{
    const size_t bytes = n * sizeof(gr_complex);
    return bytes > (size_t(2) << 20)     ? 3.0
           : bytes > (size_t(128) << 10) ? 2.0
           : bytes > (size_t(32) << 10)  ? 1.4
                                         : 1.0;
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

// acc[k] = sum_{p<D} X[p*nd + k] G[p*nd + k] for complex k < nd, X interleaved, G given
// per float as gr = (Re g, Re g) and gs = (-Im g, Im g):
// Re = xr gr - xi gi = x[0] gr[0] + x[1] gs[0], Im = xi gr + xr gi = x[1] gr[1] + x[0]
// gs[1].
// The portable loop, for the floats [f0, 2 nd).
void polyphase_mac_from(float* __restrict acc,
                        const float* __restrict x,
                        const float* __restrict gr,
                        const float* __restrict gs,
                        size_t nd,
                        size_t D,
                        size_t f0)
{
    const size_t nf = 2 * nd;
    for (size_t f = f0; f < nf; f += 2) {
        float re = 0.0f, im = 0.0f;
        for (size_t p = 0; p < D; ++p) {
            const size_t o = p * nf + f;
            re += x[o] * gr[o] + x[o + 1] * gs[o];
            im += x[o + 1] * gr[o + 1] + x[o] * gs[o + 1];
        }
        acc[f] = re;
        acc[f + 1] = im;
    }
}

void polyphase_mac_generic(
    float* acc, const float* x, const float* gr, const float* gs, size_t nd, size_t D)
{
    polyphase_mac_from(acc, x, gr, gs, nd, D, 0);
}

#ifdef STREAMPROC_X86_SIMD
// The same with AVX2 + FMA, four vectors (16 complex) at a time to hide the FMA
// latency; the sum over the D phases stays in registers.
__attribute__((target("avx2,fma"))) void polyphase_mac_avx2(float* __restrict acc,
                                                            const float* __restrict x,
                                                            const float* __restrict gr,
                                                            const float* __restrict gs,
                                                            size_t nd,
                                                            size_t D)
{
    const size_t nf = 2 * nd;
    size_t f = 0;
    for (; f + 32 <= nf; f += 32) {
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        for (size_t p = 0; p < D; ++p) {
            const size_t o = p * nf + f;
            const __m256 x0 = _mm256_loadu_ps(x + o), x1 = _mm256_loadu_ps(x + o + 8),
                         x2 = _mm256_loadu_ps(x + o + 16),
                         x3 = _mm256_loadu_ps(x + o + 24);
            a0 = _mm256_fmadd_ps(x0, _mm256_loadu_ps(gr + o), a0);
            a1 = _mm256_fmadd_ps(x1, _mm256_loadu_ps(gr + o + 8), a1);
            a2 = _mm256_fmadd_ps(x2, _mm256_loadu_ps(gr + o + 16), a2);
            a3 = _mm256_fmadd_ps(x3, _mm256_loadu_ps(gr + o + 24), a3);
            a0 =
                _mm256_fmadd_ps(_mm256_permute_ps(x0, 0xB1), _mm256_loadu_ps(gs + o), a0);
            a1 = _mm256_fmadd_ps(
                _mm256_permute_ps(x1, 0xB1), _mm256_loadu_ps(gs + o + 8), a1);
            a2 = _mm256_fmadd_ps(
                _mm256_permute_ps(x2, 0xB1), _mm256_loadu_ps(gs + o + 16), a2);
            a3 = _mm256_fmadd_ps(
                _mm256_permute_ps(x3, 0xB1), _mm256_loadu_ps(gs + o + 24), a3);
        }
        _mm256_storeu_ps(acc + f, a0);
        _mm256_storeu_ps(acc + f + 8, a1);
        _mm256_storeu_ps(acc + f + 16, a2);
        _mm256_storeu_ps(acc + f + 24, a3);
    }
    polyphase_mac_from(acc, x, gr, gs, nd, D, f); // the last < 16 values
}
#endif

// The direct form with D = 1 and few real taps, on floats: out[k] = sum_{i<L} rev[i] *
// x[k + i*c] for k < n (c = 1 for real data, 2 for interleaved complex data: re and im
// alike). AVX2 + FMA, 32 outputs at a time with the taps broadcast; the last < 32
// outputs of a block in plain C++ (block positions are fixed from the stream start, so
// the same outputs always take the same path). Without AVX2 the block goes tap by tap
// through VOLK instead (direct_form()).
#ifdef STREAMPROC_X86_SIMD
__attribute__((target("avx2,fma"))) void short_fir_avx2(float* __restrict out,
                                                        const float* __restrict x,
                                                        const float* __restrict rev,
                                                        size_t L,
                                                        size_t c,
                                                        size_t n)
{
    size_t k = 0;
    for (; k + 32 <= n; k += 32) {
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        for (size_t i = 0; i < L; ++i) {
            const __m256 h = _mm256_broadcast_ss(rev + i);
            const float* p = x + k + i * c;
            a0 = _mm256_fmadd_ps(h, _mm256_loadu_ps(p), a0);
            a1 = _mm256_fmadd_ps(h, _mm256_loadu_ps(p + 8), a1);
            a2 = _mm256_fmadd_ps(h, _mm256_loadu_ps(p + 16), a2);
            a3 = _mm256_fmadd_ps(h, _mm256_loadu_ps(p + 24), a3);
        }
        _mm256_storeu_ps(out + k, a0);
        _mm256_storeu_ps(out + k + 8, a1);
        _mm256_storeu_ps(out + k + 16, a2);
        _mm256_storeu_ps(out + k + 24, a3);
    }
    // the same fused multiply-adds in the same order as a vector lane: every output
    // is the same float whichever path computes it
    for (; k < n; ++k) {
        float acc = 0.0f;
        for (size_t i = 0; i < L; ++i)
            acc = std::fma(rev[i], x[k + i * c], acc);
        out[k] = acc;
    }
}

const bool have_short_fir_avx2 = cpu::has_avx2_fma();

// The direct form, but for D = 1 with few taps (tap_major()): eight outputs at a time,
// each a dot product over the floats of its input (out[j] = sum_{f < Lf} r[f] x[j s + f],
// s floats between outputs), the taps loaded once for all eight (the dot product per
// output of VOLK loads them for each, and sums each output's vector alone). For complex
// data (CPLX) every tap is in r twice (re, im) and an output is the sum of the even and
// of the odd lanes. With complex taps (CTAPS) r holds (Re h, Re h) and g (-Im h, Im h)
// per tap, and each vector of x is also taken with re and im swapped: (re, im) of h x in
// the lanes of each complex item, as in polyphase_mac. r (and g) hold the Lf floats of
// taps and zeros to a multiple of 8; the last vector of x is read under a mask (no read
// past the block). n: a multiple of 8 outputs.
template <bool CPLX, bool CTAPS>
__attribute__((target("avx2,fma"))) void dot8_avx2(float* __restrict out,
                                                   const float* __restrict x,
                                                   const float* __restrict r,
                                                   const float* __restrict g,
                                                   size_t Lf,
                                                   size_t s,
                                                   size_t n)
{
    const size_t full = Lf / 8, rest = Lf % 8;
    alignas(32) int m[8];
    for (size_t i = 0; i < 8; ++i)
        m[i] = i < rest ? -1 : 0;
    const __m256i mask = _mm256_load_si256(reinterpret_cast<const __m256i*>(m));
    for (size_t j = 0; j < n; j += 8) {
        const float* p = x + j * s;
        __m256 a[8];
        for (auto& v : a)
            v = _mm256_setzero_ps();
        for (size_t t = 0; t < full; ++t) {
            const __m256 h = _mm256_loadu_ps(r + 8 * t);
            if constexpr (CTAPS) {
                const __m256 hs = _mm256_loadu_ps(g + 8 * t);
                for (size_t o = 0; o < 8; ++o) {
                    const __m256 v = _mm256_loadu_ps(p + o * s + 8 * t);
                    a[o] = _mm256_fmadd_ps(h, v, a[o]);
                    a[o] = _mm256_fmadd_ps(hs, _mm256_permute_ps(v, 0xB1), a[o]);
                }
            } else {
                for (size_t o = 0; o < 8; ++o)
                    a[o] = _mm256_fmadd_ps(h, _mm256_loadu_ps(p + o * s + 8 * t), a[o]);
            }
        }
        if (rest) {
            const __m256 h = _mm256_loadu_ps(r + 8 * full);
            const __m256 hs = CTAPS ? _mm256_loadu_ps(g + 8 * full) : h;
            for (size_t o = 0; o < 8; ++o) {
                const __m256 v = _mm256_maskload_ps(p + o * s + 8 * full, mask);
                a[o] = _mm256_fmadd_ps(h, v, a[o]);
                if constexpr (CTAPS)
                    a[o] = _mm256_fmadd_ps(hs, _mm256_permute_ps(v, 0xB1), a[o]);
            }
        }
        if constexpr (CPLX) {
            for (size_t o = 0; o < 8; ++o) {
                const __m128 v = _mm_add_ps(_mm256_castps256_ps128(a[o]),
                                            _mm256_extractf128_ps(a[o], 1));
                _mm_storel_pi(reinterpret_cast<__m64*>(out + 2 * (j + o)),
                              _mm_add_ps(v, _mm_movehl_ps(v, v)));
            }
        } else {
            const __m256 t0 = _mm256_hadd_ps(a[0], a[1]), t1 = _mm256_hadd_ps(a[2], a[3]),
                         t2 = _mm256_hadd_ps(a[4], a[5]), t3 = _mm256_hadd_ps(a[6], a[7]);
            const __m256 u0 = _mm256_hadd_ps(t0, t1), u1 = _mm256_hadd_ps(t2, t3);
            // u0 = (s0 s1 s2 s3 | s0' s1' s2' s3'): the two 128-bit halves of each sum
            _mm256_storeu_ps(out + j,
                             _mm256_add_ps(_mm256_permute2f128_ps(u0, u1, 0x20),
                                           _mm256_permute2f128_ps(u0, u1, 0x31)));
        }
    }
}
#else
const bool have_short_fir_avx2 = false;
#endif

using polyphase_mac_fn =
    void (*)(float*, const float*, const float*, const float*, size_t, size_t);

polyphase_mac_fn pick_polyphase_mac()
{
#ifdef STREAMPROC_X86_SIMD
    if (cpu::has_avx2_fma())
        return polyphase_mac_avx2;
#endif
    return polyphase_mac_generic;
}

const polyphase_mac_fn polyphase_mac_best = pick_polyphase_mac();

// Outputs of one N-point frame for ntaps taps and decimation D: floor((N-L)/D) + 1.
size_t frame_outputs(size_t n, size_t ntaps, size_t D) { return (n - ntaps) / D + 1; }

// The overlap-save model of one block (see choose_fft_size), in units of the per-point
// linear work.
double ols_units(size_t n, size_t D, double w)
{
    const size_t nd = n / D;
    const double lg = std::log2(double(std::max<size_t>(nd, 2)));
    const double v = nd > 64 || D % 2 != 0 ? 1.0 : D >= 8 ? 0.4 : D >= 4 ? 0.7 : 1.0;
    const double fwd = 0.19 * v * w * cache_penalty(n) * double(n) * lg;
    const double inv = 0.11 * w * cache_penalty(nd) * double(nd) * lg;
    return 105.0 + double(n) + fwd + inv;
}

// Measured constants of the method choice (ns on the 2-core Xeon of the project
// machines, engine alone, VOLK with AVX2; build/lib/fir-methods re-measures them), per
// kind: 0 real data and taps, 1 complex data with real taps, 2 complex taps.
struct method_constants {
    double ols_ns_per_unit; // overlap-save: ns per unit of ols_units()
    double dot_ns;          // direct form, one dot product per output: fixed part
    double dot_ns_per_tap;  //   and per tap
    double tap_ns;          // direct form, D = 1 and few taps (tap by tap): fixed part
    double tap_ns_per_tap;  //   and per tap
    double dot8_ns;         // direct form with AVX2, not tap-major (dot8_avx2): fixed
    double dot8_ns_per_tap; //   and per tap
};
// dot8: measured on the 2-core AMD EPYC of the 2026-12 project machines
// (build/lib/fir-methods, D 2..16, 9..1025 taps), scaled by 1.15, the median ratio of
// the overlap-save model to the overlap-save times measured there, so that the two
// methods are compared in the model's units.
constexpr method_constants k_method[3] = {
    { 1.0, 10.0, 0.12, 0.45, 0.02, 1.15, 0.038 },
    { 1.0, 10.0, 0.18, 0.90, 0.05, 2.3, 0.07 },
    { 1.0, 10.0, 0.36, 0.00, 0.60, 0.6, 0.14 },
};

int method_kind(bool is_complex, bool complex_taps)
{
    return !is_complex ? 0 : complex_taps ? 2 : 1;
}

} // namespace

namespace detail {
void short_fir(float* out,
               const float* x,
               const float* rev,
               size_t L,
               size_t c,
               size_t n,
               float* tmp)
{
#ifdef STREAMPROC_X86_SIMD
    if (have_short_fir_avx2) {
        short_fir_avx2(out, x, rev, L, c, n);
        return;
    }
#endif
    // tap by tap through VOLK (each product and sum rounded, in tap order)
    volk_32f_s32f_multiply_32f(out, x, rev[0], unsigned(n));
    for (size_t i = 1; i < L; ++i) {
        volk_32f_s32f_multiply_32f(tmp, x + i * c, rev[i], unsigned(n));
        volk_32f_x2_add_32f(out, out, tmp, unsigned(n));
    }
}

void polyphase_mac(float* acc,
                   const float* x,
                   const float* gr,
                   const float* gs,
                   size_t nd,
                   size_t D,
                   bool simd)
{
    (simd ? polyphase_mac_best : polyphase_mac_generic)(acc, x, gr, gs, nd, D);
}
} // namespace detail

template <class T>
size_t ols_engine<T>::choose_fft_size(size_t ntaps,
                                      unsigned decimation,
                                      bool is_complex,
                                      size_t max_span)
{
    // Cost of one block in units of the per-point linear work (copy, product, checks),
    // fitted to the block times measured with FFTW 3.3.10 (AVX2) on the 2-core Xeon
    // of the project machines (median error ~12 %):
    //   105 + N + 0.19 v w(N) N log2(N/D) + 0.11 w(N/D) (N/D) log2(N/D)
    // FFTW runs D strided transforms of 16..64 points in single codelets vectorised
    // across the transforms when D is even: v = 0.4 for D >= 8, 0.7 for D = 4, 6
    // (1 otherwise). With D > 1, N/D is a power of two >= 16 or a 2^a 3^b 5^c number
    // >= 128 (smaller mixed-radix strided transforms measured 1.5-2x slower than the
    // model).
    const size_t D = std::max(1u, decimation);
    const size_t nframes = is_complex ? 1 : 2;
    const size_t lo = ntaps + D;
    // Up to 32 x the taps or 4096, and far enough for a large decimation to find N/D
    // >= 16 (with D > max(256, 2 ntaps) no size used to qualify: fft_filter accepts any
    // D, so must we).
    const size_t hi =
        std::min<size_t>(std::max<size_t>(size_t(1) << 22, 2 * (ntaps + 16 * D)),
                         std::max<size_t>({ 32 * ntaps, 4096, 256 * D }));
    size_t best = 0;
    double best_cost = 0.0;
    for (size_t nd = 1; nd * D <= hi; ++nd) {
        const size_t n = nd * D;
        if (n < lo || n % 2 != 0)
            continue;
        const double w = radix_penalty(nd);
        if (w == 0.0)
            continue;
        const bool pow2 = (nd & (nd - 1)) == 0;
        if (D > 1 && !((pow2 && nd >= 16) || nd >= 128))
            continue;
        const size_t nout = nframes * frame_outputs(n, ntaps, D);
        const size_t span = (nout - 1) * D + ntaps + nout * D;
        if (max_span && span > max_span)
            continue;
        const double cost = ols_units(n, D, w) / double(nout);
        if (best == 0 || cost < best_cost) {
            best = n;
            best_cost = cost;
        }
    }
    return best;
}

template <class T>
double ols_engine<T>::overlap_save_cost(size_t ntaps,
                                        unsigned decimation,
                                        bool is_complex,
                                        size_t fft_size)
{
    const size_t D = std::max(1u, decimation);
    const size_t nout = (is_complex ? 1 : 2) * frame_outputs(fft_size, ntaps, D);
    const double w = radix_penalty(fft_size / D);
    return k_method[method_kind(is_complex, false)].ols_ns_per_unit *
           ols_units(fft_size, D, w == 0.0 ? 1.5 : w) / double(nout);
}

template <class T>
double ols_engine<T>::direct_cost(size_t ntaps,
                                  unsigned decimation,
                                  bool is_complex,
                                  bool complex_taps)
{
    const method_constants& k = k_method[method_kind(is_complex, complex_taps)];
    if (tap_major(ntaps, decimation))
        return k.tap_ns + k.tap_ns_per_tap * double(ntaps);
    if (have_short_fir_avx2) // dot8_avx2
        return k.dot8_ns + k.dot8_ns_per_tap * double(ntaps);
    return k.dot_ns + k.dot_ns_per_tap * double(ntaps);
}

template <class T>
fir_method ols_engine<T>::choose_method(size_t ntaps,
                                        unsigned decimation,
                                        bool is_complex,
                                        bool complex_taps,
                                        size_t max_span)
{
    const size_t n = choose_fft_size(ntaps, decimation, is_complex, max_span);
    if (n == 0)
        return fir_method::direct;
    // The complex-tap FFT costs what the real-tap one does (same transforms).
    return direct_cost(ntaps, decimation, is_complex, complex_taps) <
                   overlap_save_cost(ntaps, decimation, is_complex, n)
               ? fir_method::direct
               : fir_method::overlap_save;
}

template <class T>
ols_engine<T>::ols_engine(const std::vector<T>& taps,
                          unsigned decimation,
                          size_t fft_size,
                          fir_method method)
    : d_taps(taps), d_ntaps(taps.size()), d_decim(decimation), d_method(method)
{
    if (d_ntaps == 0)
        throw std::invalid_argument("ols_fir: taps must not be empty");
    if (decimation < 1)
        throw std::invalid_argument("ols_fir: decimation must be >= 1, got " +
                                    std::to_string(decimation));
    d_reversed_taps.assign(d_taps.rbegin(), d_taps.rend());
    if constexpr (!is_real) {
        d_real_taps = detail::taps_all_real(d_taps);
        if (d_real_taps)
            for (auto it = d_taps.rbegin(); it != d_taps.rend(); ++it)
                d_reversed_re.push_back(it->real());
    }
    if (d_method == fir_method::direct) {
        // Blocks of about 8192 inputs: the scheduler's cost per block stays small, the
        // work arrays stay in the caches.
        d_nout = d_nframe = std::max<size_t>(1, k_direct_block_inputs / d_decim);
        if (have_short_fir_avx2 && !tap_major()) {
            // eight outputs at a time (dot8_avx2)
            d_dot8 = true;
            d_nout = d_nframe = (d_nout + 7) / 8 * 8;
            const size_t c = is_real ? 1 : 2;
            for (size_t i = 0; i < d_ntaps; ++i) {
                const float t = std::real(d_reversed_taps[i]);
                for (size_t k = 0; k < c; ++k)
                    d_dot8_taps.push_back(t);
                if constexpr (!is_real) {
                    if (!d_real_taps) {
                        d_dot8_taps_im.push_back(-std::imag(d_reversed_taps[i]));
                        d_dot8_taps_im.push_back(std::imag(d_reversed_taps[i]));
                    }
                }
            }
            d_dot8_taps.resize((d_dot8_taps.size() + 7) / 8 * 8, 0.0f);
            if (!d_dot8_taps_im.empty())
                d_dot8_taps_im.resize(d_dot8_taps.size(), 0.0f);
        }
        d_out.resize(d_nout);
        d_scratch.resize(d_nout);
        d_padded.resize(block_inputs());
        return;
    }
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
    d_nframe = frame_outputs(d_nfft, d_ntaps, d_decim);
    d_nout = frames * d_nframe;

    d_out.resize(d_nout);
    d_padded.resize(block_inputs() + d_nfft);
    d_rev = std::make_unique<gr::fft::fft_complex_rev>(int(d_nfft_dec)); // loads wisdom
    polyphase_setup();
    sync_fftw_wisdom(); // saves the wisdom of the forward plan
}

template <class T>
void ols_engine<T>::polyphase_setup()
{
    const size_t N = d_nfft, nd = d_nfft_dec, D = d_decim;
    d_in.resize(N);
    d_product.resize(N);
    {
        const int n = int(nd);
        std::lock_guard<std::mutex> lock(gr::fft::planner::mutex());
        d_poly_plan =
            fftwf_plan_many_dft(1,
                                &n,
                                int(D),
                                reinterpret_cast<fftwf_complex*>(d_in.data()),
                                nullptr,
                                int(D), // x_p[q] = x[q*D + p]
                                1,
                                reinterpret_cast<fftwf_complex*>(d_product.data()),
                                nullptr,
                                1,
                                n, // X_p at p * N/D
                                FFTW_FORWARD,
                                FFTW_MEASURE);
    }
    if (!d_poly_plan)
        throw std::runtime_error("ols_fir: FFTW could not plan " + std::to_string(D) +
                                 " transforms of " + std::to_string(nd) + " points");
    d_in_alignment = fftwf_alignment_of(reinterpret_cast<float*>(d_in.data()));
    // The polyphase taps g_p[u] = h_shifted[(u*D - p) mod N] laid out like a frame
    // (g_p[u] at u*D + p), so the same plan transforms them; scaled by D/N = 1/(N/D).
    std::fill(d_in.begin(), d_in.end(), gr_complex(0.0f));
    for (size_t k = 0; k < d_ntaps; ++k) {
        const size_t idx = (k + N - (d_ntaps - 1)) % N; // index in h_shifted
        const size_t p = (D - idx % D) % D;
        const size_t u = ((idx + p) / D) % nd;
        d_in[u * D + p] = gr_complex(d_taps[k]) / float(nd);
    }
    fftwf_execute(static_cast<fftwf_plan>(d_poly_plan));
    if (D == 1) {
        d_spectrum_taps.assign(d_product.begin(), d_product.end());
        return;
    }
    d_g_re.resize(2 * N);
    d_g_im.resize(2 * N);
    for (size_t i = 0; i < N; ++i) {
        d_g_re[2 * i] = d_g_re[2 * i + 1] = d_product[i].real();
        d_g_im[2 * i] = -d_product[i].imag();
        d_g_im[2 * i + 1] = d_product[i].imag();
    }
}

template <class T>
ols_engine<T>::~ols_engine()
{
    if (d_poly_plan) {
        std::lock_guard<std::mutex> lock(gr::fft::planner::mutex());
        fftwf_destroy_plan(static_cast<fftwf_plan>(d_poly_plan));
    }
}

template <class T>
void ols_engine<T>::polyphase_product(gr_complex* dst) const
{
    if (d_decim == 1) {
        // One phase: the plain spectral product.
        volk_32fc_x2_multiply_32fc(
            dst, d_product.data(), d_spectrum_taps.data(), unsigned(d_nfft));
        return;
    }
    // VOLK has no product-sum over D strided phases; a VOLK multiply and add per phase
    // was 1.2x slower for D = 8 (engine alone) than this fused loop.
    polyphase_mac_best(reinterpret_cast<float*>(dst),
                       reinterpret_cast<const float*>(d_product.data()),
                       d_g_re.data(),
                       d_g_im.data(),
                       d_nfft_dec,
                       d_decim);
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
const T* ols_engine<T>::finish(const gr_complex* frame)
{
    // FFTW may run a plan on other arrays with the alignment of the planned ones
    // (out-of-place complex transforms leave their input untouched).
    fftwf_execute_dft(static_cast<fftwf_plan>(d_poly_plan),
                      reinterpret_cast<fftwf_complex*>(const_cast<gr_complex*>(frame)),
                      reinterpret_cast<fftwf_complex*>(d_product.data()));
    polyphase_product(d_rev->get_inbuf());
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
bool ols_engine<T>::tap_major(size_t ntaps, unsigned decimation)
{
    return decimation <= 1 && ntaps <= k_tap_major_max;
}

template <class T>
const T* ols_engine<T>::direct_form(const T* src, T* dst)
{
    T* out = dst ? dst : d_out.data();
    const size_t M = d_nout, L = d_ntaps;
#ifdef STREAMPROC_X86_SIMD
    if (d_dot8) {
        const size_t c = is_real ? 1 : 2;
        auto* o = reinterpret_cast<float*>(out);
        const auto* x = reinterpret_cast<const float*>(src);
        if (!d_dot8_taps_im.empty())
            dot8_avx2<true, true>(
                o, x, d_dot8_taps.data(), d_dot8_taps_im.data(), L * c, d_decim * c, M);
        else
            dot8_avx2<!is_real, false>(
                o, x, d_dot8_taps.data(), nullptr, L * c, d_decim * c, M);
        return out;
    }
#endif
    if (!tap_major()) {
        // one dot product per output, over the reversed taps
        if constexpr (!is_real) {
            if (d_real_taps) {
                for (size_t j = 0; j < M; ++j)
                    volk_32fc_32f_dot_prod_32fc(
                        &out[j], src + j * d_decim, d_reversed_re.data(), unsigned(L));
                return out;
            }
        }
        for (size_t j = 0; j < M; ++j)
            out[j] = dot(src + j * d_decim, d_reversed_taps.data(), L);
        return out;
    }
    // D = 1, few taps: out[j] = sum_i rev[i] src[j + i], one tap at a time over the
    // block (real taps work on the floats: re and im alike)
    const float* rev = nullptr;
    if constexpr (is_real)
        rev = d_reversed_taps.data();
    else if (d_real_taps)
        rev = d_reversed_re.data();
    if (rev) {
        const size_t c = is_real ? 1 : 2; // floats per item
        detail::short_fir(reinterpret_cast<float*>(out),
                          reinterpret_cast<const float*>(src),
                          rev,
                          L,
                          c,
                          M * c,
                          reinterpret_cast<float*>(d_scratch.data()));
        return out;
    }
    if constexpr (!is_real) {
        const unsigned n = unsigned(M);
        volk_32fc_s32fc_multiply_32fc(out, src, d_reversed_taps[0], n);
        for (size_t i = 1; i < L; ++i) {
            volk_32fc_s32fc_multiply_32fc(
                d_scratch.data(), src + i, d_reversed_taps[i], n);
            volk_32fc_x2_add_32fc(out, out, d_scratch.data(), n);
        }
    }
    return out;
}

template <class T>
const T* ols_engine<T>::compute_block(const T* in, size_t valid, T* dst)
{
    if (d_method == fir_method::direct) {
        const size_t span = block_inputs();
        if (valid >= span)
            return direct_form(in, dst);
        // The end of the input: pad with zeros (they only reach unused outputs).
        std::memcpy(d_padded.data(), in, valid * sizeof(T));
        std::fill(d_padded.data() + valid, d_padded.data() + span, T(0));
        return direct_form(d_padded.data(), dst);
    }
    gr_complex* buf = d_in.data();
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
    const gr_complex* frame = buf;
    if constexpr (is_real) {
        volk_32f_x2_interleave_32fc(buf, src, src + second, unsigned(N));
    } else if (fftwf_alignment_of(reinterpret_cast<float*>(const_cast<T*>(src))) ==
               d_in_alignment) {
        frame = src; // transformed in place in the caller's buffer: no copy
    } else {
        std::memcpy(buf, src, N * sizeof(T));
    }

    const T* out = finish(frame);
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
