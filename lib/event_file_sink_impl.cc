/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "event_file_sink_impl.h"
#include "event_record.h"
#include "json_text.h"
#include <gnuradio/io_signature.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <type_traits>
#include <unistd.h>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace gr {
namespace streamproc {

namespace {
const char* const k_csv_fields_text[] = {
    "id",          "start",     "end",        "duration",   "time",       "freq",
    "freq_center", "bandwidth", "peak_power", "peak_index", "mean_power", "energy",
    "noise_floor", "snr_db",    "truncated",  "merged",     "utc"
};
// the same, interned once
const std::vector<pmt::pmt_t> k_csv_keys = [] {
    std::vector<pmt::pmt_t> keys;
    for (const char* f : k_csv_fields_text)
        keys.push_back(pmt::mp(f));
    return keys;
}();

template <class I>
void append_int(std::string& out, I v)
{
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof(buf), v);
    out.append(buf, r.ptr);
}

void append_value(std::string& out, const pmt::pmt_t& v, bool json)
{
    if (pmt::is_bool(v))
        out += pmt::to_bool(v) ? "true" : "false";
    else if (pmt::is_uint64(v))
        append_int(out, pmt::to_uint64(v));
    else if (pmt::is_integer(v))
        append_int(out, pmt::to_long(v));
    else if (pmt::is_real(v))
        append_json_number(out, pmt::to_double(v));
    else if (pmt::is_symbol(v)) {
        if (json)
            append_json_string(out, pmt::symbol_to_string(v));
        else
            out += pmt::symbol_to_string(v);
    } else if (json) {
        append_json_string(out, pmt::write_string(v));
    } else {
        out += pmt::write_string(v);
    }
}
} // namespace

event_file_sink::sptr
event_file_sink::make(const std::string& path, const std::string& format, bool overwrite)
{
    return gnuradio::make_block_sptr<event_file_sink_impl>(path, format, overwrite);
}

static const std::string& checked_format(const std::string& format)
{
    if (format == "jsonl" || format == "csv" || format == "sigmf")
        return format;
    throw std::invalid_argument(
        "event_file_sink: format must be \"jsonl\", \"csv\" or \"sigmf\", got \"" +
        format + "\"");
}

event_file_sink_impl::event_file_sink_impl(const std::string& path,
                                           const std::string& format,
                                           bool overwrite)
    : gr::block("event_file_sink",
                gr::io_signature::make(0, 0, 0),
                gr::io_signature::make(0, 0, 0)),
      d_path(path),
      d_format(checked_format(format)),
      d_csv(format == "csv")
{
    message_port_register_in(pmt::mp("events"));
    set_msg_handler(pmt::mp("events"), [this](const pmt::pmt_t& msg) { handle(msg); });
    if (d_format == "sigmf") {
        d_sigmf = std::make_unique<sigmf_writer>(path, overwrite);
        return;
    }
    const int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (overwrite ? O_TRUNC : O_APPEND);
    struct stat st {
    };
    if (::stat(path.c_str(), &st) == 0 && S_ISFIFO(st.st_mode)) {
        // Opening a FIFO for writing blocks until a reader comes: open it without
        // blocking and give a reader 5 s (bounded), then write blocking as usual.
        for (int tries = 0; tries < 250; ++tries) {
            d_fd = ::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
            if (d_fd >= 0 || errno != ENXIO)
                break;
            ::usleep(20000);
        }
        if (d_fd < 0)
            throw std::runtime_error("event_file_sink: cannot write '" + path + "': " +
                                     (errno == ENXIO
                                          ? std::string("no process reads this FIFO "
                                                        "(waited 5 s)")
                                          : std::string(std::strerror(errno))));
        ::fcntl(d_fd, F_SETFL, ::fcntl(d_fd, F_GETFL) & ~O_NONBLOCK);
    } else {
        d_fd = ::open(path.c_str(), flags, 0644);
    }
    if (d_fd < 0)
        throw std::runtime_error("event_file_sink: cannot write '" + path +
                                 "': " + std::strerror(errno));
    if (::fstat(d_fd, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode) &&
        !S_ISCHR(st.st_mode)) {
        ::close(d_fd);
        throw std::runtime_error("event_file_sink: cannot write '" + path +
                                 "': not a regular file");
    }
    d_regular = S_ISREG(st.st_mode);
    if (d_csv && st.st_size == 0) {
        d_line = csv_header();
        write_line();
        d_lines = 0; // lines_written() counts events
    }
    d_line.reserve(512);
}

void event_file_sink_impl::set_sigmf_template(const std::string& meta_json)
{
    if (!d_sigmf)
        throw std::invalid_argument(
            "event_file_sink: set_sigmf_template needs format \"sigmf\"");
    gr::thread::scoped_lock lock(d_setlock);
    d_sigmf->set_template(meta_json);
    d_template_set = true;
}

void event_file_sink_impl::set_publish_interval(uint64_t events, double seconds)
{
    if (events < 1 || !(seconds > 0.0))
        throw std::invalid_argument("event_file_sink: publish interval needs events >= 1 "
                                    "and seconds > 0");
    gr::thread::scoped_lock lock(d_setlock);
    d_publish_every = events;
    d_publish_seconds = seconds;
}

bool event_file_sink_impl::start()
{
    gr::thread::scoped_lock lock(d_setlock);
    if (d_sigmf) {
        if (!d_template_set)
            d_logger->warn(
                "{}: no SigMF template set (set_sigmf_template): the file will "
                "lack core:datatype and core:sample_rate",
                d_path);
        d_sigmf->publish();
    }
    return true;
}

event_file_sink_impl::~event_file_sink_impl()
{
    if (d_fd >= 0)
        ::close(d_fd);
}

bool event_file_sink_impl::stop()
{
    gr::thread::scoped_lock lock(d_setlock);
    if (d_sigmf) {
        try {
            d_sigmf->finish();
        } catch (const std::exception& e) {
            d_logger->error("{}", e.what());
        }
        d_lines = d_sigmf->annotations();
    }
    if (d_fd >= 0 && d_regular && ::fsync(d_fd) != 0 && d_error.empty())
        d_error = "fsync of " + d_path + " failed: " + std::strerror(errno);
    if (d_dropped > 0)
        d_logger->error("{} events were dropped after: {}", d_dropped, d_error);
    return true;
}

std::vector<std::string> event_file_sink::csv_columns()
{
    return { std::begin(k_csv_fields_text), std::end(k_csv_fields_text) };
}

const std::string& event_file_sink_impl::csv_header()
{
    static const std::string header = [] {
        std::string h;
        for (const char* f : k_csv_fields_text)
            h += (h.empty() ? "" : ",") + std::string(f);
        return h;
    }();
    return header;
}

std::string event_file_sink_impl::format_json(const pmt::pmt_t& dict)
{
    std::string s;
    format_json(dict, s);
    return s;
}

void event_file_sink_impl::format_json(const pmt::pmt_t& dict, std::string& s)
{
    s = "{";
    // the dict lists the newest key first: write them in insertion order
    thread_local std::vector<pmt::pmt_t> pairs;
    pairs.clear();
    for (pmt::pmt_t items = pmt::dict_items(dict); pmt::is_pair(items);
         items = pmt::cdr(items))
        pairs.push_back(pmt::car(items));
    bool first = true;
    for (auto it = pairs.rbegin(); it != pairs.rend(); ++it) {
        const pmt::pmt_t& key = pmt::car(*it);
        if (!first)
            s += ", ";
        first = false;
        append_json_string(
            s, pmt::is_symbol(key) ? pmt::symbol_to_string(key) : pmt::write_string(key));
        s += ": ";
        append_value(s, pmt::cdr(*it), true);
    }
    s += '}';
    pairs.clear();
}

void event_file_sink_impl::format_json(const event_record& r, std::string& s)
{
    s = "{";
    bool first = true;
    r.visit([&](const char* key, auto value) {
        if (!first)
            s += ", ";
        first = false;
        s += '"';
        s += key;
        s += "\": ";
        if constexpr (std::is_same<decltype(value), bool>::value)
            s += value ? "true" : "false";
        else if constexpr (std::is_same<decltype(value), double>::value)
            append_json_number(s, value);
        else
            append_int(s, value);
    });
    s += '}';
}

std::string event_file_sink_impl::format_csv(const pmt::pmt_t& dict)
{
    std::string s;
    format_csv(dict, s);
    return s;
}

void event_file_sink_impl::format_csv(const pmt::pmt_t& dict, std::string& s)
{
    s.clear();
    bool first = true;
    for (const pmt::pmt_t& key : k_csv_keys) {
        if (!first)
            s += ',';
        first = false;
        const pmt::pmt_t v = pmt::dict_ref(dict, key, pmt::PMT_NIL);
        if (!pmt::is_null(v))
            append_value(s, v, false);
    }
}

std::string event_file_sink_impl::error() const
{
    gr::thread::scoped_lock lock(const_cast<gr::thread::mutex&>(d_setlock));
    return d_error;
}

void event_file_sink_impl::write_line()
{
    if (!d_error.empty()) {
        ++d_dropped;
        return;
    }
    d_line += '\n';
    // where the line starts: a line that cannot be written whole is cut back to it
    const off_t start = d_regular ? ::lseek(d_fd, 0, SEEK_END) : off_t(-1);
    const char* p = d_line.data();
    size_t left = d_line.size();
    while (left > 0) {
        const ssize_t w = ::write(d_fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            const std::string why = w < 0 ? std::strerror(errno) : "nothing written";
            if (start >= 0 && ::ftruncate(d_fd, start) != 0)
                d_logger->warn("could not cut the partial line from {}", d_path);
            gr::thread::scoped_lock lock(d_setlock);
            d_error = "writing " + d_path + " failed: " + why + " (" +
                      std::to_string(d_lines) + " events written, whole lines only)";
            d_logger->error("{}; later events are dropped", d_error);
            ++d_dropped;
            return;
        }
        p += w;
        left -= size_t(w);
    }
    ++d_lines;
}

void event_file_sink_impl::handle(const pmt::pmt_t& received)
{
    // a compact event from event_detector: a JSON line straight from the record; the
    // other formats from its dict, made here, in this thread
    event_record r;
    const bool compact = event_record::from_blob(received, r);
    if (compact && !d_csv && !d_sigmf) {
        format_json(r, d_line);
        write_line();
        return;
    }
    const pmt::pmt_t msg = compact ? r.to_dict() : received;
    if (!pmt::is_dict(msg) || pmt::is_null(msg)) {
        if (!d_warned) {
            d_warned = true;
            d_logger->warn("ignoring a message that is not an event dict: {}",
                           pmt::write_string(msg).substr(0, 80));
        }
        return;
    }
    if (d_sigmf) {
        gr::thread::scoped_lock lock(d_setlock);
        try {
            if (!d_sigmf->add(msg) && !d_warned) {
                d_warned = true;
                d_logger->warn("ignoring an event without a start sample: {}",
                               pmt::write_string(msg).substr(0, 80));
            }
            d_sigmf->publish_if_due(d_publish_every, d_publish_seconds);
        } catch (const std::exception& e) {
            if (d_error.empty())
                d_logger->error("{}", e.what());
            d_error = e.what();
        }
        d_lines = d_sigmf->annotations();
        return;
    }
    if (d_csv)
        format_csv(msg, d_line);
    else
        format_json(msg, d_line);
    write_line();
}

} // namespace streamproc
} // namespace gr
