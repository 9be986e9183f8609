/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

// The detection state machine on synthetic power: truth, chunking, rules, bad input.

#include "event_detector_engine.h"
#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>
#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

namespace gr {
namespace streamproc {

namespace {

struct burst {
    uint64_t start, length;
};

// Complex noise of power 1 (|x|^2 exponential) plus bursts of the given SNR.
std::vector<float>
bursty_power(size_t n, const std::vector<burst>& bursts, double snr_db, unsigned seed)
{
    std::mt19937 rng(seed);
    std::normal_distribution<float> g(0.0f, float(std::sqrt(0.5)));
    const float amp = float(std::sqrt(std::pow(10.0, snr_db / 10.0)));
    std::vector<float> p(n);
    std::vector<bool> on(n, false);
    for (const auto& b : bursts)
        for (uint64_t i = b.start; i < b.start + b.length && i < n; ++i)
            on[i] = true;
    std::uniform_real_distribution<float> ph(0.0f, 6.2831853f);
    for (size_t i = 0; i < n; ++i) {
        float re = g(rng), im = g(rng);
        if (on[i]) {
            const float a = ph(rng);
            re += amp * std::cos(a);
            im += amp * std::sin(a);
        }
        p[i] = re * re + im * im;
    }
    return p;
}

std::vector<detected_event> run(const detector_config& c,
                                const std::vector<float>& p,
                                size_t chunk = 0,
                                unsigned seed = 0)
{
    event_detector_engine eng(c);
    std::vector<detected_event> out;
    if (chunk == 0) {
        eng.process(p.data(), p.size(), out);
    } else {
        std::mt19937 rng(seed);
        size_t i = 0;
        while (i < p.size()) {
            const size_t k = std::min(p.size() - i, size_t(1 + rng() % chunk));
            eng.process(p.data() + i, k, out);
            i += k;
        }
    }
    eng.finish(out);
    return out;
}

bool same(const detected_event& a, const detected_event& b)
{
    return a.id == b.id && a.start == b.start && a.end == b.end &&
           a.peak_power == b.peak_power && a.peak_index == b.peak_index &&
           a.mean_power == b.mean_power && a.energy == b.energy &&
           a.noise_floor == b.noise_floor && a.snr_db == b.snr_db &&
           a.truncated == b.truncated && a.merged == b.merged;
}

std::vector<burst>
spaced_bursts(size_t count, uint64_t first, uint64_t spacing, uint64_t len)
{
    std::vector<burst> v;
    for (size_t k = 0; k < count; ++k)
        v.push_back({ first + k * spacing, len + (k * 37) % len });
    return v;
}

} // namespace

class qa_event_detector_engine : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(qa_event_detector_engine);
    CPPUNIT_TEST(test_truth_10db_and_above);
    CPPUNIT_TEST(test_dense_bursts_floor);
    CPPUNIT_TEST(test_runtime_changes);
    CPPUNIT_TEST(test_noise_alone_no_event);
    CPPUNIT_TEST(test_chunking_identical);
    CPPUNIT_TEST(test_skip_quiet_samples_same_as_powers);
    CPPUNIT_TEST(test_nonfinite_skipped);
    CPPUNIT_TEST(test_merge_gap);
    CPPUNIT_TEST(test_min_duration);
    CPPUNIT_TEST(test_max_duration_and_stream_end);
    CPPUNIT_TEST(test_rate_cap);
    CPPUNIT_TEST(test_bad_config);
    CPPUNIT_TEST_SUITE_END();

public:
    void test_truth_10db_and_above()
    {
        // bursts in 12-25 % of the samples: the floor (a median) within 0.2 dB
        for (double snr : { 10.0, 15.0, 30.0 }) {
            const auto truth = spaced_bursts(40, 5000, 12000, 1500);
            const auto p = bursty_power(40 * 12000 + 10000, truth, snr, unsigned(snr));
            detector_config c;
            const auto ev = run(c, p);
            CPPUNIT_ASSERT_EQUAL(truth.size(), ev.size());
            for (size_t k = 0; k < ev.size(); ++k) {
                const double ds = double(ev[k].start) - double(truth[k].start);
                const double de =
                    double(ev[k].end) - double(truth[k].start + truth[k].length);
                CPPUNIT_ASSERT(std::abs(ds) <= double(c.window));
                CPPUNIT_ASSERT(std::abs(de) <= double(c.window));
                CPPUNIT_ASSERT(!ev[k].truncated);
                CPPUNIT_ASSERT(
                    std::abs(ev[k].snr_db - 10 * std::log10(1 + std::pow(10, snr / 10))) <
                    1.0);
                CPPUNIT_ASSERT_DOUBLES_EQUAL(1.0, ev[k].noise_floor, 0.1);
            }
        }
    }

    void test_dense_bursts_floor()
    {
        // bursts in 25-50 % of the samples: the median of the chunks moves by less than
        // half a decibel, every 15 dB burst is found
        const auto truth = spaced_bursts(40, 5000, 6000, 1500);
        const auto p = bursty_power(40 * 6000 + 10000, truth, 15.0, 4);
        detector_config c;
        const auto ev = run(c, p);
        CPPUNIT_ASSERT_EQUAL(truth.size(), ev.size());
        for (const auto& e : ev) {
            CPPUNIT_ASSERT(e.noise_floor > 0.95 && e.noise_floor < 1.12);
            CPPUNIT_ASSERT(!e.truncated);
        }
    }

    void test_runtime_changes()
    {
        // set_thresholds: the old settings before the change, the new ones after it
        // (changed in a gap between bursts); restart(): what follows is a new detector
        // over the rest of the stream, positions offset and ids going on
        const auto truth = spaced_bursts(60, 5000, 10000, 2000);
        const auto p = bursty_power(60 * 10000 + 10000, truth, 15.0, 11);
        const size_t k = 311000; // in the gap after the burst at 305000 (3110 samples)
        detector_config a, b;
        b.threshold_db = 12.0;
        b.hysteresis_db = 4.0;
        b.window = 32;
        const auto all_a = run(a, p);
        event_detector_engine eng(a);
        std::vector<detected_event> out;
        std::vector<event_edge> edges;
        eng.process(p.data(), k, out);
        eng.set_thresholds(b.threshold_db, b.hysteresis_db);
        CPPUNIT_ASSERT_THROW(eng.set_thresholds(3.0, 4.0), std::invalid_argument);
        eng.process(p.data() + k, p.size() - k, out);
        eng.finish(out);
        detector_config ab = a;
        ab.threshold_db = b.threshold_db;
        ab.hysteresis_db = b.hysteresis_db;
        const auto all_ab = run(ab, p);
        size_t before = 0;
        for (const auto& e : all_a)
            before += e.start < k;
        CPPUNIT_ASSERT_EQUAL(all_ab.size(), out.size());
        for (size_t i = 0; i < out.size(); ++i) {
            const auto& ref = out[i].start < k ? all_a[i] : all_ab[i];
            CPPUNIT_ASSERT(same(ref, out[i]));
        }
        CPPUNIT_ASSERT(before > 20 && before < out.size());

        event_detector_engine r(a);
        out.clear();
        r.process(p.data(), k, out);
        r.restart(b, out, edges);
        const size_t n_before = out.size();
        CPPUNIT_ASSERT_EQUAL(before, n_before);
        r.process(p.data() + k, p.size() - k, out);
        r.finish(out);
        const std::vector<float> rest(p.begin() + ptrdiff_t(k), p.end());
        const auto fresh = run(b, rest);
        CPPUNIT_ASSERT_EQUAL(n_before + fresh.size(), out.size());
        CPPUNIT_ASSERT_EQUAL(p.size(), size_t(r.samples()));
        for (size_t i = 0; i < fresh.size(); ++i) {
            detected_event e = fresh[i];
            e.id += n_before;
            e.start += k;
            e.end += k;
            e.peak_index += k;
            CPPUNIT_ASSERT(same(e, out[n_before + i]));
        }
    }

    void test_noise_alone_no_event()
    {
        const auto p = bursty_power(10000000, {}, 0.0, 7);
        detector_config c;
        event_detector_engine eng(c);
        std::vector<detected_event> out;
        eng.process(p.data(), p.size(), out);
        eng.finish(out);
        CPPUNIT_ASSERT_EQUAL(size_t(0), out.size());
        CPPUNIT_ASSERT_DOUBLES_EQUAL(1.0, eng.noise_floor(), 0.05);
    }

    void test_chunking_identical()
    {
        const auto truth = spaced_bursts(30, 700, 3000, 400);
        const auto p = bursty_power(30 * 3000 + 2000, truth, 12.0, 3);
        detector_config c;
        c.merge_gap = 500;
        c.max_duration = 300;
        c.min_duration = 50;
        c.max_rate = 5000.0;
        c.sample_rate = 1e5;
        const auto whole = run(c, p);
        CPPUNIT_ASSERT(whole.size() > 10);
        for (size_t chunk : { 1, 2, 7, 64, 1000 }) {
            const auto parts = run(c, p, chunk, unsigned(chunk));
            CPPUNIT_ASSERT_EQUAL(whole.size(), parts.size());
            for (size_t k = 0; k < whole.size(); ++k)
                CPPUNIT_ASSERT(same(whole[k], parts[k]));
        }
    }

    void test_skip_quiet_samples_same_as_powers()
    {
        // real samples: skipping quiet chunks straight from the samples (x*x summed
        // in the engine) leaves the events and the floor of processing the powers
        std::mt19937 rng(9);
        std::normal_distribution<float> g;
        const size_t n = 600000; // the first 131072 are held (the first horizon)
        std::vector<float> x(n), p(n);
        for (size_t i = 0; i < n; ++i) {
            x[i] = g(rng) * ((i / 7000) % 3 == 1 && i % 7000 < 900 ? 6.0f : 1.0f);
            p[i] = x[i] * x[i];
        }
        for (size_t window : { 1, 5, 64, 100 }) {
            detector_config c;
            c.dof = 1; // real input
            c.window = window;
            const auto whole = run(c, p);
            CPPUNIT_ASSERT(whole.size() > 5);
            event_detector_engine eng(c);
            std::vector<detected_event> out;
            size_t i = 0, skipped = 0;
            while (i < n) {
                // work calls of varying sizes, each handled as the block does: skip
                // from the samples, else powers up to the next chunk boundary
                const size_t end = std::min<size_t>(n, i + 1 + (i * 7919) % 3000);
                while (i < end) {
                    const size_t s = eng.skip_quiet_samples(x.data() + i, end - i);
                    skipped += s;
                    i += s;
                    if (i == end)
                        break;
                    const size_t b = eng.quiet_until_boundary();
                    const size_t step = b > 0 ? std::min(end - i, b) : end - i;
                    eng.process(p.data() + i, step, out);
                    i += step;
                }
            }
            eng.finish(out);
            CPPUNIT_ASSERT_EQUAL(whole.size(), out.size());
            for (size_t k = 0; k < whole.size(); ++k)
                CPPUNIT_ASSERT(same(whole[k], out[k]));
            CPPUNIT_ASSERT_EQUAL(run(c, p).back().noise_floor, out.back().noise_floor);
            if (window >= 64) // the fast path did the bulk of the work
                CPPUNIT_ASSERT(skipped > n / 2);
        }
    }

    void test_nonfinite_skipped()
    {
        const auto truth = spaced_bursts(5, 3000, 5000, 1000);
        auto p = bursty_power(30000, truth, 20.0, 5);
        const auto clean = run(detector_config{}, p);
        for (size_t i : { 100, 1500, 3500, 3501, 12000 })
            p[i] = std::numeric_limits<float>::quiet_NaN();
        p[20000] = std::numeric_limits<float>::infinity();
        event_detector_engine eng(detector_config{});
        std::vector<detected_event> out;
        eng.process(p.data(), p.size(), out);
        eng.finish(out);
        CPPUNIT_ASSERT_EQUAL(uint64_t(6), eng.nonfinite_samples());
        CPPUNIT_ASSERT_EQUAL(clean.size(), out.size());
        for (size_t k = 0; k < out.size(); ++k) {
            CPPUNIT_ASSERT(std::abs(double(out[k].start) - double(clean[k].start)) <= 2);
            CPPUNIT_ASSERT(std::isfinite(out[k].energy));
        }
    }

    void test_merge_gap()
    {
        // two bursts 300 samples apart
        const std::vector<burst> truth = { { 2000, 800 }, { 3100, 800 }, { 9000, 500 } };
        const auto p = bursty_power(12000, truth, 25.0, 9);
        detector_config c;
        CPPUNIT_ASSERT_EQUAL(size_t(3), run(c, p).size());
        c.merge_gap = 600;
        const auto merged = run(c, p);
        CPPUNIT_ASSERT_EQUAL(size_t(2), merged.size());
        CPPUNIT_ASSERT_EQUAL(uint64_t(1), merged[0].merged);
        CPPUNIT_ASSERT(std::abs(double(merged[0].start) - 2000.0) <= 64);
        CPPUNIT_ASSERT(std::abs(double(merged[0].end) - 3900.0) <= 64);
        CPPUNIT_ASSERT_EQUAL(uint64_t(1), merged[1].id);
        // the merged energy is the power of [start, end): check against the samples
        double e = 0.0;
        for (uint64_t i = merged[0].start; i < merged[0].end; ++i)
            e += p[i];
        CPPUNIT_ASSERT_DOUBLES_EQUAL(e, merged[0].energy, 1e-6 * e);
    }

    void test_min_duration()
    {
        const std::vector<burst> truth = { { 2000, 200 }, { 5000, 2000 } };
        const auto p = bursty_power(9000, truth, 25.0, 11);
        detector_config c;
        c.min_duration = 1000;
        event_detector_engine eng(c);
        std::vector<detected_event> out;
        eng.process(p.data(), p.size(), out);
        eng.finish(out);
        CPPUNIT_ASSERT_EQUAL(size_t(1), out.size());
        CPPUNIT_ASSERT_EQUAL(uint64_t(1), eng.events_dropped_short());
        CPPUNIT_ASSERT_EQUAL(uint64_t(0), out[0].id);
    }

    void test_max_duration_and_stream_end()
    {
        // one long burst cut into pieces, then a burst still on at the end
        const std::vector<burst> truth = { { 1000, 1000 }, { 4000, 5000 } };
        const auto p = bursty_power(5000, truth, 25.0, 13);
        detector_config c;
        c.max_duration = 300;
        const auto ev = run(c, p);
        CPPUNIT_ASSERT(ev.size() >= 5);
        for (size_t k = 0; k + 1 < ev.size(); ++k) {
            CPPUNIT_ASSERT(ev[k].end - ev[k].start <= 300);
            if (ev[k].truncated && ev[k + 1].start < 4000)
                CPPUNIT_ASSERT_EQUAL(ev[k].end, ev[k + 1].start); // contiguous pieces
        }
        const auto& last = ev.back();
        CPPUNIT_ASSERT(last.truncated);
        CPPUNIT_ASSERT_EQUAL(uint64_t(5000), last.end);
        double e = 0.0;
        for (uint64_t i = ev[0].start; i < ev[0].end; ++i)
            e += p[i];
        CPPUNIT_ASSERT_DOUBLES_EQUAL(e, ev[0].energy, 1e-6 * e);
    }

    void test_rate_cap()
    {
        // 20 bursts in 2 s of signal at 10 kHz, at most 4 events per second
        const auto truth = spaced_bursts(20, 500, 1000, 100);
        const auto p = bursty_power(21000, truth, 25.0, 17);
        detector_config c;
        c.window = 16;
        c.sample_rate = 1e4;
        c.max_rate = 4.0;
        event_detector_engine eng(c);
        std::vector<detected_event> out;
        eng.process(p.data(), p.size(), out);
        eng.finish(out);
        // a full bucket of 4, then 4 per second for the ~2 s that follow
        CPPUNIT_ASSERT(out.size() >= 10 && out.size() <= 13);
        CPPUNIT_ASSERT_EQUAL(uint64_t(20), out.size() + eng.events_dropped_rate());
        for (size_t k = 0; k < out.size(); ++k)
            CPPUNIT_ASSERT_EQUAL(uint64_t(k), out[k].id);
    }

    void test_bad_config()
    {
        detector_config c;
        c.window = 0;
        CPPUNIT_ASSERT_THROW(event_detector_engine{ c }, std::invalid_argument);
        c = detector_config{};
        c.hysteresis_db = -1;
        CPPUNIT_ASSERT_THROW(event_detector_engine{ c }, std::invalid_argument);
        c.hysteresis_db = 11; // above threshold_db = 10
        CPPUNIT_ASSERT_THROW(event_detector_engine{ c }, std::invalid_argument);
        c = detector_config{};
        c.sample_rate = 0;
        CPPUNIT_ASSERT_THROW(event_detector_engine{ c }, std::invalid_argument);
        c = detector_config{};
        c.max_rate = -1;
        CPPUNIT_ASSERT_THROW(event_detector_engine{ c }, std::invalid_argument);
    }
};

CPPUNIT_TEST_SUITE_NAMED_REGISTRATION(qa_event_detector_engine,
                                      "qa_event_detector_engine");
CPPUNIT_TEST_SUITE_REGISTRATION(qa_event_detector_engine);

} // namespace streamproc
} // namespace gr
