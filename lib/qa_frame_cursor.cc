/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

// frame_cursor (the STFT/Welch blocks' frame, skip and tag bookkeeping) driven with
// random input arrivals and frame budgets, against the definition: frame k starts at
// sample k*hop, and a tag at sample t goes to the output of frame ceil(t / hop).

#include "frame_cursor.h"
#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>
#include <random>
#include <string>
#include <vector>

namespace gr {
namespace streamproc {

namespace {

// Frame starts (absolute samples) taken from a stream of `total` samples.
std::vector<uint64_t>
drive(frame_cursor& c, uint64_t total, unsigned seed, size_t max_in, size_t max_frames)
{
    std::mt19937 rng(seed);
    std::vector<uint64_t> starts;
    uint64_t consumed = 0, arrived = 0;
    for (int guard = 0; guard < 10000000; ++guard) {
        arrived = std::min<uint64_t>(
            total, arrived + std::uniform_int_distribution<size_t>(0, max_in)(rng));
        const size_t avail = size_t(arrived - consumed);
        const size_t ready = c.frames_ready(avail);
        const size_t want = std::uniform_int_distribution<size_t>(0, max_frames)(rng);
        const size_t take = std::min(ready, want);
        const uint64_t first = consumed + c.skip_now(avail);
        for (size_t f = 0; f < take; ++f) {
            const uint64_t s = first + f * c.hop();
            CPPUNIT_ASSERT(s + c.fft_size() <= arrived); // the frame is readable
            starts.push_back(s);
        }
        const size_t used = c.take(take, avail);
        CPPUNIT_ASSERT(used <= avail);
        consumed += used;
        if (arrived == total && ready == 0 &&
            c.frames_ready(size_t(arrived - consumed)) == 0)
            return starts;
    }
    CPPUNIT_FAIL("frame_cursor made no progress");
    return starts;
}

void check(size_t n, size_t hop, size_t per_out)
{
    const uint64_t total = 20 * n + 3 * hop + 5;
    const uint64_t expected = total >= n ? (total - n) / hop + 1 : 0;
    const size_t sizes[][2] = {
        { 1, 1 }, { 7, 2 }, { n, 1 }, { 3 * hop + 1, 50 }, { 100000, 3 }
    };
    unsigned seed = 1;
    for (const auto& sz : sizes) {
        frame_cursor c(n, hop, per_out);
        const auto starts = drive(c, total, seed++, sz[0], sz[1]);
        const std::string what = "N=" + std::to_string(n) + " hop=" + std::to_string(hop);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(what, expected, uint64_t(starts.size()));
        for (size_t k = 0; k < starts.size(); ++k)
            CPPUNIT_ASSERT_EQUAL_MESSAGE(what, uint64_t(k * hop), starts[k]);
        CPPUNIT_ASSERT_EQUAL(expected, c.frames_taken());
        // tags: the output of the first frame starting at or after t
        for (uint64_t t = 0; t < total; t += 1 + t / 7) {
            uint64_t frame = 0;
            while (frame * hop < t)
                ++frame;
            const uint64_t want = frame < expected ? frame / per_out : UINT64_MAX;
            CPPUNIT_ASSERT_EQUAL_MESSAGE(
                what + " t=" + std::to_string(t), want, c.output_of(t));
        }
    }
}

} // namespace

class qa_frame_cursor : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(qa_frame_cursor);
    CPPUNIT_TEST(test_overlap);
    CPPUNIT_TEST(test_tile_and_skip);
    CPPUNIT_TEST(test_input_required);
    CPPUNIT_TEST_SUITE_END();

public:
    void test_overlap()
    {
        check(16, 1, 1);
        check(16, 4, 1);
        check(1000, 500, 8);
        check(1024, 256, 3);
    }
    void test_tile_and_skip()
    {
        check(16, 16, 1);
        check(16, 17, 2);
        check(16, 100, 1);
        check(8, 1000, 4);
    }
    void test_input_required()
    {
        frame_cursor c(16, 40, 1);
        CPPUNIT_ASSERT_EQUAL(size_t(16), c.input_required(0));
        CPPUNIT_ASSERT_EQUAL(size_t(16 + 2 * 40), c.input_required(3));
        // after one frame from 20 items, 20 items remain to be skipped
        CPPUNIT_ASSERT_EQUAL(size_t(1), c.frames_ready(20));
        CPPUNIT_ASSERT_EQUAL(size_t(20), c.take(1, 20));
        CPPUNIT_ASSERT_EQUAL(size_t(20 + 16), c.input_required(1));
        CPPUNIT_ASSERT_EQUAL(size_t(0), c.frames_ready(35));
        CPPUNIT_ASSERT_EQUAL(size_t(1), c.frames_ready(36));
    }
};

CPPUNIT_TEST_SUITE_NAMED_REGISTRATION(qa_frame_cursor, "qa_frame_cursor");
CPPUNIT_TEST_SUITE_REGISTRATION(qa_frame_cursor);

} // namespace streamproc
} // namespace gr
