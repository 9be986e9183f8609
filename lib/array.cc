/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "event_core.h"
#include "event_file_sink_impl.h"
#include "fftw_wisdom.h"
#include "ols_engine.h"
#include "sample_format.h"
#include "stft_engine.h"
#include <gnuradio/fft/fft.h>
#include <gnuradio/streamproc/array.h>
#include <fcntl.h>
#include <fftw3.h>
#include <sys/uio.h>
#include <system_error>
#include <unistd.h>
#include <volk/volk.h>
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <complex>
#include <cstdlib>
#include <cstring>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <numeric>
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
// detector_stream

template <class T>
struct detector_stream<T>::impl {
    static detector_config config_of(const detect_settings& s);
    explicit impl(const detect_settings& s) : core(config_of(s)), rate(s.sample_rate) {}
    event_core<T> core;
    std::unique_ptr<fir_stream<T>> fir; // detect_chain's ols_fir (decimating filters)
    volk::vector<T> filtered;
    double rate;
    uint64_t decim = 1, delay = 0, in = 0, seen = 0; // seen: detector samples
    std::vector<detected_event> events;
    std::vector<event_edge> edges; // (not kept)
    std::vector<std::string> lines;
    std::string line;
    void detect(const T* x, size_t n)
    {
        events.clear();
        core.process(x, seen, n, events, nullptr);
        seen += n;
        emit();
    }
    void emit()
    {
        for (const auto& ev : events) {
            const event_record r =
                record_of(ev, double(ev.start) / rate, rate, decim, delay);
            line.clear();
            event_file_sink_impl::format_json(r, line);
            lines.push_back(line);
        }
        events.clear();
    }
};

template <class T>
detector_config detector_stream<T>::impl::config_of(const detect_settings& s)
{
    if (s.window < 1)
        throw std::invalid_argument("window must be at least 1, got " +
                                    std::to_string(s.window));
    if (s.floor_horizon < 1)
        throw std::invalid_argument("floor_horizon must be at least 1 sample, got " +
                                    std::to_string(s.floor_horizon));
    if (s.decimation < 1 || (s.taps.empty() && s.decimation != 1))
        throw std::invalid_argument("decimation " + std::to_string(s.decimation) +
                                    " needs taps (an anti-alias filter)");
    if (s.prefilter && (s.decimation != 1 || s.taps.size() > detail::short_fir_max_taps))
        throw std::invalid_argument("a prefilter has at most " +
                                    std::to_string(detail::short_fir_max_taps) +
                                    " taps and no decimation");
    for (size_t i = 0; i < s.taps.size(); ++i)
        if (!std::isfinite(s.taps[i]))
            throw std::invalid_argument("tap " + std::to_string(i) + " is not finite");
    detector_config c;
    c.window = size_t(s.window);
    c.threshold_db = s.threshold_db;
    c.relative = s.relative;
    c.hysteresis_db = s.hysteresis_db;
    c.min_duration = s.min_duration;
    c.merge_gap = s.merge_gap;
    c.max_duration = s.max_duration;
    c.sample_rate = s.sample_rate;
    c.dof = std::is_same<T, float>::value ? 1.0 : 2.0;
    c.floor_horizon = uint64_t(s.floor_horizon);
    c.fixed_floor = s.fixed_floor;
    c.floor_db = s.floor_db;
    c.min_floor = s.min_floor;
    if (!s.taps.empty()) // the noise it detects in is filtered
        c.noise_filter(s.taps, s.prefilter ? 1 : s.decimation);
    c.validate();
    return c;
}

template <class T>
detector_stream<T>::detector_stream(const detect_settings& s)
    : d(std::make_unique<impl>(s))
{
    if (s.taps.empty())
        return;
    d->delay = (s.taps.size() - 1) / 2;
    if (s.prefilter) {
        d->core.set_prefilter(s.taps);
        return;
    }
    d->decim = s.decimation;
    d->fir = std::make_unique<fir_stream<T>>(std::vector<T>(s.taps.begin(), s.taps.end()),
                                             s.decimation);
    d->filtered.resize(d->fir->chunk() / s.decimation + 1);
}

template <class T>
detector_stream<T>::~detector_stream() = default;

template <class T>
void detector_stream<T>::process(const T* in, size_t n)
{
    d->in += n;
    if (!d->fir) {
        d->detect(in, n);
        return;
    }
    // through the filter one buffer at a time (its outputs fit d->filtered)
    const size_t step = d->fir->chunk();
    for (size_t done = 0; done < n;) {
        const size_t k = std::min(step, n - done);
        d->detect(d->filtered.data(), d->fir->process(in + done, k, d->filtered.data()));
        done += k;
    }
}

template <class T>
void detector_stream<T>::finish()
{
    if (d->fir)
        d->detect(d->filtered.data(), d->fir->finish(d->filtered.data()));
    d->core.finish(d->events, d->edges);
    d->edges.clear();
    d->emit();
}

template <class T>
std::vector<std::string> detector_stream<T>::take_events()
{
    std::vector<std::string> out;
    out.swap(d->lines);
    return out;
}

template <class T>
uint64_t detector_stream<T>::samples() const
{
    return d->in;
}

template class detector_stream<float>;
template class detector_stream<gr_complex>;

// ---------------------------------------------------------------------------------
// fft

namespace {

// at most this many points (8 MiB): one plan, measured (larger ones in memory: the
// four-step algorithm with measured block plans beat FFTW's estimated single plan by 1.3x
// at 2^24)
constexpr uint64_t k_single_max = uint64_t(1) << 20;
// Direct I/O (O_DIRECT) wants the buffer, the file offset and the length on this
constexpr uint64_t k_io_align = 4096;
// The out-of-core passes write in chunks of 2 MiB (at most an eighth of max_memory, m
// items), so that most of the memory holds the blocks read: reads of 32 KiB pieces
// (16 MiB blocks and whole blocks written) ran at 340 MB/s beside the writes.
uint64_t write_chunk(uint64_t m)
{
    const uint64_t a = k_io_align / sizeof(gr_complex);
    const uint64_t c =
        std::min<uint64_t>((uint64_t(2) << 20) / sizeof(gr_complex), m / 8);
    return c >= a ? c - c % a : std::max<uint64_t>(c, 1);
}
// the four-step algorithm's blocks in memory: row blocks of 2 MiB (a core's L2 here; 1,
// 2, 4 and 8 MiB measured at 2^24: 2 fastest), column blocks of 4 MiB (2, 4, 8 MiB
// measured at 2^24..2^26: longer runs read faster, the strided transforms slower)
constexpr uint64_t k_cache_block = uint64_t(2) << 20;
constexpr uint64_t k_column_block = uint64_t(4) << 20;

// the divisors of a 7-smooth n, ascending
std::vector<uint64_t> smooth_divisors(uint64_t n)
{
    std::vector<uint64_t> d;
    for (uint64_t a = 1; n % a == 0; a *= 2)
        for (uint64_t b = a; n % b == 0; b *= 3)
            for (uint64_t c = b; n % c == 0; c *= 5)
                for (uint64_t e = c; n % e == 0; e *= 7) {
                    d.push_back(e);
                    if (e > n / 7)
                        break;
                }
    std::sort(d.begin(), d.end());
    return d;
}

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
fftwf_plan make_plan(int n, int howmany, int stride, int dist, int sign, gr_complex* a);

// FFTW plans of one shape, made once per process; a measured one's wisdom is saved in
// GNU Radio's wisdom file (so the next process does not measure it again)
fftwf_plan cached_plan(int n, int howmany, int stride, int dist, int sign, gr_complex* a)
{
    static std::map<std::tuple<int, int, int, int, int, int>, fftwf_plan> cache;
    static std::mutex cache_mutex;
    const int align = fftwf_alignment_of(reinterpret_cast<float*>(a));
    const auto key = std::make_tuple(n, howmany, stride, dist, sign, align);
    {
        std::lock_guard<std::mutex> lock(cache_mutex);
        auto it = cache.find(key);
        if (it != cache.end())
            return it->second;
    }
    fftwf_plan p = make_plan(n, howmany, stride, dist, sign, a);
    sync_fftw_wisdom(); // outside the planner lock (it takes it)
    std::lock_guard<std::mutex> lock(cache_mutex);
    auto it = cache.find(key);
    if (it != cache.end()) { // planned meanwhile by another thread
        std::lock_guard<std::mutex> plock(gr::fft::planner::mutex());
        fftwf_destroy_plan(p);
        return it->second;
    }
    cache.emplace(key, p);
    return p;
}

// one plan under GNU Radio's planner lock
fftwf_plan make_plan(int n, int howmany, int stride, int dist, int sign, gr_complex* a)
{
    const int align = fftwf_alignment_of(reinterpret_cast<float*>(a));
    std::lock_guard<std::mutex> lock(gr::fft::planner::mutex());
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
    return p;
}

void run_plan(fftwf_plan p, gr_complex* a)
{
    auto* fa = reinterpret_cast<fftwf_complex*>(a);
    fftwf_execute_dft(p, fa, fa);
}

} // namespace

fft_layout plan_fft(uint64_t n, uint64_t max_memory, bool out_in_memory)
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
    const bool fits = out_in_memory && bytes <= max_memory && n <= uint64_t(INT32_MAX);
    if (fits && (n <= k_single_max || bytes + k_column_block > max_memory)) {
        l.in_memory = true; // one FFTW plan over out
        l.passes = 1;
        return l;
    }
    const std::vector<uint64_t> divs = smooth_divisors(n);
    const uint64_t m = max_memory / sizeof(gr_complex); // elements of working memory
    if (fits) {
        // in memory: the two-pass four-step algorithm in out itself (no scratch: new
        // memory costs ~1 ns per byte on first touch here, a third of the transform at
        // 2^24), blocks of 4 MiB that stay in the caches. n2: the largest n2 with
        // n2 | n1 (n2^2 | n), so that the rows are transformed where they are and the
        // n1 x n2 result is transposed in place as f = n1 / n2 squares (then their rows
        // interleaved).
        uint64_t n2 = 1;
        for (uint64_t d : divs)
            if (d * d <= n && (n / d) % d == 0)
                n2 = d;
        const uint64_t n1 = n / n2;
        const uint64_t block = k_cache_block / sizeof(gr_complex);
        const uint64_t block1 = k_column_block / sizeof(gr_complex);
        l.in_memory = true;
        l.n1 = n1;
        l.n2 = n2;
        l.columns = std::max<uint64_t>(1, std::min(n2, block1 / n1));
        l.rows = std::max<uint64_t>(1, std::min(n1, block / n2));
        l.passes = 2;
        return l;
    }
    // out of core: three passes whose writes are all contiguous blocks (a scattered
    // write into a mapped file makes the kernel write back a whole page or folio for
    // each: measured 90x the data on ext4 with large folios). n2 (the row transforms)
    // as long as two rows fit max_memory, up to 2^20 points (a measured plan: longer
    // estimated ones ran at half the rate), so n1 is small and each read a long run.
    uint64_t need = UINT64_MAX;
    for (auto it = divs.rbegin(); it != divs.rend(); ++it) {
        const uint64_t n2 = *it, d = n / n2;
        if (d < 2)
            continue;
        need = std::min(need, (8 * std::max(d, n2) + 2) / 3);
        const uint64_t blocks = m - 2 * write_chunk(m); // two write chunks, ...
        if (2 * n2 <= blocks && n2 <= k_single_max && 2 * d <= blocks) {
            l.n1 = d;
            l.n2 = n2;
            // ... and two blocks as read (pass 1: one): the longer the blocks, the longer
            // the pieces passes 2 and 3 read (rows x columns items)
            l.columns = std::min(n2, blocks / (2 * d));
            l.rows = std::min(d, blocks / (2 * n2));
            // the pieces passes 2 and 3 read (columns items at multiples of it) on
            // 4 KiB, so that they are read directly
            const uint64_t q = k_io_align / sizeof(gr_complex);
            if (l.columns < n2 && l.columns >= q)
                l.columns -= l.columns % q;
            l.passes = 3;
            return l;
        }
    }
    throw std::invalid_argument(
        "max_memory " + std::to_string(max_memory) + " bytes is too small for an " +
        "out-of-core transform of " + std::to_string(n) + " points: give at least " +
        std::to_string((need == UINT64_MAX ? n : need) * sizeof(gr_complex)) + " bytes");
}

namespace {

// The twiddles W^e = e^{dir i e / n} of a length n, for any e < n, from two tables in
// double: W^e = hi[b] lo[a] for e = b s + a, s the divisor of n nearest sqrt(n). A row's
// factors W^{k q} (q < len) in runs of k_run: W^{k q0} W^{k (q - q0)}, both exact from
// the tables, multiplied in double and rounded once to float, then applied with VOLK.
class twiddles
{
public:
    twiddles(uint64_t n, double dir) : d_run(k_run)
    {
        const std::vector<uint64_t> divs = smooth_divisors(n);
        for (uint64_t d : divs)
            if (d * d <= n)
                d_s = d;
        d_nb = n / d_s;
        d_lo.resize(d_s);
        d_hi.resize(d_nb);
        for (uint64_t a = 0; a < d_s; ++a)
            d_lo[a] = std::polar(1.0, dir * double(a) / double(n));
        for (uint64_t b = 0; b < d_nb; ++b)
            d_hi[b] = std::polar(1.0, dir * double(b * d_s) / double(n));
    }
    //! row[q] *= W^{k q mod n} for q < len (k < n, len <= n)
    void apply(gr_complex* row, uint64_t k, uint64_t len) const
    {
        if (k == 0)
            return;
        // exponents as (b, a), e = b s + a, stepped without a division
        const uint64_t ka = k % d_s, kb = k / d_s;
        auto step = [this](uint64_t& a, uint64_t& b, uint64_t sa, uint64_t sb) {
            a += sa;
            b += sb;
            if (a >= d_s) {
                a -= d_s;
                ++b;
            }
            if (b >= d_nb)
                b -= d_nb;
        };
        double ur[k_run], ui[k_run];
        const uint64_t m = std::min<uint64_t>(k_run, len);
        uint64_t a = 0, b = 0;
        for (uint64_t q = 0; q < m; ++q) { // W^{k q}, q < k_run
            const std::complex<double> u = d_hi[b] * d_lo[a];
            ur[q] = u.real();
            ui[q] = u.imag();
            step(a, b, ka, kb);
        }
        // (a, b) is now k m mod n: from one run's start to the next
        const uint64_t ra = a, rb = b;
        a = 0;
        b = 0;
        for (uint64_t q0 = 0; q0 < len; q0 += k_run) {
            const std::complex<double> v = d_hi[b] * d_lo[a];
            const double vr = v.real(), vi = v.imag();
            const uint64_t r = std::min<uint64_t>(k_run, len - q0);
            float* w = reinterpret_cast<float*>(d_run.data());
            for (uint64_t q = 0; q < r; ++q) {
                w[2 * q] = float(vr * ur[q] - vi * ui[q]);
                w[2 * q + 1] = float(vr * ui[q] + vi * ur[q]);
            }
            volk_32fc_x2_multiply_32fc(row + q0, row + q0, d_run.data(), unsigned(r));
            step(a, b, ra, rb);
        }
    }

private:
    static constexpr uint64_t k_run = 256;
    uint64_t d_s = 1, d_nb = 1;
    std::vector<std::complex<double>> d_lo, d_hi;
    mutable volk::vector<gr_complex> d_run; // one run's factors
};

// op(offset into the buffer, bytes, file offset) -- a pread or a pwrite -- until all
// bytes are done; EINTR retried, a failure or a short end (eof_errno) thrown
template <class Op>
void positioned_io(
    Op op, uint64_t bytes, uint64_t off, int eof_errno, const std::string& what)
{
    for (uint64_t done = 0; done < bytes;) {
        const ssize_t k =
            op(done, std::min<uint64_t>(bytes - done, 1 << 30), off_t(off + done));
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            throw std::system_error(
                k < 0 ? errno : eof_errno, std::generic_category(), what);
        done += uint64_t(k);
    }
}

// Page-aligned working memory (the blocks the out-of-core passes write and read back)
class io_buffer
{
public:
    explicit io_buffer(uint64_t items)
        : d_p(static_cast<gr_complex*>(std::aligned_alloc(
              k_io_align,
              (items * sizeof(gr_complex) + k_io_align - 1) / k_io_align * k_io_align)))
    {
        if (!d_p)
            throw std::bad_alloc();
    }
    gr_complex* data() const { return d_p.get(); }

private:
    struct release {
        void operator()(gr_complex* p) const { std::free(p); }
    };
    std::unique_ptr<gr_complex, release> d_p;
};

// A store (memory, or a file through pwrite/pread: a mapped file's pages would be
// zero-filled by the kernel before each is written, measured 44 % of an out-of-core
// transform's time). A file is also opened a second time with O_DIRECT, used for every
// request on 4 KiB boundaries: the three passes of a 2^30-point transform write 24 GiB
// of new page-cache pages, which the kernel filled at ~240 MB/s on the project machine
// (a new 4 GiB file through the page cache; 1.3 GB/s with O_DIRECT) and evicted again
// (8 GiB in, out and scratch did not fit), reading them back from the disk. A file
// system without O_DIRECT (EINVAL) keeps the buffered path.
class store_io
{
public:
    explicit store_io(const fft_store& st) : d_st(st)
    {
        if (st.ptr || st.fd < 0)
            return;
        const int flags = ::fcntl(st.fd, F_GETFL);
        if (flags >= 0)
            d_direct = ::open(("/proc/self/fd/" + std::to_string(st.fd)).c_str(),
                              (flags & O_ACCMODE) | O_DIRECT | O_CLOEXEC);
    }
    ~store_io()
    {
        if (d_direct >= 0)
            ::close(d_direct);
    }
    store_io(const store_io&) = delete;
    store_io& operator=(const store_io&) = delete;

    bool in_memory() const { return d_st.ptr != nullptr; }

    //! count items at item position pos
    void write(uint64_t pos, const gr_complex* src, uint64_t count) const
    {
        transfer(true, const_cast<gr_complex*>(src), pos, count);
    }
    void read(uint64_t pos, gr_complex* dst, uint64_t count) const
    {
        transfer(false, dst, pos, count);
    }

    //! pieces runs of piece items, one after the other at item position pos, into
    //! dst + j * stride (j < pieces): one direct read (preadv) where they all align
    void read_pieces(uint64_t pos,
                     gr_complex* dst,
                     uint64_t pieces,
                     uint64_t piece,
                     uint64_t stride) const
    {
        constexpr uint64_t k_max_pieces = 64;
        const uint64_t off = d_st.offset + pos * sizeof(gr_complex);
        const uint64_t bytes = piece * sizeof(gr_complex);
        if (pieces > 1 && pieces <= k_max_pieces && d_direct >= 0 && d_direct_ok.load() &&
            reinterpret_cast<uintptr_t>(dst) % k_io_align == 0 && off % k_io_align == 0 &&
            bytes % k_io_align == 0 && stride * sizeof(gr_complex) % k_io_align == 0) {
            iovec iov[k_max_pieces];
            for (uint64_t j = 0; j < pieces; ++j)
                iov[j] = { dst + j * stride, bytes };
            const ssize_t k = ::preadv(d_direct, iov, int(pieces), off_t(off));
            if (k == ssize_t(pieces * bytes))
                return;
            if (k < 0 && errno == EINVAL)
                d_direct_ok = false;
            // else short or interrupted: read again piece by piece (errors thrown there)
        }
        for (uint64_t j = 0; j < pieces; ++j)
            read(pos + j * piece, dst + j * stride, piece);
    }

private:
    void transfer(bool writing, gr_complex* buf, uint64_t pos, uint64_t count) const
    {
        if (d_st.ptr) {
            if (writing)
                std::memcpy(d_st.ptr + pos, buf, count * sizeof(gr_complex));
            else
                std::memcpy(buf, d_st.ptr + pos, count * sizeof(gr_complex));
            return;
        }
        char* p = reinterpret_cast<char*>(buf);
        auto op = [writing, p](int fd, uint64_t at, uint64_t len, off_t o) {
            return writing ? ::pwrite(fd, p + at, len, o) : ::pread(fd, p + at, len, o);
        };
        const uint64_t off = d_st.offset + pos * sizeof(gr_complex);
        const uint64_t bytes = count * sizeof(gr_complex);
        const bool aligned = reinterpret_cast<uintptr_t>(buf) % k_io_align == 0 &&
                             off % k_io_align == 0 && bytes % k_io_align == 0;
        positioned_io(
            [&](uint64_t at, uint64_t len, off_t o) {
                if (aligned && d_direct >= 0 && d_direct_ok.load()) {
                    const ssize_t k = op(d_direct, at, len, o);
                    if (!(k < 0 && errno == EINVAL))
                        return k;
                    d_direct_ok = false; // not on this file system: buffered from now on
                }
                return op(d_st.fd, at, len, o);
            },
            bytes,
            off,
            writing ? ENOSPC : EIO,
            (writing ? "cannot write the transform's "
                     : "cannot read back the transform's ") +
                d_st.what);
    }

    const fft_store& d_st;
    int d_direct = -1;
    mutable std::atomic<bool> d_direct_ok{ true };
};

// Reads into distinct places of a block, issued from k_readers threads: a direct read of
// 40 KiB waits ~80 us for the disk (370 MB/s one at a time, 1.1 GB/s for 1 MiB with dd;
// fio, random 16/32 KiB: 610/710 MB/s 8 at a time, 680/930 MB/s 16 at a time).
struct read_request {
    uint64_t pos;
    gr_complex* dst;
    uint64_t count;      //!< items of a piece
    uint64_t pieces = 1; //!< pieces one after the other in the store, ...
    uint64_t stride = 0; //!< ... stride items apart in dst
};
constexpr size_t k_readers = 16;

void read_all(const store_io& io, const std::vector<read_request>& reqs)
{
    const size_t t = io.in_memory() ? 1 : std::min(k_readers, reqs.size());
    auto part = [&io, &reqs, t](size_t k) {
        for (size_t i = k; i < reqs.size(); i += t)
            io.read_pieces(
                reqs[i].pos, reqs[i].dst, reqs[i].pieces, reqs[i].count, reqs[i].stride);
    };
    std::vector<std::future<void>> others; // (their destructors wait)
    for (size_t k = 1; k < t; ++k)
        others.push_back(std::async(std::launch::async, part, k));
    part(0);
    for (auto& f : others)
        f.get();
}

// The next block's reads, in the background while this one is computed
class block_prefetch
{
public:
    ~block_prefetch()
    {
        if (d_f.valid())
            d_f.wait();
    }
    void start(const store_io& io, std::vector<read_request> reqs)
    {
        d_f = std::async(std::launch::async,
                         [&io, r = std::move(reqs)] { read_all(io, r); });
    }
    //! Waits for the reads started last; rethrows a failed one's error.
    void wait()
    {
        if (d_f.valid())
            d_f.get();
    }

private:
    std::future<void> d_f;
};

// The input: stored samples in memory, or in a file read with pread (a mapping's page
// faults cost a third of an out-of-core pass over a file in the page cache)
struct source {
    const unsigned char* ptr;
    int fd;
    uint64_t offset;
    sample_reader& reader;
    size_t fb;
    std::vector<unsigned char> raw; // one run's bytes (file input)
    void read(uint64_t pos, uint64_t count, gr_complex* dst)
    {
        if (ptr) {
            reader.read_complex(ptr + pos * fb, count, dst);
            return;
        }
        raw.resize(std::max<size_t>(raw.size(), count * fb));
        unsigned char* p = raw.data();
        positioned_io([&](uint64_t at,
                          uint64_t len,
                          off_t off) { return ::pread(fd, p + at, len, off); },
                      count * fb,
                      offset + pos * fb,
                      EIO,
                      "cannot read the input samples");
        reader.read_complex(raw.data(), count, dst);
    }
};

// Writes a block in a thread of its own while the next one is computed (two buffers:
// the page cache's first touch of new pages ran at 350-470 MB/s on the project
// machine, a third of an out-of-core pass).
class block_writer
{
public:
    explicit block_writer(size_t items) : d_buf{ io_buffer(items), io_buffer(items) } {}
    ~block_writer()
    {
        for (auto& f : d_pending)
            if (f.valid())
                f.wait();
    }
    //! The buffer to fill next (waits for its last write).
    gr_complex* next()
    {
        wait(d_cur);
        return d_buf[d_cur].data();
    }
    //! Writes count items of the buffer next() gave at pos of st, in the background.
    void submit(const store_io& st, uint64_t pos, uint64_t count)
    {
        const gr_complex* p = d_buf[d_cur].data();
        d_pending[d_cur] = std::async(std::launch::async,
                                      [&st, pos, p, count] { st.write(pos, p, count); });
        d_cur ^= 1;
    }
    //! Waits for every write; rethrows a failed one's error.
    void finish()
    {
        wait(0);
        wait(1);
    }

private:
    void wait(int i)
    {
        if (d_pending[i].valid())
            d_pending[i].get();
    }
    io_buffer d_buf[2];
    std::future<void> d_pending[2];
    int d_cur = 0;
};

// Matrices are transposed a tile at a time through local tiles, their rows read and
// written whole (walking a column of a matrix with a power-of-two row length hits one
// cache set: 4.6 ns per point for an in-place transpose at 2^24, 2.9 through tiles).
constexpr uint64_t k_tile = 32;

// tile[i][j] = src[i * ld + j] for i < h, j < w
void load_tile(
    gr_complex* tile, const gr_complex* src, uint64_t ld, uint64_t h, uint64_t w)
{
    for (uint64_t i = 0; i < h; ++i)
        std::memcpy(tile + i * k_tile, src + i * ld, w * sizeof(gr_complex));
}

// dst[j * ld + i] = tile[i][j] * scale for i < h, j < w (the h x w tile, transposed)
void store_transposed(gr_complex* dst,
                      uint64_t ld,
                      const gr_complex* tile,
                      uint64_t h,
                      uint64_t w,
                      float scale)
{
    for (uint64_t j = 0; j < w; ++j) {
        gr_complex* d = dst + j * ld;
        for (uint64_t i = 0; i < h; ++i)
            d[i] = tile[i * k_tile + j] * scale;
    }
}

// a[c * n + r] <-> a[r * n + c]: a square n x n matrix transposed in place, a pair of
// tiles at a time
void transpose_in_place(gr_complex* a, uint64_t n)
{
    constexpr uint64_t t = k_tile;
    gr_complex ta[t * t], tb[t * t];
    for (uint64_t r0 = 0; r0 < n; r0 += t)
        for (uint64_t c0 = r0; c0 < n; c0 += t) {
            const uint64_t h = std::min(t, n - r0), w = std::min(t, n - c0);
            load_tile(ta, a + r0 * n + c0, n, h, w); // the tile at (r0, c0), h x w
            load_tile(tb, a + c0 * n + r0, n, w, h); // the one at (c0, r0), w x h
            store_transposed(a + r0 * n + c0, n, tb, w, h, 1.0f);
            if (c0 != r0) // (the diagonal tile is done)
                store_transposed(a + c0 * n + r0, n, ta, h, w, 1.0f);
        }
}

// f squares of n x n one after the other -> their rows interleaved: row k of square g
// (at (g n + k) n) moves to (k f + g) n. The permutation followed cycle by cycle, one
// row at a time through tmp (n items).
void interleave_rows(gr_complex* a, uint64_t f, uint64_t n, gr_complex* tmp)
{
    if (f < 2)
        return;
    const uint64_t rows = f * n;
    const size_t bytes = n * sizeof(gr_complex);
    std::vector<bool> moved(rows, false);
    // the row that belongs at position d comes from (d % f) n + d / f
    auto from = [f, n](uint64_t d) { return (d % f) * n + d / f; };
    for (uint64_t s = 0; s < rows; ++s) {
        if (moved[s] || from(s) == s) {
            moved[s] = true;
            continue;
        }
        std::memcpy(tmp, a + s * n, bytes);
        uint64_t d = s;
        for (uint64_t p = from(d); p != s; d = p, p = from(d)) {
            std::memcpy(a + d * n, a + p * n, bytes);
            moved[d] = true;
        }
        std::memcpy(a + d * n, tmp, bytes);
        moved[d] = true;
    }
}

// dst[c * ld_dst + r] = src[r * ld_src + c] * scale (rows x cols), a tile at a time
void transpose(gr_complex* dst,
               uint64_t ld_dst,
               const gr_complex* src,
               uint64_t ld_src,
               uint64_t rows,
               uint64_t cols,
               float scale = 1.0f)
{
    constexpr uint64_t t = k_tile;
    gr_complex tile[t * t];
    for (uint64_t r0 = 0; r0 < rows; r0 += t)
        for (uint64_t c0 = 0; c0 < cols; c0 += t) {
            const uint64_t h = std::min(t, rows - r0), w = std::min(t, cols - c0);
            load_tile(tile, src + r0 * ld_src + c0, ld_src, h, w);
            store_transposed(dst + c0 * ld_dst + r0, ld_dst, tile, h, w, scale);
        }
}

} // namespace

fft_layout fft(const void* src,
               int src_fd,
               uint64_t src_offset,
               sample_reader& reader,
               uint64_t n,
               const fft_store& out_store,
               const fft_store& scratch_store,
               bool inverse,
               uint64_t max_memory,
               const progress_fn& progress)
{
    const bool out_in_memory = out_store.ptr != nullptr;
    gr_complex* out = out_store.ptr;
    const fft_layout l = plan_fft(n, max_memory, out_in_memory);
    const int sign = inverse ? FFTW_BACKWARD : FFTW_FORWARD;
    const double dir = inverse ? 2.0 * M_PI : -2.0 * M_PI;
    const float scale = inverse ? float(1.0 / double(n)) : 1.0f;
    source in{ static_cast<const unsigned char*>(src),
               src_fd,
               src_offset,
               reader,
               reader.file_bytes(),
               {} };
    if (!in.ptr && in.fd < 0)
        throw std::invalid_argument("fft: no input (neither memory nor a file)");
    sync_fftw_wisdom();
    if (l.passes == 1) {
        const uint64_t step = 1 << 20;
        for (uint64_t i = 0; i < n; i += step)
            in.read(i, std::min(step, n - i), out + i);
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
    const uint64_t n1 = l.n1, n2 = l.n2, b = l.columns, R = l.rows;
    const uint64_t total = l.passes * n;
    uint64_t done = 0;
    const twiddles tw(n, dir);
    if (l.passes == 2) {
        // In memory, in out (n1 = f n2). Pass 1: column blocks [c0, c0 + w): n1-point
        // transforms down each (in a cache-sized block), put back into out. Pass 2: row
        // blocks, in place: twiddles, n2-point transforms. Then out (n1 x n2) is
        // transposed in place: each n2 x n2 square, then the squares' rows interleaved,
        // to out[k2 n1 + k1] = X_{k1 + n1 k2}.
        volk::vector<gr_complex> blk(n1 * b);
        for (uint64_t c0 = 0; c0 < n2; c0 += b) {
            const uint64_t w = std::min(b, n2 - c0);
            for (uint64_t r = 0; r < n1; ++r)
                in.read(r * n2 + c0, w, blk.data() + r * w);
            run_plan(cached_plan(int(n1), int(w), int(w), 1, sign, blk.data()),
                     blk.data());
            for (uint64_t r = 0; r < n1; ++r)
                std::memcpy(
                    out + r * n2 + c0, blk.data() + r * w, w * sizeof(gr_complex));
            done += n1 * w;
            if (progress)
                progress(done, total);
        }
        for (uint64_t r0 = 0; r0 < n1; r0 += R) {
            const uint64_t rr = std::min(R, n1 - r0);
            gr_complex* rows = out + r0 * n2;
            for (uint64_t i = 0; i < rr; ++i)
                tw.apply(rows + i * n2, r0 + i, n2);
            run_plan(cached_plan(int(n2), int(rr), 1, int(n2), sign, rows), rows);
            if (inverse)
                volk_32f_s32f_multiply_32f(reinterpret_cast<float*>(rows),
                                           reinterpret_cast<float*>(rows),
                                           scale,
                                           unsigned(2 * rr * n2));
            done += rr * n2;
            if (progress)
                progress(done, total);
        }
        const uint64_t sq = n2 * n2;
        for (uint64_t g = 0; g < n1 / n2; ++g)
            transpose_in_place(out + g * sq, n2);
        interleave_rows(out, n1 / n2, n2, blk.data());
        return l;
    }

    // Out of core, three passes, every write contiguous (in chunks of C):
    // 1. column blocks [c0, c0 + w) of x (n1 rows of w samples: long runs), n1-point
    //    transforms down each, twiddles, written to out (as scratch) as one block:
    //    T1[c0 * n1 + k1 * w + jj]
    // 2. row blocks [r0, r0 + rr): each row k1 gathered from the column blocks (runs of
    //    rr * w), n2-point transforms, the block transposed to [k2][i] and written to
    //    scratch[r0 * n2 ...]
    // 3. blocks of k2 [k0, k0 + kk): from each row block its run of kk * rr, assembled
    //    into out[k0 * n1 ...] (kk * n1 contiguous)
    if (!scratch_store.ptr && scratch_store.fd < 0)
        throw std::invalid_argument("an out-of-core transform needs a scratch file");
    const store_io out_io(out_store), scratch_io(scratch_store);
    io_buffer buf(std::max(2 * n1 * b, 2 * R * n2)); // two blocks as read
    const uint64_t C = write_chunk(max_memory / sizeof(gr_complex));
    block_writer writer(C);
    // chunks of whole rows of h items: as many as fill C, on 4 KiB where there are
    // enough (each chunk's start in the store a multiple of it)
    auto chunk_rows = [C](uint64_t h) {
        const uint64_t a = k_io_align / sizeof(gr_complex),
                       r = std::max<uint64_t>(1, C / h);
        return r >= a ? r - r % a : r;
    };
    volk::vector<gr_complex> seg(16 * b); // pass 1: 16 rows of a column block
    // pass 1: each column block read 16 rows at a time and transposed so that its
    // columns are contiguous ([j][k1]: strided n1-point transforms over a block of
    // 64 MB ran at a quarter of the rate), transformed in groups of columns by a measured
    // plan, twiddled, transposed back to [k1][j] and written
    const uint64_t group = std::max<uint64_t>(1, (uint64_t(1) << 17) / n1);
    gr_complex* const back = buf.data() + n1 * b;
    std::future<void> back_written;
    for (uint64_t c0 = 0; c0 < n2; c0 += b) {
        const uint64_t w = std::min(b, n2 - c0);
        gr_complex* cols = buf.data(); // [j][k1], w x n1
        for (uint64_t r = 0; r < n1; r += 16) {
            const uint64_t rr = std::min<uint64_t>(16, n1 - r);
            for (uint64_t i = 0; i < rr; ++i)
                in.read((r + i) * n2 + c0, w, seg.data() + i * w);
            transpose(cols + r, n1, seg.data(), w, rr, w);
        }
        for (uint64_t j = 0; j < w; j += group) {
            const uint64_t g = std::min(group, w - j);
            run_plan(cached_plan(int(n1), int(g), 1, int(n1), sign, cols + j * n1),
                     cols + j * n1);
        }
        for (uint64_t j = 0; j < w; ++j)
            tw.apply(cols + j * n1, c0 + j, n1); // W^{(c0 + j) k1}
        // back to [k1][j] (n1 x w) in the second block's place, written whole while
        // the next block is computed (in chunks the writes waited for each other)
        if (back_written.valid())
            back_written.get();
        transpose(back, w, cols, n1, w, n1);
        back_written = std::async(std::launch::async, [&out_io, back, c0, n1, w] {
            out_io.write(c0 * n1, back, n1 * w);
        });
        done += n1 * w;
        if (progress)
            progress(done, total);
    }
    if (back_written.valid())
        back_written.get(); // pass 2 reads what pass 1 wrote
    // pass 2: row blocks [r0, r0 + rr), each row's pieces read from the column blocks
    // straight into place (the next block's while this one is transformed)
    gr_complex* const rowbuf[2] = { buf.data(), buf.data() + R * n2 };
    auto row_block = [&](uint64_t r0, gr_complex* rows) {
        std::vector<read_request> q;
        for (uint64_t c0 = 0; c0 < n2; c0 += b) {
            const uint64_t w = std::min(b, n2 - c0);
            q.push_back({ c0 * n1 + r0 * w, rows + c0, w, std::min(R, n1 - r0), n2 });
        }
        return q;
    };
    block_prefetch reading;
    reading.start(out_io, row_block(0, rowbuf[0]));
    int cur = 0;
    for (uint64_t r0 = 0; r0 < n1; r0 += R, cur ^= 1) {
        const uint64_t rr = std::min(R, n1 - r0);
        gr_complex* rows = rowbuf[cur];
        reading.wait();
        if (r0 + R < n1)
            reading.start(out_io, row_block(r0 + R, rowbuf[cur ^ 1]));
        // one row at a time: the plan of one row (up to 8 MiB) is a measured one
        const fftwf_plan row_plan = cached_plan(int(n2), 1, 1, int(n2), sign, rows);
        for (uint64_t i = 0; i < rr; ++i)
            run_plan(row_plan, rows + i * n2);
        // transposed to [k2][i] (n2 x rr), rows [a, a + h) of it a chunk
        for (uint64_t a = 0, h = chunk_rows(rr); a < n2; a += h) {
            const uint64_t hh = std::min(h, n2 - a);
            gr_complex* wb = writer.next();
            if (rr == 1)
                std::memcpy(wb, rows + a, hh * sizeof(gr_complex));
            else
                transpose(wb, rr, rows + a, n2, rr, hh);
            writer.submit(scratch_io, r0 * n2 + a * rr, hh * rr);
        }
        done += rr * n2;
        if (progress)
            progress(done, total);
    }
    writer.finish(); // pass 3 reads the scratch and overwrites what pass 2 read
    // pass 3 in blocks of K = b k2: from each row block its run ([k2][i], kk x rr),
    // gathered into out[k0 * n1 ...] ([k2][k1], kk x n1: rr items at a time)
    const uint64_t K = b;
    gr_complex* const runbuf[2] = { buf.data(), buf.data() + n1 * b }; // n1 x kk
    auto k_block = [&](uint64_t k0, gr_complex* runs) {
        const uint64_t kk = std::min(K, n2 - k0);
        std::vector<read_request> q;
        for (uint64_t r0 = 0; r0 < n1; r0 += R) {
            const uint64_t rr = std::min(R, n1 - r0);
            q.push_back({ r0 * n2 + k0 * rr, runs + r0 * kk, kk * rr });
        }
        return q;
    };
    reading.start(scratch_io, k_block(0, runbuf[0]));
    cur = 0;
    for (uint64_t k0 = 0; k0 < n2; k0 += K, cur ^= 1) {
        const uint64_t kk = std::min(K, n2 - k0);
        const gr_complex* runs = runbuf[cur];
        reading.wait();
        if (k0 + K < n2)
            reading.start(scratch_io, k_block(k0 + K, runbuf[cur ^ 1]));
        // out rows k2 = k0 + [a, a + h) a chunk
        for (uint64_t a = 0, h = chunk_rows(n1); a < kk; a += h) {
            const uint64_t hh = std::min(h, kk - a);
            gr_complex* asm_ = writer.next();
            for (uint64_t k = a; k < a + hh; ++k) {
                gr_complex* d = asm_ + (k - a) * n1;
                for (uint64_t r0 = 0; r0 < n1; r0 += R) {
                    const uint64_t rr = std::min(R, n1 - r0);
                    const gr_complex* src = runs + r0 * kk + k * rr;
                    for (uint64_t i = 0; i < rr; ++i)
                        d[r0 + i] = src[i];
                }
            }
            if (inverse)
                volk_32f_s32f_multiply_32f(reinterpret_cast<float*>(asm_),
                                           reinterpret_cast<float*>(asm_),
                                           scale,
                                           unsigned(2 * hh * n1));
            writer.submit(out_io, (k0 + a) * n1, hh * n1);
        }
        done += kk * n1;
        if (progress)
            progress(done, total);
    }
    writer.finish();
    return l;
}

} // namespace array
} // namespace streamproc
} // namespace gr
