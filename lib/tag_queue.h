/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_STREAMPROC_TAG_QUEUE_H
#define INCLUDED_STREAMPROC_TAG_QUEUE_H

#include <gnuradio/tags.h>
#include <cstdint>
#include <vector>

namespace gr {
namespace streamproc {

/*!
 * \brief Input tags waiting for the output item they belong to.
 *
 * For blocks that carry tags by hand (TPP_DONT) because an output may leave before
 * its input is consumed, or long after: the block fetches each input range once
 * (get_tags_in_range(scratch(), 0, fetched(), end); fetched_until(end)) and, as it
 * produces, takes the tags whose output offset is now written. Memory is reserved
 * up front; it grows only if more tags wait at once than reserved.
 */
class tag_queue
{
public:
    explicit tag_queue(size_t reserve = 64)
    {
        d_queue.reserve(reserve);
        d_scratch.reserve(reserve);
        d_ready.reserve(reserve);
    }

    //! Absolute input offset up to which tags have been fetched.
    uint64_t fetched() const { return d_fetched; }
    //! The vector get_tags_in_range() fills.
    std::vector<gr::tag_t>& scratch() { return d_scratch; }
    //! Queues what scratch() holds, the tags of [fetched(), end).
    void fetched_until(uint64_t end)
    {
        d_queue.insert(d_queue.end(), d_scratch.begin(), d_scratch.end());
        d_fetched = end;
    }
    bool empty() const { return d_queue.empty(); }
    //! A new stream: nothing queued or fetched.
    void reset()
    {
        d_queue.clear();
        d_fetched = 0;
    }

    /*!
     * Returns the queued tags whose output offset, out_offset(input offset), is below
     * out_end, with their offsets set to it, and keeps the others. The returned vector
     * is valid until the next call.
     */
    template <class MAP>
    const std::vector<gr::tag_t>& take_ready(uint64_t out_end, MAP out_offset)
    {
        d_ready.clear();
        auto keep = d_queue.begin();
        for (auto& tag : d_queue) {
            const uint64_t o = out_offset(tag.offset);
            if (o < out_end) {
                d_ready.push_back(tag);
                d_ready.back().offset = o;
            } else {
                *keep++ = tag;
            }
        }
        d_queue.erase(keep, d_queue.end());
        return d_ready;
    }

private:
    std::vector<gr::tag_t> d_queue;
    std::vector<gr::tag_t> d_scratch;
    std::vector<gr::tag_t> d_ready;
    uint64_t d_fetched = 0;
};

} // namespace streamproc
} // namespace gr

#endif /* INCLUDED_STREAMPROC_TAG_QUEUE_H */
