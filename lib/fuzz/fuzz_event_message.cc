/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

// libFuzzer target: any message on event_file_sink's "events" port is written as a JSON
// line, a CSV row or a SigMF annotation (or refused), never a crash; the JSON line is
// valid JSON.

#include "../event_file_sink_impl.h"
#include "../sigmf_writer.h"
#include "fuzz_pmt.h"
#include <nlohmann/json.hpp>
#include <unistd.h>
#include <cstdlib>
#include <memory>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    using gr::streamproc::event_file_sink_impl;
    static std::unique_ptr<gr::streamproc::sigmf_writer> writer = [] {
        char dir[] = "/tmp/fuzz_events.XXXXXX";
        const std::string d = mkdtemp(dir);
        return std::make_unique<gr::streamproc::sigmf_writer>(d + "/e.sigmf-meta", true);
    }();
    FuzzedDataProvider in(data, size);
    const pmt::pmt_t msg = fuzz::any_pmt(in);
    if (pmt::is_dict(msg)) {
        const std::string line = event_file_sink_impl::format_json(msg);
        (void)nlohmann::json::parse(line); // throws (a crash here) if not valid JSON
        (void)event_file_sink_impl::format_csv(msg);
        if (writer->annotations() < 2000) // the journal stays small
            writer->add(msg);
    }
    return 0;
}
