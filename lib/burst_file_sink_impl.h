/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_STREAMPROC_BURST_FILE_SINK_IMPL_H
#define INCLUDED_STREAMPROC_BURST_FILE_SINK_IMPL_H

#include <gnuradio/streamproc/burst_file_sink.h>
#include <atomic>
#include <mutex>
#include <string>
#include <vector>

namespace gr {
namespace streamproc {

class burst_file_sink_impl : public burst_file_sink
{
private:
    const std::string d_dir, d_format, d_prefix;
    const bool d_overwrite;
    int d_index_fd = -1;
    std::atomic<uint64_t> d_written{ 0 }, d_dropped{ 0 };
    uint64_t d_counter = 0;
    mutable std::mutex d_error_mutex;
    std::string d_error;
    std::vector<unsigned char> d_bytes; // the converted samples of one burst

    void handle(const pmt::pmt_t& msg);
    void fail(const std::string& what);
    bool write_file(const std::string& name, const void* data, size_t n);

public:
    burst_file_sink_impl(const std::string& directory,
                         const std::string& format,
                         const std::string& prefix,
                         bool overwrite);
    ~burst_file_sink_impl() override;

    uint64_t bursts_written() const override { return d_written; }
    uint64_t bursts_dropped() const override { return d_dropped; }
    std::string error() const override;
    bool stop() override;
};

} // namespace streamproc
} // namespace gr

#endif /* INCLUDED_STREAMPROC_BURST_FILE_SINK_IMPL_H */
