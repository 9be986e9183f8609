/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_STREAMPROC_EVENT_DETECTOR_IMPL_H
#define INCLUDED_STREAMPROC_EVENT_DETECTOR_IMPL_H

#include "event_core.h"
#include "upstream_buffer.h"
#include <gnuradio/streamproc/event_detector.h>
#include <volk/volk_alloc.hh>
#include <array>
#include <atomic>

namespace gr {
namespace streamproc {

template <class T>
class event_detector_impl : public event_detector<T>
{
private:
    static constexpr size_t k_chunk = event_core<T>::k_chunk;
    event_core<T> d_core; // the detection; its engine:
    event_detector_engine& engine() { return d_core.engine(); }
    const event_detector_engine& engine() const { return d_core.engine(); }
    const bool d_tag_edges;
    const size_t d_latency; // output lag with tag_edges, else 0
    std::vector<detected_event> d_events;
    std::vector<event_edge> d_edges;
    std::vector<pmt::pmt_t> d_eob_values; // the dicts of the events of d_edges' eobs
    // diagnostics outputs (1: smoothed power, 2: floor, 3: threshold; one per window):
    // values made, not yet out; at most k_max_diag kept (then the oldest are dropped)
    std::vector<chunk_diagnostics> d_diag;
    size_t d_diag_first = 0; // d_diag[d_diag_first ..] are pending
    static constexpr size_t k_max_diag = size_t(1) << 16;
    uint64_t d_diag_dropped = 0;
    void produce_diagnostics(gr_vector_void_star& output_items);
    std::vector<gr::tag_t> d_tags;
    std::vector<gr::tag_t> d_pass_tags; // input tags of the items passed on
    // With tag_edges the pass-through output holds back the newest d_latency items
    // (left unconsumed in the input buffer), so that edges can be tagged on items still
    // to come out; d_seen counts the items the engine has processed.
    uint64_t d_seen = 0;
    // position map for an upstream filter (set_index_map)
    uint64_t d_map_decim = 1;
    uint64_t d_map_delay = 0;
    // time and frequency references from rx_time / rx_freq tags
    // time and frequency references in force from sample `from` on: the newest
    // k_refs changes (events are posted up to edge_latency() samples late, the first
    // sub-block's at its end: they take the references of their start)
    struct reference {
        uint64_t from = 0;
        bool have_time = false;
        uint64_t time_offset = 0;
        double time_secs = 0.0;
        bool have_freq = false;
        double freq = 0.0;
    };
    static constexpr size_t k_refs = 64;
    std::array<reference, k_refs> d_refs;
    size_t d_nrefs = 1; // d_refs[(d_nrefs - 1) % k_refs] is the newest
    reference& new_reference(uint64_t from);
    const reference& reference_at(uint64_t offset) const;
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
    // events wholly in [from, to) are counted, not posted (set_unpublished_window)
    uint64_t d_quiet_from = 0;
    uint64_t d_quiet_to = 0;
    std::atomic<uint64_t> d_unpublished{ 0 };
    // bounded events in flight (set_max_pending)
    size_t d_max_pending = 4096;
    bool d_drop = false;
    std::atomic<uint64_t> d_lost{ 0 };
    upstream_buffer d_upstream;
    // settings that restart the detection (set_window, floor): applied in work()
    detector_config d_next;
    bool d_pending = false;
    void change(const detector_config& c);
    //! d_setlock for the getters (GNU Radio's mutex is not mutable)
    gr::thread::mutex& setlock() const
    {
        return const_cast<event_detector_impl*>(this)->d_setlock;
    }
    void apply_pending(bool has_output);
    std::vector<std::pair<gr::basic_block_sptr, pmt::pmt_t>> d_receivers;
    bool wait_for_room();
    void detect(const T* in, uint64_t first, size_t n, bool has_output);
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
    void set_unpublished_window(uint64_t start, uint64_t stop) override;
    uint64_t events_unpublished() const override { return d_unpublished; }
    void set_thresholds(double threshold_db, double hysteresis_db) override;
    double threshold_db() const override;
    double hysteresis_db() const override;
    void set_window(int window) override;
    int window() const override;
    void set_floor_mode(bool fixed, double floor_db) override;
    bool floor_fixed() const override;
    void set_floor_horizon(int64_t samples) override;
    int64_t floor_horizon() const override;
    void set_min_floor(double power) override;
    double min_floor() const override;
    void set_noise_filter(const std::vector<float>& taps, int decimation) override;
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
