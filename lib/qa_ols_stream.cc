/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

// ols_stream (ols_fir's block cursor, tap switches, history growth and last partial
// block) driven the way GNU Radio drives the block, with random input arrivals and
// output budgets, against a direct convolution in double precision.

#include "ols_stream.h"
#include "qa_random.h"
#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>
#include <complex>
#include <random>
#include <string>
#include <vector>

namespace gr {
namespace streamproc {

namespace {

using qa::random_value;
using qa::random_vector;

// y[j] = sum_k h[k] x[j*D - k], samples before the stream are 0.
template <class T>
std::complex<double>
reference(const std::vector<T>& x, const std::vector<T>& h, size_t j, unsigned D)
{
    std::complex<double> acc = 0.0;
    for (size_t k = 0; k < h.size(); ++k)
        if (j * D >= k && j * D - k < x.size())
            acc += std::complex<double>(h[k]) * std::complex<double>(x[j * D - k]);
    return acc;
}

template <class T>
std::unique_ptr<ols_engine<T>> engine(const std::vector<T>& h, unsigned D)
{
    return std::make_unique<ols_engine<T>>(h, D, 0);
}

/*
 * The scheduler's side: a buffer with history() - 1 zeros before the stream, in[0] at
 * `pos`; input arrives in random pieces, each call asks for a random output count.
 * When history() grows, in[0] stays (the held-back items are the new history).
 * switch_after: once that many outputs are out, new taps are handed over (0: never).
 */
template <class T>
std::vector<T> drive(ols_stream<T>& s,
                     const std::vector<T>& x,
                     unsigned seed,
                     size_t max_in,
                     size_t max_out,
                     size_t switch_after = 0,
                     std::unique_ptr<ols_engine<T>> next = nullptr,
                     size_t* switched_at = nullptr)
{
    std::mt19937 rng(seed);
    std::vector<T> buf(s.history() - 1, T(0));
    const size_t lead = buf.size();
    buf.insert(buf.end(), x.begin(), x.end());
    std::vector<T> out;
    std::vector<T> chunk(max_out);
    size_t pos = 0, arrived = 0;
    for (int guard = 0; guard < 1000000; ++guard) {
        arrived = std::min(
            x.size(), arrived + std::uniform_int_distribution<size_t>(0, max_in)(rng));
        const bool done = arrived == x.size();
        const size_t nout = std::uniform_int_distribution<size_t>(1, max_out)(rng);
        if (next && out.size() >= switch_after) {
            if (switched_at)
                *switched_at = out.size();
            s.set_pending(std::move(next));
        }
        const auto r =
            s.process(buf.data() + pos, lead + arrived - pos, done, chunk.data(), nout);
        CPPUNIT_ASSERT(r.produced <= nout);
        out.insert(out.end(), chunk.begin(), chunk.begin() + r.produced);
        pos += r.consumed;
        CPPUNIT_ASSERT(pos <= lead + arrived);
        if (done && r.produced == 0 && r.consumed == 0 && !r.history_changed)
            return out;
    }
    CPPUNIT_FAIL("ols_stream made no progress");
    return out;
}

template <class T>
void check_close(const std::vector<T>& got,
                 const std::vector<T>& x,
                 const std::vector<T>& h,
                 unsigned D,
                 size_t from,
                 size_t to,
                 const std::string& what)
{
    double power = 0.0;
    for (size_t j = from; j < to; ++j)
        power += std::norm(reference(x, h, j, D));
    const double rms = std::sqrt(power / double(std::max<size_t>(1, to - from)));
    for (size_t j = from; j < to; ++j) {
        const double e = std::abs(std::complex<double>(got[j]) - reference(x, h, j, D));
        if (!(e <= 1e-5 * std::max(rms, 1e-30)))
            CPPUNIT_FAIL(what + ": output " + std::to_string(j) + " off by " +
                         std::to_string(e) + " (rms " + std::to_string(rms) + ")");
    }
}

template <class T>
void chunkings(size_t L, unsigned D)
{
    const auto h = random_vector<T>(L, unsigned(L * 10 + D));
    const auto x = random_vector<T>(30011, unsigned(L + D));
    const std::string what = "L=" + std::to_string(L) + " D=" + std::to_string(D);
    ols_stream<T> whole(D, engine(h, D));
    const auto ref = drive(whole, x, 1, x.size(), 1 << 20);
    // D input items per output, as fir_filter_* and fft_filter_* consume them; the
    // last partial block is produced too
    CPPUNIT_ASSERT_EQUAL(x.size() / D, ref.size());
    check_close(ref, x, h, D, 0, ref.size(), what);
    const size_t sizes[][2] = {
        { 1, 1 }, { 7, 3 }, { 5000, 7 }, { 100, 4096 }, { 3, 100000 }
    };
    unsigned seed = 2;
    for (const auto& sz : sizes) {
        ols_stream<T> s(D, engine(h, D));
        const auto got = drive(s, x, seed++, sz[0], sz[1]);
        CPPUNIT_ASSERT_EQUAL(ref.size(), got.size());
        for (size_t j = 0; j < ref.size(); ++j)
            if (!(got[j] == ref[j])) // bit-identical whatever the chunking
                CPPUNIT_FAIL(what + ": output " + std::to_string(j) +
                             " differs with chunks " + std::to_string(sz[0]) + "/" +
                             std::to_string(sz[1]));
    }
}

// New taps mid-stream: the output follows the old taps up to a block boundary of the
// old engine at or after the request, and the new taps from there, with no sample lost
// or repeated.
template <class T>
void tap_switch(size_t L0, size_t L1, unsigned D, size_t max_in, size_t max_out)
{
    const auto h0 = random_vector<T>(L0, 5);
    const auto h1 = random_vector<T>(L1, 6);
    const auto x = random_vector<T>(40000, 7);
    ols_stream<T> s(D, engine(h0, D));
    const size_t M0 = s.engine().block_outputs();
    const size_t ask = 3 * M0 / 2 + 11;
    auto next = engine(h1, D);
    // A longer filter first needs a longer history: each old block holds back up to
    // M0*D items until the new history is there, then the switch follows.
    const size_t grow = s.history_for(*next) > s.history()
                            ? (s.history_for(*next) - s.history() + M0 * D - 1) / (M0 * D)
                            : 0;
    size_t request = 0; // outputs out when the new taps were handed over
    const auto got = drive(s, x, 9, max_in, max_out, ask, std::move(next), &request);
    CPPUNIT_ASSERT(request >= ask);
    const size_t latest = request + (1 + grow) * M0;
    const std::string what = "switch " + std::to_string(L0) + "->" + std::to_string(L1) +
                             " taps D=" + std::to_string(D);
    CPPUNIT_ASSERT_EQUAL(x.size() / D, got.size());
    CPPUNIT_ASSERT_EQUAL(L1, s.engine().ntaps());
    // the first output that the old taps do not explain
    size_t k = 0;
    while (k < got.size() &&
           std::abs(std::complex<double>(got[k]) - reference(x, h0, k, D)) < 1e-4)
        ++k;
    if (k < request || k % M0 != 0 || k > latest)
        CPPUNIT_FAIL(what + ": switched at output " + std::to_string(k) + ", asked at " +
                     std::to_string(request) + ", old block " + std::to_string(M0));
    check_close(got, x, h0, D, 0, k, what + " (before)");
    check_close(got, x, h1, D, k, got.size(), what + " (after)");
}

} // namespace

class qa_ols_stream : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(qa_ols_stream);
    CPPUNIT_TEST(test_chunkings_real);
    CPPUNIT_TEST(test_chunkings_complex);
    CPPUNIT_TEST(test_tap_switch);
    CPPUNIT_TEST(test_input_required);
    CPPUNIT_TEST_SUITE_END();

public:
    void test_chunkings_real()
    {
        for (size_t L : { 1, 2, 33, 129, 1025 })
            for (unsigned D : { 1u, 3u, 8u })
                chunkings<float>(L, D);
    }
    void test_chunkings_complex()
    {
        for (size_t L : { 1, 33, 200 })
            for (unsigned D : { 1u, 2u, 7u })
                chunkings<gr_complex>(L, D);
    }
    void test_tap_switch()
    {
        for (unsigned D : { 1u, 4u }) {
            tap_switch<float>(33, 33, D, 5000, 4096);  // same count
            tap_switch<float>(33, 513, D, 5000, 4096); // more: history grows
            tap_switch<float>(513, 17, D, 5000, 4096); // fewer
            tap_switch<float>(33, 513, D, 13, 5);      // tiny calls
            tap_switch<gr_complex>(65, 1000, D, 300, 17);
        }
    }
    void test_input_required()
    {
        // Before the end only whole blocks are computed; after it, just what is asked.
        ols_stream<float> s(2, engine(random_vector<float>(33, 1), 2));
        const size_t M = s.engine().block_outputs();
        const size_t H = s.history();
        CPPUNIT_ASSERT_EQUAL(H - 1 + M * 2, s.input_required(1, false));
        CPPUNIT_ASSERT_EQUAL(H - 1 + 2 * M * 2, s.input_required(M + 1, false));
        CPPUNIT_ASSERT_EQUAL(H - 1 + 2, s.input_required(1, true));
    }
};

CPPUNIT_TEST_SUITE_NAMED_REGISTRATION(qa_ols_stream, "qa_ols_stream");
CPPUNIT_TEST_SUITE_REGISTRATION(qa_ols_stream);

} // namespace streamproc
} // namespace gr
