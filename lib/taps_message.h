/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_STREAMPROC_TAPS_MESSAGE_H
#define INCLUDED_STREAMPROC_TAPS_MESSAGE_H

// The taps carried by a message on ols_fir's "taps" port (outside input: fuzzed by
// lib/fuzz/fuzz_taps_message.cc).

#include <gnuradio/gr_complex.h>
#include <pmt/pmt.h>
#include <vector>

namespace gr {
namespace streamproc {

//! Real taps: an f32vector. False for anything else.
inline bool taps_from_pmt(const pmt::pmt_t& msg, std::vector<float>& out)
{
    if (!pmt::is_f32vector(msg))
        return false;
    out = pmt::f32vector_elements(msg);
    return true;
}

//! Complex taps: a c32vector, or an f32vector of real taps. False for anything else.
inline bool taps_from_pmt(const pmt::pmt_t& msg, std::vector<gr_complex>& out)
{
    if (pmt::is_c32vector(msg)) {
        out = pmt::c32vector_elements(msg);
        return true;
    }
    if (pmt::is_f32vector(msg)) {
        const auto f = pmt::f32vector_elements(msg);
        out.assign(f.begin(), f.end());
        return true;
    }
    return false;
}

} // namespace streamproc
} // namespace gr

#endif /* INCLUDED_STREAMPROC_TAPS_MESSAGE_H */
