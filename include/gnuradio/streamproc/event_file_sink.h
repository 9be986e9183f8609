/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_STREAMPROC_EVENT_FILE_SINK_H
#define INCLUDED_STREAMPROC_EVENT_FILE_SINK_H

#include <gnuradio/block.h>
#include <gnuradio/streamproc/api.h>
#include <string>

namespace gr {
namespace streamproc {

/*!
 * \brief Writes event messages (PMT dicts) to a file, one line each, flushed at once.
 * \ingroup streamproc
 *
 * \details
 * Message-only block with input port "events". "jsonl": one JSON object per line with
 * the dict's keys (numbers, booleans, strings). "csv": a header line (written when the
 * file is new or empty) and the fields id, start, end, duration, time, freq,
 * peak_power, peak_index, mean_power, energy, noise_floor, snr_db, truncated, merged.
 * Every line is written with one write() and flushed, so killing the process loses no
 * event that reached the block. An existing file is appended to unless overwrite is
 * set. A message that is not a dict is ignored with a warning.
 */
class STREAMPROC_API event_file_sink : virtual public gr::block
{
public:
    using sptr = std::shared_ptr<event_file_sink>;

    /*!
     * \param path file to write (created if missing)
     * \param format "jsonl" or "csv"
     * \param overwrite truncate an existing file instead of appending
     */
    static sptr make(const std::string& path,
                     const std::string& format = "jsonl",
                     bool overwrite = false);

    //! Lines written so far.
    virtual uint64_t lines_written() const = 0;
};

} // namespace streamproc
} // namespace gr

#endif /* INCLUDED_STREAMPROC_EVENT_FILE_SINK_H */
