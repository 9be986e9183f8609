/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "burst_extractor_impl.h"
#include "pmt_values.h"
#include "scheduler_peek.h"
#include <gnuradio/io_signature.h>
#include <boost/thread/thread.hpp>
#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace gr {
namespace streamproc {

namespace {
const pmt::pmt_t k_sob = pmt::mp("sob");
const pmt::pmt_t k_eob = pmt::mp("eob");
const pmt::pmt_t k_rx_time = pmt::mp("rx_time");
const pmt::pmt_t k_rx_freq = pmt::mp("rx_freq");
const pmt::pmt_t k_end = pmt::mp("streamproc_end"); // the detector's last item

size_t count_arg(int64_t v, const char* name, int64_t least)
{
    if (v < least)
        throw std::invalid_argument(std::string("burst_extractor: ") + name +
                                    " must be >= " + std::to_string(least) +
                                    " samples, got " + std::to_string(v));
    return size_t(v);
}

pmt::pmt_t samples_pmt(const gr_complex* v, size_t n)
{
    return pmt::init_c32vector(n, v);
}
pmt::pmt_t samples_pmt(const float* v, size_t n) { return pmt::init_f32vector(n, v); }

} // namespace

template <class T>
typename burst_extractor<T>::sptr burst_extractor<T>::make(int64_t pre,
                                                           int64_t post,
                                                           int64_t max_length,
                                                           double sample_rate)
{
    if (!(sample_rate > 0.0) || !std::isfinite(sample_rate))
        throw std::invalid_argument(
            "burst_extractor: sample_rate must be positive, got " +
            std::to_string(sample_rate));
    return gnuradio::make_block_sptr<burst_extractor_impl<T>>(
        count_arg(pre, "pre", 0),
        count_arg(post, "post", 0),
        count_arg(max_length, "max_length", 1),
        sample_rate);
}

template <class T>
burst_extractor_impl<T>::burst_extractor_impl(size_t pre,
                                              size_t post,
                                              size_t max_length,
                                              double sample_rate)
    : gr::sync_block(std::is_same<T, float>::value ? "burst_extractor_f"
                                                   : "burst_extractor_c",
                     gr::io_signature::make(1, 1, sizeof(T)),
                     gr::io_signature::make(0, 0, 0)),
      d_pre(pre),
      d_post(post),
      d_max(max_length),
      d_rate(sample_rate),
      d_ring(pre)
{
    d_slots.resize(2);
    for (auto& s : d_slots)
        s.buf.resize(d_max);
    d_slots.reserve(k_max_slots);
    d_tags.reserve(64);
    this->message_port_register_out(d_port);
}

template <class T>
bool burst_extractor_impl<T>::start()
{
    // a new stream (a second run): nothing carried over
    for (auto& s : d_slots)
        s.active = false;
    d_ring_pos = 0;
    d_ring_n = 0;
    d_next_order = 0;
    d_have_time = d_have_freq = false;
    d_flushed = false;
    d_receivers = scheduler_peek::message_receivers(*this, d_port);
    return gr::sync_block::start();
}

template <class T>
bool burst_extractor_impl<T>::stop()
{
    emit_ready(true); // normally done in the last work() call already
    if (d_dropped > 0)
        this->d_logger->warn("{} bursts dropped: more than {} in progress at once "
                             "(their padding overlapped)",
                             d_dropped.load(),
                             k_max_slots);
    return true;
}

template <class T>
void burst_extractor_impl<T>::on_sob(uint64_t offset)
{
    slot* s = nullptr;
    for (auto& c : d_slots)
        if (!c.active) {
            s = &c;
            break;
        }
    if (s == nullptr) {
        if (d_slots.size() == k_max_slots) {
            ++d_dropped;
            ++d_next_order; // keeps the order of the others
            return;
        }
        d_slots.emplace_back(); // rare: bursts overlapping in their padding
        d_slots.back().buf.resize(d_max);
        s = &d_slots.back();
    }
    // the padding before: the ring's newest min(pre, seen) samples
    const size_t have = size_t(std::min<uint64_t>(d_pre, d_ring_n));
    const size_t k = std::min(have, d_max);
    const size_t skip = have - k; // padding longer than max_length: its newest part
    for (size_t i = 0; i < k; ++i)
        s->buf[i] = d_ring[(d_ring_pos + d_pre - have + skip + i) % d_pre];
    s->first = offset - k;
    s->n = k;
    s->pre = k;
    s->have_end = false;
    s->cut = false;
    s->active = true;
    s->order = d_next_order++;
    s->meta = pmt::PMT_NIL;
}

template <class T>
void burst_extractor_impl<T>::on_eob(uint64_t offset, const pmt::pmt_t& value)
{
    // the oldest burst without an end is this one (events do not overlap)
    slot* s = nullptr;
    for (auto& c : d_slots)
        if (c.active && !c.have_end && (s == nullptr || c.order < s->order))
            s = &c;
    if (s == nullptr)
        return; // an eob without its sob (the stream began inside the event)
    s->have_end = true;
    s->want_end = offset + 1 + d_post;
    s->meta = value;
}

template <class T>
void burst_extractor_impl<T>::feed(const T* in, uint64_t pos, size_t n)
{
    for (auto& s : d_slots) {
        if (!s.active || s.cut)
            continue;
        const uint64_t next = s.first + s.n; // the next sample it takes
        if (next < pos || next >= pos + n)
            continue;
        uint64_t stop = pos + n;
        if (s.have_end)
            stop = std::min(stop, s.want_end);
        if (stop <= next)
            continue;
        size_t take = size_t(stop - next);
        if (s.n + take > d_max) { // longer than max_length: cut there
            take = d_max - s.n;
            s.cut = true;
        }
        std::copy(in + (next - pos), in + (next - pos) + take, s.buf.begin() + s.n);
        s.n += take;
    }
    if (d_pre > 0) { // the newest pre samples
        const size_t k = std::min(n, d_pre);
        for (size_t i = n - k; i < n; ++i) {
            d_ring[d_ring_pos] = in[i];
            d_ring_pos = (d_ring_pos + 1) % d_pre;
        }
    }
    d_ring_n += n;
}

template <class T>
void burst_extractor_impl<T>::emit(slot& s)
{
    pmt::pmt_t meta = pmt::is_dict(s.meta) ? s.meta : pmt::make_dict();
    meta = pmt::dict_add(meta, pmt::mp("sample_rate"), pmt::from_double(d_rate));
    meta = pmt::dict_add(meta, pmt::mp("burst_start"), pmt::from_uint64(s.first));
    meta = pmt::dict_add(meta, pmt::mp("burst_samples"), pmt::from_uint64(s.n));
    meta = pmt::dict_add(meta, pmt::mp("pre"), pmt::from_uint64(s.pre));
    meta = pmt::dict_add(meta, pmt::mp("burst_cut"), pmt::from_bool(s.cut));
    if (d_have_freq)
        meta = pmt::dict_add(meta, k_rx_freq, pmt::from_double(d_freq));
    if (d_have_time) {
        const double t = d_time_secs + (double(s.first) - double(d_time_offset)) / d_rate;
        const double whole = std::floor(t);
        meta = pmt::dict_add(
            meta,
            k_rx_time,
            pmt::make_tuple(pmt::from_uint64(uint64_t(std::max(0.0, whole))),
                            pmt::from_double(t - whole)));
    }
    // the event's own samples: after the padding, its duration in this stream (the
    // detector's own positions when it maps them to an upstream filter's input)
    double d0 = 0.0, d1 = 0.0, center = 0.0, bandwidth = 0.0;
    const bool mapped =
        real_number(s.meta, "stream_start", d0) && real_number(s.meta, "stream_end", d1);
    const bool plain =
        !mapped && real_number(s.meta, "start", d0) && real_number(s.meta, "end", d1);
    if ((mapped || plain) && d1 > d0) {
        const size_t len = std::min(s.n - s.pre, size_t(d1 - d0));
        d_extent.reset();
        d_extent.feed(s.buf.data() + s.pre, len);
        if (d_extent.extent(d_rate, center, bandwidth)) {
            meta = pmt::dict_add(meta, pmt::mp("freq_center"), pmt::from_double(center));
            meta = pmt::dict_add(meta, pmt::mp("bandwidth"), pmt::from_double(bandwidth));
            if (d_have_freq)
                meta = pmt::dict_add(
                    meta, pmt::mp("freq_center_abs"), pmt::from_double(d_freq + center));
        }
    }
    if (s.cut)
        ++d_cut;
    ++d_bursts;
    // wait while the fullest receiver holds k_max_pending PDUs (an interruption
    // point: top_block.stop() ends the wait)
    while (!d_receivers.empty() &&
           scheduler_peek::messages_waiting(d_receivers) >= k_max_pending)
        boost::this_thread::sleep(boost::posix_time::milliseconds(1));
    this->message_port_pub(d_port, pmt::cons(meta, samples_pmt(s.buf.data(), s.n)));
    s.active = false;
    s.meta = pmt::PMT_NIL;
}

template <class T>
void burst_extractor_impl<T>::emit_ready(bool flush)
{
    // in sob order: the oldest one first, once it is complete (or at the end)
    for (;;) {
        slot* s = nullptr;
        for (auto& c : d_slots)
            if (c.active && (s == nullptr || c.order < s->order))
                s = &c;
        if (s == nullptr)
            return;
        const bool done = s->have_end && (s->cut || s->first + s->n >= s->want_end);
        if (!done && !flush)
            return;
        emit(*s);
    }
}

template <class T>
int burst_extractor_impl<T>::work(int noutput_items,
                                  gr_vector_const_void_star& input_items,
                                  gr_vector_void_star&)
{
    const T* in = static_cast<const T*>(input_items[0]);
    const size_t n = size_t(noutput_items);
    const uint64_t base = this->nitems_read(0);
    this->get_tags_in_range(d_tags, 0, base, base + n);
    std::stable_sort(d_tags.begin(), d_tags.end(), [](const tag_t& a, const tag_t& b) {
        return a.offset < b.offset;
    });
    uint64_t pos = base;
    for (const auto& t : d_tags) {
        if (t.offset > pos) {
            feed(in + (pos - base), pos, size_t(t.offset - pos));
            pos = t.offset;
        }
        if (pmt::eqv(t.key, k_end)) {
            // the detector's stream ends with this item: feed it, then flush, while
            // the receivers still run (GNU Radio may not call work() again)
            feed(in + (pos - base), pos, 1);
            pos += 1;
            d_flushed = true;
            emit_ready(true);
            continue;
        }
        if (pmt::eqv(t.key, k_sob)) {
            on_sob(t.offset);
        } else if (pmt::eqv(t.key, k_eob)) {
            on_eob(t.offset, t.value);
        } else if (pmt::eqv(t.key, k_rx_freq)) {
            double f = 0.0;
            if (real_number(t.value, f)) {
                d_have_freq = true;
                d_freq = f;
            }
        } else if (pmt::eqv(t.key, k_rx_time)) {
            double secs = 0.0;
            if (rx_time_seconds(t.value, secs)) {
                d_have_time = true;
                d_time_offset = t.offset;
                d_time_secs = secs;
            }
        }
        emit_ready(false);
    }
    if (pos < base + n)
        feed(in + (pos - base), pos, size_t(base + n - pos));
    emit_ready(false);
    // the last call of the stream: what is left goes out now, while the receivers run
    const auto input = scheduler_peek::input0(*this);
    if (input.done && long(n) >= input.available && !d_flushed) {
        d_flushed = true;
        emit_ready(true);
    }
    return noutput_items;
}

template class burst_extractor<float>;
template class burst_extractor<gr_complex>;
template class burst_extractor_impl<float>;
template class burst_extractor_impl<gr_complex>;

} // namespace streamproc
} // namespace gr
