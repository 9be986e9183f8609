/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_STREAMPROC_PMT_VALUES_H
#define INCLUDED_STREAMPROC_PMT_VALUES_H

#include <pmt/pmt.h>
#include <cmath>

namespace gr {
namespace streamproc {

//! A real number from a PMT (integers of any kind, doubles; not complex), finite.
inline bool real_number(const pmt::pmt_t& v, double& out)
{
    if (pmt::is_uint64(v))
        out = double(pmt::to_uint64(v));
    else if (pmt::is_integer(v))
        out = double(pmt::to_long(v));
    else if (pmt::is_real(v))
        out = pmt::to_double(v);
    else
        return false;
    return std::isfinite(out);
}

//! The same for the value of \p key in the PMT dict \p dict (false when missing).
inline bool real_number(const pmt::pmt_t& dict, const char* key, double& out)
{
    return pmt::is_dict(dict) &&
           real_number(pmt::dict_ref(dict, pmt::mp(key), pmt::PMT_NIL), out);
}

//! UHD's rx_time: a tuple (whole seconds >= 0, fraction in [0, 1)), in seconds.
inline bool rx_time_seconds(const pmt::pmt_t& v, double& out)
{
    if (!pmt::is_tuple(v) || pmt::length(v) != 2)
        return false;
    double whole = 0.0, frac = 0.0;
    if (!real_number(pmt::tuple_ref(v, 0), whole) ||
        !real_number(pmt::tuple_ref(v, 1), frac))
        return false;
    if (whole < 0.0 || whole != std::floor(whole) || frac < 0.0 || frac >= 1.0)
        return false;
    out = whole + frac;
    return true;
}

} // namespace streamproc
} // namespace gr

#endif /* INCLUDED_STREAMPROC_PMT_VALUES_H */
