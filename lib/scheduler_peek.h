/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_STREAMPROC_SCHEDULER_PEEK_H
#define INCLUDED_STREAMPROC_SCHEDULER_PEEK_H

/*
 * The only place where gr-streamproc reads GNU Radio scheduler internals (and works
 * around one of their log lines).
 *
 * It relies on GNU Radio 3.10 (gr::block_detail, gr::buffer_reader and the reader's
 * mutex, as in gnuradio-runtime 3.10.x): these are not part of the documented block
 * API and may change in another release. A block calls them from forecast(),
 * general_work() or a setter; outside a running flowgraph (no detail) they answer
 * "not done" and "capacity unknown".
 */

#include <gnuradio/block.h>
#include <gnuradio/block_detail.h>
#include <gnuradio/block_registry.h>
#include <gnuradio/buffer_reader.h>
#include <gnuradio/logger.h>
#include <algorithm>
#include <cstddef>
#include <utility>
#include <vector>

namespace gr {
namespace streamproc {
namespace scheduler_peek {

//! What the reader of input 0 holds, read under its mutex.
struct input_state {
    bool done = false;  //!< the upstream has finished: nothing more will arrive
    long available = 0; //!< items readable now (history included)
};

//! Input 0 of \p b: done flag and readable items, read together under the reader's
//! mutex (so a final call sees everything the finished upstream wrote).
inline input_state input0(const gr::block& b)
{
    input_state s;
    if (const auto detail = b.detail()) {
        const auto reader = detail->input(0);
        gr::thread::scoped_lock guard(*reader->mutex());
        s.done = reader->done();
        s.available = reader->items_available();
    }
    return s;
}

//! True once the upstream of input 0 has finished.
inline bool input0_done(const gr::block& b)
{
    const auto detail = b.detail();
    return detail && detail->input(0)->done();
}

//! The most items input 0 can ever hold at once (its buffer size), 0 when unknown.
inline size_t input0_capacity(const gr::block& b)
{
    const auto detail = b.detail();
    if (!detail)
        return 0;
    return size_t(std::max(0, detail->input(0)->max_possible_items_available()));
}

//! Items output \p port of \p b can take now (0 when not connected).
inline size_t output_space(const gr::block& b, int port)
{
    const auto detail = b.detail();
    if (!detail || port >= detail->noutputs())
        return 0;
    return size_t(std::max(0, detail->output(port)->space_available()));
}

//! The blocks (and their input ports) subscribed to message port \p port of \p b, as
//! GNU Radio 3.10 records them after flattening (call from start()).
inline std::vector<std::pair<gr::basic_block_sptr, pmt::pmt_t>>
message_receivers(gr::basic_block& b, const pmt::pmt_t& port)
{
    std::vector<std::pair<gr::basic_block_sptr, pmt::pmt_t>> out;
    for (pmt::pmt_t l = b.message_subscribers(port); pmt::is_pair(l); l = pmt::cdr(l)) {
        const pmt::pmt_t target = pmt::car(l);
        if (auto blk = ::global_block_registry.block_lookup(pmt::car(target)))
            out.emplace_back(blk, pmt::cdr(target));
    }
    return out;
}

//! Messages waiting in the fullest of those receivers' queues.
inline size_t messages_waiting(
    const std::vector<std::pair<gr::basic_block_sptr, pmt::pmt_t>>& receivers)
{
    size_t most = 0;
    for (const auto& r : receivers)
        most = std::max(most, r.first->nmsgs(r.second));
    return most;
}

/*!
 * gr::block::set_min_output_buffer() of GNU Radio 3.10 logs every call at info level
 * ("set_min_output_buffer on block N to ..."), which a user running a flowgraph does
 * not need (and which breaks a progress bar): the block's logger is raised to warn
 * around the call and the same fact is logged at debug level. \p log is the block's
 * d_logger.
 */
inline void
set_min_output_buffer_quietly(gr::block& b, const gr::logger_ptr& log, long items)
{
    const auto level = log->get_level();
    if (level < gr::log_level::warn)
        log->set_level(gr::log_level::warn);
    b.set_min_output_buffer(items);
    log->set_level(level);
    log->debug("output buffer of at least {} items", items);
}

} // namespace scheduler_peek
} // namespace streamproc
} // namespace gr

#endif /* INCLUDED_STREAMPROC_SCHEDULER_PEEK_H */
