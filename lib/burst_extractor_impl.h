/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_STREAMPROC_BURST_EXTRACTOR_IMPL_H
#define INCLUDED_STREAMPROC_BURST_EXTRACTOR_IMPL_H

#include "event_extent.h"
#include <gnuradio/streamproc/burst_extractor.h>
#include <atomic>
#include <vector>

namespace gr {
namespace streamproc {

template <class T>
class burst_extractor_impl : public burst_extractor<T>
{
private:
    static constexpr size_t k_max_slots = 16;
    struct slot {
        std::vector<T> buf;    // max_length samples, allocated once
        uint64_t first = 0;    // stream index of buf[0]
        size_t n = 0;          // samples in buf
        size_t pre = 0;        // of which padding before the event's start
        uint64_t want_end = 0; // stream index one past the last wanted sample
        bool have_end = false; // the eob came (want_end and meta known)
        bool cut = false;      // max_length reached
        bool active = false;
        uint64_t order = 0; // sob order: PDUs go out in it
        pmt::pmt_t meta = pmt::PMT_NIL;
    };
    const size_t d_pre, d_post, d_max;
    const double d_rate;
    std::vector<slot> d_slots;
    std::vector<T> d_ring; // the last d_pre samples
    size_t d_ring_pos = 0;
    uint64_t d_ring_n = 0;     // samples ever put in the ring
    uint64_t d_next_order = 0; // the order of the next sob
    bool d_have_time = false, d_have_freq = false;
    uint64_t d_time_offset = 0;
    double d_time_secs = 0.0, d_freq = 0.0;
    std::vector<gr::tag_t> d_tags;
    std::atomic<uint64_t> d_bursts{ 0 }, d_cut{ 0 }, d_dropped{ 0 };
    bool d_flushed = false;
    const pmt::pmt_t d_port = pmt::mp("pdus");
    // back-pressure: at most k_max_pending PDUs waiting in a receiver's queue (GNU
    // Radio's queues grow without bound when a receiver, e.g. a disk, is slower)
    static constexpr size_t k_max_pending = 64;
    std::vector<std::pair<gr::basic_block_sptr, pmt::pmt_t>> d_receivers;

    void feed(const T* in, uint64_t pos, size_t n);
    void on_sob(uint64_t offset);
    void on_eob(uint64_t offset, const pmt::pmt_t& value);
    void emit_ready(bool flush);
    void emit(slot& s);
    // frequency extent of an event's samples (see the header)
    extent_accumulator<T> d_extent;

public:
    burst_extractor_impl(size_t pre, size_t post, size_t max_length, double sample_rate);

    uint64_t bursts() const override { return d_bursts; }
    uint64_t bursts_cut() const override { return d_cut; }
    uint64_t bursts_dropped() const override { return d_dropped; }
    bool start() override;
    bool stop() override;
    int work(int noutput_items,
             gr_vector_const_void_star& input_items,
             gr_vector_void_star& output_items) override;
};

} // namespace streamproc
} // namespace gr

#endif /* INCLUDED_STREAMPROC_BURST_EXTRACTOR_IMPL_H */
