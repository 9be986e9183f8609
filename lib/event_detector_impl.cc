/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "event_detector_impl.h"
#include "event_extent.h"
#include "event_record.h"
#include "ols_engine.h"
#include "pmt_values.h"
#include "scheduler_peek.h"
#include <gnuradio/io_signature.h>
#include <volk/volk.h>
#include <boost/thread/thread.hpp>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

namespace gr {
namespace streamproc {

namespace {
const pmt::pmt_t k_rx_time = pmt::mp("rx_time");
const pmt::pmt_t k_rx_freq = pmt::mp("rx_freq");
const pmt::pmt_t k_sob = pmt::mp("sob");
const pmt::pmt_t k_eob = pmt::mp("eob");
const pmt::pmt_t k_end = pmt::mp("streamproc_end");

uint64_t checked_count(int64_t v, const char* name)
{
    if (v < 0)
        throw std::invalid_argument(std::string("event_detector: ") + name +
                                    " must be >= 0 samples, got " + std::to_string(v));
    return uint64_t(v);
}
} // namespace

template <class T>
typename event_detector<T>::sptr event_detector<T>::make(int window,
                                                         double threshold_db,
                                                         bool relative,
                                                         double hysteresis_db,
                                                         int64_t min_duration,
                                                         int64_t merge_gap,
                                                         int64_t max_duration,
                                                         double sample_rate,
                                                         double max_rate,
                                                         bool tag_edges)
{
    if (window < 1)
        throw std::invalid_argument("event_detector: window must be at least 1, got " +
                                    std::to_string(window));
    detector_config c;
    c.window = size_t(window);
    c.threshold_db = threshold_db;
    c.relative = relative;
    c.hysteresis_db = hysteresis_db;
    c.min_duration = checked_count(min_duration, "min_duration");
    c.merge_gap = checked_count(merge_gap, "merge_gap");
    c.max_duration = checked_count(max_duration, "max_duration");
    c.sample_rate = sample_rate;
    c.max_rate = max_rate;
    c.dof = std::is_same<T, float>::value ? 1.0 : 2.0;
    if (tag_edges && max_rate > 0.0)
        throw std::invalid_argument(
            "event_detector: tag_edges cannot be combined with max_rate (the rate cap "
            "drops events only when they end, after their start is tagged)");
    return gnuradio::make_block_sptr<event_detector_impl<T>>(c, tag_edges);
}

template <class T>
event_detector_impl<T>::event_detector_impl(const detector_config& config, bool tag_edges)
    : gr::block(std::is_same<T, float>::value ? "event_detector_f" : "event_detector_c",
                gr::io_signature::make(1, 1, sizeof(T)),
                gr::io_signature::makev(0,
                                        4,
                                        { int(sizeof(T)),
                                          int(sizeof(float)),
                                          int(sizeof(float)),
                                          int(sizeof(float)) })),
      d_core(config),
      d_tag_edges(tag_edges),
      d_latency(tag_edges ? size_t(d_core.engine().edge_latency()) : 0)
{
    // The items held back stay in the input buffer: a history of d_latency + 1 makes
    // GNU Radio give the upstream a buffer of at least twice that.
    this->set_history(unsigned(d_latency + 1));
    // a large input buffer whatever the upstream, room for the history and the held
    // items (2 x d_latency) and as much again to read
    d_upstream.request(*this,
                       std::max(upstream_buffer::default_items, 4 * (d_latency + 1)));
    d_events.reserve(1024);
    d_edges.reserve(1024);
    d_diag.reserve(2 * k_chunk + 1);
    d_tags.reserve(16);
    this->message_port_register_out(d_port);
    // Item k of the output is item k of the input (later, with tag_edges), so tags keep
    // their offsets; rx_time/rx_freq are also read here.
    // (TPP_CUSTOM: copied in general_work, since the diagnostics outputs make the port
    // counts differ, which ONE_TO_ONE refuses)
    this->set_tag_propagation_policy(gr::block::TPP_CUSTOM);
}

template <class T>
event_detector_impl<T>::~event_detector_impl() = default;

template <class T>
void event_detector_impl<T>::set_index_map(int decimation, int delay)
{
    if (decimation < 1 || delay < 0)
        throw std::invalid_argument(
            "event_detector: set_index_map needs decimation >= 1 and delay >= 0, got " +
            std::to_string(decimation) + " and " + std::to_string(delay));
    gr::thread::scoped_lock lock(this->d_setlock);
    d_map_decim = uint64_t(decimation);
    d_map_delay = uint64_t(delay);
}

template <class T>
void event_detector_impl<T>::set_max_pending(int max_pending, bool drop)
{
    if (max_pending < 1)
        throw std::invalid_argument(
            "event_detector: max_pending must be at least 1, got " +
            std::to_string(max_pending));
    gr::thread::scoped_lock lock(this->d_setlock);
    d_max_pending = size_t(max_pending);
    d_drop = drop;
}

template <class T>
void event_detector_impl<T>::set_thresholds(double threshold_db, double hysteresis_db)
{
    gr::thread::scoped_lock lock(this->d_setlock);
    detector_config c = d_pending ? d_next : engine().config();
    c.threshold_db = threshold_db;
    c.hysteresis_db = hysteresis_db;
    c.validate();
    engine().set_thresholds(threshold_db, hysteresis_db);
    if (d_pending) {
        d_next.threshold_db = threshold_db;
        d_next.hysteresis_db = hysteresis_db;
    }
}

template <class T>
double event_detector_impl<T>::threshold_db() const
{
    gr::thread::scoped_lock lock(setlock());
    return engine().config().threshold_db;
}

template <class T>
double event_detector_impl<T>::hysteresis_db() const
{
    gr::thread::scoped_lock lock(setlock());
    return engine().config().hysteresis_db;
}

template <class T>
void event_detector_impl<T>::change(const detector_config& c)
{
    // with d_setlock held
    c.validate();
    if (d_tag_edges && event_detector_engine::latency_of(c) > d_latency)
        throw std::invalid_argument(
            "event_detector: with tag_edges the edge latency is fixed at construction (" +
            std::to_string(d_latency) + " samples); these settings need " +
            std::to_string(event_detector_engine::latency_of(c)));
    d_core.size_for(c);
    if (!d_ran) { // not started: a new stream anyway
        d_core.configure(c);
        d_pending = false;
        return;
    }
    d_next = c;
    d_pending = true;
}

template <class T>
void event_detector_impl<T>::apply_pending(bool has_output)
{
    if (!d_pending)
        return;
    d_pending = false;
    d_events.clear();
    d_core.restart(d_next, d_events, d_edges);
    for (const auto& ev : d_events)
        post(ev);
    if (d_tag_edges)
        tag_edges(has_output);
    d_edges.clear();
    d_eob_values.clear();
}

template <class T>
void event_detector_impl<T>::set_window(int window)
{
    if (window < 1)
        throw std::invalid_argument("event_detector: window must be at least 1, got " +
                                    std::to_string(window));
    gr::thread::scoped_lock lock(this->d_setlock);
    detector_config c = d_pending ? d_next : engine().config();
    c.window = size_t(window);
    change(c);
}

template <class T>
int event_detector_impl<T>::window() const
{
    gr::thread::scoped_lock lock(setlock());
    return int(d_pending ? d_next.window : engine().config().window);
}

template <class T>
void event_detector_impl<T>::set_floor_mode(bool fixed, double floor_db)
{
    gr::thread::scoped_lock lock(this->d_setlock);
    detector_config c = d_pending ? d_next : engine().config();
    c.fixed_floor = fixed;
    c.floor_db = floor_db;
    change(c);
}

template <class T>
bool event_detector_impl<T>::floor_fixed() const
{
    gr::thread::scoped_lock lock(setlock());
    return d_pending ? d_next.fixed_floor : engine().config().fixed_floor;
}

template <class T>
void event_detector_impl<T>::set_floor_horizon(int64_t samples)
{
    if (samples < 1)
        throw std::invalid_argument(
            "event_detector: floor_horizon must be at least 1 sample, got " +
            std::to_string(samples));
    gr::thread::scoped_lock lock(this->d_setlock);
    detector_config c = d_pending ? d_next : engine().config();
    c.floor_horizon = uint64_t(samples);
    change(c);
}

template <class T>
int64_t event_detector_impl<T>::floor_horizon() const
{
    gr::thread::scoped_lock lock(setlock());
    return int64_t(d_pending ? d_next.floor_horizon : engine().config().floor_horizon);
}

template <class T>
void event_detector_impl<T>::set_min_floor(double power)
{
    gr::thread::scoped_lock lock(this->d_setlock);
    detector_config c = d_pending ? d_next : engine().config();
    c.min_floor = power;
    change(c);
}

template <class T>
double event_detector_impl<T>::min_floor() const
{
    gr::thread::scoped_lock lock(setlock());
    return d_pending ? d_next.min_floor : engine().config().min_floor;
}

template <class T>
void event_detector_impl<T>::set_noise_filter(const std::vector<float>& taps,
                                              int decimation)
{
    if (decimation < 1)
        throw std::invalid_argument(
            "event_detector: set_noise_filter needs decimation >= 1, got " +
            std::to_string(decimation));
    gr::thread::scoped_lock lock(this->d_setlock);
    detector_config c = d_pending ? d_next : engine().config();
    c.noise_filter(taps, unsigned(decimation));
    change(c);
}

template <class T>
void event_detector_impl<T>::set_compact_messages(bool on)
{
    gr::thread::scoped_lock lock(this->d_setlock);
    d_compact = on;
}

template <class T>
void event_detector_impl<T>::set_unpublished_window(uint64_t start, uint64_t stop)
{
    gr::thread::scoped_lock lock(this->d_setlock);
    d_quiet_from = start;
    d_quiet_to = stop;
}

template <class T>
bool event_detector_impl<T>::start()
{
    d_receivers = scheduler_peek::message_receivers(*this, d_port);
    d_upstream.started(*this);
    if (d_ran) {
        // run again (top_block.run() twice, stop() and start()): GNU Radio starts a
        // new stream with its item counters at 0, so must the detector (the figures of
        // the last run stay readable until now)
        if (d_pending)
            d_core.configure(d_next);
        d_pending = false;
        d_core.reset();
        d_seen = 0;
        d_finished = false;
        d_refs[0] = reference{};
        d_nrefs = 1;
        d_warned_nonfinite = false;
        d_events.clear();
        d_edges.clear();
        d_calls = 0;
        d_lost = 0;
        d_unpublished = 0;
        publish();
    }
    d_ran = true;
    return gr::block::start();
}

template <class T>
bool event_detector_impl<T>::wait_for_room()
{
    // true: post the event; false: drop it (counted)
    if (d_receivers.empty() ||
        scheduler_peek::messages_waiting(d_receivers) < d_max_pending)
        return true;
    if (d_drop) {
        ++d_lost;
        return false;
    }
    // back-pressure: the stream waits for the receivers (an interruption point, so
    // top_block.stop() ends the wait)
    while (scheduler_peek::messages_waiting(d_receivers) >= d_max_pending)
        boost::this_thread::sleep(boost::posix_time::milliseconds(1));
    return true;
}

template <class T>
void event_detector_impl<T>::publish()
{
    d_found = engine().events_found();
    d_dropped = engine().events_dropped_rate();
    d_short = engine().events_dropped_short();
    d_merged = engine().events_merged();
    d_nonfinite = engine().nonfinite_samples();
    d_floor = engine().noise_floor();
}

template <class T>
typename event_detector_impl<T>::reference&
event_detector_impl<T>::new_reference(uint64_t from)
{
    reference next = d_refs[(d_nrefs - 1) % k_refs];
    next.from = from;
    if (d_refs[(d_nrefs - 1) % k_refs].from != from)
        ++d_nrefs;
    reference& r = d_refs[(d_nrefs - 1) % k_refs];
    r = next;
    return r;
}

template <class T>
const typename event_detector_impl<T>::reference&
event_detector_impl<T>::reference_at(uint64_t offset) const
{
    // the newest change at or before offset (the oldest kept when all are later)
    const size_t kept = std::min(d_nrefs, k_refs);
    for (size_t k = 1; k < kept; ++k) {
        const reference& r = d_refs[(d_nrefs - k) % k_refs];
        if (r.from <= offset)
            return r;
    }
    return d_refs[(d_nrefs - kept) % k_refs];
}

template <class T>
void event_detector_impl<T>::post(const detected_event& ev)
{
    const double rate = engine().config().sample_rate;
    double time = double(ev.start) / rate;
    const reference& ref = reference_at(ev.start);
    if (ref.have_time)
        time = ref.time_secs + (double(ev.start) - double(ref.time_offset)) / rate;
    event_record r = record_of(ev, time, rate, d_map_decim, d_map_delay);
    r.has_freq = ref.have_freq;
    r.freq = ref.freq;
    if (r.start >= d_quiet_from && r.end < d_quiet_to) {
        if (d_tag_edges) // the eob tag of this event carries its dict
            d_eob_values.push_back(r.to_dict());
        ++d_unpublished;
        return;
    }
    const pmt::pmt_t d = d_compact ? r.to_blob() : r.to_dict();
    if (d_tag_edges) // the eob tag of this event carries its dict
        d_eob_values.push_back(d_compact ? r.to_dict() : d);
    if (wait_for_room())
        this->message_port_pub(d_port, d);
}

template <class T>
void event_detector_impl<T>::tag_edges(bool has_output)
{
    // Edges come at most d_latency samples after their offset: the items they mark
    // have not left the delay line yet.
    // Every emitted event has its eob edge in the same engine call as the event, in the
    // same order: the eob tag's value is the event dict.
    size_t next = 0;
    if (has_output)
        for (const auto& e : d_edges) {
            pmt::pmt_t value = pmt::PMT_T;
            if (!e.start && next < d_eob_values.size())
                value = d_eob_values[next++];
            this->add_item_tag(
                0, e.offset, e.start ? k_sob : k_eob, value, this->alias_pmt());
        }
    d_edges.clear();
    d_eob_values.clear();
}

template <class T>
void event_detector_impl<T>::finish_stream(bool has_output)
{
    if (d_finished)
        return;
    d_finished = true;
    d_events.clear();
    d_core.finish(d_events, d_edges);
    for (const auto& ev : d_events)
        post(ev);
    if (d_tag_edges) {
        tag_edges(has_output);
        // the stream's last item, for a burst_extractor: it ends the stream there
        if (has_output && d_seen > 0)
            this->add_item_tag(0, d_seen - 1, k_end, pmt::PMT_T, this->alias_pmt());
    }
    d_edges.clear();
    d_eob_values.clear();
    publish();
}

template <class T>
bool event_detector_impl<T>::stop()
{
    // Normally done in the last work() call already: messages posted here may arrive
    // after the receivers were told that this block is done.
    finish_stream(false);
    d_upstream.stopped(*this);
    if (d_lost > 0)
        this->d_logger->warn("{} events dropped: their receivers' queues were full "
                             "(set_max_pending, drop mode)",
                             d_lost.load());
    this->d_logger->info(
        "{} samples, {} events ({} dropped by the rate cap, {} too short, "
        "{} merges), {} non-finite samples replaced, noise floor {:g}",
        engine().samples(),
        engine().events_found(),
        engine().events_dropped_rate(),
        engine().events_dropped_short(),
        engine().events_merged(),
        engine().nonfinite_samples(),
        engine().noise_floor());
    return true;
}

template <class T>
void event_detector_impl<T>::bad_tag(const gr::tag_t& t)
{
    // one warning per key and then one per 1000 (rate-limited), the tag ignored
    if (d_bad_tags++ % 1000 == 0)
        this->d_logger->warn("ignoring a malformed {} tag at sample {}: {} ({} so far)",
                             pmt::symbol_to_string(t.key),
                             t.offset,
                             pmt::write_string(t.value).substr(0, 80),
                             d_bad_tags);
}

template <class T>
void event_detector_impl<T>::set_prefilter(const std::vector<float>& taps)
{
    if (taps.size() > detail::short_fir_max_taps)
        throw std::invalid_argument("event_detector: set_prefilter takes at most " +
                                    std::to_string(detail::short_fir_max_taps) +
                                    " taps, got " + std::to_string(taps.size()) +
                                    " (use ols_fir in front for longer filters)");
    for (size_t i = 0; i < taps.size(); ++i)
        if (!std::isfinite(taps[i]))
            throw std::invalid_argument("event_detector: prefilter tap " +
                                        std::to_string(i) + " is not finite");
    gr::thread::scoped_lock lock(this->d_setlock);
    if (d_ran)
        throw std::invalid_argument(
            "event_detector: set_prefilter must come before the flowgraph starts");
    d_core.set_prefilter(taps);
    detector_config c = engine().config(); // the noise it detects in is filtered
    c.noise_filter(taps, 1);
    change(c);
}

template <class T>
void event_detector_impl<T>::detect(const T* in,
                                    uint64_t first,
                                    size_t n,
                                    bool has_output)
{
    // the samples [first, first + n) in pieces of at most k_chunk that end at every
    // rx_time / rx_freq tag (the references from there on change)
    this->get_tags_in_range(d_tags, 0, first, first + uint64_t(n));
    size_t tag_i = 0;
    size_t done = 0;
    while (done < n) {
        size_t end = std::min(n, done + k_chunk);
        while (tag_i < d_tags.size() && d_tags[tag_i].offset < first + end) {
            const auto& t = d_tags[tag_i];
            if (t.offset > first + done &&
                (pmt::eqv(t.key, k_rx_time) || pmt::eqv(t.key, k_rx_freq))) {
                end = size_t(t.offset - first);
                break;
            }
            if (pmt::eqv(t.key, k_rx_time)) {
                double secs = 0.0;
                if (rx_time_seconds(t.value, secs)) {
                    reference& r = new_reference(t.offset);
                    r.have_time = true;
                    r.time_offset = t.offset;
                    r.time_secs = secs;
                } else {
                    bad_tag(t);
                }
            } else if (pmt::eqv(t.key, k_rx_freq)) {
                double f = 0.0;
                if (real_number(t.value, f)) {
                    reference& r = new_reference(t.offset);
                    r.have_freq = true;
                    r.freq = f;
                } else {
                    bad_tag(t);
                }
            }
            ++tag_i;
        }
        d_events.clear();
        d_core.process(in + done,
                       first + done,
                       end - done,
                       d_events,
                       d_tag_edges ? &d_edges : nullptr);
        for (const auto& ev : d_events)
            post(ev);
        if (d_tag_edges)
            tag_edges(has_output);
        done = end;
    }
}

template <class T>
void event_detector_impl<T>::forecast(int noutput_items,
                                      gr_vector_int& ninput_items_required)
{
    // one input item per output item, plus what is held back; once the input has
    // ended, whatever is left
    const size_t hist = d_latency; // history() - 1
    if (scheduler_peek::input0_done(*this)) {
        ninput_items_required[0] = int(hist + 1);
        return;
    }
    // At least one item not processed yet: with only the held-back items readable, a
    // call would do nothing, and GNU Radio calls a block again at once as long as its
    // forecast is met (a busy loop that took a core from the upstream blocks).
    const uint64_t held = d_seen - this->nitems_read(0);
    const size_t keep = std::max<size_t>(d_latency, 1);
    ninput_items_required[0] =
        int(hist + std::max<uint64_t>(held + 1, uint64_t(noutput_items) + keep));
}

template <class T>
int event_detector_impl<T>::general_work(int noutput_items,
                                         gr_vector_int& ninput_items,
                                         gr_vector_const_void_star& input_items,
                                         gr_vector_void_star& output_items)
{
    // in[d_latency] is input item nitems_read(0): the first d_latency items are the
    // history, which only sizes the upstream buffer. Until the input ends, the newest
    // max(d_latency, 1) processed items stay unconsumed: the edges may still tag them,
    // and GNU Radio calls the block once more when the upstream is done (so the last
    // events go out while their receivers still run).
    const T* in = static_cast<const T*>(input_items[0]) + d_latency;
    const uint64_t read = this->nitems_read(0);
    const bool has_output = !output_items.empty();
    ++d_calls;
    const auto input = scheduler_peek::input0(*this);
    const size_t avail = size_t(std::max(0, ninput_items[0] - int(d_latency)));
    const size_t held = size_t(d_seen - read); // processed, not yet passed on
    apply_pending(has_output);
    size_t n = avail - held; // new items
    const size_t keep = std::max<size_t>(d_latency, 1);
    if (has_output) { // what comes out (all but `keep` items) must fit the output
        const size_t cap = size_t(noutput_items) + keep;
        n = std::min(n, cap > held ? cap - held : 0);
    }
    const bool diagnostics = output_items.size() > 1;
    engine().set_diagnostics(diagnostics ? &d_diag : nullptr);
    detect(in + held, d_seen, n, has_output);
    d_seen += n;
    // The last call of the stream: the event still open (and one waiting for a merge)
    // go out now, while the message receivers still run.
    const long unconsumed = input.available - long(d_latency);
    const bool last = input.done && long(held + n) >= unconsumed;
    if (last)
        finish_stream(has_output);
    engine().set_diagnostics(nullptr);
    size_t out_n = held + n; // processed items not yet passed on
    if (!last)
        out_n = out_n > keep ? out_n - keep : 0;
    if (has_output) {
        out_n = std::min(out_n, size_t(noutput_items));
        std::memcpy(output_items[0], in, out_n * sizeof(T));
        // the input's tags go out with their items (item k out is item k in)
        this->get_tags_in_range(d_pass_tags, 0, read, read + out_n);
        for (const auto& t : d_pass_tags)
            this->add_item_tag(0, t);
    }
    if (!d_warned_nonfinite && engine().nonfinite_samples() > 0) {
        d_warned_nonfinite = true;
        this->d_logger->warn("non-finite input samples are replaced by the moving "
                             "average (counted; first seen before sample {})",
                             d_seen);
    }
    publish();
    this->consume(0, int(out_n));
    if (!diagnostics)
        return int(out_n);
    this->produce(0, int(out_n));
    produce_diagnostics(output_items);
    return gr::block::WORK_CALLED_PRODUCE;
}

template <class T>
void event_detector_impl<T>::produce_diagnostics(gr_vector_void_star& output_items)
{
    // as many pending values as every connected diagnostics output takes now
    size_t room = d_diag.size() - d_diag_first;
    for (size_t port = 1; port < output_items.size(); ++port)
        room = std::min(room, scheduler_peek::output_space(*this, int(port)));
    for (size_t port = 1; port < output_items.size(); ++port) {
        float* o = static_cast<float*>(output_items[port]);
        for (size_t k = 0; k < room; ++k) {
            const chunk_diagnostics& d = d_diag[d_diag_first + k];
            o[k] = port == 1 ? d.power : port == 2 ? d.floor : d.threshold;
        }
        this->produce(int(port), int(room));
    }
    d_diag_first += room;
    if (d_diag_first == d_diag.size()) {
        d_diag.clear();
        d_diag_first = 0;
    } else if (d_diag.size() - d_diag_first > k_max_diag) { // a stalled viewer
        const size_t drop = d_diag.size() - d_diag_first - k_max_diag;
        d_diag_dropped += drop;
        d_diag_first += drop;
    }
    if (d_diag_first > k_max_diag) { // keep the vector from creeping
        d_diag.erase(d_diag.begin(), d_diag.begin() + ptrdiff_t(d_diag_first));
        d_diag_first = 0;
    }
}

template class event_detector<float>;
template class event_detector<gr_complex>;
template class event_detector_impl<float>;
template class event_detector_impl<gr_complex>;

} // namespace streamproc
} // namespace gr
