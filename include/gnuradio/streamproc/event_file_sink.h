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
#include <vector>

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
 * freq_center, bandwidth, peak_power, peak_index, mean_power, energy, noise_floor,
 * snr_db, truncated, merged, utc (the ISO 8601 time live runs add; empty otherwise).
 * Every line is written with one write() and flushed, so killing the process loses no
 * event that reached the block. An existing file is appended to unless overwrite is
 * set. A message that is not a dict is ignored with a warning. A write that fails
 * (disk full, /dev/full, an I/O error) is logged once and kept in error(): a partly
 * written line is cut back (regular files), later events are dropped, so the file holds
 * whole lines only. A FIFO is opened without blocking: with no reader after 5 s the
 * constructor throws.
 *
 * "sigmf": the path must end in .sigmf-meta; each event becomes a SigMF annotation
 * (core:sample_start, core:sample_count, core:label, core:comment with SNR and peak
 * power, core:generator, and the capture's frequency band when known) in a metadata
 * file that carries the global object and captures of set_sigmf_template() (the input
 * recording's). The file is rewritten whole (temporary file, fsync, rename) every
 * set_publish_interval() events or seconds (default 1000 events or 2 s) and at stop(),
 * so it is complete SigMF at all times; a killed process leaves the last version.
 * An existing file is an error unless overwrite is set.
 */
class STREAMPROC_API event_file_sink : virtual public gr::block
{
public:
    using sptr = std::shared_ptr<event_file_sink>;

    /*!
     * \param path file to write (created if missing)
     * \param format "jsonl", "csv" or "sigmf"
     * \param overwrite truncate an existing file instead of appending
     */
    static sptr make(const std::string& path,
                     const std::string& format = "jsonl",
                     bool overwrite = false);

    //! The "csv" format's columns, in order (its header line: them joined by commas).
    static std::vector<std::string> csv_columns();

    //! Lines (events) written so far.
    virtual uint64_t lines_written() const = 0;
    //! "" while every write succeeded; else what failed (the first error). After a
    //! failed write the file holds whole lines only and further events are dropped.
    virtual std::string error() const = 0;
    //! SigMF: the input recording's metadata (JSON with "global" and "captures").
    virtual void set_sigmf_template(const std::string& meta_json) = 0;
    //! SigMF: rewrite the file after this many new events or seconds (default 1000, 2).
    virtual void set_publish_interval(uint64_t events, double seconds) = 0;
};

} // namespace streamproc
} // namespace gr

#endif /* INCLUDED_STREAMPROC_EVENT_FILE_SINK_H */
