/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "json_text.h"
#include "sigmf.h"
#include "sigmf_writer.h"
#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <stdexcept>

namespace gr {
namespace streamproc {

using json = nlohmann::json;

namespace {
std::string journal_of(const std::string& path)
{
    const auto slash = path.rfind('/');
    const std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
    const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
    return dir + "." + name + ".journal";
}

void write_all(int fd, const std::string& s, const std::string& path)
{
    const char* p = s.data();
    size_t left = s.size();
    while (left > 0) {
        const ssize_t w = ::write(fd, p, left);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            throw std::runtime_error("event_file_sink: writing " + path +
                                     " failed: " + std::strerror(errno));
        }
        p += w;
        left -= size_t(w);
    }
}

// A sample index from the event: a whole number >= 0 below 2^63 (exact for integers).
bool index_of(const pmt::pmt_t& d, const char* key, uint64_t& out)
{
    const pmt::pmt_t v = pmt::dict_ref(d, pmt::mp(key), pmt::PMT_NIL);
    if (pmt::is_uint64(v)) {
        out = pmt::to_uint64(v);
    } else if (pmt::is_integer(v)) {
        if (pmt::to_long(v) < 0)
            return false;
        out = uint64_t(pmt::to_long(v));
    } else if (pmt::is_real(v)) {
        const double x = pmt::to_double(v);
        if (!(x >= 0.0 && x < 9.2e18))
            return false;
        out = uint64_t(x);
    } else {
        return false;
    }
    return out < (uint64_t(1) << 63);
}

double number_of(const pmt::pmt_t& d, const char* key, double def)
{
    const pmt::pmt_t v = pmt::dict_ref(d, pmt::mp(key), pmt::PMT_NIL);
    if (pmt::is_uint64(v))
        return double(pmt::to_uint64(v));
    if (pmt::is_integer(v))
        return double(pmt::to_long(v));
    if (pmt::is_real(v))
        return pmt::to_double(v);
    return def;
}
} // namespace

sigmf_writer::sigmf_writer(const std::string& path, bool overwrite)
    : d_path(path), d_journal(journal_of(path)), d_last(std::chrono::steady_clock::now())
{
    if (!ends_with(path, ".sigmf-meta"))
        throw std::runtime_error("event_file_sink: a SigMF events file must end in "
                                 ".sigmf-meta, got '" +
                                 path + "'");
    struct stat st {
    };
    if (!overwrite && ::stat(path.c_str(), &st) == 0)
        throw std::runtime_error("event_file_sink: '" + path +
                                 "' exists (SigMF metadata is rewritten whole, not "
                                 "appended to): remove it or set overwrite");
    d_journal_fd =
        ::open(d_journal.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (d_journal_fd < 0)
        throw std::runtime_error("event_file_sink: cannot write '" + d_journal +
                                 "': " + std::strerror(errno));
}

sigmf_writer::~sigmf_writer()
{
    if (d_journal_fd >= 0)
        ::close(d_journal_fd);
}

void sigmf_writer::set_template(const std::string& meta_json)
{
    json doc;
    try {
        doc = json::parse(meta_json);
    } catch (const json::parse_error& e) {
        throw std::invalid_argument(std::string("event_file_sink: SigMF template is not "
                                                "JSON: ") +
                                    e.what());
    }
    if (!doc.is_object() || !doc.contains("global") || !doc["global"].is_object())
        throw std::invalid_argument(
            "event_file_sink: a SigMF template needs a \"global\" object");
    json& g = doc["global"];
    if (!g.contains("core:version"))
        g["core:version"] = "1.0.0";
    d_rate = g.contains("core:sample_rate") && g["core:sample_rate"].is_number()
                 ? g["core:sample_rate"].get<double>()
                 : 0.0;
    d_global = json_text(g, json_layout::indent1);
    const json caps = doc.value("captures", json::array());
    d_captures = json_text(caps, json_layout::indent1);
    d_freqs.clear();
    for (const auto& c : caps)
        if (c.is_object() && c.contains("core:frequency") &&
            c["core:frequency"].is_number())
            d_freqs.emplace_back(c.value("core:sample_start", uint64_t(0)),
                                 c["core:frequency"].get<double>());
    d_kept.clear();
    for (const auto& a : doc.value("annotations", json::array()))
        d_kept += (d_kept.empty() ? "" : ",\n") + json_text(a);
    publish();
}

std::string sigmf_writer::annotation_json(const pmt::pmt_t& ev) const
{
    uint64_t start = 0, end = 0;
    if (!index_of(ev, "start", start))
        throw std::invalid_argument("event without a valid start sample");
    if (!index_of(ev, "end", end) || end < start)
        end = start;
    json a;
    a["core:sample_start"] = start;
    a["core:sample_count"] = end - start;
    a["core:label"] = "event";
    uint64_t id = 0;
    index_of(ev, "id", id);
    char comment[160];
    std::snprintf(comment,
                  sizeof(comment),
                  "event %llu: SNR %.2f dB, peak power %.6g, mean power %.6g",
                  (unsigned long long)id,
                  number_of(ev, "snr_db", 0.0),
                  number_of(ev, "peak_power", 0.0),
                  number_of(ev, "mean_power", 0.0));
    a["core:comment"] = comment;
    a["core:generator"] = "gr-streamproc event_detector";
    // the band of the capture the event starts in, when frequency and rate are known
    double freq = number_of(ev, "freq", NAN);
    if (!std::isfinite(freq)) {
        freq = NAN;
        for (const auto& f : d_freqs)
            if (f.first <= start)
                freq = f.second;
    }
    // the event's own band when the detector measured it, else the capture's
    const double center = number_of(ev, "freq_center", NAN);
    const double width = number_of(ev, "bandwidth", NAN);
    if (!std::isnan(freq) && std::isfinite(center) && std::isfinite(width) &&
        width > 0.0) {
        a["core:freq_lower_edge"] = freq + center - width / 2;
        a["core:freq_upper_edge"] = freq + center + width / 2;
    } else if (!std::isnan(freq) && d_rate > 0.0) {
        a["core:freq_lower_edge"] = freq - d_rate / 2;
        a["core:freq_upper_edge"] = freq + d_rate / 2;
    }
    return json_text(a);
}

bool sigmf_writer::add(const pmt::pmt_t& event)
{
    if (!pmt::is_dict(event) || pmt::is_null(event))
        return false;
    std::string line;
    try {
        line = annotation_json(event);
    } catch (const std::invalid_argument&) {
        return false;
    }
    write_all(d_journal_fd, line + "\n", d_journal);
    ++d_count;
    return true;
}

void sigmf_writer::publish()
{
    const std::string tmp = d_path + ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        throw std::runtime_error("event_file_sink: cannot write '" + tmp +
                                 "': " + std::strerror(errno));
    try {
        write_all(fd,
                  "{\n\"global\": " + d_global + ",\n\"captures\": " + d_captures +
                      ",\n\"annotations\": [\n" + d_kept,
                  tmp);
        // the journal, one annotation per line, joined with commas
        std::string buf(1 << 16, '\0');
        off_t at = 0;
        bool first = d_kept.empty();
        std::string carry;
        for (;;) {
            const ssize_t r = ::pread(d_journal_fd, &buf[0], buf.size(), at);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                break;
            at += r;
            carry.append(buf.data(), size_t(r));
            std::string out;
            size_t line_start = 0, nl;
            while ((nl = carry.find('\n', line_start)) != std::string::npos) {
                out += (first ? "" : ",\n") + carry.substr(line_start, nl - line_start);
                first = false;
                line_start = nl + 1;
            }
            carry.erase(0, line_start);
            write_all(fd, out, tmp);
        }
        write_all(fd, "\n]\n}\n", tmp);
        if (::fsync(fd) != 0)
            throw std::runtime_error("event_file_sink: fsync of '" + tmp +
                                     "' failed: " + std::strerror(errno));
    } catch (...) {
        ::close(fd);
        ::unlink(tmp.c_str());
        throw;
    }
    ::close(fd);
    if (::rename(tmp.c_str(), d_path.c_str()) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        throw std::runtime_error("event_file_sink: cannot replace '" + d_path +
                                 "': " + std::strerror(err));
    }
    d_published = d_count;
    d_last = std::chrono::steady_clock::now();
}

void sigmf_writer::publish_if_due(uint64_t every, double seconds)
{
    if (d_count == d_published)
        return;
    const double since =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - d_last).count();
    if (d_count - d_published >= every || since >= seconds)
        publish();
}

void sigmf_writer::finish()
{
    if (d_finished)
        return;
    d_finished = true;
    publish();
    ::close(d_journal_fd);
    d_journal_fd = -1;
    ::unlink(d_journal.c_str());
}

} // namespace streamproc
} // namespace gr
