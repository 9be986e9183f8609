/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_STREAMPROC_FUZZ_PMT_H
#define INCLUDED_STREAMPROC_FUZZ_PMT_H

// Arbitrary PMTs from fuzzer bytes (what a message port may receive from anywhere).

#include <fuzzer/FuzzedDataProvider.h>
#include <pmt/pmt.h>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace fuzz {

inline float any_float(FuzzedDataProvider& in)
{
    switch (in.ConsumeIntegralInRange<int>(0, 4)) {
    case 0:
        return std::numeric_limits<float>::quiet_NaN();
    case 1:
        return std::numeric_limits<float>::infinity();
    case 2:
        return -std::numeric_limits<float>::max();
    default:
        return in.ConsumeFloatingPoint<float>();
    }
}

inline pmt::pmt_t any_pmt(FuzzedDataProvider& in, int depth = 0)
{
    const std::vector<std::string> keys = { "id",       "start",      "end",
                                            "duration", "freq",       "time",
                                            "snr_db",   "peak_power", "truncated",
                                            "merged",   "noise_floor" };
    switch (in.ConsumeIntegralInRange<int>(0, depth > 3 ? 8 : 12)) {
    case 0:
        return pmt::from_uint64(in.ConsumeIntegral<uint64_t>());
    case 1:
        return pmt::from_long(in.ConsumeIntegral<long>());
    case 2:
        return pmt::from_double(in.ConsumeBool() ? double(any_float(in))
                                                 : in.ConsumeFloatingPoint<double>());
    case 3:
        return pmt::from_bool(in.ConsumeBool());
    case 4:
        return pmt::string_to_symbol(in.ConsumeRandomLengthString(64));
    case 5:
        return pmt::from_complex(in.ConsumeFloatingPoint<double>(), any_float(in));
    case 6: {
        std::vector<float> v(in.ConsumeIntegralInRange<size_t>(0, 64));
        for (auto& x : v)
            x = any_float(in);
        return pmt::init_f32vector(v.size(), v);
    }
    case 7: {
        std::vector<gr_complex> v(in.ConsumeIntegralInRange<size_t>(0, 64));
        for (auto& x : v)
            x = gr_complex(any_float(in), any_float(in));
        return pmt::init_c32vector(v.size(), v);
    }
    case 8:
        return pmt::PMT_NIL;
    case 9:
        return pmt::make_tuple(any_pmt(in, depth + 1), any_pmt(in, depth + 1));
    case 10:
        return pmt::cons(any_pmt(in, depth + 1), any_pmt(in, depth + 1));
    default: {
        pmt::pmt_t d = pmt::make_dict();
        const size_t n = in.ConsumeIntegralInRange<size_t>(0, 16);
        for (size_t i = 0; i < n; ++i) {
            const pmt::pmt_t key =
                in.ConsumeBool()
                    ? pmt::mp(keys[in.ConsumeIntegralInRange<size_t>(0, keys.size() - 1)])
                    : (in.ConsumeBool()
                           ? pmt::string_to_symbol(in.ConsumeRandomLengthString(16))
                           : any_pmt(in, depth + 1));
            d = pmt::dict_add(d, key, any_pmt(in, depth + 1));
        }
        return d;
    }
    }
}

} // namespace fuzz

#endif /* INCLUDED_STREAMPROC_FUZZ_PMT_H */
