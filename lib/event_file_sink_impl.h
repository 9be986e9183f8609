/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_STREAMPROC_EVENT_FILE_SINK_IMPL_H
#define INCLUDED_STREAMPROC_EVENT_FILE_SINK_IMPL_H

#include "event_record.h"
#include "sigmf_writer.h"
#include <gnuradio/streamproc/event_file_sink.h>
#include <atomic>
#include <memory>
#include <string>

namespace gr {
namespace streamproc {

class event_file_sink_impl : public event_file_sink
{
private:
    const std::string d_path;
    const std::string d_format;
    const bool d_csv;
    std::unique_ptr<sigmf_writer> d_sigmf; // format "sigmf"
    uint64_t d_publish_every = 1000;
    double d_publish_seconds = 2.0;
    bool d_template_set = false;
    int d_fd = -1;
    std::string d_line;
    std::atomic<uint64_t> d_lines{ 0 };
    bool d_warned = false;
    bool d_regular = false; // a regular file: a partial line can be cut back
    std::string d_error;    // the first failed write
    uint64_t d_dropped = 0; // events after it

    void handle(const pmt::pmt_t& msg);
    void write_line();

public:
    event_file_sink_impl(const std::string& path,
                         const std::string& format,
                         bool overwrite);
    ~event_file_sink_impl() override;
    uint64_t lines_written() const override { return d_lines; }
    std::string error() const override;
    void set_sigmf_template(const std::string& meta_json) override;
    void set_publish_interval(uint64_t events, double seconds) override;
    bool start() override;
    bool stop() override;

    //! One event dict as a JSON object or a CSV row (no newline). For tests.
    static std::string format_json(const pmt::pmt_t& dict);
    static std::string format_csv(const pmt::pmt_t& dict);
    //! The same into \p out (its capacity is reused: no allocation per event).
    static void format_json(const pmt::pmt_t& dict, std::string& out);
    static void format_csv(const pmt::pmt_t& dict, std::string& out);
    //! The JSON line of a compact event, the same text as format_json(r.to_dict()).
    static void format_json(const event_record& r, std::string& out);
    static const std::string& csv_header(); //!< the columns, comma-separated
};

} // namespace streamproc
} // namespace gr

#endif /* INCLUDED_STREAMPROC_EVENT_FILE_SINK_IMPL_H */
