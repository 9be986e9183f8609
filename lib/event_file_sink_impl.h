/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_STREAMPROC_EVENT_FILE_SINK_IMPL_H
#define INCLUDED_STREAMPROC_EVENT_FILE_SINK_IMPL_H

#include <gnuradio/streamproc/event_file_sink.h>
#include <atomic>
#include <string>

namespace gr {
namespace streamproc {

class event_file_sink_impl : public event_file_sink
{
private:
    const std::string d_path;
    const bool d_csv;
    int d_fd = -1;
    std::string d_line;
    std::atomic<uint64_t> d_lines{ 0 };
    bool d_warned = false;

    void handle(const pmt::pmt_t& msg);
    void write_line();

public:
    event_file_sink_impl(const std::string& path,
                         const std::string& format,
                         bool overwrite);
    ~event_file_sink_impl() override;
    uint64_t lines_written() const override { return d_lines; }
    bool stop() override;

    //! One event dict as a JSON object or a CSV row (no newline). For tests.
    static std::string format_json(const pmt::pmt_t& dict);
    static std::string format_csv(const pmt::pmt_t& dict);
    static const char* csv_header();
};

} // namespace streamproc
} // namespace gr

#endif /* INCLUDED_STREAMPROC_EVENT_FILE_SINK_IMPL_H */
