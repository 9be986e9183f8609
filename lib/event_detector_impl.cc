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

void to_power(const float* in, float* p, size_t n)
{
    volk_32f_x2_multiply_32f(p, in, in, unsigned(n));
}
void to_power(const gr_complex* in, float* p, size_t n)
{
    // Plain IEEE float arithmetic (re*re + im*im, each rounded; this file is built
    // without FMA contraction), which the compiler vectorises: the powers do not
    // depend on which VOLK kernel a machine picks.
    const float* f = reinterpret_cast<const float*>(in);
    for (size_t i = 0; i < n; ++i)
        p[i] = f[2 * i] * f[2 * i] + f[2 * i + 1] * f[2 * i + 1];
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
      d_engine(config),
      d_tag_edges(tag_edges),
      d_latency(tag_edges ? size_t(d_engine.edge_latency()) : 0),
      d_power(k_chunk)
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
    d_steps.reserve(1024);
    size_extent_buffers(d_engine.config());
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
    detector_config c = d_pending ? d_next : d_engine.config();
    c.threshold_db = threshold_db;
    c.hysteresis_db = hysteresis_db;
    c.validate();
    d_engine.set_thresholds(threshold_db, hysteresis_db);
    if (d_pending) {
        d_next.threshold_db = threshold_db;
        d_next.hysteresis_db = hysteresis_db;
    }
}

template <class T>
double event_detector_impl<T>::threshold_db() const
{
    gr::thread::scoped_lock lock(setlock());
    return d_engine.config().threshold_db;
}

template <class T>
double event_detector_impl<T>::hysteresis_db() const
{
    gr::thread::scoped_lock lock(setlock());
    return d_engine.config().hysteresis_db;
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
    size_extent_buffers(c);
    if (!d_ran) { // not started: a new stream anyway
        d_engine = event_detector_engine(c);
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
    d_steps.clear();
    d_engine.set_steps(&d_steps);
    d_engine.restart(d_next, d_events, d_edges);
    d_engine.set_steps(nullptr);
    follow_events(nullptr, d_seen, 0);
    restart_extent();
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
    detector_config c = d_pending ? d_next : d_engine.config();
    c.window = size_t(window);
    change(c);
}

template <class T>
int event_detector_impl<T>::window() const
{
    gr::thread::scoped_lock lock(setlock());
    return int(d_pending ? d_next.window : d_engine.config().window);
}

template <class T>
void event_detector_impl<T>::set_floor_mode(bool fixed, double floor_db)
{
    gr::thread::scoped_lock lock(this->d_setlock);
    detector_config c = d_pending ? d_next : d_engine.config();
    c.fixed_floor = fixed;
    c.floor_db = floor_db;
    change(c);
}

template <class T>
bool event_detector_impl<T>::floor_fixed() const
{
    gr::thread::scoped_lock lock(setlock());
    return d_pending ? d_next.fixed_floor : d_engine.config().fixed_floor;
}

template <class T>
void event_detector_impl<T>::set_floor_horizon(int64_t samples)
{
    if (samples < 1)
        throw std::invalid_argument(
            "event_detector: floor_horizon must be at least 1 sample, got " +
            std::to_string(samples));
    gr::thread::scoped_lock lock(this->d_setlock);
    detector_config c = d_pending ? d_next : d_engine.config();
    c.floor_horizon = uint64_t(samples);
    change(c);
}

template <class T>
int64_t event_detector_impl<T>::floor_horizon() const
{
    gr::thread::scoped_lock lock(setlock());
    return int64_t(d_pending ? d_next.floor_horizon : d_engine.config().floor_horizon);
}

template <class T>
void event_detector_impl<T>::set_min_floor(double power)
{
    gr::thread::scoped_lock lock(this->d_setlock);
    detector_config c = d_pending ? d_next : d_engine.config();
    c.min_floor = power;
    change(c);
}

template <class T>
double event_detector_impl<T>::min_floor() const
{
    gr::thread::scoped_lock lock(setlock());
    return d_pending ? d_next.min_floor : d_engine.config().min_floor;
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
    detector_config c = d_pending ? d_next : d_engine.config();
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
bool event_detector_impl<T>::start()
{
    d_receivers = scheduler_peek::message_receivers(*this, d_port);
    d_upstream.started(*this);
    if (d_ran) {
        // run again (top_block.run() twice, stop() and start()): GNU Radio starts a
        // new stream with its item counters at 0, so must the detector (the figures of
        // the last run stay readable until now)
        if (d_pending)
            d_engine = event_detector_engine(d_next);
        d_pending = false;
        d_engine.reset();
        std::fill(d_pre_buf.begin(), d_pre_buf.end(), 0.0f);
        d_seen = 0;
        restart_extent();
        d_finished = false;
        d_refs[0] = reference{};
        d_nrefs = 1;
        d_warned_nonfinite = false;
        d_events.clear();
        d_edges.clear();
        d_calls = 0;
        d_lost = 0;
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
    d_found = d_engine.events_found();
    d_dropped = d_engine.events_dropped_rate();
    d_short = d_engine.events_dropped_short();
    d_merged = d_engine.events_merged();
    d_nonfinite = d_engine.nonfinite_samples();
    d_floor = d_engine.noise_floor();
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
    const double rate = d_engine.config().sample_rate;
    double time = double(ev.start) / rate;
    const reference& ref = reference_at(ev.start);
    if (ref.have_time)
        time = ref.time_secs + (double(ev.start) - double(ref.time_offset)) / rate;
    const uint64_t D = d_map_decim;
    auto map = [this, D](uint64_t k) {
        const uint64_t i = k * D;
        return i > d_map_delay ? i - d_map_delay : 0;
    };
    const uint64_t start = map(ev.start), end = std::max(map(ev.end), start + 1);
    // the time of the mapped start: input samples run D times as fast
    time += (double(start) - double(ev.start * D)) / (rate * double(D));
    event_record r;
    r.id = ev.id;
    r.start = start;
    r.end = end;
    r.peak_power = ev.peak_power;
    r.peak_index = map(ev.peak_index);
    r.mean_power = ev.mean_power;
    r.energy = ev.energy;
    r.noise_floor = ev.noise_floor;
    r.snr_db = ev.snr_db;
    r.truncated = ev.truncated;
    r.merged = ev.merged;
    r.time = time;
    r.has_freq = ref.have_freq;
    r.freq = ref.freq;
    r.has_extent = ev.has_extent;
    r.freq_center = ev.freq_center;
    r.bandwidth = ev.bandwidth;
    r.mapped = D != 1 || d_map_delay != 0;
    r.stream_start = ev.start;
    r.stream_end = ev.end;
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
    d_steps.clear();
    d_engine.set_steps(&d_steps);
    d_engine.finish(d_events, d_edges);
    d_engine.set_steps(nullptr);
    follow_events(nullptr, d_seen, 0);
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
        d_engine.samples(),
        d_engine.events_found(),
        d_engine.events_dropped_rate(),
        d_engine.events_dropped_short(),
        d_engine.events_merged(),
        d_engine.nonfinite_samples(),
        d_engine.noise_floor());
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
    d_pre_rev.assign(taps.rbegin(), taps.rend());
    detector_config c = d_engine.config(); // the noise it detects in is filtered
    c.noise_filter(taps, 1);
    change(c);
    const size_t hist = taps.empty() ? 0 : (taps.size() - 1) * k_floats;
    d_pre_buf.assign(hist + k_chunk * k_floats, 0.0f);
    d_pre_out.resize(taps.empty() ? 0 : k_chunk);
    d_pre_tmp.resize(taps.empty() ? 0 : k_chunk * k_floats);
}

template <class T>
void event_detector_impl<T>::detect(const T* in,
                                    uint64_t first,
                                    size_t n,
                                    bool has_output)
{
    if (d_pre_rev.empty()) {
        detect_piece(in, first, n, has_output);
        return;
    }
    // The prefilter, k_chunk samples at a time: the last ntaps - 1 input samples (zeros
    // at the stream start) before each piece, then the piece, filtered in one pass.
    const size_t L = d_pre_rev.size();
    const size_t hist = (L - 1) * k_floats;
    for (size_t base = 0; base < n; base += k_chunk) {
        const size_t len = std::min(k_chunk, n - base);
        float* buf = d_pre_buf.data();
        std::memcpy(buf + hist, in + base, len * sizeof(T));
        detail::short_fir(reinterpret_cast<float*>(d_pre_out.data()),
                          buf,
                          d_pre_rev.data(),
                          L,
                          k_floats,
                          len * k_floats,
                          d_pre_tmp.data());
        std::memmove(buf, buf + len * k_floats, hist * sizeof(float));
        detect_piece(d_pre_out.data(), first + base, len, has_output);
    }
}

template <class T>
void event_detector_impl<T>::detect_piece(const T* in,
                                          uint64_t first,
                                          size_t n,
                                          bool has_output)
{
    this->get_tags_in_range(
        d_tags, 0, first, first + uint64_t(n)); // samples [first, first+n)
    size_t tag_i = 0;
    size_t done = 0;
    while (done < n) {
        // stop at the next rx_time/rx_freq tag so it applies from its sample on
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
        size_t k = end - done;
        if constexpr (std::is_same<T, float>::value) {
            // quiet stretches of real input: summed from the samples, no power array
            done += d_engine.skip_quiet_samples(in + done, k);
            if (done == end)
                continue;
            // quiet, but in the middle of a chunk (a work call ended there): powers up
            // to the chunk boundary only, then the quiet stretch is summed again
            const size_t b = d_engine.quiet_until_boundary();
            k = b > 0 ? std::min(end - done, b) : end - done;
        }
        if (d_engine.holding()) { // the extent may need them once the floor is known
            const size_t take = std::min(k, d_held.size() - d_held_n);
            std::copy(in + done, in + done + take, d_held.begin() + ptrdiff_t(d_held_n));
            d_held_n += take;
        }
        to_power(in + done, d_power.data(), k);
        d_events.clear();
        d_steps.clear();
        d_engine.set_steps(&d_steps);
        if (d_tag_edges)
            d_engine.process(d_power.data(), k, d_events, d_edges);
        else
            d_engine.process(d_power.data(), k, d_events);
        d_engine.set_steps(nullptr);
        follow_events(in, first, n);
        for (const auto& ev : d_events)
            post(ev);
        if (d_tag_edges)
            tag_edges(has_output);
        done += k;
    }
    keep_tail(in, first, n);
}

template <class T>
void event_detector_impl<T>::size_extent_buffers(const detector_config& c)
{
    // (with d_setlock held, or from the constructor: never in work())
    const size_t held = event_detector_engine::held_of(c);
    if (d_held.size() < held)
        d_held.resize(held);
    if (d_tail.size() < c.window + 1)
        d_tail.resize(c.window + 1);
}

template <class T>
void event_detector_impl<T>::restart_extent()
{
    // a new stream (or a restarted one) from the engine's next sample
    d_held_from = d_engine.samples();
    d_held_n = 0;
}

template <class T>
void event_detector_impl<T>::extent_feed(uint64_t to,
                                         const T* piece,
                                         uint64_t first,
                                         size_t n)
{
    // the open event's samples [d_ext_pos, to), from the piece, the held stream start
    // or the tail (in that order)
    while (d_ext_pos < to) {
        const uint64_t pos = d_ext_pos;
        const T* from = nullptr;
        uint64_t avail = 0;
        if (piece && pos >= first && pos < first + n) {
            from = piece + (pos - first);
            avail = first + n - pos;
        } else if (pos >= d_held_from && pos < d_held_from + d_held_n) {
            from = d_held.data() + (pos - d_held_from);
            avail = d_held_from + d_held_n - pos;
        } else if (pos < d_tail_end && pos + d_tail_n >= d_tail_end) {
            from = d_tail.data() + (d_tail_n - (d_tail_end - pos));
            avail = d_tail_end - pos;
        } else { // not kept (cannot happen: see event_detector_engine::set_steps)
            d_ext_pos = to;
            return;
        }
        const size_t take = size_t(std::min<uint64_t>(avail, to - pos));
        d_ext_cur.feed(from, take);
        d_ext_pos += take;
    }
}

template <class T>
void event_detector_impl<T>::follow_events(const T* piece, uint64_t first, size_t n)
{
    const double rate = d_engine.config().sample_rate;
    for (const event_step& st : d_steps) {
        switch (st.kind) {
        case event_step::open:
            d_ext_cur.reset();
            d_ext_pos = st.offset;
            break;
        case event_step::merge: // the waiting event goes on from the new start
            std::swap(d_ext_cur, d_ext_wait);
            d_ext_cur.gap();
            break;
        case event_step::close:
            extent_feed(st.offset, piece, first, n);
            std::swap(d_ext_cur, d_ext_wait);
            break;
        case event_step::emit: {
            detected_event& ev = d_events[st.index];
            ev.has_extent = d_ext_wait.extent(rate, ev.freq_center, ev.bandwidth);
            break;
        }
        case event_step::drop:
            break;
        }
    }
    // the open event's samples up to where its end can be (see set_steps())
    const uint64_t lag = d_engine.config().window / 2;
    const uint64_t done = d_engine.samples();
    if (d_engine.in_event() && done > lag)
        extent_feed(done - lag, piece, first, n);
}

template <class T>
void event_detector_impl<T>::keep_tail(const T* piece, uint64_t first, size_t n)
{
    // the last d_tail.size() samples before the next piece
    const size_t cap = d_tail.size();
    if (d_tail_end != first)
        d_tail_n = 0; // a new stream
    if (n >= cap) {
        std::copy(piece + (n - cap), piece + n, d_tail.begin());
        d_tail_n = cap;
    } else {
        const size_t keep = std::min(d_tail_n, cap - n);
        std::copy(d_tail.begin() + ptrdiff_t(d_tail_n - keep),
                  d_tail.begin() + ptrdiff_t(d_tail_n),
                  d_tail.begin());
        std::copy(piece, piece + n, d_tail.begin() + ptrdiff_t(keep));
        d_tail_n = keep + n;
    }
    d_tail_end = first + n;
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
    d_engine.set_diagnostics(diagnostics ? &d_diag : nullptr);
    detect(in + held, d_seen, n, has_output);
    d_seen += n;
    // The last call of the stream: the event still open (and one waiting for a merge)
    // go out now, while the message receivers still run.
    const long unconsumed = input.available - long(d_latency);
    const bool last = input.done && long(held + n) >= unconsumed;
    if (last)
        finish_stream(has_output);
    d_engine.set_diagnostics(nullptr);
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
    if (!d_warned_nonfinite && d_engine.nonfinite_samples() > 0) {
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
