/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

// libFuzzer target: any text as a .sigmf-meta (beside a 4 KiB data file) is read or
// refused with std::runtime_error / std::invalid_argument naming the problem, never a
// crash; every readable sample maps inside the data.

#include "../sigmf.h"
#include <unistd.h>
#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    static const std::string dir = [] {
        char d[] = "/tmp/fuzz_sigmf.XXXXXX";
        const std::string path = mkdtemp(d);
        std::ofstream(path + "/r.sigmf-data", std::ios::binary) << std::string(4096, 'x');
        return path;
    }();
    const std::string meta = dir + "/r.sigmf-meta";
    {
        std::ofstream f(meta, std::ios::binary | std::ios::trunc);
        f.write(reinterpret_cast<const char*>(data), std::streamsize(size));
    }
    try {
        const gr::streamproc::sigmf_recording rec(meta);
        for (uint64_t s = 0; s < rec.samples(); s += 1 + rec.samples() / 7) {
            uint64_t run = 0;
            const uint64_t b = rec.byte_of(s, &run);
            if (b + rec.sample_bytes() > rec.data_bytes())
                __builtin_trap(); // a sample outside the data: a bug
        }
        (void)gr::streamproc::json_to_pmt(rec.global_json());
    } catch (const std::runtime_error&) {
    } catch (const std::invalid_argument&) {
    }
    return 0;
}
