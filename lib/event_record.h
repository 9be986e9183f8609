/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_STREAMPROC_EVENT_RECORD_H
#define INCLUDED_STREAMPROC_EVENT_RECORD_H

#include <gnuradio/streamproc/api.h>
#include <pmt/pmt.h>
#include <cstdint>

namespace gr {
namespace streamproc {

/*!
 * \brief One event as the detector reports it, positions already mapped (set_index_map).
 *
 * The message on port "events" is this record as a PMT dict (to_dict(): the documented
 * keys, in this order). With compact messages (event_detector::set_compact_messages)
 * it travels as a blob instead (to_blob(): one allocation instead of about forty), which
 * event_file_sink turns back into the same dict in its own thread: in a flood, freeing
 * forty PMT nodes in another thread than the one that made them was most of the cost.
 */
struct STREAMPROC_API event_record {
    uint64_t id = 0, start = 0, end = 0, peak_index = 0, merged = 0;
    double peak_power = 0.0, mean_power = 0.0, energy = 0.0, noise_floor = 0.0;
    double snr_db = 0.0, time = 0.0, freq = 0.0;
    double freq_center = 0.0, bandwidth = 0.0; //!< frequency extent, when has_extent
    bool truncated = false, has_freq = false, mapped = false, has_extent = false;
    uint64_t stream_start = 0, stream_end = 0; //!< the detector's own, when mapped

    /*!
     * Calls f(name, value) for every field of the event dict, in its order (value: a
     * uint64_t, a double or a bool). The one list of the fields: to_dict() and the file
     * sink's direct JSON line both use it.
     */
    template <class F>
    void visit(F&& f) const
    {
        f("id", id);
        f("start", start);
        f("end", end);
        f("duration", end - start);
        f("peak_power", peak_power);
        f("peak_index", peak_index);
        f("mean_power", mean_power);
        f("energy", energy);
        f("noise_floor", noise_floor);
        f("snr_db", snr_db);
        f("truncated", truncated);
        f("merged", merged);
        f("time", time);
        if (has_freq)
            f("freq", freq);
        if (has_extent) {
            f("freq_center", freq_center);
            f("bandwidth", bandwidth);
            if (has_freq)
                f("freq_center_abs", freq + freq_center);
        }
        if (mapped) {
            f("stream_start", stream_start);
            f("stream_end", stream_end);
        }
    }

    //! The event dict: id, start, end, duration, peak_power, peak_index, mean_power,
    //! energy, noise_floor, snr_db, truncated, merged, time, [freq], [freq_center,
    //! bandwidth, [freq_center_abs]], [stream_start, stream_end].
    pmt::pmt_t to_dict() const;
    //! A blob holding this record (compact messages).
    pmt::pmt_t to_blob() const;
    //! Reads a blob made by to_blob(); false for anything else.
    static bool from_blob(const pmt::pmt_t& msg, event_record& out);
};

} // namespace streamproc
} // namespace gr

#endif /* INCLUDED_STREAMPROC_EVENT_RECORD_H */
