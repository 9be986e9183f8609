/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "fftw_wisdom.h"
#include "ols_engine.h"
#include "sample_format.h"
#include "stft_engine.h"
#include <gnuradio/fft/fft.h>
#include <gnuradio/streamproc/array.h>
#include <fftw3.h>
#include <volk/volk.h>
#include <algorithm>
#include <cmath>
#include <complex>
#include <cstring>
#include <map>
#include <mutex>
#include <stdexcept>
#include <tuple>

namespace gr {
namespace streamproc {
namespace array {

// ---------------------------------------------------------------------------------
// sample_reader

struct sample_reader::impl {
    sample_format fmt;
    float scale;
    float offset;
    volk::vector<float> tmp; // real samples on their way to complex ones
    impl(const std::string& datatype, double s, double o)
        : fmt(datatype),
          scale(float(s)),
          offset(float(o)),
          tmp(sample_format::max_chunk())
    {
    }
    void adjust(float* v, size_t nfloats) const
    {
        if (scale == 1.0f && offset == 0.0f)
            return;
        for (size_t i = 0; i < nfloats; ++i)
            v[i] = v[i] * scale + offset;
    }
};

sample_reader::sample_reader(const std::string& datatype, double scale, double offset)
    : d(std::make_unique<impl>(datatype, scale, offset))
{
}
sample_reader::~sample_reader() = default;
bool sample_reader::is_complex() const { return d->fmt.is_complex(); }
size_t sample_reader::file_bytes() const { return d->fmt.file_bytes(); }

void sample_reader::read(const void* src, size_t n, void* dst)
{
    d->fmt.convert(src, n, dst);
    d->adjust(static_cast<float*>(dst), n * (d->fmt.is_complex() ? 2 : 1));
}

void sample_reader::read_complex(const void* src, size_t n, gr_complex* dst)
{
    if (d->fmt.is_complex()) {
        read(src, n, dst);
        return;
    }
    const auto* s = static_cast<const unsigned char*>(src);
    const size_t fb = d->fmt.file_bytes();
    for (size_t done = 0; done < n;) {
        const size_t k = std::min(n - done, d->tmp.size());
        read(s + done * fb, k, d->tmp.data());
        for (size_t i = 0; i < k; ++i)
            dst[done + i] = gr_complex(d->tmp[i], 0.0f);
        done += k;
    }
}

// ---------------------------------------------------------------------------------
// fir_stream

namespace {
fir_method parse_method(const std::string& m,
                        size_t ntaps,
                        unsigned decim,
                        bool is_complex,
                        bool complex_taps)
{
    if (m == "fft" || m == "overlap_save")
        return fir_method::overlap_save;
    if (m == "direct")
        return fir_method::direct;
    if (m == "auto")
        return ols_engine<float>::choose_method(ntaps, decim, is_complex, complex_taps);
    throw std::invalid_argument("method must be \"auto\", \"fft\" or \"direct\", got \"" +
                                m + "\"");
}
} // namespace

template <class T>
struct fir_stream<T>::impl {
    std::unique_ptr<ols_engine<T>> eng;
    size_t hist; // L - 1
    unsigned decim;
    size_t cap;                     // buffer capacity: hist + chunk
    volk::vector<T> buf;            // hist items of history, then new ones
    size_t fill;                    // items in buf
    void run(size_t fresh, T* out); // filters buf's fresh items, keeps the history
};

template <class T>
fir_stream<T>::fir_stream(const std::vector<T>& taps,
                          unsigned decimation,
                          const std::string& method,
                          size_t chunk)
    : d(std::make_unique<impl>())
{
    if (taps.empty())
        throw std::invalid_argument("taps: at least one tap is needed");
    for (const T& t : taps)
        if (!std::isfinite(std::abs(t)))
            throw std::invalid_argument("taps: a tap is NaN or infinite");
    if (decimation < 1)
        throw std::invalid_argument("decimation must be at least 1");
    constexpr bool cplx = !std::is_same<T, float>::value;
    const fir_method m = parse_method(
        method, taps.size(), decimation, cplx, cplx && !detail::taps_all_real(taps));
    d->eng = std::make_unique<ols_engine<T>>(taps, decimation, 0, m);
    d->hist = taps.size() - 1;
    d->decim = decimation;
    // whole blocks of the engine per fill, so no block but the last is partial
    const size_t step = d->eng->block_outputs() * decimation;
    const size_t blocks = std::max<size_t>(1, (chunk + step - 1) / step);
    d->cap = d->hist + blocks * step;
    d->buf.assign(d->cap + decimation, T(0));
    d->fill = d->hist;
}

template <class T>
fir_stream<T>::~fir_stream() = default;

template <class T>
size_t fir_stream<T>::outputs_for(size_t n) const
{
    const size_t chunk = d->cap - d->hist; // a multiple of D
    return (d->fill - d->hist + n) / chunk * (chunk / d->decim);
}

template <class T>
void fir_stream<T>::impl::run(size_t fresh, T* out)
{
    eng->filter(buf.data(), fresh, out);
    std::memmove(buf.data(), buf.data() + fresh, (fill - fresh) * sizeof(T));
    fill -= fresh;
}

template <class T>
size_t fir_stream<T>::process(const T* in, size_t n, T* out)
{
    // only whole buffers: the engine's blocks then lie where they would for any split
    // of the input into calls, and so do their float roundings
    size_t produced = 0;
    while (n > 0) {
        const size_t take = std::min(n, d->cap - d->fill);
        std::copy(in, in + take, d->buf.data() + d->fill);
        d->fill += take;
        in += take;
        n -= take;
        if (d->fill == d->cap) {
            const size_t chunk = d->cap - d->hist;
            d->run(chunk, out + produced);
            produced += chunk / d->decim;
        }
    }
    return produced;
}

template <class T>
size_t fir_stream<T>::finish(T* out)
{
    const size_t k = remaining();
    if (k == 0)
        return 0;
    // the last output's window ends inside the samples held: pad to whole groups of D
    std::fill(d->buf.data() + d->fill, d->buf.data() + d->hist + k * d->decim, T(0));
    d->fill = d->hist + k * d->decim;
    d->run(k * d->decim, out);
    return k;
}

template <class T>
size_t fir_stream<T>::remaining() const
{
    return (d->fill - d->hist + d->decim - 1) / d->decim;
}

template <class T>
size_t fir_stream<T>::ntaps() const
{
    return d->eng->ntaps();
}
template <class T>
unsigned fir_stream<T>::decimation() const
{
    return d->decim;
}
template <class T>
std::string fir_stream<T>::method() const
{
    return d->eng->method() == fir_method::direct ? "direct" : "fft";
}
template <class T>
size_t fir_stream<T>::fft_size() const
{
    return d->eng->fft_size();
}
template <class T>
size_t fir_stream<T>::chunk() const
{
    return d->cap - d->hist;
}
template <class T>
size_t fir_stream<T>::working_bytes() const
{
    // the buffer, and the engine's arrays: about 6 FFT frames of N points plus taps
    const size_t n = d->eng->fft_size();
    return d->buf.size() * sizeof(T) + 6 * n * sizeof(gr_complex) +
           4 * d->eng->ntaps() * sizeof(gr_complex) + 8192 * sizeof(T);
}

template class fir_stream<float>;
template class fir_stream<gr_complex>;

// ---------------------------------------------------------------------------------
// stft_frames

template <class T>
struct stft_frames<T>::impl {
    static constexpr bool is_real = std::is_same<T, float>::value;
    stft_engine<T> eng;
    bool onesided;
    bool shift;
    size_t nbins;
    impl(size_t n, size_t hop, const std::vector<float>& w, bool so)
        : eng(n, hop, w),
          onesided(is_real && so),
          shift(!is_real && so),
          nbins(is_real && so ? n / 2 + 1 : n)
    {
    }
};

template <class T>
stft_frames<T>::stft_frames(size_t fft_size,
                            size_t hop,
                            const std::vector<float>& window,
                            bool shift_or_onesided)
    : d(std::make_unique<impl>(fft_size, hop, window, shift_or_onesided))
{
}
template <class T>
stft_frames<T>::~stft_frames() = default;
template <class T>
size_t stft_frames<T>::nbins() const
{
    return d->nbins;
}
template <class T>
size_t stft_frames<T>::span(size_t nframes) const
{
    return d->eng.span(nframes);
}

template <class T>
void stft_frames<T>::transform(const T* in, size_t nframes, gr_complex* out)
{
    const size_t n = d->eng.fft_size();
    const size_t hop = d->eng.hop();
    const size_t nb = d->nbins;
    for (size_t f = 0; f < nframes;) {
        const size_t k = std::min(d->eng.batch(), nframes - f);
        gr_complex* o = out + f * nb;
        if (!d->shift && (d->onesided || !impl::is_real)) {
            d->eng.transform_into(in + f * hop, k, o);
        } else {
            const gr_complex* spec = d->eng.transform(in + f * hop, k);
            const size_t eb = d->eng.nbins();
            for (size_t j = 0; j < k; ++j) {
                const gr_complex* s = spec + j * eb;
                gr_complex* t = o + j * nb;
                if (impl::is_real) { // all n bins: the upper half by symmetry
                    std::copy(s, s + eb, t);
                    for (size_t b = eb; b < n; ++b)
                        t[b] = std::conj(s[n - b]);
                } else { // fftshift order, as the blocks write it
                    const size_t h = n / 2 + n % 2;
                    std::copy(s + h, s + n, t);
                    std::copy(s, s + h, t + (n - h));
                }
            }
        }
        f += k;
    }
}

template class stft_frames<float>;
template class stft_frames<gr_complex>;

// ---------------------------------------------------------------------------------
// power_sum

template <class T>
struct power_sum<T>::impl {
    stft_engine<T> eng;
    bool detrend;
    std::vector<std::complex<double>> wspec; // DFT of the window, per bin
    impl(size_t n, size_t hop, const std::vector<float>& w, bool dt)
        : eng(n, hop, w), detrend(dt)
    {
        if (!detrend)
            return;
        wspec.resize(eng.nbins());
        for (size_t k = 0; k < wspec.size(); ++k) {
            std::complex<double> s = 0.0;
            for (size_t j = 0; j < n; ++j) {
                const uint64_t m = (uint64_t(j) * k) % n;
                s += double(w[j]) * std::polar(1.0, -2.0 * M_PI * double(m) / double(n));
            }
            wspec[k] = s;
        }
    }
};

template <class T>
power_sum<T>::power_sum(size_t fft_size,
                        size_t hop,
                        const std::vector<float>& window,
                        bool detrend)
    : d(std::make_unique<impl>(fft_size, hop, window, detrend))
{
}
template <class T>
power_sum<T>::~power_sum() = default;
template <class T>
size_t power_sum<T>::nbins() const
{
    return d->eng.nbins();
}
template <class T>
size_t power_sum<T>::span(size_t nframes) const
{
    return d->eng.span(nframes);
}

template <class T>
void power_sum<T>::add(const T* in, size_t nframes, double* acc)
{
    const size_t n = d->eng.fft_size();
    const size_t hop = d->eng.hop();
    const size_t nb = d->eng.nbins();
    for (size_t f = 0; f < nframes;) {
        const size_t k = std::min(d->eng.batch(), nframes - f);
        const gr_complex* spec = d->eng.transform(in + f * hop, k);
        for (size_t j = 0; j < k; ++j) {
            const gr_complex* s = spec + j * nb;
            if (d->detrend) {
                const T* x = in + (f + j) * hop;
                std::complex<double> mean = 0.0;
                for (size_t i = 0; i < n; ++i)
                    mean += std::complex<double>(x[i]);
                mean /= double(n);
                for (size_t b = 0; b < nb; ++b)
                    acc[b] += std::norm(std::complex<double>(s[b]) - mean * d->wspec[b]);
            } else {
                for (size_t b = 0; b < nb; ++b)
                    acc[b] += double(s[b].real()) * s[b].real() +
                              double(s[b].imag()) * s[b].imag();
            }
        }
        f += k;
    }
}

template class power_sum<float>;
template class power_sum<gr_complex>;

// ---------------------------------------------------------------------------------
// fft

namespace {

// at most this many points (8 MiB): one plan, measured (larger ones in memory: the
// four-step algorithm with measured block plans beat FFTW's estimated single plan by 1.3x
// at 2^24)
constexpr uint64_t k_single_max = uint64_t(1) << 20;
// the four-step algorithm's blocks in memory: 4 MiB (measured fastest of 256 KiB-16 MiB)
constexpr uint64_t k_cache_block = uint64_t(4) << 20;

uint64_t smooth_at_least(uint64_t n)
{
    for (uint64_t m = std::max<uint64_t>(n, 1);; ++m) {
        uint64_t r = m;
        for (uint64_t p : { 2, 3, 5, 7 })
            while (r % p == 0)
                r /= p;
        if (r == 1)
            return m;
    }
}

// FFTW plans of one shape, made once per process (under GNU Radio's planner lock)
fftwf_plan cached_plan(int n, int howmany, int stride, int dist, int sign, gr_complex* a)
{
    static std::map<std::tuple<int, int, int, int, int, int>, fftwf_plan> cache;
    const int align = fftwf_alignment_of(reinterpret_cast<float*>(a));
    const auto key = std::make_tuple(n, howmany, stride, dist, sign, align);
    std::lock_guard<std::mutex> lock(gr::fft::planner::mutex());
    auto it = cache.find(key);
    if (it != cache.end())
        return it->second;
    // Small transforms (the blocks of the four-step algorithm) are measured, on an
    // array of their own (measuring overwrites it) with the same alignment; FFTW's
    // wisdom keeps the result for later runs. Large ones are estimated: measuring
    // millions of points takes minutes.
    const size_t extent = size_t(n - 1) * stride + size_t(howmany - 1) * dist + 1;
    const bool measure = extent * sizeof(gr_complex) <= (size_t(8) << 20);
    fftwf_plan p;
    if (measure) {
        volk::vector<gr_complex> tmp(extent + 8);
        gr_complex* t = tmp.data();
        while (fftwf_alignment_of(reinterpret_cast<float*>(t)) != align)
            ++t;
        auto* ft = reinterpret_cast<fftwf_complex*>(t);
        p = fftwf_plan_many_dft(1,
                                &n,
                                howmany,
                                ft,
                                nullptr,
                                stride,
                                dist,
                                ft,
                                nullptr,
                                stride,
                                dist,
                                sign,
                                FFTW_MEASURE);
    } else {
        auto* fa = reinterpret_cast<fftwf_complex*>(a);
        p = fftwf_plan_many_dft(1,
                                &n,
                                howmany,
                                fa,
                                nullptr,
                                stride,
                                dist,
                                fa,
                                nullptr,
                                stride,
                                dist,
                                sign,
                                FFTW_ESTIMATE);
    }
    if (!p)
        throw std::runtime_error("FFTW could not plan a " + std::to_string(n) +
                                 "-point transform");
    cache.emplace(key, p);
    return p;
}

void run_plan(fftwf_plan p, gr_complex* a)
{
    auto* fa = reinterpret_cast<fftwf_complex*>(a);
    fftwf_execute_dft(p, fa, fa);
}

} // namespace

fft_layout plan_fft(uint64_t n, uint64_t max_memory)
{
    if (n == 0)
        throw std::invalid_argument("the input is empty: nothing to transform");
    uint64_t r = n;
    for (uint64_t p : { 2, 3, 5, 7 })
        while (r % p == 0)
            r /= p;
    if (r != 1) {
        uint64_t f = 11;
        while (r % f != 0)
            ++f;
        throw std::invalid_argument(
            "the length " + std::to_string(n) + " has the prime factor " +
            std::to_string(f) +
            ": fft() takes lengths whose prime factors are 2, 3, 5 and 7 (zero-pad to " +
            std::to_string(smooth_at_least(n)) + ", the next such length)");
    }
    fft_layout l;
    l.n = n;
    const uint64_t bytes = n * sizeof(gr_complex);
    const bool fits = bytes <= max_memory && n <= uint64_t(INT32_MAX);
    if (fits && (n <= k_single_max || 2 * bytes + k_cache_block > max_memory)) {
        l.in_memory = true; // one FFTW plan over out
        l.passes = 1;
        return l;
    }
    // the four-step algorithm: in memory (scratch and out within max_memory) in blocks
    // that stay in the caches, else out of core in blocks of max_memory
    l.in_memory = fits;
    const uint64_t block = fits ? std::min(max_memory, k_cache_block) : max_memory;
    // n1: the largest divisor of n not above sqrt(n)
    uint64_t best = 1;
    for (uint64_t a = 1; a * a <= n; a *= 2)
        for (uint64_t b = a; b * b <= n; b *= 3)
            for (uint64_t c = b; c * c <= n; c *= 5)
                for (uint64_t e = c; e * e <= n; e *= 7)
                    if (n % e == 0)
                        best = std::max(best, e);
    l.n1 = best;
    l.n2 = n / best;
    l.columns = std::min<uint64_t>(l.n2, block / (sizeof(gr_complex) * l.n1));
    l.rows = std::min<uint64_t>(l.n1, block / (sizeof(gr_complex) * l.n2));
    if (l.columns == 0 || l.rows == 0)
        throw std::invalid_argument(
            "max_memory " + std::to_string(max_memory) +
            " bytes cannot hold one row of " + std::to_string(l.n2) + " points of a " +
            std::to_string(n) + "-point transform: give at least " +
            std::to_string(l.n2 * sizeof(gr_complex)) + " bytes");
    l.passes = 2;
    return l;
}

fft_layout fft(const void* src,
               sample_reader& reader,
               uint64_t n,
               gr_complex* out,
               gr_complex* scratch,
               bool inverse,
               uint64_t max_memory,
               const progress_fn& progress)
{
    const fft_layout l = plan_fft(n, max_memory);
    const int sign = inverse ? FFTW_BACKWARD : FFTW_FORWARD;
    const float scale = inverse ? float(1.0 / double(n)) : 1.0f;
    const auto* s = static_cast<const unsigned char*>(src);
    const size_t fb = reader.file_bytes();
    sync_fftw_wisdom();
    if (l.passes == 1) {
        const uint64_t step = 1 << 20;
        for (uint64_t i = 0; i < n; i += step)
            reader.read_complex(s + i * fb, std::min(step, n - i), out + i);
        run_plan(cached_plan(int(n), 1, 1, int(n), sign, out), out);
        if (inverse)
            volk_32f_s32f_multiply_32f(reinterpret_cast<float*>(out),
                                       reinterpret_cast<float*>(out),
                                       scale,
                                       2 * n);
        if (progress)
            progress(n, n);
        return l;
    }
    volk::vector<gr_complex> own_scratch;
    if (l.in_memory) {
        own_scratch.resize(n);
        scratch = own_scratch.data();
    }
    if (!scratch)
        throw std::invalid_argument("an out-of-core transform needs a scratch array");
    const uint64_t n1 = l.n1, n2 = l.n2, total = 2 * n;
    uint64_t done = 0;

    // pass 1: blocks of columns j2 in [c0, c0 + b): n1-point transforms down each
    volk::vector<gr_complex> blk(std::max(n1 * l.columns, n2 * l.rows));
    for (uint64_t c0 = 0; c0 < n2; c0 += l.columns) {
        const uint64_t b = std::min(l.columns, n2 - c0);
        for (uint64_t r = 0; r < n1; ++r)
            reader.read_complex(s + (r * n2 + c0) * fb, b, blk.data() + r * b);
        run_plan(cached_plan(int(n1), int(b), int(b), 1, sign, blk.data()), blk.data());
        for (uint64_t r = 0; r < n1; ++r)
            std::memcpy(
                scratch + r * n2 + c0, blk.data() + r * b, b * sizeof(gr_complex));
        done += n1 * b;
        if (progress)
            progress(done, total);
    }

    // pass 2: blocks of rows k1: twiddles, n2-point transforms along each, and the
    // transpose out[k2 * n1 + k1]
    const double dir = inverse ? 2.0 * M_PI : -2.0 * M_PI;
    constexpr uint64_t reseed = 32; // exact twiddles every 32 steps of the recurrence
    constexpr uint64_t tile = 8;    // columns written out at once (one cache line)
    for (uint64_t r0 = 0; r0 < n1; r0 += l.rows) {
        const uint64_t rr = std::min(l.rows, n1 - r0);
        std::memcpy(blk.data(), scratch + r0 * n2, rr * n2 * sizeof(gr_complex));
        for (uint64_t i = 0; i < rr; ++i) {
            const uint64_t k1 = r0 + i;
            if (k1 == 0)
                continue;
            gr_complex* row = blk.data() + i * n2;
            const std::complex<double> step =
                std::polar(1.0, dir * double(k1) / double(n));
            for (uint64_t j = 0; j < n2; j += reseed) {
                const uint64_t m = (k1 * j) % n; // k1 * j < n1 * n2: no overflow
                std::complex<double> w = std::polar(1.0, dir * double(m) / double(n));
                const uint64_t e = std::min(n2, j + reseed);
                for (uint64_t q = j; q < e; ++q) {
                    row[q] = gr_complex(std::complex<double>(row[q]) * w);
                    w *= step;
                }
            }
        }
        run_plan(cached_plan(int(n2), int(rr), 1, int(n2), sign, blk.data()), blk.data());
        for (uint64_t k2 = 0; k2 < n2; k2 += tile) {
            const uint64_t te = std::min(n2, k2 + tile);
            for (uint64_t t = k2; t < te; ++t) {
                gr_complex* o = out + t * n1 + r0;
                const gr_complex* b = blk.data() + t;
                for (uint64_t i = 0; i < rr; ++i)
                    o[i] = b[i * n2] * scale;
            }
        }
        done += rr * n2;
        if (progress)
            progress(done, total);
    }
    return l;
}

} // namespace array
} // namespace streamproc
} // namespace gr
