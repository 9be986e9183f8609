/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_STREAMPROC_SIGMF_WRITER_H
#define INCLUDED_STREAMPROC_SIGMF_WRITER_H

#include <gnuradio/streamproc/api.h>
#include <pmt/pmt.h>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace gr {
namespace streamproc {

/*!
 * \brief Events as SigMF annotations in a .sigmf-meta that is valid at all times.
 *
 * Plain C++ (no scheduler). The file carries a template's global object and captures
 * (the input recording's, so the annotated recording opens in SigMF tools, with
 * core:dataset naming the original data) and one annotation per event:
 * core:sample_start, core:sample_count, core:label "event", core:comment (SNR, peak
 * power), core:generator, and core:freq_lower_edge / core:freq_upper_edge (the
 * capture's band, core:frequency +- sample_rate / 2) when both are known.
 *
 * Annotations go to a journal next to the file (one JSON object per line: memory stays
 * flat); publish() writes the whole metadata to a temporary file, fsyncs it and renames
 * it over the target, so a process killed at any moment leaves the last complete
 * version, never a torn file. The journal is removed by finish().
 */
class STREAMPROC_API sigmf_writer
{
public:
    //! Throws std::runtime_error naming the path: not ending in .sigmf-meta, existing
    //! without \p overwrite, or not writable.
    sigmf_writer(const std::string& path, bool overwrite);
    ~sigmf_writer();
    sigmf_writer(const sigmf_writer&) = delete;
    sigmf_writer& operator=(const sigmf_writer&) = delete;

    //! The input recording's metadata (JSON with "global", optional "captures"); its
    //! annotations are kept. Throws std::invalid_argument for bad JSON.
    void set_template(const std::string& meta_json);
    //! Appends one event (a PMT dict with start, end, ...). False if it is not one.
    bool add(const pmt::pmt_t& event);
    //! Writes the complete file now (temporary file + rename).
    void publish();
    //! publish() if \p every events came since the last one, or \p seconds passed and
    //! something is new.
    void publish_if_due(uint64_t every, double seconds);
    //! Final publish and removal of the journal.
    void finish();
    uint64_t annotations() const { return d_count; }
    const std::string& path() const { return d_path; }

private:
    std::string annotation_json(const pmt::pmt_t& event) const;

    const std::string d_path;
    const std::string d_journal;
    int d_journal_fd = -1;
    std::string d_global = "{}";
    std::string d_captures = "[]";
    std::string d_kept; // the template's own annotations, comma-separated
    double d_rate = 0.0;
    std::vector<std::pair<uint64_t, double>> d_freqs; // capture start, frequency
    uint64_t d_count = 0, d_published = 0;
    std::chrono::steady_clock::time_point d_last;
    bool d_finished = false;
};

} // namespace streamproc
} // namespace gr

#endif /* INCLUDED_STREAMPROC_SIGMF_WRITER_H */
