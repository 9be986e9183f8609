/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "event_record.h"
#include <type_traits>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace gr {
namespace streamproc {

namespace {

// a compact message: this tag, then the record's bytes
constexpr char k_magic[8] = { 's', 'p', 'e', 'v', 'e', 'n', 't', '2' };
} // namespace

pmt::pmt_t event_record::to_dict() const
{
    // Keys are distinct: prepend (pmt::dict_add searches the dict at every add). The
    // key symbols are interned once (pmt::mp looks them up in a locked table).
    static const auto keys = [] {
        std::vector<std::pair<std::string, pmt::pmt_t>> k;
        event_record all;
        all.has_freq = all.mapped = all.has_extent = true;
        all.visit([&k](const char* name, auto) { k.emplace_back(name, pmt::mp(name)); });
        return k;
    }();
    pmt::pmt_t d = pmt::make_dict();
    size_t i = 0;
    visit([&d, &i](const char* key, auto value) {
        pmt::pmt_t v;
        if constexpr (std::is_same<decltype(value), bool>::value)
            v = pmt::from_bool(value);
        else if constexpr (std::is_same<decltype(value), double>::value)
            v = pmt::from_double(value);
        else
            v = pmt::from_uint64(value);
        // fields come in visit() order; freq and the stream indices may be absent
        while (keys[i].first != key)
            ++i;
        d = pmt::dcons(pmt::cons(keys[i].second, v), d);
    });
    return d;
}

namespace {
// The blob: the magic, then the numbers (8 bytes each), then the flags (1 byte each).
constexpr size_t k_numbers = 16, k_flags = 4;
constexpr size_t k_blob_size = sizeof(k_magic) + 8 * k_numbers + k_flags;
} // namespace

pmt::pmt_t event_record::to_blob() const
{
    unsigned char buf[k_blob_size];
    std::memcpy(buf, k_magic, sizeof(k_magic));
    unsigned char* p = buf + sizeof(k_magic);
    const auto put = [&p](const auto& v) {
        std::memcpy(p, &v, 8);
        p += 8;
    };
    put(id);
    put(start);
    put(end);
    put(peak_index);
    put(merged);
    put(stream_start);
    put(stream_end);
    put(peak_power);
    put(mean_power);
    put(energy);
    put(noise_floor);
    put(snr_db);
    put(time);
    put(freq);
    put(freq_center);
    put(bandwidth);
    *p++ = truncated;
    *p++ = has_freq;
    *p++ = mapped;
    *p++ = has_extent;
    return pmt::make_blob(buf, sizeof(buf));
}

bool event_record::from_blob(const pmt::pmt_t& msg, event_record& out)
{
    if (!pmt::is_blob(msg) || pmt::blob_length(msg) != k_blob_size)
        return false;
    const auto* p = static_cast<const unsigned char*>(pmt::blob_data(msg));
    if (std::memcmp(p, k_magic, sizeof(k_magic)) != 0)
        return false;
    p += sizeof(k_magic);
    const auto get = [&p](auto& v) {
        std::memcpy(&v, p, 8);
        p += 8;
    };
    get(out.id);
    get(out.start);
    get(out.end);
    get(out.peak_index);
    get(out.merged);
    get(out.stream_start);
    get(out.stream_end);
    get(out.peak_power);
    get(out.mean_power);
    get(out.energy);
    get(out.noise_floor);
    get(out.snr_db);
    get(out.time);
    get(out.freq);
    get(out.freq_center);
    get(out.bandwidth);
    out.truncated = p[0] != 0;
    out.has_freq = p[1] != 0;
    out.mapped = p[2] != 0;
    out.has_extent = p[3] != 0;
    return out.end >= out.start; // duration = end - start
}

} // namespace streamproc
} // namespace gr
