/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_STREAMPROC_EVENT_CORE_H
#define INCLUDED_STREAMPROC_EVENT_CORE_H

#include "event_detector_engine.h"
#include "event_extent.h"
#include "event_record.h"
#include <volk/volk_alloc.hh>
#include <vector>

namespace gr {
namespace streamproc {

/*!
 * The detection of event_detector_f/_c without a block: an optional short prefilter,
 * the power, the engine, and the frequency extent of each event (from the samples it
 * keeps for that: the held first horizon and the tail of the last piece). Plain C++:
 * the block adds tags, time references, edges on its output and messages; the array
 * functions (array::detector_stream) use it without a flowgraph. Allocates only in
 * the constructor, configure() and set_prefilter() (and when a piece holds more
 * events than the vectors reserved).
 */
/*!
 * The record of event \p ev of a detector that sees its input decimated by
 * \p decimation and delayed by \p delay samples (event_detector::set_index_map):
 * positions in input samples (stream_start/stream_end the detector's own when mapped),
 * \p time_at_start (the time of ev.start) moved to the mapped start; no frequency.
 */
event_record record_of(const detected_event& ev,
                       double time_at_start,
                       double rate,
                       uint64_t decimation,
                       uint64_t delay);

template <class T>
class event_core
{
public:
    //! Samples per engine call (the power buffer).
    static constexpr size_t k_chunk = 8192;

    explicit event_core(const detector_config& config);

    event_detector_engine& engine() { return d_engine; }
    const event_detector_engine& engine() const { return d_engine; }

    //! New settings, as a new stream (the prefilter stays).
    void configure(const detector_config& config);
    //! Makes room for the extent of settings \p config (before a restart() with them).
    void size_for(const detector_config& config);
    //! Taps applied to the samples before everything else (at most
    //! detail::short_fir_max_taps, finite; the caller checks); empty: none.
    void set_prefilter(const std::vector<float>& taps);
    //! Back to a new stream; the settings and the prefilter stay.
    void reset();

    /*!
     * The stream's next \p n samples, [first, first + n) (first: the samples given so
     * far). Events finished in them are appended to \p events with their extent; with
     * \p edges, the starts and ends of emitted events to it.
     */
    void process(const T* in,
                 uint64_t first,
                 size_t n,
                 std::vector<detected_event>& events,
                 std::vector<event_edge>* edges);
    //! End of stream: the open and the waiting event (engine.finish()).
    void finish(std::vector<detected_event>& events, std::vector<event_edge>& edges);
    //! engine.restart(): the stream so far finished, then \p config from the next sample.
    void restart(const detector_config& config,
                 std::vector<detected_event>& events,
                 std::vector<event_edge>& edges);

private:
    static constexpr size_t k_floats = sizeof(T) / sizeof(float);
    event_detector_engine d_engine;
    volk::vector<float> d_power;
    std::vector<event_step> d_steps;
    // the prefilter: reversed taps, input history + piece, filtered piece, scratch
    std::vector<float> d_pre_rev;
    volk::vector<float> d_pre_buf;
    volk::vector<T> d_pre_out;
    volk::vector<float> d_pre_tmp;
    // The frequency extent (event_extent.h): the accumulators of the open event and of
    // the waiting one, fed from the engine's event_steps. Samples it may still need:
    // the stream's held start (while the engine holds it, positions [d_held_from,
    // d_held_from + d_held_n)) and the d_tail_n samples before position d_tail_end
    // (the current piece's start).
    extent_accumulator<T> d_ext_cur, d_ext_wait; // (d_ext_cur's event: in_event())
    uint64_t d_ext_pos = 0;                      // the open event's next sample to feed
    std::vector<T> d_held;
    uint64_t d_held_from = 0;
    size_t d_held_n = 0;
    std::vector<T> d_tail;
    uint64_t d_tail_end = 0;
    size_t d_tail_n = 0;

    void run(const T* piece,
             uint64_t first,
             size_t n,
             std::vector<detected_event>& events,
             std::vector<event_edge>* edges);
    void restart_extent();
    void follow_events(const T* piece,
                       uint64_t first,
                       size_t n,
                       std::vector<detected_event>& events);
    void extent_feed(uint64_t to, const T* piece, uint64_t first, size_t n);
    void keep_tail(const T* piece, uint64_t first, size_t n);
};

} // namespace streamproc
} // namespace gr

#endif /* INCLUDED_STREAMPROC_EVENT_CORE_H */
