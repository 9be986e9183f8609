/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

// libFuzzer target: whatever arrives on ols_fir's "taps" port is either taken (real or
// complex taps, then checked as the block checks them) or refused, never a crash.

#include "../taps_message.h"
#include "fuzz_pmt.h"
#include <cmath>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    FuzzedDataProvider in(data, size);
    const pmt::pmt_t msg = fuzz::any_pmt(in);
    std::vector<float> real;
    std::vector<gr_complex> cplx;
    if (gr::streamproc::taps_from_pmt(msg, real))
        for (float t : real)
            (void)std::isfinite(t);
    if (gr::streamproc::taps_from_pmt(msg, cplx))
        for (const auto& t : cplx)
            (void)std::isfinite(std::abs(t));
    return 0;
}
