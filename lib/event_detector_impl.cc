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
#include "scheduler_peek.h"
#include <gnuradio/io_signature.h>
#include <volk/volk.h>
#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace gr {
namespace streamproc {

namespace {
const pmt::pmt_t k_rx_time = pmt::mp("rx_time");
const pmt::pmt_t k_rx_freq = pmt::mp("rx_freq");
const pmt::pmt_t k_sob = pmt::mp("sob");
const pmt::pmt_t k_eob = pmt::mp("eob");

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
    // without FMA contraction), which the compiler vectorises: unlike VOLK's kernels,
    // whose rounding differs by an ulp between machines, it gives the same powers as
    // numpy, so the reference detector in the tests sees exactly what the block sees.
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
    return gnuradio::make_block_sptr<event_detector_impl<T>>(c, tag_edges);
}

template <class T>
event_detector_impl<T>::event_detector_impl(const detector_config& config, bool tag_edges)
    : gr::sync_block(std::is_same<T, float>::value ? "event_detector_f"
                                                   : "event_detector_c",
                     gr::io_signature::make(1, 1, sizeof(T)),
                     gr::io_signature::make(0, 1, sizeof(T))),
      d_engine(config),
      d_tag_edges(tag_edges),
      d_power(k_chunk)
{
    d_events.reserve(1024);
    d_tags.reserve(16);
    this->message_port_register_out(d_port);
    // tags are handled here: rx_time/rx_freq are read, the rest passes through
    this->set_tag_propagation_policy(gr::block::TPP_ONE_TO_ONE);
}

template <class T>
event_detector_impl<T>::~event_detector_impl() = default;

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
void event_detector_impl<T>::post(const detected_event& ev)
{
    const double rate = d_engine.config().sample_rate;
    double time = double(ev.start) / rate;
    if (d_have_time)
        time = d_time_secs + (double(ev.start) - double(d_time_offset)) / rate;
    pmt::pmt_t d = pmt::make_dict();
    d = pmt::dict_add(d, pmt::mp("id"), pmt::from_uint64(ev.id));
    d = pmt::dict_add(d, pmt::mp("start"), pmt::from_uint64(ev.start));
    d = pmt::dict_add(d, pmt::mp("end"), pmt::from_uint64(ev.end));
    d = pmt::dict_add(d, pmt::mp("duration"), pmt::from_uint64(ev.end - ev.start));
    d = pmt::dict_add(d, pmt::mp("peak_power"), pmt::from_double(ev.peak_power));
    d = pmt::dict_add(d, pmt::mp("peak_index"), pmt::from_uint64(ev.peak_index));
    d = pmt::dict_add(d, pmt::mp("mean_power"), pmt::from_double(ev.mean_power));
    d = pmt::dict_add(d, pmt::mp("energy"), pmt::from_double(ev.energy));
    d = pmt::dict_add(d, pmt::mp("noise_floor"), pmt::from_double(ev.noise_floor));
    d = pmt::dict_add(d, pmt::mp("snr_db"), pmt::from_double(ev.snr_db));
    d = pmt::dict_add(d, pmt::mp("truncated"), pmt::from_bool(ev.truncated));
    d = pmt::dict_add(d, pmt::mp("merged"), pmt::from_uint64(ev.merged));
    d = pmt::dict_add(d, pmt::mp("time"), pmt::from_double(time));
    if (d_have_freq)
        d = pmt::dict_add(d, pmt::mp("freq"), pmt::from_double(d_freq));
    this->message_port_pub(d_port, d);
}

template <class T>
void event_detector_impl<T>::finish_stream()
{
    if (d_finished)
        return;
    d_finished = true;
    d_events.clear();
    d_engine.finish(d_events);
    for (const auto& ev : d_events)
        post(ev);
    publish();
}

template <class T>
bool event_detector_impl<T>::stop()
{
    // Normally done in the last work() call already: messages posted here may arrive
    // after the receivers were told that this block is done.
    finish_stream();
    this->d_logger->info(
        "{} samples, {} events ({} dropped by the rate cap, {} too short, "
        "{} merges), {} non-finite samples skipped, noise floor {:g}",
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
int event_detector_impl<T>::work(int noutput_items,
                                 gr_vector_const_void_star& input_items,
                                 gr_vector_void_star& output_items)
{
    const T* in = static_cast<const T*>(input_items[0]);
    const uint64_t first = this->nitems_read(0);
    ++d_calls;
    const size_t n = size_t(noutput_items);
    if (!output_items.empty())
        std::memcpy(output_items[0], in, n * sizeof(T));

    this->get_tags_in_window(d_tags, 0, 0, uint64_t(n));
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
            if (pmt::eqv(t.key, k_rx_time) && pmt::is_tuple(t.value) &&
                pmt::length(t.value) == 2) {
                d_have_time = true;
                d_time_offset = t.offset;
                d_time_secs = double(pmt::to_uint64(pmt::tuple_ref(t.value, 0))) +
                              pmt::to_double(pmt::tuple_ref(t.value, 1));
            } else if (pmt::eqv(t.key, k_rx_freq) && pmt::is_number(t.value)) {
                d_have_freq = true;
                d_freq = pmt::to_double(t.value);
            }
            ++tag_i;
        }
        const size_t k = end - done;
        to_power(in + done, d_power.data(), k);
        d_events.clear();
        if (!d_tag_edges) {
            d_engine.process(d_power.data(), k, d_events);
        } else {
            // one sample at a time is not needed: edges are found from the state
            // before and after each piece between state changes
            for (size_t i = 0; i < k; ++i) {
                d_engine.process(d_power.data() + i, 1, d_events);
                const bool open = d_engine.in_event();
                if (open != d_was_open && !output_items.empty())
                    this->add_item_tag(0,
                                       first + done + i,
                                       open ? k_sob : k_eob,
                                       pmt::PMT_T,
                                       this->alias_pmt());
                d_was_open = open;
            }
        }
        for (const auto& ev : d_events)
            post(ev);
        done = end;
    }
    // The last call of the stream: the event still open (and one waiting for a merge)
    // go out now, while the message receivers still run.
    const auto input = scheduler_peek::input0(*this);
    if (input.done && input.available <= noutput_items)
        finish_stream();
    if (!d_warned_nonfinite && d_engine.nonfinite_samples() > 0) {
        d_warned_nonfinite = true;
        this->d_logger->warn("non-finite input samples are skipped (counted; first seen "
                             "before sample {})",
                             first + n);
    }
    publish();
    return noutput_items;
}

template class event_detector<float>;
template class event_detector<gr_complex>;
template class event_detector_impl<float>;
template class event_detector_impl<gr_complex>;

} // namespace streamproc
} // namespace gr
