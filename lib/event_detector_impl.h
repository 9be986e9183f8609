/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_STREAMPROC_EVENT_DETECTOR_IMPL_H
#define INCLUDED_STREAMPROC_EVENT_DETECTOR_IMPL_H

#include "event_detector_engine.h"
#include "upstream_buffer.h"
#include <gnuradio/streamproc/event_detector.h>
#include <volk/volk_alloc.hh>
#include <atomic>

namespace gr {
namespace streamproc {

template <class T>
class event_detector_impl : public event_detector<T>
{
private:
    static constexpr size_t k_chunk = 8192;
    event_detector_engine d_engine;
    const bool d_tag_edges;
    const size_t d_latency; // output lag with tag_edges, else 0
    volk::vector<float> d_power;
    std::vector<detected_event> d_events;
    std::vector<event_edge> d_edges;
    std::vector<gr::tag_t> d_tags;
    // With tag_edges the pass-through output holds back the newest d_latency items
    // (left unconsumed in the input buffer), so that edges can be tagged on items still
    // to come out; d_seen counts the items the engine has processed.
    uint64_t d_seen = 0;
    // position map for an upstream filter (set_index_map)
    uint64_t d_map_decim = 1;
    uint64_t d_map_delay = 0;
    // time and frequency references from rx_time / rx_freq tags
    bool d_have_time = false;
    uint64_t d_time_offset = 0;
    double d_time_secs = 0.0;
    bool d_have_freq = false;
    double d_freq = 0.0;
    bool d_warned_nonfinite = false;
    uint64_t d_bad_tags = 0;
    std::atomic<uint64_t> d_found{ 0 }, d_dropped{ 0 }, d_short{ 0 }, d_merged{ 0 },
        d_nonfinite{ 0 };
    std::atomic<double> d_floor{ 0.0 };
    std::atomic<uint64_t> d_calls{ 0 };
    const pmt::pmt_t d_port = pmt::mp("events");

    bool d_finished = false;
    bool d_ran = false;     // started before: a new start is a new stream
    bool d_compact = false; // events as event_record blobs (set_compact_messages)
    // bounded events in flight (set_max_pending)
    size_t d_max_pending = 4096;
    bool d_drop = false;
    std::atomic<uint64_t> d_lost{ 0 };
    upstream_buffer d_upstream;
    std::vector<std::pair<gr::basic_block_sptr, pmt::pmt_t>> d_receivers;
    bool wait_for_room();
    void detect(const T* in, uint64_t first, size_t n, bool has_output);
    void detect_piece(const T* in, uint64_t first, size_t n, bool has_output);
    // set_prefilter: reversed taps, input history + piece, filtered piece, scratch
    static constexpr size_t k_floats = sizeof(T) / sizeof(float);
    std::vector<float> d_pre_rev;
    volk::vector<float> d_pre_buf;
    volk::vector<T> d_pre_out;
    volk::vector<float> d_pre_tmp;
    void post(const detected_event& ev);
    void bad_tag(const gr::tag_t& t);
    void tag_edges(bool has_output);
    void finish_stream(bool has_output);
    void publish();

public:
    event_detector_impl(const detector_config& config, bool tag_edges);
    ~event_detector_impl() override;

    uint64_t events_found() const override { return d_found; }
    uint64_t events_dropped() const override { return d_dropped; }
    uint64_t events_too_short() const override { return d_short; }
    uint64_t events_merged() const override { return d_merged; }
    uint64_t nonfinite_samples() const override { return d_nonfinite; }
    double noise_floor() const override { return d_floor; }
    uint64_t work_calls() const override { return d_calls; }
    uint64_t edge_latency() const override { return d_latency; }
    void set_prefilter(const std::vector<float>& taps) override;
    void set_index_map(int decimation, int delay) override;
    void set_max_pending(int max_pending, bool drop) override;
    void set_compact_messages(bool on) override;
    uint64_t events_lost() const override { return d_lost; }
    bool start() override;

    bool stop() override;
    void forecast(int noutput_items, gr_vector_int& ninput_items_required) override;
    int general_work(int noutput_items,
                     gr_vector_int& ninput_items,
                     gr_vector_const_void_star& input_items,
                     gr_vector_void_star& output_items) override;
};

} // namespace streamproc
} // namespace gr

#endif /* INCLUDED_STREAMPROC_EVENT_DETECTOR_IMPL_H */
