/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "cpu_features.h"
#include "event_detector_engine.h"
#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace gr {
namespace streamproc {

void detector_config::validate() const
{
    auto bad = [](const std::string& what) {
        throw std::invalid_argument("event_detector: " + what);
    };
    if (window < 1)
        bad("window must be at least 1, got " + std::to_string(window));
    if (!std::isfinite(threshold_db))
        bad("threshold_db must be finite");
    if (!(hysteresis_db >= 0.0))
        bad("hysteresis_db must be >= 0, got " + std::to_string(hysteresis_db));
    if (relative && hysteresis_db > threshold_db)
        bad("hysteresis_db " + std::to_string(hysteresis_db) + " is above threshold_db " +
            std::to_string(threshold_db) +
            " (the close level would fall below the noise floor)");
    if (!std::isfinite(hysteresis_db))
        bad("hysteresis_db must be finite");
    if (!(max_rate >= 0.0) || !std::isfinite(max_rate))
        bad("max_rate must be >= 0 events per second, got " + std::to_string(max_rate));
    if (!(sample_rate > 0.0) || !std::isfinite(sample_rate))
        bad("sample_rate must be positive, got " + std::to_string(sample_rate));
    if (floor_horizon < 1)
        bad("floor_horizon must be at least 1 sample");
    if (!(min_floor >= 0.0) || !std::isfinite(min_floor))
        bad("min_floor must be a power >= 0, got " + std::to_string(min_floor));
    if (!(dof == 1.0 || dof == 2.0))
        bad("dof must be 1 (real input) or 2 (complex)");
    if (fixed_floor && !std::isfinite(floor_db))
        bad("floor_db must be finite");
}

double detector_config::quantile_bias() const
{
    double spread = 1.0; // sum over |k| < W of (1 - |k|/W) rho(k)^2
    for (size_t k = 1; k < noise_rho2.size() && k < window; ++k)
        spread += 2.0 * (1.0 - double(k) / double(window)) * noise_rho2[k];
    const double a = double(window) * dof / 2.0 / spread;
    const double q = 1.0 - 1.0 / (9.0 * a) - 1.2816 / std::sqrt(9.0 * a);
    return std::max(q > 0.0 ? q * q * q : 0.0, 0.0158);
}

void detector_config::noise_filter(const std::vector<float>& taps, unsigned decimation)
{
    noise_rho2.clear();
    double r0 = 0.0;
    for (float h : taps)
        r0 += double(h) * double(h);
    if (!(r0 > 0.0) || decimation < 1)
        return;
    for (size_t lag = 0; lag < taps.size(); lag += decimation) {
        double r = 0.0;
        for (size_t i = 0; i + lag < taps.size(); ++i)
            r += double(taps[i]) * double(taps[i + lag]);
        noise_rho2.push_back((r / r0) * (r / r0));
    }
}

uint64_t detector_config::sub_block() const
{
    const double chunks = std::round(double(floor_horizon) / double(8 * window));
    return uint64_t(std::max(1.0, chunks)) * window;
}

event_detector_engine::event_detector_engine(const detector_config& config)
{
    configure(config);
    reset();
}

void event_detector_engine::configure(const detector_config& config)
{
    config.validate();
    d_cfg = config;
    d_delay = config.window / 2;
    d_on_factor = std::pow(10.0, config.threshold_db / 10.0);
    d_off_factor = std::pow(10.0, (config.threshold_db - config.hysteresis_db) / 10.0);
    d_ring.assign(config.window, 0.0);
    d_chunks_per_sub = size_t(config.sub_block() / config.window);
    d_bias = config.quantile_bias();
    // one sample alone is not stuck; an integer capture's stuck stretches are as
    // quiet as it gets
    d_keep_flat = config.window == 1 || config.min_floor > 0.0;
    d_chunk_vals.assign(d_chunks_per_sub, 0.0);
    d_warm.assign(held_of(config), 0.0f);
}

size_t event_detector_engine::held_of(const detector_config& c)
{
    return c.fixed_floor ? 0 : k_sub_blocks * size_t(c.sub_block());
}

uint64_t event_detector_engine::latency_of(const detector_config& c)
{
    return c.window / 2 + c.min_duration + c.merge_gap + 1 + held_of(c);
}

void event_detector_engine::set_thresholds(double threshold_db, double hysteresis_db)
{
    detector_config c = d_cfg;
    c.threshold_db = threshold_db;
    c.hysteresis_db = hysteresis_db;
    c.validate();
    d_cfg = c;
    d_on_factor = std::pow(10.0, c.threshold_db / 10.0);
    d_off_factor = std::pow(10.0, (c.threshold_db - c.hysteresis_db) / 10.0);
    if (!c.relative) {
        d_on = d_on_factor;
        d_off = d_off_factor;
    } else if (d_have_floor) {
        d_on = d_floor * d_on_factor;
        d_off = d_floor * d_off_factor;
    }
}

void event_detector_engine::restart(const detector_config& config,
                                    std::vector<detected_event>& out,
                                    std::vector<event_edge>& edges)
{
    config.validate();
    finish(out, edges);
    const uint64_t origin = d_origin + d_n;
    const uint64_t id = d_next_id, found = d_found, dshort = d_dropped_short,
                   merged = d_merged, drate = d_dropped_rate, nonfinite = d_nonfinite;
    configure(config);
    reset();
    d_origin = origin;
    d_next_id = id;
    d_found = found;
    d_dropped_short = dshort;
    d_merged = merged;
    d_dropped_rate = drate;
    d_nonfinite = nonfinite;
}

void event_detector_engine::reset()
{
    std::fill(d_ring.begin(), d_ring.end(), 0.0);
    d_pos = 0;
    d_sum = 0.0;
    d_chunk_bad = false;
    d_origin = 0;
    d_n = 0;
    d_floor = 0.0;
    d_have_floor = false;
    d_nvals = 0;
    d_sub_chunks = 0;
    d_sub_next = d_sub_count = 0;
    d_warm_n = 0;
    d_warming = !d_cfg.fixed_floor;
    d_replaying = false;
    d_on = d_cfg.relative ? 0.0 : d_on_factor;
    d_off = d_cfg.relative ? 0.0 : d_off_factor;
    if (d_cfg.fixed_floor)
        set_floor(std::pow(10.0, d_cfg.floor_db / 10.0));
    d_open = false;
    d_cur = detected_event{};
    d_cur_certain = false;
    d_wait_certain = false;
    d_edges = nullptr;
    d_waiting = false;
    d_wait = detected_event{};
    d_gap_energy = 0.0;
    d_tokens = std::max(1.0, d_cfg.max_rate);
    d_token_time = 0;
    d_next_id = 0;
    d_found = d_dropped_short = d_merged = d_dropped_rate = 0;
    d_nonfinite = 0;
}

// Sum of p over the absolute indices [from, to], from the ring, whose newest sample
// (at ring index pos - 1) is sample `newest`; to <= newest < from + W.
static double ring_sum(const std::vector<double>& ring,
                       size_t pos,
                       uint64_t newest,
                       uint64_t from,
                       uint64_t to)
{
    const size_t w = ring.size();
    double s = 0.0;
    for (uint64_t i = from; i <= to; ++i)
        s += ring[(pos + w - 1 - size_t(newest - i)) % w];
    return s;
}

void event_detector_engine::open_at(uint64_t n)
{
    d_open = true;
    d_cur = detected_event{};
    d_cur_certain = false;
    // opened at the first sample that can open one: it was on when the stream began
    uint64_t start = n >= d_delay && n + 1 > d_cfg.window ? n - d_delay : 0;
    if (d_waiting)
        start = std::max(start, d_wait.end); // events never overlap
    start = std::min(start, n);
    d_cur.start = start;
    d_cur.energy = ring_sum(d_ring, d_pos, n, start, n);
    d_cur.noise_floor = d_floor;
    d_cur.peak_power = d_sum * (1.0 / double(d_cfg.window)); // as s[n] in process()
    d_cur.peak_index = n >= d_delay ? n - d_delay : 0;
    note(event_step::open, start);
}

namespace {
// The sum of w values get(0) .. get(w-1) of a chunk: four interleaved partial sums
// (independent chains, so the compiler can pipeline them; value i goes to sum i % 4),
// added pairwise. The one order for the ring and for a chunk of input (and, lane by
// lane, for the AVX sums below), so all give the same double.
template <class GET>
double ordered_sum(size_t w, GET get)
{
    double l[4] = { 0.0, 0.0, 0.0, 0.0 };
    for (size_t i = 0; i < w; ++i)
        l[i % 4] += get(i);
    return (l[0] + l[1]) + (l[2] + l[3]);
}

// A sample as the sums see it: itself, or (SQ) its square rounded to float first, as
// the block's VOLK product computes the power, so the sums of squares equal those of
// the powers.
template <bool SQ>
inline float term(const float* v, size_t i)
{
    if constexpr (SQ) {
        const float x2 = v[i] * v[i];
        return x2;
    } else {
        return v[i];
    }
}

// The sums of k consecutive chunks of w samples each, in ordered_sum()'s order, and
// whether each chunk's values are all equal (flat[j]).
template <bool SQ>
void sums_generic(const float* v, size_t w, size_t k, double* out, bool* flat)
{
    for (size_t j = 0; j < k; ++j) {
        const float* c = v + j * w;
        out[j] = ordered_sum(w, [c](size_t i) { return double(term<SQ>(c, i)); });
        bool same = true;
        const float first = term<SQ>(c, 0);
        for (size_t i = 1; i < w && same; ++i)
            same = term<SQ>(c, i) == first;
        flat[j] = same;
    }
}

#ifdef STREAMPROC_X86_SIMD
// The same sums with AVX: lane l of a chunk's vector is partial sum l above, fed the
// same samples in the same order, so each result is the same double (no FMA, no
// reassociation). A chunk's sum is one dependent chain of adds; four chunks at a time
// keep four independent chains in flight. The smallest and largest value ride along
// (flat: they are equal).
template <bool SQ>
__attribute__((target("avx"))) inline __m128 load4(const float* p)
{
    __m128 x = _mm_loadu_ps(p);
    if constexpr (SQ)
        x = _mm_mul_ps(x, x);
    return x;
}

template <bool SQ>
__attribute__((target("avx"))) inline double
tail(__m256d acc, __m128 lo, __m128 hi, const float* v, size_t i, size_t w, bool* flat)
{
    alignas(32) double l[4];
    alignas(16) float mn[4], mx[4];
    _mm256_store_pd(l, acc);
    _mm_store_ps(mn, lo);
    _mm_store_ps(mx, hi);
    float a = std::min(std::min(mn[0], mn[1]), std::min(mn[2], mn[3]));
    float b = std::max(std::max(mx[0], mx[1]), std::max(mx[2], mx[3]));
    for (size_t q = 0; i + q < w; ++q) {
        const float t = term<SQ>(v, i + q);
        l[q] += double(t);
        a = std::min(a, t);
        b = std::max(b, t);
    }
    *flat = a == b;
    return (l[0] + l[1]) + (l[2] + l[3]);
}

template <bool SQ>
__attribute__((target("avx"))) void
sums_avx(const float* v, size_t w, size_t k, double* out, bool* flat)
{
    const size_t w4 = w / 4 * 4;
    const __m128 inf = _mm_set1_ps(std::numeric_limits<float>::infinity());
    const __m128 ninf = _mm_set1_ps(-std::numeric_limits<float>::infinity());
    size_t j = 0;
    for (; j + 2 <= k; j += 2) {
        const float* c0 = v + j * w;
        const float* c1 = c0 + w;
        __m256d a0 = _mm256_setzero_pd(), a1 = a0;
        __m128 lo0 = inf, lo1 = inf, hi0 = ninf, hi1 = ninf;
        for (size_t i = 0; i < w4; i += 4) {
            const __m128 x0 = load4<SQ>(c0 + i), x1 = load4<SQ>(c1 + i);
            a0 = _mm256_add_pd(a0, _mm256_cvtps_pd(x0));
            a1 = _mm256_add_pd(a1, _mm256_cvtps_pd(x1));
            lo0 = _mm_min_ps(lo0, x0);
            hi0 = _mm_max_ps(hi0, x0);
            lo1 = _mm_min_ps(lo1, x1);
            hi1 = _mm_max_ps(hi1, x1);
        }
        out[j] = tail<SQ>(a0, lo0, hi0, c0, w4, w, flat + j);
        out[j + 1] = tail<SQ>(a1, lo1, hi1, c1, w4, w, flat + j + 1);
    }
    for (; j < k; ++j) {
        const float* c = v + j * w;
        __m256d a = _mm256_setzero_pd();
        __m128 lo = inf, hi = ninf;
        for (size_t i = 0; i < w4; i += 4) {
            const __m128 x = load4<SQ>(c + i);
            a = _mm256_add_pd(a, _mm256_cvtps_pd(x));
            lo = _mm_min_ps(lo, x);
            hi = _mm_max_ps(hi, x);
        }
        out[j] = tail<SQ>(a, lo, hi, c, w4, w, flat + j);
    }
}
#endif

using chunk_sums_fn = void (*)(const float*, size_t, size_t, double*, bool*);

template <bool SQ>
chunk_sums_fn pick_sums()
{
#ifdef STREAMPROC_X86_SIMD
    if (cpu::has_avx())
        return sums_avx<SQ>;
#endif
    return sums_generic<SQ>;
}

const chunk_sums_fn chunk_sums_input = pick_sums<false>();
const chunk_sums_fn square_sums_input = pick_sums<true>();
} // namespace

void event_detector_engine::set_floor(double floor)
{
    d_floor = std::max(floor, double(std::numeric_limits<float>::min()));
    d_have_floor = true;
    if (d_cfg.relative) {
        d_on = d_floor * d_on_factor;
        d_off = d_floor * d_off_factor;
    }
}

void event_detector_engine::push_chunk(double mean, bool usable)
{
    if (d_cfg.fixed_floor)
        return;
    if (usable)
        d_chunk_vals[d_nvals++] = mean;
    if (++d_sub_chunks == d_chunks_per_sub)
        end_of_sub_block();
}

void event_detector_engine::end_of_sub_block()
{
    // the 10th percentile of the usable chunk values over its expected value for
    // noise (NaN: none), into the ring of the last k_sub_blocks; the floor is the
    // smallest of them
    double v = std::numeric_limits<double>::quiet_NaN();
    if (d_nvals > 0) {
        const auto q = d_chunk_vals.begin() + ptrdiff_t((d_nvals - 1) / 10);
        std::nth_element(
            d_chunk_vals.begin(), q, d_chunk_vals.begin() + ptrdiff_t(d_nvals));
        v = *q / d_bias;
    }
    d_sub[d_sub_next] = v;
    d_sub_next = (d_sub_next + 1) % k_sub_blocks;
    d_sub_count = std::min(d_sub_count + 1, k_sub_blocks);
    d_nvals = 0;
    d_sub_chunks = 0;
    double best = std::numeric_limits<double>::infinity();
    for (size_t k = 0; k < d_sub_count; ++k)
        if (d_sub[k] < best) // NaN never is
            best = d_sub[k];
    set_floor(std::isfinite(best) ? std::max(best, d_cfg.min_floor) : d_cfg.min_floor);
}

void event_detector_engine::end_of_chunk(bool usable)
{
    // d_sum was just recomputed from the ring: it is the sum of the chunk (the first
    // sub-block's chunks were counted while it was held)
    if (d_diag)
        d_diag->push_back(chunk_diagnostics{
            float(d_sum / double(d_cfg.window)), float(d_floor), float(d_on) });
    if (!d_replaying)
        push_chunk(d_sum * (1.0 / double(d_cfg.window)), usable);
}

size_t event_detector_engine::skip_quiet_samples(const float* x, size_t count)
{
    if (d_pos != 0 || !quiet())
        return 0;
    return skip_quiet_chunks(x, count, true);
}

size_t
event_detector_engine::skip_quiet_chunks(const float* power, size_t count, bool squares)
{
    // Nothing going on, at a chunk boundary: if no sample of a chunk can reach the
    // open threshold (every window of it lies within this chunk and the one before,
    // and powers are not negative; the threshold changes only after a chunk's last
    // sample), the per-sample rules would change nothing but the ring, the sum and the
    // floor: do just that, for as many chunks in a row as qualify. Every chunk replaces
    // the whole ring, so only the last one is copied into it. Returns the samples
    // skipped (whole chunks).
    const size_t w = d_cfg.window;
    size_t done = 0;
    double sums[k_sum_batch];
    bool flat[k_sum_batch];
    size_t have = 0, next = 0; // sums[next .. have) are the chunks from `done` on
    while (count - done >= w) {
        if (next == have) {
            have = std::min<size_t>(k_sum_batch, (count - done) / w);
            (squares ? square_sums_input
                     : chunk_sums_input)(power + done, w, have, sums, flat);
            next = 0;
        }
        const double t = sums[next];
        const bool usable = !flat[next] || d_keep_flat;
        ++next;
        if (!std::isfinite(t))
            break;
        const double bound = (d_sum + t) * (1.0 / double(w));
        if (!(bound * (1.0 + 1e-9) < d_on))
            break;
        d_sum = t;
        d_n += w;
        end_of_chunk(usable);
        done += w;
    }
    if (done > 0) {
        const float* last = power + done - w;
        for (size_t k = 0; k < w; ++k) {
            const float p = squares ? last[k] * last[k] : last[k];
            d_ring[k] = double(p);
        }
    }
    return done;
}

size_t event_detector_engine::warm(const float* power,
                                   size_t count,
                                   std::vector<detected_event>& out)
{
    // The first horizon (k_sub_blocks sub-blocks) is held: its chunks feed the floor as
    // they complete; once it is complete, it runs through the detection with the floor
    // of its end.
    const size_t w = d_cfg.window;
    const size_t take = std::min(count, d_warm.size() - d_warm_n);
    std::copy(power, power + take, d_warm.begin() + ptrdiff_t(d_warm_n));
    const size_t from = d_warm_n / w, to = (d_warm_n + take) / w; // complete chunks
    d_warm_n += take;
    for (size_t c = from; c < to; ++c) {
        double sum;
        bool flat;
        chunk_sums_input(d_warm.data() + c * w, w, 1, &sum, &flat);
        push_chunk(sum * (1.0 / double(w)), std::isfinite(sum) && (!flat || d_keep_flat));
    }
    if (d_warm_n == d_warm.size())
        replay(out);
    return take;
}

void event_detector_engine::replay(std::vector<detected_event>& out)
{
    if (d_sub_chunks > 0 || !d_have_floor) // the stream ended inside the first horizon
        end_of_sub_block();
    d_warming = false;
    d_replaying = true;
    run_samples(d_warm.data(), d_warm_n, out);
    d_replaying = false;
}

void event_detector_engine::process(const float* power,
                                    size_t count,
                                    std::vector<detected_event>& out)
{
    d_edges = nullptr;
    run(power, count, out);
}

void event_detector_engine::process(const float* power,
                                    size_t count,
                                    std::vector<detected_event>& out,
                                    std::vector<event_edge>& edges)
{
    d_edges = &edges;
    run(power, count, out);
    d_edges = nullptr;
}

void event_detector_engine::confirm(uint64_t n)
{
    // At sample n the open event will last at least until n + 1 - delay (or
    // max_duration): once that reaches min_duration it will be emitted.
    if (!d_open || d_cur_certain)
        return;
    uint64_t lasts =
        std::max<uint64_t>(n + 1 >= d_delay ? n + 1 - d_delay : 0, d_cur.start + 1) -
        d_cur.start;
    if (d_cfg.max_duration > 0)
        lasts = std::min(lasts, d_cfg.max_duration);
    if (lasts >= d_cfg.min_duration) {
        d_cur_certain = true;
        if (d_edges)
            d_edges->push_back(event_edge{ d_origin + d_cur.start, true });
    }
}

void event_detector_engine::run(const float* power,
                                size_t count,
                                std::vector<detected_event>& out)
{
    size_t i = 0;
    if (d_warming)
        i = warm(power, count, out);
    if (i < count)
        run_samples(power + i, count - i, out);
}

void event_detector_engine::run_samples(const float* power,
                                        size_t count,
                                        std::vector<detected_event>& out)
{
    const size_t w = d_cfg.window;
    const double inv_w = 1.0 / double(w);
    for (size_t i = 0; i < count; ++i) {
        if (d_pos == 0 && quiet() && count - i >= w) {
            const size_t skipped = skip_quiet_chunks(power + i, count - i, false);
            if (skipped > 0) {
                i += skipped - 1;
                continue;
            }
        }
        if (d_pos + 1 < w && d_have_floor && d_n + 1 >= w) {
            // the common cases in a tight loop, up to the chunk's last sample: inside an
            // event that is certain (and not at max_duration), or idle; any other
            // sample (one that opens or closes, non-finite) goes through the full rules
            // below, as if the loop had not run
            const size_t done = d_open
                                    ? run_open(power + i, count - i)
                                    : (!d_waiting ? run_idle(power + i, count - i) : 0);
            if (done > 0) {
                i += done - 1;
                continue;
            }
        }
        const uint64_t n = d_n;
        double p = double(power[i]);
        if (!std::isfinite(p)) {
            ++d_nonfinite;
            d_chunk_bad = true;
            p = d_sum * inv_w; // neutral: the current mean
        }
        // moving average, exact again whenever the ring wraps
        d_sum += p - d_ring[d_pos];
        d_ring[d_pos] = p;
        bool chunk_end = false;
        if (++d_pos == w) {
            d_pos = 0;
            d_sum = ordered_sum(w, [this](size_t k) { return d_ring[k]; });
            chunk_end = true;
        }
        ++d_n;
        const double smooth = d_sum * inv_w;
        if (d_n >= w && d_have_floor)
            step(n, p, smooth, out);
        if (chunk_end) {
            // the floor moves after the chunk's last sample
            bool flat = !d_keep_flat;
            for (size_t k = 1; k < w && flat; ++k)
                flat = d_ring[k] == d_ring[0];
            end_of_chunk(!d_chunk_bad && !flat);
            d_chunk_bad = false;
        }
    }
}

size_t event_detector_engine::run_open(const float* power, size_t count)
{
    if (!d_cur_certain)
        return 0;
    size_t lim = std::min(count, d_cfg.window - 1 - d_pos); // not the chunk's last
    if (d_cfg.max_duration > 0) {
        // too long from n = start + max_duration + delay on
        const uint64_t stop = d_cur.start + d_cfg.max_duration + d_delay;
        lim = stop > d_n ? size_t(std::min<uint64_t>(lim, stop - d_n)) : 0;
    }
    const double inv_w = 1.0 / double(d_cfg.window);
    const double off = d_off;
    double sum = d_sum, energy = d_cur.energy, peak = d_cur.peak_power;
    uint64_t peak_index = d_cur.peak_index;
    double* ring = d_ring.data() + d_pos;
    size_t j = 0;
    for (; j < lim; ++j) {
        const double p = double(power[j]);
        if (!std::isfinite(p))
            break;
        const double s = sum + (p - ring[j]);
        const double smooth = s * inv_w;
        if (smooth < off)
            break;
        sum = s;
        ring[j] = p;
        energy += p;
        if (smooth > peak) {
            peak = smooth;
            peak_index = d_n + j - d_delay;
        }
    }
    d_sum = sum;
    d_cur.energy = energy;
    d_cur.peak_power = peak;
    d_cur.peak_index = peak_index;
    d_pos += j;
    d_n += j;
    return j;
}

size_t event_detector_engine::run_idle(const float* power, size_t count)
{
    const size_t lim = std::min(count, d_cfg.window - 1 - d_pos); // not the chunk's last
    const double inv_w = 1.0 / double(d_cfg.window);
    const double on = d_on;
    double sum = d_sum;
    double* ring = d_ring.data() + d_pos;
    size_t j = 0;
    for (; j < lim; ++j) {
        const double p = double(power[j]);
        if (!std::isfinite(p))
            break;
        const double s = sum + (p - ring[j]);
        if (s * inv_w > on)
            break;
        sum = s;
        ring[j] = p;
    }
    d_sum = sum;
    d_pos += j;
    d_n += j;
    return j;
}

void event_detector_engine::step(uint64_t n,
                                 double p,
                                 double smooth,
                                 std::vector<detected_event>& out)
{
    if (d_open) {
        const uint64_t corrected = n >= d_delay ? n - d_delay : 0;
        const bool too_long =
            d_cfg.max_duration > 0 && corrected >= d_cur.start + d_cfg.max_duration;
        if (smooth < d_off || too_long) {
            uint64_t end = too_long ? d_cur.start + d_cfg.max_duration
                                    : std::max(corrected, d_cur.start + 1);
            end = std::min(end, n);
            // energy holds [start, n-1]: take back [end, n-1]
            if (end < n)
                d_cur.energy -= ring_sum(d_ring, d_pos, n, end, n - 1);
            d_cur.end = end;
            d_cur.truncated = too_long;
            close_at(end, too_long);
            // [end, n] is now gap power for a merge
            d_gap_energy = ring_sum(d_ring, d_pos, n, end, n);
            if (too_long && smooth > d_on) {
                open_at(n); // a long signal goes on as the next event
                d_cur.start = end;
                if (d_steps)
                    d_steps->back().offset = d_origin + end;
                d_cur.energy = d_gap_energy;
                d_gap_energy = 0.0;
                // merging a truncated piece back would undo the limit
                settle(d_wait, out);
                d_waiting = false;
            }
        } else {
            d_cur.energy += p;
            if (smooth > d_cur.peak_power) {
                d_cur.peak_power = smooth;
                d_cur.peak_index = corrected;
            }
        }
    } else if (smooth > d_on) {
        open_at(n);
        if (d_waiting) {
            const uint64_t corrected = n >= d_delay ? n - d_delay : 0;
            const bool fits =
                d_cfg.max_duration == 0 || corrected < d_wait.start + d_cfg.max_duration;
            if (d_cur.start - d_wait.end < d_cfg.merge_gap && !d_wait.truncated && fits) {
                // merge: the waiting event absorbs the gap and goes on. The gap
                // energy holds [wait.end, n-1], the new event's [start, n].
                const double gap = d_gap_energy + p - d_cur.energy;
                detected_event merged = d_wait;
                merged.energy += gap + d_cur.energy;
                if (d_cur.peak_power > merged.peak_power) {
                    merged.peak_power = d_cur.peak_power;
                    merged.peak_index = d_cur.peak_index;
                }
                merged.merged += 1;
                ++d_merged;
                d_cur = merged;
                d_cur_certain = d_wait_certain;
                d_waiting = false;
                note(event_step::merge, d_cur.start);
            } else {
                settle(d_wait, out);
                d_waiting = false;
            }
        }
    } else if (d_waiting) {
        d_gap_energy += p;
        flush_waiting(n, out, false);
    }
    if (d_open && !d_cur_certain)
        confirm(n);
}

void event_detector_engine::close_at(uint64_t end, bool truncated)
{
    d_open = false;
    d_cur.end = end;
    d_cur.truncated = d_cur.truncated || truncated;
    d_cur.peak_index = std::min(std::max(d_cur.peak_index, d_cur.start), end - 1);
    if (!d_cur_certain && end - d_cur.start >= d_cfg.min_duration) {
        d_cur_certain = true;
        if (d_edges)
            d_edges->push_back(event_edge{ d_origin + d_cur.start, true });
    }
    d_wait = d_cur;
    d_wait_certain = d_cur_certain;
    d_waiting = true;
    note(event_step::close, end);
}

void event_detector_engine::flush_waiting(uint64_t n,
                                          std::vector<detected_event>& out,
                                          bool force)
{
    if (!d_waiting)
        return;
    // The earliest start a future event can have is n + 1 - delay.
    const uint64_t next_start = n + 1 >= d_delay ? n + 1 - d_delay : 0;
    if (force || next_start >= d_wait.end + d_cfg.merge_gap) {
        settle(d_wait, out);
        d_waiting = false;
    }
}

void event_detector_engine::settle(detected_event& ev, std::vector<detected_event>& out)
{
    const uint64_t duration = ev.end - ev.start;
    if (duration < d_cfg.min_duration) {
        ++d_dropped_short;
        note(event_step::drop, ev.start);
        return;
    }
    if (d_cfg.max_rate > 0.0) {
        const double cap = std::max(1.0, d_cfg.max_rate);
        d_tokens = std::min(cap,
                            d_tokens + double(ev.end - std::min(ev.end, d_token_time)) *
                                           d_cfg.max_rate / d_cfg.sample_rate);
        d_token_time = std::max(d_token_time, ev.end);
        if (d_tokens < 1.0) {
            ++d_dropped_rate;
            note(event_step::drop, ev.start);
            return;
        }
        d_tokens -= 1.0;
    }
    ev.id = d_next_id++;
    if (ev.start == 0)
        ev.truncated = true; // it may have begun before the stream
    ev.mean_power = ev.energy / double(duration);
    ev.snr_db = d_floor > 0.0 && ev.noise_floor > 0.0
                    ? 10.0 * std::log10(ev.mean_power / ev.noise_floor)
                    : 0.0;
    ++d_found;
    out.push_back(ev);
    detected_event& e = out.back(); // positions of the whole stream
    e.start += d_origin;
    e.end += d_origin;
    e.peak_index += d_origin;
    if (d_edges)
        d_edges->push_back(event_edge{ d_origin + ev.end - 1, false });
    note(event_step::emit, ev.start, out.size() - 1);
}

void event_detector_engine::finish(std::vector<detected_event>& out,
                                   std::vector<event_edge>& edges)
{
    d_edges = &edges;
    finish(out);
    d_edges = nullptr;
}

void event_detector_engine::finish(std::vector<detected_event>& out)
{
    if (d_warming)
        replay(out); // a stream shorter than the first sub-block
    if (d_open) {
        // energy holds [start, d_n - 1]: the event runs to the end of the stream
        d_cur.truncated = true;
        close_at(std::max(d_n, d_cur.start + 1), true);
    }
    if (d_waiting) {
        settle(d_wait, out);
        d_waiting = false;
    }
}

} // namespace streamproc
} // namespace gr
