/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "cpu_features.h"
#include "fftw_wisdom.h"
#include "stft_engine.h"
#include <gnuradio/fft/fft.h>
#include <fftw3.h>
#include <volk/volk.h>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>
#include <stdexcept>

namespace gr {
namespace streamproc {

namespace {

fftwf_plan make_plan(size_t n, size_t howmany, float* in, gr_complex* out)
{
    const int nn = int(n);
    return fftwf_plan_many_dft_r2c(1,
                                   &nn,
                                   int(howmany),
                                   in,
                                   nullptr,
                                   1,
                                   nn,
                                   reinterpret_cast<fftwf_complex*>(out),
                                   nullptr,
                                   1,
                                   nn / 2 + 1,
                                   FFTW_MEASURE);
}

fftwf_plan make_plan(size_t n, size_t howmany, gr_complex* in, gr_complex* out)
{
    const int nn = int(n);
    return fftwf_plan_many_dft(1,
                               &nn,
                               int(howmany),
                               reinterpret_cast<fftwf_complex*>(in),
                               nullptr,
                               1,
                               nn,
                               reinterpret_cast<fftwf_complex*>(out),
                               nullptr,
                               1,
                               nn,
                               FFTW_FORWARD,
                               FFTW_MEASURE);
}

inline void apply_window(float* dst, const float* src, const float* w, size_t n)
{
    volk_32f_x2_multiply_32f(dst, src, w, unsigned(n));
}

inline void apply_window(gr_complex* dst, const gr_complex* src, const float* w, size_t n)
{
    volk_32fc_32f_multiply_32fc(dst, src, w, unsigned(n));
}

} // namespace

template <class T>
void stft_engine<T>::check_window(const std::vector<float>& window, size_t fft_size)
{
    if (window.size() != fft_size)
        throw std::invalid_argument("window has " + std::to_string(window.size()) +
                                    " values, fft_size is " + std::to_string(fft_size) +
                                    " (they must be equal)");
    for (float w : window)
        if (!std::isfinite(w))
            throw std::invalid_argument("window values must be finite");
}

template <class T>
stft_engine<T>::stft_engine(size_t fft_size,
                            size_t hop,
                            const std::vector<float>& window,
                            size_t batch)
    : d_n(fft_size),
      d_hop(hop),
      d_nbins(is_real ? fft_size / 2 + 1 : fft_size),
      d_batch(batch ? batch
                    : std::clamp<size_t>(16384 / std::max<size_t>(fft_size, 1), 1, 16))
{
    if (fft_size < 2)
        throw std::invalid_argument("fft_size must be at least 2, got " +
                                    std::to_string(fft_size));
    if (hop < 1)
        throw std::invalid_argument("hop must be at least 1, got " + std::to_string(hop));
    check_window(window, fft_size);
    d_window_vec = window;
    d_window.assign(window.begin(), window.end());
    d_in.resize(d_batch * d_n);
    d_out.resize(d_batch * d_nbins);
    d_half = is_real && d_n % 2 == 0;
    sync_fftw_wisdom(); // loads the wisdom of earlier runs
    if (d_half) {
        const size_t nh = d_n / 2;
        d_half_out.resize(d_batch * nh);
        d_split_a.resize(nh + 1);
        d_split_b.resize(nh + 1);
        for (size_t k = 0; k <= nh; ++k) {
            const double a = -2.0 * M_PI * double(k) / double(d_n);
            const double wr = std::cos(a), wi = std::sin(a); // W^k; i W^k = (-wi, wr)
            d_split_a[k] = gr_complex(float(0.5 * (1.0 + wi)), float(-0.5 * wr));
            d_split_b[k] = gr_complex(float(0.5 * (1.0 - wi)), float(0.5 * wr));
        }
        std::lock_guard<std::mutex> lock(gr::fft::planner::mutex());
        d_plan = make_plan(
            nh, d_batch, reinterpret_cast<gr_complex*>(d_in.data()), d_half_out.data());
    } else {
        std::lock_guard<std::mutex> lock(gr::fft::planner::mutex());
        d_plan = make_plan(d_n, d_batch, d_in.data(), d_out.data());
    }
    if (!d_plan)
        throw std::runtime_error("FFTW could not plan a " + std::to_string(d_n) +
                                 "-point transform");
    sync_fftw_wisdom(); // saves this plan's
}

template <class T>
stft_engine<T>::~stft_engine()
{
    std::lock_guard<std::mutex> lock(gr::fft::planner::mutex());
    fftwf_destroy_plan(static_cast<fftwf_plan>(d_plan));
}

template <class T>
void stft_engine<T>::set_window(const std::vector<float>& window)
{
    check_window(window, d_n);
    d_window_vec = window;
    std::copy(window.begin(), window.end(), d_window.begin());
}

template <class T>
void stft_engine<T>::window_frames(const T* in, size_t nframes)
{
    for (size_t k = 0; k < nframes; ++k)
        apply_window(d_in.data() + k * d_n, in + k * d_hop, d_window.data(), d_n);
}

namespace {
// X[k] = Z[k] A[k] + conj(Z[nh - k]) B[k] for k in [k0, nh), plain C++.
void split_range(
    const float* z, const float* A, const float* B, size_t nh, size_t k0, float* x)
{
    for (size_t k = k0; k < nh; ++k) {
        const float ar = z[2 * k], ai = z[2 * k + 1];
        const float br = z[2 * (nh - k)], bi = -z[2 * (nh - k) + 1];
        x[2 * k] =
            (ar * A[2 * k] - ai * A[2 * k + 1]) + (br * B[2 * k] - bi * B[2 * k + 1]);
        x[2 * k + 1] =
            (ai * A[2 * k] + ar * A[2 * k + 1]) + (bi * B[2 * k] + br * B[2 * k + 1]);
    }
}

#ifdef STREAMPROC_X86_SIMD
__attribute__((target("avx"))) inline __m256 cmul(__m256 x, __m256 y)
{
    const __m256 t1 = _mm256_mul_ps(x, _mm256_moveldup_ps(y));
    const __m256 t2 = _mm256_mul_ps(_mm256_shuffle_ps(x, x, 0xB1), _mm256_movehdup_ps(y));
    return _mm256_addsub_ps(t1, t2); // (xr yr - xi yi, xi yr + xr yi)
}

// The same, four bins at a time (the same operations per bin, so the same results).
__attribute__((target("avx"))) void
split_avx(const float* z, const float* A, const float* B, size_t nh, float* x)
{
    const __m256 conj =
        _mm256_setr_ps(0.0f, -0.0f, 0.0f, -0.0f, 0.0f, -0.0f, 0.0f, -0.0f);
    size_t k = 1;
    for (; k + 4 <= nh; k += 4) {
        const __m256 a = _mm256_loadu_ps(z + 2 * k);
        // Z[nh-k-3 .. nh-k], reversed to Z[nh-k], ..., Z[nh-k-3], conjugated
        __m256 b = _mm256_loadu_ps(z + 2 * (nh - k - 3));
        b = _mm256_permute2f128_ps(b, b, 1);
        b = _mm256_shuffle_ps(b, b, _MM_SHUFFLE(1, 0, 3, 2));
        b = _mm256_xor_ps(b, conj);
        const __m256 r = _mm256_add_ps(cmul(a, _mm256_loadu_ps(A + 2 * k)),
                                       cmul(b, _mm256_loadu_ps(B + 2 * k)));
        _mm256_storeu_ps(x + 2 * k, r);
    }
    split_range(z, A, B, nh, k, x);
}

const bool have_split_avx = cpu::has_avx();
#endif
} // namespace

template <class T>
void stft_engine<T>::split(size_t nframes, gr_complex* out) const
{
    // z[n] = x[2n] + i x[2n+1], Z = FFT_{N/2}(z): with b = conj(Z[N/2 - k]),
    // X[k] = (Z[k] + b) / 2 - i W^k (Z[k] - b) / 2 = Z[k] A[k] + b B[k],
    // A = (1 - i W^k) / 2, B = (1 + i W^k) / 2, W = e^{-2 pi i / N} (Z[N/2] = Z[0]).
    const size_t nh = d_n / 2;
    const float* A = reinterpret_cast<const float*>(d_split_a.data());
    const float* B = reinterpret_cast<const float*>(d_split_b.data());
    for (size_t f = 0; f < nframes; ++f) {
        const float* z = reinterpret_cast<const float*>(d_half_out.data() + f * nh);
        float* x = reinterpret_cast<float*>(out + f * d_nbins);
#ifdef STREAMPROC_X86_SIMD
        if (have_split_avx)
            split_avx(z, A, B, nh, x);
        else
            split_range(z, A, B, nh, 1, x);
#else
        split_range(z, A, B, nh, 1, x);
#endif
        x[0] = z[0] + z[1];
        x[1] = 0.0f;
        x[2 * nh] = z[0] - z[1];
        x[2 * nh + 1] = 0.0f;
    }
}

template <class T>
const gr_complex* stft_engine<T>::transform(const T* in, size_t nframes)
{
    nframes = std::min(nframes, d_batch);
    window_frames(in, nframes);
    // Always the batch plan, even for fewer frames (the other slots hold old frames
    // whose results are ignored): a plan for another batch size may order its
    // arithmetic differently, and the output must not depend on work-call sizes.
    fftwf_execute(static_cast<fftwf_plan>(d_plan));
    if (d_half)
        split(nframes, d_out.data());
    return d_out.data();
}

template <class T>
void stft_engine<T>::transform_into(const T* in, size_t nframes, gr_complex* out)
{
    if (d_half) {
        nframes = std::min(nframes, d_batch);
        window_frames(in, nframes);
        fftwf_execute(static_cast<fftwf_plan>(d_plan));
        split(nframes, out); // straight into the destination, any alignment
        return;
    }
    auto* fout = reinterpret_cast<fftwf_complex*>(out);
    if (nframes == d_batch &&
        fftwf_alignment_of(reinterpret_cast<float*>(out)) ==
            fftwf_alignment_of(reinterpret_cast<float*>(d_out.data()))) {
        for (size_t k = 0; k < nframes; ++k)
            apply_window(d_in.data() + k * d_n, in + k * d_hop, d_window.data(), d_n);
        // FFTW's new-array execute: same plan, output written in place
        if constexpr (is_real)
            fftwf_execute_dft_r2c(static_cast<fftwf_plan>(d_plan), d_in.data(), fout);
        else
            fftwf_execute_dft(static_cast<fftwf_plan>(d_plan),
                              reinterpret_cast<fftwf_complex*>(d_in.data()),
                              fout);
        return;
    }
    const gr_complex* res = transform(in, nframes);
    std::memcpy(out, res, std::min(nframes, d_batch) * d_nbins * sizeof(gr_complex));
}

template class stft_engine<float>;
template class stft_engine<gr_complex>;

// ---------------------------------------------------------------------------------

psd_averager::scaling_t psd_averager::parse_scaling(const std::string& scaling)
{
    if (scaling == "density")
        return scaling_t::density;
    if (scaling == "spectrum")
        return scaling_t::spectrum;
    throw std::invalid_argument("scaling must be \"density\" or \"spectrum\", got \"" +
                                scaling + "\"");
}

psd_averager::psd_averager(size_t fft_size,
                           size_t nbins,
                           size_t navg,
                           scaling_t scaling,
                           double sample_rate,
                           bool onesided,
                           bool shift,
                           bool db,
                           const std::vector<float>& window)
    : d_n(fft_size),
      d_nbins(nbins),
      d_navg(navg),
      d_scaling(scaling),
      d_rate(sample_rate),
      d_onesided(onesided),
      d_shift(shift),
      d_db(db)
{
    if (navg < 1)
        throw std::invalid_argument("navg must be at least 1, got " +
                                    std::to_string(navg));
    if (!(sample_rate > 0.0) || !std::isfinite(sample_rate))
        throw std::invalid_argument("sample_rate must be positive, got " +
                                    std::to_string(sample_rate));
    d_acc.assign(nbins, 0.0f);
    d_mag.resize(nbins);
    d_scale.resize(nbins);
    compute_scale(window);
}

void psd_averager::compute_scale(const std::vector<float>& window)
{
    double s1 = 0.0, s2 = 0.0;
    for (float w : window) {
        s1 += w;
        s2 += double(w) * w;
    }
    double scale =
        d_scaling == scaling_t::density ? 1.0 / (d_rate * s2) : 1.0 / (s1 * s1);
    scale /= double(d_navg);
    for (size_t k = 0; k < d_nbins; ++k) {
        const bool edge = k == 0 || (d_n % 2 == 0 && k == d_n / 2);
        d_scale[k] = float(d_onesided && !edge ? 2.0 * scale : scale);
    }
}

void psd_averager::set_window(const std::vector<float>& window) { compute_scale(window); }

size_t psd_averager::add(const gr_complex* spectra,
                         size_t nframes,
                         float* out,
                         size_t max_out,
                         size_t* frames_used)
{
    size_t written = 0;
    size_t k = 0;
    for (; k < nframes; ++k) {
        if (written == max_out)
            break;
        float* o = out + written * d_nbins;
        if (d_navg == 1 && !d_shift) {
            // a spectrogram: |X|^2 and the scale straight into the output
            volk_32fc_magnitude_squared_32f(o, spectra + k * d_nbins, unsigned(d_nbins));
            volk_32f_x2_multiply_32f(o, o, d_scale.data(), unsigned(d_nbins));
        } else {
            volk_32fc_magnitude_squared_32f(
                d_mag.data(), spectra + k * d_nbins, unsigned(d_nbins));
            if (d_navg > 1) {
                volk_32f_x2_add_32f(
                    d_acc.data(), d_acc.data(), d_mag.data(), unsigned(d_nbins));
                if (++d_count < d_navg)
                    continue;
                std::copy(d_acc.begin(), d_acc.end(), d_mag.begin());
            } // navg = 1 (a spectrogram): nothing to accumulate
            volk_32f_x2_multiply_32f(
                d_mag.data(), d_mag.data(), d_scale.data(), unsigned(d_nbins));
            if (d_shift) {
                // fftshift: bins N/2.. first (the negative frequencies), then 0..N/2-1
                const size_t h = d_nbins / 2 + d_nbins % 2; // first bin of the upper half
                std::copy(d_mag.begin() + h, d_mag.end(), o);
                std::copy(d_mag.begin(), d_mag.begin() + h, o + (d_nbins - h));
            } else {
                std::copy(d_mag.begin(), d_mag.end(), o);
            }
        }
        if (d_db) {
            // 10 log10(p) = 10 log10(2) log2(p); VOLK's log2 is a polynomial
            // approximation (about 1e-6 relative here), 20x faster than log10f, but
            // gives -127 for 0: zero power is set to -inf by hand.
            volk_32f_log2_32f(d_mag.data(), o, unsigned(d_nbins));
            volk_32f_s32f_multiply_32f(d_mag.data(),
                                       d_mag.data(),
                                       float(10.0 * std::log10(2.0)),
                                       unsigned(d_nbins));
            for (size_t i = 0; i < d_nbins; ++i)
                o[i] = o[i] > 0.0f ? d_mag[i] : -std::numeric_limits<float>::infinity();
        }
        std::fill(d_acc.begin(), d_acc.end(), 0.0f);
        d_count = 0;
        ++written;
    }
    *frames_used = k;
    return written;
}

} // namespace streamproc
} // namespace gr
