/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "event_core.h"
#include "ols_engine.h"
#include <volk/volk.h>
#include <algorithm>
#include <cstring>

namespace gr {
namespace streamproc {

namespace {
void to_power(const float* in, float* p, size_t n)
{
    volk_32f_x2_multiply_32f(p, in, in, unsigned(n));
}
void to_power(const gr_complex* in, float* p, size_t n)
{
    const float* f = reinterpret_cast<const float*>(in);
    for (size_t i = 0; i < n; ++i)
        p[i] = f[2 * i] * f[2 * i] + f[2 * i + 1] * f[2 * i + 1];
}
} // namespace

event_record record_of(const detected_event& ev,
                       double time_at_start,
                       double rate,
                       uint64_t decimation,
                       uint64_t delay)
{
    const uint64_t D = decimation;
    auto map = [D, delay](uint64_t k) {
        const uint64_t i = k * D;
        return i > delay ? i - delay : 0;
    };
    const uint64_t start = map(ev.start), end = std::max(map(ev.end), start + 1);
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
    // the time of the mapped start: input samples run D times as fast
    r.time = time_at_start + (double(start) - double(ev.start * D)) / (rate * double(D));
    r.has_extent = ev.has_extent;
    r.freq_center = ev.freq_center;
    r.bandwidth = ev.bandwidth;
    r.mapped = D != 1 || delay != 0;
    r.stream_start = ev.start;
    r.stream_end = ev.end;
    return r;
}

template <class T>
event_core<T>::event_core(const detector_config& config)
    : d_engine(config), d_power(k_chunk)
{
    d_steps.reserve(1024);
    size_for(config);
}

template <class T>
void event_core<T>::size_for(const detector_config& c)
{
    const size_t held = event_detector_engine::held_of(c);
    if (d_held.size() < held)
        d_held.resize(held);
    if (d_tail.size() < c.window + 1)
        d_tail.resize(c.window + 1);
}

template <class T>
void event_core<T>::configure(const detector_config& config)
{
    size_for(config);
    d_engine = event_detector_engine(config);
    reset();
}

template <class T>
void event_core<T>::set_prefilter(const std::vector<float>& taps)
{
    d_pre_rev.assign(taps.rbegin(), taps.rend());
    const size_t hist = taps.empty() ? 0 : (taps.size() - 1) * k_floats;
    d_pre_buf.assign(hist + k_chunk * k_floats, 0.0f);
    d_pre_out.resize(taps.empty() ? 0 : k_chunk);
    d_pre_tmp.resize(taps.empty() ? 0 : k_chunk * k_floats);
}

template <class T>
void event_core<T>::reset()
{
    d_engine.reset();
    std::fill(d_pre_buf.begin(), d_pre_buf.end(), 0.0f);
    restart_extent();
    d_tail_n = 0;
    d_tail_end = 0;
}

template <class T>
void event_core<T>::restart_extent()
{
    d_held_from = d_engine.samples();
    d_held_n = 0;
}

template <class T>
void event_core<T>::process(const T* in,
                            uint64_t first,
                            size_t n,
                            std::vector<detected_event>& events,
                            std::vector<event_edge>* edges)
{
    if (d_pre_rev.empty()) {
        run(in, first, n, events, edges);
        return;
    }
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
        run(d_pre_out.data(), first + base, len, events, edges);
    }
}

template <class T>
void event_core<T>::run(const T* piece,
                        uint64_t first,
                        size_t n,
                        std::vector<detected_event>& events,
                        std::vector<event_edge>* edges)
{
    size_t done = 0;
    while (done < n) {
        const size_t end = std::min(n, done + k_chunk);
        size_t k = end - done;
        if constexpr (std::is_same<T, float>::value) {
            done += d_engine.skip_quiet_samples(piece + done, k);
            if (done == end)
                continue;
            const size_t b = d_engine.quiet_until_boundary();
            k = b > 0 ? std::min(end - done, b) : end - done;
        }
        if (d_engine.holding()) { // the extent may need them once the floor is known
            const size_t take = std::min(k, d_held.size() - d_held_n);
            std::copy(
                piece + done, piece + done + take, d_held.begin() + ptrdiff_t(d_held_n));
            d_held_n += take;
        }
        to_power(piece + done, d_power.data(), k);
        d_steps.clear();
        d_engine.set_steps(&d_steps);
        if (edges)
            d_engine.process(d_power.data(), k, events, *edges);
        else
            d_engine.process(d_power.data(), k, events);
        d_engine.set_steps(nullptr);
        follow_events(piece, first, n, events);
        done += k;
    }
    keep_tail(piece, first, n);
}

template <class T>
void event_core<T>::finish(std::vector<detected_event>& events,
                           std::vector<event_edge>& edges)
{
    d_steps.clear();
    d_engine.set_steps(&d_steps);
    d_engine.finish(events, edges);
    d_engine.set_steps(nullptr);
    follow_events(nullptr, d_engine.samples(), 0, events);
}

template <class T>
void event_core<T>::restart(const detector_config& config,
                            std::vector<detected_event>& events,
                            std::vector<event_edge>& edges)
{
    size_for(config);
    d_steps.clear();
    d_engine.set_steps(&d_steps);
    d_engine.restart(config, events, edges);
    d_engine.set_steps(nullptr);
    follow_events(nullptr, d_engine.samples(), 0, events);
    restart_extent();
}

template <class T>
void event_core<T>::extent_feed(uint64_t to, const T* piece, uint64_t first, size_t n)
{
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
void event_core<T>::follow_events(const T* piece,
                                  uint64_t first,
                                  size_t n,
                                  std::vector<detected_event>& events)
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
            detected_event& ev = events[st.index];
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
void event_core<T>::keep_tail(const T* piece, uint64_t first, size_t n)
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

template class event_core<float>;
template class event_core<gr_complex>;

} // namespace streamproc
} // namespace gr
