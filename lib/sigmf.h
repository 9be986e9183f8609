/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_STREAMPROC_SIGMF_H
#define INCLUDED_STREAMPROC_SIGMF_H

#include <gnuradio/streamproc/api.h>
#include <pmt/pmt.h>
#include <cstdint>
#include <string>
#include <vector>

namespace gr {
namespace streamproc {

//! One entry of a SigMF recording's "captures".
struct STREAMPROC_API sigmf_capture {
    uint64_t sample_start = 0;  //!< core:sample_start (samples of the dataset)
    uint64_t header_bytes = 0;  //!< core:header_bytes before this capture's samples
    uint64_t byte_start = 0;    //!< where its first sample is, from the dataset start
    bool has_frequency = false; //!< core:frequency
    double frequency = 0.0;
    bool has_time = false; //!< core:datetime, as UHD's rx_time: whole and fractional s
    uint64_t time_secs = 0;
    double time_frac = 0.0;
    std::string datetime; //!< as written
    bool has_global_index = false;
    uint64_t global_index = 0;
};

//! One entry of "annotations" (the fields the module reads; all of it in json).
struct STREAMPROC_API sigmf_annotation {
    uint64_t sample_start = 0;
    uint64_t sample_count = 0; //!< 0 when absent
    std::string label;
    std::string comment;
    std::string json; //!< the whole annotation object
};

/*!
 * \brief A SigMF recording (spec v1.x): what mmap_file_source needs to read its samples.
 *
 * Opened by its .sigmf-meta, its .sigmf-data, or a .sigmf archive (POSIX tar; the data
 * member is read in place at its offset in the archive). JSON through nlohmann::json.
 * Malformed metadata throws std::runtime_error naming the file and the field (bad JSON,
 * no core:datatype, an unknown datatype, a missing data file, data shorter than the
 * captures say, a capture past the end). Metadata seen in the wild that breaks the
 * schema but is usable (an integer core:datetime, no core:sample_rate) gives a warning
 * in warnings() and is used.
 */
class STREAMPROC_API sigmf_recording
{
public:
    /*!
     * \param path the .sigmf-meta, .sigmf-data or .sigmf archive
     * \param datatype_override a datatype that replaces core:datatype (the metadata is
     *        wrong), with a warning; "" uses the metadata's
     */
    explicit sigmf_recording(const std::string& path,
                             const std::string& datatype_override = "");

    //! True for a path that names a SigMF recording (.sigmf-meta, .sigmf-data, .sigmf).
    static bool is_sigmf_path(const std::string& path);

    const std::string& meta_path() const { return d_meta_path; }
    //! The file that holds the samples (the archive itself for a .sigmf archive).
    const std::string& data_path() const { return d_data_path; }
    //! Byte offset of the dataset in data_path() (the member offset in an archive).
    uint64_t data_offset() const { return d_data_offset; }
    //! Bytes of the dataset (the member size in an archive, else the file size).
    uint64_t data_bytes() const { return d_data_bytes; }
    //! The datatype the samples are read as (the override, else core:datatype).
    const std::string& datatype() const { return d_datatype; }
    //! Bytes of one sample in the data file (all channels).
    size_t sample_bytes() const { return d_sample_bytes; }
    double sample_rate() const { return d_sample_rate; } //!< 0 when not given
    unsigned num_channels() const { return d_channels; }
    uint64_t core_offset() const { return d_core_offset; }
    uint64_t trailing_bytes() const { return d_trailing; }
    //! Samples in the dataset (all captures).
    uint64_t samples() const { return d_samples; }
    const std::vector<sigmf_capture>& captures() const { return d_captures; }
    const std::vector<sigmf_annotation>& annotations() const { return d_annotations; }
    //! The global object and the whole metadata, as JSON text.
    const std::string& global_json() const { return d_global_json; }
    const std::string& meta_json() const { return d_meta_json; }
    const std::vector<std::string>& warnings() const { return d_warnings; }

    //! Byte offset (from the dataset start) of sample \p s, and the samples that follow
    //! it contiguously (up to the next capture with header bytes, or the end).
    uint64_t byte_of(uint64_t s, uint64_t* contiguous = nullptr) const;

    //! Parses an ISO 8601 UTC time ("2024-01-02T03:04:05.25Z") into whole seconds since
    //! the epoch and a fraction; false if it is not one.
    static bool parse_datetime(const std::string& text, uint64_t& secs, double& frac);

private:
    void parse(const std::string& text);
    void parse_json(const std::string& text);
    const std::string d_override;

    std::string d_meta_path, d_data_path, d_datatype, d_global_json, d_meta_json;
    std::string d_metadata_datatype;
    uint64_t d_data_offset = 0, d_data_bytes = 0, d_core_offset = 0, d_trailing = 0,
             d_samples = 0;
    double d_sample_rate = 0.0;
    unsigned d_channels = 1;
    size_t d_sample_bytes = 1;
    std::vector<sigmf_capture> d_captures;
    std::vector<sigmf_annotation> d_annotations;
    std::vector<std::string> d_warnings;
};

//! True when \p s ends with \p end (file name endings).
inline bool ends_with(const std::string& s, const std::string& end)
{
    return s.size() >= end.size() &&
           s.compare(s.size() - end.size(), end.size(), end) == 0;
}

//! A JSON value as PMT: objects as dicts, arrays as lists, strings as symbols, whole
//! numbers as integers, other numbers as doubles, booleans, null as PMT_NIL.
STREAMPROC_API pmt::pmt_t json_to_pmt(const std::string& json_text);

} // namespace streamproc
} // namespace gr

#endif /* INCLUDED_STREAMPROC_SIGMF_H */
