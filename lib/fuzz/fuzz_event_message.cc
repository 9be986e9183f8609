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
#include "../event_record.h"
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
    if (in.ConsumeBool()) {
        // a compact event: the magic, then anything
        std::string blob = "spevent1" + in.ConsumeRandomLengthString(200);
        gr::streamproc::event_record r;
        if (gr::streamproc::event_record::from_blob(
                pmt::make_blob(blob.data(), blob.size()), r)) {
            std::string line;
            event_file_sink_impl::format_json(r, line);
            (void)nlohmann::json::parse(line);
            if (line != event_file_sink_impl::format_json(r.to_dict()))
                __builtin_trap(); // the two ways to the JSON line must agree
        }
        return 0;
    }
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
