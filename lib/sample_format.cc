/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "sample_format.h"
#include <volk/volk.h>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <regex>
#include <stdexcept>

namespace gr {
namespace streamproc {

namespace {
const std::regex k_datatype("^([cr])(f64|f32|i32|i16|i8|u32|u16|u8)(_le|_be)?$");
} // namespace

bool sample_format::valid(const std::string& datatype)
{
    return std::regex_match(datatype, k_datatype); // no endianness: little endian
}

sample_format::sample_format(const std::string& datatype,
                             double scale,
                             unsigned channels,
                             unsigned channel)
    : d_channels(channels), d_channel(channel), d_scale(float(scale))
{
    std::smatch m;
    if (!std::regex_match(datatype, m, k_datatype))
        throw std::invalid_argument(
            "sample format \"" + datatype +
            "\" is not a SigMF datatype: (c|r)(f64|f32|i32|i16|i8|u32|u16|u8)(_le|_be), "
            "e.g. cu8, ci16_le, cf32_le");
    if (!(std::isfinite(scale) && scale != 0.0))
        throw std::invalid_argument("sample format scale must be finite and not 0, got " +
                                    std::to_string(scale));
    if (channels < 1)
        throw std::invalid_argument("sample format: channels must be at least 1");
    if (channel >= channels)
        throw std::invalid_argument("sample format: channel " + std::to_string(channel) +
                                    " does not exist (" + std::to_string(channels) +
                                    " channels, numbered from 0)");
    d_complex = m[1] == "c";
    const std::string t = m[2];
    d_kind = t[0] == 'f'   ? kind::floating
             : t[0] == 'i' ? kind::signed_int
                           : kind::unsigned_int;
    d_bits = unsigned(std::stoi(t.substr(1)));
    d_big = m[3] == "_be";
    d_comp_bytes = d_bits / 8;
    d_file_bytes = d_comp_bytes * (d_complex ? 2 : 1) * d_channels;
    // canonical name: one-byte types carry no endianness, the others always do
    d_name = std::string(m[1]) + t + (d_bits == 8 ? "" : (d_big ? "_be" : "_le"));
    if (d_bits == 8) {
        d_lut.resize(256);
        for (int v = 0; v < 256; ++v) {
            const double x = d_kind == kind::signed_int
                                 ? double(int8_t(uint8_t(v))) / 128.0
                                 : (double(v) - 127.5) / 128.0;
            d_lut[size_t(v)] = float(x * scale);
        }
    }
    d_gather.resize(max_chunk() * d_comp_bytes * 2);
}

void sample_format::convert(const void* src, size_t n, void* dst)
{
    const auto* in = static_cast<const unsigned char*>(src);
    auto* out = static_cast<float*>(dst);
    const size_t comps = d_complex ? 2 : 1;
    while (n > 0) {
        const size_t k = std::min(n, max_chunk());
        convert_chunk(in, k, out);
        in += k * d_file_bytes;
        out += k * comps;
        n -= k;
    }
}

void sample_format::convert_chunk(const unsigned char* src, size_t n, float* dst)
{
    const size_t comps = n * (d_complex ? 2 : 1); // real components to convert
    const size_t sample_comp_bytes = d_comp_bytes * (d_complex ? 2 : 1);
    const unsigned char* in = src;
    // One channel of several, or a big-endian format, or an unaligned wide source:
    // gather the components into aligned scratch first (byte order fixed there).
    const bool gather = d_channels > 1 || (d_big && d_bits > 8) ||
                        (d_bits > 8 && reinterpret_cast<uintptr_t>(src) % d_comp_bytes);
    if (gather) {
        unsigned char* g = d_gather.data();
        if (d_channels == 1) {
            std::memcpy(g, src, comps * d_comp_bytes);
        } else {
            for (size_t i = 0; i < n; ++i)
                std::memcpy(g + i * sample_comp_bytes,
                            src + i * d_file_bytes + d_channel * sample_comp_bytes,
                            sample_comp_bytes);
        }
        if (d_big) {
            if (d_bits == 16)
                volk_16u_byteswap(reinterpret_cast<uint16_t*>(g), unsigned(comps));
            else if (d_bits == 32)
                volk_32u_byteswap(reinterpret_cast<uint32_t*>(g), unsigned(comps));
            else if (d_bits == 64)
                volk_64u_byteswap(reinterpret_cast<uint64_t*>(g), unsigned(comps));
        }
        in = g;
    }
    const unsigned nc = unsigned(comps);
    switch (d_kind) {
    case kind::floating:
        if (d_bits == 32) {
            if (d_scale == 1.0f)
                std::memcpy(dst, in, comps * 4);
            else
                volk_32f_s32f_multiply_32f(
                    dst, reinterpret_cast<const float*>(in), d_scale, nc);
        } else {
            volk_64f_convert_32f(dst, reinterpret_cast<const double*>(in), nc);
            if (d_scale != 1.0f)
                volk_32f_s32f_multiply_32f(dst, dst, d_scale, nc);
        }
        break;
    case kind::signed_int:
        if (d_bits == 8) {
            volk_8i_s32f_convert_32f(
                dst, reinterpret_cast<const int8_t*>(in), 128.0f / d_scale, nc);
        } else if (d_bits == 16) {
            volk_16i_s32f_convert_32f(
                dst, reinterpret_cast<const int16_t*>(in), 32768.0f / d_scale, nc);
        } else {
            volk_32i_s32f_convert_32f(
                dst, reinterpret_cast<const int32_t*>(in), 2147483648.0f / d_scale, nc);
        }
        break;
    case kind::unsigned_int:
        if (d_bits == 8) {
            for (size_t i = 0; i < comps; ++i)
                dst[i] = d_lut[in[i]];
        } else if (d_bits == 16) {
            const auto* v = reinterpret_cast<const uint16_t*>(in);
            const float s = d_scale / 32768.0f;
            for (size_t i = 0; i < comps; ++i)
                dst[i] = (float(v[i]) - 32767.5f) * s;
        } else {
            const auto* v = reinterpret_cast<const uint32_t*>(in);
            const double s = double(d_scale) / 2147483648.0;
            for (size_t i = 0; i < comps; ++i)
                dst[i] = float((double(v[i]) - 2147483647.5) * s);
        }
        break;
    }
}

} // namespace streamproc
} // namespace gr
