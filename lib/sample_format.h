/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_STREAMPROC_SAMPLE_FORMAT_H
#define INCLUDED_STREAMPROC_SAMPLE_FORMAT_H

#include <gnuradio/streamproc/api.h>
#include <volk/volk_alloc.hh>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace gr {
namespace streamproc {

/*!
 * \brief A SigMF sample format, (c|r)(f64|f32|i32|i16|i8|u32|u16|u8)(_le|_be), and its
 * conversion to float / gr_complex.
 *
 * Plain C++ (no scheduler), tested against numpy's conversion of the same bytes.
 * Scaling (documented, common practice): floats as they are; signed integers of b bits
 * divided by 2^(b-1) (full scale -1.0 .. +1.0); unsigned integers centred on their mid
 * code, (x - (2^b - 1) / 2) / 2^(b-1) (cu8: (x - 127.5) / 128, as RTL-SDR tools do);
 * then multiplied by \p scale. Big-endian samples are byte-swapped. Unsigned 8-bit
 * samples go through a 256-entry lookup table, the others through VOLK kernels where VOLK
 * has them.
 * With several channels (interleaved sample by sample) one channel is picked.
 */
class STREAMPROC_API sample_format
{
public:
    enum class kind { floating, signed_int, unsigned_int };

    /*!
     * Parses a SigMF datatype ("cu8", "ci16_le", "rf32_be", ...; "cu8_le" is accepted
     * for 8-bit types). Throws std::invalid_argument naming the text.
     */
    explicit sample_format(const std::string& datatype,
                           double scale = 1.0,
                           unsigned channels = 1,
                           unsigned channel = 0);

    //! The canonical SigMF name ("cu8", "ci16_le", "rf32_le", ...).
    const std::string& name() const { return d_name; }
    bool is_complex() const { return d_complex; }
    kind component_kind() const { return d_kind; }
    unsigned bits() const { return d_bits; }
    bool big_endian() const { return d_big; }
    unsigned channels() const { return d_channels; }
    //! Bytes of one sample in the file (all channels).
    size_t file_bytes() const { return d_file_bytes; }
    //! Bytes of one output item: 8 (complex) or 4 (float).
    size_t output_bytes() const { return d_complex ? 8 : 4; }

    /*!
     * Converts \p n samples at \p src (file bytes, any alignment) into \p n output
     * items at \p dst (float or gr_complex). Uses internal scratch of at most
     * max_chunk() samples per step; no allocation after construction.
     */
    void convert(const void* src, size_t n, void* dst);
    static constexpr size_t max_chunk() { return 8192; }

    //! True for a SigMF datatype name this class accepts.
    static bool valid(const std::string& datatype);

private:
    void convert_chunk(const unsigned char* src, size_t n, float* dst);

    std::string d_name;
    bool d_complex = false;
    kind d_kind = kind::floating;
    unsigned d_bits = 32;
    bool d_big = false;
    unsigned d_channels = 1;
    unsigned d_channel = 0;
    size_t d_comp_bytes = 4; // one real component
    size_t d_file_bytes = 4; // one sample, all channels
    float d_scale = 1.0f;
    std::vector<float> d_lut;             // 8-bit formats (u8 converts through it)
    volk::vector<unsigned char> d_gather; // one channel's bytes, byte-swapped
};

} // namespace streamproc
} // namespace gr

#endif /* INCLUDED_STREAMPROC_SAMPLE_FORMAT_H */
